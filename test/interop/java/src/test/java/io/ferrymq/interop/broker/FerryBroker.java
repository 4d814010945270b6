package io.ferrymq.interop.broker;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Ferry with its embedded name server, started as
 * {@code node <FERRY_HOME>/bin/ferrymq.js start -c <conf> key=value ...} (or {@code $FERRY_CMD start ...}).
 */
final class FerryBroker implements BrokerUnderTest {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private final BrokerLayout layout;
    private final List<String> command;
    private ManagedProcess process;

    FerryBroker(BrokerLayout layout) throws IOException {
        this.layout = layout;
        Map<String, String> conf = layout.commonBrokerSettings();
        conf.put("mapedFileSizeCommitLog", "67108864");
        conf.put("networkWorkers", "2");
        Path confFile = layout.writeConf("broker.conf", conf);

        command = new ArrayList<>(commandPrefix());
        command.addAll(List.of("start", "-c", confFile.toString(),
                "listenPort=" + layout.brokerPort(),
                "namesrvListenPort=" + layout.namesrvPort(),
                "namesrvAddr=" + layout.namesrvAddr()));
    }

    private static List<String> commandPrefix() {
        String override = System.getenv("FERRY_CMD");
        if (override != null && !override.isBlank()) {
            return Arrays.asList(override.trim().split("\\s+"));
        }
        return List.of("node", InteropPaths.ferryHome().resolve("bin/ferrymq.js").toString());
    }

    @Override
    public void start() throws Exception {
        process = ManagedProcess.start("ferry", command, Map.of(), layout.dir(), layout.logDir().resolve("ferry.log"));
        Readiness.awaitBroker(process, layout, READY_TIMEOUT);
    }

    @Override
    public void stop() throws Exception {
        int exit = process.terminate(STOP_TIMEOUT);
        if (exit != 0) {
            throw new IllegalStateException("ferry exited with " + exit + " on SIGTERM, expected 0\n"
                    + process.logTail(40));
        }
    }

    @Override
    public void kill() throws Exception {
        process.kill();
    }

    @Override
    public BrokerLayout layout() {
        return layout;
    }

    @Override
    public String logTail(int lines) {
        return process == null ? "(ferry not started)" : process.logTail(lines);
    }

    @Override
    public void close() throws Exception {
        if (process != null && process.isAlive()) {
            stop();
        }
    }
}
