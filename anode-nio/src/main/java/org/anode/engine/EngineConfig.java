package org.anode.engine;

import java.util.Objects;

/**
 * The settings the {@link Engine} reads: the bounds on the state a remote peer can make it grow
 * (draft 3 sets none: the peer table, endpoints per peer, outstanding pings, key agreements for
 * unknown senders) and the optional ERROR replies to unauthenticated packets (draft 3.2 and 4.2.1,
 * DECISIONS 30). Immutable; built with {@link #builder()}, whose setters reject an out-of-range
 * value with an {@link IllegalArgumentException}.
 *
 * <p>The engine has its own settings type so that it does not depend on the channel layer above
 * it: the node ({@code org.anode.nio.AnodeNode}) builds one from its {@code AnodeNodeConfig},
 * which documents each bound for applications, with the same defaults and ranges.
 */
public final class EngineConfig {
    /** Default bound on the peer table. */
    public static final int DEFAULT_MAX_PEERS = 1024;
    /** Default bound on endpoints per peer. */
    public static final int DEFAULT_MAX_ENDPOINTS_PER_PEER = 8;
    /** Default bound on outstanding PINGs. */
    public static final int DEFAULT_MAX_PENDING_PINGS = 1024;
    /** Default node-wide key agreements per second for unknown senders. */
    public static final int DEFAULT_NEW_PEER_RATE = 256;
    /** Default ERROR replies per second (when they are on; they are off by default). */
    public static final int DEFAULT_ERROR_REPLY_RATE = 10;

    private final int maxPeers;
    private final int maxEndpointsPerPeer;
    private final int maxPendingPings;
    private final int newPeerRate;
    private final int newPeerRatePerSource;
    private final boolean errorReplies;
    private final int errorReplyRate;
    private final int localPeerId;

    private EngineConfig(Builder b) {
        this.localPeerId = b.localPeerId;
        this.maxPeers = b.maxPeers;
        this.maxEndpointsPerPeer = b.maxEndpointsPerPeer;
        this.maxPendingPings = b.maxPendingPings;
        this.newPeerRate = b.newPeerRate;
        this.newPeerRatePerSource =
                b.newPeerRatePerSource > 0 ? b.newPeerRatePerSource : defaultNewPeerRatePerSource(b.newPeerRate);
        this.errorReplies = b.errorReplies;
        this.errorReplyRate = b.errorReplyRate;
    }

    /** A new builder holding the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** The defaults: the bounds above, ERROR replies off. */
    public static EngineConfig defaults() {
        return builder().build();
    }

    /**
     * The default per-source key-agreement rate for a node-wide {@code newPeerRate}: an eighth of
     * it, at least 1, so that one source cannot take the whole budget.
     */
    public static int defaultNewPeerRatePerSource(int newPeerRate) {
        return Math.max(1, newPeerRate / 8);
    }

    /**
     * Bound on the peer table: beyond it a newcomer replaces the learned, unpinned peer idle
     * longest, or is dropped (addendum A4).
     */
    public int maxPeers() {
        return maxPeers;
    }

    /** Bound on the endpoints remembered per peer; the worst ranked is replaced beyond it. */
    public int maxEndpointsPerPeer() {
        return maxEndpointsPerPeer;
    }

    /** Bound on outstanding PINGs sent by this node. */
    public int maxPendingPings() {
        return maxPendingPings;
    }

    /** Key agreements per second for unknown senders, node-wide (each costs one ECDH). */
    public int newPeerRate() {
        return newPeerRate;
    }

    /**
     * Key agreements per second for unknown senders from one source (an IPv4 address or an IPv6
     * /64), taken before the node-wide budget. Default: {@link #defaultNewPeerRatePerSource}.
     */
    public int newPeerRatePerSource() {
        return newPeerRatePerSource;
    }

    /** Whether packets that fail authentication are answered with a flag 0x04 ERROR (draft 4.2.1). */
    public boolean errorReplies() {
        return errorReplies;
    }

    /** Bound on ERROR replies per second when {@link #errorReplies()} is on. */
    public int errorReplyRate() {
        return errorReplyRate;
    }

