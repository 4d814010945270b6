package io.ferrymq.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ferrymq.interop.support.Await;
import io.ferrymq.interop.support.InteropTestBase;
import io.ferrymq.interop.support.Received;
import io.ferrymq.interop.support.SendRecord;
import io.ferrymq.interop.support.TestMessages;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * 10,000 messages: each received exactly once, and every queue delivered in the order it was
 * written (sent order = queue offset order = consumption order, checked with an orderly consumer).
 */
class VolumeInteropTest extends InteropTestBase {
    private static final int QUEUES = 8;
    private static final int PER_QUEUE = 1250;
    private static final int SENDERS = 4;

    @Test
    @Timeout(120)
    void tenThousandMessagesArriveExactlyOnceInQueueOrder() throws Exception {
        String topic = createTopic(QUEUES);
        Received received = new Received();
        DefaultMQPushConsumer consumer = clients.pushConsumer(names.group("C"));
        consumer.subscribe(topic, "*");
        consumer.setConsumeMessageBatchMaxSize(16);
        consumer.setMessageListener(received.orderly("orderly"));
        consumer.start();

        sendInQueueOrder(producer(), topic);

        received.awaitDistinct(QUEUES * PER_QUEUE, Duration.ofSeconds(60));
        Await.pause(500);
        assertEquals(List.of(), received.duplicates(), "messages consumed twice");
        assertEquals(QUEUES * PER_QUEUE, received.total(), "deliveries");
        Map<Integer, List<Received.Delivery>> byQueue = received.byQueue();
        assertEquals(QUEUES, byQueue.size(), "queues delivered");
        byQueue.forEach(this::assertQueueInOrder);
    }

    /** {@link #SENDERS} threads, each owning whole queues and sending to them in sequence order. */
    private void sendInQueueOrder(DefaultMQProducer producer, String topic) throws Exception {
        List<MessageQueue> queues = producer.fetchPublishMessageQueues(topic).stream()
                .sorted(Comparator.comparingInt(MessageQueue::getQueueId)).toList();
        assertEquals(QUEUES, queues.size(), "publish queues");
        ExecutorService senders = Executors.newFixedThreadPool(SENDERS);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int s = 0; s < SENDERS; s++) {
                List<MessageQueue> own = new ArrayList<>();
                for (int q = s; q < QUEUES; q += SENDERS) {
                    own.add(queues.get(q));
                }
                running.add(senders.submit(() -> {
                    sendSequences(producer, own);
                    return null;
                }));
            }
            for (Future<?> sender : running) {
                sender.get(90, TimeUnit.SECONDS);
            }
        } finally {
            senders.shutdownNow();
        }
    }

    private void sendSequences(DefaultMQProducer producer, List<MessageQueue> own) throws Exception {
        for (int seq = 0; seq < PER_QUEUE; seq++) {
            for (MessageQueue queue : own) {
                Message message = TestMessages.create(queue.getTopic(), "TagVolume", key(queue.getQueueId(), seq));
                SendRecord record = SendRecord.of(message, producer.send(message, queue));
                assertEquals(seq, record.queueOffset(), "queue offset of " + record.key());
            }
        }
    }

    private void assertQueueInOrder(int queue, List<Received.Delivery> deliveries) {
        assertEquals(PER_QUEUE, deliveries.size(), "deliveries on queue " + queue);
        for (int seq = 0; seq < PER_QUEUE; seq++) {
            Received.Delivery delivery = deliveries.get(seq);
            assertEquals(seq, delivery.queueOffset(), "queue offset of delivery " + seq + " on queue " + queue);
            assertEquals(key(queue, seq), delivery.key(), "key of delivery " + seq + " on queue " + queue);
            TestMessages.assertIntact(delivery.message(), "TagVolume");
        }
    }

    private String key(int queue, int seq) {
        return names.keyPrefix() + "-q" + queue + "-" + seq;
    }
}
