package org.anode.engine;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * One way of carrying whole Anode packets to and from IP endpoints (draft 2.9: UDP, and later TCP
 * and HTTP framing per DECISIONS 14). The engine never assumes a packet arrived directly over UDP:
 * every received packet names the transport and source it came from, and every peer endpoint
 * names the transport to send it on.
 *
 * <p>This is the engine's port to the network: it lives here, in the engine, and the
 * implementations live in {@code org.anode.transport} (UDP today), which depends on the engine
 * (for this interface, {@link PacketReceiver} and the {@link EventLoop} its sockets register
 * with) and never the other way round. The engine can thus be driven by any transport, or by a
 * fake one in tests, without seeing a socket.
 *
 * <p>{@link #send} is thread-safe: channel threads send directly, without a hand-off to the event
 * loop. Received packets are handed to the {@link PacketReceiver} given when the transport was
 * opened, on the event-loop thread.
 */
public interface Transport extends AutoCloseable {
    /** A short name for logs, e.g. {@code udp4/0.0.0.0:4242}. */
    String name();

    /** The local address this transport is bound to. */
    InetSocketAddress localAddress();

    /** True if this transport can send to {@code destination} (address family, kind). */
    boolean canReach(InetSocketAddress destination);

    /** Largest packet this transport may send to {@code destination} (DECISIONS 27). */
    int maxPacketSize(InetSocketAddress destination);

    /**
     * Sends one whole packet, the bytes from {@code packet}'s position to its limit; the position
     * advances on success. Never blocks.
     *
     * @return true if the packet was handed to the network, false if the transport had no room
     *     right now (the packet was not sent; a caller may retry)
     * @throws IOException if the transport is closed or the destination was refused
     */
    boolean send(ByteBuffer packet, InetSocketAddress destination) throws IOException;

    /** True until closed. */
    boolean isOpen();

    /** Releases the transport's socket(s). Idempotent. */
    @Override
    void close();

    /**
     * The transport that actually carries packets to any destination: itself, except for a carrier
     * bound to one peer (a relay link, DECISIONS 38), which answers the UDP transport under it. NAT
     * traversal (DECISIONS 35, 36) learns public endpoints and probes on this one, since a relay link
     * sends everything to its relay.
     */
    default Transport underlying() {
        return this;
    }
}
