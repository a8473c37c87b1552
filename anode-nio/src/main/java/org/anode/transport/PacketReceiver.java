package org.anode.transport;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * Where a {@link Transport} hands each received packet (draft 3, before any parsing): on the
 * event-loop thread, one packet at a time.
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
     * Called after a batch of {@link #receive} calls from one readiness event, so that work which
     * can be shared by the batch (waking readers of the delivered data) is done once per batch.
     */
    default void endOfBatch() {
    }
}
