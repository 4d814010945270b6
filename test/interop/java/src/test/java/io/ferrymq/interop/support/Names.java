package io.ferrymq.interop.support;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.TestInfo;

/** Unique topic and group names for one test, readable in broker logs. */
public final class Names {
    private final String stem;
    private final AtomicInteger sequence = new AtomicInteger();

    private Names(String stem) {
        this.stem = stem;
    }

    public static Names forTest(TestInfo info) {
        String method = info.getTestMethod().map(m -> m.getName()).orElse("test").replaceAll("[^A-Za-z0-9_-]", "");
        if (method.length() > 48) {
            method = method.substring(0, 48);
        }
        return new Names(method + "_" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xFFFFFF)));
    }

    public String topic() {
        return "T_" + stem + "_" + sequence.incrementAndGet();
    }

    /** A group name; {@code role} tells producers ("P"), consumers ("C") etc. apart. */
    public String group(String role) {
        return role + "G_" + stem + "_" + sequence.incrementAndGet();
    }

    public String keyPrefix() {
        return stem;
    }
}
