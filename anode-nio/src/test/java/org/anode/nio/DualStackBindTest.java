package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.BindException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.List;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The default sockets of a node (DECISIONS 40): an IPv4 and an IPv6 one on one port, both carrying
 * traffic; a configured port that cannot be had for both families fails at start with a clear
 * error; ephemeral ports never collide. The nodes here bind the wildcards, so LAN discovery is off:
 * a test must not broadcast on the host's real interfaces.
 */
@Timeout(60)
class DualStackBindTest {
    private static AnodeNodeConfig.Builder wildcard() {
        return AnodeNodeConfig.builder().lan(false);
    }

    private static InetAddress v6Loopback() throws IOException {
        return InetAddress.getByAddress(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
    }

    @Test
    void bothFamiliesOnOnePortAndBothCarryTraffic() throws Exception {
        try (NodeTestSupport s = new NodeTestSupport()) {
            AnodeNode a = s.node(wildcard().build());
            AnodeNode b = s.node(wildcard().build());
            List<InetSocketAddress> eps = a.localEndpoints();
            assertEquals(2, eps.size(), eps.toString());
            assertInstanceOf(Inet4Address.class, eps.get(0).getAddress());
            assertInstanceOf(Inet6Address.class, eps.get(1).getAddress());
            assertEquals(eps.get(0).getPort(), eps.get(1).getPort(), "one port for both families");
            int port = eps.get(0).getPort();

            // Over IPv6 (UDP/IPv6 endpoints, DECISIONS 40)...
            b.addPeerEndpoint(a.address(), new InetSocketAddress(v6Loopback(), port));
            assertTrue(b.ping(a.address(), Duration.ofSeconds(5)).toNanos() > 0);
            assertInstanceOf(
                    Inet6Address.class,
                    b.pathTo(a.address()).orElseThrow().endpoint().getAddress());
            // ...and over IPv4, each packet to the socket of its own family.
            AnodeNode c = s.node(wildcard().build());
            c.addPeerEndpoint(a.address(), new InetSocketAddress(NodeTestSupport.LOOPBACK, port));
            assertTrue(c.ping(a.address(), Duration.ofSeconds(5)).toNanos() > 0);
            assertInstanceOf(
                    Inet4Address.class,
                    a.pathTo(c.address()).orElseThrow().endpoint().getAddress());
            assertInstanceOf(
                    Inet6Address.class,
                    a.pathTo(b.address()).orElseThrow().endpoint().getAddress());

            // The packet limits of DECISIONS 27: 1232 bytes over IPv6, 1400 over IPv4 - the largest
            // datagram differs by exactly that much, whatever the header.
            try (AnodeDatagramChannel ch = a.openDatagramChannel()) {
                ch.bind(AnodeSocketAddress.of(a.address(), 0));
                int overV6 = ch.maxDatagramSize(AnodeSocketAddress.of(b.address(), 7));
                int overV4 = ch.maxDatagramSize(AnodeSocketAddress.of(c.address(), 7));
                assertEquals(
                        AnodeNodeConfig.DEFAULT_MAX_PACKET_IPV4 - AnodeNodeConfig.DEFAULT_MAX_PACKET_IPV6,
                        overV4 - overV6,
                        overV4 + " / " + overV6);
                assertThrows(
                        IOException.class,
                        () -> ch.send(ByteBuffer.allocate(overV6 + 1), AnodeSocketAddress.of(b.address(), 7)),
                        "larger than 1232 bytes on the wire");
                assertEquals(overV6, ch.send(ByteBuffer.allocate(overV6), AnodeSocketAddress.of(b.address(), 7)));
            }
        }
    }

    @Test
    void aConfiguredPortMustBeHadOnBothFamilies() throws Exception {
        try (NodeTestSupport s = new NodeTestSupport()) {
            AnodeNode a = s.node(wildcard().build());
            int taken = a.localEndpoints().get(0).getPort();
            // Taken for both: the IPv4 bind fails, and says so.
            BindException e = assertThrows(
                    BindException.class,
                    () -> AnodeNode.start(
                            AnodeIdentity.generate(Zone.DEFAULT),
                            wildcard().port(taken).build()));
            assertTrue(e.getMessage().contains("UDP port " + taken + " cannot be bound for IPv4"), e.getMessage());

            // Free for IPv4 but held for IPv6 by someone else: the node does not start half-bound.
            try (DatagramChannel holder = DatagramChannel.open(StandardProtocolFamily.INET6)) {
                holder.bind(new InetSocketAddress(v6Loopback(), 0));
                int p = ((InetSocketAddress) holder.getLocalAddress()).getPort();
                BindException e6 = assertThrows(
                        BindException.class,
                        () -> AnodeNode.start(
                                AnodeIdentity.generate(Zone.DEFAULT),
                                wildcard().port(p).build()));
                assertTrue(
                        e6.getMessage().contains("UDP port " + p + " is bound for IPv4 but cannot be bound for IPv6"),
                        e6.getMessage());
                // The IPv4 socket it had bound was released with the failure.
                try (DatagramChannel again = DatagramChannel.open(StandardProtocolFamily.INET)) {
                    again.bind(new InetSocketAddress(NodeTestSupport.LOOPBACK, p));
                }
            }

            // A free configured port: both families on it.
            int free;
            try (DatagramChannel probe = DatagramChannel.open(StandardProtocolFamily.INET6)) {
                probe.bind(new InetSocketAddress(0));
                free = ((InetSocketAddress) probe.getLocalAddress()).getPort();
            }
            AnodeNode b = s.node(wildcard().port(free).build());
            assertEquals(free, b.localEndpoints().get(0).getPort());
            assertEquals(free, b.localEndpoints().get(1).getPort());
            // Nobody else may share it afterwards, not even with SO_REUSEADDR.
            try (DatagramChannel sharer = DatagramChannel.open(StandardProtocolFamily.INET)) {
                sharer.setOption(java.net.StandardSocketOptions.SO_REUSEADDR, true);
                assertThrows(BindException.class, () -> sharer.bind(new InetSocketAddress(free)));
            }
        }
    }

    @Test
    void ephemeralPortsNeverCollide() throws Exception {
        try (NodeTestSupport s = new NodeTestSupport()) {
            java.util.Set<Integer> seen = new java.util.HashSet<>();
            for (int i = 0; i < 16; i++) {
                AnodeNode n = s.node(wildcard().build());
                List<InetSocketAddress> eps = n.localEndpoints();
                assertEquals(2, eps.size());
                assertTrue(seen.add(eps.get(0).getPort()), "IPv4 port reused: " + eps);
                if (eps.get(1).getPort() != eps.get(0).getPort()) {
                    assertTrue(seen.add(eps.get(1).getPort()), "IPv6 port reused: " + eps);
                }
            }
        }
    }
}
