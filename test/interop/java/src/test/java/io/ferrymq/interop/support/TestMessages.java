package io.ferrymq.interop.support;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;

/** Messages whose body and user property are derived from their key, so any mix-up shows. */
public final class TestMessages {
    public static final String KEY_PROPERTY = "interopKey";

    private TestMessages() {
    }

    public static Message create(String topic, String tag, String key) {
        Message message = new Message(topic, tag, key, body(key));
        message.putUserProperty(KEY_PROPERTY, key);
        return message;
    }

    public static List<Message> create(String topic, String tag, String keyPrefix, int count) {
        List<Message> messages = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            messages.add(create(topic, tag, keyPrefix + "-" + i));
        }
        return messages;
    }

    public static byte[] body(String key) {
        return ("interop body of " + key).getBytes(StandardCharsets.UTF_8);
    }

    /** The received message carries the key, tag, body and user property it was sent with. */
    public static void assertIntact(MessageExt received, String expectedTag) {
        String key = received.getKeys();
        assertEquals(key, received.getUserProperty(KEY_PROPERTY), "user property of " + key);
        assertArrayEquals(body(key), received.getBody(), "body of " + key);
        assertEquals(expectedTag, received.getTags(), "tag of " + key);
    }
}
