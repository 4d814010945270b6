package io.ferrymq.interop.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageClientIDSetter;
import org.apache.rocketmq.common.message.MessageDecoder;
import org.apache.rocketmq.common.message.MessageExt;

/** What the broker acknowledged for one sent message: ids and position. */
public record SendRecord(String key, String uniqId, String offsetMsgId, int queueId, long queueOffset) {

    public static SendRecord of(Message sent, SendResult result) {
        assertEquals(SendStatus.SEND_OK, result.getSendStatus(), "send status of " + sent.getKeys());
        return new SendRecord(sent.getKeys(), result.getMsgId(), result.getOffsetMsgId(),
                result.getMessageQueue().getQueueId(), result.getQueueOffset());
    }

    /** A batch is acknowledged once: comma-separated ids, the offset of its first message. */
    public static List<SendRecord> ofBatch(List<Message> batch, SendResult result) {
        assertEquals(SendStatus.SEND_OK, result.getSendStatus(), "send status of the batch");
        String[] uniqIds = result.getMsgId().split(",");
        String[] offsetMsgIds = result.getOffsetMsgId().split(",");
        assertEquals(batch.size(), uniqIds.length, "msgIds in the batch result: " + result.getMsgId());
        assertEquals(batch.size(), offsetMsgIds.length, "offsetMsgIds in the batch result: " + result.getOffsetMsgId());
        List<SendRecord> records = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            records.add(new SendRecord(batch.get(i).getKeys(), uniqIds[i], offsetMsgIds[i],
                    result.getMessageQueue().getQueueId(), result.getQueueOffset() + i));
        }
        return records;
    }

    /** The stored message is this one, where the broker said, with a store host clients can reach. */
    public void assertMatches(MessageExt stored, int brokerPort) {
        assertEquals(key, stored.getKeys());
        assertEquals(uniqId, MessageClientIDSetter.getUniqID(stored), "UNIQ_KEY of " + key);
        assertEquals(queueId, stored.getQueueId(), "queue of " + key);
        assertEquals(queueOffset, stored.getQueueOffset(), "queue offset of " + key);
        InetSocketAddress storeHost = (InetSocketAddress) stored.getStoreHost();
        assertEquals(brokerPort, storeHost.getPort(), "storeHost port of " + key);
        assertEquals(offsetMsgId, MessageDecoder.createMessageId(storeHost, stored.getCommitLogOffset()),
                "offsetMsgId (storeHost + commitLogOffset) of " + key);
    }
}
