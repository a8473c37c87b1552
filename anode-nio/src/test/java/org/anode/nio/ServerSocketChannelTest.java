package org.anode.nio;

import static org.anode.nio.StreamTestSupport.awaitBlocked;
import static org.anode.nio.StreamTestSupport.onThread;
import static org.anode.nio.StreamTestSupport.readFully;
import static org.anode.nio.StreamTestSupport.writeFully;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.IllegalBlockingModeException;
import java.nio.channels.NotYetBoundException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.UnsupportedAddressTypeException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** AnodeServerSocketChannel and its ServerSocket adaptor over real UDP on 127.0.0.1 (draft 5.2.1). */
@Timeout(30)
class ServerSocketChannelTest {

    @Test
    void bindRules() throws Exception {
        try (NodeTestSupport t = new NodeTestSupport()) {
            AnodeNode n = t.node();
            AnodeServerSocketChannel a = t.track(AnodeServerSocketChannel.open(n));
            assertNull(a.getLocalAddress());
            assertThrows(NotYetBoundException.class, a::accept);
            a.bind(AnodeSocketAddress.of(n.address(), 80));
            assertEquals(AnodeSocketAddress.of(n.address(), 80), a.getLocalAddress());
            assertThrows(AlreadyBoundException.class, () -> a.bind(null));
            AnodeServerSocketChannel b = t.track(AnodeServerSocketChannel.open(n));
            assertThrows(BindException.class, () -> b.bind(AnodeSocketAddress.of(n.address(), 80)));
            // A wildcard InetSocketAddress names this node, its port is the Anode port.
            b.bind(new InetSocketAddress(81));
            assertEquals(81, ((AnodeSocketAddress) b.getLocalAddress()).getPort());
            AnodeServerSocketChannel c = t.track(AnodeServerSocketChannel.open(n));
            c.bind(null);
            int port = ((AnodeSocketAddress) c.getLocalAddress()).getPort();
            assertTrue(port >= 49152 && port <= 65535, "ephemeral " + port);
            AnodeServerSocketChannel d = t.track(AnodeServerSocketChannel.open(n));
            assertThrows(
                    BindException.class,
                    () -> d.bind(AnodeSocketAddress.of(
                            AnodeIdentity.generate(Zone.DEFAULT).address(), 5)));
            assertThrows(
                    UnsupportedAddressTypeException.class,
                    () -> d.bind(new InetSocketAddress(NodeTestSupport.LOOPBACK, 5)));
            // A closed listener frees its port.
            a.close();
            d.bind(AnodeSocketAddress.of(n.address(), 80));
            // Stream ports are their own namespace: a datagram channel may use port 80 too.
            t.track(n.openDatagramChannel()).bind(AnodeSocketAddress.of(n.address(), 80));
        }
    }

