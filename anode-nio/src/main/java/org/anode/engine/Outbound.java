package org.anode.engine;

import java.nio.ByteBuffer;
import org.anode.wire.PacketWriter;

/**
 * A sender's private packet buffer and writer (draft 3 encoding), reused for every packet it
 * sends so that the send path allocates nothing. Not thread-safe: each sender (a channel under its
 * write lock, the event loop) owns one. Used through {@link Engine#begin} and {@link Engine#finish}.
 */
public final class Outbound {
    final ByteBuffer buf;
    final PacketWriter writer = new PacketWriter();
    Peer peer;
    Transport transport;
    java.net.InetSocketAddress destination;
    int start;
    /** Clock reading when the packet was begun: its send time for the peer's idle state. */
    long beganNanos;

    /** A buffer for packets of up to {@code capacity} bytes (at least the node's largest packet). */
    public Outbound(int capacity) {
        this.buf = ByteBuffer.allocate(capacity);
    }

    /** The packet buffer (positioned at the message while a packet is being written). */
    public ByteBuffer buffer() {
        return buf;
    }

    /** The peer of the packet being written, or of the last one. */
    public Peer peer() {
        return peer;
    }

    /**
     * Drops the references to the last packet's peer and transport, so that an Outbound kept for
     * reuse (one per application thread) does not keep a closed node reachable through them.
     */
    public void forget() {
        peer = null;
        transport = null;
        destination = null;
    }
}
