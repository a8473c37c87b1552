package org.anode.nio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Two introduced nodes on 127.0.0.1 with a listener on the second: the stream tests' fixture. */
final class StreamTestSupport implements AutoCloseable {
    final NodeTestSupport nodes = new NodeTestSupport();
    final AnodeNode client;
    final AnodeNode server;
    final AnodeServerSocketChannel listener;
    final AnodeSocketAddress target;

    StreamTestSupport() throws IOException {
        this(NodeTestSupport.loopbackConfig().build());
    }

    StreamTestSupport(AnodeNodeConfig config) throws IOException {
        this(config, 100);
    }

    /** The fixture with a listener of the given backlog. */
    StreamTestSupport(int backlog) throws IOException {
        this(NodeTestSupport.loopbackConfig().build(), backlog);
    }

    StreamTestSupport(AnodeNodeConfig config, int backlog) throws IOException {
        client = nodes.node(config);
        server = nodes.node(config);
        NodeTestSupport.introduce(client, server);
        listener = nodes.track(AnodeServerSocketChannel.open(server));
        listener.bind(AnodeSocketAddress.of(server.address(), 0), backlog);
        target = (AnodeSocketAddress) listener.getLocalAddress();
    }

    /** A connected pair: [0] the client end, [1] the accepted server end (both blocking). */
    AnodeSocketChannel[] connect() throws IOException {
        AnodeSocketChannel c = nodes.track(AnodeSocketChannel.open(client, target));
        AnodeSocketChannel s = nodes.track(listener.accept());
        return new AnodeSocketChannel[] {c, s};
    }

    /** Reads until {@code n} bytes or end-of-stream; returns what was read. */
    static byte[] readFully(AnodeSocketChannel c, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (c.read(b) < 0) {
                break;
            }
        }
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    /** Writes every byte (blocking channel). */
    static void writeFully(AnodeSocketChannel c, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(data);
        while (b.hasRemaining()) {
            c.write(b);
        }
    }

    /** Runs {@code body} on a new thread; the future holds what it threw (null if nothing). */
    static CompletableFuture<Throwable> onThread(Thread[] holder, boolean[] interruptedAfter, Body body) {
        CompletableFuture<Throwable> f = new CompletableFuture<>();
        Thread th = new Thread(
                () -> {
                    try {
                        body.run();
                        f.complete(null);
                    } catch (Throwable e) {
                        if (interruptedAfter != null) {
                            interruptedAfter[0] = Thread.currentThread().isInterrupted();
                        }
                        f.complete(e);
                    }
                },
                "stream-test-blocked");
        th.setDaemon(true);
        holder[0] = th;
        th.start();
        return f;
    }

    /** Waits (bounded) until {@code th} parks. */
    /** Polls {@code condition} every 5 ms until it holds or {@code millis} pass (bounded; the caller asserts). */
    static void awaitTrue(java.util.function.BooleanSupplier condition, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(millis);
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }

    static void awaitBlocked(Thread th) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (th.getState() != Thread.State.WAITING
                && th.getState() != Thread.State.TIMED_WAITING
                && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        // Give it a moment inside the wait itself, past any transient park.
        Thread.sleep(20);
    }

    @FunctionalInterface
    interface Body {
        void run() throws Exception;
    }

    @Override
    public void close() {
        nodes.close();
    }
}
