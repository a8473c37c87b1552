package org.anode.nio;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.spi.AbstractSelectableChannel;
import java.nio.channels.spi.AbstractSelectionKey;

/**
 * The registration of one Anode channel with one {@link AnodeSelector} (the selection half of the
 * java.nio layer over draft 4.2.10 DGRAM and section 5 streams).
 *
 * <p>Interest and ready sets are volatile so that any thread may read them; the ready set is written
 * only by the selecting thread. Changing the interest set makes the key a candidate at the selector's
 * next look (checklist 6), which is how an idle key with a new interest set gets re-checked without the
 * selector polling every key.
 */
final class AnodeSelectionKey extends AbstractSelectionKey {
    private static final VarHandle QUEUED;
    private static final VarHandle INTEREST;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            QUEUED = lookup.findVarHandle(AnodeSelectionKey.class, "queued", int.class);
            INTEREST = lookup.findVarHandle(AnodeSelectionKey.class, "interestOps", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final AbstractSelectableChannel channel;
    private final AnodeSelectable source;
    private final AnodeSelector selector;
    private volatile int interestOps;
    private volatile int readyOps;

    /** 1 while the key sits in its selector's signalled queue: one entry per key at most. */
    @SuppressWarnings("unused")
    private volatile int queued;

    // Bookkeeping owned by the selecting thread (it holds the selector's monitor).
    /** Round in which the key was last evaluated; avoids evaluating it twice per round. */
    long checkedRound = -1;
    /** Round whose ready list holds the key; avoids duplicates in that list. */
    long listedRound = -1;
    /** Select operation that counted the key in its return value. */
    long countedSelect = -1;
    /** Set once the selector has deregistered the key. */
    boolean deregistered;

    AnodeSelectionKey(AbstractSelectableChannel channel, AnodeSelector selector, int ops) {
        this.channel = channel;
        this.source = (AnodeSelectable) channel;
        this.selector = selector;
        this.interestOps = ops;
    }

    @Override
    public SelectableChannel channel() {
        return channel;
    }

    @Override
    public Selector selector() {
        return selector;
    }

    @Override
    public int interestOps() {
        ensureValid();
        return interestOps;
    }

    @Override
    public SelectionKey interestOps(int ops) {
        ensureValid();
        if ((ops & ~channel.validOps()) != 0) {
            throw new IllegalArgumentException("invalid interest set " + ops + " for valid ops " + channel.validOps());
        }
        interestOps = ops;
        // A changed interest set may select a channel that signalled nothing new: re-check it.
        signal();
        return this;
    }

    /**
     * Atomic by compare-and-set rather than the key's monitor (the JDK default), so that an
     * application synchronizing on the key cannot stall the event loop.
     */
    @Override
    public int interestOpsOr(int ops) {
        ensureValid();
        if ((ops & ~channel.validOps()) != 0) {
            throw new IllegalArgumentException("invalid interest set " + ops + " for valid ops " + channel.validOps());
        }
        int old = (int) INTEREST.getAndBitwiseOr(this, ops);
        if ((old | ops) != old) {
            signal();
        }
        return old;
    }

    /** Atomic by compare-and-set; see {@link #interestOpsOr(int)}. */
    @Override
    public int interestOpsAnd(int ops) {
        ensureValid();
        return (int) INTEREST.getAndBitwiseAnd(this, ops);
    }

    @Override
    public int readyOps() {
        ensureValid();
        return readyOps;
    }

    /** Interest set without the validity check, for the selecting thread. */
    int rawInterestOps() {
        return interestOps;
    }

    int rawReadyOps() {
        return readyOps;
    }

    void setReadyOps(int ops) {
        readyOps = ops;
    }

    /** Readiness of the channel now, as the channel reports it. */
    int channelReadyOps() {
        return source.readyOps();
    }

    Readiness readiness() {
        return source.readiness();
    }

    /** Called from any thread when the channel's readiness may have changed. */
    void signal() {
        if (queued == 0 && QUEUED.compareAndSet(this, 0, 1)) {
            selector.enqueue(this);
        }
    }

    /**
     * Called by the selecting thread after taking the key off the queue and before reading the
     * channel's readiness, so a change made after that read re-queues the key.
     */
    void clearQueued() {
        QUEUED.setVolatile(this, 0);
    }

    boolean isQueued() {
        return queued != 0;
    }

    private void ensureValid() {
        if (!isValid()) {
            throw new CancelledKeyException();
        }
    }

    @Override
    public String toString() {
        return "AnodeSelectionKey[channel=" + channel + ", valid=" + isValid() + ", interest=" + interestOps
                + ", ready=" + readyOps + "]";
    }
}
