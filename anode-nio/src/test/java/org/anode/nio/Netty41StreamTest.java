package org.anode.nio;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import java.nio.channels.spi.SelectorProvider;
import java.util.concurrent.Executor;
import org.anode.nettysuite.NettyStreamSuite;
import org.junit.jupiter.api.Timeout;

/**
 * Netty 4.1's NIO transport, unchanged, over Anode streams (draft section 5) and datagrams (draft
 * 4.2.10): the shared {@link NettyStreamSuite} with 4.1's event loop group on the node's provider,
 * {@code NioEventLoopGroup(n, null, provider)}.
 */
@Timeout(120)
class Netty41StreamTest extends NettyStreamSuite {
    @Override
    protected EventLoopGroup newEventLoopGroup(int threads, SelectorProvider provider) {
        return new NioEventLoopGroup(threads, (Executor) null, provider);
    }
}
