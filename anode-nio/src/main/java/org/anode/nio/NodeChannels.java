package org.anode.nio;

import java.io.IOException;
import java.net.ProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * The node engine's side of {@link AnodeSelectorProvider}: it creates the channels that carry draft
 * 4.2.10 DGRAM messages and draft section 5 streams. The provider has already checked the protocol
 * family, so {@code family} is {@code null} (the no-argument overloads),
 * {@link java.net.StandardProtocolFamily#INET} or {@link java.net.StandardProtocolFamily#INET6}: the IP
 * family of the underlying UDP transport that the node may use (draft 2.9.1).
 *
 * <p>Every channel returned must have {@code p} as its {@code provider()} and implement
 * {@link AnodeSelectable}, so that it can be registered with an {@link AnodeSelector}.
 */
interface NodeChannels {
    /** Opens an unbound datagram channel (draft 4.2.10). */
    DatagramChannel openDatagramChannel(AnodeSelectorProvider p, ProtocolFamily family) throws IOException;

    /** Opens an unconnected stream channel (draft section 5). */
    SocketChannel openSocketChannel(AnodeSelectorProvider p, ProtocolFamily family) throws IOException;

    /** Opens an unbound listening stream channel (draft section 5). */
    ServerSocketChannel openServerSocketChannel(AnodeSelectorProvider p, ProtocolFamily family) throws IOException;
}
