package org.anode.conformance.netty;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.nio.channels.spi.SelectorProvider;
import org.anode.nettysuite.NettyStreamSuite;
import org.junit.jupiter.api.Timeout;

/**
 * Netty 4.2's NIO transport, unchanged, over Anode streams (draft section 5) and datagrams (draft
 * 4.2.10): the shared {@link NettyStreamSuite} with 4.2's I/O-handler event loop group on the
 * node's provider, {@code MultiThreadIoEventLoopGroup(n, NioIoHandler.newFactory(provider))}.
 */
@Timeout(120)
class Netty42StreamTest extends NettyStreamSuite {
    @Override
    protected EventLoopGroup newEventLoopGroup(int threads, SelectorProvider provider) {
        return new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory(provider));
    }
}
