package org.anode.nio;

import static org.anode.nio.NodeTestSupport.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.BindException;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.UnsupportedAddressTypeException;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** AnodeDatagramChannel (draft 4.2.10 DGRAM) between two nodes over UDP on 127.0.0.1. */
@Timeout(30)
class DatagramChannelTest {
    NodeTestSupport t;
    AnodeNode a;
    AnodeNode b;

    @BeforeEach
    void start() throws IOException {
        t = new NodeTestSupport();
        a = t.node();
        b = t.node();
        NodeTestSupport.introduce(a, b);
    }

    @AfterEach
    void stop() {
        t.close();
    }

    AnodeDatagramChannel open(AnodeNode n, int port) throws IOException {
        AnodeDatagramChannel c = n.openDatagramChannel();
        c.bind(AnodeSocketAddress.of(n.address(), port));
        return c;
    }

    @Test
    void blockingRequestResponse() throws Exception {
        AnodeDatagramChannel server = open(b, 7);
        AnodeDatagramChannel client = open(a, 1234);
        Thread echo = new Thread(() -> {
            ByteBuffer buf = ByteBuffer.allocate(2048);
            try {
                while (true) {
                    buf.clear();
                    var from = server.receive(buf);
                    buf.flip();
                    server.send(buf, from);
                }
            } catch (IOException e) {
                // closed at the end of the test
            }
        });
        echo.start();
        client.connect(AnodeSocketAddress.of(b.address(), 7));
        ByteBuffer in = ByteBuffer.allocate(2048);
        for (int i = 0; i < 200; i++) {
            String msg = "request " + i;
            assertEquals(msg.length(), client.write(utf8(msg)));
            in.clear();
            assertEquals(msg.length(), client.read(in));
            assertEquals(msg, utf8(in));
        }
        server.close();
        echo.join(10_000);
        assertFalse(echo.isAlive());
    }

    @Test
    void scatterAndGatherUseEveryBuffer() throws Exception {
        AnodeDatagramChannel rx = open(b, 7);
        AnodeDatagramChannel tx = open(a, 8);
        tx.connect(AnodeSocketAddress.of(b.address(), 7));
        rx.connect(AnodeSocketAddress.of(a.address(), 8));
        ByteBuffer[] parts = {utf8("abc"), utf8(""), utf8("defgh"), utf8("ij")};
        assertEquals(10, tx.write(parts, 0, 4));
        for (ByteBuffer p : parts) {
            assertFalse(p.hasRemaining(), "gathering write consumes every buffer");
        }
        ByteBuffer[] dst = {
            ByteBuffer.allocate(2), ByteBuffer.allocate(0), ByteBuffer.allocate(4), ByteBuffer.allocate(10)
        };
        assertEquals(10, rx.read(dst, 0, 4));
        assertEquals("ab", utf8(dst[0]));
        assertEquals("cdef", utf8(dst[2]));
        assertEquals("ghij", utf8(dst[3]));
        // Too little room: the rest of the datagram is discarded, as UDP truncates.
        tx.write(utf8("0123456789"));
        ByteBuffer[] small = {ByteBuffer.allocate(3), ByteBuffer.allocate(3)};
        assertEquals(6, rx.read(small));
        assertEquals("012", utf8(small[0]));
        assertEquals("345", utf8(small[1]));
        tx.write(utf8("next"));
        ByteBuffer n = ByteBuffer.allocate(10);
        assertEquals(4, rx.read(n));
        assertEquals("next", utf8(n));
    }

    @Test
    void nonBlockingReceiveAndReadReturnNothingWhenEmpty() throws Exception {
        AnodeDatagramChannel rx = open(b, 7);
        rx.configureBlocking(false);
        assertNull(rx.receive(ByteBuffer.allocate(10)));
        rx.connect(AnodeSocketAddress.of(a.address(), 8));
        assertEquals(0, rx.read(ByteBuffer.allocate(10)));
    }

