package org.anode.cli;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import org.anode.nio.AnodeDatagramChannel;
import org.anode.nio.AnodeNode;
import org.anode.nio.AnodeServerSocketChannel;
import org.anode.nio.AnodeSocketAddress;
import org.anode.nio.AnodeSocketChannel;

/**
 * The echo services a conformance target runs on one Anode port: every DGRAM (draft 4.2.10) goes
 * back to its sender's port, and every stream (draft 5) gets its bytes back until the peer's FIN,
 * then a FIN. At most {@link #MAX_STREAMS} streams are echoed at once; more are closed on accept,
 * so a remote peer cannot make the service start threads without bound.
 */
final class EchoService implements AutoCloseable {
    static final int MAX_STREAMS = 16;
    private static final System.Logger LOG = System.getLogger(EchoService.class.getName());

    private final AnodeDatagramChannel datagrams;
    private final AnodeServerSocketChannel streams;
    private final Semaphore streamSlots = new Semaphore(MAX_STREAMS);
    private final CountDownLatch closed = new CountDownLatch(1);

    private EchoService(AnodeDatagramChannel datagrams, AnodeServerSocketChannel streams) {
        this.datagrams = datagrams;
        this.streams = streams;
    }

    /** Binds the DGRAM and stream echo to {@code port} of {@code node} and starts serving. */
    static EchoService start(AnodeNode node, int port) throws IOException {
        AnodeDatagramChannel d = AnodeDatagramChannel.open(node);
        AnodeServerSocketChannel s = AnodeServerSocketChannel.open(node);
        try {
            d.bind(AnodeSocketAddress.of(node.address(), port));
            s.bind(AnodeSocketAddress.of(node.address(), port));
        } catch (IOException | RuntimeException e) {
            d.close();
            s.close();
            throw e;
        }
        EchoService svc = new EchoService(d, s);
        daemon("anode-echo-dgram-" + port, svc::serveDatagrams).start();
        daemon("anode-echo-accept-" + port, svc::acceptStreams).start();
        return svc;
    }

    private static Thread daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private void serveDatagrams() {
        ByteBuffer buf = ByteBuffer.allocate(65536);
        try {
            while (true) {
                buf.clear();
                SocketAddress from = datagrams.receive(buf);
                buf.flip();
                datagrams.send(buf, from);
            }
        } catch (ClosedChannelException e) {
            // close()
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "DGRAM echo stopped: " + e);
        }
    }

    private void acceptStreams() {
        try {
            while (true) {
                AnodeSocketChannel c = streams.accept();
                if (!streamSlots.tryAcquire()) {
                    c.close();
                    continue;
                }
                daemon("anode-echo-stream", () -> echo(c)).start();
            }
        } catch (ClosedChannelException e) {
            // close()
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "stream echo stopped: " + e);
        }
    }

    private void echo(AnodeSocketChannel c) {
        try (c) {
            ByteBuffer buf = ByteBuffer.allocate(16384);
            while (c.read(buf) >= 0) {
                buf.flip();
                while (buf.hasRemaining()) {
                    c.write(buf);
                }
                buf.clear();
            }
            c.shutdownOutput();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "echo stream ended: " + e);
        } finally {
            streamSlots.release();
        }
    }

    /** Blocks until {@link #close()} (or interruption). */
    void awaitClose() throws InterruptedException {
        closed.await();
    }

    @Override
    public void close() throws IOException {
        try {
            datagrams.close();
        } finally {
            streams.close();
            closed.countDown();
        }
    }
}
