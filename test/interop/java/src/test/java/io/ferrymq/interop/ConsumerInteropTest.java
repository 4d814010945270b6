package io.ferrymq.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrymq.interop.support.Await;
import io.ferrymq.interop.support.InteropTestBase;
import io.ferrymq.interop.support.Received;
import io.ferrymq.interop.support.SendRecord;
import io.ferrymq.interop.support.TestMessages;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.rocketmq.client.consumer.DefaultLitePullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.PullResult;
import org.apache.rocketmq.client.consumer.PullStatus;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.junit.jupiter.api.Test;

/** Push (clustering, tags), lite pull and pull consumers. */
class ConsumerInteropTest extends InteropTestBase {

    @Test
    void twoPushConsumersInOneGroupShareTheQueues() throws Exception {
        String topic = createTopic(8);
        String group = names.group("C");
        Received received = new Received();
        List<DefaultMQPushConsumer> consumers = List.of(
                startPushConsumer(group, topic, "*", received.concurrently("a")),
                startPushConsumer(group, topic, "*", received.concurrently("b")));
        Await.until("the two consumers to split the 8 queues", Duration.ofSeconds(20),
                () -> splitsQueues(consumers, topic, 8), () -> "assignments: " + assignments(consumers, topic));

        List<SendRecord> sent = sendSync(producer(), TestMessages.create(topic, "TagPush", names.keyPrefix(), 200));

        received.awaitDistinct(sent.size(), RECEIVE_TIMEOUT);
        Await.pause(500);
        assertEquals(List.of(), received.duplicates(), "messages consumed twice");
        assertEquals(sent.size(), received.total(), "deliveries");
        Map<Integer, Set<String>> consumersByQueue = received.all().stream().collect(Collectors.groupingBy(
                Received.Delivery::queueId, Collectors.mapping(Received.Delivery::consumer, Collectors.toSet())));
        consumersByQueue.forEach((queue, who) -> assertEquals(1, who.size(), "consumers of queue " + queue));
        Set<String> active = consumersByQueue.values().stream().flatMap(Set::stream).collect(Collectors.toSet());
        assertEquals(Set.of("a", "b"), active, "both instances consumed");
    }

    @Test
    void litePullConsumerSubscribesAndPolls() throws Exception {
        String topic = createTopic(4);
        List<SendRecord> sent = sendSync(producer(), TestMessages.create(topic, "TagLite", names.keyPrefix(), 100));
        DefaultLitePullConsumer consumer = clients.litePullConsumer(names.group("C"));
        consumer.subscribe(topic, "*");
        consumer.start();
        Received received = new Received();

        Await.until(sent.size() + " polled messages", RECEIVE_TIMEOUT, () -> {
            received.add("lite", consumer.poll(500));
            return received.distinctKeys() >= sent.size();
        }, () -> "polled " + received.distinctKeys());

        assertEquals(List.of(), received.duplicates(), "messages polled twice");
        assertEquals(keys(sent), received.keys());
        received.byQueue().forEach((queue, deliveries) -> assertIncreasingOffsets(queue, deliveries));
        received.all().forEach(d -> TestMessages.assertIntact(d.message(), "TagLite"));
    }

    @Test
    @SuppressWarnings("deprecation")
    void pullConsumerReadsByOffset() throws Exception {
        String topic = createTopic(2);
        DefaultMQProducer producer = producer();
        List<MessageQueue> queues = sortedQueues(producer.fetchPublishMessageQueues(topic));
        Map<Integer, List<String>> keysByQueue = sendToEachQueue(producer, queues, 20);
        DefaultMQPullConsumer consumer = clients.pullConsumer(names.group("C"));

        for (MessageQueue queue : sortedQueues(consumer.fetchSubscribeMessageQueues(topic))) {
            List<String> keys = keysByQueue.get(queue.getQueueId());
            assertEquals(0, consumer.minOffset(queue), "min offset of " + queue);
            assertEquals(20, consumer.maxOffset(queue), "max offset of " + queue);

            PullResult all = consumer.pull(queue, "*", 0, 32);
            assertFound(all, 0, 20, keys);
            PullResult middle = consumer.pull(queue, "*", 10, 5);
            assertFound(middle, 10, 5, keys);
            PullResult end = consumer.pull(queue, "*", 20, 32);
            assertEquals(PullStatus.NO_NEW_MSG, end.getPullStatus(), "pull at the max offset of " + queue);
            assertEquals(20, end.getNextBeginOffset(), "next offset at the end of " + queue);
            PullResult beyond = consumer.pull(queue, "*", 25, 32);
            assertEquals(PullStatus.OFFSET_ILLEGAL, beyond.getPullStatus(), "pull past the max offset of " + queue);
        }
    }

