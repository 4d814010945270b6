package io.ferrymq.interop.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import io.ferrymq.interop.broker.BrokerUnderTest;
import io.ferrymq.interop.broker.RemotingProbe;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.rocketmq.client.consumer.DefaultMQPullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.PullResult;
import org.apache.rocketmq.client.consumer.PullStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListener;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Base of every interop test: the shared broker, per-test clients and names, topic creation, and
 * the send / read-back / offset helpers the tests have in common.
 */
@ExtendWith(BrokerExtension.class)
public abstract class InteropTestBase {
    protected static final Duration RECEIVE_TIMEOUT = Duration.ofSeconds(30);

    protected Names names;
    protected Clients clients;
    private TopicAdmin topics;

    @BeforeEach
    void setUpClients(TestInfo info) {
        names = Names.forTest(info);
        clients = new Clients(broker().namesrvAddr());
    }

    @AfterEach
    void shutDownClients() {
        clients.close();
    }

    protected static BrokerUnderTest broker() {
        return BrokerExtension.broker();
    }

    protected TopicAdmin topics() throws Exception {
        if (topics == null) {
            topics = new TopicAdmin(clients.admin(), broker().layout().clusterName());
        }
        return topics;
    }

    /** A fresh topic with {@code queues} read and write queues, created through the admin API. */
    protected String createTopic(int queues) throws Exception {
        String topic = names.topic();
        topics().create(topic, queues);
        return topic;
    }

    protected DefaultMQProducer producer() throws Exception {
        return clients.producer(names.group("P"));
    }

    /** A started push consumer of {@code topic} in {@code group}. */
    protected DefaultMQPushConsumer startPushConsumer(String group, String topic, String expression,
            MessageListener listener) throws Exception {
        DefaultMQPushConsumer consumer = clients.pushConsumer(group);
        consumer.subscribe(topic, expression);
        consumer.setMessageListener(listener);
        consumer.start();
        return consumer;
    }

    protected static List<SendRecord> sendSync(DefaultMQProducer producer, List<Message> messages) throws Exception {
        List<SendRecord> records = new ArrayList<>(messages.size());
        for (Message message : messages) {
            records.add(SendRecord.of(message, producer.send(message)));
        }
        return records;
    }

    /** Reads every message of the topic from offset 0 with a pull consumer, sorted by queue and offset. */
    @SuppressWarnings("deprecation")
    protected List<MessageExt> readBack(String topic, int expected) throws Exception {
        DefaultMQPullConsumer reader = clients.pullConsumer(names.group("R"));
        Map<MessageQueue, Long> next = new HashMap<>();
        for (MessageQueue queue : reader.fetchSubscribeMessageQueues(topic)) {
            next.put(queue, 0L);
        }
        List<MessageExt> found = new ArrayList<>();
        long deadline = System.nanoTime() + RECEIVE_TIMEOUT.toNanos();
        while (found.size() < expected) {
            boolean progressed = false;
            for (Map.Entry<MessageQueue, Long> entry : next.entrySet()) {
                PullResult result = reader.pull(entry.getKey(), "*", entry.getValue(), 32);
                if (result.getPullStatus() == PullStatus.FOUND) {
                    found.addAll(result.getMsgFoundList());
                    entry.setValue(result.getNextBeginOffset());
                    progressed = true;
                }
            }
            if (!progressed) {
                if (System.nanoTime() > deadline) {
                    fail("read back " + found.size() + " of " + expected + " messages of " + topic);
                }
                Await.pause(100);
            }
        }
        found.sort(Comparator.comparingInt(MessageExt::getQueueId).thenComparingLong(MessageExt::getQueueOffset));
        return found;
    }

    /** Every acknowledged message is stored once, intact, where the broker said it is. */
    protected void assertStoredAsSent(Collection<SendRecord> sent, List<MessageExt> stored, String tag) {
        assertEquals(sent.size(), stored.size(), "number of stored messages");
        Map<String, SendRecord> byKey = sent.stream().collect(Collectors.toMap(SendRecord::key, Function.identity()));
        for (MessageExt message : stored) {
            SendRecord record = byKey.remove(message.getKeys());
            assertNotNull(record, "stored message " + message.getKeys() + " was not sent, or is stored twice");
            record.assertMatches(message, broker().layout().brokerPort());
            TestMessages.assertIntact(message, tag);
        }
    }

    /** Offsets the broker holds for {@code group}, by queue id (-1 where it holds none). */
    protected Map<Integer, Long> committedOffsets(String group, String topic, Collection<Integer> queueIds)
            throws Exception {
        Map<Integer, Long> offsets = new TreeMap<>();
        RemotingProbe probe = RemotingProbe.shared();
        for (int queueId : queueIds) {
            offsets.put(queueId, probe.committedOffset(broker().brokerAddr(), group, topic, queueId).orElse(-1));
        }
        return offsets;
    }

    /** Per queue: the offset just past the last acknowledged message (what a consumer commits at the end). */
    protected static Map<Integer, Long> endOffsets(Collection<SendRecord> sent) {
        return sent.stream().collect(Collectors.toMap(SendRecord::queueId, r -> r.queueOffset() + 1, Math::max,
                TreeMap::new));
    }
}
