package io.ferrymq.interop.broker;

/**
 * The broker the suite runs against. Selected with {@code -Dbroker.kind=ferry|apache} (default
 * ferry). One instance lives for the whole test JVM; restarts keep its ports and store.
 */
public interface BrokerUnderTest extends AutoCloseable {

    static BrokerUnderTest fromSystemProperties() throws Exception {
        String kind = System.getProperty("broker.kind", "ferry");
        BrokerLayout layout = BrokerLayout.allocate(InteropPaths.workDir(), kind);
        return switch (kind) {
            case "ferry" -> new FerryBroker(layout);
            case "apache" -> new ApacheBroker(layout);
            default -> throw new IllegalArgumentException("broker.kind must be ferry or apache, not " + kind);
        };
    }

    /** Starts the broker (on its existing store, if it ran before) and waits until it is ready. */
    void start() throws Exception;

    /** Graceful stop (SIGTERM) of the broker, waiting for its exit. */
    void stop() throws Exception;

    /** Crash: SIGKILL of the broker process. */
    void kill() throws Exception;

    default void restart() throws Exception {
        stop();
        start();
    }

    BrokerLayout layout();

    default String namesrvAddr() {
        return layout().namesrvAddr();
    }

    default String brokerAddr() {
        return layout().brokerAddr();
    }

    /** The end of the broker's log, to attach to failures. */
    String logTail(int lines);

    /** Stops everything this broker started (name server included). */
    @Override
    void close() throws Exception;
}
