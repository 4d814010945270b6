package io.ferrymq.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ferrymq.interop.broker.RemotingProbe;
import io.ferrymq.interop.support.InteropTestBase;
import org.apache.rocketmq.common.protocol.RequestCode;
import org.apache.rocketmq.common.protocol.ResponseCode;
import org.apache.rocketmq.common.protocol.header.GetMaxOffsetRequestHeader;
import org.apache.rocketmq.common.protocol.header.namesrv.GetRouteInfoRequestHeader;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;
import org.apache.rocketmq.remoting.protocol.SerializeType;
import org.junit.jupiter.api.Test;

/**
 * The header type this run is meant to exercise (JSON, or ROCKETMQ via
 * {@code -Drocketmq.serialize.type=ROCKETMQ} on the JVM command line) is what the client really
 * speaks, and the broker and name server answer in that same type.
 */
class HeaderModeInteropTest extends InteropTestBase {
    private static final SerializeType EXPECTED =
            SerializeType.valueOf(System.getProperty("interop.serializeType", "JSON"));

    @Test
    void clientSpeaksTheConfiguredHeaderType() {
        assertEquals(EXPECTED, RemotingCommand.getSerializeTypeConfigInThisServer(), "client default header type");
        assertEquals(EXPECTED, RemotingCommand.createRequestCommand(RequestCode.HEART_BEAT, null)
                .getSerializeTypeCurrentRPC(), "header type of a new request");
    }

    @Test
    void repliesUseTheRequestHeaderType() throws Exception {
        GetRouteInfoRequestHeader route = new GetRouteInfoRequestHeader();
        route.setTopic("TBW102");
        GetMaxOffsetRequestHeader maxOffset = new GetMaxOffsetRequestHeader();
        maxOffset.setTopic("TBW102");
        maxOffset.setQueueId(0);
        RemotingProbe probe = RemotingProbe.shared();
        assertReply(probe.invoke(broker().namesrvAddr(), RequestCode.GET_ROUTEINFO_BY_TOPIC, route), "name server");
        assertReply(probe.invoke(broker().brokerAddr(), RequestCode.GET_MAX_OFFSET, maxOffset), "broker");
    }

    private static void assertReply(RemotingCommand reply, String who) {
        assertEquals(ResponseCode.SUCCESS, reply.getCode(), who + " reply code: " + reply.getRemark());
        assertEquals(EXPECTED, reply.getSerializeTypeCurrentRPC(), who + " reply header type");
    }
}
