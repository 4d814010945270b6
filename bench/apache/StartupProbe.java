/*
 * Startup probe for bench/compare.mjs: how long after a broker process is spawned does the first
 * message get stored?
 *
 * Usage: java -cp <rocketmq lib>/* StartupProbe <namesrvAddr> <topic> [timeoutMs]
 *
 * <topic> must be one the broker registers as it starts: RocketMQ's brokers, and Ferry, create
 * BenchmarkTest.
 *
 * The probe runs on the same cores as the broker whose start it times, so it keeps its own CPU in
 * that window small:
 * - The JVM and the client start first, and so does the client's first use of its send path: a
 *   client that has never sent spends 150-250 ms of this machine's CPU on class loading and
 *   fastjson's serializer generation before its first request leaves. So the probe first sends
 *   through a throwaway producer to a stand-in (a Netty remoting server in this JVM answering the
 *   route query and the send), to many topics, until that path is compiled; then it shuts both
 *   down, prints "PROBE READY" and waits for a line "GO" on stdin. compare.mjs waits for the machine
 *   to be idle, then spawns the broker and writes "GO" at the same moment.
 * - Until a broker has registered, every client send fails, and a failing send costs the client
 *   a few milliseconds of CPU (a new connection, or two route queries, exceptions and a log line).
 *   So the probe first asks the name server for the topic's route itself, one small request every
 *   5 ms over a plain socket (connecting again every 5 ms while nothing listens).
 * - Once the route exists, the measured producer (another client instance, with its own, new
 *   connections) sends one small message every 10 ms until a send returns a result.
 * Then it prints "PROBE OK <epoch ms of that result> attempts=<sends>", or "PROBE TIMEOUT <last
 * error>" if nothing succeeded within the timeout. Either way it exits.
 */
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import java.util.Collections;
import java.util.HashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

import ch.qos.logback.classic.Level;
import io.netty.channel.ChannelHandlerContext;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.protocol.RequestCode;
import org.apache.rocketmq.common.protocol.ResponseCode;
import org.apache.rocketmq.common.protocol.header.SendMessageResponseHeader;
import org.apache.rocketmq.common.protocol.header.namesrv.GetRouteInfoRequestHeader;
import org.apache.rocketmq.common.protocol.route.BrokerData;
import org.apache.rocketmq.common.protocol.route.QueueData;
import org.apache.rocketmq.common.protocol.route.TopicRouteData;
import org.apache.rocketmq.remoting.netty.NettyRemotingServer;
import org.apache.rocketmq.remoting.netty.NettyRequestProcessor;
import org.apache.rocketmq.remoting.netty.NettyServerConfig;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;
import org.slf4j.LoggerFactory;

