package io.ferrymq.interop.broker;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

/** Polls, with a deadline, until a started process serves what the tests need. */
final class Readiness {
    private static final long POLL_MILLIS = 200;

    private Readiness() {
    }

    static void awaitPort(ManagedProcess process, int port, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!portOpen(port)) {
            checkProgress(process, "port " + port, timeout, deadline);
            Thread.sleep(POLL_MILLIS);
        }
    }

    /** The broker port accepts connections and the name server routes TBW102. */
    static void awaitBroker(ManagedProcess process, BrokerLayout layout, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        RemotingProbe probe = RemotingProbe.shared();
        while (!(portOpen(layout.brokerPort()) && probe.routeExists(layout.namesrvAddr(), "TBW102"))) {
            checkProgress(process, "broker port " + layout.brokerPort() + " and route of TBW102 via "
                    + layout.namesrvAddr(), timeout, deadline);
            Thread.sleep(POLL_MILLIS);
        }
    }

    private static void checkProgress(ManagedProcess process, String what, Duration timeout, long deadline)
            throws InterruptedException {
        if (!process.isAlive()) {
            throw new IllegalStateException(process.name() + " exited with " + process.exitValue()
                    + " before serving " + what + "\n" + process.logTail(60));
        }
        if (System.nanoTime() > deadline) {
            process.kill();
            throw new IllegalStateException(process.name() + " did not serve " + what + " within " + timeout
                    + "; killed.\n" + process.logTail(60));
        }
    }

    private static boolean portOpen(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