    @Test
    void overLongDatagramIsRefusedLikeUdp() throws Exception {
        AnodeDatagramChannel rx = open(b, 7);
        AnodeDatagramChannel tx = open(a, 8);
        AnodeSocketAddress dst = AnodeSocketAddress.of(b.address(), 7);
        int max = tx.maxDatagramSize(dst);
        assertEquals(1400 - 60 - 4, max, "DECISIONS 27 over IPv4, full header counted");
        IOException e = assertThrows(IOException.class, () -> tx.send(ByteBuffer.allocate(max + 1), dst));
        assertEquals("Message too long", e.getMessage());
        ByteBuffer big = ByteBuffer.allocate(max);
        big.put(0, (byte) 42).put(max - 1, (byte) 43);
        assertEquals(max, tx.send(big, dst));
        ByteBuffer in = ByteBuffer.allocate(2000);
        rx.receive(in);
        assertEquals(max, in.position());
        assertEquals(42, in.get(0));
        assertEquals(43, in.get(max - 1));
    }

    @Test
    void unknownPeerHasNoRoute() throws Exception {
        AnodeDatagramChannel tx = open(a, 8);
        AnodeSocketAddress stranger =
                AnodeSocketAddress.of(AnodeIdentity.generate(Zone.DEFAULT).address(), 7);
        assertThrows(NoRouteToHostException.class, () -> tx.send(utf8("x"), stranger));
    }

    @Test
    void datagramToOwnAddressIsDeliveredLocally() throws Exception {
        AnodeDatagramChannel one = open(a, 7);
        AnodeDatagramChannel two = open(a, 8);
        two.send(utf8("self"), AnodeSocketAddress.of(a.address(), 7));
        ByteBuffer in = ByteBuffer.allocate(10);
        assertEquals(AnodeSocketAddress.of(a.address(), 8), one.receive(in));
        assertEquals("self", utf8(in));
    }

    @Test
    void bindRules() throws Exception {
        AnodeDatagramChannel c = open(a, 7);
        assertThrows(AlreadyBoundException.class, () -> c.bind(null));
        AnodeDatagramChannel d = a.openDatagramChannel();
        assertThrows(BindException.class, () -> d.bind(AnodeSocketAddress.of(a.address(), 7)), "port in use");
        assertThrows(BindException.class, () -> d.bind(AnodeSocketAddress.of(b.address(), 9)), "not our address");
        assertThrows(
                UnsupportedAddressTypeException.class,
                () -> d.bind(new InetSocketAddress(NodeTestSupport.LOOPBACK, 9)));
        d.bind(new InetSocketAddress(9));
        assertEquals(AnodeSocketAddress.of(a.address(), 9), d.getLocalAddress(), "wildcard means this node");
        AnodeDatagramChannel e = a.openDatagramChannel().bind(null);
        int port = ((AnodeSocketAddress) e.getLocalAddress()).getPort();
        assertTrue(port >= 49152 && port <= 65535, "ephemeral port " + port);
        c.close();
        AnodeDatagramChannel again = open(a, 7);
        assertEquals(7, ((AnodeSocketAddress) again.getLocalAddress()).getPort(), "port free after close");
        // Unbound channels bind themselves when they first send.
        AnodeDatagramChannel auto = a.openDatagramChannel();
        assertNull(auto.getLocalAddress());
        auto.send(utf8("x"), AnodeSocketAddress.of(b.address(), 1));
        assertNotNull(auto.getLocalAddress());
    }

