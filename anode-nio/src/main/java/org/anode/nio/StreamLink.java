package org.anode.nio;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.anode.address.AnodeAddress;
import org.anode.engine.Peer;
import org.anode.stream.StreamConnection;
import org.anode.stream.StreamEndpoint;

/**
 * One stream connection as the {@link StreamLayer} sees it (draft section 5, DECISIONS 23): the
 * protocol state the {@link StreamEndpoint} keeps per connection (its {@link StreamEndpoint.Link}
 * part), plus what the glue adds - the lock that serialises the event loop and application
 * threads, the timer, the buffer budget and the readiness bits channels and selectors read.
 *
 * <p>Threading: every field not marked volatile, and every call into {@link #conn}, is guarded by
 * {@link #lock}. The event loop takes it to hand a packet or a timer to the connection; an
 * application thread takes it to read or write; whoever changed the connection then transmits
 * (under the same lock) and publishes the new {@link #state}. Blocked application threads wait on
 * {@link #changed}. Nobody calls into a selector while holding the lock.
 */
final class StreamLink extends StreamEndpoint.Link<Peer> {
    /** {@link #state} bit: a read would not return 0 (data, end-of-stream or an error). */
    static final int READABLE = 1;
    /** {@link #state} bit: a write would accept a useful amount of data, or throw. */
    static final int WRITABLE = 2;
    /** {@link #state} bit: the connect finished (succeeded or failed). */
    static final int CONNECT_DONE = 4;

    /** The connection, as {@link #connection()}: the field the channels read under {@link #lock}. */
    final StreamConnection conn;
    /** Our link id, as {@link #localLink()}. */
    final int localLink;
    /** Local end: (this node, our link id) for an opener, (this node, listening port) for an acceptor. */
    final AnodeSocketAddress localAddress;
    /** Remote end: (peer, port we opened to) for an opener, (peer, opener's link id) for an acceptor. */
    final AnodeSocketAddress remoteAddress;

    final ReentrantLock lock = new ReentrantLock();
    final Condition changed = lock.newCondition();
    /** Threads waiting on {@link #changed}; guarded by lock. */
    int waiters;

    /** Set by {@code shutdownInput()}: received data is dropped as it arrives. */
    volatile boolean discardInput;
    /** The buffer sizes the application asked for (SO_RCVBUF, SO_SNDBUF); guarded by lock. */
    int rcvWant;

    int sndWant;
    /** Bytes of the node's buffer budget this link's buffers account for; guarded by lock. */
    long charged;
    /** Whether the receive / send buffer size was decided against the budget for the current allocation. */
    boolean rcvSized;

    boolean sndSized;
    /** Queued for the layer's end-of-batch transmit; event loop only. */
    boolean dirty;
    /**
     * The remote device's peer id (draft 3.4, DECISIONS 41) every packet of this link is addressed
     * to, so that the connection stays with the device it was opened to or accepted from when
     * several share the address; 0 until known (then the peer's latest is used).
     */
    volatile int remotePeerId;
    /** The peer this link keeps in the node's peer table (addendum A4); unpinned on retire. */
    volatile Peer pinnedPeer;

    /** Readiness bits ({@link #READABLE}, {@link #WRITABLE}, {@link #CONNECT_DONE}). */
    volatile int state;

    /** The channel using the connection; null while an accepted connection waits in a backlog. */
    volatile AnodeSocketChannel channel;

    /** Deadline and position in the layer's {@link StreamTimers} heap; guarded by that object. */
    long timerAt = StreamConnection.NO_TIMEOUT;

    int heapIndex = -1;

    StreamLink(
            StreamConnection conn,
            AnodeAddress remote,
            Peer peer,
            boolean opener,
            int localLink,
            int remoteLink,
            int sendPort,
            AnodeSocketAddress localAddress,
            AnodeSocketAddress remoteAddress) {
        super(conn, remote, peer, opener, localLink, remoteLink, sendPort);
        this.conn = conn;
        this.localLink = localLink;
        this.localAddress = localAddress;
        this.remoteAddress = remoteAddress;
        this.rcvWant = conn.receiveBufferSize();
        this.sndWant = conn.sendBufferSize();
        conn.attach(this);
    }

    /**
     * Recomputes {@link #state} from the connection (lock held) and, when the link became more
     * ready, wakes blocked threads and the selectors of its channel.
     */
    void publish() {
        StreamConnection c = conn;
        int s = 0;
        if (!c.isConnecting()) {
            s |= CONNECT_DONE;
            if (c.isReadable()) {
                s |= READABLE;
            }
            if (c.isWritable() || c.failure() != null) {
                s |= WRITABLE;
            }
        }
        int old = state;
        if (s == old) {
            return;
        }
        state = s;
        if ((s & ~old) != 0) {
            if (waiters > 0) {
                changed.signalAll();
            }
            AnodeSocketChannel ch = channel;
            if (ch != null) {
                ch.readiness().signal();
            }
        }
    }

    /** Wakes every blocked thread (lock held): the channel closed or was shut down. */
    void wakeAll() {
        if (waiters > 0) {
            changed.signalAll();
        }
    }

    @Override
    public String toString() {
        return "StreamLink[" + localAddress + (isOpener() ? " -> " : " <- ") + remoteAddress + " link " + localLink
                + "/" + remoteLink() + "]";
    }
}
