package io.ferrymq.interop.broker;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/** Finds free TCP ports below the Linux ephemeral range, so client sockets never take them. */
final class Ports {
    private static final int LOW = 20000;
    private static final int HIGH = 32000;

    private Ports() {
    }

    /**
     * A broker listen port P such that P-2 (VIP channel), P and P+1 (Apache's HA port) are all free,
     * and none of them equals {@code avoid}.
     */
    static int freeBrokerPort(int avoid) {
        for (int attempt = 0; attempt < 500; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(LOW + 2, HIGH - 1);
            if (Math.abs(port - avoid) > 2 && isFree(port - 2) && isFree(port) && isFree(port + 1)) {
                return port;
            }
        }
        throw new IllegalStateException("no free broker port found in " + LOW + ".." + HIGH);
    }

    static int freePort() {
        for (int attempt = 0; attempt < 500; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(LOW, HIGH);
            if (isFree(port)) {
                return port;
            }
        }
        throw new IllegalStateException("no free port found in " + LOW + ".." + HIGH);
    }

    private static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket(port)) {
            socket.setReuseAddress(true);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
