package org.anode.nio;

import java.io.IOException;
import java.net.ProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * The hook through which an {@link AnodeNode} opens stream channels (draft section 5): the one
 * place where the stream layer plugs into the node. {@link #forNode} decides what a node gets;
 * until the stream layer is wired in there, nodes refuse stream channels with an
 * {@link IOException}, so a program learns at once that it cannot use them.
 */
interface AnodeNodeStreams {
    /** Opens an unconnected stream channel on the node. */
    SocketChannel openSocketChannel(AnodeSelectorProvider provider, ProtocolFamily family) throws IOException;

    /** Opens an unbound listening stream channel on the node. */
    ServerSocketChannel openServerSocketChannel(AnodeSelectorProvider provider, ProtocolFamily family)
            throws IOException;

    /** Called once when the node closes, before its sockets are released. */
    void close();

    /**
     * The stream layer of a new node. ===== STREAM LAYER HOOK: return the stream implementation
     * here (it gets the node's engine, event loop and handler registration through the node's
     * package-private accessors). =====
     */
    static AnodeNodeStreams forNode(AnodeNode node) {
        return Refused.INSTANCE;
    }

    /** The answer of a node without a stream layer. */
    final class Refused implements AnodeNodeStreams {
        static final Refused INSTANCE = new Refused();

        private Refused() {
        }

        @Override
        public SocketChannel openSocketChannel(AnodeSelectorProvider provider, ProtocolFamily family)
                throws IOException {
            throw new IOException("stream channels are not enabled on this node");
        }

        @Override
        public ServerSocketChannel openServerSocketChannel(AnodeSelectorProvider provider, ProtocolFamily family)
                throws IOException {
            throw new IOException("stream channels are not enabled on this node");
        }

        @Override
        public void close() {
            // No stream state to release.
        }
    }
}
