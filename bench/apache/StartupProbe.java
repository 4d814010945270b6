/*
 * Startup probe for bench/compare.mjs: how long after a broker process is spawned does the first
 * message get stored?
 *
 * Usage: java -cp <rocketmq lib>/* StartupProbe <namesrvAddr> <topic> [timeoutMs]
 *
 * The JVM and the client start first (so their own start-up is not counted), then the probe prints
 * "PROBE READY" and waits for a line "GO" on stdin. compare.mjs spawns the broker and writes "GO"
 * at the same moment. From then on the probe sends one small message every 10 ms until a send
 * returns a result, and prints "PROBE OK <epoch ms of that result> attempts=<n>". It prints
 * "PROBE TIMEOUT <last error>" if nothing succeeds within the timeout. Either way it exits.
 */
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.message.Message;

public final class StartupProbe {
    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: StartupProbe <namesrvAddr> <topic> [timeoutMs]");
            System.exit(2);
        }
        final String namesrv = args[0];
        final String topic = args[1];
        final long timeoutMs = args.length > 2 ? Long.parseLong(args[2]) : 120_000L;

        DefaultMQProducer producer = new DefaultMQProducer("bench_startup_probe");
        producer.setNamesrvAddr(namesrv);
        producer.setInstanceName("startup_probe_" + System.nanoTime());
        producer.setSendMsgTimeout(2000);
        producer.setRetryTimesWhenSendFailed(0);
        producer.start();

        byte[] body = "startup probe".getBytes(StandardCharsets.UTF_8);
        System.out.println("PROBE READY");
        System.out.flush();

        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null && !line.trim().equals("GO")) {
            // wait for the go signal
        }
        if (line == null) {
            producer.shutdown();
            return;
        }

        long deadline = System.currentTimeMillis() + timeoutMs;
        long attempts = 0;
        String lastError = "none";
        boolean ok = false;
        while (System.currentTimeMillis() < deadline) {
            attempts++;
            try {
                SendResult r = producer.send(new Message(topic, body));
                if (r != null) {
                    long now = System.currentTimeMillis();
                    System.out.println("PROBE OK " + now + " attempts=" + attempts + " status=" + r.getSendStatus());
                    ok = true;
                    break;
                }
            } catch (Exception e) {
                lastError = e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).split("\n")[0];
            }
            Thread.sleep(10);
        }
        if (!ok) {
            System.out.println("PROBE TIMEOUT " + lastError);
        }
        System.out.flush();
        producer.shutdown();
        System.exit(ok ? 0 : 1);
    }
}
