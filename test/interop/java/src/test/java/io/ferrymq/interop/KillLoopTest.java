package io.ferrymq.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ferrymq.interop.support.Await;
import io.ferrymq.interop.support.InteropTestBase;
import io.ferrymq.interop.support.SendRecord;
import io.ferrymq.interop.support.TestMessages;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.apache.rocketmq.client.consumer.DefaultMQPullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.PullResult;
import org.apache.rocketmq.client.consumer.PullStatus;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * "Nothing acknowledged is ever lost", with the broker killed (SIGKILL) at random moments while
 * several threads send synchronously. Each flush mode: {@link #CYCLES} times, wait until a send is
 * acknowledged after the (re)start, let the senders run 200–1500 ms more, kill -9 the broker and
 * start it again on the same store. At the end every acknowledged message must be stored exactly
 * once where the broker said (queue, queue offset, offsetMsgId), intact, each queue dense from
 * offset 0 (read with a pull consumer), nothing stored that was never sent, and every acknowledged
 * message consumable by a push consumer.
 *
 * <p>The flush mode is a store setting: the test rewrites {@code flushDiskType} in the shared broker's
 * conf file, restarts it, and restores the file and restarts it again at the end. The producer does
 * not retry ({@code retryTimesWhenSendFailed=0}), so an acknowledged message was stored by one
 * attempt and a second copy of it would be the broker's fault. Sends that failed or were not
 * answered SEND_OK may or may not be stored, but at most once.
 *
 * <p>{@code -DkillLoop.cycles=N} and {@code -DkillLoop.seed=S} change the number of kills per mode
 * and the random delays (the seed is printed, so a failing run can be repeated).
 */
@Timeout(value = 170, unit = TimeUnit.SECONDS)
class KillLoopTest extends InteropTestBase {
    private static final int CYCLES = Integer.getInteger("killLoop.cycles", 10);
    private static final int SENDERS = 4;
    private static final int QUEUES = 4;
    private static final String TAG = "TagKill";
    private static final Duration FIRST_ACK_TIMEOUT = Duration.ofSeconds(30);

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void syncFlushLosesNothingAcknowledgedAcrossKills() throws Exception {
        withFlushDiskType("SYNC_FLUSH", this::killLoop);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void asyncFlushLosesNothingAcknowledgedAcrossKills() throws Exception {
        withFlushDiskType("ASYNC_FLUSH", this::killLoop);
    }

    private interface Body {
        void run(String flushDiskType) throws Exception;
    }

    /** Runs {@code body} with the broker restarted in {@code mode}; puts the original conf back afterwards. */
    private void withFlushDiskType(String mode, Body body) throws Exception {
        Path conf = broker().layout().dir().resolve("broker.conf");
        String original = Files.readString(conf, StandardCharsets.UTF_8);
        assertTrue(original.contains("flushDiskType="), "the shared broker's conf sets flushDiskType: " + conf);
        String changed = original.replaceAll("(?m)^flushDiskType=.*$", "flushDiskType=" + mode);
        boolean switched = !changed.equals(original);
        if (switched) {
            broker().stop();
            Files.writeString(conf, changed, StandardCharsets.UTF_8);
            broker().start();
        }
        try {
            body.run(mode);
        } finally {
            if (switched) {
                try {
                    broker().stop();
                } catch (Exception alreadyDead) {
                    // killed and not restarted (a failed start): nothing to stop
                }
                Files.writeString(conf, original, StandardCharsets.UTF_8);
                broker().start();
            }
        }
    }

    private void killLoop(String mode) throws Exception {
        long seed = Long.getLong("killLoop.seed", System.nanoTime());
        Random random = new Random(seed);
        String topic = createTopic(QUEUES);
        System.out.printf("kill loop %s: topic %s, %d cycles, seed %d%n", mode, topic, CYCLES, seed);

        DefaultMQProducer producer = clients.producer(names.group("P"));
        producer.setRetryTimesWhenSendFailed(0);
        producer.setSendMsgTimeout(3000);
        Senders senders = new Senders(producer, topic, names.keyPrefix());
        senders.start();
        List<String> cycleLog = new ArrayList<>();
        try {
            long startMillis = 0;
            for (int cycle = 0; cycle < CYCLES; cycle++) {
                long ackedBefore = senders.acked.size();
                long t0 = System.nanoTime();
                Await.until("a send acknowledged after start " + cycle, FIRST_ACK_TIMEOUT,
                        () -> senders.acked.size() > ackedBefore,
                        () -> senders.describe() + "\n" + broker().logTail(30));
                long firstAckMillis = (System.nanoTime() - t0) / 1_000_000;
                long delay = 200 + random.nextInt(1301);
                Await.pause(delay);
                broker().kill();
                cycleLog.add("cycle " + cycle + ": start " + startMillis + " ms, first ack " + firstAckMillis
                        + " ms later, killed " + delay + " ms after it; acked so far " + senders.acked.size()
                        + ", failed sends " + senders.failures.get());
                long t1 = System.nanoTime();
                broker().start();
                startMillis = (System.nanoTime() - t1) / 1_000_000;
            }
            long ackedBefore = senders.acked.size();
            Await.until("a send acknowledged after the last restart", FIRST_ACK_TIMEOUT,
                    () -> senders.acked.size() > ackedBefore, senders::describe);
        } finally {
            senders.stop();
        }
        cycleLog.forEach(System.out::println);
        System.out.printf("kill loop %s: %d acknowledged, %d attempted, %d failed, %d answered but not SEND_OK %s%n",
                mode, senders.acked.size(), senders.attempted.size(), senders.failures.get(),
                senders.notOk.size(), senders.notOk.stream().limit(5).toList());
        assertTrue(senders.acked.size() > CYCLES, "acknowledged sends: " + senders.acked.size());

        assertEveryAcknowledgedStoredOnce(mode, topic, senders);
        assertConsumable(topic, senders);
    }

    /**
     * Reads every queue back and checks each message as it arrives, keeping only where each key is
     * stored: a quick host acknowledges hundreds of thousands of messages in a loop, too many to
     * hold as MessageExt objects.
     */
    private void assertEveryAcknowledgedStoredOnce(String mode, String topic, Senders senders) throws Exception {
        Map<String, SendRecord> ackedByKey = new HashMap<>();
        senders.acked.forEach(record -> ackedByKey.put(record.key(), record));
        Map<String, String> whereByKey = new HashMap<>();
        List<String> problems = new ArrayList<>();
        Map<Integer, Long> storedPerQueue = readEveryQueue(topic, message -> {
            String key = message.getKeys();
            String where = where(message);
            if (!senders.attempted.contains(key)) {
                problems.add("stored but never sent: " + key + " at " + where);
            }
            String earlier = whereByKey.putIfAbsent(key, where);
            if (earlier != null) {
                problems.add("stored more than once: " + key + " at " + earlier + " and " + where);
                return;
            }
            SendRecord record = ackedByKey.get(key);
            if (record == null) {
                return;
            }
            try {
                record.assertMatches(message, broker().layout().brokerPort());
                TestMessages.assertIntact(message, TAG);
            } catch (AssertionError mismatch) {
                problems.add("acknowledged " + record + " but stored as " + where + ": " + mismatch.getMessage());
            }
        });
        int lost = 0;
        for (SendRecord record : senders.acked) {
            if (!whereByKey.containsKey(record.key())) {
                lost++;
                problems.add("acknowledged but lost: " + record);
            }
        }
        if (!problems.isEmpty()) {
            fail(mode + ": " + problems.size() + " problem(s), " + lost + " of " + senders.acked.size()
                    + " acknowledged messages lost; first ones:\n  "
                    + problems.stream().limit(25).collect(Collectors.joining("\n  "))
                    + "\nstored per queue: " + storedPerQueue
                    + "\n" + broker().logTail(40));
        }
    }

    /**
     * Pulls each queue from offset 0 to its max offset, handing every message to {@code check}; the
     * offsets must be dense. Returns how many messages each queue holds.
     */
    @SuppressWarnings("deprecation")
    private Map<Integer, Long> readEveryQueue(String topic, Consumer<MessageExt> check) throws Exception {
        DefaultMQPullConsumer reader = clients.pullConsumer(names.group("R"));
        List<MessageQueue> queues = reader.fetchSubscribeMessageQueues(topic).stream()
                .sorted(Comparator.comparingInt(MessageQueue::getQueueId)).toList();
        assertEquals(QUEUES, queues.size(), "queues of " + topic);
        Map<Integer, Long> perQueue = new TreeMap<>();
        for (MessageQueue queue : queues) {
            long min = reader.minOffset(queue);
            long max = reader.maxOffset(queue);
            assertEquals(0, min, "min offset of " + queue);
            long offset = 0;
            long deadline = System.nanoTime() + RECEIVE_TIMEOUT.toNanos();
            while (offset < max) {
                PullResult result = reader.pull(queue, "*", offset, 32);
                if (result.getPullStatus() != PullStatus.FOUND) {
                    if (System.nanoTime() > deadline) {
                        fail("pull of " + queue + " at " + offset + " (max " + max + ") answers "
                                + result.getPullStatus() + ", next " + result.getNextBeginOffset());
                    }
                    Await.pause(100);
                    continue;
                }
                for (MessageExt message : result.getMsgFoundList()) {
                    assertEquals(offset, message.getQueueOffset(), "queue offsets of " + queue
                            + " are dense: message " + message.getKeys() + " after offset " + (offset - 1));
                    check.accept(message);
                    offset++;
                }
                assertEquals(offset, result.getNextBeginOffset(), "next begin offset of " + queue);
            }
            PullResult end = reader.pull(queue, "*", max, 32);
            assertEquals(PullStatus.NO_NEW_MSG, end.getPullStatus(), "pull at the max offset " + max + " of " + queue);
            perQueue.put(queue.getQueueId(), offset);
        }
        return perQueue;
    }

    private static String where(MessageExt m) {
        return "q" + m.getQueueId() + "/" + m.getQueueOffset() + " (phy " + m.getCommitLogOffset() + ")";
    }

    /** Every acknowledged message reaches a push consumer (only keys are kept, see above). */
    private void assertConsumable(String topic, Senders senders) throws Exception {
        Set<String> acked = senders.acked.stream().map(SendRecord::key).collect(Collectors.toSet());
        Set<String> received = ConcurrentHashMap.newKeySet();
        DefaultMQPushConsumer consumer = clients.pushConsumer(names.group("C"));
        consumer.subscribe(topic, "*");
        consumer.setConsumeMessageBatchMaxSize(16);
        consumer.setPullBatchSize(64);
        consumer.setMessageListener((MessageListenerConcurrently) (messages, context) -> {
            messages.forEach(m -> received.add(m.getKeys()));
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        consumer.start();
        Await.until("a push consumer to receive all " + acked.size() + " acknowledged messages", Duration.ofSeconds(45),
                () -> received.containsAll(acked),
                () -> "received " + received.size() + " distinct; missing e.g. "
                        + acked.stream().filter(k -> !received.contains(k)).limit(5).toList());
        consumer.shutdown();
    }

    /** {@link #SENDERS} threads sending synchronously until stopped; every outcome recorded. */
    private static final class Senders {
        final ConcurrentLinkedQueue<SendRecord> acked = new ConcurrentLinkedQueue<>();
        final Set<String> attempted = ConcurrentHashMap.newKeySet();
        final ConcurrentLinkedQueue<String> notOk = new ConcurrentLinkedQueue<>();
        final AtomicLong failures = new AtomicLong();
        final ConcurrentLinkedQueue<String> lastErrors = new ConcurrentLinkedQueue<>();
        private final DefaultMQProducer producer;
        private final String topic;
        private final String keyPrefix;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final ExecutorService pool = Executors.newFixedThreadPool(SENDERS);
        private final List<Future<?>> futures = new ArrayList<>();

        Senders(DefaultMQProducer producer, String topic, String keyPrefix) {
            this.producer = producer;
            this.topic = topic;
            this.keyPrefix = keyPrefix;
        }

        void start() {
            for (int t = 0; t < SENDERS; t++) {
                int thread = t;
                futures.add(pool.submit(() -> send(thread)));
            }
        }

        private void send(int thread) {
            for (long seq = 0; running.get(); seq++) {
                String key = keyPrefix + "-t" + thread + "-" + seq;
                Message message = TestMessages.create(topic, TAG, key);
                attempted.add(key);
                try {
                    SendResult result = producer.send(message);
                    if (result.getSendStatus() == SendStatus.SEND_OK) {
                        acked.add(new SendRecord(key, result.getMsgId(), result.getOffsetMsgId(),
                                result.getMessageQueue().getQueueId(), result.getQueueOffset()));
                    } else {
                        notOk.add(key + ":" + result.getSendStatus());
                    }
                } catch (Exception e) {
                    failures.incrementAndGet();
                    lastErrors.add(e.getClass().getSimpleName() + ": " + e.getMessage());
                    while (lastErrors.size() > 5) {
                        lastErrors.poll();
                    }
                    pauseQuietly(50);
                }
            }
        }

        void stop() throws Exception {
            running.set(false);
            pool.shutdown();
            if (!pool.awaitTermination(15, TimeUnit.SECONDS)) {
                pool.shutdownNow();
            }
            for (Future<?> f : futures) {
                if (f.isDone() && !f.isCancelled()) {
                    f.get();
                }
            }
        }

        String describe() {
            return "acked " + acked.size() + ", failed " + failures.get() + ", last errors " + lastErrors;
        }

        private static void pauseQuietly(long millis) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
