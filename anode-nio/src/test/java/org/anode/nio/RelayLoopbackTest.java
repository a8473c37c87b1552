package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
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
import org.anode.zone.ZoneFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reaching an address alone (DECISIONS 31-34) on loopback: a relay node and two nodes that know
 * only the relay, through a zone file the test writes (a per-zone override naming the relay's
 * 127.0.0.1 port in a {@code zr} entry). Nothing calls addPeerEndpoint.
 */
@Timeout(120)
class RelayLoopbackTest {
    static final Zone ZONE = new Zone(0x0a0b0c0d);

    /** A relay and two nodes of {@link #ZONE} that registered with it. */
    static final class Net implements AutoCloseable {
        final NodeTestSupport nodes = new NodeTestSupport();
        final AnodeNode relay;
        final Path zoneFile;
        final AnodeNode a;
        final AnodeNode b;

        Net(Path dir, RelayLimits limits) throws Exception {
            relay = nodes.node(
                    AnodeIdentity.generate(ZONE),
                    NodeTestSupport.loopbackConfig()
                            .relay(limits)
                            .announce(false)
                            .build());
            zoneFile = writeZoneFile(
                    dir, relay.address(), relay.localEndpoints().get(0).getPort());
            a = nodes.node(AnodeIdentity.generate(ZONE), config(zoneFile).build());
            b = nodes.node(AnodeIdentity.generate(ZONE), config(zoneFile).build());
            StreamTestSupport.awaitTrue(() -> relay.relayStatistics().registrations() >= 2, 10_000);
            assertEquals(2, relay.relayStatistics().registrations(), "both nodes registered at start");
        }

        @Override
        public void close() {
            nodes.close();
        }
    }

    static AnodeNodeConfig.Builder config(Path zoneFile) {
        // The relay is under test: LAN discovery (on by default) would find the other node directly
        // over loopback, and a proven direct path beats a relayed one (DECISIONS 31).
        return NodeTestSupport.loopbackConfig()
                .zoneSource(ZONE, zoneFile.toString())
                .lan(false);
    }

    static Path writeZoneFile(Path dir, AnodeAddress relay, int port) throws IOException {
        ZoneFile f = ZoneFile.builder()
                .name("test")
                .description("loopback test zone")
                .contact("test@example.org")
                .revision(1)
                .ttl(Duration.ofSeconds(60))
                .relay(List.of(InetAddress.getByAddress(new byte[] {127, 0, 0, 1})), port, port, List.of(relay))
                .build();
        Path p = Files.createTempFile(dir, "zone", ".txt");
        Files.writeString(p, f.write());
        return p;
    }

    @Test
    void pingByAddressAloneGoesThroughTheRelay(@TempDir Path dir) throws Exception {
        try (Net n = new Net(dir, RelayLimits.defaults())) {
            assertFalse(n.a.knowsPeer(n.b.address()));
            Duration rtt = n.a.ping(n.b.address(), Duration.ofSeconds(10));
            assertTrue(rtt.toNanos() > 0);
            AnodePath p = n.a.pathTo(n.b.address()).orElseThrow();
            assertTrue(p.relayed(), p.toString());
            assertEquals(1, p.hops(), p.toString());
            assertEquals(n.relay.address(), p.relay().orElseThrow(), p.toString());
            assertEquals(n.relay.localEndpoints().get(0), p.endpoint());
            // The answer came back through the relay too: B has a relayed path back to A.
            AnodePath back = n.b.pathTo(n.a.address()).orElseThrow();
            assertTrue(back.relayed(), back.toString());
            assertEquals(n.relay.address(), back.relay().orElseThrow(), back.toString());
            assertTrue(n.relay.relayStatistics().forwarded() >= 2);
            assertTrue(n.b.relayStatistics().relayedReceived() >= 1);
        }
    }

