package io.ferrymq.interop.support;

import io.ferrymq.interop.broker.BrokerUnderTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts the broker under test once per test JVM (before the first test class) and stops it
 * gracefully when the whole run ends. The store is deleted afterwards; logs are kept.
 */
public final class BrokerExtension implements BeforeAllCallback {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(BrokerExtension.class);
    private static volatile BrokerUnderTest broker;

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent(Running.class, key -> Running.start(), Running.class);
    }

    public static BrokerUnderTest broker() {
        if (broker == null) {
            throw new IllegalStateException("broker not started");
        }
        return broker;
    }

    private record Running(BrokerUnderTest instance) implements ExtensionContext.Store.CloseableResource {
        static Running start() {
            try {
                BrokerUnderTest started = BrokerUnderTest.fromSystemProperties();
                started.start();
                broker = started;
                return new Running(started);
            } catch (Exception e) {
                throw new IllegalStateException("broker under test did not start", e);
            }
        }

        @Override
        public void close() throws Exception {
            broker = null;
            instance.close();
            deleteTree(instance.layout().storeDir());
        }

        private static void deleteTree(Path root) throws Exception {
            if (!Files.exists(root)) {
                return;
            }
            try (Stream<Path> paths = Files.walk(root)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(path);
                }
            }
        }
    }
}
