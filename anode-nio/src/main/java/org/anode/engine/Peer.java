package org.anode.engine;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import org.anode.address.AnodeAddress;
import org.anode.crypto.internal.AesCmac;
import org.anode.wire.SenderForm;

/**
 * What the node knows about one remote address (draft 3): its endpoints ranked by hop count and
 * freshness, the packet MAC key agreed with it once (DECISIONS 4; never an ECDH per packet), when
 * it last sent an authenticated packet (draft 3.2's "answered" state, which decides the sender
 * address form), its RTT estimate from PING/PONG, and its last seen peer id (draft 3.4).
 *
 * <p>Only endpoints that are proven hold traffic (draft 4.2.4/4.2.5): the first one a new peer
 * is heard from, those the application configured, and those that answered an endpoint check.
 * A packet from any other source (a NAT rebinding, or a replay from a spoofed source, DECISIONS
 * 29) only starts a check; see {@link Engine}.
 *
 * <p>Eviction (draft 3 gives no rule; the table must be bounded): a learned peer may be evicted
 * from a full table only when it is idle in both directions for
 * {@link SenderForm#ANSWER_TIMEOUT_NANOS} and not {@linkplain #pin() pinned}.
 *
 * <p>Thread-safety: the MAC instance is guarded by this object's monitor (the event loop verifies
 * with it, channel threads sign with it); endpoints are a copy-on-write array; the timestamps are
 * volatile; the pin count is atomic; endpoint checks belong to the event loop.
 */
public final class Peer {
    private final AnodeAddress address;
    private final long shortId;
    /** Bytes 8..15 of the address (inside the compressed key): the full-address index key. */
    private final long keyPrefix;
    /** Guarded by {@code this}. */
    private final AesCmac cmac;

    private volatile boolean configured;
    private volatile PeerEndpoint[] endpoints = new PeerEndpoint[0];
    private volatile long lastAnsweredNanos = SenderForm.NEVER_ANSWERED;
    /** A PING went unanswered and nothing was heard since: full sender form until an answer. */
    private volatile boolean answerLapsed;
    /** When a packet to this peer was last handed to a transport, or {@link SenderForm#NEVER_ANSWERED}. */
    private volatile long lastSentNanos = SenderForm.NEVER_ANSWERED;
    /**
     * Users that need this peer object to stay in the table (stream links), see {@link #pin()};
     * {@link #EVICTED} once the table dropped it. One atomic for both, so a pin and an eviction
     * racing on two threads cannot both succeed.
     */
    private final AtomicInteger pins = new AtomicInteger();

    private static final int EVICTED = -1;
    /** Outstanding endpoint checks for unproven sources (event loop only; at most a few). */
    EndpointCheck[] checks = NO_CHECKS;

    static final EndpointCheck[] NO_CHECKS = new EndpointCheck[0];
    private volatile long srttNanos = -1;
    /** Hop count of the PONG that last completed a ping (draft 3.1): 0 came direct, above 0 relayed. */
    volatile int lastPongHops = -1;
    /**
     * Addendum A13: the peer echoed a challenge (a PING with a random payload) that only its
     * endpoint received, so its source address is its own. Configured peers count as proven.
     */
    private volatile boolean sourceProven;
    /** The outstanding challenge's payload, 0 if none (event loop only). */
    long challenge;
    /** When the last challenge and the first one went out (event loop only). */
    long challengeSentAt = SenderForm.NEVER_ANSWERED;

    long firstChallengeAt = SenderForm.NEVER_ANSWERED;
    /**
     * Addendum A15: the MACs of the last two packets sent to this peer with the full sender
     * address (guarded by {@code this}, 0 = none). An address cookie reply must echo one of them,
     * so only someone who saw such a packet can hand this node a cookie.
     */
    private long sentFullMac0;

    private long sentFullMac1;
    /** When a PING carrying an address cookie last went to this peer (event loop only). */
    long cookiePingAt = SenderForm.NEVER_ANSWERED;

    private volatile int remotePeerId;
    /** Chain of peers sharing a short id or key prefix (event loop only). */
    Peer nextSameShortId;

    Peer nextSameKeyPrefix;
    /** Small cache of per-port socket address objects, so receive() allocates none per datagram. */
    private final Object[] portCache = new Object[8];

    private final int[] portCacheKeys = new int[8];
    private int portCacheNext;

    Peer(AnodeAddress address, AesCmac cmac, boolean configured) {
        this(address, cmac, configured, address.shortId().value());
    }

    /**
     * With an explicit short id: lets tests build two peers whose short ids collide (draft 3.5),
     * which no search could produce for real 64-bit ids.
     */
    Peer(AnodeAddress address, AesCmac cmac, boolean configured, long shortId) {
        this.address = address;
        this.shortId = shortId;
        this.keyPrefix = keyPrefix(address);
        this.cmac = cmac;
        this.configured = configured;
        java.util.Arrays.fill(portCacheKeys, -1);
    }

