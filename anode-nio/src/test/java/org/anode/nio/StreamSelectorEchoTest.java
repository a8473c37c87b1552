package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Non-blocking servers on an {@link AnodeSelector} (the way NIO frameworks drive channels): an echo
 * server for 50 concurrent clients, and checklist item 11 - a client that writes a few bytes and
 * closes at once; the server, which (like Netty) only reads from valid keys, gets every byte and
 * then end-of-stream, 50 times out of 50.
 */
@Timeout(60)
class StreamSelectorEchoTest {

    /** A single-threaded selector loop; failures are kept for the test thread. */
    private static final class Loop implements AutoCloseable {
        final Selector selector;
        final Thread thread;
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Loop(AnodeServerSocketChannel listener, Handler handler) throws IOException {
            selector = listener.provider().openSelector();
            listener.configureBlocking(false);
            listener.register(selector, SelectionKey.OP_ACCEPT);
            thread = new Thread(
                    () -> {
                        try {
                            while (!stop.get()) {
                                if (selector.select(200) == 0) {
                                    continue;
                                }
                                Iterator<SelectionKey> it =
                                        selector.selectedKeys().iterator();
                                while (it.hasNext()) {
                                    SelectionKey k = it.next();
                                    it.remove();
                                    if (!k.isValid()) {
                                        continue;
                                    }
                                    if (k.isAcceptable()) {
                                        AnodeSocketChannel c;
                                        while ((c = listener.accept()) != null) {
                                            c.configureBlocking(false);
                                            c.register(selector, SelectionKey.OP_READ, handler.newState());
                                        }
                                    } else {
                                        handler.ready(k);
                                    }
                                }
                            }
                        } catch (Throwable t) {
                            failure.compareAndSet(null, t);
                        }
                    },
                    "anode-selector-loop");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws Exception {
            stop.set(true);
            selector.wakeup();
            thread.join(10_000);
            selector.close();
        }
    }

    private interface Handler {
        Object newState();

        void ready(SelectionKey k) throws IOException;
    }

    /** Echoes what it reads; keeps unsent bytes and waits for OP_WRITE when the send buffer is full. */
    private static final class Echo implements Handler {
        @Override
        public Object newState() {
            return ByteBuffer.allocate(16 * 1024);
        }

        @Override
        public void ready(SelectionKey k) throws IOException {
            AnodeSocketChannel c = (AnodeSocketChannel) k.channel();
            ByteBuffer buf = (ByteBuffer) k.attachment();
            if (k.isReadable()) {
                int n = c.read(buf);
                if (n < 0) {
                    c.close();
                    return;
                }
            }
            buf.flip();
            c.write(buf);
            buf.compact();
            k.interestOps(buf.position() > 0 ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
        }
    }

    @Test
    void echoServerServesFiftyConcurrentClients() throws Exception {
        int clients = 50;
        int size = 64 * 1024;
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try (StreamTestSupport s = new StreamTestSupport();
                Loop loop = new Loop(s.listener, new Echo())) {
            List<AnodeSocketChannel> channels = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                channels.add(s.nodes.track(AnodeSocketChannel.open(s.client, s.target)));
            }
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                AnodeSocketChannel c = channels.get(i);
                byte[] data = new byte[size];
                new Random(i).nextBytes(data);
                done.add(pool.submit(() -> {
                    CompletableFuture<byte[]> back = CompletableFuture.supplyAsync(() -> {
                        try {
                            return StreamTestSupport.readFully(c, size + 1);
                        } catch (IOException e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    StreamTestSupport.writeFully(c, data);
                    c.shutdownOutput();
                    assertArrayEquals(data, back.get(40, TimeUnit.SECONDS), "echo and then end-of-stream");
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(50, TimeUnit.SECONDS);
            }
            assertNull(loop.failure.get());
        } finally {
            pool.shutdownNow();
        }
    }

    /** Reads everything from a valid key (Netty's rule) and records the bytes once end-of-stream comes. */
    private static final class Collect implements Handler {
        final ConcurrentHashMap<String, byte[]> finished = new ConcurrentHashMap<>();
        final AtomicInteger invalidKeys = new AtomicInteger();

        @Override
        public Object newState() {
            return ByteBuffer.allocate(64);
        }

        @Override
        public void ready(SelectionKey k) throws IOException {
            if (!k.isValid()) {
                invalidKeys.incrementAndGet();
                return;
            }
            AnodeSocketChannel c = (AnodeSocketChannel) k.channel();
            ByteBuffer buf = (ByteBuffer) k.attachment();
            // At most 16 reads per event, as Netty does: level triggering brings the key back.
            for (int i = 0; i < 16; i++) {
                int n = c.read(buf);
                if (n < 0) {
                    byte[] got = new byte[buf.position()];
                    buf.flip().get(got);
                    finished.put(c.getRemoteAddress().toString(), got);
                    c.close();
                    return;
                }
                if (n == 0) {
                    return;
                }
            }
        }
    }

    @Test
    void clientThatWritesAndClosesAtOnceLosesNothingInFiftyTrials() throws Exception {
        int trials = 50;
        Collect collect = new Collect();
        try (StreamTestSupport s = new StreamTestSupport();
                Loop loop = new Loop(s.listener, collect)) {
            List<String> names = new ArrayList<>();
            for (int i = 0; i < trials; i++) {
                AnodeSocketChannel c = AnodeSocketChannel.open(s.client, s.target);
                names.add(c.getLocalAddress().toString());
                c.write(ByteBuffer.wrap(("hello" + i).getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
                c.close();
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (collect.finished.size() < trials && System.nanoTime() < deadline && loop.failure.get() == null) {
                Thread.sleep(5);
            }
            assertNull(loop.failure.get());
            assertEquals(trials, collect.finished.size());
            for (int i = 0; i < trials; i++) {
                byte[] got = collect.finished.get(names.get(i));
                assertTrue(got != null, "trial " + i + " completed");
                assertEquals("hello" + i, new String(got, java.nio.charset.StandardCharsets.US_ASCII), "trial " + i);
            }
            assertEquals(0, collect.invalidKeys.get());
        }
    }
}
