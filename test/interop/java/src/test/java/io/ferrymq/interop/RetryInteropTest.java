package io.ferrymq.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ferrymq.interop.support.Await;
import io.ferrymq.interop.support.InteropTestBase;
import io.ferrymq.interop.support.SendRecord;
import io.ferrymq.interop.support.TestMessages;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.common.MixAll;
import org.apache.rocketmq.common.admin.TopicStatsTable;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;
import org.junit.jupiter.api.Test;

/**
 * Consumer retries: RECONSUME_LATER sends the message back (CONSUMER_SEND_MSG_BACK), the broker
 * parks it in its delay level and redelivers it through %RETRY%group, and past the max reconsume
 * times moves it to %DLQ%group.
 *
 * The listener asks for delay level 1 (1 s with RocketMQ's default levels) instead of the default
 * 3 + reconsumeTimes (10 s, 30 s, ...), so the tests take seconds without a broker setting of
 * their own. %RETRY%group is created up front, as it exists for any group that ran before: a new
 * push consumer fetches its routes before its first heartbeat creates that topic, and would only
 * pick its queue up at a later rebalance (every 20 s).
 */
class RetryInteropTest extends InteropTestBase {
    private static final Duration RETRY_TIMEOUT = Duration.ofSeconds(45);

    @Test
    void reconsumeLaterRedeliversWithIncreasingReconsumeTimes() throws Exception {
        String topic = createTopic(2);
        String group = names.group("C");
        List<MessageExt> deliveries = new CopyOnWriteArrayList<>();
        startRetryingConsumer(group, topic, 16, (messages, context) -> {
            deliveries.addAll(messages);
            if (messages.get(0).getReconsumeTimes() < 2) {
                context.setDelayLevelWhenNextConsume(1);
                return ConsumeConcurrentlyStatus.RECONSUME_LATER;
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });

        SendRecord sent = sendSync(producer(), List.of(TestMessages.create(topic, "TagRetry", names.keyPrefix()))).get(0);

        Await.until("3 deliveries of the message", RETRY_TIMEOUT, () -> deliveries.size() >= 3,
                () -> "deliveries: " + describe(deliveries));
        Await.pause(3000);
        assertEquals(List.of(0, 1, 2), deliveries.stream().map(MessageExt::getReconsumeTimes).toList(),
                "reconsumeTimes of the deliveries " + describe(deliveries));
        for (MessageExt m : deliveries) {
            assertEquals(topic, m.getTopic(), "the client restores the topic from RETRY_TOPIC");
            assertEquals(sent.uniqId(), m.getMsgId(), "the same message id every time");
            TestMessages.assertIntact(m, "TagRetry");
        }
    }

    @Test
    void pastMaxReconsumeTimesTheMessageGoesToTheDeadLetterQueue() throws Exception {
        String topic = createTopic(1);
        String group = names.group("C");
        List<MessageExt> deliveries = new CopyOnWriteArrayList<>();
        startRetryingConsumer(group, topic, 1, (messages, context) -> {
            deliveries.addAll(messages);
            context.setDelayLevelWhenNextConsume(1);
            return ConsumeConcurrentlyStatus.RECONSUME_LATER;
        });

        sendSync(producer(), List.of(TestMessages.create(topic, "TagDead", names.keyPrefix())));

        String dlq = MixAll.getDLQTopic(group);
        DefaultMQAdminExt admin = clients.admin();
        Await.until("the message in " + dlq, RETRY_TIMEOUT, () -> dlqMessages(admin, dlq) >= 1,
                () -> "deliveries: " + describe(deliveries));
        Await.pause(2000);
        assertEquals(List.of(0, 1), deliveries.stream().map(MessageExt::getReconsumeTimes).toList(),
                "delivered once, retried once, then dead");
        assertEquals(1, dlqMessages(admin, dlq), "messages in " + dlq);
    }

    private DefaultMQPushConsumer startRetryingConsumer(String group, String topic, int maxReconsumeTimes,
            MessageListenerConcurrently listener) throws Exception {
        topics().create(MixAll.getRetryTopic(group), 1);
        DefaultMQPushConsumer consumer = clients.pushConsumer(group);
        consumer.setMaxReconsumeTimes(maxReconsumeTimes);
        consumer.subscribe(topic, "*");
        consumer.setMessageListener(listener);
        consumer.start();
        return consumer;
    }

    /** Messages stored in the dead-letter topic (0 while it does not exist yet). */
    private static long dlqMessages(DefaultMQAdminExt admin, String dlq) {
        try {
            TopicStatsTable stats = admin.examineTopicStats(dlq);
            return stats.getOffsetTable().values().stream().mapToLong(s -> s.getMaxOffset() - s.getMinOffset()).sum();
        } catch (Exception e) {
            return 0;
        }
    }

    private static String describe(List<MessageExt> deliveries) {
        return deliveries.stream()
                .map(m -> m.getTopic() + "/" + m.getQueueId() + "@" + m.getQueueOffset() + " reconsumeTimes=" + m.getReconsumeTimes())
                .toList()
                .toString();
    }
}
