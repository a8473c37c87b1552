package org.anode.engine;

import java.net.InetSocketAddress;

/**
 * One place a peer can be reached (draft 2.10): an IP endpoint on one of the node's transports,
 * with the hop count its packets last arrived with (draft 3.1: 0 = direct, more = relayed) and
 * when it was last heard. Endpoints are ranked by hop count, then freshness.
 */
public final class PeerEndpoint {
    /** {@link #lastHeardNanos()} of an endpoint never heard from (configured only). */
    public static final long NEVER = Long.MIN_VALUE;

    private final Transport transport;
    private final InetSocketAddress address;
    private final boolean configured;
    private volatile int hops;
    private volatile long lastHeardNanos;

    PeerEndpoint(Transport transport, InetSocketAddress address, int hops, long lastHeardNanos, boolean configured) {
        this.transport = transport;
        this.address = address;
        this.hops = hops;
        this.lastHeardNanos = lastHeardNanos;
        this.configured = configured;
    }

    public Transport transport() {
        return transport;
    }

    public InetSocketAddress address() {
        return address;
    }

    /** Hop count of the latest authenticated packet received from here (0 if configured and never heard). */
    public int hops() {
        return hops;
    }

    /** When the latest authenticated packet arrived from here, or {@link #NEVER}. */
    public long lastHeardNanos() {
        return lastHeardNanos;
    }

    /** True if the application told the node about this endpoint (never evicted for a learned one). */
    public boolean isConfigured() {
        return configured;
    }

    boolean is(Transport t, InetSocketAddress a) {
        return transport == t && address.equals(a);
    }

    void heard(int hopCount, long now) {
        if (hops != hopCount) {
            hops = hopCount;
        }
        lastHeardNanos = now;
    }

    /** True if this endpoint should be preferred over {@code o}: fewer hops, then heard more recently. */
    boolean betterThan(PeerEndpoint o) {
        if (hops != o.hops) {
            return hops < o.hops;
        }
        long a = lastHeardNanos;
        long b = o.lastHeardNanos;
        if (a == NEVER || b == NEVER) {
            return b == NEVER && a != NEVER;
        }
        return a - b > 0;
    }

    @Override
    public String toString() {
        return transport.name() + "->" + address + " hops=" + hops + (configured ? " (configured)" : "");
    }
}
