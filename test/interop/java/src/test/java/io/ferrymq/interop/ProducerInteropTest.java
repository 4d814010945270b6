package io.ferrymq.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrymq.interop.support.InteropTestBase;
import io.ferrymq.interop.support.SendRecord;
import io.ferrymq.interop.support.TestMessages;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.protocol.route.QueueData;
import org.apache.rocketmq.common.protocol.route.TopicRouteData;
import org.junit.jupiter.api.Test;

/** Sync, async, oneway and batch sends, each verified by reading the stored messages back. */
class ProducerInteropTest extends InteropTestBase {

    /** Also covers topic auto-creation: the topic does not exist, so the producer uses TBW102's route. */
    @Test
    void syncSendToAutoCreatedTopic() throws Exception {
        String topic = names.topic();
        List<Message> messages = TestMessages.create(topic, "TagSync", names.keyPrefix(), 20);

        List<SendRecord> sent = sendSync(producer(), messages);

        TopicRouteData route = topics().route(topic);
        assertNotNull(route, "auto-created topic is routed by the name server");
        QueueData queues = route.getQueueDatas().get(0);
        // min(producer defaultTopicQueueNums 4, TBW102's 8), perm RW without INHERIT
        assertEquals(4, queues.getWriteQueueNums(), "write queues of the auto-created topic");
        assertEquals(4, queues.getReadQueueNums(), "read queues of the auto-created topic");
        assertEquals(6, queues.getPerm(), "perm of the auto-created topic");
        assertStoredAsSent(sent, readBack(topic, sent.size()), "TagSync");
    }

    /** Async sends, over the VIP channel (broker port - 2). */
    @Test
    void asyncSend() throws Exception {
        String topic = createTopic(4);
        List<Message> messages = TestMessages.create(topic, "TagAsync", names.keyPrefix(), 50);
        DefaultMQProducer producer = producer();
        producer.setVipChannelEnabled(true);
        Map<String, SendRecord> acked = new ConcurrentHashMap<>();
        Map<String, Throwable> failed = new ConcurrentHashMap<>();
        CountDownLatch done = new CountDownLatch(messages.size());

        for (Message message : messages) {
            producer.send(message, new SendCallback() {
                @Override
                public void onSuccess(SendResult result) {
                    acked.put(message.getKeys(), SendRecord.of(message, result));
                    done.countDown();
                }

                @Override
                public void onException(Throwable e) {
                    failed.put(message.getKeys(), e);
                    done.countDown();
                }
            });
        }

        assertTrue(done.await(RECEIVE_TIMEOUT.toSeconds(), TimeUnit.SECONDS), "all async sends completed");
        assertEquals(Map.of(), failed, "failed async sends");
        assertStoredAsSent(acked.values(), readBack(topic, messages.size()), "TagAsync");
    }

    @Test
    void onewaySend() throws Exception {
        String topic = createTopic(4);
        List<Message> messages = TestMessages.create(topic, "TagOneway", names.keyPrefix(), 50);
        DefaultMQProducer producer = producer();

        for (Message message : messages) {
            producer.sendOneway(message);
        }

        List<MessageExt> stored = readBack(topic, messages.size());
        assertEquals(keysOf(messages), stored.stream().map(MessageExt::getKeys).collect(Collectors.toSet()));
        assertEquals(messages.size(), stored.size(), "each oneway message stored once");
        stored.forEach(m -> TestMessages.assertIntact(m, "TagOneway"));
    }

    /** One SEND_BATCH_MESSAGE: stored as separate messages at consecutive offsets of one queue. */
    @Test
    void batchSend() throws Exception {
        String topic = createTopic(4);
        List<Message> batch = TestMessages.create(topic, "TagBatch", names.keyPrefix(), 32);

        SendResult result = producer().send(batch);

        List<SendRecord> sent = SendRecord.ofBatch(batch, result);
        List<MessageExt> stored = readBack(topic, batch.size());
        assertStoredAsSent(sent, stored, "TagBatch");
        assertEquals(keysInOrder(batch), stored.stream().map(MessageExt::getKeys).toList(),
                "batch stored in order");
    }

    private static Set<String> keysOf(List<Message> messages) {
        return messages.stream().map(Message::getKeys).collect(Collectors.toSet());
    }

    private static List<String> keysInOrder(List<Message> messages) {
        return messages.stream().map(Message::getKeys).toList();
    }
}
