package io.ferrymq.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ferrymq.interop.support.Await;
import io.ferrymq.interop.support.InteropTestBase;
import io.ferrymq.interop.support.Received;
import io.ferrymq.interop.support.SendRecord;
import io.ferrymq.interop.support.TestMessages;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.junit.jupiter.api.Test;

/** What must survive the broker going away: committed consumer offsets and acknowledged messages. */
class DurabilityInteropTest extends InteropTestBase {

    @Test
    void consumerOffsetsSurviveBrokerRestart() throws Exception {
        String topic = createTopic(4);
        String group = names.group("C");
        List<SendRecord> before = sendSync(producer(),
                TestMessages.create(topic, "TagBefore", names.keyPrefix() + "-before", 40));
        Map<Integer, Long> consumedTo = endOffsets(before);

        Received first = new Received();
        DefaultMQPushConsumer consumer = startPushConsumer(group, topic, "*", first.concurrently("first"));
        first.awaitDistinct(before.size(), RECEIVE_TIMEOUT);
        consumer.shutdown();
        Await.until("the broker to hold the offsets committed at consumer shutdown", Duration.ofSeconds(15),
                () -> consumedTo.equals(offsets(group, topic, consumedTo.keySet())),
                () -> "broker holds " + offsets(group, topic, consumedTo.keySet()) + ", expected " + consumedTo);

        broker().restart();

        assertEquals(consumedTo, offsets(group, topic, consumedTo.keySet()), "committed offsets after restart");
        List<SendRecord> after = sendSync(producer(),
                TestMessages.create(topic, "TagAfter", names.keyPrefix() + "-after", 40));
        Received second = new Received();
        startPushConsumer(group, topic, "*", second.concurrently("second"));
        second.awaitDistinct(after.size(), RECEIVE_TIMEOUT);
        Await.pause(500);
        assertEquals(keys(after), second.keys(), "the new consumer continues after the committed offsets");
        assertEquals(List.of(), second.duplicates(), "messages consumed twice");
    }

    @Test
    void acknowledgedMessagesSurviveBrokerKill() throws Exception {
        String topic = createTopic(4);
        List<SendRecord> sent = sendSync(producer(), TestMessages.create(topic, "TagKill", names.keyPrefix(), 100));

        broker().kill();
        broker().start();

        assertStoredAsSent(sent, readBack(topic, sent.size()), "TagKill");
    }

    private Map<Integer, Long> offsets(String group, String topic, Set<Integer> queueIds) {
        try {
            return committedOffsets(group, topic, queueIds);
        } catch (Exception e) {
            throw new AssertionError("QUERY_CONSUMER_OFFSET failed", e);
        }
    }

    private static Set<String> keys(List<SendRecord> sent) {
        return sent.stream().map(SendRecord::key).collect(Collectors.toSet());
    }
}