public final class StartupProbe {
    /** Route queries and sends that warm the probe up before it is ready. */
    private static final int WARM_UP_TRIES = 300;

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: StartupProbe <namesrvAddr> <topic> [timeoutMs]");
            System.exit(2);
        }
        final String namesrv = args[0];
        final String topic = args[1];
        final long timeoutMs = args.length > 2 ? Long.parseLong(args[2]) : 120_000L;

        // the probe's output is its result lines; Netty's DEBUG lines would only cost CPU
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(Level.WARN);
        warmUp(topic);

        DefaultMQProducer producer = new DefaultMQProducer("bench_startup_probe");
        producer.setNamesrvAddr(namesrv);
        producer.setInstanceName("startup_probe_" + System.nanoTime());
        producer.setSendMsgTimeout(2000);
        producer.setRetryTimesWhenSendFailed(0);
        producer.start();
        RoutePoll poll = new RoutePoll(namesrv, topic);

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
        String lastError = "no route for " + topic + " at " + namesrv;
        boolean ok = false;
        boolean routed = poll.waitForRoute(deadline);
        poll.close();
        while (routed && System.currentTimeMillis() < deadline) {
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

    /** The topic's route query, sent to a name server over one plain socket, again and again. */
    private static final class RoutePoll {
        private final InetSocketAddress target;
        private final byte[] request;
        private Socket socket;

        RoutePoll(String addr, String topic) {
            int colon = addr.lastIndexOf(':');
            target = new InetSocketAddress(addr.substring(0, colon), Integer.parseInt(addr.substring(colon + 1)));
            GetRouteInfoRequestHeader header = new GetRouteInfoRequestHeader();
            header.setTopic(topic);
            ByteBuffer frame = RemotingCommand.createRequestCommand(RequestCode.GET_ROUTEINFO_BY_TOPIC, header).encode();
            request = new byte[frame.remaining()];
            frame.get(request);
        }

        /** Asks every 5 ms until the name server has a route for the topic; false at the deadline. */
        boolean waitForRoute(long deadline) throws InterruptedException {
            while (System.currentTimeMillis() < deadline) {
                if (routed()) {
                    return true;
                }
                Thread.sleep(5);
            }
            return false;
        }

        /** One query; a name server that is not listening yet, or that closed the socket, is a no. */
        boolean routed() {
            try {
                if (socket == null) {
                    socket = new Socket();
                    socket.setTcpNoDelay(true);
                    socket.connect(target, 1000);
                }
                OutputStream out = socket.getOutputStream();
                out.write(request);
                out.flush();
                DataInputStream in = new DataInputStream(socket.getInputStream());
                byte[] frame = new byte[in.readInt()];
                in.readFully(frame);
                return RemotingCommand.decode(ByteBuffer.wrap(frame)).getCode() == ResponseCode.SUCCESS;
            } catch (Exception notYet) {
                close();
                return false;
            }
        }

        void close() {
            if (socket != null) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // closing after a failure
                }
                socket = null;
            }
        }
    }

    /**
     * Runs each path the timed start takes, as it takes them: route queries to a port where nothing
     * listens, then to an in-process stand-in for a name server and broker while it has no route,
     * then sends to new topics through a throwaway client, each found through a route query and
     * sent to the stand-in as broker.
     */
    private static void warmUp(String topic) throws Exception {
        final AtomicBoolean routed = new AtomicBoolean(false);
        NettyServerConfig config = new NettyServerConfig();
        config.setListenPort(0);
        NettyRemotingServer standIn = new NettyRemotingServer(config);
        ExecutorService executor = Executors.newSingleThreadExecutor();
        standIn.registerDefaultProcessor(new NettyRequestProcessor() {
            @Override
            public RemotingCommand processRequest(ChannelHandlerContext ctx, RemotingCommand request) throws Exception {
                if (request.getCode() == RequestCode.GET_ROUTEINFO_BY_TOPIC) {
                    if (!routed.get()) {
                        return RemotingCommand.createResponseCommand(ResponseCode.TOPIC_NOT_EXIST, "no route yet");
                    }
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
        String standInAddr = "127.0.0.1:" + standIn.localListenPort();
        RoutePoll poll = new RoutePoll(standInAddr, topic);
        DefaultMQProducer warm = new DefaultMQProducer("bench_startup_probe_warmup");
        warm.setNamesrvAddr(standInAddr);
        warm.setInstanceName("startup_probe_warmup_" + System.nanoTime());
        warm.setRetryTimesWhenSendFailed(0);
        warm.start();
        RoutePoll refused = new RoutePoll("127.0.0.1:" + closedPort(), topic);
        try {
            for (int i = 0; i < WARM_UP_TRIES; i++) {
                if (refused.routed()) {
                    throw new IllegalStateException("a closed port answered a route");
                }
            }
            for (int i = 0; i < WARM_UP_TRIES; i++) {
                if (poll.routed()) {
                    throw new IllegalStateException("the stand-in answered a route before it had one");
                }
            }
            routed.set(true);
            for (int i = 0; i < WARM_UP_TRIES; i++) {
                warm.send(new Message(topic + "_warm_up_" + i, "warm-up".getBytes(StandardCharsets.UTF_8)));
            }
        } finally {
            poll.close();
            warm.shutdown();
            standIn.shutdown();
            executor.shutdownNow();
        }
    }

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
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
