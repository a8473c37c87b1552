package org.anode.nio;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.MembershipKey;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.SelectionKey;
import java.nio.channels.UnsupportedAddressTypeException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.anode.engine.Engine;
import org.anode.engine.Outbound;
import org.anode.engine.Peer;
import org.anode.wire.MessageFields;
import org.anode.wire.MessageType;

/**
 * A {@link DatagramChannel} whose datagrams are Anode DGRAM messages (draft 4.2.10): authenticated
 * (draft 3.3), addressed by {@link AnodeSocketAddress} (Anode address + 16-bit Anode port), without
 * delivery assurance, exactly as UDP behaves.
 *
 * <ul>
 *   <li>Addresses: {@link #bind} takes an {@link AnodeSocketAddress} of this node, a wildcard
 *       {@link InetSocketAddress} (its port becomes the Anode port, so frameworks that bind
 *       {@code new InetSocketAddress(port)} work), or null for an ephemeral port. Destinations are
 *       {@link AnodeSocketAddress}es (or any {@code InetSocketAddress} that
 *       {@link AnodeSocketAddress#from} recognises); {@link #receive} returns
 *       {@code AnodeSocketAddress}es. The peer must be
 *       reachable: see {@link AnodeNode#addPeerEndpoint}.
 *   <li>Size: a datagram larger than one packet to the peer's path can carry (DECISIONS 27, with
 *       the full sender address counted) is refused with {@code IOException("Message too long")}, as
 *       the JDK refuses an over-long UDP datagram; {@link #maxDatagramSize} tells the limit.
 *   <li>Receive queue: bounded by SO_RCVBUF bytes and the node's per-channel datagram count; when
 *       full, new datagrams are dropped, like UDP. A datagram larger than the receiving buffer is
 *       truncated, like UDP.
 *   <li>Blocking and non-blocking modes, interrupt and asynchronous close as
 *       {@link java.nio.channels.spi.AbstractInterruptibleChannel} specifies (a blocked thread gets
 *       {@link java.nio.channels.AsynchronousCloseException} or
 *       {@link java.nio.channels.ClosedByInterruptException}).
 *   <li>Options: SO_RCVBUF sizes the receive queue; SO_SNDBUF is validated, stored and reported,
 *       but each datagram goes straight into the node's UDP socket, so there is no per-channel send
 *       queue for it to size. SO_REUSEADDR, SO_BROADCAST and IP_TOS are accepted and reported back
 *       without effect (Anode ports are exclusive, DGRAM has no broadcast, the shared UDP socket's
 *       TOS is the node's). Multicast is not part of Anode: the multicast options are not supported
 *       and {@code join} throws {@link UnsupportedOperationException}.
 * </ul>
 */
public final class AnodeDatagramChannel extends DatagramChannel implements AnodeSelectable {
    private static final Set<SocketOption<?>> OPTIONS = Set.of(
            StandardSocketOptions.SO_RCVBUF,
            StandardSocketOptions.SO_SNDBUF,
            StandardSocketOptions.SO_REUSEADDR,
            StandardSocketOptions.SO_BROADCAST,
            StandardSocketOptions.IP_TOS);
    /** Back-off between attempts while the node's UDP socket has no room (blocking send). */
    private static final long SEND_RETRY_NANOS = 50_000;

    private final AnodeNode node;
    private final Engine engine;
    private final Readiness readiness = new Readiness();
    private final Object stateLock = new Object();
    private final ReentrantLock readLock = new ReentrantLock();
    private final ReentrantLock writeLock = new ReentrantLock();
    /** Guards the queue; never held while calling into a selector. */
    private final ReentrantLock queueLock = new ReentrantLock();

    private final Condition notEmpty = queueLock.newCondition();
    private final AnodeDatagramQueue queue;
    /** The spin of a blocking receive soon after a send, before it parks. */
    private final ReceiveSpin<Void> spin;
    /** Guarded by writeLock. */
    private final Outbound out;
    /** Single-buffer arrays for the read and write paths (each guarded by its lock). */
    private final ByteBuffer[] oneRead = new ByteBuffer[1];

    private final ByteBuffer[] oneWrite = new ByteBuffer[1];
    private volatile int queued;
    /** Bytes copied by the latest take (readLock held). */
    private int lastCopied;

