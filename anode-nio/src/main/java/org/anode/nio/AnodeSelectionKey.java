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
 * The registration of one channel with one {@link AnodeSelector} (the selection half of the
 * java.nio layer over draft 4.2.10 DGRAM and section 5 streams).
 *
 * <p>A key has up to two sources of readiness: the {@link AnodeSelectable} channel itself (its
 * {@link Readiness} signals), and a JDK channel watched by the selector's inner JDK selector (an
 * "inner key" whose attachment is this key). A JDK channel registered directly has only the second;
 * a delegating channel of {@link AnodeSystemSelectorProvider} has the first and, while it is backed by
 * a JDK channel, the second.
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
    /** The Anode readiness source, or null for a JDK channel registered directly. */
    private final AnodeSelectable source;
    /** The key of the JDK channel in the selector's inner JDK selector, or null. */
    private volatile SelectionKey inner;
    /** Guards changes of {@link #inner} and the interest sets pushed to it. */
    private final Object innerLock = new Object();

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

    AnodeSelectionKey(AbstractSelectableChannel channel, AnodeSelectable source, AnodeSelector selector, int ops) {
        this.channel = channel;
        this.source = source;
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
        pushInterest();
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
            pushInterest();
            signal();
        }
        return old;
    }

    /** Atomic by compare-and-set; see {@link #interestOpsOr(int)}. */
    @Override
    public int interestOpsAnd(int ops) {
        ensureValid();
        int old = (int) INTEREST.getAndBitwiseAnd(this, ops);
        if ((old & ops) != old) {
            pushInterest();
        }
        return old;
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

    /** Readiness of the channel now, as its Anode source reports it (0 without one). */
    int channelReadyOps() {
        AnodeSelectable s = source;
        return s == null ? 0 : s.readyOps();
    }

    /** The Anode readiness hub, or null for a JDK channel registered directly. */
    Readiness readiness() {
        AnodeSelectable s = source;
        return s == null ? null : s.readiness();
    }

    AnodeSelectable source() {
        return source;
    }

    SelectionKey inner() {
        return inner;
    }

    /**
     * Watches {@code jdk} (or nothing, if null) in {@code innerSelector} for this key, replacing the
     * JDK channel watched so far. The JDK applies a registration made while its selector is blocked
     * at its next select; the caller wakes the selector so that this is at once.
     */
    void bindInner(java.nio.channels.SelectableChannel jdk, Selector innerSelector) throws java.io.IOException {
        synchronized (innerLock) {
            SelectionKey old = inner;
            if (old != null && (jdk == null || old.channel() != jdk)) {
                old.cancel();
                inner = null;
            }
            if (jdk != null && inner == null && !deregistered && isValid()) {
                inner = jdk.register(innerSelector, interestOps, this);
            }
        }
    }

    /** Called by the selector when it drops the key: the JDK channel is no longer watched for it. */
    void cancelInner() {
        synchronized (innerLock) {
            SelectionKey old = inner;
            inner = null;
            if (old != null) {
                old.cancel();
            }
        }
    }

    /**
     * The JDK applies interest changes at its next select; our selector applies them to a select in
     * progress too, so it wakes the inner selector, which costs the selecting thread a turn of its loop.
     */
    private void pushInterest() {
        if (inner == null) {
            return;
        }
        synchronized (innerLock) {
            SelectionKey k = inner;
            if (k != null) {
                try {
                    k.interestOps(interestOps);
                    selector.innerInterestChanged();
                } catch (java.nio.channels.CancelledKeyException e) {
                    // The JDK channel was closed: this key is cancelled with it and goes at the next select.
                }
            }
        }
    }

    /** Called from any thread when the channel's readiness may have changed. */
    void signal() {
        if (source == null) {
            return;
        }
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
