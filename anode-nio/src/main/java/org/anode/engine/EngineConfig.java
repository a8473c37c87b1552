package org.anode.engine;

/**
 * The settings the {@link Engine} reads: the bounds on the state a remote peer can make it grow
 * (draft 3 sets none; the peer table, endpoints per peer, key agreements for unknown senders) and
 * the optional ERROR replies to unauthenticated packets (draft 3.2 and 4.2.1, DECISIONS 30).
 *
 * <p>The engine has its own settings type so that it does not depend on the channel layer above
 * it: the node ({@code org.anode.nio.AnodeNode}) builds one from its {@code AnodeNodeConfig},
 * which documents each bound for applications. Every component is validated when the record is
 * made; an out-of-range value is an {@link IllegalArgumentException}.
 *
 * @param maxPeers bound on the peer table (1..1_000_000): beyond it a newcomer replaces the
 *     learned, unpinned peer idle longest, or is dropped
 * @param maxEndpointsPerPeer bound on the endpoints remembered per peer (1..64)
 * @param maxPendingPings bound on outstanding PINGs sent by this node (1..1_000_000)
 * @param newPeerRate key agreements per second for unknown senders, node-wide (1..1_000_000)
 * @param newPeerRatePerSource key agreements per second for unknown senders from one source (an
 *     IPv4 address or an IPv6 /64), taken before the node-wide budget (1..1_000_000)
 * @param errorReplies whether packets that fail authentication are answered with a flag 0x04
 *     ERROR (draft 4.2.1, optional)
 * @param errorReplyRate bound on those ERROR replies per second (1..10_000)
 */
public record EngineConfig(int maxPeers, int maxEndpointsPerPeer, int maxPendingPings, int newPeerRate,
        int newPeerRatePerSource, boolean errorReplies, int errorReplyRate) {
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

    /** Validates every component. */
    public EngineConfig {
        range("maxPeers", maxPeers, 1_000_000);
        range("maxEndpointsPerPeer", maxEndpointsPerPeer, 64);
        range("maxPendingPings", maxPendingPings, 1_000_000);
        range("newPeerRate", newPeerRate, 1_000_000);
        range("newPeerRatePerSource", newPeerRatePerSource, 1_000_000);
        range("errorReplyRate", errorReplyRate, 10_000);
    }

    /**
     * The default per-source key-agreement rate for a node-wide {@code newPeerRate}: an eighth of
     * it, at least 1, so that one source cannot take the whole budget.
     */
    public static int defaultNewPeerRatePerSource(int newPeerRate) {
        return Math.max(1, newPeerRate / 8);
    }

    /** The defaults: the bounds above, ERROR replies off. */
    public static EngineConfig defaults() {
        return new EngineConfig(DEFAULT_MAX_PEERS, DEFAULT_MAX_ENDPOINTS_PER_PEER, DEFAULT_MAX_PENDING_PINGS,
                DEFAULT_NEW_PEER_RATE, defaultNewPeerRatePerSource(DEFAULT_NEW_PEER_RATE), false,
                DEFAULT_ERROR_REPLY_RATE);
    }

    /** This configuration with another peer-table bound. */
    public EngineConfig withMaxPeers(int n) {
        return new EngineConfig(n, maxEndpointsPerPeer, maxPendingPings, newPeerRate, newPeerRatePerSource,
                errorReplies, errorReplyRate);
    }

    /**
     * This configuration with another node-wide key-agreement rate; the per-source rate becomes
     * the default for it ({@link #defaultNewPeerRatePerSource}).
     */
    public EngineConfig withNewPeerRate(int perSecond) {
        return new EngineConfig(maxPeers, maxEndpointsPerPeer, maxPendingPings, perSecond,
                defaultNewPeerRatePerSource(perSecond), errorReplies, errorReplyRate);
    }

    /** This configuration with ERROR replies on or off, at {@code perSecond} at most. */
    public EngineConfig withErrorReplies(boolean on, int perSecond) {
        return new EngineConfig(maxPeers, maxEndpointsPerPeer, maxPendingPings, newPeerRate, newPeerRatePerSource,
                on, perSecond);
    }

    private static void range(String what, int v, int max) {
        if (v < 1 || v > max) {
            throw new IllegalArgumentException(what + " must be within 1.." + max + ": " + v);
        }
    }
}
