package io.ferrymq.interop.broker;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Apache RocketMQ (released jars) as the reference: a name server process that lives for the whole
 * run and a broker process that the tests stop, kill and restart on the same store.
 */
final class ApacheBroker implements BrokerUnderTest {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

    private final BrokerLayout layout;
    private final ApacheRuntime runtime;
    private final List<String> namesrvCommand;
    private final List<String> brokerCommand;
    private ManagedProcess namesrv;
    private ManagedProcess broker;

    ApacheBroker(BrokerLayout layout) throws Exception {
        this.layout = layout;
        this.runtime = new ApacheRuntime();
        Path namesrvConf = layout.writeConf("namesrv.conf", Map.of("listenPort", String.valueOf(layout.namesrvPort())));

        Map<String, String> conf = layout.commonBrokerSettings();
        conf.put("brokerId", "0");
        conf.put("listenPort", String.valueOf(layout.brokerPort()));
        conf.put("namesrvAddr", layout.namesrvAddr());
        conf.put("mappedFileSizeCommitLog", "67108864");
        conf.put("maxHashSlotNum", "50000");
        conf.put("maxIndexNum", "200000");
        Path brokerConf = layout.writeConf("broker.conf", conf);

        namesrvCommand = runtime.command("org.apache.rocketmq.namesrv.NamesrvStartup", layout.dir(),
                layout.logDir(), "-c", namesrvConf.toString());
        brokerCommand = runtime.command("org.apache.rocketmq.broker.BrokerStartup", layout.dir(),
                layout.logDir(), "-c", brokerConf.toString());
    }

    @Override
    public void start() throws Exception {
        Map<String, String> env = Map.of("ROCKETMQ_HOME", runtime.home().toString());
        if (namesrv == null || !namesrv.isAlive()) {
            namesrv = ManagedProcess.start("apache-namesrv", namesrvCommand, env, layout.dir(),
                    layout.logDir().resolve("namesrv.out"));
            Readiness.awaitPort(namesrv, layout.namesrvPort(), READY_TIMEOUT);
        }
        broker = ManagedProcess.start("apache-broker", brokerCommand, env, layout.dir(),
                layout.logDir().resolve("broker.out"));
        Readiness.awaitBroker(broker, layout, READY_TIMEOUT);
    }

    @Override
    public void stop() throws Exception {
        broker.terminate(STOP_TIMEOUT);
    }

    @Override
    public void kill() throws Exception {
        broker.kill();
    }

    @Override
    public BrokerLayout layout() {
        return layout;
    }

    @Override
    public String logTail(int lines) {
        return LogFiles.tail(layout.logDir().resolve("broker.log"), lines);
    }

    @Override
    public void close() throws Exception {
        try {
            if (broker != null && broker.isAlive()) {
                stop();
            }
        } finally {
            if (namesrv != null && namesrv.isAlive()) {
                namesrv.terminate(STOP_TIMEOUT);
            }
        }
    }
}