    /**
     * This node's own peer id (draft 3.4, DECISIONS 41): 1 unless several nodes run one identity,
     * each with its own id from 1 to 15.
     */
    public int localPeerId() {
        return localPeerId;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EngineConfig c
                && localPeerId == c.localPeerId
                && maxPeers == c.maxPeers
                && maxEndpointsPerPeer == c.maxEndpointsPerPeer
                && maxPendingPings == c.maxPendingPings
                && newPeerRate == c.newPeerRate
                && newPeerRatePerSource == c.newPeerRatePerSource
                && errorReplies == c.errorReplies
                && errorReplyRate == c.errorReplyRate;
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                localPeerId,
                maxPeers,
                maxEndpointsPerPeer,
                maxPendingPings,
                newPeerRate,
                newPeerRatePerSource,
                errorReplies,
                errorReplyRate);
    }

    @Override
    public String toString() {
        return "EngineConfig{maxPeers=" + maxPeers + ", maxEndpointsPerPeer=" + maxEndpointsPerPeer
                + ", maxPendingPings=" + maxPendingPings + ", newPeerRate=" + newPeerRate + "/"
                + newPeerRatePerSource + " per source, errorReplies=" + errorReplies + " at " + errorReplyRate
                + "/s, peerId=" + localPeerId + "}";
    }

    /** Builder of {@link EngineConfig} (table bounds per draft 3, ERROR replies per DECISIONS 30). */
    public static final class Builder {
        private int maxPeers = DEFAULT_MAX_PEERS;
        private int maxEndpointsPerPeer = DEFAULT_MAX_ENDPOINTS_PER_PEER;
        private int maxPendingPings = DEFAULT_MAX_PENDING_PINGS;
        private int newPeerRate = DEFAULT_NEW_PEER_RATE;
        /** 0: derived from {@link #newPeerRate} at build time. */
        private int newPeerRatePerSource = 0;

        private boolean errorReplies = false;
        private int errorReplyRate = DEFAULT_ERROR_REPLY_RATE;
        private int localPeerId = 1;

        private Builder() {}

        /** This node's peer id (draft 3.4, DECISIONS 41), 1..15; default 1. */
        public Builder localPeerId(int id) {
            this.localPeerId = range("localPeerId", id, 15);
            return this;
        }

        /** Bound on the peer table, 1..1_000_000. */
        public Builder maxPeers(int n) {
            this.maxPeers = range("maxPeers", n, 1_000_000);
            return this;
        }

        /** Bound on endpoints per peer, 1..64. */
        public Builder maxEndpointsPerPeer(int n) {
            this.maxEndpointsPerPeer = range("maxEndpointsPerPeer", n, 64);
            return this;
        }

        /** Bound on outstanding PINGs, 1..1_000_000. */
        public Builder maxPendingPings(int n) {
            this.maxPendingPings = range("maxPendingPings", n, 1_000_000);
            return this;
        }

        /** Key agreements per second for unknown senders, 1..1_000_000. */
        public Builder newPeerRate(int perSecond) {
            this.newPeerRate = range("newPeerRate", perSecond, 1_000_000);
            return this;
        }

        /** Key agreements per second for unknown senders from one source, 1..1_000_000. */
        public Builder newPeerRatePerSource(int perSecond) {
            this.newPeerRatePerSource = range("newPeerRatePerSource", perSecond, 1_000_000);
            return this;
        }

        /** Whether to answer unauthenticated packets with a flag-0x04 ERROR (default off). */
        public Builder errorReplies(boolean on) {
            this.errorReplies = on;
            return this;
        }

        /** ERROR replies per second, 1..10_000. */
        public Builder errorReplyRate(int perSecond) {
            this.errorReplyRate = range("errorReplyRate", perSecond, 10_000);
            return this;
        }

        public EngineConfig build() {
            return new EngineConfig(this);
        }

        private static int range(String what, int v, int max) {
            if (v < 1 || v > max) {
                throw new IllegalArgumentException(what + " must be within 1.." + max + ": " + v);
            }
            return v;
        }
    }
}
