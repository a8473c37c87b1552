package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.anode.address.AnodeAddress;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.transport.FallbackConfig;
import org.anode.transport.ZoneHttpEndpoints;
import org.anode.wire.EndpointType;
import org.anode.zone.ZoneFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fallback transports end to end on loopback (draft 2.9.2, 2.9.3; DECISIONS 38): a relay
 * serving UDP, TCP and HTTP; node B reaches it over UDP, node A through a zone file whose zr UDP
 * port leads to a gate that drops everything (as a firewall would), so A must use TCP, or HTTP
 * when its zr TCP port is refused too; opening the gate moves A back to UDP mid-stream.
 */
@Timeout(180)
class FallbackLoopbackTest {
    static final Zone ZONE = new Zone(0x0a0b0c0e);
    static final InetAddress LO = NodeTestSupport.LOOPBACK;

    /**
     * A UDP forwarder standing in for a firewall: clients send to {@link #port()}, it forwards to
     * the relay from its own socket and back to the last client; while closed it drops both ways.
     */
    static final class UdpGate implements AutoCloseable {
        final DatagramSocket front;
        final DatagramSocket back;
        final InetSocketAddress relay;
        volatile boolean open;
        volatile SocketAddress client;
        final Thread[] threads = new Thread[2];

        UdpGate(InetSocketAddress relay) throws IOException {
            this.relay = relay;
            front = new DatagramSocket(new InetSocketAddress(LO, 0));
            back = new DatagramSocket(new InetSocketAddress(LO, 0));
            front.setSoTimeout(200);
            back.setSoTimeout(200);
            threads[0] = pump(front, true);
            threads[1] = pump(back, false);
        }

        private Thread pump(DatagramSocket s, boolean fromClient) {
            Thread t = new Thread(
                    () -> {
                        byte[] buf = new byte[65536];
                        while (!s.isClosed()) {
                            DatagramPacket p = new DatagramPacket(buf, buf.length);
                            try {
                                s.receive(p);
                            } catch (SocketTimeoutException e) {
                                continue;
                            } catch (IOException e) {
                                return;
                            }
                            if (!open) {
                                continue;
                            }
                            try {
                                if (fromClient) {
                                    client = p.getSocketAddress();
                                    back.send(new DatagramPacket(buf, p.getLength(), relay));
                                } else if (client != null) {
                                    front.send(new DatagramPacket(buf, p.getLength(), client));
                                }
                            } catch (IOException e) {
                                // dropped, as UDP may
                            }
                        }
                    },
                    "udp-gate");
            t.setDaemon(true);
            t.start();
            return t;
        }

        int port() {
            return front.getLocalPort();
        }

        @Override
        public void close() throws InterruptedException {
            front.close();
            back.close();
            for (Thread t : threads) {
                t.join(5000);
            }
        }
    }

    static Path zoneFile(Path dir, AnodeAddress relay, int udp, int tcp, String http) throws IOException {
        ZoneFile.Builder b = ZoneFile.builder()
                .name("test")
                .description("fallback test zone")
                .contact("test@example.org")
                .revision(1)
                .ttl(Duration.ofSeconds(60))
                .relay(List.of(LO), udp, tcp, List.of(relay));
        if (http != null) {
            b.put(ZoneHttpEndpoints.keyFor(0), http);
        }
        Path p = Files.createTempFile(dir, "zone", ".txt");
        Files.writeString(p, b.build().write());
        return p;
    }

