package io.ferrymq.interop.broker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Reads the end of a log file for failure messages. */
final class LogFiles {
    private LogFiles() {
    }

    static String tail(Path log, int lines) {
        if (!Files.exists(log)) {
            return "(no " + log + ")";
        }
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            List<String> tail = all.subList(Math.max(0, all.size() - lines), all.size());
            return "--- last " + tail.size() + " lines of " + log + " ---\n" + String.join("\n", tail);
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }
}