    private int waiters;
    private volatile AnodeSocketAddress local;
    private volatile AnodeSocketAddress remote;
    private volatile int sndbuf;
    private volatile boolean reuseAddress;
    private volatile boolean broadcast;
    private volatile int trafficClass;
    private AnodeDatagramSocket socket;

    AnodeDatagramChannel(AnodeSelectorProvider provider, AnodeNode node) {
        super(provider);
        this.node = node;
        this.engine = node.engine();
        AnodeNodeConfig c = node.config();
        this.queue = new AnodeDatagramQueue(c.receiveBufferSize(), c.maxReceiveQueueDatagrams());
        this.sndbuf = c.sendBufferSize();
        // Yields only while the event loop holds the sockets: a datagram answer is read by
        // whichever thread polls first.
        this.spin = new ReceiveSpin<>(node, false) {
            @Override
            boolean ready(Void unused) {
                return queued > 0 || !isOpen();
            }
        };
        this.out = new Outbound(Math.max(c.maxPacketIpv4(), c.maxPacketIpv6()));
    }

    /**
     * Opens a datagram channel on {@code node}: the same as
     * {@code node.selectorProvider().openDatagramChannel()}.
     *
     * @param node the node the channel sends and receives through
     * @return the new, unbound channel
     * @throws IOException if the node is closed
     */
    public static AnodeDatagramChannel open(AnodeNode node) throws IOException {
        return (AnodeDatagramChannel) node.selectorProvider().openDatagramChannel();
    }

    /** {@return the node this channel sends and receives through} */
    public AnodeNode node() {
        return node;
    }

    // ------------------------------------------------------------------ selection

    @Override
    public int readyOps() {
        if (!isOpen()) {
            return SelectionKey.OP_READ | SelectionKey.OP_WRITE;
        }
        // Writes never wait for the network: a datagram goes to the UDP socket or is dropped.
        return queued > 0 ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_WRITE;
    }

    @Override
    public Readiness readiness() {
        return readiness;
    }

    // ------------------------------------------------------------------ binding, connecting

    @Override
    public AnodeDatagramChannel bind(SocketAddress address) throws IOException {
        synchronized (stateLock) {
            ensureOpen();
            if (local != null) {
                throw new AlreadyBoundException();
            }
            int port = 0;
            if (address != null) {
                AnodeSocketAddress a = toAnode(address, true);
                if (!a.address().equals(node.address())) {
                    throw new java.net.BindException(
                            "Cannot assign requested address: " + a.address() + " is not this node's address");
                }
                port = a.getPort();
            }
            int bound = node.bindDatagramPort(this, port);
            local = AnodeSocketAddress.of(node.address(), bound);
        }
        return this;
    }

    private void autoBind() throws IOException {
        if (local == null) {
            synchronized (stateLock) {
                if (local == null) {
                    bind(null);
                }
            }
        }
    }

    /**
     * Converts a caller's address: anything {@link AnodeSocketAddress#from} recognises, or (for
     * bind only) a wildcard {@code InetSocketAddress} meaning this node.
     */
    private AnodeSocketAddress toAnode(SocketAddress a, boolean forBind) {
        Objects.requireNonNull(a, "address");
        if (a instanceof InetSocketAddress i) {
            AnodeSocketAddress x = AnodeSocketAddress.from(i);
            if (x != null) {
                return x;
            }
            if (forBind && !i.isUnresolved() && i.getAddress().isAnyLocalAddress()) {
                return AnodeSocketAddress.of(node.address(), i.getPort());
            }
        }
        throw new UnsupportedAddressTypeException();
    }

    @Override
    public AnodeDatagramChannel connect(SocketAddress address) throws IOException {
        AnodeSocketAddress a = toAnode(address, false);
        readLock.lock();
        try {
            writeLock.lock();
            try {
                synchronized (stateLock) {
                    ensureOpen();
                    autoBind();
                    remote = a;
                    // Datagrams queued before connect from other sources are discarded, as the
                    // JDK's connected DatagramChannel only ever returns the remote's datagrams.
                    queueLock.lock();
                    try {
                        queue.retainOnly(a);
                        queued = queue.size();
                    } finally {
                        queueLock.unlock();
                    }
                }
            } finally {
                writeLock.unlock();
            }
        } finally {
            readLock.unlock();
        }
        readiness.signal();
        return this;
    }

