package org.anode.nio;

import java.io.IOException;
import java.net.ProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * The hook through which an {@link AnodeNode} opens stream channels (draft section 5): the one
 * place where the stream layer plugs into the node. {@link #forNode} decides what a node gets.
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
     * A UDP read batch is starting (loop holders only: the event-loop thread, or an application
     * thread polling the sockets through {@link AnodeNode#pollIo()}).
     */
    default void beginBatch() {}

    /**
     * The UDP read batch begun with {@link #beginBatch()} ended (same thread): work deferred to the
     * end of the batch runs now, on the thread that read it, so that a batch read by a polling
     * application thread is answered without waking the event-loop thread.
     */
    default void endOfBatch() {}

    /**
     * The stream layer of a new node: a {@link StreamLayer} that registers itself for the stream
     * messages S_OPEN .. S_DACK (draft 5.1) with the node's engine. Called from the node's
     * constructor, after its engine and event loop exist and before the loop starts.
     */
    static AnodeNodeStreams forNode(AnodeNode node) {
        return new StreamLayer(node);
    }
}
