package io.ferrymq.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ferrymq.interop.support.Await;
import io.ferrymq.interop.support.InteropTestBase;
import io.ferrymq.interop.support.Received;
import io.ferrymq.interop.support.TestMessages;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.client.producer.LocalTransactionState;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.client.producer.TransactionListener;
import org.apache.rocketmq.client.producer.TransactionMQProducer;
import org.apache.rocketmq.client.producer.TransactionSendResult;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Transactional messages with the official TransactionMQProducer: half messages, END_TRANSACTION
 * for the local transaction's outcome, and the broker's check-back (CHECK_TRANSACTION_STATE) for
 * a transaction left open.
 *
 * The check-back comes from the broker's check service, which looks at half messages every
 * transactionCheckInterval (RocketMQ 4.9's default of 60 s, which the shared broker keeps) once
 * they are older than transactionTimeOut (6 s): the open transaction is answered within about
 * 66 s, so this test waits up to CHECK_TIMEOUT for it (and has a timeout above the suite's default
 * 60 s). The producer heartbeats every second so
 * that the broker knows a live connection of its group by the time it checks.
 */
class TransactionInteropTest extends InteropTestBase {
    private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(100);

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void committedAndCheckedBackTransactionsAreDeliveredRolledBackOnesAreNot() throws Exception {
        String topic = createTopic(2);
        String commitKey = names.keyPrefix() + "-commit";
        String rollbackKey = names.keyPrefix() + "-rollback";
        String unknownKey = names.keyPrefix() + "-unknown";
        Map<String, LocalTransactionState> outcome = Map.of(
                commitKey, LocalTransactionState.COMMIT_MESSAGE,
                rollbackKey, LocalTransactionState.ROLLBACK_MESSAGE,
                unknownKey, LocalTransactionState.UNKNOW);
        List<String> checked = new CopyOnWriteArrayList<>();

        Received received = new Received();
        startPushConsumer(names.group("C"), topic, "*", received.concurrently("c"));

        TransactionMQProducer producer = new TransactionMQProducer(names.group("P"));
        producer.setNamesrvAddr(broker().namesrvAddr());
        producer.setInstanceName("interop-tx-" + ProcessHandle.current().pid() + "-" + names.keyPrefix());
        producer.setSendMsgTimeout(10_000);
        producer.setHeartbeatBrokerInterval(1000);
        producer.setTransactionListener(new TransactionListener() {
            @Override
            public LocalTransactionState executeLocalTransaction(Message message, Object arg) {
                return outcome.get(message.getKeys());
            }

            @Override
            public LocalTransactionState checkLocalTransaction(MessageExt message) {
                checked.add(message.getKeys());
                return LocalTransactionState.COMMIT_MESSAGE;
            }
        });
        producer.start();
        try {
            for (String key : List.of(commitKey, rollbackKey, unknownKey)) {
                TransactionSendResult result = producer.sendMessageInTransaction(TestMessages.create(topic, "TagTx", key), null);
                assertEquals(SendStatus.SEND_OK, result.getSendStatus(), "send status of " + key);
                assertEquals(outcome.get(key), result.getLocalTransactionState(), "local transaction state of " + key);
            }

            Await.until("the committed message", RECEIVE_TIMEOUT, () -> received.keys().contains(commitKey),
                    () -> "received " + received.keys());
            Await.until("the check-back of the open transaction and its commit", CHECK_TIMEOUT,
                    () -> received.keys().contains(unknownKey),
                    () -> "checked " + checked + ", received " + received.keys() + "\n" + broker().logTail(30));
            Await.pause(3000);

            assertEquals(Set.of(commitKey, unknownKey), received.keys(), "delivered: the committed transactions only");
            assertEquals(List.of(), received.duplicates(), "messages delivered twice");
            assertEquals(List.of(unknownKey), checked, "the open transaction is checked, once");
            received.all().forEach(d -> TestMessages.assertIntact(d.message(), "TagTx"));
        } finally {
            producer.shutdown();
        }
    }
}
