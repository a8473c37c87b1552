package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.IllegalBlockingModeException;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Socket options of AnodeSocketChannel and its Socket adaptor, as Netty and SSLSocket use them. */
@Timeout(30)
class SocketChannelOptionsTest {

    @Test
    void supportedOptionsAreConsistentWithGetAndSet() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport()) {
            AnodeSocketChannel c = s.nodes.track(AnodeSocketChannel.open(s.client));
            Set<SocketOption<?>> opts = c.supportedOptions();
            assertEquals(
                    Set.of(
                            StandardSocketOptions.SO_SNDBUF,
                            StandardSocketOptions.SO_RCVBUF,
                            StandardSocketOptions.TCP_NODELAY,
                            StandardSocketOptions.SO_KEEPALIVE,
                            StandardSocketOptions.SO_LINGER,
                            StandardSocketOptions.SO_REUSEADDR,
                            StandardSocketOptions.IP_TOS,
                            AnodeSocketOptions.USER_TIMEOUT,
                            AnodeSocketOptions.PEER_SILENCE_TIMEOUT),
                    opts);
            for (SocketOption<?> o : opts) {
                c.getOption(o);
            }
            assertEquals(512 * 1024, c.getOption(StandardSocketOptions.SO_SNDBUF));
            assertEquals(512 * 1024, c.getOption(StandardSocketOptions.SO_RCVBUF));
            assertFalse(c.getOption(StandardSocketOptions.TCP_NODELAY));
            assertFalse(c.getOption(StandardSocketOptions.SO_KEEPALIVE));
            assertEquals(-1, c.getOption(StandardSocketOptions.SO_LINGER));
            for (SocketOption<?> o : new SocketOption<?>[] {
                StandardSocketOptions.SO_BROADCAST,
                StandardSocketOptions.IP_MULTICAST_TTL,
                StandardSocketOptions.SO_REUSEPORT
            }) {
                assertThrows(UnsupportedOperationException.class, () -> c.getOption(o));
            }
            assertThrows(
                    UnsupportedOperationException.class, () -> c.setOption(StandardSocketOptions.SO_BROADCAST, true));
            assertThrows(IllegalArgumentException.class, () -> c.setOption(StandardSocketOptions.SO_SNDBUF, -1));
            assertThrows(IllegalArgumentException.class, () -> c.setOption(StandardSocketOptions.IP_TOS, 256));
            // Set before connecting: carried into the connection.
            c.setOption(StandardSocketOptions.SO_SNDBUF, 100_000);
            c.setOption(StandardSocketOptions.SO_RCVBUF, 200_000);
            c.setOption(StandardSocketOptions.TCP_NODELAY, true);
            c.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
            c.setOption(StandardSocketOptions.SO_LINGER, 7);
            c.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            c.setOption(StandardSocketOptions.IP_TOS, 0x10);
            c.connect(s.target);
            assertEquals(100_000, c.getOption(StandardSocketOptions.SO_SNDBUF));
            assertEquals(200_000, c.getOption(StandardSocketOptions.SO_RCVBUF));
            assertTrue(c.getOption(StandardSocketOptions.TCP_NODELAY));
            assertTrue(c.getOption(StandardSocketOptions.SO_KEEPALIVE));
            assertEquals(7, c.getOption(StandardSocketOptions.SO_LINGER));
            assertTrue(c.getOption(StandardSocketOptions.SO_REUSEADDR));
            assertEquals(0x10, c.getOption(StandardSocketOptions.IP_TOS));
            // And changed after connecting.
            c.setOption(StandardSocketOptions.SO_SNDBUF, 300_000);
            c.setOption(StandardSocketOptions.TCP_NODELAY, false);
            assertEquals(300_000, c.getOption(StandardSocketOptions.SO_SNDBUF));
            assertFalse(c.getOption(StandardSocketOptions.TCP_NODELAY));
            c.close();
            assertThrows(ClosedChannelException.class, () -> c.getOption(StandardSocketOptions.SO_SNDBUF));
            assertThrows(ClosedChannelException.class, () -> c.setOption(StandardSocketOptions.SO_SNDBUF, 5000));
        }
    }

    @Test
    void socketAdaptorAnswersWhatNettyAsks() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport()) {
            AnodeSocketChannel c = s.nodes.track(AnodeSocketChannel.open(s.client));
            Socket so = c.socket();
            assertSame(so, c.socket());
            assertSame(c, so.getChannel());
            assertFalse(so.isConnected());
            assertFalse(so.isBound());
            assertNull(so.getRemoteSocketAddress());
            assertEquals(-1, so.getLocalPort());
            // Netty's NioSocketChannel constructor: setTcpNoDelay(true), then getSendBufferSize().
            so.setTcpNoDelay(true);
            assertTrue(so.getTcpNoDelay());
            assertEquals(512 * 1024, so.getSendBufferSize());
            so.setSendBufferSize(64 * 1024);
            assertEquals(64 * 1024, so.getSendBufferSize());
            so.setReceiveBufferSize(128 * 1024);
            assertEquals(128 * 1024, so.getReceiveBufferSize());
            so.setKeepAlive(true);
            assertTrue(so.getKeepAlive());
            so.setReuseAddress(true);
            assertTrue(so.getReuseAddress());
            so.setTrafficClass(0x08);
            assertEquals(0x08, so.getTrafficClass());
            so.setSoLinger(true, 3);
            assertEquals(3, so.getSoLinger());
            so.setSoLinger(false, 0);
            assertEquals(-1, so.getSoLinger());
            assertFalse(so.getOOBInline());
            assertThrows(SocketException.class, () -> so.setOOBInline(true));
            assertThrows(SocketException.class, () -> so.sendUrgentData(1));
            assertThrows(SocketException.class, so::getInputStream);

            so.connect(s.target, 5000);
            assertTrue(so.isConnected());
            assertTrue(so.isBound());
            assertEquals(s.target, so.getRemoteSocketAddress());
            assertEquals(s.target.getPort(), so.getPort());
            assertEquals(s.target.getAddress(), so.getInetAddress(), "the synthetic address of AnodeSocketAddress");
            assertEquals(((AnodeSocketAddress) c.getLocalAddress()).getAddress(), so.getLocalAddress());
            assertEquals(c.getLocalAddress(), so.getLocalSocketAddress());
            assertTrue(so.getLocalPort() > 0);
            InetSocketAddress remote = (InetSocketAddress) so.getRemoteSocketAddress();
            assertEquals(s.server.address().toString(), remote.getHostString(), "Netty casts to InetSocketAddress");
            assertEquals(
                    s.target, AnodeSocketAddress.from(new InetSocketAddress(remote.getAddress(), remote.getPort())));

            AnodeSocketChannel server = s.nodes.track(s.listener.accept());
            Socket peer = server.socket();
            OutputStream out = so.getOutputStream();
            InputStream in = peer.getInputStream();
            out.write("ping".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            byte[] four = in.readNBytes(4);
            assertArrayEquals("ping".getBytes(java.nio.charset.StandardCharsets.US_ASCII), four);
            assertEquals(0, in.available());

            peer.setSoTimeout(150);
            assertEquals(150, peer.getSoTimeout());
            assertThrows(SocketTimeoutException.class, in::read);
            assertFalse(peer.isClosed(), "a read timeout leaves the socket usable");
            // The reads below wait for data and a FIN that are on their way: a bound that a loaded
            // machine cannot miss, not the 150 ms whose expiry was the point above.
            peer.setSoTimeout(10_000);
            out.write(7);
            assertEquals(7, in.read());
            out.write(new byte[] {1, 2, 3});
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (in.available() < 3 && System.nanoTime() < deadline) {
                Thread.sleep(2);
            }
            assertEquals(3, in.available());

            so.shutdownOutput();
            assertTrue(so.isOutputShutdown());
            assertThrows(SocketException.class, () -> so.shutdownOutput());
            assertThrows(SocketException.class, so::getOutputStream);
            assertArrayEquals(new byte[] {1, 2, 3}, in.readNBytes(3));
            assertEquals(-1, in.read());
            peer.shutdownInput();
            assertTrue(peer.isInputShutdown());
            assertEquals(-1, server.read(ByteBuffer.allocate(1)));

            server.configureBlocking(false);
            assertThrows(IllegalBlockingModeException.class, in::read);
            in.close();
            assertTrue(peer.isClosed(), "closing the stream closes the socket");
            assertFalse(server.isOpen());
            so.close();
            assertTrue(so.isClosed());
            assertThrows(SocketException.class, () -> so.setSoTimeout(1));
        }
    }

    @Test
    void adaptorConnectRefusesNonBlockingChannelsAndBadArguments() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport()) {
            AnodeSocketChannel c = s.nodes.track(AnodeSocketChannel.open(s.client));
            assertThrows(IllegalArgumentException.class, () -> c.socket().connect(null));
            assertThrows(IllegalArgumentException.class, () -> c.socket().connect(s.target, -1));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> c.socket().connect(new InetSocketAddress(NodeTestSupport.LOOPBACK, 1)));
            c.configureBlocking(false);
            assertThrows(IllegalBlockingModeException.class, () -> c.socket().connect(s.target));
        }
    }
}
