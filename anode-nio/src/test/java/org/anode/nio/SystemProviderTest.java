package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 15: the delegating channels of {@link AnodeSystemSelectorProvider} in one process: a channel
 * opened and registered before its address is known becomes a JDK or an Anode channel at connect or
 * bind, and a wildcard listener with {@code anode.listenWildcard} accepts both kinds.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SystemProviderTest {
    private AnodeNode serverNode;
    private AnodeNode clientNode;
    private AnodeSystemSelectorProvider server;
    private AnodeSystemSelectorProvider client;

    @BeforeEach
    void start() throws IOException {
        serverNode = AnodeNode.start(
                AnodeIdentity.generate(Zone.DEFAULT),
                NodeTestSupport.loopbackConfig().build());
        clientNode = AnodeNode.start(
                AnodeIdentity.generate(Zone.DEFAULT),
                NodeTestSupport.loopbackConfig().build());
        NodeTestSupport.introduce(serverNode, clientNode);
        server = AnodeSystemSelectorProvider.over(serverNode, true);
        client = AnodeSystemSelectorProvider.over(clientNode, false);
    }

    @AfterEach
    void stop() {
        clientNode.close();
        serverNode.close();
    }

    /**
     * One selector of the server's provider serves a wildcard listener that accepts an IP client and
     * an Anode client, each echoed; the clients register before they connect (as Netty does) and
     * reach the server by IP, by Anode socket address and by synthetic IP.
     */
    @Test
    void wildcardListenerAcceptsIpAndAnodeThroughOneSelector() throws Exception {
        try (Selector sel = server.openSelector();
                ServerSocketChannel listener = server.openServerSocketChannel()) {
            listener.bind(new InetSocketAddress(0));
            int port = ((InetSocketAddress) listener.getLocalAddress()).getPort();
            listener.configureBlocking(false);
            listener.register(sel, SelectionKey.OP_ACCEPT);
            Thread loop = new Thread(() -> echoLoop(sel), "echo-loop");
            loop.setDaemon(true);
            loop.start();

            assertEquals("ip", roundTrip(new InetSocketAddress(NodeTestSupport.LOOPBACK, port), "ip", false));
            assertEquals("anode", roundTrip(AnodeSocketAddress.of(serverNode.address(), port), "anode", true));
            AnodeNames.remember(serverNode.address());
            InetSocketAddress synthetic = new InetSocketAddress(
                    java.net.InetAddress.getByAddress(AnodeSocketAddress.syntheticAddress(serverNode.address())
                            .getAddress()),
                    port);
            assertEquals("synthetic", roundTrip(synthetic, "synthetic", true));
            InetSocketAddress byName =
                    InetSocketAddress.createUnresolved(AnodeNames.nameOf(serverNode.address()), port);
            assertEquals("name", roundTrip(byName, "name", true));
            sel.wakeup();
            loop.interrupt();
        }
    }

    /** Non-blocking client registered with 0 before connecting, then driven by OP_CONNECT and OP_READ. */
    private String roundTrip(java.net.SocketAddress to, String msg, boolean expectAnode) throws Exception {
        try (Selector sel = client.openSelector();
                SocketChannel ch = client.openSocketChannel()) {
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.socket().getSendBufferSize();
            SelectionKey key = ch.register(sel, 0);
            if (!ch.connect(to)) {
                key.interestOps(SelectionKey.OP_CONNECT);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (!ch.finishConnect()) {
                    assertTrue(System.nanoTime() < deadline, "connect timed out");
                    sel.select(1000);
                    sel.selectedKeys().clear();
                }
            }
            AnodeSystemSocketChannel d = (AnodeSystemSocketChannel) ch;
            if (expectAnode) {
                assertNull(d.jdkChannel());
                assertInstanceOf(AnodeSocketAddress.class, ch.getRemoteAddress());
            } else {
                assertNotNull(d.jdkChannel());
            }
            ch.write(ByteBuffer.wrap(msg.getBytes(StandardCharsets.UTF_8)));
            key.interestOps(SelectionKey.OP_READ);
            ByteBuffer in = ByteBuffer.allocate(64);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (in.position() < msg.length()) {
                assertTrue(System.nanoTime() < deadline, "echo timed out");
                sel.select(1000);
                sel.selectedKeys().clear();
                if (ch.read(in) < 0) {
                    break;
                }
            }
            in.flip();
            return StandardCharsets.UTF_8.decode(in).toString();
        }
    }

    private static void echoLoop(Selector sel) {
        ByteBuffer buf = ByteBuffer.allocate(4096);
        try {
            while (!Thread.currentThread().isInterrupted() && sel.isOpen()) {
                sel.select(1000);
                Iterator<SelectionKey> it = sel.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey k = it.next();
                    it.remove();
                    if (!k.isValid()) {
                        continue;
                    }
                    if (k.isAcceptable()) {
                        SocketChannel c;
                        while ((c = ((ServerSocketChannel) k.channel()).accept()) != null) {
                            c.configureBlocking(false);
                            c.register(sel, SelectionKey.OP_READ);
                        }
                    } else if (k.isReadable()) {
                        SocketChannel c = (SocketChannel) k.channel();
                        buf.clear();
                        int n = c.read(buf);
                        if (n < 0) {
                            c.close();
                        } else {
                            buf.flip();
                            while (buf.hasRemaining()) {
                                c.write(buf);
                            }
                        }
                    }
                }
            }
        } catch (IOException | java.nio.channels.ClosedSelectorException e) {
            // The test closed the selector.
        }
    }

    /** A datagram channel opened unbound becomes an Anode DGRAM channel when it sends to one. */
    @Test
    void datagramChannelSwitchesOnFirstSendToAnode() throws Exception {
        try (java.nio.channels.DatagramChannel rx =
                        serverNode.selectorProvider().openDatagramChannel();
                java.nio.channels.DatagramChannel tx = client.openDatagramChannel();
                java.nio.channels.DatagramChannel ip = client.openDatagramChannel()) {
            rx.bind(AnodeSocketAddress.of(serverNode.address(), 7));
            tx.send(
                    ByteBuffer.wrap("dgram".getBytes(StandardCharsets.UTF_8)),
                    AnodeSocketAddress.of(serverNode.address(), 7));
            assertNull(((AnodeSystemDatagramChannel) tx).jdkChannel());
            rx.configureBlocking(false);
            ByteBuffer in = ByteBuffer.allocate(64);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            java.net.SocketAddress from;
            while ((from = rx.receive(in)) == null) {
                assertTrue(System.nanoTime() < deadline, "datagram not received");
                Thread.sleep(5);
            }
            assertEquals(clientNode.address(), ((AnodeSocketAddress) from).address());
            in.flip();
            assertEquals("dgram", StandardCharsets.UTF_8.decode(in).toString());
            // Bound to IP first, the other one stays IP and refuses Anode targets.
            ip.bind(new InetSocketAddress(NodeTestSupport.LOOPBACK, 0));
            assertNotNull(((AnodeSystemDatagramChannel) ip).jdkChannel());
            org.junit.jupiter.api.Assertions.assertThrows(
                    java.nio.channels.UnsupportedAddressTypeException.class,
                    () -> ip.send(ByteBuffer.wrap(new byte[1]), AnodeSocketAddress.of(serverNode.address(), 7)));
        }
    }

    /** UNIX-domain and JDK pipes come straight from the JDK: nothing to choose. */
    @Test
    void pipesAndUnixChannelsAreTheJdks() throws IOException {
        var pipe = client.openPipe();
        assertTrue(pipe.source().getClass().getName().startsWith("sun.nio.ch."));
        pipe.source().close();
        pipe.sink().close();
        SocketChannel unix = client.openSocketChannel(java.net.StandardProtocolFamily.UNIX);
        assertTrue(unix.getClass().getName().startsWith("sun.nio.ch."));
        unix.close();
        assertTrue(SelectorProvider.provider().getClass().getName().startsWith("sun.nio.ch."));
    }
}
