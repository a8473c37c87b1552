package org.anode.engine;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import org.anode.address.AnodeAddress;
import org.anode.wire.PacketReader;

/**
 * The callbacks through which the {@link Engine} hands authenticated messages (draft sections 4
 * and 5) to the layers above it. All of them run on the event-loop thread, must not block, and see buffers that are valid
 * only during the call.
 */
public final class Handlers {
    private Handlers() {}

    /** Delivery of DGRAM messages (draft 4.2.10) to whatever is bound to the destination port. */
    @FunctionalInterface
    public interface DatagramHandler {
        /**
         * One authenticated datagram; the payload is {@code packet[offset, offset + length)}.
         *
         * @return false if nothing is bound to {@code destinationPort} (the engine counts the drop)
         */
        boolean deliver(Peer from, int sourcePort, int destinationPort, ByteBuffer packet, int offset, int length);
    }

    /**
     * A handler for other authenticated message types, in particular the stream messages
     * S_OPEN .. S_DACK (types 20-24, draft 5). The reader is positioned on the packet: type,
     * peer ids, hop count and {@code payloadOffset()/payloadLimit()} of the message.
     */
    @FunctionalInterface
    public interface MessageHandler {
        void handle(Peer from, PacketReader packet, Transport via, InetSocketAddress source, long nowNanos);
    }

    /**
     * ERROR messages (draft 4.2.1) and flag 0x04 authentication error responses (draft 3.2).
     * Reporting is all that may happen: an unauthenticated report must never cause any action
     * (DECISIONS 18).
     */
    @FunctionalInterface
    public interface ErrorHandler {
        /**
         * @param claimedSender the sender's address if the packet named a known or full address,
         *     else null; trustworthy only when {@code authenticated}
         * @param source the IP endpoint the packet came from
         * @param code the 16-bit error code, or -1 if the packet carried no ERROR message
         * @param authenticated true if the packet's MAC verified (an ERROR without flag 0x04)
         */
        void error(AnodeAddress claimedSender, InetSocketAddress source, int code, boolean authenticated);
    }

    /** Completion of a PING (draft 4.2.2/4.2.3), on the event-loop thread. */
    public interface PingCallback {
        /** The matching PONG arrived after {@code rttNanos}. */
        void pong(long rttNanos);

        /** No PONG before the deadline, or the ping could not be sent. */
        void failed(Exception cause);
    }
}
