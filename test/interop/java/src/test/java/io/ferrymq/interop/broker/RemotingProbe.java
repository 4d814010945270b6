package io.ferrymq.interop.broker;

import java.util.OptionalLong;
import org.apache.rocketmq.common.protocol.RequestCode;
import org.apache.rocketmq.common.protocol.ResponseCode;
import org.apache.rocketmq.common.protocol.header.QueryConsumerOffsetRequestHeader;
import org.apache.rocketmq.common.protocol.header.QueryConsumerOffsetResponseHeader;
import org.apache.rocketmq.common.protocol.header.namesrv.GetRouteInfoRequestHeader;
import org.apache.rocketmq.remoting.CommandCustomHeader;
import org.apache.rocketmq.remoting.netty.NettyClientConfig;
import org.apache.rocketmq.remoting.netty.NettyRemotingClient;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;

/**
 * Single remoting requests through the client's own remoting layer, for the few checks that the
 * public client API hides: readiness, committed offsets, the header type of a reply.
 *
 * <p>One probe serves the whole test JVM and is never shut down: the RocketMQ 5 client's remoting
 * client takes about 3 s to shut down, which a probe per use would add to every broker start and
 * offset check.
 */
public final class RemotingProbe {
    private static final long TIMEOUT_MILLIS = 3000;
    private static final RemotingProbe SHARED = new RemotingProbe();
    private final NettyRemotingClient client;

    private RemotingProbe() {
        client = new NettyRemotingClient(new NettyClientConfig());
        client.start();
    }

    /** The JVM's probe, started when first asked for (class initialisation is lazy and thread-safe). */
    public static RemotingProbe shared() {
        return SHARED;
    }

    public RemotingCommand invoke(String addr, int code, CommandCustomHeader header) throws Exception {
        return client.invokeSync(addr, RemotingCommand.createRequestCommand(code, header), TIMEOUT_MILLIS);
    }

    /** GET_ROUTEINFO_BY_TOPIC through the name server answered SUCCESS. */
    public boolean routeExists(String namesrvAddr, String topic) {
        GetRouteInfoRequestHeader header = new GetRouteInfoRequestHeader();
        header.setTopic(topic);
        try {
            return invoke(namesrvAddr, RequestCode.GET_ROUTEINFO_BY_TOPIC, header).getCode() == ResponseCode.SUCCESS;
        } catch (Exception notYet) {
            return false;
        }
    }

    /** The offset the broker holds for a group on one queue (QUERY_CONSUMER_OFFSET), if any. */
    public OptionalLong committedOffset(String brokerAddr, String group, String topic, int queueId)
            throws Exception {
        QueryConsumerOffsetRequestHeader header = new QueryConsumerOffsetRequestHeader();
        header.setConsumerGroup(group);
        header.setTopic(topic);
        header.setQueueId(queueId);
        RemotingCommand response = invoke(brokerAddr, RequestCode.QUERY_CONSUMER_OFFSET, header);
        if (response.getCode() == ResponseCode.QUERY_NOT_FOUND) {
            return OptionalLong.empty();
        }
        if (response.getCode() != ResponseCode.SUCCESS) {
            throw new IllegalStateException("QUERY_CONSUMER_OFFSET answered " + response.getCode() + " "
                    + response.getRemark());
        }
        QueryConsumerOffsetResponseHeader answer = (QueryConsumerOffsetResponseHeader) response
                .decodeCommandCustomHeader(QueryConsumerOffsetResponseHeader.class);
        return OptionalLong.of(answer.getOffset());
    }
}
