package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Blocking echo over Anode streams (draft section 5) between two nodes on 127.0.0.1. */
@Timeout(30)
class StreamEchoTest {
    @Test
    void blockingEchoRoundTrips() throws Exception {
        ExecutorService pool = Executors.newCachedThreadPool();
        try (NodeTestSupport t = new NodeTestSupport()) {
            AnodeNode a = t.node();
            AnodeNode b = t.node();
            NodeTestSupport.introduce(a, b);
            AnodeServerSocketChannel server = AnodeServerSocketChannel.open(b);
            server.bind(AnodeSocketAddress.of(b.address(), 7));
            CompletableFuture<Long> echoed = CompletableFuture.supplyAsync(
                    () -> {
                        try (AnodeSocketChannel c = server.accept()) {
                            ByteBuffer buf = ByteBuffer.allocate(10_000);
                            long total = 0;
                            while (c.read(buf) >= 0) {
                                buf.flip();
                                total += buf.remaining();
                                while (buf.hasRemaining()) {
                                    c.write(buf);
                                }
                                buf.clear();
                            }
                            return total;
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    },
                    pool);
            try (AnodeSocketChannel c = AnodeSocketChannel.open(a, AnodeSocketAddress.of(b.address(), 7))) {
                assertTrue(c.isConnected());
                assertEquals(AnodeSocketAddress.of(b.address(), 7), c.getRemoteAddress());
                byte[] data = new byte[300_000];
                new Random(1).nextBytes(data);
                CompletableFuture<byte[]> back = CompletableFuture.supplyAsync(
                        () -> {
                            try {
                                ByteBuffer in = ByteBuffer.allocate(data.length);
                                while (in.hasRemaining()) {
                                    if (c.read(in) < 0) {
                                        break;
                                    }
                                }
                                return in.array();
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        },
                        pool);
                ByteBuffer out = ByteBuffer.wrap(data);
                while (out.hasRemaining()) {
                    c.write(out);
                }
                assertArrayEquals(data, back.get(20, TimeUnit.SECONDS));
                c.shutdownOutput();
                assertEquals(data.length, echoed.get(20, TimeUnit.SECONDS));
                assertEquals(-1, c.read(ByteBuffer.allocate(10)));
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
