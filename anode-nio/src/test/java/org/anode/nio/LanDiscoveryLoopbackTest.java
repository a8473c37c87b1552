package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * LAN discovery's sockets on one host (draft 4.2.6, DECISIONS 37): nodes bound to 127.0.0.1 use
 * the loopback broadcast only, on a discovery port of the test's own (so nothing reaches a real
 * LAN, and parallel test runs stay apart). Two nodes that know nothing of each other but the
 * address reach each other, with datagrams, by address alone; with discovery off they do not.
 */
@Timeout(60)
class LanDiscoveryLoopbackTest {
    /** A UDP port free right now on the loopback broadcast address, for this test's discovery. */
    private static int freeLanPort() throws IOException {
        try (DatagramChannel ch = DatagramChannel.open()) {
            ch.bind(new InetSocketAddress(NodeTestSupport.LOOPBACK, 0));
            return ((InetSocketAddress) ch.getLocalAddress()).getPort();
        }
    }

    @Test
    void twoLoopbackNodesFindEachOtherByAddressAlone() throws Exception {
        int lanPort = freeLanPort();
        try (NodeTestSupport s = new NodeTestSupport()) {
            AnodeNode a = s.node(
                    NodeTestSupport.loopbackConfig().lan(true).lanPort(lanPort).build());
            AnodeNode b = s.node(
                    NodeTestSupport.loopbackConfig().lan(true).lanPort(lanPort).build());
            assertTrue(a.peerEndpoints(b.address()).isEmpty());
            Duration rtt = a.ping(b.address(), Duration.ofSeconds(5));
            assertTrue(rtt.toNanos() > 0);
            AnodePath p = a.pathTo(b.address()).orElseThrow();
            assertEquals(0, p.hops(), "a direct path: " + p);
            assertEquals(b.localEndpoints().get(0), a.peerEndpoints(b.address()).get(0));

            try (DatagramChannel ca = a.openDatagramChannel();
                    DatagramChannel cb = b.openDatagramChannel()) {
                ca.bind(AnodeSocketAddress.of(a.address(), 7));
                cb.bind(AnodeSocketAddress.of(b.address(), 7));
                // B has learned A's endpoint from the exchange: the reverse direction needs no search.
                cb.send(NodeTestSupport.utf8("hello"), AnodeSocketAddress.of(a.address(), 7));
                ByteBuffer in = ByteBuffer.allocate(100);
                ca.receive(in);
                assertEquals("hello", NodeTestSupport.utf8(in));
            }
        }
    }

    /**
     * DECISIONS 31: the LAN and the zone relay are tried together, and the proven direct path is
     * the one used - even for nodes whose zone has a relay both are registered with.
     */
    @Test
    void aLanPathBeatsTheRelay(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        int lanPort = freeLanPort();
        try (NodeTestSupport s = new NodeTestSupport()) {
            AnodeNode relay = s.node(
                    org.anode.address.AnodeIdentity.generate(RelayLoopbackTest.ZONE),
                    NodeTestSupport.loopbackConfig()
                            .relay(RelayLimits.defaults())
                            .announce(false)
                            .lan(false)
                            .build());
            java.nio.file.Path zone = RelayLoopbackTest.writeZoneFile(
                    dir, relay.address(), relay.localEndpoints().get(0).getPort());
            AnodeNodeConfig cfg = NodeTestSupport.loopbackConfig()
                    .zoneSource(RelayLoopbackTest.ZONE, zone.toString())
                    .lan(true)
                    .lanPort(lanPort)
                    .build();
            AnodeNode a = s.node(org.anode.address.AnodeIdentity.generate(RelayLoopbackTest.ZONE), cfg);
            AnodeNode b = s.node(org.anode.address.AnodeIdentity.generate(RelayLoopbackTest.ZONE), cfg);
            StreamTestSupport.awaitTrue(() -> relay.relayStatistics().registrations() >= 2, 10_000);
            a.ping(b.address(), Duration.ofSeconds(5));
            StreamTestSupport.awaitTrue(
                    () -> a.pathTo(b.address()).map(p -> p.hops() == 0).orElse(false), 10_000);
            AnodePath p = a.pathTo(b.address()).orElseThrow();
            assertEquals(0, p.hops(), p.toString());
            assertEquals(b.localEndpoints().get(0), p.endpoint());
            assertTrue(a.lanStatistics().queriesSent() >= 1, a.lanStatistics().toString());
        }
    }

    @Test
    void withDiscoveryOffNothingIsFound() throws Exception {
        int lanPort = freeLanPort();
        try (NodeTestSupport s = new NodeTestSupport()) {
            AnodeNode a = s.node(NodeTestSupport.loopbackConfig()
                    .lanPort(lanPort)
                    .lan(false)
                    .routeTimeout(Duration.ofSeconds(2))
                    .build());
            AnodeNode b = s.node(
                    NodeTestSupport.loopbackConfig().lan(true).lanPort(lanPort).build());
            AnodeNode c = s.node(
                    NodeTestSupport.loopbackConfig().lanPort(lanPort).lan(false).build());
            // A does not look; B looks for C, which does not listen.
            assertThrows(NoRouteToHostException.class, () -> a.ping(b.address(), Duration.ofSeconds(1)));
            assertThrows(NoRouteToHostException.class, () -> b.findPath(c.address()));
            assertTrue(b.peerEndpoints(c.address()).isEmpty());
        }
    }
}
