package io.ferrymq.interop.broker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Ferry and Apache RocketMQ taking turns on ONE store directory, for the store-portability tests:
 * same ports, same brokerName/cluster, same broker.conf (each side ignores the keys it does not
 * know). Unlike {@link BrokerUnderTest}, which keeps one implementation for the whole run, this
 * starts whichever implementation a test asks for, one at a time.
 */
public final class SharedStoreBrokers implements AutoCloseable {
    /** Which implementation to start. */
    public enum Kind {
        FERRY, APACHE;

        /** {@code ferry} or {@code apache}, as in {@code -Dbroker.kind}. */
        public static Kind of(String name) {
            return Kind.valueOf(name.trim().toUpperCase());
        }
    }

    private static final Duration FERRY_READY = Duration.ofSeconds(20);
    private static final Duration APACHE_READY = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private final BrokerLayout layout;
    private final Path brokerConf;
    private final Path namesrvConf;
    private ApacheRuntime apache;
    private ManagedProcess namesrv;
    private ManagedProcess broker;
    private Kind running;
    private Kind last;

    private SharedStoreBrokers(BrokerLayout layout, Path brokerConf, Path namesrvConf) {
        this.layout = layout;
        this.brokerConf = brokerConf;
        this.namesrvConf = namesrvConf;
    }

    /**
     * A fresh layout (ports, directory, empty store) under the suite's work directory, and the one
     * broker.conf both implementations read: the common settings, the ports, and {@code storeSettings}
     * (file sizes and the like, under RocketMQ's key names).
     */
    public static SharedStoreBrokers allocate(String label, Map<String, String> storeSettings) throws IOException {
        BrokerLayout layout = BrokerLayout.allocate(InteropPaths.workDir(), label);
        Map<String, String> conf = layout.commonBrokerSettings();
        conf.put("brokerId", "0");
        conf.put("listenPort", String.valueOf(layout.brokerPort()));
        conf.put("namesrvAddr", layout.namesrvAddr());
        conf.put("namesrvListenPort", String.valueOf(layout.namesrvPort())); // Ferry's embedded name server
        conf.put("networkWorkers", "2"); // Ferry only
        conf.putAll(storeSettings);
        Path brokerConf = layout.writeConf("broker.conf", conf);
        Path namesrvConf = layout.writeConf("namesrv.conf", Map.of("listenPort", String.valueOf(layout.namesrvPort())));
        return new SharedStoreBrokers(layout, brokerConf, namesrvConf);
    }

    public BrokerLayout layout() {
        return layout;
    }

    public Path storeDir() {
        return layout.storeDir();
    }

    /** Starts {@code kind} (and, for Apache, its name server) on the store and waits until it serves. */
    public void start(Kind kind) throws Exception {
        if (running != null) {
            throw new IllegalStateException(running + " is still running");
        }
        last = kind;
        if (kind == Kind.FERRY) {
            List<String> command = new ArrayList<>(ferryCommandPrefix());
            command.addAll(List.of("start", "-c", brokerConf.toString()));
            broker = ManagedProcess.start("ferry", command, Map.of(), layout.dir(), layout.logDir().resolve("ferry.log"));
            running = kind;
            Readiness.awaitBroker(broker, layout, FERRY_READY);
        } else {
            if (apache == null) {
                apache = new ApacheRuntime();
            }
            Map<String, String> env = Map.of("ROCKETMQ_HOME", apache.home().toString());
            namesrv = ManagedProcess.start("apache-namesrv",
                    withoutTls(apache.command("org.apache.rocketmq.namesrv.NamesrvStartup", layout.dir(),
                            layout.logDir(), "-c", namesrvConf.toString())),
                    env, layout.dir(), layout.logDir().resolve("namesrv.out"));
            running = kind;
            Readiness.awaitPort(namesrv, layout.namesrvPort(), APACHE_READY);
            broker = ManagedProcess.start("apache-broker",
                    withoutTls(apache.command("org.apache.rocketmq.broker.BrokerStartup", layout.dir(),
                            layout.logDir(), "-c", brokerConf.toString())),
                    env, layout.dir(), layout.logDir().resolve("broker.out"));
            Readiness.awaitBroker(broker, layout, APACHE_READY);
        }
    }

    /**
     * Graceful stop (SIGTERM) of the running broker; Ferry must exit with 0 (a JVM ends with 143
     * after SIGTERM). Apache's name server, which holds nothing of the store, is then killed.
     */
    public void stop() throws Exception {
        if (running == null) {
            return;
        }
        try {
            if (broker != null && broker.isAlive()) {
                int exit = broker.terminate(STOP_TIMEOUT);
                if (running == Kind.FERRY && exit != 0) {
                    throw new IllegalStateException("ferry exited with " + exit + " on SIGTERM, expected 0\n"
                            + broker.logTail(40));
                }
            }
        } finally {
            if (namesrv != null) {
                namesrv.kill();
            }
            namesrv = null;
            running = null;
        }
    }

    /** The end of the log of the broker started last (Apache: broker.log, which has the store's lines). */
    public String logTail(int lines) {
        if (last == null) {
            return "(no broker started)";
        }
        if (last == Kind.FERRY) {
            return broker.logTail(lines);
        }
        Path log = layout.logDir().resolve("broker.log");
        return warningsOf(log, 40) + "\n" + LogFiles.tail(log, lines) + "\n"
                + LogFiles.tail(layout.logDir().resolve("broker.out"), 20);
    }

    /** Apache logs what it rejects in a store (file sizes, magic codes, CRCs) at WARN or ERROR. */
    private static String warningsOf(Path log, int max) {
        try (Stream<String> lines = Files.lines(log)) {
            List<String> found = lines.filter(l -> l.contains(" WARN ") || l.contains(" ERROR ")).limit(max).toList();
            return "--- first " + found.size() + " WARN/ERROR lines of " + log + " ---\n" + String.join("\n", found);
        } catch (IOException | java.io.UncheckedIOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    /** Deletes the store (logs and configs stay, like the rest of the suite). */
    public void deleteStore() throws IOException {
        Path root = storeDir();
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    @Override
    public void close() throws Exception {
        stop();
    }

    /**
     * Apache's remoting servers default to TLS "permissive" mode, which generates a self-signed
     * certificate at start (seconds of CPU per process); nothing here uses TLS.
     */
    private static List<String> withoutTls(List<String> command) {
        List<String> out = new ArrayList<>(command);
        out.add(1, "-Dtls.server.mode=disabled");
        return out;
    }

    private static List<String> ferryCommandPrefix() {
        String override = System.getenv("FERRY_CMD");
        if (override != null && !override.isBlank()) {
            return Arrays.asList(override.trim().split("\\s+"));
        }
        return List.of("node", InteropPaths.ferryHome().resolve("bin/ferrymq.js").toString());
    }
}
