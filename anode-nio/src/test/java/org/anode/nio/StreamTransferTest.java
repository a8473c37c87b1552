package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Bulk transfer over one Anode stream (draft section 5) between two nodes on 127.0.0.1: 256 MiB of
 * pseudo-random bytes arrive complete and in order (SHA-256 of both ends compared), then end-of-stream.
 */
class StreamTransferTest {
    private static final long TOTAL = 256L << 20;

    @Test
    @Timeout(120)
    void transfers256MiBWithMatchingSha256() throws Exception {
        try (NodeTestSupport t = new NodeTestSupport()) {
            AnodeNode a = t.node();
            AnodeNode b = t.node();
            NodeTestSupport.introduce(a, b);
            AnodeServerSocketChannel server = t.track(AnodeServerSocketChannel.open(b));
            server.bind(null);
            AnodeSocketAddress target = (AnodeSocketAddress) server.getLocalAddress();
            CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> {
                try (AnodeSocketChannel c = server.accept()) {
                    MessageDigest md = MessageDigest.getInstance("SHA-256");
                    ByteBuffer buf = ByteBuffer.allocateDirect(256 * 1024);
                    long n = 0;
                    int r;
                    while ((r = c.read(buf)) >= 0) {
                        buf.flip();
                        md.update(buf);
                        buf.clear();
                        n += r;
                    }
                    assertEquals(TOTAL, n);
                    return md.digest();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            long start = System.nanoTime();
            try (AnodeSocketChannel c = AnodeSocketChannel.open(a, target)) {
                SplittableRandom rnd = new SplittableRandom(42);
                ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
                long sent = 0;
                while (sent < TOTAL) {
                    chunk.clear();
                    while (chunk.remaining() >= 8) {
                        chunk.putLong(rnd.nextLong());
                    }
                    chunk.flip();
                    md.update(chunk.duplicate());
                    while (chunk.hasRemaining()) {
                        c.write(chunk);
                    }
                    sent += chunk.limit();
                }
                c.shutdownOutput();
                assertArrayEquals(md.digest(), received.get(100, TimeUnit.SECONDS));
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            System.out.println("256 MiB over one Anode stream in " + ms + " ms ("
                    + (TOTAL * 1000 / Math.max(1, ms) / (1 << 20)) + " MiB/s)");
        }
    }

    /** Data both ways at once: acknowledgements ride on data packets as S_DACK (addendum A1). */
    @Test
    @Timeout(60)
    void transfersBothWaysAtOnce() throws Exception {
        int size = 16 << 20;
        try (StreamTestSupport s = new StreamTestSupport()) {
            AnodeSocketChannel[] p = s.connect();
            CompletableFuture<byte[]> aToB = pump(p[0], p[1], size, 1);
            CompletableFuture<byte[]> bToA = pump(p[1], p[0], size, 2);
            aToB.get(50, TimeUnit.SECONDS);
            bToA.get(50, TimeUnit.SECONDS);
        }
    }

    /** Writes {@code size} seeded bytes from {@code from} while {@code to} reads and checks them. */
    private static CompletableFuture<byte[]> pump(AnodeSocketChannel from, AnodeSocketChannel to, int size, long seed) {
        CompletableFuture<byte[]> written = CompletableFuture.supplyAsync(() -> {
            try {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                SplittableRandom rnd = new SplittableRandom(seed);
                ByteBuffer chunk = ByteBuffer.allocate(32 * 1024);
                for (int sent = 0; sent < size; sent += chunk.limit()) {
                    chunk.clear();
                    while (chunk.remaining() >= 8) {
                        chunk.putLong(rnd.nextLong());
                    }
                    chunk.flip();
                    md.update(chunk.duplicate());
                    while (chunk.hasRemaining()) {
                        from.write(chunk);
                    }
                }
                from.shutdownOutput();
                return md.digest();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> {
            try {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
                long n = 0;
                int r;
                while ((r = to.read(buf)) >= 0) {
                    buf.flip();
                    md.update(buf);
                    buf.clear();
                    n += r;
                }
                assertEquals(size, n);
                return md.digest();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        return written.thenCombine(read, (w, r) -> {
            assertArrayEquals(w, r);
            return r;
        });
    }
}
