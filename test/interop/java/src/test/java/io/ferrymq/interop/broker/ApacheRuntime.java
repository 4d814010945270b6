package io.ferrymq.interop.broker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How to run the released Apache RocketMQ jars (resolved from Maven Central by test/interop/apache):
 * the classpath, the JVM options for Java 17, and ROCKETMQ_HOME (which holds conf/logback_*.xml).
 */
final class ApacheRuntime {
    private final Path home = InteropPaths.interopDir().resolve("apache");
    private final String classpath;
    private final List<String> jvmOptions;

    ApacheRuntime() throws IOException, InterruptedException {
        classpath = resolveClasspath();
        jvmOptions = Files.readAllLines(home.resolve("jvm.options"), StandardCharsets.UTF_8).stream()
                .map(String::trim)
                .filter(line -> !line.isEmpty() && !line.startsWith("#"))
                .toList();
    }

    Path home() {
        return home;
    }

    List<String> command(String mainClass, Path userHome, Path logDir, String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-Duser.home=" + userHome);
        command.add("-Dinterop.logDir=" + logDir);
        command.add("-cp");
        command.add(classpath);
        command.add(mainClass);
        command.addAll(List.of(args));
        return command;
    }

    /** {@code -Dapache.classpath}, env {@code ROCKETMQ_APACHE_CLASSPATH}, else apache/classpath.sh. */
    private String resolveClasspath() throws IOException, InterruptedException {
        String configured = System.getProperty("apache.classpath", System.getenv("ROCKETMQ_APACHE_CLASSPATH"));
        if (configured != null && !configured.isBlank()) {
            return configured.trim();
        }
        Process script = new ProcessBuilder("bash", home.resolve("classpath.sh").toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String output = new String(script.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (script.waitFor() != 0 || output.isEmpty()) {
            throw new IllegalStateException("apache/classpath.sh failed (exit " + script.exitValue() + ")");
        }
        return output;
    }
}
