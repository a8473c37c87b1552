package org.anode.engine;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * Where a {@link Transport} hands each received packet (draft 3, before any parsing): on the
 * event-loop thread (or a thread holding the loop), one packet at a time or several read in a row.
 */
@FunctionalInterface
public interface PacketReceiver {
    /**
     * One received packet. {@code packet} (position to limit) and {@code source} are valid only
     * during the call: the transport reuses the buffer for the next packet.
     *
     * @param via the transport it arrived on (replies go back over it)
     * @param source the IP endpoint it came from
     * @param packet the packet bytes, a heap buffer
     */
    void receive(Transport via, InetSocketAddress source, ByteBuffer packet);

    /**
     * Several packets read from one socket in a row, in order: the same as one {@link #receive}
     * each (the default), but lets the receiver share work between them (the engine verifies the
     * MACs of packets from one peer in one pass). The arrays and buffers are valid only during
     * the call.
     */
    default void receiveMany(Transport via, InetSocketAddress[] sources, ByteBuffer[] packets, int n) {
        for (int i = 0; i < n; i++) {
            receive(via, sources[i], packets[i]);
        }
    }

    /**
     * Called after a batch of {@link #receive} calls from one readiness event, so that work which
     * can be shared by the batch (waking readers of the delivered data) is done once per batch.
     */
    default void endOfBatch() {}
}
