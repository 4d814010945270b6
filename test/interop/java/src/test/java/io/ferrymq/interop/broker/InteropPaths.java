package io.ferrymq.interop.broker;

import java.nio.file.Path;

/** Where things are: the interop directory, the Ferry checkout, and the scratch area for brokers. */
public final class InteropPaths {
    private InteropPaths() {
    }

    /** {@code test/interop} of the repository (the pom passes it as {@code interop.dir}). */
    public static Path interopDir() {
        String configured = System.getProperty("interop.dir");
        Path dir = configured != null ? Path.of(configured) : Path.of(System.getProperty("user.dir"), "..");
        return dir.toAbsolutePath().normalize();
    }

    /** The Ferry repository root: env {@code FERRY_HOME}, else three levels above test/interop/java. */
    public static Path ferryHome() {
        String env = System.getenv("FERRY_HOME");
        Path home = env != null && !env.isBlank() ? Path.of(env) : interopDir().resolve("../..");
        return home.toAbsolutePath().normalize();
    }

    /** Parent of the per-run broker directories (store, config, logs). */
    public static Path workDir() {
        String configured = System.getProperty("interop.workDir");
        Path dir = configured != null ? Path.of(configured) : interopDir().resolve("java/target/brokers");
        return dir.toAbsolutePath().normalize();
    }
}