    @Test
    void thousandDatagramsByAddressAlone(@TempDir Path dir) throws Exception {
        try (Net n = new Net(dir, RelayLimits.defaults())) {
            AnodeDatagramChannel rx = n.nodes.track(n.b.openDatagramChannel());
            rx.bind(AnodeSocketAddress.of(n.b.address(), 7));
            AnodeDatagramChannel tx = n.nodes.track(n.a.openDatagramChannel());
            tx.bind(AnodeSocketAddress.of(n.a.address(), 0));
            AnodeSocketAddress to = AnodeSocketAddress.of(n.b.address(), 7);
            int count = 1000;
            boolean[] seen = new boolean[count];
            // The first send waits while the path is found; the rest go at once.
            CompletableFuture<Integer> received = CompletableFuture.supplyAsync(() -> {
                int got = 0;
                ByteBuffer buf = ByteBuffer.allocate(2048);
                try {
                    rx.socket().setSoTimeout(5000);
                    while (got < count) {
                        buf.clear();
                        java.net.DatagramPacket dp = new java.net.DatagramPacket(new byte[2048], 2048);
                        rx.socket().receive(dp);
                        int i = ByteBuffer.wrap(dp.getData(), 0, dp.getLength()).getInt();
                        if (i >= 0 && i < count && !seen[i]) {
                            seen[i] = true;
                            got++;
                        }
                    }
                } catch (IOException e) {
                    // Timed out: the count says how many arrived.
                }
                return got;
            });
            ByteBuffer m = ByteBuffer.allocate(200);
            for (int i = 0; i < count; i++) {
                m.clear();
                m.putInt(i).position(200).flip();
                assertEquals(200, tx.send(m, to));
                if (i % 100 == 99) {
                    Thread.sleep(2);
                }
            }
            assertEquals(count, received.get(30, TimeUnit.SECONDS), "every datagram arrives on loopback");
            assertTrue(n.a.pathTo(n.b.address()).orElseThrow().relayed());
        }
    }

    @Test
    void sixtyFourMebibyteStreamThroughTheRelay(@TempDir Path dir) throws Exception {
        try (Net n = new Net(dir, RelayLimits.defaults().withRates(1_000_000, 1_000_000, 1_000_000))) {
            AnodeServerSocketChannel server = n.nodes.track(
                    (AnodeServerSocketChannel) n.b.selectorProvider().openServerSocketChannel());
            server.bind(AnodeSocketAddress.of(n.b.address(), 80));
            int size = 64 << 20;
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
            Random rnd = new Random(42);
            byte[] chunk = new byte[65536];
            try (AnodeSocketChannel c =
                    (AnodeSocketChannel) n.a.selectorProvider().openSocketChannel()) {
                c.connect(AnodeSocketAddress.of(n.b.address(), 80));
                for (int sent = 0; sent < size; sent += chunk.length) {
                    rnd.nextBytes(chunk);
                    md.update(chunk);
                    ByteBuffer b = ByteBuffer.wrap(chunk);
                    while (b.hasRemaining()) {
                        c.write(b);
                    }
                }
                c.shutdownOutput();
                assertArrayEquals(md.digest(), digest.get(100, TimeUnit.SECONDS));
            }
            assertTrue(n.a.pathTo(n.b.address()).orElseThrow().relayed());
        }
    }

    @Test
    void zoneFileUnreachableIsTheReason(@TempDir Path dir) throws Exception {
        try (NodeTestSupport nodes = new NodeTestSupport()) {
            AnodeNode a = nodes.node(
                    AnodeIdentity.generate(ZONE),
                    config(dir.resolve("missing.txt")).build());
            AnodeAddress stranger = AnodeIdentity.generate(ZONE).address();
            NoRouteToHostException e =
                    assertThrows(NoRouteToHostException.class, () -> a.ping(stranger, Duration.ofSeconds(5)));
            assertTrue(e.getMessage().contains("zone file") && e.getMessage().contains("unreachable"), e.getMessage());
            AnodeDatagramChannel tx = nodes.track(a.openDatagramChannel());
            assertThrows(
                    NoRouteToHostException.class,
                    () -> tx.send(ByteBuffer.allocate(1), AnodeSocketAddress.of(stranger, 7)));
        }
    }

    @Test
    void silentRelayIsTheReason(@TempDir Path dir) throws Exception {
        try (NodeTestSupport nodes = new NodeTestSupport();
                DatagramSocket silent = new DatagramSocket(new InetSocketAddress(NodeTestSupport.LOOPBACK, 0))) {
            Path zone = writeZoneFile(dir, AnodeIdentity.generate(ZONE).address(), silent.getLocalPort());
            AnodeNode a = nodes.node(
                    AnodeIdentity.generate(ZONE),
                    config(zone).routeTimeout(Duration.ofMillis(1500)).build());
            AnodeAddress stranger = AnodeIdentity.generate(ZONE).address();
            NoRouteToHostException e = assertThrows(
                    NoRouteToHostException.class,
                    () -> AnodeSocketChannel.open(a).connect(AnodeSocketAddress.of(stranger, 80)));
            assertTrue(e.getMessage().contains("silent"), e.getMessage());
        }
    }

    @Test
    void unregisteredRecipientIsTheReason(@TempDir Path dir) throws Exception {
        try (Net n = new Net(dir, RelayLimits.defaults())) {
            AnodeAddress stranger = AnodeIdentity.generate(ZONE).address();
            NoRouteToHostException e =
                    assertThrows(NoRouteToHostException.class, () -> n.a.ping(stranger, Duration.ofSeconds(5)));
            assertTrue(e.getMessage().contains("not registered"), e.getMessage());
            assertTrue(n.relay.relayStatistics().droppedNotRegistered() >= 1);
        }
    }

