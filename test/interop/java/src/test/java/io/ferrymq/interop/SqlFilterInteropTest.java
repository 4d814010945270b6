package io.ferrymq.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ferrymq.interop.broker.SharedStoreBrokers;
import io.ferrymq.interop.broker.SharedStoreBrokers.Kind;
import io.ferrymq.interop.support.Await;
import io.ferrymq.interop.support.Clients;
import io.ferrymq.interop.support.InteropTestBase;
import io.ferrymq.interop.support.Received;
import io.ferrymq.interop.support.TestMessages;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.MessageSelector;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * SQL92 filtering ({@code MessageSelector.bySql}) by the broker, for a push consumer. The Java
 * client does not filter SQL92 subscriptions itself, so what arrives is what the broker chose.
 *
 * <p>The suite's shared broker runs without {@code enablePropertyFilter} (its broker.conf has no
 * way to add settings), so this class starts a broker of its own, of the same kind, with
 * {@code enablePropertyFilter=true} in its broker.conf ({@link SharedStoreBrokers} launches Ferry
 * or Apache with extra settings), and points the test's clients at it.
 */
class SqlFilterInteropTest extends InteropTestBase {
    private static final String EXPRESSION = "a between 0 and 3 and b = 'x'";
    private static final String TAG = "TagSql";

    private static SharedStoreBrokers sqlBroker;

    @BeforeAll
    static void startSqlBroker() throws Exception {
        sqlBroker = SharedStoreBrokers.allocate("sql92", Map.of("enablePropertyFilter", "true"));
        try {
            sqlBroker.start(Kind.of(System.getProperty("broker.kind", "ferry")));
        } catch (Exception e) {
            throw new IllegalStateException("broker with enablePropertyFilter=true did not start\n" + sqlBroker.logTail(40), e);
        }
    }

    @AfterAll
    static void stopSqlBroker() throws Exception {
        if (sqlBroker != null) {
            sqlBroker.close();
            sqlBroker.deleteStore();
        }
    }

    @BeforeEach
    void useSqlBroker() {
        clients.close();
        clients = new Clients(sqlBroker.layout().namesrvAddr());
    }

    /** What RocketMQ's filter makes of the two properties (a = "2.5" does not convert to Integer: no match). */
    private static boolean matches(String a, String b) {
        return a != null && Set.of("0", "1", "2", "3").contains(a) && "x".equals(b);
    }

    @Test
    void pushConsumerWithSqlSelectorReceivesExactlyTheMatchingMessages() throws Exception {
        String topic = createTopic(2);
        DefaultMQProducer producer = producer();
        List<MessageQueue> queues = producer.fetchPublishMessageQueues(topic).stream()
                .sorted(Comparator.comparingInt(MessageQueue::getQueueId)).toList();
        String[] as = {"-1", "0", "1", "2", "3", "4", "2.5", "abc", null};
        String[] bs = {"x", "y", null};
        Set<String> wanted = new HashSet<>();
        int i = 0;
        for (String a : as) {
            for (String b : bs) {
                Message message = TestMessages.create(topic, TAG, names.keyPrefix() + "-" + i);
                if (a != null) {
                    message.putUserProperty("a", a);
                }
                if (b != null) {
                    message.putUserProperty("b", b);
                }
                producer.send(message, queues.get(i % queues.size()));
                if (matches(a, b)) {
                    wanted.add(message.getKeys());
                }
                i++;
            }
        }
        // A matching message last in every queue: once all wanted ones arrived, every other one was passed over.
        for (MessageQueue queue : queues) {
            Message last = TestMessages.create(topic, TAG, names.keyPrefix() + "-last-" + queue.getQueueId());
            last.putUserProperty("a", "3");
            last.putUserProperty("b", "x");
            producer.send(last, queue);
            wanted.add(last.getKeys());
        }
        Received received = new Received();

        DefaultMQPushConsumer consumer = clients.pushConsumer(names.group("C"));
        consumer.subscribe(topic, MessageSelector.bySql(EXPRESSION));
        consumer.setMessageListener(received.concurrently("sql"));
        consumer.start();

        received.awaitDistinct(wanted.size(), RECEIVE_TIMEOUT);
        Await.pause(500);
        assertEquals(wanted, received.keys(), "keys of the messages matching " + EXPRESSION + ", and nothing else");
        assertEquals(List.of(), received.duplicates(), "messages consumed twice");
        received.all().forEach(d -> TestMessages.assertIntact(d.message(), TAG));
    }

    @Test
    void pushConsumerWithInvalidSqlSelectorFailsToStart() throws Exception {
        String topic = createTopic(1);
        DefaultMQPushConsumer consumer = clients.pushConsumer(names.group("C"));
        consumer.subscribe(topic, MessageSelector.bySql("a between 3 and 1"));
        consumer.setMessageListener(new Received().concurrently("invalid"));
        MQClientException e = assertThrows(MQClientException.class, consumer::start,
                "CHECK_CLIENT_CONFIG must refuse an expression the broker cannot compile");
        assertEquals(23, e.getResponseCode(), "SUBSCRIPTION_PARSE_FAILED: " + e.getErrorMessage());
    }
}
