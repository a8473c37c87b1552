package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.engine.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A datagram that fits the path's packet limit (DECISIONS 27) when the channel checks it but not
 * when the packet is written - the best endpoint changed in between, e.g. from IPv4 (1400) to IPv6
 * (1232) - fails with the same IOException("Message too long") as any oversized datagram, never
 * with an unchecked exception.
 */
@Timeout(30)
class DatagramPathLimitTest {
    /** A transport whose limit drops after its first query (the endpoint switch, made deterministic). */
    static final class ShrinkingTransport implements Transport {
        final AtomicInteger queries = new AtomicInteger();
        final AtomicInteger sent = new AtomicInteger();

        @Override
        public String name() {
            return "shrinking";
        }

        @Override
        public InetSocketAddress localAddress() {
            return new InetSocketAddress(NodeTestSupport.LOOPBACK, 0);
        }

        @Override
        public boolean canReach(InetSocketAddress destination) {
            return true;
        }

        @Override
        public int maxPacketSize(InetSocketAddress destination) {
            return queries.getAndIncrement() == 0 ? 1400 : 1232;
        }

        @Override
        public boolean send(ByteBuffer packet, InetSocketAddress destination) {
            sent.incrementAndGet();
            packet.position(packet.limit());
            return true;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {}
    }

    @Test
    void limitShrinkingBetweenCheckAndWriteIsMessageTooLong() throws Exception {
        try (NodeTestSupport t = new NodeTestSupport()) {
            AnodeNode a = t.node();
            AnodeIdentity remote = AnodeIdentity.generate(Zone.DEFAULT);
            ShrinkingTransport via = new ShrinkingTransport();
            a.loop()
                    .submit(() -> a.engine()
                            .addPeer(remote.address(), via, new InetSocketAddress(NodeTestSupport.LOOPBACK, 9)))
                    .get(10, TimeUnit.SECONDS);
            for (boolean blocking : new boolean[] {true, false}) {
                AnodeDatagramChannel ch = t.track(a.openDatagramChannel());
                ch.configureBlocking(blocking);
                ch.bind(AnodeSocketAddress.of(a.address(), 0));
                via.queries.set(0);
                // Fits 1400 (the check) but not 1232 (the write): 1300 bytes of payload.
                ByteBuffer big = ByteBuffer.allocate(1300);
                IOException e =
                        assertThrows(IOException.class, () -> ch.send(big, AnodeSocketAddress.of(remote.address(), 7)));
                assertEquals("Message too long", e.getMessage());
                assertEquals(0, big.position(), "nothing consumed");
                assertTrue(ch.isOpen());
                // A datagram that fits the new limit still goes.
                ByteBuffer small = ByteBuffer.allocate(100);
                assertEquals(100, ch.send(small, AnodeSocketAddress.of(remote.address(), 7)));
            }
            assertEquals(2, via.sent.get());
        }
    }
}
