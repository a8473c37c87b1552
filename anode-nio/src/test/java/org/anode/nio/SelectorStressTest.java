package org.anode.nio;

import static java.nio.channels.SelectionKey.OP_READ;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Many threads signalling, waking and selecting at once: no event is lost (every produced event is
 * consumed by a blocking select loop) and no wakeup is lost (every wakeup request ends a select).
 * Bounded in events, threads and time.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SelectorStressTest {
    private static final int CHANNELS = 64;
    private static final int PRODUCERS = 4;
    private static final int EVENTS_PER_PRODUCER = 20_000;

    /** A channel whose readiness is "pending events > 0"; the consumer drains it. */
    private static final class Counter {
        final SelectorTestChannel channel;
        final AtomicInteger pending = new AtomicInteger();

        Counter(SelectorTestChannel channel) {
            this.channel = channel;
        }

        void produce() {
            if (pending.getAndIncrement() == 0) {
                channel.setReady(OP_READ);
            } else if ((pending.get() & 7) == 0) {
                // Extra signals that change nothing: must not disturb the count.
                channel.signalOnly();
            }
        }

        int drain() {
            // Clear readiness before taking the count, so an event arriving in between re-signals.
            channel.setReadyQuietly(0);
            int n = pending.getAndSet(0);
            if (pending.get() > 0) {
                channel.setReady(OP_READ);
            }
            return n;
        }
    }

    @Test
    void noLostEventsUnderConcurrentSignalling() throws Exception {
        AnodeSelectorProvider provider = SelectorTestSupport.provider();
        List<Counter> counters = new ArrayList<>();
        try (Selector selector = provider.openSelector()) {
            for (int i = 0; i < CHANNELS; i++) {
                Counter c = new Counter(SelectorTestChannel.nonBlocking(provider, OP_READ));
                c.channel.register(selector, OP_READ, c);
                counters.add(c);
            }
            long total = (long) PRODUCERS * EVENTS_PER_PRODUCER;
            AtomicLong consumed = new AtomicLong();
            AtomicLong selects = new AtomicLong();
            var consumer = SelectorTestSupport.background("consumer", () -> {
                while (consumed.get() < total) {
                    // Blocking select: a lost signal would hang here and fail the test's timeout.
                    int n = selector.select(SelectorTestSupport.STEP_SECONDS * 1000);
                    selects.incrementAndGet();
                    int seen = 0;
                    for (Iterator<SelectionKey> it = selector.selectedKeys().iterator(); it.hasNext(); ) {
                        SelectionKey k = it.next();
                        it.remove();
                        consumed.addAndGet(((Counter) k.attachment()).drain());
                        seen++;
                    }
                    if (n > seen) {
                        throw new AssertionError("select counted " + n + " keys but selected " + seen);
                    }
                }
                return consumed.get();
            });
            List<SelectorTestSupport.Background<Integer>> producers = new ArrayList<>();
            for (int p = 0; p < PRODUCERS; p++) {
                int seed = p;
                producers.add(SelectorTestSupport.background("producer" + p, () -> {
                    SplittableRandom rnd = new SplittableRandom(seed);
                    for (int i = 0; i < EVENTS_PER_PRODUCER; i++) {
                        counters.get(rnd.nextInt(CHANNELS)).produce();
                        if ((i & 1023) == 0) {
                            selector.wakeup();
                        }
                    }
                    return EVENTS_PER_PRODUCER;
                }));
            }
            for (var p : producers) {
                assertEquals(EVENTS_PER_PRODUCER, p.get());
            }
            assertEquals(total, consumer.get());
            assertTrue(selects.get() > 0);
        } finally {
            for (Counter c : counters) {
                c.channel.close();
            }
        }
    }

    /**
     * Wakeups from many threads, each waiting for its own wakeup to end a select: a lost wakeup leaves
     * a waker waiting forever (bounded by the step timeout, which fails the test).
     */
    @Test
    void noLostWakeups() throws Exception {
        AnodeSelectorProvider provider = SelectorTestSupport.provider();
        try (Selector selector = provider.openSelector()) {
            SelectorTestChannel idle = SelectorTestChannel.nonBlocking(provider, OP_READ);
            idle.register(selector, OP_READ);
            AtomicLong returns = new AtomicLong();
            AtomicBoolean stop = new AtomicBoolean();
            var selecting = SelectorTestSupport.background("selector", () -> {
                while (!stop.get()) {
                    selector.select();
                    synchronized (returns) {
                        returns.incrementAndGet();
                        returns.notifyAll();
                    }
                }
                return returns.get();
            });
            List<SelectorTestSupport.Background<Integer>> wakers = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                wakers.add(SelectorTestSupport.background("waker" + w, () -> {
                    for (int i = 0; i < 2_000; i++) {
                        long before;
                        synchronized (returns) {
                            before = returns.get();
                        }
                        selector.wakeup();
                        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SelectorTestSupport.STEP_SECONDS);
                        synchronized (returns) {
                            // The wakeup ends the select in progress or the next one: either way a
                            // select returns after it, so the counter must move past "before".
                            while (returns.get() <= before) {
                                long left = deadline - System.nanoTime();
                                if (left <= 0) {
                                    throw new AssertionError("wakeup lost");
                                }
                                TimeUnit.NANOSECONDS.timedWait(returns, left);
                            }
                        }
                    }
                    return 2_000;
                }));
            }
            for (var w : wakers) {
                assertEquals(2_000, w.get());
            }
            stop.set(true);
            selector.wakeup();
            assertTrue(selecting.get() > 0);
            idle.close();
        }
    }
}