    @Test
    void connectedChannelRules() throws Exception {
        AnodeDatagramChannel c = open(a, 7);
        assertThrows(NotYetConnectedException.class, () -> c.write(utf8("x")));
        assertThrows(NotYetConnectedException.class, () -> c.read(ByteBuffer.allocate(1)));
        c.connect(AnodeSocketAddress.of(b.address(), 9));
        assertTrue(c.isConnected());
        assertEquals(AnodeSocketAddress.of(b.address(), 9), c.getRemoteAddress());
        assertThrows(AlreadyConnectedException.class, () -> c.send(utf8("x"), AnodeSocketAddress.of(b.address(), 10)));
        // A connected channel only receives from its remote.
        AnodeDatagramChannel other = open(b, 10);
        AnodeDatagramChannel remote = open(b, 9);
        other.send(utf8("stranger"), AnodeSocketAddress.of(a.address(), 7));
        remote.send(utf8("friend"), AnodeSocketAddress.of(a.address(), 7));
        ByteBuffer in = ByteBuffer.allocate(20);
        c.read(in);
        assertEquals("friend", utf8(in));
        c.disconnect();
        assertFalse(c.isConnected());
        assertNull(c.getRemoteAddress());
    }

    @Test
    void receiveQueueIsBoundedBySoRcvbufAndDropsLikeUdp() throws Exception {
        AnodeDatagramChannel rx = open(b, 7);
        rx.setOption(StandardSocketOptions.SO_RCVBUF, 1024);
        assertEquals(1024, rx.getOption(StandardSocketOptions.SO_RCVBUF));
        AnodeDatagramChannel tx = open(a, 8);
        long before = b.statistics().delivered();
        for (int i = 0; i < 20; i++) {
            tx.send(ByteBuffer.allocate(200), AnodeSocketAddress.of(b.address(), 7));
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (b.statistics().delivered() - before < 20 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(20, b.statistics().delivered() - before, "every datagram reached the channel");
        rx.configureBlocking(false);
        int got = 0;
        while (rx.receive(ByteBuffer.allocate(300)) != null) {
            got++;
        }
        assertEquals(5, got, "1024 bytes hold five 200-byte datagrams");
        assertEquals(15, rx.droppedDatagrams());
    }

    @Test
    void optionsAreConsistentAndMulticastIsRefused() throws Exception {
        AnodeDatagramChannel c = a.openDatagramChannel();
        assertTrue(c.supportedOptions().contains(StandardSocketOptions.SO_SNDBUF));
        for (var o : c.supportedOptions()) {
            assertNotNull(c.getOption(o), o.name());
        }
        c.setOption(StandardSocketOptions.SO_SNDBUF, 8192);
        assertEquals(8192, c.getOption(StandardSocketOptions.SO_SNDBUF));
        c.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        assertEquals(true, c.getOption(StandardSocketOptions.SO_REUSEADDR));
        c.setOption(StandardSocketOptions.IP_TOS, 16);
        assertEquals(16, c.getOption(StandardSocketOptions.IP_TOS));
        assertThrows(UnsupportedOperationException.class, () -> c.setOption(StandardSocketOptions.IP_MULTICAST_TTL, 2));
        assertThrows(UnsupportedOperationException.class, () -> c.getOption(StandardSocketOptions.IP_MULTICAST_LOOP));
        assertThrows(IllegalArgumentException.class, () -> c.setOption(StandardSocketOptions.SO_RCVBUF, -1));
        assertThrows(
                UnsupportedOperationException.class, () -> c.join(java.net.InetAddress.getByName("239.1.2.3"), null));
        assertThrows(
                UnsupportedOperationException.class,
                () -> c.join(java.net.InetAddress.getByName("239.1.2.3"), null, NodeTestSupport.LOOPBACK));
        c.close();
        assertThrows(ClosedChannelException.class, () -> c.getOption(StandardSocketOptions.SO_RCVBUF));
    }

    @Test
    void socketAdaptorWorks() throws Exception {
        AnodeDatagramChannel rx = open(b, 7);
        AnodeDatagramChannel tx = a.openDatagramChannel();
        var s = tx.socket();
        assertSame(s, tx.socket());
        assertSame(tx, s.getChannel());
        assertFalse(s.isBound());
        s.bind(AnodeSocketAddress.of(a.address(), 8));
        assertTrue(s.isBound());
        assertEquals(AnodeSocketAddress.of(a.address(), 8), s.getLocalSocketAddress());
        assertEquals(8, s.getLocalPort());
        s.connect(AnodeSocketAddress.of(b.address(), 7));
        assertTrue(s.isConnected());
        assertEquals(7, s.getPort());
        assertEquals(AnodeSocketAddress.of(b.address(), 7), s.getRemoteSocketAddress());
        byte[] data = "adaptor".getBytes();
        s.send(new DatagramPacket(data, data.length));
        ByteBuffer in = ByteBuffer.allocate(20);
        assertEquals(AnodeSocketAddress.of(a.address(), 8), rx.receive(in));
        assertEquals("adaptor", utf8(in));
        rx.send(utf8("back"), AnodeSocketAddress.of(a.address(), 8));
        DatagramPacket p = new DatagramPacket(new byte[20], 20);
        s.receive(p);
        assertEquals("back", new String(p.getData(), 0, p.getLength()));
        assertEquals(7, p.getPort());
        assertEquals(AnodeSocketAddress.of(b.address(), 7), p.getSocketAddress());
        // The received packet can be sent back as it is (its synthetic address names the peer).
        s.send(p);
        ByteBuffer again = ByteBuffer.allocate(20);
        rx.receive(again);
        assertEquals("back", utf8(again));
        s.setSoTimeout(100);
        assertEquals(100, s.getSoTimeout());
        assertThrows(SocketTimeoutException.class, () -> s.receive(new DatagramPacket(new byte[4], 4)));
        s.setReceiveBufferSize(4096);
        assertEquals(4096, s.getReceiveBufferSize());
        assertTrue(s.getSendBufferSize() > 0);
        s.setTrafficClass(8);
        assertEquals(8, s.getTrafficClass());
        s.setBroadcast(true);
        assertTrue(s.getBroadcast());
        assertThrows(
                IllegalArgumentException.class,
                () -> s.send(new DatagramPacket(data, data.length, NodeTestSupport.LOOPBACK, 7)));
        s.close();
        assertTrue(s.isClosed());
        assertFalse(tx.isOpen());
    }

    @Test
    void manyChannelsAndPortsOnOneNode() throws Exception {
        int n = 40;
        AnodeDatagramChannel[] servers = new AnodeDatagramChannel[n];
        for (int i = 0; i < n; i++) {
            servers[i] = open(b, 100 + i);
        }
        AnodeDatagramChannel tx = open(a, 8);
        for (int i = 0; i < n; i++) {
            tx.send(utf8("to " + (100 + i)), AnodeSocketAddress.of(b.address(), 100 + i));
        }
        for (int i = 0; i < n; i++) {
            ByteBuffer in = ByteBuffer.allocate(20);
            assertEquals(AnodeSocketAddress.of(a.address(), 8), servers[i].receive(in));
            assertEquals("to " + (100 + i), utf8(in));
        }
    }

    @Test
    void receivedDatagramCarriesAnodeSocketAddress() throws Exception {
        AnodeDatagramChannel rx = open(b, 7);
        AnodeDatagramChannel tx = open(a, 8);
        tx.send(utf8("x"), AnodeSocketAddress.of(b.address(), 7));
        var from = (InetSocketAddress) rx.receive(ByteBuffer.allocate(4));
        assertFalse(from.isUnresolved(), "resolved to its synthetic address: Netty sends only to those");
        assertEquals(a.address().toString(), from.getHostString());
        assertEquals(a.address().toString(), from.getHostName());
        // A copy through the synthetic address still reaches the peer.
        tx.send(utf8("y"), AnodeSocketAddress.of(b.address(), 7));
        rx.receive(ByteBuffer.allocate(4));
        rx.send(utf8("z"), new InetSocketAddress(from.getAddress(), from.getPort()));
        ByteBuffer z = ByteBuffer.allocate(4);
        assertEquals(AnodeSocketAddress.of(b.address(), 7), tx.receive(z));
        assertEquals("z", utf8(z));
        assertEquals(8, from.getPort());
        assertArrayEquals(
                a.address().toByteArray(), ((AnodeSocketAddress) from).address().toByteArray());
    }
}
