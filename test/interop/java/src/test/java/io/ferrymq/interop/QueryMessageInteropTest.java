package io.ferrymq.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrymq.interop.support.Await;
import io.ferrymq.interop.support.InteropTestBase;
import io.ferrymq.interop.support.SendRecord;
import io.ferrymq.interop.support.TestMessages;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.rocketmq.client.QueryResult;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;
import org.junit.jupiter.api.Test;

/** Message queries as mqadmin and rocketmq-dashboard make them: by key (QUERY_MESSAGE) and by id. */
class QueryMessageInteropTest extends InteropTestBase {

    @Test
    void queryByKeyAndViewByMsgId() throws Exception {
        String topic = createTopic(2);
        String key = names.keyPrefix() + "-query";
        long begin = System.currentTimeMillis() - 60_000;
        Message message = TestMessages.create(topic, "TagQuery", key);
        SendRecord sent = SendRecord.of(message, producer().send(message));
        DefaultMQAdminExt admin = clients.admin();
        int brokerPort = broker().layout().brokerPort();

        // The index is built after the send is acknowledged, as in RocketMQ: poll until it is.
        AtomicReference<QueryResult> result = new AtomicReference<>();
        Await.until("the key to be indexed", Duration.ofSeconds(15), () -> {
            try {
                result.set(admin.queryMessage(topic, key, 32, begin, Long.MAX_VALUE));
                return !result.get().getMessageList().isEmpty();
            } catch (MQClientException e) {
                return false; // "query message by key finished, but no message."
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        });
        List<MessageExt> found = result.get().getMessageList();
        assertEquals(1, found.size(), "messages found by key " + key);
        sent.assertMatches(found.get(0), brokerPort);
        TestMessages.assertIntact(found.get(0), "TagQuery");
        assertTrue(result.get().getIndexLastUpdateTimestamp() > 0, "indexLastUpdateTimestamp");

        // msgId (UNIQ_KEY): not an offsetMsgId, so the admin falls back to a UNIQ_KEY query
        MessageExt byMsgId = admin.viewMessage(topic, sent.uniqId());
        sent.assertMatches(byMsgId, brokerPort);
        TestMessages.assertIntact(byMsgId, "TagQuery");

        // offsetMsgId: VIEW_MESSAGE_BY_ID at the broker address and offset it encodes
        MessageExt byOffsetMsgId = admin.viewMessage(topic, sent.offsetMsgId());
        sent.assertMatches(byOffsetMsgId, brokerPort);
        TestMessages.assertIntact(byOffsetMsgId, "TagQuery");
    }
}
