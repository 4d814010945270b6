package io.ferrymq.interop.support;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.rocketmq.common.MixAll;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.constant.PermName;
import org.apache.rocketmq.common.protocol.body.ClusterInfo;
import org.apache.rocketmq.common.protocol.route.QueueData;
import org.apache.rocketmq.common.protocol.route.TopicRouteData;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;

/** Topic management through the admin API, the way {@code mqadmin updateTopic -c <cluster>} does it. */
public final class TopicAdmin {
    private static final Duration ROUTE_TIMEOUT = Duration.ofSeconds(15);

    private final DefaultMQAdminExt admin;
    private final String clusterName;

    public TopicAdmin(DefaultMQAdminExt admin, String clusterName) {
        this.admin = admin;
        this.clusterName = clusterName;
    }

    /** Creates the topic on every master of the cluster and waits until the name server routes it. */
    public void create(String topic, int queues) throws Exception {
        TopicConfig config = new TopicConfig(topic, queues, queues, PermName.PERM_READ | PermName.PERM_WRITE);
        for (String brokerAddr : masterAddrs()) {
            admin.createAndUpdateTopicConfig(brokerAddr, config);
        }
        Await.until("route of " + topic + " with " + queues + " queues", ROUTE_TIMEOUT,
                () -> readQueues(topic) == queues);
    }

    /** The route the name server currently gives, or null if it has none. */
    public TopicRouteData route(String topic) {
        try {
            return admin.examineTopicRouteInfo(topic);
        } catch (Exception notRouted) {
            return null;
        }
    }

    private int readQueues(String topic) {
        TopicRouteData route = route(topic);
        return route == null ? -1 : route.getQueueDatas().stream().mapToInt(QueueData::getReadQueueNums).sum();
    }

    private List<String> masterAddrs() throws Exception {
        ClusterInfo info = admin.examineBrokerClusterInfo();
        Set<String> brokerNames = info.getClusterAddrTable().get(clusterName);
        if (brokerNames == null || brokerNames.isEmpty()) {
            throw new IllegalStateException("cluster " + clusterName + " unknown to the name server: "
                    + info.getClusterAddrTable());
        }
        List<String> addrs = new ArrayList<>();
        for (String name : brokerNames) {
            addrs.add(info.getBrokerAddrTable().get(name).getBrokerAddrs().get(MixAll.MASTER_ID));
        }
        return addrs;
    }
}
