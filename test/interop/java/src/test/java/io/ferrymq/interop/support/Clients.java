package io.ferrymq.interop.support;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.rocketmq.client.ClientConfig;
import org.apache.rocketmq.client.consumer.DefaultLitePullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;

/**
 * Creates the official clients for one test, each with its own client instance (so tests never
 * share connections or state), and shuts them all down after the test.
 */
public final class Clients implements AutoCloseable {
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private final String namesrvAddr;
    private final Deque<AutoCloseable> started = new ArrayDeque<>();

    public Clients(String namesrvAddr) {
        this.namesrvAddr = namesrvAddr;
    }

    /** A started producer. */
    public DefaultMQProducer producer(String group) throws MQClientException {
        DefaultMQProducer producer = configure(new DefaultMQProducer(group));
        producer.setSendMsgTimeout(10_000);
        producer.start();
        started.push(producer::shutdown);
        return producer;
    }

    /**
     * A push consumer reading from the first offset; the caller subscribes, sets a listener, starts.
     *
     * <p>Heartbeats every second, not every 30 s: a rebalance raises the subscription's version and
     * tells the broker with a heartbeat, but only if no other heartbeat holds the client's lock at
     * that moment. Client 5.x rebalances first exactly one second after its instance is created, when
     * its first scheduled heartbeat also runs, so sometimes the broker learns the new version only
     * from the next scheduled heartbeat, and until then answers every pull SUBSCRIPTION_NOT_LATEST,
     * as Apache RocketMQ does (apache/rocketmq#3434). A test waiting 30 s would fail on that alone.
     */
    public DefaultMQPushConsumer pushConsumer(String group) {
        DefaultMQPushConsumer consumer = configure(new DefaultMQPushConsumer(group));
        consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        consumer.setConsumeThreadMin(4);
        consumer.setConsumeThreadMax(4);
        consumer.setHeartbeatBrokerInterval(1000);
        started.push(consumer::shutdown);
        return consumer;
    }

    /** A lite pull consumer reading from the first offset; the caller subscribes and starts it. */
    public DefaultLitePullConsumer litePullConsumer(String group) {
        DefaultLitePullConsumer consumer = configure(new DefaultLitePullConsumer(group));
        consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        consumer.setPollTimeoutMillis(1000);
        started.push(consumer::shutdown);
        return consumer;
    }

    /** A started (deprecated but widely used) pull consumer. */
    @SuppressWarnings("deprecation")
    public DefaultMQPullConsumer pullConsumer(String group) throws MQClientException {
        DefaultMQPullConsumer consumer = configure(new DefaultMQPullConsumer(group));
        consumer.start();
        started.push(consumer::shutdown);
        return consumer;
    }

    /** A started admin client (what mqadmin and rocketmq-dashboard are built on). */
    public DefaultMQAdminExt admin() throws MQClientException {
        DefaultMQAdminExt admin = configure(new DefaultMQAdminExt());
        admin.start();
        started.push(admin::shutdown);
        return admin;
    }

    private <T extends ClientConfig> T configure(T client) {
        client.setNamesrvAddr(namesrvAddr);
        client.setInstanceName("interop-" + ProcessHandle.current().pid() + "-" + INSTANCES.incrementAndGet());
        return client;
    }

    @Override
    public void close() {
        while (!started.isEmpty()) {
            try {
                started.pop().close();
            } catch (Exception e) {
                System.err.println("client shutdown failed: " + e);
            }
        }
    }
}