    static long keyPrefix(AnodeAddress a) {
        byte[] b = a.toByteArray();
        long v = 0;
        for (int i = 8; i < 16; i++) {
            v = (v << 8) | (b[i] & 0xff);
        }
        return v;
    }

    public AnodeAddress address() {
        return address;
    }

    public long shortId() {
        return shortId;
    }

    long keyPrefix() {
        return keyPrefix;
    }

    /** The per-peer CMAC; callers must hold this peer's monitor while using it. */
    AesCmac cmac() {
        return cmac;
    }

    void markConfigured() {
        configured = true;
    }

    /** True if added by the application (AnodeNode.addPeerEndpoint) rather than learned. */
    public boolean isConfigured() {
        return configured;
    }

    /** The endpoints, best first. */
    public PeerEndpoint[] endpoints() {
        return endpoints.clone();
    }

    /** The endpoint packets go to: fewest hops, then most recently heard; null if none is known. */
    public PeerEndpoint bestEndpoint() {
        PeerEndpoint[] e = endpoints;
        return e.length == 0 ? null : e[0];
    }

    /** When this peer last sent an authenticated packet, or {@link SenderForm#NEVER_ANSWERED}. */
    public long lastAnsweredNanos() {
        return lastAnsweredNanos;
    }

    /**
     * The sender (and, on a relayed path, recipient) address form for a packet to this peer now
     * (draft 3.2, addendum A7): short while the peer has answered within the answer timeout,
     * except after a PING to it went unanswered with nothing heard from it since ({@link
     * #answerLapsed}): the peer may have lost our address - a restarted relay has - and cannot
     * authenticate a short sender, so the full address goes until it answers again. Sending the
     * full form is always allowed; this only ends the draft's assumption early.
     *
     * @param now the engine clock
     * @return the form to write
     */
    public SenderForm senderForm(long now) {
        return answerLapsed ? SenderForm.FULL : SenderForm.choose(lastAnsweredNanos, now);
    }

    /**
     * A PING sent at {@code sentAt} went unanswered (event loop): if nothing authenticated came
     * from the peer since, the short form is given up until it answers ({@link #senderForm}).
     */
    void pingUnanswered(long sentAt) {
        long a = lastAnsweredNanos;
        if (a == SenderForm.NEVER_ANSWERED || a - sentAt < 0) {
            answerLapsed = true;
        }
    }

    /** True once the peer proved its source address (addendum A13), or if it is configured. */
    public boolean isSourceProven() {
        return configured || sourceProven;
    }

    /** The peer answered its challenge (event loop). */
    void markSourceProven() {
        sourceProven = true;
        challenge = 0;
    }

    /**
     * True when the peer was challenged at least {@code grace} ago and never answered (addendum
     * A13): under pressure such a peer gives its table slot up first.
     */
    boolean failedChallenge(long now, long grace) {
        return !isSourceProven() && firstChallengeAt != SenderForm.NEVER_ANSWERED && now - firstChallengeAt >= grace;
    }

    /** Notes the MAC of a packet sent with the full sender address; caller holds this monitor (A15). */
    void noteSentFullMac(long mac) {
        sentFullMac1 = sentFullMac0;
        sentFullMac0 = mac;
    }

    /**
     * Whether {@code mac} is the MAC of one of the last two full-sender packets sent to this peer;
     * a match is used up, so one packet can draw at most one answer to a cookie reply (A15).
     */
    synchronized boolean takeSentFullMac(long mac) {
        if (mac == 0) {
            return false;
        }
        if (mac == sentFullMac0) {
            sentFullMac0 = 0;
            return true;
        }
        if (mac == sentFullMac1) {
            sentFullMac1 = 0;
            return true;
        }
        return false;
    }

    /** Whether {@code (via, address)} is one of this peer's endpoints. */
    boolean hasEndpoint(Transport via, InetSocketAddress address) {
        for (PeerEndpoint e : endpoints) {
            if (e.is(via, address)) {
                return true;
            }
        }
        return false;
    }

    /** When a packet to this peer was last sent, or {@link SenderForm#NEVER_ANSWERED} if never. */
    public long lastSentNanos() {
        return lastSentNanos;
    }

    void sent(long now) {
        // Skip the volatile store when nothing changed (a burst sent within one clock tick).
        if (lastSentNanos != now) {
            lastSentNanos = now;
        }
    }

