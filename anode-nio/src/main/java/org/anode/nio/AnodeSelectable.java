package org.anode.nio;

import java.nio.channels.SelectionKey;

/**
 * What {@link AnodeSelector} needs from a channel: its current readiness and the hub through which it
 * announces changes. Every Anode channel (datagram channels carrying draft 4.2.10 DGRAM messages,
 * stream channels carrying draft section 5 streams, and {@code AnodePipe}) implements it.
 *
 * <p>The selector is level-triggered and does not poll idle channels: it asks {@link #readyOps()} only
 * for keys whose channel {@link Readiness#signal() signalled} since the last look, for keys whose interest
 * set changed, and for keys that were ready last round. A channel must therefore call
 * {@code readiness().signal()} after every state change that can change {@code readyOps()}.
 */
interface AnodeSelectable {
    /**
     * The operations that would make progress right now, as {@link SelectionKey} bits and a subset of
     * the channel's {@code validOps()}. This is readiness, not interest: the selector masks it with each
     * key's interest set.
     * <ul>
     *   <li>{@code OP_READ}: a read/receive would return data, or end-of-stream or an error is pending so
     *       that a read returns -1 or throws (checklist 11: the key stays valid until the channel closes).
     *   <li>{@code OP_WRITE}: a write/send would accept more than 0 bytes, or would throw.
     *   <li>{@code OP_ACCEPT}: accept() would return a channel.
     *   <li>{@code OP_CONNECT}: only when finishConnect() would return true or throw (checklist 12).
     * </ul>
     * Must be cheap, must never block, and must be safe to call from any thread. It is called by a
     * selecting thread that holds the selector's monitors, so it must not take a lock that a thread
     * may hold while it calls into a selector (register, keyFor, interestOps, close).
     *
     * @return the ready operation bits
     */
    int readyOps();

    /**
     * The channel's readiness hub: one instance per channel, created with the channel and never
     * replaced.
     *
     * @return the hub the selector attaches its keys to
     */
    Readiness readiness();

    /**
     * The JDK channel behind this channel whose readiness the selector must watch as well, or null
     * (every channel of a node). The delegating channels of {@link AnodeSystemSelectorProvider}
     * return the JDK channel they currently use; when that changes they call
     * {@link Readiness#rebind()}.
     *
     * @return the JDK channel to watch, non-blocking, or null
     */
    default java.nio.channels.SelectableChannel jdkChannel() {
        return null;
    }
}
