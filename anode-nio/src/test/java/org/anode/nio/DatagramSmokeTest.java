package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class DatagramSmokeTest {
    @Test
    void twoNodesExchangeOneDatagramEachWay() throws Exception {
        try (NodeTestSupport t = new NodeTestSupport()) {
            AnodeNode a = t.node();
            AnodeNode b = t.node();
            NodeTestSupport.introduce(a, b);
            AnodeDatagramChannel ca = a.openDatagramChannel();
            ca.bind(AnodeSocketAddress.of(a.address(), 7));
            AnodeDatagramChannel cb = b.openDatagramChannel();
            cb.bind(AnodeSocketAddress.of(b.address(), 9));
            ca.send(NodeTestSupport.utf8("hello"), AnodeSocketAddress.of(b.address(), 9));
            ByteBuffer buf = ByteBuffer.allocate(100);
            AnodeSocketAddress from = (AnodeSocketAddress) cb.receive(buf);
            assertEquals(AnodeSocketAddress.of(a.address(), 7), from);
            assertEquals("hello", NodeTestSupport.utf8(buf));
            cb.send(NodeTestSupport.utf8("world"), from);
            buf.clear();
            assertEquals(AnodeSocketAddress.of(b.address(), 9), ca.receive(buf));
            assertEquals("world", NodeTestSupport.utf8(buf));
            assertEquals(a.address().toString(), from.getHostString());
        }
    }
}
