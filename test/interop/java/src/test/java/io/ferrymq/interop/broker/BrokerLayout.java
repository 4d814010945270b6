package io.ferrymq.interop.broker;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Names, ports and directories of one broker under test; the same across its restarts. */
public record BrokerLayout(String clusterName, String brokerName, int brokerPort, int namesrvPort, Path dir) {

    public static BrokerLayout allocate(Path root, String kind) throws IOException {
        Files.createDirectories(root);
        Path dir = Files.createTempDirectory(root, kind + "-");
        int namesrvPort = Ports.freePort();
        int brokerPort = Ports.freeBrokerPort(namesrvPort);
        return new BrokerLayout("InteropCluster", "interop-broker-a", brokerPort, namesrvPort, dir);
    }

    public String namesrvAddr() {
        return "127.0.0.1:" + namesrvPort;
    }

    public String brokerAddr() {
        return "127.0.0.1:" + brokerPort;
    }

    public Path storeDir() {
        return dir.resolve("store");
    }

    public Path logDir() {
        return dir.resolve("logs");
    }

    /** Broker settings both implementations understand under RocketMQ's own key names. */
    public Map<String, String> commonBrokerSettings() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("brokerClusterName", clusterName);
        settings.put("brokerName", brokerName);
        settings.put("brokerIP1", "127.0.0.1");
        settings.put("storePathRootDir", storeDir().toString());
        settings.put("flushDiskType", "ASYNC_FLUSH");
        settings.put("autoCreateTopicEnable", "true");
        // Transaction check-back within seconds rather than RocketMQ's default minute.
        settings.put("transactionCheckInterval", "5000");
        settings.put("transactionTimeOut", "3000");
        return settings;
    }

    /** Writes a {@code key=value} properties file (the format of RocketMQ's broker.conf). */
    public Path writeConf(String fileName, Map<String, String> settings) throws IOException {
        Path file = dir.resolve(fileName);
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (Map.Entry<String, String> e : settings.entrySet()) {
                out.write(e.getKey() + "=" + e.getValue() + "\n");
            }
        }
        return file;
    }
}