    @Override
    public AnodeDatagramChannel disconnect() throws IOException {
        readLock.lock();
        try {
            writeLock.lock();
            try {
                synchronized (stateLock) {
                    if (!isOpen()) {
                        return this;
                    }
                    remote = null;
                }
            } finally {
                writeLock.unlock();
            }
        } finally {
            readLock.unlock();
        }
        return this;
    }

    @Override
    public boolean isConnected() {
        return remote != null;
    }

    @Override
    public SocketAddress getRemoteAddress() throws IOException {
        ensureOpen();
        return remote;
    }

    @Override
    public SocketAddress getLocalAddress() throws IOException {
        ensureOpen();
        return local;
    }

    /** The bound address, or null (no exception when closed; for the socket adaptor). */
    AnodeSocketAddress localAddress() {
        return local;
    }

    /** The connected address, or null. */
    AnodeSocketAddress remoteAddress() {
        return remote;
    }

    private void ensureOpen() throws ClosedChannelException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
    }

    // ------------------------------------------------------------------ options

    @Override
    public <T> AnodeDatagramChannel setOption(SocketOption<T> name, T value) throws IOException {
        SocketOptionChecks.checkSettable(OPTIONS, name, value);
        synchronized (stateLock) {
            ensureOpen();
            if (name == StandardSocketOptions.SO_RCVBUF) {
                int v = SocketOptionChecks.bufferSize(value);
                queueLock.lock();
                try {
                    queue.setByteLimit(Math.max(1024, v));
                } finally {
                    queueLock.unlock();
                }
            } else if (name == StandardSocketOptions.SO_SNDBUF) {
                sndbuf = Math.max(1024, SocketOptionChecks.bufferSize(value));
            } else if (name == StandardSocketOptions.SO_REUSEADDR) {
                reuseAddress = (Boolean) value;
            } else if (name == StandardSocketOptions.SO_BROADCAST) {
                broadcast = (Boolean) value;
            } else if (name == StandardSocketOptions.IP_TOS) {
                trafficClass = SocketOptionChecks.trafficClass(value);
            }
        }
        return this;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T getOption(SocketOption<T> name) throws IOException {
        SocketOptionChecks.checkSupported(OPTIONS, name);
        synchronized (stateLock) {
            ensureOpen();
            if (name == StandardSocketOptions.SO_RCVBUF) {
                queueLock.lock();
                try {
                    return (T) Integer.valueOf(queue.byteLimit());
                } finally {
                    queueLock.unlock();
                }
            } else if (name == StandardSocketOptions.SO_SNDBUF) {
                return (T) Integer.valueOf(sndbuf);
            } else if (name == StandardSocketOptions.SO_REUSEADDR) {
                return (T) Boolean.valueOf(reuseAddress);
            } else if (name == StandardSocketOptions.SO_BROADCAST) {
                return (T) Boolean.valueOf(broadcast);
            } else {
                return (T) Integer.valueOf(trafficClass);
            }
        }
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return OPTIONS;
    }

    // ------------------------------------------------------------------ multicast (not in Anode)

    /** Always throws: Anode has no multicast (DGRAM goes to one peer, draft 4.2.10). */
    @Override
    public MembershipKey join(InetAddress group, NetworkInterface interf) throws IOException {
        throw new UnsupportedOperationException("Anode datagram channels do not support multicast");
    }

    /** Always throws: Anode has no multicast (DGRAM goes to one peer, draft 4.2.10). */
    @Override
    public MembershipKey join(InetAddress group, NetworkInterface interf, InetAddress source) throws IOException {
        throw new UnsupportedOperationException("Anode datagram channels do not support multicast");
    }

    // ------------------------------------------------------------------ socket adaptor

    @Override
    public AnodeDatagramSocket socket() {
        synchronized (stateLock) {
            if (socket == null) {
                socket = new AnodeDatagramSocket(this);
            }
            return socket;
        }
    }

    // ------------------------------------------------------------------ sending

    /**
     * {@return the largest datagram payload that one packet to {@code target} can carry: the path's
     * packet limit (DECISIONS 27) minus the common header with the full sender address and the
     * 4-byte DGRAM header} -1 if no endpoint is known for the target's peer.
     *
     * @param target the destination socket address
     */
    public int maxDatagramSize(AnodeSocketAddress target) {
        if (target.address().equals(node.address())) {
            return node.localDatagramLimit();
        }
        Peer p = engine.peer(target.address());
        if (p == null) {
            return -1;
        }
        int m = engine.maxMessageSize(p);
        return m < 0 ? -1 : m - MessageFields.DGRAM_HEADER;
    }

    @Override
    public int send(ByteBuffer src, SocketAddress target) throws IOException {
        Objects.requireNonNull(src, "src");
        AnodeSocketAddress t = toAnode(target, false);
        writeLock.lock();
        try {
            ensureOpen();
            AnodeSocketAddress r = remote;
            if (r != null && !r.equals(t)) {
                throw new AlreadyConnectedException();
            }
            autoBind();
            return sendLocked(t, oneWrite(src), 0, 1);
        } finally {
            writeLock.unlock();
        }
    }

    private ByteBuffer[] oneWrite(ByteBuffer b) {
        oneWrite[0] = b;
        return oneWrite;
    }

    private ByteBuffer[] oneRead(ByteBuffer b) {
        oneRead[0] = b;
        return oneRead;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        Objects.requireNonNull(src, "src");
        writeLock.lock();
        try {
            return writeLocked(oneWrite(src), 0, 1);
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, srcs.length);
        writeLock.lock();
        try {
            return writeLocked(srcs, offset, length);
        } finally {
            writeLock.unlock();
        }
    }

    private int writeLocked(ByteBuffer[] srcs, int offset, int length) throws IOException {
        ensureOpen();
        AnodeSocketAddress r = remote;
        if (r == null) {
            throw new NotYetConnectedException();
        }
        return sendLocked(r, srcs, offset, length);
    }

    /**
     * Sends a datagram that waited for its path ({@link PendingDatagrams}), on the thread that found
     * the path; one that cannot go now (channel closed, no room, too long for the path) is dropped,
     * as UDP may drop it.
     */
    void sendHeld(AnodeSocketAddress target, ByteBuffer data) {
        writeLock.lock();
        try {
            if (isOpen()) {
                sendLocked(target, new ByteBuffer[] {data}, 0, 1);
            }
        } catch (IOException | RuntimeException e) {
            System.getLogger(AnodeDatagramChannel.class.getName())
                    .log(System.Logger.Level.DEBUG, "held datagram to " + target + " dropped: " + e);
        } finally {
            writeLock.unlock();
        }
    }

    /** Sends one datagram gathered from every buffer; writeLock held. */
    private int sendLocked(AnodeSocketAddress target, ByteBuffer[] srcs, int offset, int length) throws IOException {
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            total += srcs[i].remaining();
        }
        AnodeSocketAddress from = local;
        if (target.address().equals(node.address())) {
            if (total > node.localDatagramLimit()) {
                throw new IOException("Message too long");
            }
            node.deliverLocal(from, target.getPort(), srcs, offset, length, (int) total);
            return (int) total;
        }
        if (!isBlocking() && !node.hasPath(target.address())) {
            // No path yet, and a non-blocking send must not wait: the datagram waits (bounded) in
            // the node while the path is found (DECISIONS 31). Sized for a relayed path (addendum A7).
            if (total
                    > node.localDatagramLimit()
                            - (org.anode.address.AnodeAddress.LENGTH - org.anode.address.ShortId.LENGTH)) {
                throw new IOException("Message too long");
            }
            return node.pendingDatagrams().hold(this, target, srcs, offset, length, (int) total);
        }
        // No path yet: the node finds one through the zone relay, bounded (DECISIONS 31).
        Peer peer = node.route(target.address());
        int max = engine.maxMessageSize(peer) - MessageFields.DGRAM_HEADER;
        if (total > max) {
            throw new IOException("Message too long");
        }
        boolean blocking = isBlocking();
        boolean sent = false;
        try {
            if (blocking) {
                begin();
            }
            while (true) {
                ByteBuffer b = engine.begin(out, peer, MessageType.DGRAM, 0);
                // begin() picks the best endpoint again, and its limit may be smaller than the one
                // checked above (an endpoint proven meanwhile, IPv4 1400 -> IPv6 1232): check the
                // room actually given, so the answer stays "Message too long", never an
                // IndexOutOfBoundsException from the writes below.
                if (b.remaining() < MessageFields.DGRAM_HEADER + total) {
                    throw new IOException("Message too long");
                }
                MessageFields.writeDgramHeader(b, from.getPort(), target.getPort());
                for (int i = offset; i < offset + length; i++) {
                    ByteBuffer s = srcs[i];
                    int n = s.remaining();
                    b.put(b.position(), s, s.position(), n);
                    b.position(b.position() + n);
                }
                if (engine.finish(out)) {
                    sent = true;
                    break;
                }
                // The node's UDP socket buffer is full: UDP in non-blocking mode sends nothing
                // and returns 0; in blocking mode it waits for room.
                if (!blocking || !isOpen()) {
                    break;
                }
                LockSupport.parkNanos(SEND_RETRY_NANOS);
            }
        } finally {
            if (blocking) {
                end(sent);
            }
        }
        if (!sent) {
            return 0;
        }
        spin.sent(System.nanoTime());
        for (int i = offset; i < offset + length; i++) {
            ByteBuffer s = srcs[i];
            s.position(s.limit());
        }
        return (int) total;
    }

    // ------------------------------------------------------------------ receiving

    /**
     * Called by the node (event loop, or a local sender) with one datagram for this channel's port.
     * Copies it into the queue unless the channel is connected to another source or the queue is
     * full (then it is dropped, like UDP).
     *
     * @param deferWake if true, a blocked reader or selector is not woken here: the caller calls
     *     {@link #wakeAfterBatch()} once after a batch of datagrams (one wake-up per batch, not per
     *     datagram)
     * @return true if a wake-up was deferred and {@link #wakeAfterBatch()} must follow
     */
    boolean offer(AnodeSocketAddress source, ByteBuffer packet, int offset, int length, boolean deferWake) {
        if (!isOpen()) {
            return false;
        }
        AnodeSocketAddress r = remote;
        if (r != null && !r.equals(source)) {
            return false;
        }
        boolean becameReadable;
        queueLock.lock();
        try {
            if (!queue.offer(source, packet, offset, length)) {
                return false;
            }
            becameReadable = queued == 0;
            queued = queue.size();
            if (deferWake) {
                return true;
            }
            if (waiters > 0) {
                notEmpty.signal();
            }
        } finally {
            queueLock.unlock();
        }
        if (becameReadable) {
            readiness.signal();
        }
        return false;
    }

    /** Loop-thread flag: this channel is in the node's list of channels to wake after a batch. */
    boolean wakePending;

    /** Wakes a blocked reader and the selectors after a batch of deferred {@link #offer}s. */
    void wakeAfterBatch() {
        queueLock.lock();
        try {
            if (waiters > 0) {
                notEmpty.signal();
            }
        } finally {
            queueLock.unlock();
        }
        readiness.signal();
    }

    /** {@return datagrams dropped because the receive queue was full} */
    public long droppedDatagrams() {
        queueLock.lock();
        try {
            return queue.dropped();
        } finally {
            queueLock.unlock();
        }
    }

    @Override
    public SocketAddress receive(ByteBuffer dst) throws IOException {
        Objects.requireNonNull(dst, "dst");
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("Read-only buffer");
        }
        readLock.lock();
        try {
            ensureOpen();
            autoBind();
            return receiveLocked(oneRead(dst), 0, 1, -1);
        } finally {
            readLock.unlock();
        }
    }

    /**
     * Blocking receive with a timeout for the socket adaptor (SO_TIMEOUT); returns the source, or
     * null on timeout.
     */
    AnodeSocketAddress receive(ByteBuffer dst, long timeoutNanos) throws IOException {
        readLock.lock();
        try {
            ensureOpen();
            autoBind();
            return receiveLocked(new ByteBuffer[] {dst}, 0, 1, timeoutNanos);
        } finally {
            readLock.unlock();
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        Objects.requireNonNull(dst, "dst");
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("Read-only buffer");
        }
        readLock.lock();
        try {
            return readLocked(oneRead(dst), 0, 1);
        } finally {
            readLock.unlock();
        }
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, dsts.length);
        for (int i = offset; i < offset + length; i++) {
            if (dsts[i].isReadOnly()) {
                throw new IllegalArgumentException("Read-only buffer");
            }
        }
        readLock.lock();
        try {
            return readLocked(dsts, offset, length);
        } finally {
            readLock.unlock();
        }
    }

    private int readLocked(ByteBuffer[] dsts, int offset, int length) throws IOException {
        ensureOpen();
        if (remote == null) {
            throw new NotYetConnectedException();
        }
        AnodeSocketAddress src = receiveInto(dsts, offset, length, -1);
        return src == null ? 0 : lastCopied;
    }

    private AnodeSocketAddress receiveLocked(ByteBuffer[] dsts, int offset, int length, long timeoutNanos)
            throws IOException {
        return receiveInto(dsts, offset, length, timeoutNanos);
    }

    /**
     * Takes the head datagram into the buffers, waiting in blocking mode (with begin/end, so an
     * interrupt or a close from another thread ends the wait as the JDK specifies).
     *
     * @param timeoutNanos -1 to wait indefinitely (blocking mode only)
     * @return the source, or null (non-blocking and nothing queued); {@link #lastCopied} holds the
     *     number of bytes copied
     */
    private AnodeSocketAddress receiveInto(ByteBuffer[] dsts, int offset, int length, long timeoutNanos)
            throws IOException {
        if (!isBlocking()) {
            if (queued == 0) {
                return null;
            }
            queueLock.lock();
            try {
                return take(dsts, offset, length);
            } finally {
                queueLock.unlock();
            }
        }
        AnodeSocketAddress src = null;
        try {
            begin();
            spin.spin(null);
            queueLock.lock();
            try {
                long deadline = timeoutNanos > 0 ? System.nanoTime() + timeoutNanos : 0;
                while (queue.isEmpty() && isOpen()) {
                    waiters++;
                    try {
                        if (timeoutNanos > 0) {
                            long left = deadline - System.nanoTime();
                            if (left <= 0) {
                                throw new java.net.SocketTimeoutException("Receive timed out");
                            }
                            notEmpty.awaitNanos(left);
                        } else {
                            // Uninterruptibly: an interrupt closes the channel through begin(),
                            // which signals this condition; end() then throws
                            // ClosedByInterruptException with the interrupt status kept.
                            notEmpty.awaitUninterruptibly();
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    } finally {
                        waiters--;
                    }
                }
                if (isOpen() && !queue.isEmpty()) {
                    src = take(dsts, offset, length);
                }
            } finally {
                queueLock.unlock();
            }
        } finally {
            end(src != null);
        }
        if (src == null) {
            ensureOpen();
        }
        return src;
    }

    /** Removes the head datagram; queueLock held and queue non-empty. */
    private AnodeSocketAddress take(ByteBuffer[] dsts, int offset, int length) {
        AnodeSocketAddress src = queue.peekSource();
        lastCopied = length == 1 ? queue.poll(dsts[offset]) : queue.poll(dsts, offset, length);
        queued = queue.size();
        return src;
    }

    // ------------------------------------------------------------------ closing

    @Override
    protected void implCloseSelectableChannel() throws IOException {
        // May run on an interrupting thread (begin()'s interruptor): only wake, never wait.
        AnodeSocketAddress l = local;
        if (l != null) {
            node.unbindDatagramPort(this, l.getPort());
        }
        queueLock.lock();
        try {
            queue.clear();
            queued = 0;
            notEmpty.signalAll();
        } finally {
            queueLock.unlock();
        }
        node.channelClosed(this);
        readiness.signal();
    }

    @Override
    protected void implConfigureBlocking(boolean block) {
        // Nothing to switch: every operation reads the mode when it starts.
    }

    @Override
    public String toString() {
        return "AnodeDatagramChannel[" + (isOpen() ? (local == null ? "unbound" : local.toString()) : "closed")
                + (remote != null ? " -> " + remote : "") + "]";
    }
}
