package org.anode.nio;

import java.util.Objects;

/**
 * The link from one Anode channel to every {@link AnodeSelector} key registered for it (the readiness
 * half of the java.nio layer over draft 4.2.10 DGRAM and section 5 streams).
 *
 * <p>The channel calls {@link #signal()} after any state change that might change its
 * {@link AnodeSelectable#readyOps()}: data arrived, buffer space freed, a connection was established
 * or failed, the peer closed, the channel itself closed. Each attached key then becomes a candidate in
 * its selector, which re-reads {@code readyOps()} at its next look and wakes a blocked select. A channel
 * may be registered with several selectors at once (checklist 7), so a signal reaches all of them.
 *
 * <p>A change that can only make the channel <em>less</em> ready (data consumed, buffer filled) needs
 * no signal, because the selector re-checks every key that was ready in its previous round; signalling
 * it anyway is harmless. Missing a signal for a change that makes the channel <em>more</em> ready
 * leaves a select blocked, so when in doubt, signal.
 *
 * <p>{@code signal()} is lock-free and never blocks: the engine's event loop and any application
 * thread may call it, while holding any lock. Attaching and detaching are rare (registration and
 * deregistration) and copy the small key array, so that signalling needs no lock at all.
 */
final class Readiness {
    private static final AnodeSelectionKey[] NONE = new AnodeSelectionKey[0];

    /** Copy-on-write array: a signal reads one volatile field and walks it without locking. */
    private volatile AnodeSelectionKey[] keys = NONE;
    /**
     * The hub of a delegating channel that currently uses this channel, or null: its keys are
     * signalled too, so that a channel of the system-wide provider wakes the selectors holding it.
     */
    private volatile Readiness downstream;

    /** Creates a hub with no keys attached; each channel creates exactly one. */
    Readiness() {}

    /**
     * Tells every selector holding a key for this channel that its readiness may have changed.
     * Cheap when nothing is registered (one volatile read); never blocks and never takes a selector's
     * monitor.
     */
    void signal() {
        for (AnodeSelectionKey k : keys) {
            k.signal();
        }
        Readiness d = downstream;
        if (d != null) {
            d.signal();
        }
    }

    /** Forwards every later signal of this hub to {@code hub} too (null: stop forwarding). */
    void forwardTo(Readiness hub) {
        downstream = hub;
    }

    /** Cancels the inner JDK keys of the cancelled keys still attached (see AnodeSystemSocketChannel). */
    void cancelInnerOfInvalidKeys() {
        for (AnodeSelectionKey k : keys) {
            if (!k.isValid()) {
                k.cancelInner();
            }
        }
    }

    /**
     * Tells every selector holding a key for this channel that the JDK channel behind it changed
     * ({@link AnodeSelectable#jdkChannel()}), then signals.
     */
    void rebind() throws java.io.IOException {
        for (AnodeSelectionKey k : keys) {
            ((AnodeSelector) k.selector()).rebind(k);
        }
        signal();
    }

    /** Selector side: adds a newly registered key. */
    synchronized void attach(AnodeSelectionKey key) {
        Objects.requireNonNull(key, "key");
        AnodeSelectionKey[] old = keys;
        for (AnodeSelectionKey k : old) {
            if (k == key) {
                return;
            }
        }
        AnodeSelectionKey[] grown = new AnodeSelectionKey[old.length + 1];
        System.arraycopy(old, 0, grown, 0, old.length);
        grown[old.length] = key;
        keys = grown;
    }

    /** Selector side: removes a deregistered key; unknown keys are ignored. */
    synchronized void detach(AnodeSelectionKey key) {
        AnodeSelectionKey[] old = keys;
        for (int i = 0; i < old.length; i++) {
            if (old[i] == key) {
                if (old.length == 1) {
                    keys = NONE;
                } else {
                    AnodeSelectionKey[] shrunk = new AnodeSelectionKey[old.length - 1];
                    System.arraycopy(old, 0, shrunk, 0, i);
                    System.arraycopy(old, i + 1, shrunk, i, old.length - i - 1);
                    keys = shrunk;
                }
                return;
            }
        }
    }

    /** Number of attached keys (selectors currently holding a key for the channel). */
    int attachedCount() {
        return keys.length;
    }
}
