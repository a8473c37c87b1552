package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.anode.address.AnodeIdentity;
import org.anode.engine.Engine;
import org.anode.engine.Outbound;
import org.anode.engine.Peer;
import org.anode.transport.FallbackConfig;
import org.anode.wire.Endpoint;
import org.anode.wire.EndpointType;
import org.anode.wire.Message;
import org.anode.wire.MessageType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link AnodeNode#pathTo} names the carrier and the peer's advertised TCP and HTTP endpoints, on
 * real sockets (draft 2.9.2, 2.9.3, 2.10, 4.2.6; DECISIONS 38; addendum A16). As in
 * {@link FallbackLoopbackTest}, node A's zr UDP port leads to a closed gate, so A reaches the relay
 * over TCP; node B reaches it over UDP and itself listens on TCP and HTTP.
 */
@Timeout(120)
class FallbackEpiLoopbackTest {

    /** The relay, A (relay over TCP), B (relay over UDP; serving TCP and HTTP itself). */
    static final class Net implements AutoCloseable {
        final NodeTestSupport nodes = new NodeTestSupport();
        final AnodeNode relay;
        final FallbackLoopbackTest.UdpGate gate;
        final AnodeNode a;
        final AnodeNode b;

        Net(Path dir) throws Exception {
            relay = nodes.node(
                    AnodeIdentity.generate(FallbackLoopbackTest.ZONE),
                    NodeTestSupport.loopbackConfig()
                            .relay(RelayLimits.defaults())
                            .announce(false)
                            .tcpPort(0)
                            .build());
            InetSocketAddress udp = relay.localEndpoints().get(0);
            gate = new FallbackLoopbackTest.UdpGate(udp);
            Path zA = FallbackLoopbackTest.zoneFile(
                    dir,
                    relay.address(),
                    gate.port(),
                    relay.tcpEndpoint().orElseThrow().getPort(),
                    null);
            Path zB = FallbackLoopbackTest.zoneFile(dir, relay.address(), udp.getPort(), udp.getPort(), null);
            a = nodes.node(
                    AnodeIdentity.generate(FallbackLoopbackTest.ZONE),
                    NodeTestSupport.loopbackConfig()
                            .zoneSource(FallbackLoopbackTest.ZONE, zA.toString())
                            .fallback(FallbackConfig.defaults().withProbeInterval(Duration.ofSeconds(1)))
                            .build());
            b = nodes.node(
                    AnodeIdentity.generate(FallbackLoopbackTest.ZONE),
                    NodeTestSupport.loopbackConfig()
                            .zoneSource(FallbackLoopbackTest.ZONE, zB.toString())
                            .tcpPort(0)
                            .httpPort(0)
                            .build());
            StreamTestSupport.awaitTrue(() -> relay.relayStatistics().registrations() >= 2, 30_000);
        }

        @Override
        public void close() throws Exception {
            nodes.close();
            gate.close();
        }
    }

