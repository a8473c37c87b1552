package org.anode.nio;

import java.io.IOException;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.AbstractSelector;
import java.nio.channels.spi.SelectorProvider;
import java.util.Objects;

/**
 * The {@link SelectorProvider} of one Anode node: its datagram channels carry draft 4.2.10 DGRAM
 * messages and its socket channels carry draft section 5 streams, and its selectors
 * ({@link AnodeSelector}) and pipes ({@code AnodePipe}) work with them.
 *
 * <p>Nothing picks this provider up by default ({@link SelectorProvider#provider()} stays the JDK's):
 * obtain it from the node and open channels and selectors through it, or pass it to a framework, e.g.
 * Netty 4.1's {@code new NioEventLoopGroup(n, (Executor) null, provider)} and
 * {@code new NioSocketChannel(provider)}, or Netty 4.2's {@code NioIoHandler.newFactory(provider)}.
 *
 * <p>The {@link ProtocolFamily} overloads accept {@code null}, {@link StandardProtocolFamily#INET} and
 * {@link StandardProtocolFamily#INET6} (the IP family of the UDP transport underneath, draft 2.9.1) and
 * throw {@link UnsupportedOperationException} for {@link StandardProtocolFamily#UNIX} or any other
 * family, as the JDK does for a family it does not support.
 */
public final class AnodeSelectorProvider extends SelectorProvider {
    private final NodeChannels channels;

    /**
     * Creates the provider of a node.
     *
     * @param channels the node engine that opens datagram and stream channels
     */
    AnodeSelectorProvider(NodeChannels channels) {
        this.channels = Objects.requireNonNull(channels, "channels");
    }

    @Override
    public DatagramChannel openDatagramChannel() throws IOException {
        return channels.openDatagramChannel(this, null);
    }

    @Override
    public DatagramChannel openDatagramChannel(ProtocolFamily family) throws IOException {
        return channels.openDatagramChannel(this, checkFamily(family));
    }

    /** Opens an in-memory pipe whose two ends register with {@link AnodeSelector}. */
    @Override
    public Pipe openPipe() throws IOException {
        return new AnodePipe(this);
    }

    /** Opens a selector for this node's channels and pipes. */
    @Override
    public AbstractSelector openSelector() throws IOException {
        return new AnodeSelector(this);
    }

    @Override
    public ServerSocketChannel openServerSocketChannel() throws IOException {
        return channels.openServerSocketChannel(this, null);
    }

    @Override
    public ServerSocketChannel openServerSocketChannel(ProtocolFamily family) throws IOException {
        return channels.openServerSocketChannel(this, checkFamily(family));
    }

    @Override
    public SocketChannel openSocketChannel() throws IOException {
        return channels.openSocketChannel(this, null);
    }

    @Override
    public SocketChannel openSocketChannel(ProtocolFamily family) throws IOException {
        return channels.openSocketChannel(this, checkFamily(family));
    }

    /**
     * Anode channels run over UDP on IPv4 or IPv6; there is no Anode over UNIX domain sockets, and a
     * foreign family is refused the way the JDK refuses one it does not know.
     */
    private static ProtocolFamily checkFamily(ProtocolFamily family) {
        if (family == null || family == StandardProtocolFamily.INET || family == StandardProtocolFamily.INET6) {
            return family;
        }
        throw new UnsupportedOperationException("Protocol family not supported: " + family);
    }
}
