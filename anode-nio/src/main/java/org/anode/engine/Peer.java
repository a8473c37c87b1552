package org.anode.engine;

import java.net.InetSocketAddress;
import org.anode.address.AnodeAddress;
import org.anode.crypto.internal.AesCmac;
import org.anode.transport.Transport;
import org.anode.wire.SenderForm;

/**
 * What the node knows about one remote address (draft 3): its endpoints ranked by hop count and
 * freshness, the packet MAC key agreed with it once (DECISIONS 4; never an ECDH per packet), when
 * it last sent an authenticated packet (draft 3.2's "answered" state, which decides the sender
 * address form), its RTT estimate from PING/PONG, and its last seen peer id (draft 3.4).
 *
 * <p>Thread-safety: the MAC instance is guarded by this object's monitor (the event loop verifies
 * with it, channel threads sign with it); endpoints are a copy-on-write array; the timestamps are
 * volatile and written by the event loop only.
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
    private volatile long srttNanos = -1;
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

    /** Smoothed RTT from PING/PONG in nanoseconds, or -1 before the first measurement. */
    public long smoothedRttNanos() {
        return srttNanos;
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
     * the peer has answered (draft 3.2), and {@code source} is (re)learned with its hop count.
     */
    void heard(Transport via, InetSocketAddress source, int hopCount, int senderPeerId, long now, int maxEndpoints) {
        lastAnsweredNanos = now;
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

    /** Creates the per-port value of {@link #portValue}; a static lambda, so no capture per call. */
    @FunctionalInterface
    public interface PortValueFactory<T> {
        T create(Peer peer, int port);
    }

    @Override
    public String toString() {
        return "Peer{" + address + ", endpoints=" + java.util.Arrays.toString(endpoints) + "}";
    }
}