    @Test
    void pathToNamesTheTcpCarrierAndThePeersAdvertisedTcpAndHttpEndpoints(@TempDir Path dir) throws Exception {
        try (Net n = new Net(dir)) {
            n.a.ping(n.b.address(), Duration.ofSeconds(10));

            AnodePath p = n.a.pathTo(n.b.address()).orElseThrow();
            assertTrue(p.relayed(), p.toString());
            assertEquals(EndpointType.TCP_IPV4, p.carrier(), p.toString());
            assertEquals("relay/tcp", p.label());
            assertEquals("relay", p.kind(), "the old accessor says what it said");
            assertEquals(p.endpoint(), p.routes().get(0).endpoint());
            assertEquals(EndpointType.TCP_IPV4, p.routes().get(0).carrier());
            assertEquals(p.paths(), p.routes().size());

            // B's EPIs (sent when A's first packet reached it over the relay) name B's listeners.
            Endpoint tcp = Endpoint.tcp(n.b.tcpEndpoint().orElseThrow());
            Endpoint http = new Endpoint.Http(
                    "http://127.0.0.1:" + n.b.httpEndpoint().orElseThrow().getPort() + "/");
            StreamTestSupport.awaitTrue(
                    () -> n.a.pathTo(n.b.address()).orElseThrow().advertised().size() == 2, 20_000);
            assertEquals(
                    List.of(tcp, http), n.a.pathTo(n.b.address()).orElseThrow().advertised());

            AnodePath back = n.b.pathTo(n.a.address()).orElseThrow();
            assertEquals("relay", back.label(), "B reaches the relay over UDP: " + back);
            assertEquals(EndpointType.UDP_IPV4, back.carrier());
            assertEquals(List.of(), back.advertised(), "A serves no TCP or HTTP");

            // The relay sees A as a TCP client of its listener.
            AnodePath atRelay = n.relay.pathTo(n.a.address()).orElseThrow();
            assertEquals("direct/tcp", atRelay.label(), atRelay.toString());
            String line = java.util.Arrays.stream(NodeManagement.peerLines(n.relay))
                    .filter(l -> l.startsWith(n.a.address().toString()))
                    .findFirst()
                    .orElseThrow();
            assertTrue(line.matches("\\S+ 127\\.0\\.0\\.1:\\d+/0/tcp"), "anode status marks the TCP client: " + line);
            assertEquals(EndpointType.TCP_IPV4, n.a.carrierTo(n.b.address()).orElseThrow());
        }
    }

    @Test
    void aHostileEpiNamingThirdPartyTcpAndHttpEndpointsOpensNoConnection(@TempDir Path dir) throws Exception {
        try (Net n = new Net(dir);
                ServerSocket victimTcp = new ServerSocket(0, 50, NodeTestSupport.LOOPBACK);
                ServerSocket victimHttp = new ServerSocket(0, 50, NodeTestSupport.LOOPBACK)) {
            n.b.ping(n.a.address(), Duration.ofSeconds(10));
            Endpoint tcp = Endpoint.tcp((InetSocketAddress) victimTcp.getLocalSocketAddress());
            Endpoint http = new Endpoint.Http("http://127.0.0.1:" + victimHttp.getLocalPort() + "/x");
            // B, authenticated, names a third party's services in EPIs, again and again.
            Engine eb = n.b.engine();
            Peer pa = eb.peer(n.a.address());
            Outbound o = new Outbound(2048);
            for (int i = 0; i < 20; i++) {
                for (Endpoint e : List.of(tcp, http)) {
                    ByteBuffer buf = eb.begin(o, pa, MessageType.EPI, 0);
                    new Message.Epi(e, 0, new byte[0]).writeTo(buf);
                    eb.finish(o);
                }
            }
            StreamTestSupport.awaitTrue(
                    () -> n.a.pathTo(n.b.address()).orElseThrow().advertised().contains(http), 20_000);
            List<Endpoint> advertised = n.a.pathTo(n.b.address()).orElseThrow().advertised();
            assertTrue(advertised.containsAll(List.of(tcp, http)), "A recorded them: " + advertised);
            assertTrue(advertised.size() <= 4, "bounded: " + advertised);
            victimTcp.setSoTimeout(3000);
            victimHttp.setSoTimeout(1000);
            assertThrows(SocketTimeoutException.class, victimTcp::accept, "A never connects to the named TCP port");
            assertThrows(SocketTimeoutException.class, victimHttp::accept, "nor to the named HTTP one");
            AnodePath p = n.a.pathTo(n.b.address()).orElseThrow();
            assertFalse(
                    p.routes().stream().anyMatch(r -> r.endpoint().getPort() == victimTcp.getLocalPort()),
                    "an advertised endpoint is never a path: " + p);
            n.a.ping(n.b.address(), Duration.ofSeconds(10));
        }
    }
}
