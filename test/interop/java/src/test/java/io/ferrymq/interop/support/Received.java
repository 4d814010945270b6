package io.ferrymq.interop.support;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.ConsumeOrderlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.listener.MessageListenerOrderly;
import org.apache.rocketmq.common.message.MessageExt;

/** Everything the consumers of one test received, in arrival order, with duplicate detection. */
public final class Received {
    /** One delivery of one message to one consumer instance. */
    public record Delivery(String consumer, MessageExt message) {
        public String key() {
            return message.getKeys();
        }

        public int queueId() {
            return message.getQueueId();
        }

        public long queueOffset() {
            return message.getQueueOffset();
        }
    }

    private final ConcurrentLinkedQueue<Delivery> deliveries = new ConcurrentLinkedQueue<>();
    private final Map<String, AtomicInteger> countByKey = new ConcurrentHashMap<>();

    public void add(String consumer, List<MessageExt> messages) {
        for (MessageExt message : messages) {
            deliveries.add(new Delivery(consumer, message));
            countByKey.computeIfAbsent(message.getKeys(), k -> new AtomicInteger()).incrementAndGet();
        }
    }

    public MessageListenerConcurrently concurrently(String consumer) {
        return (messages, context) -> {
            add(consumer, messages);
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        };
    }

    public MessageListenerOrderly orderly(String consumer) {
        return (messages, context) -> {
            add(consumer, messages);
            return ConsumeOrderlyStatus.SUCCESS;
        };
    }

    public int distinctKeys() {
        return countByKey.size();
    }

    public int total() {
        return deliveries.size();
    }

    public Set<String> keys() {
        return Set.copyOf(countByKey.keySet());
    }

    public List<Delivery> all() {
        return new ArrayList<>(deliveries);
    }

    /** Keys delivered more than once. */
    public List<String> duplicates() {
        return countByKey.entrySet().stream()
                .filter(e -> e.getValue().get() > 1)
                .map(Map.Entry::getKey)
                .sorted()
                .limit(20)
                .toList();
    }

    /** Deliveries grouped by queue id, each list in arrival order. */
    public Map<Integer, List<Delivery>> byQueue() {
        return deliveries.stream().collect(Collectors.groupingBy(Delivery::queueId, TreeMap::new, Collectors.toList()));
    }

    public void awaitDistinct(int expected, Duration timeout) {
        Await.until(expected + " distinct messages", timeout, () -> distinctKeys() >= expected,
                () -> "received " + distinctKeys() + " distinct in " + total() + " deliveries");
    }
}
