package org.anode.nio;

/**
 * The brief wait without parking that a blocking receive does before it parks, shared by
 * {@link AnodeDatagramChannel} (DGRAM, draft 4.2.10) and {@link AnodeSocketChannel} (streams,
 * draft section 5).
 *
 * <p>A request/response exchange on a fast path turns around in less time than parking and
 * unparking a thread costs. So a receive that starts within {@link AnodeNodeConfig#receiveSpinNanos()}
 * of the channel's last send - a request/response turn-around, where the answer is due at once -
 * reads the node's sockets on its own thread while the event loop is idle
 * ({@link AnodeNode#pollIo()}), so the answer needs no hand-off from the loop thread and no
 * wake-up. A pure receiver (a bulk sink) never spins: it would only take CPU from the event loop
 * that fills its buffer. After a spin that ended without data (a busy machine, a slow peer) the
 * next {@value #SKIPS_AFTER_MISS} receives park at once instead of paying for the spin and the
 * park.
 *
 * <p>One instance per channel, made once (no allocation per receive); {@link #spin} runs under the
 * channel's read lock, which guards the skip count.
 *
 * @param <T> what the channel waits on (its stream link), passed through to {@link #ready}
 */
abstract class ReceiveSpin<T> {
    /** Receives that park at once after a spin that missed. */
    static final int SKIPS_AFTER_MISS = 32;

    private final AnodeNode node;
    private final long spinNanos;
    private final boolean yieldEveryPoll;
    /** When the channel last sent: a receive soon after is a request/response turn-around. */
    private volatile long lastSendNanos = System.nanoTime() - Long.MAX_VALUE / 2;
    /** Receives that will not spin (read lock held). */
    private int skips;

    /**
     * @param yieldEveryPoll true to yield the CPU after every poll (streams), false to yield only
     *     when the event loop holds the sockets (datagrams). On a machine with few CPUs the
     *     scheduler often runs the peer's threads on the spinning thread's CPU, and a stream read
     *     that kept the CPU delayed the very answer it waited for; docs/benchmarks/stream.md has
     *     the comparison.
     */
    ReceiveSpin(AnodeNode node, boolean yieldEveryPoll) {
        this.node = node;
        this.spinNanos = node.config().receiveSpinNanos();
        this.yieldEveryPoll = yieldEveryPoll;
    }

    /** Records a send at {@code nowNanos} ({@link System#nanoTime()}). */
    final void sent(long nowNanos) {
        lastSendNanos = nowNanos;
    }

    /** True when the wait is over: data to read, or the channel closed. */
    abstract boolean ready(T on);

    /** Spins for data on {@code on} if a send was recent enough; returns with or without it. */
    final void spin(T on) {
        long spin = spinNanos;
        if (spin <= 0 || ready(on)) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastSendNanos > spin) {
            return;
        }
        if (skips > 0) {
            skips--;
            return;
        }
        long until = now + spin;
        do {
            boolean polled = node.pollIo();
            if (ready(on)) {
                return;
            }
            if (yieldEveryPoll || !polled) {
                Thread.yield();
            }
        } while (System.nanoTime() - until < 0);
        skips = SKIPS_AFTER_MISS;
    }
}