    /** Netty 4.1's NIO transport on the nodes' selector providers: an 8 MiB echo by address alone. */
    @Test
    void nettyEchoByAddressAlone(@TempDir Path dir) throws Exception {
        try (Net n = new Net(dir, RelayLimits.defaults().withRates(1_000_000, 1_000_000, 1_000_000))) {
            io.netty.channel.EventLoopGroup sg = new io.netty.channel.nio.NioEventLoopGroup(
                    1, (java.util.concurrent.Executor) null, n.b.selectorProvider());
            io.netty.channel.EventLoopGroup cg = new io.netty.channel.nio.NioEventLoopGroup(
                    1, (java.util.concurrent.Executor) null, n.a.selectorProvider());
            try {
                io.netty.channel.Channel server =
                        org.anode.nettysuite.NettyStreamSuite.await(new io.netty.bootstrap.ServerBootstrap()
                                .group(sg)
                                .channelFactory(() ->
                                        new io.netty.channel.socket.nio.NioServerSocketChannel(n.b.selectorProvider()))
                                .childHandler(org.anode.nettysuite.NettyStreamSuite.init(
                                        org.anode.nettysuite.NettyStreamSuite.EchoHandler::new))
                                .bind(AnodeSocketAddress.of(n.b.address(), 7)));
                org.anode.nettysuite.NettyStreamSuite.BulkClient client =
                        new org.anode.nettysuite.NettyStreamSuite.BulkClient(8L << 20, 8);
                io.netty.channel.Channel c =
                        org.anode.nettysuite.NettyStreamSuite.await(new io.netty.bootstrap.Bootstrap()
                                .group(cg)
                                .channelFactory(
                                        () -> new io.netty.channel.socket.nio.NioSocketChannel(n.a.selectorProvider()))
                                .option(io.netty.channel.ChannelOption.CONNECT_TIMEOUT_MILLIS, 15_000)
                                .handler(client)
                                .connect(AnodeSocketAddress.of(n.b.address(), 7)));
                assertTrue(client.await(), "SHA-256 of the 8 MiB echoed equals what was sent");
                assertTrue(n.a.pathTo(n.b.address()).orElseThrow().relayed());
                org.anode.nettysuite.NettyStreamSuite.await(c.close());
                org.anode.nettysuite.NettyStreamSuite.await(server.close());
            } finally {
                sg.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
                cg.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * DECISIONS 33 with short timers: registrations live 1.5 s; a node of the zone re-announces
     * every 300 ms, and a zone-0 node that reached it through the relay keeps its own registration
     * alive while it uses the relay - so after twice the lifetime each can still reach the other.
     */
    @Test
    void announcesKeepRegistrationsAliveWhileInUse(@TempDir Path dir) throws Exception {
        try (NodeTestSupport nodes = new NodeTestSupport()) {
            AnodeNode relay = nodes.node(
                    AnodeIdentity.generate(ZONE),
                    NodeTestSupport.loopbackConfig()
                            .relay(RelayLimits.defaults().withRegistrations(64, Duration.ofMillis(1500)))
                            .announce(false)
                            .build());
            Path zone = writeZoneFile(
                    dir, relay.address(), relay.localEndpoints().get(0).getPort());
            AnodeNode a = nodes.node(
                    AnodeIdentity.generate(ZONE),
                    config(zone).announceInterval(Duration.ofMillis(300)).build());
            AnodeNode c = nodes.node(
                    AnodeIdentity.generate(Zone.DEFAULT),
                    config(zone).announceInterval(Duration.ofMillis(300)).build());
            StreamTestSupport.awaitTrue(() -> relay.relayStatistics().registrations() >= 1, 10_000);
            c.ping(a.address(), Duration.ofSeconds(5));
            assertEquals(2, relay.relayStatistics().registrations(), "the zone-0 node registered to be answered");
            Thread.sleep(3000);
            assertEquals(2, relay.relayStatistics().registrations(), "both still registered after 2 lifetimes");
            a.ping(c.address(), Duration.ofSeconds(5));
            AnodePath p = a.pathTo(c.address()).orElseThrow();
            assertTrue(p.relayed(), p.toString());
        }
    }

    /**
     * A non-blocking connect by address alone never blocks: it returns false at once, the path is
     * found in the background, OP_CONNECT fires when finishConnect() will succeed - or throw the
     * reason, for an address nobody registered.
     */
    @Test
    void nonBlockingConnectFindsItsPathWithoutBlocking(@TempDir Path dir) throws Exception {
        try (Net n = new Net(dir, RelayLimits.defaults())) {
            AnodeServerSocketChannel server = n.nodes.track(AnodeServerSocketChannel.open(n.b));
            server.bind(AnodeSocketAddress.of(n.b.address(), 80));
            try (java.nio.channels.Selector sel = n.a.selectorProvider().openSelector();
                    AnodeSocketChannel c = AnodeSocketChannel.open(n.a)) {
                c.configureBlocking(false);
                assertFalse(c.connect(AnodeSocketAddress.of(n.b.address(), 80)), "pending while the path is found");
                assertTrue(c.isConnectionPending());
                assertEquals(AnodeSocketAddress.of(n.b.address(), 80), c.getRemoteAddress());
                java.nio.channels.SelectionKey k = c.register(sel, java.nio.channels.SelectionKey.OP_CONNECT);
                for (int i = 0; i < 100 && !c.isConnected(); i++) {
                    if (sel.select(100) > 0 && k.isConnectable()) {
                        assertTrue(c.finishConnect(), "OP_CONNECT only when finishConnect succeeds");
                    }
                    sel.selectedKeys().clear();
                }
                assertTrue(c.isConnected());
                assertTrue(n.a.pathTo(n.b.address()).orElseThrow().relayed());
            }
            AnodeAddress stranger = AnodeIdentity.generate(ZONE).address();
            try (java.nio.channels.Selector sel = n.a.selectorProvider().openSelector();
                    AnodeSocketChannel c = AnodeSocketChannel.open(n.a)) {
                c.configureBlocking(false);
                assertFalse(c.connect(AnodeSocketAddress.of(stranger, 80)));
                c.register(sel, java.nio.channels.SelectionKey.OP_CONNECT);
                int ready = 0;
                for (int i = 0; i < 100 && ready == 0; i++) {
                    ready = sel.select(100);
                }
                assertEquals(1, ready, "OP_CONNECT fires when the search failed");
                NoRouteToHostException e = assertThrows(NoRouteToHostException.class, c::finishConnect);
                assertTrue(e.getMessage().contains("not registered"), e.getMessage());
                assertFalse(c.isOpen(), "a failed connect closes the channel");
            }
        }
    }

    @Test
    void aZoneWithoutRelaysIsTheReason(@TempDir Path dir) throws Exception {
        try (NodeTestSupport nodes = new NodeTestSupport()) {
            Path zone = Files.createTempFile(dir, "lan", ".txt");
            Files.writeString(
                    zone,
                    ZoneFile.builder()
                            .name("lan")
                            .description("LAN only")
                            .contact("x@example.org")
                            .revision(1)
                            .ttl(Duration.ofSeconds(60))
                            .build()
                            .write());
            AnodeNode a = nodes.node(AnodeIdentity.generate(ZONE), config(zone).build());
            NoRouteToHostException e = assertThrows(
                    NoRouteToHostException.class,
                    () -> a.ping(AnodeIdentity.generate(ZONE).address(), Duration.ofSeconds(5)));
            assertTrue(e.getMessage().contains("no relays"), e.getMessage());
        }
    }

    /**
     * A non-blocking datagram send by address alone never blocks: the datagram waits in the node
     * while the path is found and then goes out; for an address nobody registered a later send
     * reports the reason.
     */
    @Test
    void nonBlockingDatagramsWaitForTheirPathInsteadOfTheCaller(@TempDir Path dir) throws Exception {
        try (Net n = new Net(dir, RelayLimits.defaults())) {
            AnodeDatagramChannel rx = n.nodes.track(n.b.openDatagramChannel());
            rx.bind(AnodeSocketAddress.of(n.b.address(), 7));
            AnodeDatagramChannel tx = n.nodes.track(n.a.openDatagramChannel());
            tx.bind(AnodeSocketAddress.of(n.a.address(), 0));
            tx.configureBlocking(false);
            for (int i = 0; i < 3; i++) {
                assertEquals(
                        6, tx.send(ByteBuffer.wrap(("dgram" + i).getBytes()), AnodeSocketAddress.of(n.b.address(), 7)));
            }
            rx.socket().setSoTimeout(10_000);
            for (int i = 0; i < 3; i++) {
                java.net.DatagramPacket dp = new java.net.DatagramPacket(new byte[64], 64);
                rx.socket().receive(dp);
                assertEquals(
                        "dgram" + i, new String(dp.getData(), 0, dp.getLength()), "held datagrams go out in order");
            }
            AnodeSocketAddress stranger =
                    AnodeSocketAddress.of(AnodeIdentity.generate(ZONE).address(), 7);
            assertEquals(1, tx.send(ByteBuffer.allocate(1), stranger), "held, not refused at once");
            NoRouteToHostException e = null;
            for (int i = 0; i < 200 && e == null; i++) {
                try {
                    tx.send(ByteBuffer.allocate(1), stranger);
                    Thread.sleep(50);
                } catch (NoRouteToHostException x) {
                    e = x;
                }
            }
            assertTrue(e != null && e.getMessage().contains("not registered"), String.valueOf(e));
        }
    }
}