    static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, LO)) {
            return s.getLocalPort();
        }
    }

    /** The relay, B on plain UDP, and A behind the gate with the given zr TCP port and zh URI. */
    static final class Net implements AutoCloseable {
        final NodeTestSupport nodes = new NodeTestSupport();
        final AnodeNode relay;
        final UdpGate gate;
        final AnodeNode a;
        final AnodeNode b;

        Net(Path dir, boolean tcp, boolean http) throws Exception {
            relay = nodes.node(
                    AnodeIdentity.generate(ZONE),
                    NodeTestSupport.loopbackConfig()
                            .lan(false)
                            .relay(RelayLimits.defaults())
                            .announce(false)
                            .tcpPort(0)
                            .httpPort(0)
                            .build());
            InetSocketAddress udp = relay.localEndpoints().get(0);
            gate = new UdpGate(udp);
            String uri =
                    "http://127.0.0.1:" + relay.httpEndpoint().orElseThrow().getPort() + "/a";
            Path zA = zoneFile(
                    dir,
                    relay.address(),
                    gate.port(),
                    tcp ? relay.tcpEndpoint().orElseThrow().getPort() : closedPort(),
                    http ? uri : null);
            Path zB = zoneFile(dir, relay.address(), udp.getPort(), udp.getPort(), null);
            a = nodes.node(
                    AnodeIdentity.generate(ZONE),
                    NodeTestSupport.loopbackConfig()
                            .lan(false)
                            .zoneSource(ZONE, zA.toString())
                            .fallback(FallbackConfig.defaults().withProbeInterval(Duration.ofSeconds(1)))
                            .build());
            b = nodes.node(
                    AnodeIdentity.generate(ZONE),
                    NodeTestSupport.loopbackConfig()
                            .lan(false)
                            .zoneSource(ZONE, zB.toString())
                            .build());
            StreamTestSupport.awaitTrue(() -> relay.relayStatistics().registrations() >= 2, 30_000);
        }

        @Override
        public void close() throws Exception {
            nodes.close();
            gate.close();
        }
    }

    /** Streams {@code size} random bytes A to B while {@code during} runs after the first quarter. */
    static void stream(Net n, int size, Runnable during) throws Exception {
        AnodeServerSocketChannel server = n.nodes.track(AnodeServerSocketChannel.open(n.b));
        server.bind(AnodeSocketAddress.of(n.b.address(), 80));
        CompletableFuture<byte[]> digest = CompletableFuture.supplyAsync(() -> {
            try (AnodeSocketChannel c = (AnodeSocketChannel) server.accept()) {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                ByteBuffer buf = ByteBuffer.allocate(65536);
                long total = 0;
                while (c.read(buf.clear()) >= 0) {
                    buf.flip();
                    total += buf.remaining();
                    md.update(buf);
                }
                assertEquals(size, total);
                return md.digest();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        Random rnd = new Random(7);
        byte[] chunk = new byte[65536];
        try (AnodeSocketChannel c = (AnodeSocketChannel) n.a.selectorProvider().openSocketChannel()) {
            c.connect(AnodeSocketAddress.of(n.b.address(), 80));
            for (int sent = 0; sent < size; sent += chunk.length) {
                if (sent == size / 4 && during != null) {
                    during.run();
                }
                rnd.nextBytes(chunk);
                md.update(chunk);
                ByteBuffer b = ByteBuffer.wrap(chunk);
                while (b.hasRemaining()) {
                    c.write(b);
                }
            }
            c.shutdownOutput();
            assertArrayEquals(md.digest(), digest.get(150, TimeUnit.SECONDS), "the stream's bytes");
        }
    }

    @Test
    void udpSilentRelayIsReachedOverTcp(@TempDir Path dir) throws Exception {
        try (Net n = new Net(dir, true, true)) {
            Duration rtt = n.a.ping(n.b.address(), Duration.ofSeconds(10));
            assertTrue(rtt.toNanos() > 0);
            assertEquals(EndpointType.TCP_IPV4, n.a.carrierTo(n.b.address()).orElseThrow());
            stream(n, 4 << 20, null);
            assertEquals(EndpointType.TCP_IPV4, n.a.carrierTo(n.b.address()).orElseThrow());
        }
    }

    @Test
    void udpSilentAndTcpRefusedRelayIsReachedOverHttp(@TempDir Path dir) throws Exception {
        try (Net n = new Net(dir, false, true)) {
            n.a.ping(n.b.address(), Duration.ofSeconds(10));
            assertEquals(EndpointType.HTTP, n.a.carrierTo(n.b.address()).orElseThrow());
            stream(n, 2 << 20, null);
            assertEquals(EndpointType.HTTP, n.a.carrierTo(n.b.address()).orElseThrow());
        }
    }

    @Test
    void openingUdpMidStreamMovesBackToUdpAndTheStreamStaysIntact(@TempDir Path dir) throws Exception {
        try (Net n = new Net(dir, false, true)) {
            n.a.ping(n.b.address(), Duration.ofSeconds(10));
            assertEquals(EndpointType.HTTP, n.a.carrierTo(n.b.address()).orElseThrow());
            stream(n, 6 << 20, () -> n.gate.open = true);
            StreamTestSupport.awaitTrue(
                    () -> n.a.carrierTo(n.b.address()).orElseThrow() == EndpointType.UDP_IPV4, 20_000);
            assertEquals(EndpointType.UDP_IPV4, n.a.carrierTo(n.b.address()).orElseThrow());
            n.a.ping(n.b.address(), Duration.ofSeconds(10));
        }
    }
}
