package org.anode.nio;

import java.io.IOException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.IllegalSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.spi.AbstractSelectableChannel;
import java.nio.channels.spi.AbstractSelector;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * A level-triggered selector for Anode channels (the multiplexing half of the java.nio layer over draft
 * 4.2.10 DGRAM messages and draft section 5 streams), honouring the contract that existing NIO code
 * and frameworks such as Netty rely on (design/nio-checklist.md items 4-17).
 *
 * <p>There is no file descriptor to poll. Each channel owns a {@link Readiness} hub; when its state
 * changes it signals every key registered for it, which puts the key on this selector's queue of
 * candidates and unparks a blocked select. A select evaluates only the queued keys and the keys that
 * were ready in the previous round (that re-check is what makes it level-triggered), so idle keys cost
 * nothing however many are registered.
 *
 * <p>Locking follows the JDK: a select holds this selector's monitor and then the selected-key set's;
 * cancelled keys are drained under the cancelled-key set's monitor before and after waiting.
 * {@link #wakeup()}, {@link #register} and {@link Readiness#signal()} take neither monitor.
 *
 * <p>One deliberate reading of {@link java.nio.channels.Selector#select()}: a blocking select returns
 * only when at least one key was added to the selected set or had its ready set updated (or on wakeup,
 * interrupt, close or timeout). A key that is still ready but already in the selected set with the same
 * ready set does not end the wait, so a select never returns 0 without a reason (checklist 10).
 */
public final class AnodeSelector extends AbstractSelector {
    /** Timeout meaning "wait without limit". */
    private static final long FOREVER = -1L;

    private final Set<SelectionKey> keys = ConcurrentHashMap.newKeySet();
    private final Set<SelectionKey> publicKeys = Collections.unmodifiableSet(keys);
    private final Set<SelectionKey> selectedKeys = new HashSet<>();
    private final Set<SelectionKey> publicSelectedKeys = new UngrowableSet(selectedKeys);

    /** Keys whose channel signalled (or whose interest set changed) since their last evaluation. */
    private final ConcurrentLinkedQueue<AnodeSelectionKey> signalled = new ConcurrentLinkedQueue<>();
    /** Sticky wakeup: set by wakeup(), consumed by the select it ends or by selectNow(). */
    private final AtomicBoolean wakeupPending = new AtomicBoolean();
    /** The thread blocked in select, to unpark; at most one thanks to the monitor. */
    private volatile Thread waiter;

    // Owned by the selecting thread (under this selector's monitor).
    private ArrayList<AnodeSelectionKey> readyLast = new ArrayList<>();
    private ArrayList<AnodeSelectionKey> readyNext = new ArrayList<>();
    private final ArrayList<AnodeSelectionKey> batch = new ArrayList<>();
    private long round;
    private long selectSeq;
    /** Deregistered keys still sitting in {@code signalled}; widens the per-round poll limit. */
    private int staleQueued;
    private boolean inSelect;

    AnodeSelector(AnodeSelectorProvider provider) {
        super(provider);
    }

    // ---------------------------------------------------------------------------------- key sets

    @Override
    public Set<SelectionKey> keys() {
        ensureOpen();
        return publicKeys;
    }

    @Override
    public Set<SelectionKey> selectedKeys() {
        ensureOpen();
        return publicSelectedKeys;
    }

    private void ensureOpen() {
        if (!isOpen()) {
            throw new ClosedSelectorException();
        }
    }

    // ------------------------------------------------------------------------------ registration

    /**
     * Called by {@code AbstractSelectableChannel.register} under the channel's key lock, after it has
     * checked the interest set against {@code validOps()} and the blocking mode. Any channel of an
     * Anode provider that implements {@link AnodeSelectable} may register, so one selector can serve
     * the channels of several nodes in one process; any other channel is refused with
     * {@link IllegalSelectorException} (checklist 5), never {@code UnsupportedOperationException}.
     */
    @Override
    protected SelectionKey register(AbstractSelectableChannel ch, int ops, Object att) {
        if (!(ch instanceof AnodeSelectable) || !(ch.provider() instanceof AnodeSelectorProvider)) {
            throw new IllegalSelectorException();
        }
        ensureOpen();
        AnodeSelectionKey k = new AnodeSelectionKey(ch, this, ops);
        k.attach(att);
        keys.add(k);
        k.readiness().attach(k);
        if (!isOpen()) {
            // Lost a race with close(): its sweep may have missed this key, so undo it here.
            k.readiness().detach(k);
            keys.remove(k);
            throw new ClosedSelectorException();
        }
        // The channel may be ready already (and ops == 0 is fine: the key is then never selected).
        k.signal();
        return k;
    }

    /** Called from any thread by {@link AnodeSelectionKey#signal()} after it won the queued flag. */
    void enqueue(AnodeSelectionKey k) {
        signalled.offer(k);
        Thread w = waiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
    }

    // ---------------------------------------------------------------------------------- select

    @Override
    public int selectNow() throws IOException {
        return lockAndSelect(null, 0L);
    }

    @Override
    public int select(long timeout) throws IOException {
        if (timeout < 0) {
            throw new IllegalArgumentException("Negative timeout");
        }
        return lockAndSelect(null, timeout == 0 ? FOREVER : timeout);
    }

    @Override
    public int select() throws IOException {
        return lockAndSelect(null, FOREVER);
    }

    /** Like the JDK's: ready keys go to {@code action}, the selected-key set is left alone. */
    @Override
    public int select(Consumer<SelectionKey> action, long timeout) throws IOException {
        if (timeout < 0) {
            throw new IllegalArgumentException("Negative timeout");
        }
        return lockAndSelect(Objects.requireNonNull(action, "action"), timeout == 0 ? FOREVER : timeout);
    }

    @Override
    public int select(Consumer<SelectionKey> action) throws IOException {
        return lockAndSelect(Objects.requireNonNull(action, "action"), FOREVER);
    }

    @Override
    public int selectNow(Consumer<SelectionKey> action) throws IOException {
        return lockAndSelect(Objects.requireNonNull(action, "action"), 0L);
    }

    private int lockAndSelect(Consumer<SelectionKey> action, long timeoutMillis) {
        synchronized (this) {
            ensureOpen();
            if (inSelect) {
                // An action that selects again on the same selector: refused as the JDK does.
                throw new IllegalStateException("select in progress");
            }
            inSelect = true;
            try {
                synchronized (publicSelectedKeys) {
                    return doSelect(action, timeoutMillis);
                }
            } finally {
                inSelect = false;
            }
        }
    }

    private int doSelect(Consumer<SelectionKey> action, long timeoutMillis) {
        long seq = ++selectSeq;
        processCancelled(seq);
        int n = processRound(action, seq);
        if (timeoutMillis == 0L) {
            // selectNow: never waits, and clears a pending wakeup (checklist 14, 15).
            wakeupPending.set(false);
            return n - processCancelled(seq);
        }
        if (n == 0) {
            n = await(action, seq, timeoutMillis);
        }
        // A wakeup made before or during this select is used up by it, even when keys ended it:
        // the next select must not return at once for a wakeup that was already answered.
        wakeupPending.set(false);
        return n - processCancelled(seq);
    }

    /**
     * Parks until a round selects something, or wakeup, interrupt (via begin()'s interruptor, which
     * calls wakeup()), close or the timeout. A wakeup during the wait is consumed by this select.
     */
    private int await(Consumer<SelectionKey> action, long seq, long timeoutMillis) {
        long deadline = 0L;
        if (timeoutMillis != FOREVER) {
            long nanos = timeoutMillis >= Long.MAX_VALUE / 1_000_000L ? Long.MAX_VALUE / 2 : timeoutMillis * 1_000_000L;
            deadline = System.nanoTime() + nanos;
        }
        int n = 0;
        Thread self = Thread.currentThread();
        waiter = self;
        try {
            begin();
            while (true) {
                // The interrupt flag is checked as well as the interruptor's wakeup: an action run
                // in this loop may do blocking I/O whose own begin()/end() replaces the interruptor,
                // and park() returns at once while the flag is set.
                if (wakeupPending.getAndSet(false) || !isOpen() || self.isInterrupted()) {
                    break;
                }
                if (!signalled.isEmpty()) {
                    n = processRound(action, seq);
                    if (n > 0) {
                        break;
                    }
                    continue;
                }
                if (timeoutMillis == FOREVER) {
                    LockSupport.park(this);
                } else {
                    long remaining = deadline - System.nanoTime();
                    if (remaining <= 0L) {
                        break;
                    }
                    LockSupport.parkNanos(this, remaining);
                }
            }
        } finally {
            waiter = null;
            end();
        }
        if (n == 0 && !signalled.isEmpty() && isOpen()) {
            // Woken or timed out while signals arrived: report what is ready now, like a poll would.
            n = processRound(action, seq);
        }
        return n;
    }

    /**
     * One look at the candidates: the keys signalled since the last look, then the keys that were
     * ready last round (level-triggered re-check). Returns the number of keys added to the selected
     * set or whose ready set grew (or, with an action, the number of keys handed to it).
     */
    private int processRound(Consumer<SelectionKey> action, long seq) {
        long r = ++round;
        // Take at most as many entries as there can be queued keys: each key is queued at most once
        // at a time, so this covers everything queued when the round began, and keeps a storm of
        // signals from another thread from holding the round open forever.
        int limit = keys.size() + staleQueued + 16;
        AnodeSelectionKey k;
        while (limit-- > 0 && (k = signalled.poll()) != null) {
            // Clear before reading readiness: a change after the read re-queues the key.
            k.clearQueued();
            if (k.deregistered) {
                if (staleQueued > 0) {
                    staleQueued--;
                }
                continue;
            }
            batch.add(k);
        }
        int n = 0;
        ArrayList<AnodeSelectionKey> last = readyLast;
        readyLast = readyNext;
        readyNext = last;
        boolean done = false;
        try {
            for (int i = 0; i < batch.size(); i++) {
                n += evaluate(batch.get(i), action, r, seq);
            }
            for (int i = 0; i < last.size(); i++) {
                n += evaluate(last.get(i), action, r, seq);
            }
            done = true;
        } finally {
            if (!done) {
                // An action threw (or closed the selector): keys not looked at yet must stay
                // candidates, or their signal would be lost.
                requeueUnchecked(batch, r);
                requeueUnchecked(last, r);
            }
            batch.clear();
            last.clear();
        }
        return n;
    }

    private void requeueUnchecked(ArrayList<AnodeSelectionKey> list, long r) {
        if (!isOpen()) {
            return;
        }
        for (int i = 0; i < list.size(); i++) {
            AnodeSelectionKey k = list.get(i);
            if (k.checkedRound != r && !k.deregistered) {
                k.signal();
            }
        }
    }

    private int evaluate(AnodeSelectionKey k, Consumer<SelectionKey> action, long r, long seq) {
        if (k.checkedRound == r) {
            return 0;
        }
        k.checkedRound = r;
        if (k.deregistered || !k.isValid()) {
            return 0;
        }
        int ready = k.channelReadyOps() & k.rawInterestOps();
        if (ready == 0) {
            return 0;
        }
        if (k.listedRound != r) {
            k.listedRound = r;
            readyLast.add(k);
        }
        if (action != null) {
            k.setReadyOps(ready);
            k.countedSelect = seq;
            action.accept(k);
            ensureOpen();
            return 1;
        }
        if (selectedKeys.contains(k)) {
            int old = k.rawReadyOps();
            if ((ready & ~old) == 0) {
                return 0;
            }
            k.setReadyOps(old | ready);
        } else {
            k.setReadyOps(ready);
            selectedKeys.add(k);
        }
        k.countedSelect = seq;
        return 1;
    }

    /**
     * Deregisters every cancelled key (checklist 4). Returns how many keys counted by select
     * {@code seq} left the selected set, so the count returned stays exact.
     */
    private int processCancelled(long seq) {
        Set<SelectionKey> cancelled = cancelledKeys();
        int uncounted = 0;
        synchronized (cancelled) {
            if (cancelled.isEmpty()) {
                return 0;
            }
            for (SelectionKey sk : cancelled) {
                AnodeSelectionKey k = (AnodeSelectionKey) sk;
                if (selectedKeys.remove(k) && k.countedSelect == seq) {
                    uncounted++;
                }
                dropKey(k);
            }
            cancelled.clear();
        }
        return uncounted;
    }

    private void dropKey(AnodeSelectionKey k) {
        if (k.deregistered) {
            return;
        }
        k.deregistered = true;
        if (k.isQueued()) {
            staleQueued++;
        }
        keys.remove(k);
        k.readiness().detach(k);
        deregister(k);
    }

    // ---------------------------------------------------------------------------- wakeup, close

    /**
     * Sticky and coalescing: ends the select in progress, or else makes the next select return at
     * once unless {@link #selectNow()} runs first (checklist 15). Lock-free, callable from any thread.
     */
    @Override
    public AnodeSelector wakeup() {
        // Only the call that raises the flag unparks: the waiter re-reads the flag after publishing
        // itself, so a later call finds the flag up and has nothing to add.
        if (!wakeupPending.getAndSet(true)) {
            Thread w = waiter;
            if (w != null) {
                LockSupport.unpark(w);
            }
        }
        return this;
    }

    /**
     * Wakes a blocked select first, so that its monitor is released, then deregisters every key
     * (checklist 17). Channels then report {@code isRegistered() == false}.
     */
    @Override
    protected void implCloseSelector() {
        wakeup();
        synchronized (this) {
            synchronized (publicSelectedKeys) {
                Set<SelectionKey> cancelled = cancelledKeys();
                synchronized (cancelled) {
                    for (SelectionKey sk : cancelled) {
                        dropKey((AnodeSelectionKey) sk);
                    }
                    cancelled.clear();
                }
                for (SelectionKey sk : keys) {
                    dropKey((AnodeSelectionKey) sk);
                }
                keys.clear();
                selectedKeys.clear();
                signalled.clear();
                staleQueued = 0;
                readyLast.clear();
                readyNext.clear();
            }
        }
    }

    @Override
    public String toString() {
        return "AnodeSelector[open=" + isOpen() + ", keys=" + keys.size() + "]";
    }

    /**
     * The selected-key view: removal is allowed, addition is not (checklist 13), as
     * {@link java.nio.channels.Selector#selectedKeys()} specifies.
     */
    private static final class UngrowableSet extends AbstractSet<SelectionKey> {
        private final Set<SelectionKey> backing;

        UngrowableSet(Set<SelectionKey> backing) {
            this.backing = backing;
        }

        @Override
        public Iterator<SelectionKey> iterator() {
            return backing.iterator();
        }

        @Override
        public int size() {
            return backing.size();
        }

        @Override
        public boolean isEmpty() {
            return backing.isEmpty();
        }

        @Override
        public boolean contains(Object o) {
            return backing.contains(o);
        }

        @Override
        public boolean remove(Object o) {
            return backing.remove(o);
        }

        @Override
        public boolean removeAll(Collection<?> c) {
            return backing.removeAll(c);
        }

        @Override
        public boolean retainAll(Collection<?> c) {
            return backing.retainAll(c);
        }

        @Override
        public void clear() {
            backing.clear();
        }

        @Override
        public boolean add(SelectionKey k) {
            throw new UnsupportedOperationException(UNGROWABLE);
        }

        @Override
        public boolean addAll(Collection<? extends SelectionKey> c) {
            throw new UnsupportedOperationException(UNGROWABLE);
        }

        /** Selector javadoc: the selected-key set is "not directly added to" (ungrowable). */
        private static final String UNGROWABLE = "keys are added to the selected-key set only by selection";
    }
}
