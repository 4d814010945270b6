/*
 * Startup probe for bench/compare.mjs: how long after a broker process is spawned does the first
 * message get stored?
 *
 * Usage: java -cp <rocketmq lib>/* StartupProbe <namesrvAddr> <topic> [timeoutMs]
 *
 * The JVM and the client start first (so their own start-up is not counted). So does the client's
 * first use of its send path: a client that has never sent spends 150-250 ms of this machine's CPU
 * on class loading and fastjson's serializer generation before its first request leaves, even
 * against a broker that has been up for seconds. The probe therefore first sends one message
 * through a throwaway producer to a stand-in (a Netty remoting server in this JVM answering the
 * route query and the send), shuts both down, then prints "PROBE READY" and waits for a line "GO"
 * on stdin. The measured producer is another client instance with its own, new connections.
 * compare.mjs spawns the broker and writes "GO" at the same moment. From then on the probe sends
 * one small message every 10 ms until a send returns a result, and prints
 * "PROBE OK <epoch ms of that result> attempts=<n>". It prints "PROBE TIMEOUT <last error>" if
 * nothing succeeds within the timeout. Either way it exits.
 */
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

import java.util.Collections;
import java.util.HashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import io.netty.channel.ChannelHandlerContext;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.protocol.RequestCode;
import org.apache.rocketmq.common.protocol.ResponseCode;
import org.apache.rocketmq.common.protocol.header.SendMessageResponseHeader;
import org.apache.rocketmq.common.protocol.route.BrokerData;
import org.apache.rocketmq.common.protocol.route.QueueData;
import org.apache.rocketmq.common.protocol.route.TopicRouteData;
import org.apache.rocketmq.remoting.netty.NettyRemotingServer;
import org.apache.rocketmq.remoting.netty.NettyRequestProcessor;
import org.apache.rocketmq.remoting.netty.NettyServerConfig;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;

public final class StartupProbe {
    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: StartupProbe <namesrvAddr> <topic> [timeoutMs]");
            System.exit(2);
        }
        final String namesrv = args[0];
        final String topic = args[1];
        final long timeoutMs = args.length > 2 ? Long.parseLong(args[2]) : 120_000L;

        warmUp(topic);

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

    /** One send through a throwaway client to an in-process stand-in for a name server and broker. */
    private static void warmUp(String topic) throws Exception {
        NettyServerConfig config = new NettyServerConfig();
        config.setListenPort(0);
        NettyRemotingServer standIn = new NettyRemotingServer(config);
        ExecutorService executor = Executors.newSingleThreadExecutor();
        standIn.registerDefaultProcessor(new NettyRequestProcessor() {
            @Override
            public RemotingCommand processRequest(ChannelHandlerContext ctx, RemotingCommand request) throws Exception {
                if (request.getCode() == RequestCode.GET_ROUTEINFO_BY_TOPIC) {
                    RemotingCommand response = RemotingCommand.createResponseCommand(ResponseCode.SUCCESS, null);
                    response.setBody(standInRoute(standIn.localListenPort()).encode());
                    return response;
                }
                if (request.getCode() == RequestCode.SEND_MESSAGE || request.getCode() == RequestCode.SEND_MESSAGE_V2) {
                    RemotingCommand response = RemotingCommand.createResponseCommand(SendMessageResponseHeader.class);
                    SendMessageResponseHeader header = (SendMessageResponseHeader) response.readCustomHeader();
                    header.setMsgId("7F00000100002A9F0000000000000000");
                    header.setQueueId(0);
                    header.setQueueOffset(0L);
                    response.setCode(ResponseCode.SUCCESS);
                    return response;
                }
                return RemotingCommand.createResponseCommand(ResponseCode.SUCCESS, null);
            }

            @Override
            public boolean rejectRequest() {
                return false;
            }
        }, executor);
        standIn.start();
        DefaultMQProducer warm = new DefaultMQProducer("bench_startup_probe_warmup");
        warm.setNamesrvAddr("127.0.0.1:" + standIn.localListenPort());
        warm.setInstanceName("startup_probe_warmup_" + System.nanoTime());
        warm.setRetryTimesWhenSendFailed(0);
        warm.start();
        try {
            warm.send(new Message(topic, "warm-up".getBytes(StandardCharsets.UTF_8)));
        } finally {
            warm.shutdown();
            standIn.shutdown();
            executor.shutdownNow();
        }
    }

    private static TopicRouteData standInRoute(int port) {
        QueueData queue = new QueueData();
        queue.setBrokerName("standin");
        queue.setReadQueueNums(1);
        queue.setWriteQueueNums(1);
        queue.setPerm(6);
        HashMap<Long, String> addrs = new HashMap<>();
        addrs.put(0L, "127.0.0.1:" + port);
        TopicRouteData route = new TopicRouteData();
        route.setQueueDatas(Collections.singletonList(queue));
        route.setBrokerDatas(Collections.singletonList(new BrokerData("standin", "standin", addrs)));
        route.setFilterServerTable(new HashMap<>());
        return route;
    }
}
