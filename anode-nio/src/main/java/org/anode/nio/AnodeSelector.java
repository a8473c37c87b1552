package org.anode.nio;

import java.io.IOException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.IllegalSelectorException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.spi.AbstractSelectableChannel;
import java.nio.channels.spi.AbstractSelector;
import java.nio.channels.spi.SelectorProvider;
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
 * 4.2.10 DGRAM messages and draft section 5 streams) that also multiplexes the JDK's own socket,
 * server-socket, datagram and pipe channels, honouring the contract that existing NIO code and
 * frameworks such as Netty rely on (design/nio-checklist.md items 4-17) for both kinds.
 *
 * <p>Anode channels have no file descriptor to poll. Each owns a {@link Readiness} hub; when its state
 * changes it signals every key registered for it, which puts the key on this selector's queue of
 * candidates and wakes a blocked select. A select evaluates only the queued keys and the keys that
 * were ready in the previous round (that re-check is what makes it level-triggered), so idle keys cost
 * nothing however many are registered.
 *
 * <p>JDK channels are watched by an inner selector of the JDK's own provider, opened when the first
 * one registers: each key of ours then holds an inner key whose attachment is our key. While JDK
 * channels are registered a blocking select blocks in the inner selector, and an Anode signal wakes it
 * through the inner selector's own wake-up descriptor, so readiness of either kind ends the wait at
 * once without polling. Until then a blocking select parks, as it always did.
 *
 * <p>One difference remains for a JDK channel registered directly: after {@code key.cancel()} its
 * inner key stays valid until our next select, so the JDK refuses {@code configureBlocking(true)}
 * until then ({@code IllegalBlockingModeException}); call {@code selectNow()} in between. The
 * channels of {@link AnodeSystemSelectorProvider} (which wrap the JDK channels they accept) release
 * the inner key themselves, so code written for the JDK's selector, such as its HTTP server, works.
 *
 * <p>Locking follows the JDK: a select holds this selector's monitor and then the selected-key set's;
 * cancelled keys are drained under the cancelled-key set's monitor before and after waiting.
 * {@link #wakeup()}, {@link #register} and {@link Readiness#signal()} take neither monitor.
 *
 * <p>One deliberate reading of {@link java.nio.channels.Selector#select()}: a blocking select returns
 * only when at least one key was added to the selected set or had its ready set updated (or on wakeup,
 * interrupt, close or timeout). A key that is still ready but already in the selected set with the same
 * ready set does not end the wait, so a select never returns 0 without a reason (checklist 10). For JDK
 * channels the inner selector decides, so they behave exactly as under the JDK's own selector (which
 * returns 0 when the only ready key is already selected with the same ready set).
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

    /** The JDK selector watching the JDK channels; null until the first one registers. */
    private volatile Selector inner;

    private final Object innerCreateLock = new Object();
    /** True while the selecting thread is (about to be) blocked in the inner selector. */
    private volatile boolean innerWaiting;
    /** An inner key was cancelled: the inner selector must run once so that it deregisters it. */
    private boolean innerDirty;
    /** The inner selector's action: one instance, so a select allocates nothing. */
    private final InnerAction innerAction = new InnerAction();

    AnodeSelector(SelectorProvider provider) {
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
        AnodeSelectable source = null;
        SelectableChannel jdk;
        if (ch instanceof AnodeSelectable && isAnodeProvider(ch.provider())) {
            source = (AnodeSelectable) ch;
            jdk = source.jdkChannel();
        } else if (isJdkChannel(ch)) {
            jdk = ch;
        } else {
            throw new IllegalSelectorException();
        }
        ensureOpen();
        AnodeSelectionKey k = new AnodeSelectionKey(ch, source, this, ops);
        k.attach(att);
        keys.add(k);
        if (source != null) {
            source.readiness().attach(k);
        }
        try {
            if (jdk != null) {
                // Nested in the channel's own register (its locks are re-entrant): the channel then
                // holds the inner key as well as ours, and closing it cancels both.
                k.bindInner(jdk, ensureInner(jdk));
                if (innerWaiting) {
                    // The JDK applies a registration at its next select: make that now.
                    inner.wakeup();
                }
            }
        } catch (IOException | RuntimeException e) {
            undoRegister(k);
            if (e instanceof IllegalSelectorException || e instanceof ClosedSelectorException) {
                throw (RuntimeException) e;
            }
            throw new IllegalSelectorException();
        }
        if (!isOpen()) {
            // Lost a race with close(): its sweep may have missed this key, so undo it here.
            undoRegister(k);
            throw new ClosedSelectorException();
        }
        // The channel may be ready already (and ops == 0 is fine: the key is then never selected).
        k.signal();
        return k;
    }

    private void undoRegister(AnodeSelectionKey k) {
        Readiness r = k.readiness();
        if (r != null) {
            r.detach(k);
        }
        k.cancelInner();
        keys.remove(k);
    }

    static boolean isAnodeProvider(SelectorProvider p) {
        return p instanceof AnodeSelectorProvider || p instanceof AnodeSystemSelectorProvider;
    }

    /** A channel of the JDK's own provider (sun.nio.ch): its readiness comes from a JDK selector. */
    static boolean isJdkChannel(SelectableChannel ch) {
        return ch.getClass().getName().startsWith("sun.nio.ch.")
                && ch.provider().getClass().getName().startsWith("sun.nio.ch.");
    }

    /** The inner JDK selector, opened from the JDK channel's own provider on first use. */
    private Selector ensureInner(SelectableChannel jdk) throws IOException {
        Selector in = inner;
        if (in != null) {
            return in;
        }
        synchronized (innerCreateLock) {
            in = inner;
            if (in == null) {
                ensureOpen();
                in = jdk.provider().openSelector();
                inner = in;
                // A select parked without an inner selector must now block in it instead.
                Thread w = waiter;
                if (w != null) {
                    LockSupport.unpark(w);
                }
            }
            return in;
        }
    }

    /**
     * Called from any thread by a delegating channel whose JDK channel changed (it connected or bound
     * to the other kind): the key watches the new JDK channel, or none.
     */
    void rebind(AnodeSelectionKey k) throws IOException {
        AnodeSelectable src = k.source();
        if (src == null || !isOpen()) {
            return;
        }
        SelectableChannel jdk = src.jdkChannel();
        Selector in = jdk == null ? inner : ensureInner(jdk);
        if (in == null) {
            return;
        }
        k.bindInner(jdk, in);
        // The registration must take effect in a select already blocked: the wake-up costs the
        // selecting thread one more turn of its loop, never a return to the caller.
        in.wakeup();
    }

    /** An inner key's interest set changed: a select blocked in the inner selector must see it. */
    void innerInterestChanged() {
        if (innerWaiting) {
            Selector in = inner;
            if (in != null) {
                in.wakeup();
            }
        }
    }

    /** Called from any thread by {@link AnodeSelectionKey#signal()} after it won the queued flag. */
    void enqueue(AnodeSelectionKey k) {
        signalled.offer(k);
        Thread w = waiter;
        if (w != null) {
            if (innerWaiting) {
                inner.wakeup();
            } else {
                LockSupport.unpark(w);
            }
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

    private int lockAndSelect(Consumer<SelectionKey> action, long timeoutMillis) throws IOException {
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

    private int doSelect(Consumer<SelectionKey> action, long timeoutMillis) throws IOException {
        long seq = ++selectSeq;
        processCancelled(seq);
        int n = processRound(action, seq);
        Selector in = inner;
        if (in != null && (n > 0 || timeoutMillis == 0L)) {
            // Anode keys are ready (or this is selectNow): report the ready JDK keys of this moment
            // too. Otherwise the blocking wait below asks the inner selector anyway.
            n += selectInner(in, action, seq, 0L);
        }
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
     * Waits until a round selects something, or wakeup, interrupt (via begin()'s interruptor, which
     * calls wakeup()), close or the timeout. A wakeup during the wait is consumed by this select.
     * Without JDK channels the thread parks; with them it blocks in the inner selector, which an
     * Anode signal or a wakeup interrupts through the inner selector's wake-up descriptor.
     */
    private int await(Consumer<SelectionKey> action, long seq, long timeoutMillis) throws IOException {
        long deadline = 0L;
        if (timeoutMillis != FOREVER) {
            long nanos = timeoutMillis >= Long.MAX_VALUE / 1_000_000L ? Long.MAX_VALUE / 2 : timeoutMillis * 1_000_000L;
            deadline = System.nanoTime() + nanos;
        }
        int n = 0;
        boolean polledInner = false;
        Thread self = Thread.currentThread();
        waiter = self;
        try {
            begin();
            while (true) {
                // The interrupt flag is checked as well as the interruptor's wakeup: an action run
                // in this loop (or the inner selector) may do blocking I/O whose own begin()/end()
                // replaces the interruptor, and park() returns at once while the flag is set.
                if (wakeupPending.getAndSet(false) || !isOpen() || self.isInterrupted()) {
                    break;
                }
                if (!signalled.isEmpty()) {
                    n = processRound(action, seq);
                    if (n > 0) {
                        Selector in = inner;
                        if (in != null) {
                            n += selectInner(in, action, seq, 0L);
                        }
                        break;
                    }
                    continue;
                }
                long remaining = 0L;
                if (timeoutMillis != FOREVER) {
                    remaining = deadline - System.nanoTime();
                    if (remaining <= 0L) {
                        break;
                    }
                }
                Selector in = inner;
                if (in != null) {
                    // Publish before the last look at the queue and the wakeup flag: a signaller
                    // either sees the flag (and wakes the inner selector) or we see its signal.
                    innerWaiting = true;
                    try {
                        if (!signalled.isEmpty() || wakeupPending.get() || !isOpen()) {
                            continue;
                        }
                        long millis =
                                timeoutMillis == FOREVER ? FOREVER : Math.max(1L, (remaining + 999_999L) / 1_000_000L);
                        n = selectInner(in, action, seq, millis);
                        polledInner = true;
                    } finally {
                        innerWaiting = false;
                    }
                    if (!signalled.isEmpty()) {
                        n += processRound(action, seq);
                    }
                    if (n > 0 || innerAction.seen > 0) {
                        // Something of the JDK's was ready: like the JDK's own select, return even
                        // if every such key was already selected with the same ready set.
                        break;
                    }
                    continue;
                }
                if (timeoutMillis == FOREVER) {
                    LockSupport.park(this);
                } else {
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
        Selector in = inner;
        if (n == 0 && !polledInner && in != null && isOpen()) {
            // Ended (wakeup, interrupt) before asking the JDK: a woken JDK select reports the keys
            // ready at that moment, and so does this one.
            n = selectInner(in, action, seq, 0L);
        }
        return n;
    }

    /**
     * One select of the inner JDK selector ({@code millis}: 0 now, {@link #FOREVER} without limit).
     * Returns the number of our keys added to the selected set or updated (or handed to the action).
     */
    private int selectInner(Selector in, Consumer<SelectionKey> action, long seq, long millis) throws IOException {
        InnerAction a = innerAction;
        a.action = action;
        a.seq = seq;
        a.counted = 0;
        a.seen = 0;
        try {
            if (millis == 0L) {
                in.selectNow(a);
            } else if (millis == FOREVER) {
                in.select(a);
            } else {
                in.select(a, millis);
            }
        } catch (ClosedSelectorException e) {
            // The inner selector closed by our close() (the caller's loop sees that), unless an
            // action closed us and our own check threw: that must reach the caller.
            if (isOpen() || a.failed) {
                throw e;
            }
        } finally {
            a.action = null;
            a.failed = false;
        }
        return a.counted;
    }

    /** Maps the inner selector's ready keys onto ours, counting as {@link #evaluate} does. */
    private final class InnerAction implements Consumer<SelectionKey> {
        Consumer<SelectionKey> action;
        long seq;
        int counted;
        int seen;
        boolean failed;

        @Override
        public void accept(SelectionKey innerKey) {
            Object att = innerKey.attachment();
            if (!(att instanceof AnodeSelectionKey)) {
                return;
            }
            AnodeSelectionKey k = (AnodeSelectionKey) att;
            if (k.deregistered || !k.isValid() || !innerKey.isValid()) {
                return;
            }
            int interest = k.rawInterestOps();
            int ready = innerKey.readyOps() & interest;
            if (k.source() != null) {
                ready |= k.channelReadyOps() & interest;
            }
            if (ready == 0) {
                return;
            }
            seen++;
            try {
                counted += select(k, ready, action, seq);
            } catch (RuntimeException | Error e) {
                failed = true;
                throw e;
            }
        }
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
        return select(k, ready, action, seq);
    }

    /**
     * Adds {@code ready} to a key's ready set (or hands the key to the action). A key counts once per
     * select operation even when both its Anode and its JDK source report it.
     */
    private int select(AnodeSelectionKey k, int ready, Consumer<SelectionKey> action, long seq) {
        if (action != null) {
            if (k.countedSelect == seq && (ready & ~k.rawReadyOps()) == 0) {
                return 0;
            }
            boolean counted = k.countedSelect == seq;
            k.setReadyOps(counted ? k.rawReadyOps() | ready : ready);
            k.countedSelect = seq;
            action.accept(k);
            ensureOpen();
            return counted ? 0 : 1;
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
        if (k.countedSelect == seq) {
            return 0;
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
        flushInner();
        return uncounted;
    }

    /**
     * Lets the inner selector deregister the inner keys just cancelled, so that a JDK channel reports
     * {@code isRegistered() == false} after our select, as under the JDK's own selector. Readiness it
     * reports is ignored here: the JDK selector is level-triggered and reports it again next time.
     */
    private void flushInner() {
        Selector in = inner;
        if (innerDirty && in != null) {
            innerDirty = false;
            try {
                in.selectNow(IGNORE);
            } catch (IOException | ClosedSelectorException e) {
                LOG.log(System.Logger.Level.DEBUG, "inner selector flush failed: {0}", e.toString());
            }
        }
        for (int i = 0; i < closedJdk.size(); i++) {
            // If the inner selector deregistered a closed channel's inner key before we dropped ours,
            // the JDK saw a registration left and kept the socket open: finish that close now.
            JdkChannels.finishClose(closedJdk.get(i));
        }
        closedJdk.clear();
    }

    /** JDK channels whose keys this select dropped; owned by the selecting thread. */
    private final ArrayList<SelectableChannel> closedJdk = new ArrayList<>();

    private static final Consumer<SelectionKey> IGNORE = k -> {};
    private static final System.Logger LOG = System.getLogger(AnodeSelector.class.getName());

    private void dropKey(AnodeSelectionKey k) {
        if (k.deregistered) {
            return;
        }
        k.deregistered = true;
        if (k.isQueued()) {
            staleQueued++;
        }
        keys.remove(k);
        Readiness r = k.readiness();
        if (r != null) {
            r.detach(k);
        }
        // Ours first, then the inner key: the JDK closes a closed channel's socket when its selector
        // deregisters the channel's last key, so the inner key must be the last one to go.
        deregister(k);
        if (k.inner() != null) {
            k.cancelInner();
            innerDirty = true;
        }
        if (k.source() == null) {
            closedJdk.add(k.channel());
        }
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
            Selector in = inner;
            if (in != null) {
                in.wakeup();
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
                innerDirty = false;
                synchronized (innerCreateLock) {
                    Selector in = inner;
                    if (in != null) {
                        try {
                            // Deregisters the inner keys, so the JDK channels are free again.
                            in.close();
                        } catch (IOException e) {
                            LOG.log(System.Logger.Level.DEBUG, "inner selector close failed: {0}", e.toString());
                        }
                    }
                }
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