    @Test
    void nonBlockingAcceptReturnsNullThenOpAccept() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport();
                Selector sel = s.server.selectorProvider().openSelector()) {
            s.listener.configureBlocking(false);
            assertNull(s.listener.accept());
            SelectionKey k = s.listener.register(sel, SelectionKey.OP_ACCEPT);
            assertEquals(0, sel.selectNow());
            AnodeSocketChannel c = s.nodes.track(AnodeSocketChannel.open(s.client, s.target));
            assertEquals(1, sel.select(10_000));
            assertTrue(k.isAcceptable());
            AnodeSocketChannel a = s.nodes.track(s.listener.accept());
            assertNotNull(a);
            assertTrue(a.isConnected());
            assertTrue(a.isBlocking(), "an accepted channel starts in blocking mode");
            assertNull(s.listener.accept());
            writeFully(c, new byte[] {4, 2});
            assertArrayEquals(new byte[] {4, 2}, readFully(a, 2));
        }
    }

    @Test
    void closeWakesBlockedAcceptor() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport()) {
            Thread[] th = new Thread[1];
            CompletableFuture<Throwable> f = onThread(th, null, s.listener::accept);
            awaitBlocked(th[0]);
            s.listener.close();
            assertInstanceOf(AsynchronousCloseException.class, f.get(10, TimeUnit.SECONDS));
            assertThrows(ClosedChannelException.class, s.listener::accept);
        }
    }

    @Test
    void interruptOfBlockedAcceptorClosesTheChannel() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport()) {
            Thread[] th = new Thread[1];
            boolean[] flag = new boolean[1];
            CompletableFuture<Throwable> f = onThread(th, flag, s.listener::accept);
            awaitBlocked(th[0]);
            th[0].interrupt();
            assertInstanceOf(ClosedByInterruptException.class, f.get(10, TimeUnit.SECONDS));
            assertTrue(flag[0]);
            assertFalse(s.listener.isOpen());
        }
    }

    @Test
    void closingTheListenerResetsConnectionsNotYetAccepted() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport()) {
            AnodeSocketChannel c = s.nodes.track(AnodeSocketChannel.open(s.client, s.target));
            s.listener.close();
            SocketException e = assertThrows(SocketException.class, () -> c.read(ByteBuffer.allocate(1)));
            assertTrue(e.getMessage().contains("reset"), e.getMessage());
            // And the port now refuses.
            assertThrows(java.net.ConnectException.class, () -> AnodeSocketChannel.open(s.client, s.target));
        }
    }

    @Test
    void fullBacklogDefersConnectsUntilOneIsAccepted() throws Exception {
        try (NodeTestSupport t = new NodeTestSupport()) {
            AnodeNode a = t.node();
            AnodeNode b = t.node();
            NodeTestSupport.introduce(a, b);
            AnodeServerSocketChannel l = t.track(AnodeServerSocketChannel.open(b));
            l.bind(null, 1);
            AnodeSocketAddress target = (AnodeSocketAddress) l.getLocalAddress();
            AnodeSocketChannel first = t.track(AnodeSocketChannel.open(a, target));
            AnodeSocketChannel second = t.track(AnodeSocketChannel.open(a));
            second.configureBlocking(false);
            second.connect(target);
            Thread.sleep(300);
            assertFalse(second.finishConnect(), "the second S_OPEN found the backlog full and was dropped");
            AnodeSocketChannel accepted = t.track(l.accept());
            assertEquals(first.getLocalAddress(), accepted.getRemoteAddress());
            // The opener retransmits its S_OPEN (1 s initial RTO); now there is room.
            second.configureBlocking(true);
            assertTrue(second.finishConnect());
            AnodeSocketChannel accepted2 = t.track(l.accept());
            assertEquals(second.getLocalAddress(), accepted2.getRemoteAddress());
        }
    }

    @Test
    void serverSocketAdaptor() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport()) {
            AnodeServerSocketChannel fresh = s.nodes.track(AnodeServerSocketChannel.open(s.server));
            ServerSocket unbound = fresh.socket();
            assertFalse(unbound.isBound());
            assertEquals(-1, unbound.getLocalPort());
            unbound.bind(new InetSocketAddress(0));
            assertTrue(unbound.isBound());
            assertTrue(unbound.getLocalPort() > 0);
            assertEquals(fresh.getLocalAddress(), unbound.getLocalSocketAddress());
            assertSameChannel(fresh, unbound);

            ServerSocket ss = s.listener.socket();
            assertTrue(ss.isBound());
            assertEquals(s.target.getPort(), ss.getLocalPort());
            ss.setSoTimeout(200);
            assertEquals(200, ss.getSoTimeout());
            assertThrows(SocketTimeoutException.class, ss::accept);
            assertTrue(s.listener.isOpen(), "an accept timeout leaves the listener open");
            ss.setReceiveBufferSize(100_000);
            assertEquals(100_000, ss.getReceiveBufferSize());
            ss.setReuseAddress(true);
            assertTrue(ss.getReuseAddress());
            ss.setSoTimeout(10_000);
            Socket client =
                    s.nodes.track(AnodeSocketChannel.open(s.client, s.target)).socket();
            Socket accepted = ss.accept();
            assertEquals(
                    100_000, accepted.getReceiveBufferSize(), "accepted connections take the listener's SO_RCVBUF");
            OutputStream out = client.getOutputStream();
            out.write(new byte[] {1, 2, 3});
            out.flush();
            InputStream in = accepted.getInputStream();
            assertEquals(1, in.read());
            byte[] two = new byte[2];
            assertEquals(2, in.readNBytes(two, 0, 2));
            assertArrayEquals(new byte[] {2, 3}, two);
            s.listener.configureBlocking(false);
            assertThrows(IllegalBlockingModeException.class, ss::accept);
            ss.close();
            assertTrue(ss.isClosed());
            assertFalse(s.listener.isOpen());
            assertThrows(
                    UnsupportedOperationException.class,
                    () -> s.listener.setOption(StandardSocketOptions.SO_SNDBUF, 1));
        }
    }

    private static void assertSameChannel(AnodeServerSocketChannel ch, ServerSocket ss) {
        assertTrue(ss.getChannel() == ch);
    }
}
