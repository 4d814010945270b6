package io.ferrymq.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrymq.interop.support.Await;
import io.ferrymq.interop.support.InteropTestBase;
import io.ferrymq.interop.support.Received;
import io.ferrymq.interop.support.TestMessages;
import java.time.Duration;
import java.util.Map;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.common.admin.ConsumeStats;
import org.apache.rocketmq.common.admin.OffsetWrapper;
import org.apache.rocketmq.common.admin.TopicOffset;
import org.apache.rocketmq.common.admin.TopicStatsTable;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.common.protocol.body.ConsumerConnection;
import org.apache.rocketmq.common.protocol.body.KVTable;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;
import org.junit.jupiter.api.Test;

/**
 * What mqadmin (topicStatus, consumerProgress, consumerConnection, brokerStatus, topicList) and
 * rocketmq-dashboard read from a broker, through the client library's own admin API. RocketMQ 5's
 * admin API asks for more than 4.9's (GET_TOPIC_CONFIG before topic and consumer statistics).
 */
class AdminInteropTest extends InteropTestBase {
    private static final int QUEUES = 2;
    private static final int MESSAGES = 10;

    @Test
    void topicAndConsumerStatisticsAsTheAdminToolsReadThem() throws Exception {
        String topic = createTopic(QUEUES);
        String group = names.group("C");
        sendSync(producer(), TestMessages.create(topic, "TagAdmin", names.keyPrefix(), MESSAGES));
        DefaultMQAdminExt admin = clients.admin();

        TopicStatsTable topicStats = admin.examineTopicStats(topic);
        assertEquals(QUEUES, topicStats.getOffsetTable().size(), "queues in the topic statistics: " + topicStats.getOffsetTable());
        long stored = 0;
        for (Map.Entry<MessageQueue, TopicOffset> e : topicStats.getOffsetTable().entrySet()) {
            assertEquals(topic, e.getKey().getTopic());
            assertEquals(0, e.getValue().getMinOffset(), "min offset of " + e.getKey());
            stored += e.getValue().getMaxOffset();
        }
        assertEquals(MESSAGES, stored, "messages counted by the topic statistics");
        assertTrue(admin.fetchAllTopicList().getTopicList().contains(topic), "the topic list holds " + topic);

        Received received = new Received();
        DefaultMQPushConsumer consumer = startPushConsumer(group, topic, "*", received.concurrently("c"));
        Await.until("the consumer's committed offsets to reach the end of both queues", Duration.ofSeconds(30),
                () -> caughtUp(admin, group, topic),
                () -> "received " + received.distinctKeys() + " messages; consume stats " + describe(admin, group));

        // The group's retry topic, which its consumers subscribe to as well, has its own entries.
        ConsumeStats consumeStats = admin.examineConsumeStats(group);
        assertEquals(QUEUES, queuesOf(consumeStats, topic), "queues of " + topic + " in the consume statistics");
        long brokerOffsets = 0;
        for (Map.Entry<MessageQueue, OffsetWrapper> e : consumeStats.getOffsetTable().entrySet()) {
            if (!e.getKey().getTopic().equals(topic)) {
                continue;
            }
            assertEquals(e.getValue().getBrokerOffset(), e.getValue().getConsumerOffset(), "consumer offset of " + e.getKey());
            brokerOffsets += e.getValue().getBrokerOffset();
        }
        assertEquals(MESSAGES, brokerOffsets, "messages counted by the consume statistics");

        ConsumerConnection connection = admin.examineConsumerConnectionInfo(group);
        assertEquals(1, connection.getConnectionSet().size(), "connections of " + group);
        assertTrue(connection.getSubscriptionTable().containsKey(topic), "subscriptions of " + group + ": " + connection.getSubscriptionTable().keySet());

        KVTable runtime = admin.fetchBrokerRuntimeStats(broker().brokerAddr());
        assertTrue(Long.parseLong(runtime.getTable().get("commitLogMaxOffset")) > 0, "broker runtime stats: " + runtime.getTable());
        consumer.shutdown();
    }

    private static long queuesOf(ConsumeStats stats, String topic) {
        return stats.getOffsetTable().keySet().stream().filter(q -> q.getTopic().equals(topic)).count();
    }

    private static boolean caughtUp(DefaultMQAdminExt admin, String group, String topic) {
        try {
            ConsumeStats stats = admin.examineConsumeStats(group);
            return queuesOf(stats, topic) == QUEUES && stats.computeTotalDiff() == 0;
        } catch (Exception notYet) {
            return false;
        }
    }

    private static String describe(DefaultMQAdminExt admin, String group) {
        try {
            StringBuilder sb = new StringBuilder();
            admin.examineConsumeStats(group).getOffsetTable().forEach((q, o) -> sb.append(q.getTopic()).append('/').append(q.getQueueId())
                    .append(": broker ").append(o.getBrokerOffset()).append(", consumer ").append(o.getConsumerOffset()).append("; "));
            return sb.toString();
        } catch (Exception e) {
            return e.toString();
        }
    }
}
