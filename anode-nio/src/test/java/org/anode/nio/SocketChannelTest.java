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

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ConnectionPendingException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NoConnectionPendingException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.UnsupportedAddressTypeException;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** AnodeSocketChannel over real UDP on 127.0.0.1: connect, data, shutdown, close and interrupt (draft 5). */
@Timeout(30)
class SocketChannelTest {

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    // ------------------------------------------------------------------ connect

    @Test
    void blockingConnectReportsAddressesBothWays() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport()) {
            AnodeSocketChannel[] p = s.connect();
            assertTrue(p[0].isConnected());
            assertFalse(p[0].isConnectionPending());
            assertTrue(p[0].finishConnect());
            assertEquals(s.target, p[0].getRemoteAddress());
            AnodeSocketAddress clientLocal = (AnodeSocketAddress) p[0].getLocalAddress();
            assertEquals(s.client.address(), clientLocal.address());
            assertEquals(s.target, p[1].getLocalAddress());
            AnodeSocketAddress serverRemote = (AnodeSocketAddress) p[1].getRemoteAddress();
            assertEquals(s.client.address(), serverRemote.address());
            assertEquals(clientLocal.getPort(), serverRemote.getPort(), "the opener's link id is its port");
            assertThrows(AlreadyConnectedException.class, () -> p[0].connect(s.target));
        }
    }

    @Test
    void connectToPortWithoutListenerIsRefused() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport()) {
            AnodeSocketChannel c = AnodeSocketChannel.open(s.client);
            ConnectException e =
                    assertThrows(ConnectException.class, () -> c.connect(AnodeSocketAddress.of(s.server.address(), 9)));
            assertTrue(e.getMessage().contains("refused"), e.getMessage());
            assertFalse(c.isOpen(), "a failed connect closes the channel");
        }
    }

    @Test
    void nonBlockingConnectToRefusedPortFiresOpConnectThenThrows() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport();
                Selector sel = s.client.selectorProvider().openSelector()) {
            AnodeSocketChannel c = AnodeSocketChannel.open(s.client);
            c.configureBlocking(false);
            assertFalse(c.connect(AnodeSocketAddress.of(s.server.address(), 9)));
            assertTrue(c.isConnectionPending());
            SelectionKey k = c.register(sel, SelectionKey.OP_CONNECT);
            assertEquals(1, sel.select(10_000));
            assertTrue(k.isConnectable());
            assertThrows(ConnectException.class, c::finishConnect);
            assertFalse(c.isOpen());
        }
    }

    @Test
    void connectionToTheNodesOwnAddressWorksAndRefusesClosedPorts() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport()) {
            AnodeServerSocketChannel own = s.nodes.track(AnodeServerSocketChannel.open(s.client));
            own.bind(null);
            AnodeSocketAddress self = (AnodeSocketAddress) own.getLocalAddress();
            AnodeSocketChannel c = s.nodes.track(AnodeSocketChannel.open(s.client, self));
            AnodeSocketChannel a = s.nodes.track(own.accept());
            assertEquals(c.getLocalAddress(), a.getRemoteAddress());
            byte[] data = random(300_000, 11);
            CompletableFuture<byte[]> got = CompletableFuture.supplyAsync(() -> {
                try {
                    return readFully(a, 400_000);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            writeFully(c, data);
            c.close();
            assertArrayEquals(data, got.get(20, TimeUnit.SECONDS));
            assertThrows(
                    ConnectException.class,
                    () -> AnodeSocketChannel.open(s.client, AnodeSocketAddress.of(s.client.address(), 9)));
        }
    }

    @Test
    void closingRegisteredChannelCancelsItsKey() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport();
                Selector sel = s.client.selectorProvider().openSelector()) {
            AnodeSocketChannel[] p = s.connect();
            p[0].configureBlocking(false);
            SelectionKey k = p[0].register(sel, SelectionKey.OP_READ);
            assertTrue(k.isValid());
            p[0].close();
            assertFalse(k.isValid());
            sel.selectNow();
            assertFalse(p[0].isRegistered());
        }
    }

    @Test
    void connectToUnknownPeerThrowsNoRouteToHostException() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport()) {
            AnodeSocketChannel c = AnodeSocketChannel.open(s.client);
            AnodeSocketAddress stranger =
                    AnodeSocketAddress.of(AnodeIdentity.generate(Zone.DEFAULT).address(), 7);
            // As the JDK's connect when no route exists (DECISIONS 31); zone 0 has no zone file here.
            java.net.NoRouteToHostException e =
                    assertThrows(java.net.NoRouteToHostException.class, () -> c.connect(stranger));
            assertTrue(e.getMessage().contains("zone 00000000"), e.getMessage());
            assertFalse(c.isOpen());
        }
    }

    @Test
    void connectToSilentPeerTimesOut() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport();
                DatagramChannel silent = DatagramChannel.open()) {
            silent.bind(new InetSocketAddress(NodeTestSupport.LOOPBACK, 0));
            AnodeIdentity ghost = AnodeIdentity.generate(Zone.DEFAULT);
            s.client.addPeerEndpoint(ghost.address(), (InetSocketAddress) silent.getLocalAddress());
            AnodeSocketChannel c = AnodeSocketChannel.open(s.client);
            long start = System.nanoTime();
            assertThrows(
                    SocketTimeoutException.class,
                    () -> c.socket().connect(AnodeSocketAddress.of(ghost.address(), 80), 300));
            // A lower bound only (correctness, not speed): the connect must not give up before its
            // 300 ms timeout; a slow machine can only make the wait longer.
            long waited = System.nanoTime() - start;
            assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(250), "gave up after " + waited + " ns");
            assertFalse(c.isOpen());
            // The S_OPEN did go out: the silent socket received it.
            silent.configureBlocking(false);
            assertNotNull(silent.receive(ByteBuffer.allocate(2048)));
        }
    }

    @Test
    void nonBlockingConnectCompletesThroughSelector() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport();
                Selector sel = s.client.selectorProvider().openSelector()) {
            AnodeSocketChannel c = s.nodes.track(AnodeSocketChannel.open(s.client));
            c.configureBlocking(false);
            assertThrows(NoConnectionPendingException.class, c::finishConnect);
            assertFalse(c.connect(s.target));
            assertThrows(ConnectionPendingException.class, () -> c.connect(s.target));
            SelectionKey k = c.register(sel, SelectionKey.OP_CONNECT);
            assertEquals(1, sel.select(10_000));
            assertTrue(k.isConnectable());
            assertTrue(c.finishConnect());
            assertTrue(c.isConnected());
            k.interestOps(SelectionKey.OP_WRITE);
            sel.selectedKeys().clear();
            assertEquals(1, sel.select(10_000));
            assertTrue(k.isWritable());
            assertEquals(3, c.write(ByteBuffer.wrap(new byte[] {1, 2, 3})));
            AnodeSocketChannel server = s.nodes.track(s.listener.accept());
            assertArrayEquals(new byte[] {1, 2, 3}, readFully(server, 3));
        }
    }

    // ------------------------------------------------------------------ data

    @Test
    void scatterAndGatherUseEveryBuffer() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport()) {
            AnodeSocketChannel[] p = s.connect();
            byte[] data = random(10_000, 3);
            ByteBuffer[] out = {
                ByteBuffer.wrap(data, 0, 10),
                ByteBuffer.allocate(0),
                ByteBuffer.wrap(data, 10, 4000),
                ByteBuffer.wrap(data, 4010, 5990)
            };
            assertEquals(10_000, p[0].write(out, 0, 4));
            for (ByteBuffer b : out) {
                assertFalse(b.hasRemaining());
            }
            ByteBuffer[] in = {
                ByteBuffer.allocate(7), ByteBuffer.allocate(0), ByteBuffer.allocate(3000), ByteBuffer.allocate(6993)
            };
            long got = 0;
            while (got < 10_000) {
                long n = p[1].read(in, 0, 4);
                assertTrue(n > 0);
                got += n;
            }
            ByteBuffer all = ByteBuffer.allocate(10_000);
            for (ByteBuffer b : in) {
                all.put(b.flip());
            }
            assertArrayEquals(data, all.array());
        }
    }

    @Test
    void nonBlockingReadReturnsZeroThenData() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport()) {
            AnodeSocketChannel[] p = s.connect();
            p[1].configureBlocking(false);
            assertEquals(0, p[1].read(ByteBuffer.allocate(10)));
            writeFully(p[0], new byte[] {9});
            ByteBuffer b = ByteBuffer.allocate(10);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (b.position() == 0 && System.nanoTime() < deadline) {
                assertTrue(p[1].read(b) >= 0);
                Thread.sleep(1);
            }
            assertEquals(1, b.position());
        }
    }

    @Test
    void nonBlockingWriteReturnsZeroWhenTheSendBufferIsFull() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport()) {
            AnodeSocketChannel[] p = s.connect();
            p[0].setOption(StandardSocketOptions.SO_SNDBUF, 4096);
            p[0].configureBlocking(false);
            ByteBuffer big = ByteBuffer.allocate(1 << 20);
            int n = p[0].write(big);
            assertTrue(n > 0 && n <= 4096, "wrote " + n);
            // Nobody reads: within the receiver's 512 KiB window and our 4 KiB buffer, writes stop.
            long total = n;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            int zeros = 0;
            while (zeros < 1 && System.nanoTime() < deadline) {
                int w = p[0].write(big);
                total += w;
                if (w == 0) {
                    zeros++;
                }
                if (!big.hasRemaining()) {
                    big.clear();
                }
            }
            assertEquals(1, zeros, "a full send buffer makes a non-blocking write return 0");
            assertTrue(total <= (512 + 4 + 64) * 1024, "bounded by the receive window and send buffer: " + total);
        }
    }

    @Test
    void operationsBeforeConnectThrowNotYetConnected() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport()) {
            AnodeSocketChannel c = s.nodes.track(AnodeSocketChannel.open(s.client));
            assertThrows(NotYetConnectedException.class, () -> c.read(ByteBuffer.allocate(1)));
            assertThrows(NotYetConnectedException.class, () -> c.write(ByteBuffer.allocate(1)));
            assertThrows(NotYetConnectedException.class, c::shutdownOutput);
            assertNull(c.getRemoteAddress());
            assertThrows(
                    UnsupportedAddressTypeException.class,
                    () -> c.connect(new InetSocketAddress(NodeTestSupport.LOOPBACK, 80)));
        }
    }

    // ------------------------------------------------------------------ close and shutdown

    @Test
    void halfCloseLetsThePeerKeepSending() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport()) {
            AnodeSocketChannel[] p = s.connect();
            byte[] request = random(5000, 4);
            writeFully(p[0], request);
            p[0].shutdownOutput();
            assertTrue(p[0].socket().isOutputShutdown());
            assertThrows(ClosedChannelException.class, () -> p[0].write(ByteBuffer.allocate(1)));
            assertArrayEquals(request, readFully(p[1], 6000), "everything before the FIN, then end-of-stream");
            assertEquals(-1, p[1].read(ByteBuffer.allocate(1)));
            byte[] response = random(70_000, 5);
            writeFully(p[1], response);
            p[1].close();
            assertArrayEquals(response, readFully(p[0], 80_000));
            assertEquals(-1, p[0].read(ByteBuffer.allocate(1)));
        }
    }

    @Test
    void shutdownInputMakesReadsReturnEndOfStream() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport()) {
            AnodeSocketChannel[] p = s.connect();
            p[1].shutdownInput();
            assertTrue(p[1].socket().isInputShutdown());
            assertEquals(-1, p[1].read(ByteBuffer.allocate(4)));
            writeFully(p[1], new byte[] {1, 2});
            assertArrayEquals(new byte[] {1, 2}, readFully(p[0], 2));
            // What arrives now is dropped, not buffered: far more than the receive buffer goes through.
            writeFully(p[0], new byte[4 << 20]);
            p[0].shutdownOutput();
            assertEquals(-1, p[1].read(ByteBuffer.allocate(4)));
        }
    }

    @Test
    void abortiveCloseResetsThePeerAfterItsData() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport()) {
            AnodeSocketChannel[] p = s.connect();
            writeFully(p[1], new byte[] {1, 2, 3});
            assertArrayEquals(new byte[] {1, 2, 3}, readFully(p[0], 3));
            p[1].setOption(StandardSocketOptions.SO_LINGER, 0);
            p[1].close();
            SocketException e = assertThrows(SocketException.class, () -> {
                ByteBuffer b = ByteBuffer.allocate(10);
                for (int i = 0; i < 1000; i++) {
                    if (p[0].read(b) < 0) {
                        return;
                    }
                }
            });
            assertTrue(e.getMessage().contains("reset"), e.getMessage());
            assertThrows(SocketException.class, () -> p[0].write(ByteBuffer.allocate(1)));
        }
    }

    @Test
    void closeWithUnreadDataStillDeliversEverythingWrittenBeforeIt() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport()) {
            AnodeSocketChannel[] p = s.connect();
            byte[] data = random(200_000, 6);
            writeFully(p[0], data);
            p[0].close();
            assertArrayEquals(data, readFully(p[1], 300_000));
            assertEquals(-1, p[1].read(ByteBuffer.allocate(1)));
        }
    }

    @Test
    void positiveLingerMakesBlockingCloseWaitForTheAcknowledgement() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport()) {
            AnodeSocketChannel[] p = s.connect();
            p[0].setOption(StandardSocketOptions.SO_LINGER, 10);
            StreamLink l = p[0].linkForAdaptor();
            writeFully(p[0], random(400_000, 8));
            p[0].close();
            l.lock.lock();
            try {
                assertTrue(l.conn.isOutputClosed(), "close returned after all data and the FIN were acknowledged");
            } finally {
                l.lock.unlock();
            }
            assertEquals(400_000, readFully(p[1], 500_000).length);
        }
    }

    // ------------------------------------------------------------------ interrupt and asynchronous close

    @Test
    void closeWakesBlockedReaderWithAsynchronousCloseException() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport()) {
            AnodeSocketChannel[] p = s.connect();
            Thread[] th = new Thread[1];
            CompletableFuture<Throwable> f = onThread(th, null, () -> p[0].read(ByteBuffer.allocate(10)));
            awaitBlocked(th[0]);
            p[0].close();
            assertInstanceOf(AsynchronousCloseException.class, f.get(10, TimeUnit.SECONDS));
            assertThrows(ClosedChannelException.class, () -> p[0].read(ByteBuffer.allocate(1)));
            // The peer sees a graceful close.
            assertEquals(-1, p[1].read(ByteBuffer.allocate(1)));
        }
    }

    @Test
    void interruptOfBlockedReaderClosesTheChannel() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport()) {
            AnodeSocketChannel[] p = s.connect();
            Thread[] th = new Thread[1];
            boolean[] flag = new boolean[1];
            CompletableFuture<Throwable> f = onThread(th, flag, () -> p[0].read(ByteBuffer.allocate(10)));
            awaitBlocked(th[0]);
            th[0].interrupt();
            assertInstanceOf(ClosedByInterruptException.class, f.get(10, TimeUnit.SECONDS));
            assertTrue(flag[0], "the interrupt status stays set");
            assertFalse(p[0].isOpen());
        }
    }

    @Test
    void readOnAlreadyInterruptedThreadThrowsClosedByInterrupt() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport()) {
            AnodeSocketChannel[] p = s.connect();
            Thread[] th = new Thread[1];
            CompletableFuture<Throwable> f = onThread(th, null, () -> {
                Thread.currentThread().interrupt();
                p[0].read(ByteBuffer.allocate(10));
            });
            assertInstanceOf(ClosedByInterruptException.class, f.get(10, TimeUnit.SECONDS));
            assertFalse(p[0].isOpen());
        }
    }

    /** A writer blocks once its send buffer and the peer's receive window are full. */
    private static CompletableFuture<Throwable> blockedWriter(AnodeSocketChannel c, Thread[] th, boolean[] flag)
            throws IOException, InterruptedException {
        c.setOption(StandardSocketOptions.SO_SNDBUF, 8192);
        CompletableFuture<Throwable> f = onThread(th, flag, () -> {
            ByteBuffer big = ByteBuffer.allocate(4 << 20);
            c.write(big);
        });
        awaitBlocked(th[0]);
        return f;
    }

    @Test
    void closeWakesBlockedWriter() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport()) {
            AnodeSocketChannel[] p = s.connect();
            Thread[] th = new Thread[1];
            CompletableFuture<Throwable> f = blockedWriter(p[0], th, null);
            assertFalse(f.isDone(), "the writer is blocked");
            p[0].close();
            Throwable t = f.get(10, TimeUnit.SECONDS);
            // Bytes were written before the close, so the JDK contract lets the write return its count.
            assertTrue(t == null || t instanceof AsynchronousCloseException, String.valueOf(t));
            assertFalse(p[0].isOpen());
        }
    }

    @Test
    void interruptOfBlockedWriterClosesTheChannel() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport()) {
            AnodeSocketChannel[] p = s.connect();
            Thread[] th = new Thread[1];
            boolean[] flag = new boolean[1];
            CompletableFuture<Throwable> f = blockedWriter(p[0], th, flag);
            th[0].interrupt();
            Throwable t = f.get(10, TimeUnit.SECONDS);
            assertTrue(t == null || t instanceof ClosedByInterruptException, String.valueOf(t));
            assertFalse(p[0].isOpen());
        }
    }

    @Test
    void interruptOfBlockedConnectClosesTheChannel() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport();
                DatagramChannel silent = DatagramChannel.open()) {
            silent.bind(new InetSocketAddress(NodeTestSupport.LOOPBACK, 0));
            AnodeIdentity ghost = AnodeIdentity.generate(Zone.DEFAULT);
            s.client.addPeerEndpoint(ghost.address(), (InetSocketAddress) silent.getLocalAddress());
            AnodeSocketChannel c = AnodeSocketChannel.open(s.client);
            Thread[] th = new Thread[1];
            boolean[] flag = new boolean[1];
            CompletableFuture<Throwable> f =
                    onThread(th, flag, () -> c.connect(AnodeSocketAddress.of(ghost.address(), 80)));
            awaitBlocked(th[0]);
            th[0].interrupt();
            assertInstanceOf(ClosedByInterruptException.class, f.get(10, TimeUnit.SECONDS));
            assertTrue(flag[0]);
            assertFalse(c.isOpen());
        }
    }

    @Test
    void closingTheNodeClosesItsStreamChannels() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport()) {
            AnodeSocketChannel[] p = s.connect();
            Thread[] th = new Thread[1];
            CompletableFuture<Throwable> f = onThread(th, null, () -> p[0].read(ByteBuffer.allocate(10)));
            awaitBlocked(th[0]);
            s.client.close();
            assertInstanceOf(AsynchronousCloseException.class, f.get(10, TimeUnit.SECONDS));
            assertFalse(p[0].isOpen());
            assertEquals(-1, p[1].read(ByteBuffer.allocate(1)), "the peer saw a graceful close");
        }
    }
}