    /**
     * Marks this peer as in use by something that holds on to this object (a stream link keeps
     * sending through it): a pinned peer is never evicted from the peer table, however long it is
     * idle, because the holder would silently lose it (its packets would no longer resolve to
     * this object). Every successful {@code pin()} must be matched by one {@link #unpin()}.
     * Thread-safe.
     *
     * @return false if this peer has already been evicted from the table (nothing was pinned):
     *     look the address up again ({@link Engine#peer}) and pin that object instead
     */
    public boolean pin() {
        int n;
        do {
            n = pins.get();
            if (n == EVICTED) {
                return false;
            }
        } while (!pins.compareAndSet(n, n + 1));
        return true;
    }

    /**
     * Releases one {@link #pin()}; once the count is back at zero the peer is subject to the
     * idle-eviction rule again. Thread-safe.
     *
     * @throws IllegalStateException if the peer is not pinned (an unmatched unpin)
     */
    public void unpin() {
        int n;
        do {
            n = pins.get();
            if (n <= 0) {
                throw new IllegalStateException("peer " + address + " is not pinned");
            }
        } while (!pins.compareAndSet(n, n - 1));
    }

    /**
     * Marks an unpinned peer as evicted, atomically with respect to {@link #pin()} (event loop,
     * by the table).
     *
     * @return false if it is pinned (it must stay)
     */
    boolean markEvicted() {
        return pins.compareAndSet(0, EVICTED);
    }

    /** True once the table evicted this peer (it is no longer looked up; pins fail). */
    public boolean isEvicted() {
        return pins.get() == EVICTED;
    }

    /** True while {@link #pin()} calls outnumber {@link #unpin()} calls. */
    public boolean isPinned() {
        return pins.get() > 0;
    }

    /**
     * True if a newcomer may evict this peer from a full table at time {@code now}: learned, not
     * pinned, and neither heard from nor sent to for {@link SenderForm#ANSWER_TIMEOUT_NANOS}. Such
     * a peer has also fallen back to sending us its full address (draft 3.2), so it is re-admitted
     * transparently when it comes back.
     */
    boolean isIdle(long now) {
        return !configured && pins.get() <= 0 && idleFor(lastAnsweredNanos, now) && idleFor(lastSentNanos, now);
    }

    private static boolean idleFor(long t, long now) {
        if (t == SenderForm.NEVER_ANSWERED) {
            return true;
        }
        long age = now - t;
        // A "future" timestamp (clock misuse) counts as recent: never evict on doubt.
        return age >= SenderForm.ANSWER_TIMEOUT_NANOS;
    }

    /** The later of the last receive and the last send (for picking the stalest peer). */
    long lastActivityNanos() {
        long a = lastAnsweredNanos;
        long b = lastSentNanos;
        if (a == SenderForm.NEVER_ANSWERED) {
            return b;
        }
        if (b == SenderForm.NEVER_ANSWERED) {
            return a;
        }
        return b - a > 0 ? b : a;
    }

    /** Smoothed RTT from PING/PONG in nanoseconds, or -1 before the first measurement. */
    public long smoothedRttNanos() {
        return srttNanos;
    }

    /** Hop count of the latest PONG that answered a ping of ours: 0 direct, above 0 relayed, -1 none yet. */
    public int lastPongHops() {
        return lastPongHops;
    }

    /** The sender peer id (draft 3.4) of the latest authenticated packet from this peer. */
    public int remotePeerId() {
        return remotePeerId;
    }

    void rttSample(long rtt) {
        long s = srttNanos;
        // RFC 6298 smoothing (alpha 1/8): one outlier does not swing the estimate.
        srttNanos = s < 0 ? rtt : s + (rtt - s) / 8;
    }

    /**
     * Records an authenticated, state-changing packet from this peer (never a flag 0x04 packet):
     * the peer has answered (draft 3.2), and if {@code source} is one of its proven endpoints, that
     * endpoint is refreshed with the packet's hop count. A peer that has no endpoint yet learns
     * {@code source} as its first (nothing to hijack yet).
     *
     * @return false if {@code source} is a new endpoint for a peer that already has one: it is
     *     not learned here, the caller decides whether to check it (draft 4.2.4)
     */
    boolean heard(Transport via, InetSocketAddress source, int hopCount, int senderPeerId, long now, int maxEndpoints) {
        lastAnsweredNanos = now;
        if (answerLapsed) {
            answerLapsed = false;
        }
        if (remotePeerId != senderPeerId) {
            remotePeerId = senderPeerId;
        }
        PeerEndpoint[] e = endpoints;
        for (PeerEndpoint p : e) {
            if (p.is(via, source)) {
                int oldHops = p.hops();
                p.heard(hopCount, now);
                if (e[0] != p || oldHops != hopCount) {
                    resort();
                }
                return true;
            }
        }
        if (e.length == 0) {
            addEndpoint(new PeerEndpoint(via, source, hopCount, now, false), maxEndpoints);
            return true;
        }
        return false;
    }

