package io.ferrymq.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.ferrymq.interop.broker.RemotingProbe;
import io.ferrymq.interop.broker.SharedStoreBrokers;
import io.ferrymq.interop.broker.SharedStoreBrokers.Kind;
import io.ferrymq.interop.support.Await;
import io.ferrymq.interop.support.Clients;
import io.ferrymq.interop.support.Names;
import io.ferrymq.interop.support.Received;
import io.ferrymq.interop.support.SendRecord;
import io.ferrymq.interop.support.TestMessages;
import io.ferrymq.interop.support.TopicAdmin;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.apache.rocketmq.client.QueryResult;
import org.apache.rocketmq.client.consumer.DefaultMQPullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.PullResult;
import org.apache.rocketmq.client.consumer.PullStatus;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.MQVersion;
import org.apache.rocketmq.common.UtilAll;
import org.apache.rocketmq.common.admin.ConsumeStats;
import org.apache.rocketmq.common.admin.OffsetWrapper;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.common.protocol.route.QueueData;
import org.apache.rocketmq.common.protocol.route.TopicRouteData;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Store portability, both directions: one broker writes a store (messages with tags and keys on
 * four queues, batches among them, a consumer group's offsets committed halfway) and stops
 * gracefully; the other implementation starts on the SAME store directory (same brokerName,
 * cluster, ports, file sizes, one broker.conf) and must serve all of it to the official client,
 * keep the group's offsets, answer key queries from the index, deliver a delayed message parked
 * by the writer, and append after it. The way back (Ferry, Apache, Ferry again) is a third test.
 *
 * <p>Against Ferry ({@code -Dbroker.kind=ferry}, the default) the tests are Ferry to Apache and
 * Apache to Ferry. With {@code -Dbroker.kind=apache} Apache plays both parts, which validates the
 * test itself (add {@code -Djunit.jupiter.conditions.deactivate=org.junit.*DisabledCondition} to
 * include the disabled one). Runs in the JSON-header execution only: the store does not depend on the client's
 * header type, and each test starts two brokers (Apache with its name server).
 *
 * <p>The stores are small on purpose (256 KiB CommitLog files, 200-unit ConsumeQueue files, small
 * IndexFiles) so that both brokers' handling of several files, end-of-file blanks and file names
 * is exercised. On failure the store and the logs stay in {@code target/brokers/portability-*}.
 */
class StorePortabilityTest {
    /** Same sizes for both implementations; Apache 4.9 spells the keys with "mapped". */
    private static final Map<String, String> STORE_SETTINGS = Map.of(
            "mappedFileSizeCommitLog", String.valueOf(256 * 1024),
            "mappedFileSizeConsumeQueue", String.valueOf(200 * 20),
            "maxMessageSize", String.valueOf(64 * 1024),
            "maxHashSlotNum", "5000",
            "maxIndexNum", "20000");

    private static final int QUEUES = 4;
    private static final int SINGLES = 1600;
    private static final int BATCH_SIZE = 100; // one batch per queue: 1600 + 4 x 100 = 2000
    private static final String[] TAGS = {"TagA", "TagB", "TagC"};
    private static final Duration RECEIVE_TIMEOUT = Duration.ofSeconds(20);
    /** Level 3 = 10 s: due after the writer has stopped, while the reader runs. */
    private static final int DELAY_LEVEL = 3;
    private static final Duration DELAY_TIMEOUT = Duration.ofSeconds(25);

    private Names names;
    private SharedStoreBrokers brokers;
    private String topic;
    private String group;
    /** A one-queue topic that receives one delayed message, sent by the writer just before it stops. */
    private String delayedTopic;
    private String delayedKey;
    private boolean passed;
    private long startedAt;
    private long writerStoppedAtMillis;

    /** What the writer acknowledged, and the tag each key was sent with. */
    private final Map<String, SendRecord> sent = new LinkedHashMap<>();
    private final Map<String, String> tagOf = new HashMap<>();

    @BeforeEach
    void setUp(TestInfo info) throws IOException {
        assumeFalse("ROCKETMQ".equals(System.getProperty("interop.serializeType")),
                "store portability runs once, in the JSON-header execution");
        // The Apache broker here is 4.9: it would store the messages of a RocketMQ 5 client's
        // batches with the batch's UNIQ_KEY (see ProducerInteropTest.batchSend).
        assumeFalse(MQVersion.CURRENT_VERSION >= MQVersion.Version.V5_0_0.ordinal(),
                "store portability runs with the RocketMQ 4.9 client");
        names = Names.forTest(info);
        brokers = SharedStoreBrokers.allocate("portability", STORE_SETTINGS);
        topic = names.topic();
        group = names.group("C");
        delayedTopic = names.topic();
        delayedKey = names.keyPrefix() + "-delayed";
        startedAt = System.nanoTime();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (brokers == null) {
            return;
        }
        brokers.close();
        if (passed) {
            brokers.deleteStore();
        } else {
            System.err.println("store and logs kept in " + brokers.layout().dir());
        }
    }

    @Test
    void ferryStoreIsServedByApache() throws Exception {
        portStore(underTest(), Kind.APACHE, false);
    }

    @Test
    void apacheStoreIsServedByFerry() throws Exception {
        portStore(Kind.APACHE, underTest(), false);
    }

    /**
     * The way back: Ferry writes, Apache serves and appends, then Ferry must serve the store again,
     * Apache's appends included. Once this passes, {@link #ferryStoreIsServedByApache} is its first
     * half and can go (the class stays within a minute).
     */
    @Test
    void ferryServesItsStoreAgainAfterApacheAppended() throws Exception {
        portStore(underTest(), Kind.APACHE, true);
    }

    /** The implementation under test ({@code broker.kind}); Apache plays it in validation runs. */
    private static Kind underTest() {
        return Kind.of(System.getProperty("broker.kind", "ferry"));
    }

    private void portStore(Kind writer, Kind reader, boolean andBack) throws Exception {
        Map<Integer, Long> half = write(writer);
        assertCleanShutdown(writer);
        Map<Integer, Long> committed = read(reader, half);
        if (andBack) {
            assertCleanShutdown(reader);
            readAgain(writer, committed);
        }
        passed = true;
    }

    // ---- the writer ----

    /** Produces the messages, commits the group halfway on every queue, stops; returns the commits. */
    private Map<Integer, Long> write(Kind writer) throws Exception {
        brokers.start(writer);
        phase(writer + " started on an empty store");
        Map<Integer, Long> half = new TreeMap<>();
        try (Clients clients = new Clients(brokers.layout().namesrvAddr())) {
            TopicAdmin topics = new TopicAdmin(clients.admin(), brokers.layout().clusterName());
            topics.create(topic, QUEUES);
            topics.create(delayedTopic, 1);
            DefaultMQProducer producer = clients.producer(names.group("P"));
            for (int i = 0; i < SINGLES; i++) {
                if (i == SINGLES / 2) {
                    for (int q = 0; q < QUEUES; q++) { // batches in the middle, singles after them
                        sendBatch(producer, q, names.keyPrefix() + "-w-b" + q, BATCH_SIZE);
                    }
                }
                sendSingle(producer, i % QUEUES, names.keyPrefix() + "-w-" + i, TAGS[i % TAGS.length]);
            }
            assertEquals(SINGLES + QUEUES * BATCH_SIZE, sent.size(), "messages acknowledged by " + writer);
            phase(sent.size() + " messages produced");

            Map<Integer, Long> end = endOffsets(sent.values());
            end.forEach((q, n) -> half.put(q, n / 2));
            commitOffsets(clients, half);

            Message delayed = TestMessages.create(delayedTopic, "TagDelayed", delayedKey);
            delayed.setDelayTimeLevel(DELAY_LEVEL);
            SendRecord.of(delayed, producer.send(delayed, new MessageQueue(delayedTopic,
                    brokers.layout().brokerName(), 0)));
        } catch (Throwable e) {
            throw withLog(writer, "writing the store", e);
        }
        brokers.stop();
        writerStoppedAtMillis = System.currentTimeMillis();
        phase(writer + " stopped");
        return half;
    }

    private void sendSingle(DefaultMQProducer producer, int queueId, String key, String tag) throws Exception {
        Message message = TestMessages.create(topic, tag, key);
        record(message, SendRecord.of(message, producer.send(message, queue(queueId))), tag);
    }

    private void sendBatch(DefaultMQProducer producer, int queueId, String keyPrefix, int size) throws Exception {
        List<Message> batch = new ArrayList<>(size);
        for (int j = 0; j < size; j++) {
            batch.add(TestMessages.create(topic, TAGS[j % TAGS.length], keyPrefix + "-" + j));
        }
        List<SendRecord> records = SendRecord.ofBatch(batch, producer.send(batch, queue(queueId)));
        for (int j = 0; j < size; j++) {
            record(batch.get(j), records.get(j), TAGS[j % TAGS.length]);
        }
    }

    private void record(Message message, SendRecord record, String tag) {
        assertTrue(sent.put(message.getKeys(), record) == null, "key sent twice: " + message.getKeys());
        tagOf.put(message.getKeys(), tag);
    }

    /**
     * The group's offsets, committed the way the client's offset store does it (UPDATE_CONSUMER_OFFSET),
     * by a consumer that has sent its heartbeat, so the broker also knows the group and its retry topic.
     */
    @SuppressWarnings("deprecation")
    private void commitOffsets(Clients clients, Map<Integer, Long> offsets) throws Exception {
        DefaultMQPullConsumer consumer = new DefaultMQPullConsumer(group);
        consumer.setNamesrvAddr(brokers.layout().namesrvAddr());
        consumer.setInstanceName("portability-" + ProcessHandle.current().pid() + "-" + group);
        consumer.setRegisterTopics(Set.of(topic));
        consumer.start();
        try {
            DefaultMQAdminExt admin = clients.admin();
            Await.until("the route of %RETRY%" + group + " (created by the group's heartbeat)", Duration.ofSeconds(15),
                    () -> routed(admin, "%RETRY%" + group));
            for (Map.Entry<Integer, Long> e : offsets.entrySet()) {
                consumer.getDefaultMQPullConsumerImpl().getOffsetStore()
                        .updateConsumeOffsetToBroker(queue(e.getKey()), e.getValue(), false);
            }
        } finally {
            consumer.shutdown();
        }
        assertEquals(offsets, committed(offsets.keySet()), "offsets the writer holds for " + group);
    }

    /** A graceful stop leaves no abort marker: the next broker does a normal recovery. */
    private void assertCleanShutdown(Kind writer) throws IOException {
        Path store = brokers.storeDir();
        assertFalse(Files.exists(store.resolve("abort")), writer + " left the abort marker after a graceful stop");
        for (String file : List.of("checkpoint", "config/topics.json", "config/consumerOffset.json",
                "config/subscriptionGroup.json")) {
            assertTrue(Files.isRegularFile(store.resolve(file)), writer + " did not write " + file + ": "
                    + listing(store));
        }
    }

    // ---- the reader ----

    /** Serves, appends, consumes; returns the group's offsets as its consumer left them. */
    private Map<Integer, Long> read(Kind reader, Map<Integer, Long> half) throws Exception {
        try {
            brokers.start(reader);
        } catch (Throwable e) {
            throw withLog(reader, "starting on the other broker's store", e);
        }
        phase(reader + " started on the store");
        Map<Integer, Long> committed;
        try (Clients clients = new Clients(brokers.layout().namesrvAddr())) {
            DefaultMQAdminExt admin = clients.admin();
            assertRoute(admin);
            assertEveryMessageServed(clients, reader);
            assertTagFilter(clients);
            assertGroupOffsets(admin, half);
            assertKeyQueries(admin);
            phase("store verified");

            appendAndCheck(clients, "r");
            phase("appended");

            committed = assertGroupContinues(clients, half);
            assertFreshGroupReadsEverything(clients);
            phase("consumed");
            boolean byReader = assertDelayedDelivered(clients, reader);
            phase("delayed message delivered by the " + (byReader ? "reader" : "writer"));
        } catch (Throwable e) {
            throw withLog(reader, "serving the other broker's store", e);
        }
        brokers.stop();
        phase(reader + " stopped");
        return committed;
    }

    /**
     * Back on the writer's implementation after the other one appended: every message (the other's
     * too) is served, the group's offsets are the ones its consumer committed there, appends go on.
     */
    private void readAgain(Kind writer, Map<Integer, Long> committed) throws Exception {
        try {
            brokers.start(writer);
        } catch (Throwable e) {
            throw withLog(writer, "starting again on the store after the other broker appended", e);
        }
        phase(writer + " started again on the store");
        try (Clients clients = new Clients(brokers.layout().namesrvAddr())) {
            assertRoute(clients.admin());
            assertEveryMessageServed(clients, writer);
            assertEquals(committed, committed(committed.keySet()), "QUERY_CONSUMER_OFFSET for " + group);
            appendAndCheck(clients, "w2");
            phase("store verified and appended to");
        } catch (Throwable e) {
            throw withLog(writer, "serving the store again after the other broker appended", e);
        }
        brokers.stop();
        phase(writer + " stopped");
    }

    /** topics.json came across: the topic is routed with its four queues. */
    private void assertRoute(DefaultMQAdminExt admin) throws Exception {
        TopicRouteData route = admin.examineTopicRouteInfo(topic);
        assertEquals(1, route.getQueueDatas().size(), "brokers serving " + topic);
        QueueData queues = route.getQueueDatas().get(0);
        assertEquals(brokers.layout().brokerName(), queues.getBrokerName(), "broker name");
        assertEquals(QUEUES, queues.getReadQueueNums(), "read queues of " + topic);
        assertEquals(QUEUES, queues.getWriteQueueNums(), "write queues of " + topic);
    }

    /** Pull by offset, every queue from 0: count, queue offsets, ids, bodies, tags, keys, user property. */
    @SuppressWarnings("deprecation")
    private void assertEveryMessageServed(Clients clients, Kind reader) throws Exception {
        DefaultMQPullConsumer consumer = clients.pullConsumer(names.group("R"));
        Map<Integer, Long> expectedEnd = endOffsets(sent.values());
        int port = brokers.layout().brokerPort();
        int seen = 0;
        for (int q = 0; q < QUEUES; q++) {
            MessageQueue mq = queue(q);
            assertEquals(0, consumer.minOffset(mq), "min offset of queue " + q);
            assertEquals(expectedEnd.get(q), consumer.maxOffset(mq), "max offset of queue " + q);
            List<MessageExt> messages = pullAll(consumer, mq, "*", expectedEnd.get(q));
            assertEquals(expectedEnd.get(q), messages.size(), "messages " + reader + " serves from queue " + q);
            for (int i = 0; i < messages.size(); i++) {
                MessageExt m = messages.get(i);
                assertEquals(i, m.getQueueOffset(), "queue offset of message #" + i + " of queue " + q);
                SendRecord record = sent.get(m.getKeys());
                assertNotNull(record, "queue " + q + " offset " + i + " holds " + m.getKeys() + ", which was never sent");
                record.assertMatches(m, port);
                TestMessages.assertIntact(m, tagOf.get(m.getKeys()));
                assertEquals(UtilAll.crc32(m.getBody()), m.getBodyCRC(), "stored BODYCRC of " + m.getKeys());
                seen++;
            }
        }
        assertEquals(sent.size(), seen, "messages served");
    }

    /** Broker-side tag filtering uses the ConsumeQueue's tagsCode, which the writer computed. */
    @SuppressWarnings("deprecation")
    private void assertTagFilter(Clients clients) throws Exception {
        DefaultMQPullConsumer consumer = clients.pullConsumer(names.group("R"));
        for (int q = 0; q < QUEUES; q++) {
            final int queueId = q;
            List<String> expected = sent.values().stream()
                    .filter(r -> r.queueId() == queueId && "TagB".equals(tagOf.get(r.key())))
                    .sorted((a, b) -> Long.compare(a.queueOffset(), b.queueOffset()))
                    .map(SendRecord::key).toList();
            List<String> found = pullAll(consumer, queue(q), "TagB", expected.size()).stream()
                    .map(MessageExt::getKeys).toList();
            assertEquals(expected, found, "TagB messages of queue " + q);
        }
    }

    /** consumerOffset.json came across: examineConsumeStats and QUERY_CONSUMER_OFFSET agree. */
    private void assertGroupOffsets(DefaultMQAdminExt admin, Map<Integer, Long> half) throws Exception {
        assertEquals(half, committed(half.keySet()), "QUERY_CONSUMER_OFFSET for " + group);
        ConsumeStats stats = admin.examineConsumeStats(group);
        Map<Integer, Long> consumerOffsets = new TreeMap<>();
        Map<Integer, Long> brokerOffsets = new TreeMap<>();
        for (Map.Entry<MessageQueue, OffsetWrapper> e : stats.getOffsetTable().entrySet()) {
            if (e.getKey().getTopic().equals(topic)) {
                consumerOffsets.put(e.getKey().getQueueId(), e.getValue().getConsumerOffset());
                brokerOffsets.put(e.getKey().getQueueId(), e.getValue().getBrokerOffset());
            }
        }
        assertEquals(half, consumerOffsets, "examineConsumeStats(" + group + ") consumer offsets");
        assertEquals(endOffsets(sent.values()), brokerOffsets, "examineConsumeStats(" + group + ") broker offsets");
    }

    /** The IndexFile came across: messages are found by key, a single and a batch element. */
    private void assertKeyQueries(DefaultMQAdminExt admin) throws Exception {
        for (String key : List.of(names.keyPrefix() + "-w-7", names.keyPrefix() + "-w-b2-41",
                names.keyPrefix() + "-w-" + (SINGLES - 1))) {
            QueryResult result = admin.queryMessage(topic, key, 32, 0, Long.MAX_VALUE);
            List<String> found = result.getMessageList().stream().map(MessageExt::getKeys).toList();
            assertEquals(List.of(key), found, "messages found by key " + key);
            sent.get(key).assertMatches(result.getMessageList().get(0), brokers.layout().brokerPort());
        }
    }

    /**
     * Appends singles on every queue and a batch ({@code label} keys them): each queue's new messages
     * take the offsets right after what it held, and the max offsets follow.
     */
    private void appendAndCheck(Clients clients, String label) throws Exception {
        Map<Integer, Long> before = endOffsets(sent.values());
        DefaultMQProducer producer = clients.producer(names.group("P"));
        int count = sent.size();
        for (int i = 0; i < 40; i++) {
            sendSingle(producer, i % QUEUES, names.keyPrefix() + "-" + label + "-" + i, TAGS[i % TAGS.length]);
        }
        sendBatch(producer, 1, names.keyPrefix() + "-" + label + "-b", 20);
        List<SendRecord> appended = new ArrayList<>(sent.values()).subList(count, sent.size());
        for (int q = 0; q < QUEUES; q++) {
            final int queueId = q;
            List<Long> offsets = appended.stream().filter(r -> r.queueId() == queueId)
                    .map(SendRecord::queueOffset).sorted().toList();
            List<Long> expected = LongStream.range(before.get(q), before.get(q) + offsets.size())
                    .boxed().toList();
            assertEquals(expected, offsets, "queue offsets of the messages appended to queue " + q);
        }
        assertEquals(endOffsets(sent.values()), maxOffsets(clients), "max offsets after appending");
    }

    /**
     * A push consumer of the group starts at the committed offsets: exactly the rest, once. Returns
     * the offsets it commits when it shuts down (the end of every queue).
     */
    private Map<Integer, Long> assertGroupContinues(Clients clients, Map<Integer, Long> half) throws Exception {
        Set<String> expected = sent.values().stream()
                .filter(r -> r.queueOffset() >= half.get(r.queueId()))
                .map(SendRecord::key).collect(Collectors.toSet());
        Received received = new Received();
        DefaultMQPushConsumer consumer = startPushConsumer(clients, group, received, "continuing");
        received.awaitDistinct(expected.size(), RECEIVE_TIMEOUT);
        Await.pause(300);
        assertEquals(expected, received.keys(), "what " + group + " consumes after its committed offsets");
        assertEquals(List.of(), received.duplicates(), "messages " + group + " consumed twice");
        consumer.shutdown();
        Map<Integer, Long> end = endOffsets(sent.values());
        Await.until("the offsets " + group + " commits at shutdown", Duration.ofSeconds(15),
                () -> end.equals(committedQuietly(end.keySet())), () -> "broker holds " + committedQuietly(end.keySet()));
        return end;
    }

    /** A new group consumes everything, old and new, with the push consumer. */
    private void assertFreshGroupReadsEverything(Clients clients) throws Exception {
        Received received = new Received();
        startPushConsumer(clients, names.group("C"), received, "fresh");
        received.awaitDistinct(sent.size(), RECEIVE_TIMEOUT);
        assertEquals(sent.keySet(), received.keys(), "what a new group consumes");
        for (Received.Delivery d : received.all()) {
            sent.get(d.key()).assertMatches(d.message(), brokers.layout().brokerPort());
            TestMessages.assertIntact(d.message(), tagOf.get(d.key()));
        }
    }

    private DefaultMQPushConsumer startPushConsumer(Clients clients, String consumerGroup, Received received,
            String name) throws Exception {
        DefaultMQPushConsumer consumer = clients.pushConsumer(consumerGroup);
        consumer.subscribe(topic, "*");
        consumer.setConsumeMessageBatchMaxSize(16);
        consumer.setPullBatchSize(64);
        consumer.setMessageListener(received.concurrently(name));
        consumer.start();
        return consumer;
    }

    /**
     * The delayed message, parked in SCHEDULE_TOPIC_XXXX by the writer (whose progress is in
     * delayOffset.json), is delivered to its topic once, intact. Normally the reader delivers it;
     * a writer that took longer than the delay to stop may have delivered it already. Returns
     * whether the reader did (store timestamp after the writer stopped).
     */
    @SuppressWarnings("deprecation")
    private boolean assertDelayedDelivered(Clients clients, Kind reader) throws Exception {
        DefaultMQPullConsumer consumer = clients.pullConsumer(names.group("R"));
        MessageQueue mq = new MessageQueue(delayedTopic, brokers.layout().brokerName(), 0);
        Await.until("delivery of the delayed message by " + reader, DELAY_TIMEOUT,
                () -> delayedQueueMax(consumer, mq) > 0);
        List<MessageExt> delivered = pullAll(consumer, mq, "*", 1);
        assertEquals(List.of(delayedKey), delivered.stream().map(MessageExt::getKeys).toList(),
                "messages in " + delayedTopic);
        TestMessages.assertIntact(delivered.get(0), "TagDelayed");
        // Not compared: the DELAY property of the delivered copy. Apache 4.9 keeps it (its
        // ScheduleMessageService builds the properties string before clearing DELAY), Ferry drops it.
        return delivered.get(0).getStoreTimestamp() >= writerStoppedAtMillis;
    }

    @SuppressWarnings("deprecation")
    private static long delayedQueueMax(DefaultMQPullConsumer consumer, MessageQueue mq) {
        try {
            return consumer.maxOffset(mq);
        } catch (Exception e) {
            throw new AssertionError("max offset of " + mq, e);
        }
    }

    // ---- helpers ----

    private void phase(String what) {
        System.out.printf("[portability %6.1f s] %s%n", (System.nanoTime() - startedAt) / 1e9, what);
    }

    @SuppressWarnings("deprecation")
    private static List<MessageExt> pullAll(DefaultMQPullConsumer consumer, MessageQueue mq, String expression,
            long expected) throws Exception {
        List<MessageExt> found = new ArrayList<>();
        long offset = 0;
        long deadline = System.nanoTime() + RECEIVE_TIMEOUT.toNanos();
        while (true) {
            PullResult result = consumer.pull(mq, expression, offset, 32);
            if (result.getPullStatus() == PullStatus.FOUND) {
                found.addAll(result.getMsgFoundList());
            } else if (result.getPullStatus() == PullStatus.NO_NEW_MSG) {
                break;
            } else if (result.getPullStatus() != PullStatus.NO_MATCHED_MSG) {
                fail("pull of " + mq + " at offset " + offset + ": " + result.getPullStatus()
                        + " (next " + result.getNextBeginOffset() + ", min " + result.getMinOffset()
                        + ", max " + result.getMaxOffset() + ") after " + found.size() + " messages");
            }
            if (result.getNextBeginOffset() <= offset) {
                fail("pull of " + mq + " at offset " + offset + " did not advance: " + result);
            }
            offset = result.getNextBeginOffset();
            if (System.nanoTime() > deadline) {
                fail("pulled " + found.size() + " of " + expected + " messages of " + mq + " before the deadline");
            }
        }
        return found;
    }

    @SuppressWarnings("deprecation")
    private Map<Integer, Long> maxOffsets(Clients clients) throws Exception {
        DefaultMQPullConsumer consumer = clients.pullConsumer(names.group("R"));
        Map<Integer, Long> max = new TreeMap<>();
        for (int q = 0; q < QUEUES; q++) {
            max.put(q, consumer.maxOffset(queue(q)));
        }
        return max;
    }

    private Map<Integer, Long> committed(Set<Integer> queueIds) throws Exception {
        Map<Integer, Long> offsets = new TreeMap<>();
        RemotingProbe probe = RemotingProbe.shared();
        for (int q : queueIds) {
            offsets.put(q, probe.committedOffset(brokers.layout().brokerAddr(), group, topic, q).orElse(-1));
        }
        return offsets;
    }

    private Map<Integer, Long> committedQuietly(Set<Integer> queueIds) {
        try {
            return committed(queueIds);
        } catch (Exception e) {
            throw new AssertionError("QUERY_CONSUMER_OFFSET failed", e);
        }
    }

    private MessageQueue queue(int queueId) {
        return new MessageQueue(topic, brokers.layout().brokerName(), queueId);
    }

    private static boolean routed(DefaultMQAdminExt admin, String topicName) {
        try {
            return admin.examineTopicRouteInfo(topicName) != null;
        } catch (Exception notYet) {
            return false;
        }
    }

    /** Per queue: the offset just past the last acknowledged message. */
    private static Map<Integer, Long> endOffsets(Collection<SendRecord> records) {
        return records.stream().collect(Collectors.toMap(SendRecord::queueId, r -> r.queueOffset() + 1, Math::max,
                TreeMap::new));
    }

    /** The failure with the end of the broker's log (for Apache: its WARN/ERROR lines first). */
    private AssertionError withLog(Kind kind, String doing, Throwable e) {
        return new AssertionError(kind + " failed " + doing + " (store " + brokers.storeDir() + "): " + e + "\n"
                + brokers.logTail(80), e);
    }

    private static String listing(Path root) throws IOException {
        if (!Files.exists(root)) {
            return "(no " + root + ")";
        }
        try (Stream<Path> paths = Files.walk(root)) {
            return paths.map(p -> root.relativize(p).toString()).sorted().collect(Collectors.joining(", "));
        }
    }
}
