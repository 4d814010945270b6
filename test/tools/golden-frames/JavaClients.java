// Drives the official Java client (rocketmq-client 4.9.8) through the scenario whose request
// frames become test/fixtures/frames/java-*.hex. Run by capture.sh with the interop suite's test
// classpath, as a single-file program (java -cp ... JavaClients.java ...):
//
//   JavaClients create-topic <namesrv> <brokerAddr> <topic>     admin, straight to the broker
//   JavaClients run <namesrv> <brokerName> <suffix>             the recorded scenario
//
// "run" talks to the name server given (the recording proxy) and, through the rewritten route,
// to the broker behind the proxy. Header type: JSON, or ROCKETMQ with -Drocketmq.serialize.type=ROCKETMQ.
// Names are fixed (suffix = JSON or ROCKETMQ) and the client IP / instance names are set, so the
// frames differ between captures only in timestamps, opaques and UNIQ_KEYs.

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;

public class JavaClients {
    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "create-topic" -> createTopic(args[1], args[2], args[3]);
            case "run" -> run(args[1], args[2], args[3]);
            default -> throw new IllegalArgumentException("create-topic | run");
        }
        System.exit(0);
    }

    static void createTopic(String namesrv, String brokerAddr, String topic) throws Exception {
        DefaultMQAdminExt admin = new DefaultMQAdminExt();
        admin.setNamesrvAddr(namesrv);
        admin.setInstanceName("golden-admin");
        admin.start();
        try {
            admin.createAndUpdateTopicConfig(brokerAddr, new TopicConfig(topic, 4, 4, 6));
            for (int i = 0; i < 100; i++) {
                try {
                    admin.examineTopicRouteInfo(topic);
                    return;
                } catch (Exception notYet) {
                    Thread.sleep(100);
                }
            }
            throw new IllegalStateException("topic " + topic + " not routed");
        } finally {
            admin.shutdown();
        }
    }

    static void run(String namesrv, String brokerName, String suffix) throws Exception {
        String topic = "GoldenTopic" + suffix;

        DefaultMQProducer producer = new DefaultMQProducer("GoldenProducer" + suffix);
        producer.setNamesrvAddr(namesrv);
        producer.setInstanceName("golden-producer");
        producer.setClientIP("127.0.0.1");
        producer.start();

        // SEND_MESSAGE_V2 (310): one message with tag, key and a user property, to queue 1
        Message single = new Message(topic, "TagA", "golden-key-1", "golden body 1".getBytes(StandardCharsets.UTF_8));
        single.putUserProperty("color", "blue");
        print(producer.send(single, new MessageQueue(topic, brokerName, 1)));

        // SEND_BATCH_MESSAGE (320): three messages to queue 2
        List<Message> batch = List.of(
                new Message(topic, "TagA", "golden-batch-1", "golden batch body 1".getBytes(StandardCharsets.UTF_8)),
                new Message(topic, "TagB", "golden-batch-2", "golden batch body 2".getBytes(StandardCharsets.UTF_8)),
                new Message(topic, "TagC", "golden-batch-3", "golden batch body 3".getBytes(StandardCharsets.UTF_8)));
        print(producer.send(batch, new MessageQueue(topic, brokerName, 2)));

        // HEART_BEAT (34), QUERY_CONSUMER_OFFSET (14), PULL_MESSAGE (11), UPDATE_CONSUMER_OFFSET (15)
        CountDownLatch received = new CountDownLatch(3); // TagA, TagA, TagB
        DefaultMQPushConsumer consumer = new DefaultMQPushConsumer("GoldenConsumer" + suffix);
        consumer.setNamesrvAddr(namesrv);
        consumer.setInstanceName("golden-consumer");
        consumer.setClientIP("127.0.0.1");
        consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        consumer.subscribe(topic, "TagA || TagB");
        consumer.setMessageListener((MessageListenerConcurrently) (messages, context) -> {
            messages.forEach(m -> {
                System.out.println("received " + m.getKeys() + " from queue " + m.getQueueId());
                received.countDown();
            });
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        consumer.start();
        if (!received.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("consumer received " + (3 - received.getCount()) + " of 3");
        }
        Thread.sleep(6000); // one periodic offset persist (every 5 s) before shutdown persists again
        consumer.shutdown();
        producer.shutdown();
    }

    private static void print(SendResult result) {
        System.out.println(result.getSendStatus() + " " + result.getMessageQueue() + " offset " + result.getQueueOffset());
    }
}
