package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.List;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** PING / PONG round trips (draft 4.2.2, 4.2.3) between nodes, and what the peer table learns. */
@Timeout(30)
class NodePingTest {
    @Test
    void pingRoundTripsAndTeachesTheOtherSide() throws Exception {
        try (NodeTestSupport t = new NodeTestSupport()) {
            AnodeNode a = t.node();
            AnodeNode b = t.node();
            a.addPeerEndpoint(b.address(), b.localEndpoints().get(0));
            assertFalse(b.knowsPeer(a.address()));
            for (int i = 0; i < 20; i++) {
                Duration rtt = a.ping(b.address(), Duration.ofSeconds(5));
                assertTrue(!rtt.isNegative() && !rtt.isZero(), "rtt " + rtt);
            }
            assertTrue(b.knowsPeer(a.address()), "b learned a from its authenticated PING");
            assertEquals(List.of(a.localEndpoints().get(0)), b.peerEndpoints(a.address()));
            // b's event loop counts the PONG after handing it to the socket: a may see it first.
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (b.statistics().pongsSent() < 20 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(20, b.statistics().pongsSent());
            // And b can now ping a back without being told anything.
            assertTrue(b.ping(a.address(), Duration.ofSeconds(5)).toNanos() > 0);
        }
    }

    @Test
    void pingUnknownPeerHasNoRoute() throws Exception {
        try (NodeTestSupport t = new NodeTestSupport()) {
            AnodeNode a = t.node();
            assertThrows(
                    NoRouteToHostException.class,
                    () -> a.ping(AnodeIdentity.generate(Zone.DEFAULT).address(), Duration.ofSeconds(1)));
        }
    }

    @Test
    void pingWithoutAnswerTimesOut() throws Exception {
        try (NodeTestSupport t = new NodeTestSupport();
                DatagramChannel silent = DatagramChannel.open()) {
            silent.bind(new InetSocketAddress(NodeTestSupport.LOOPBACK, 0));
            AnodeNode a = t.node();
            AnodeIdentity ghost = AnodeIdentity.generate(Zone.DEFAULT);
            a.addPeerEndpoint(ghost.address(), (InetSocketAddress) silent.getLocalAddress());
            assertThrows(SocketTimeoutException.class, () -> a.ping(ghost.address(), Duration.ofMillis(200)));
        }
    }

    @Test
    void addPeerEndpointValidatesItsArguments() throws Exception {
        try (NodeTestSupport t = new NodeTestSupport()) {
            AnodeNode a = t.node();
            AnodeIdentity other = AnodeIdentity.generate(Zone.DEFAULT);
            assertThrows(
                    IllegalArgumentException.class,
                    () -> a.addPeerEndpoint(other.address(), InetSocketAddress.createUnresolved("example.org", 1)));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> a.addPeerEndpoint(
                            other.address(), new InetSocketAddress(java.net.InetAddress.getByName("::1"), 1)),
                    "no IPv6 socket bound");
            assertThrows(
                    IllegalArgumentException.class,
                    () -> a.addPeerEndpoint(a.address(), new InetSocketAddress(NodeTestSupport.LOOPBACK, 1)));
        }
    }

    @Test
    void addPeerEndpointRefusesPortZeroClearly() throws Exception {
        try (NodeTestSupport t = new NodeTestSupport()) {
            AnodeNode a = t.node();
            AnodeIdentity other = AnodeIdentity.generate(Zone.DEFAULT);
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> a.addPeerEndpoint(other.address(), new InetSocketAddress(NodeTestSupport.LOOPBACK, 0)));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("port must not be 0"), e.getMessage());
        }
    }
}