    /** Adds an endpoint that answered an endpoint check (draft 4.2.5), as freshly heard. */
    void proven(Transport via, InetSocketAddress source, int hopCount, long now, int maxEndpoints) {
        for (PeerEndpoint p : endpoints) {
            if (p.is(via, source)) {
                p.heard(hopCount, now);
                resort();
                return;
            }
        }
        addEndpoint(new PeerEndpoint(via, source, hopCount, now, false), maxEndpoints);
    }

    /** Adds (or refreshes) an endpoint; beyond {@code max}, the worst-ranked learned one goes. */
    synchronized void addEndpoint(PeerEndpoint n, int max) {
        PeerEndpoint[] e = endpoints;
        for (PeerEndpoint p : e) {
            if (p.is(n.transport(), n.address())) {
                return;
            }
        }
        PeerEndpoint[] grown;
        if (e.length < max) {
            grown = java.util.Arrays.copyOf(e, e.length + 1);
            grown[e.length] = n;
        } else {
            int victim = -1;
            for (int i = e.length - 1; i >= 0; i--) {
                if (!e[i].isConfigured() && (victim < 0 || e[victim].betterThan(e[i]))) {
                    victim = i;
                }
            }
            if (victim < 0) {
                return;
            }
            grown = e.clone();
            grown[victim] = n;
        }
        sort(grown);
        endpoints = grown;
    }

    /**
     * Drops the relayed endpoints (hop count above 0) at {@code relay}: that relay went silent
     * (addendum A11). A direct endpoint at the same address (the relay as a peer itself) stays.
     *
     * @return true if one was dropped
     */
    synchronized boolean removeRelayedEndpoints(InetSocketAddress relay) {
        PeerEndpoint[] e = endpoints;
        int keep = 0;
        for (PeerEndpoint p : e) {
            if (!(p.hops() > 0 && p.address().equals(relay))) {
                keep++;
            }
        }
        if (keep == e.length) {
            return false;
        }
        PeerEndpoint[] left = new PeerEndpoint[keep];
        int i = 0;
        for (PeerEndpoint p : e) {
            if (!(p.hops() > 0 && p.address().equals(relay))) {
                left[i++] = p;
            }
        }
        endpoints = left;
        return true;
    }

    /**
     * Removes a learned endpoint (NAT traversal: a direct path that went silent, DECISIONS 36), so
     * the next best path (the relay) carries the traffic. Configured endpoints stay.
     *
     * @return true if it was removed
     */
    synchronized boolean forget(Transport via, InetSocketAddress address) {
        PeerEndpoint[] e = endpoints;
        for (int i = 0; i < e.length; i++) {
            if (e[i].is(via, address) && !e[i].isConfigured()) {
                PeerEndpoint[] shrunk = new PeerEndpoint[e.length - 1];
                System.arraycopy(e, 0, shrunk, 0, i);
                System.arraycopy(e, i + 1, shrunk, i, e.length - i - 1);
                endpoints = shrunk;
                return true;
            }
        }
        return false;
    }

    private synchronized void resort() {
        PeerEndpoint[] e = endpoints.clone();
        sort(e);
        endpoints = e;
    }

    private static void sort(PeerEndpoint[] e) {
        // Insertion sort: at most a handful of endpoints.
        for (int i = 1; i < e.length; i++) {
            PeerEndpoint x = e[i];
            int j = i - 1;
            while (j >= 0 && x.betterThan(e[j])) {
                e[j + 1] = e[j];
                j--;
            }
            e[j + 1] = x;
        }
    }

    /**
     * A per-port value derived from this peer (the channel layer's socket address objects),
     * cached so the receive path does not allocate one per datagram. Event loop only.
     */
    @SuppressWarnings("unchecked")
    public <T> T portValue(int port, PortValueFactory<T> factory) {
        for (int i = 0; i < portCacheKeys.length; i++) {
            if (portCacheKeys[i] == port) {
                return (T) portCache[i];
            }
        }
        T v = factory.create(this, port);
        int slot = portCacheNext;
        portCacheNext = (slot + 1) % portCacheKeys.length;
        portCacheKeys[slot] = port;
        portCache[slot] = v;
        return v;
    }

    /** Creates the per-port value of {@link #portValue} (Anode ports, draft 4.2.10 and 5); a static lambda, so no capture per call. */
    @FunctionalInterface
    public interface PortValueFactory<T> {
        T create(Peer peer, int port);
    }

    @Override
    public String toString() {
        return "Peer{" + address + ", endpoints=" + java.util.Arrays.toString(endpoints) + "}";
    }
}