    @Test
    void tagSubscriptionReceivesOnlyMatchingTags() throws Exception {
        String topic = createTopic(2);
        DefaultMQProducer producer = producer();
        List<MessageQueue> queues = sortedQueues(producer.fetchPublishMessageQueues(topic));
        String[] tags = {"TagA", "TagB", "TagC"};
        Set<String> wanted = new HashSet<>();
        for (int i = 0; i < 30; i++) {
            Message message = TestMessages.create(topic, tags[i % 3], names.keyPrefix() + "-" + i);
            producer.send(message, queues.get(i % queues.size()));
            if (i % 3 != 2) {
                wanted.add(message.getKeys());
            }
        }
        // A TagA last in every queue: once all wanted ones arrived, every TagC was passed over.
        for (MessageQueue queue : queues) {
            Message last = TestMessages.create(topic, "TagA", names.keyPrefix() + "-last-" + queue.getQueueId());
            producer.send(last, queue);
            wanted.add(last.getKeys());
        }
        Received received = new Received();

        startPushConsumer(names.group("C"), topic, "TagA || TagB", received.concurrently("tags"));

        received.awaitDistinct(wanted.size(), RECEIVE_TIMEOUT);
        Await.pause(500);
        assertEquals(wanted, received.keys(), "keys of TagA and TagB messages, and nothing else");
        assertEquals(List.of(), received.duplicates(), "messages consumed twice");
        received.all().forEach(d -> assertTrue(Set.of("TagA", "TagB").contains(d.message().getTags()),
                "tag of " + d.key()));
    }

    private Map<Integer, List<String>> sendToEachQueue(DefaultMQProducer producer, List<MessageQueue> queues,
            int perQueue) throws Exception {
        Map<Integer, List<String>> keysByQueue = new TreeMap<>();
        for (MessageQueue queue : queues) {
            List<String> keys = new ArrayList<>();
            for (int i = 0; i < perQueue; i++) {
                Message message = TestMessages.create(queue.getTopic(), "TagPull",
                        names.keyPrefix() + "-q" + queue.getQueueId() + "-" + i);
                SendRecord record = SendRecord.of(message, producer.send(message, queue));
                assertEquals(i, record.queueOffset(), "queue offset of " + record.key());
                keys.add(record.key());
            }
            keysByQueue.put(queue.getQueueId(), keys);
        }
        return keysByQueue;
    }

    private static void assertFound(PullResult result, int from, int count, List<String> keys) {
        assertEquals(PullStatus.FOUND, result.getPullStatus(), "pull from " + from);
        List<MessageExt> found = result.getMsgFoundList();
        assertEquals(count, found.size(), "messages pulled from " + from);
        for (int i = 0; i < count; i++) {
            assertEquals(from + i, found.get(i).getQueueOffset(), "queue offset");
            assertEquals(keys.get(from + i), found.get(i).getKeys(), "key at offset " + (from + i));
            TestMessages.assertIntact(found.get(i), "TagPull");
        }
        assertEquals(from + count, result.getNextBeginOffset(), "next begin offset after pull from " + from);
    }

    private static void assertIncreasingOffsets(int queue, List<Received.Delivery> deliveries) {
        for (int i = 1; i < deliveries.size(); i++) {
            assertTrue(deliveries.get(i).queueOffset() > deliveries.get(i - 1).queueOffset(),
                    "offsets polled in order on queue " + queue);
        }
    }

    private static boolean splitsQueues(List<DefaultMQPushConsumer> consumers, String topic, int total) {
        List<Set<MessageQueue>> owned = consumers.stream().map(c -> ownedQueues(c, topic)).toList();
        Set<MessageQueue> union = new HashSet<>();
        int sum = 0;
        for (Set<MessageQueue> queues : owned) {
            if (queues.isEmpty()) {
                return false;
            }
            union.addAll(queues);
            sum += queues.size();
        }
        return union.size() == total && sum == total;
    }

    private static String assignments(List<DefaultMQPushConsumer> consumers, String topic) {
        return consumers.stream().map(c -> ownedQueues(c, topic).stream().map(MessageQueue::getQueueId).sorted()
                .toList().toString()).collect(Collectors.joining(" / "));
    }

    private static Set<MessageQueue> ownedQueues(DefaultMQPushConsumer consumer, String topic) {
        return consumer.getDefaultMQPushConsumerImpl().getRebalanceImpl().getProcessQueueTable().entrySet()
                .stream()
                .filter(e -> e.getKey().getTopic().equals(topic) && !e.getValue().isDropped())
                .map(Map.Entry::getKey)
                .collect(Collectors.toSet());
    }

    private static List<MessageQueue> sortedQueues(Collection<MessageQueue> queues) {
        return queues.stream().sorted(Comparator.comparingInt(MessageQueue::getQueueId)).toList();
    }

    private static Set<String> keys(List<SendRecord> sent) {
        return sent.stream().map(SendRecord::key).collect(Collectors.toSet());
    }
}
