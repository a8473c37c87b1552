package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.EventLoop;
import io.netty.channel.nio.NioEventLoop;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.nio.NioTask;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.security.MessageDigest;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Netty 4.1's unchanged NIO event loop driving {@link AnodeSelector} (checklist 1, 7, 10, 14, 15):
 * it selects, runs tasks and timers, wakes up, reads an Anode pipe through {@link NioTask}, survives
 * its own selector rebuild (register on the new selector, cancel on the old), and never sees enough
 * premature select returns to rebuild by itself.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SelectorNettyLoopTest {

    /** Netty keeps the selector it created in this field; a rebuild replaces it. */
    private static Selector selectorOf(NioEventLoop loop) throws ReflectiveOperationException {
        Field f = NioEventLoop.class.getDeclaredField("unwrappedSelector");
        f.setAccessible(true);
        return (Selector) f.get(loop);
    }

    @Test
    void nettyEventLoopReadsAnodePipe() throws Exception {
        AnodeSelectorProvider provider = SelectorTestSupport.provider();
        NioEventLoopGroup group = new NioEventLoopGroup(1, (Executor) null, provider);
        Pipe pipe = provider.openPipe();
        try {
            NioEventLoop loop = (NioEventLoop) group.next();
            assertSame(provider, loop.selectorProvider());

            // Tasks and timers: the loop blocks in select between them and is woken for each.
            int tasks = 2_000;
            CountDownLatch ran = new CountDownLatch(tasks + 20);
            for (int i = 0; i < tasks; i++) {
                loop.execute(ran::countDown);
            }
            for (int i = 0; i < 20; i++) {
                loop.schedule(ran::countDown, i, TimeUnit.MILLISECONDS);
            }
            assertTrue(ran.await(SelectorTestSupport.STEP_SECONDS, TimeUnit.SECONDS));
            Selector original = selectorOf(loop);
            assertTrue(original instanceof AnodeSelector);

            // A pipe registered through Netty's public NioTask hook.
            byte[] data = new byte[2 << 20];
            new SplittableRandom(3).nextBytes(data);
            MessageDigest got = MessageDigest.getInstance("SHA-256");
            AtomicInteger received = new AtomicInteger();
            CompletableFuture<Integer> done = new CompletableFuture<>();
            ByteBuffer buf = ByteBuffer.allocate(8192);
            pipe.source().configureBlocking(false);
            CountDownLatch registered = new CountDownLatch(1);
            loop.execute(() -> {
                loop.register(pipe.source(), SelectionKey.OP_READ, new NioTask<Pipe.SourceChannel>() {
                    @Override
                    public void channelReady(Pipe.SourceChannel ch, SelectionKey key) throws Exception {
                        // Netty-style: a bounded number of reads per event, relying on level triggering.
                        for (int i = 0; i < 4; i++) {
                            int n = ch.read(buf.clear());
                            if (n < 0) {
                                ch.close();
                                done.complete(received.get());
                                return;
                            }
                            if (n == 0) {
                                return;
                            }
                            got.update(buf.flip());
                            received.addAndGet(n);
                        }
                    }

                    @Override
                    public void channelUnregistered(Pipe.SourceChannel ch, Throwable cause) {
                        if (cause != null) {
                            done.completeExceptionally(cause);
                        }
                    }
                });
                registered.countDown();
            });
            assertTrue(registered.await(SelectorTestSupport.STEP_SECONDS, TimeUnit.SECONDS));

            var writer = SelectorTestSupport.background("writer", () -> {
                for (int off = 0; off < data.length; off += 10_000) {
                    pipe.sink().write(ByteBuffer.wrap(data, off, Math.min(10_000, data.length - off)));
                    if (off == 1_000_000) {
                        // Mid-transfer, Netty's own rebuild: new selector, keys moved, old cancelled.
                        loop.rebuildSelector();
                    }
                    if (off % 200_000 == 0) {
                        loop.execute(() -> {});
                    }
                }
                pipe.sink().close();
                return true;
            });
            assertTrue(writer.get());
            assertEquals(data.length, done.get(SelectorTestSupport.STEP_SECONDS, TimeUnit.SECONDS));
            assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(data), got.digest());

            Selector rebuilt = selectorOf(loop);
            assertNotSame(original, rebuilt, "the explicit rebuild happened");
            assertTrue(rebuilt instanceof AnodeSelector);
            assertTrue(!original.isOpen(), "Netty closed the old selector");

            // An idle loop with a timer far away: it must block, not spin into a self-rebuild.
            CountDownLatch late = new CountDownLatch(1);
            loop.schedule(late::countDown, 800, TimeUnit.MILLISECONDS);
            assertTrue(late.await(SelectorTestSupport.STEP_SECONDS, TimeUnit.SECONDS));
            assertSame(rebuilt, selectorOf(loop), "no automatic rebuild: select never returned early");
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(SelectorTestSupport.STEP_SECONDS, TimeUnit.SECONDS);
            pipe.source().close();
            pipe.sink().close();
        }
        EventLoop after = group.next();
        assertTrue(after.isShutdown());
    }
}
