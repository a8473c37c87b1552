package org.anode.transport;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.anode.engine.EventLoop;
import org.anode.engine.PacketReceiver;
import org.anode.engine.Transport;

/**
 * UDP transport (draft 2.9.1: each packet is one UDP datagram) over one non-blocking JDK
 * {@link DatagramChannel} registered with the node's {@link EventLoop}. Receiving happens on the
 * loop thread; {@link #send} may be called from any thread (the JDK channel serialises writers
 * independently of the reader). Datagrams read in a row are handed over together (up to 32 of
 * them, {@link PacketReceiver#receiveMany}), so that the engine can verify a burst from one peer in
 * one MAC pass; each is copied out of the 64 KiB read buffer into a slot for that.
 */
public final class UdpTransport implements Transport {
    private static final System.Logger LOG = System.getLogger(UdpTransport.class.getName());
    /** Largest UDP payload; anything larger cannot arrive, so the buffer never truncates. */
    private static final int RECEIVE_BUFFER = 65536;
    /** Datagrams read per readiness event before other keys, tasks and timers get a turn. */
    private static final int READ_BATCH = 64;
    /** Kernel buffer sizes requested (the kernel may cap them): bursts at line rate fit. */
    private static final int SOCKET_BUFFER = 1 << 20;

    private final DatagramChannel channel;
    private final InetSocketAddress local;
    private final boolean ipv6;
    private final int maxPacket;
    private final PacketReceiver receiver;
    private final ByteBuffer rx = ByteBuffer.allocate(RECEIVE_BUFFER);
    /** Datagrams held for one {@link PacketReceiver#receiveMany} call (loop holders only). */
    private static final int HOLD = 32;
    /** Size of a hold slot: any packet of the DECISIONS 27 sizes and a little more. */
    private static final int SLOT = 2048;

    private final ByteBuffer[] slots = new ByteBuffer[HOLD];
    private final InetSocketAddress[] sources = new InetSocketAddress[HOLD];
    private int held;
    private final String name;
    private volatile SelectionKey key;

    private UdpTransport(DatagramChannel channel, boolean ipv6, int maxPacket, PacketReceiver receiver)
            throws IOException {
        this.channel = channel;
        this.local = (InetSocketAddress) channel.getLocalAddress();
        this.ipv6 = ipv6;
        this.maxPacket = maxPacket;
        this.receiver = receiver;
        this.name = (ipv6 ? "udp6/" : "udp4/") + local.getAddress().getHostAddress() + ":" + local.getPort();
    }

    /**
     * Binds a UDP socket and registers it with {@code loop} (which must be running). The socket's
     * family follows {@code bind}'s address.
     *
     * @param maxPacket largest packet to send (DECISIONS 27: 1400 over IPv4, 1232 over IPv6)
     */
    public static UdpTransport open(EventLoop loop, InetSocketAddress bind, int maxPacket, PacketReceiver receiver)
            throws IOException {
        boolean v6 = bind.getAddress() instanceof Inet6Address;
        DatagramChannel ch = DatagramChannel.open(v6 ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
        UdpTransport t;
        try {
            try {
                ch.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER);
                ch.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER);
            } catch (IOException | UnsupportedOperationException e) {
                LOG.log(System.Logger.Level.DEBUG, "socket buffer sizes not applied", e);
            }
            if (!v6) {
                // LAN discovery's broadcasts leave from the node's own socket (DECISIONS 37).
                ch.setOption(StandardSocketOptions.SO_BROADCAST, true);
            }
            ch.bind(bind);
            ch.configureBlocking(false);
            t = new UdpTransport(ch, v6, maxPacket, receiver);
            // On the loop thread itself (NAT traversal opening extra sockets) waiting for the loop
            // would stall it: register directly.
            t.key = loop.inLoop()
                    ? loop.register(ch, SelectionKey.OP_READ, t::onReadable)
                    : loop.submit(() -> loop.register(ch, SelectionKey.OP_READ, t::onReadable))
                            .get(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            ch.close();
            throw e;
        } catch (ExecutionException e) {
            ch.close();
            throw new IOException("cannot register the UDP socket with the event loop", e.getCause());
        } catch (TimeoutException e) {
            ch.close();
            throw new IOException("event loop did not register the UDP socket", e);
        } catch (InterruptedException e) {
            ch.close();
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while registering the UDP socket");
        }
        LOG.log(System.Logger.Level.DEBUG, "bound {0}", t.name);
        return t;
    }

    /**
     * Binds the node's default pair of sockets (DECISIONS 40): the IPv4 wildcard and the IPv6
     * wildcard, on one port. The IPv4 socket binds first and alone, so the port is this node's;
     * then, for the moment of the second bind only, both allow address reuse, so the IPv6 socket
     * can take the same port (a JDK IPv6 socket is dual-stack and would otherwise collide with the
     * IPv4 one); the kernel hands IPv4 traffic to the IPv4 socket, which matches the family
     * exactly. With {@code port} 0 the IPv6 socket falls back to a port of its own if the IPv4
     * socket's is taken for IPv6; with a configured port that cannot be had on both families this
     * fails with a {@link java.net.BindException} saying so. A host without IPv6 at all gets the
     * IPv4 socket alone.
     */
    public static java.util.List<UdpTransport> openPair(
            EventLoop loop, int port, int maxPacket4, int maxPacket6, PacketReceiver receiver) throws IOException {
        InetSocketAddress any4 = new InetSocketAddress(java.net.InetAddress.getByAddress(new byte[4]), port);
        DatagramChannel c4 = DatagramChannel.open(StandardProtocolFamily.INET);
        DatagramChannel c6 = null;
        try {
            prepare(c4, false);
            try {
                c4.bind(any4);
            } catch (IOException e) {
                throw bindFailure("UDP port " + port + " cannot be bound for IPv4: " + e.getMessage(), e);
            }
            int p = ((InetSocketAddress) c4.getLocalAddress()).getPort();
            try {
                c6 = DatagramChannel.open(StandardProtocolFamily.INET6);
            } catch (UnsupportedOperationException | IOException e) {
                LOG.log(System.Logger.Level.INFO, "no IPv6 on this host: IPv4 only (" + e + ")");
            }
            if (c6 != null) {
                prepare(c6, true);
                InetSocketAddress any6 = new InetSocketAddress(java.net.InetAddress.getByAddress(new byte[16]), p);
                try {
                    c4.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                    c6.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                    c6.bind(any6);
                } catch (IOException e) {
                    if (port != 0) {
                        throw bindFailure(
                                "UDP port " + port + " is bound for IPv4 but cannot be bound for IPv6 ("
                                        + e.getMessage() + "): choose another port, or bind addresses one by one",
                                e);
                    }
                    c6.close();
                    c6 = DatagramChannel.open(StandardProtocolFamily.INET6);
                    prepare(c6, true);
                    c6.bind(new InetSocketAddress(any6.getAddress(), 0));
                } finally {
                    // From now on nobody else may share either port.
                    c4.setOption(StandardSocketOptions.SO_REUSEADDR, false);
                    if (c6.isOpen()) {
                        c6.setOption(StandardSocketOptions.SO_REUSEADDR, false);
                    }
                }
            }
            java.util.List<UdpTransport> l = new java.util.ArrayList<>();
            l.add(register(loop, c4, false, maxPacket4, receiver));
            if (c6 != null) {
                DatagramChannel six = c6;
                c6 = null;
                try {
                    l.add(register(loop, six, true, maxPacket6, receiver));
                } catch (IOException e) {
                    l.get(0).close();
                    throw e;
                }
            }
            return l;
        } catch (IOException | RuntimeException e) {
            c4.close();
            if (c6 != null) {
                c6.close();
            }
            throw e;
        }
    }

    private static java.net.BindException bindFailure(String message, IOException cause) {
        java.net.BindException b = new java.net.BindException(message);
        b.initCause(cause);
        return b;
    }

    private static void prepare(DatagramChannel ch, boolean v6) throws IOException {
        try {
            ch.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER);
            ch.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.log(System.Logger.Level.DEBUG, "socket buffer sizes not applied", e);
        }
        if (!v6) {
            ch.setOption(StandardSocketOptions.SO_BROADCAST, true);
        }
    }

    /** Registers a bound channel with the loop; closes it on failure. */
    private static UdpTransport register(
            EventLoop loop, DatagramChannel ch, boolean v6, int maxPacket, PacketReceiver receiver) throws IOException {
        UdpTransport t;
        try {
            ch.configureBlocking(false);
            t = new UdpTransport(ch, v6, maxPacket, receiver);
            t.key = loop.submit(() -> loop.register(ch, SelectionKey.OP_READ, t::onReadable))
                    .get(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            ch.close();
            throw e;
        } catch (ExecutionException e) {
            ch.close();
            throw new IOException("cannot register the UDP socket with the event loop", e.getCause());
        } catch (TimeoutException e) {
            ch.close();
            throw new IOException("event loop did not register the UDP socket", e);
        } catch (InterruptedException e) {
            ch.close();
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while registering the UDP socket");
        }
        LOG.log(System.Logger.Level.DEBUG, "bound {0}", t.name);
        return t;
    }

    private void onReadable(SelectionKey k) throws IOException {
        try {
            readBatch(k);
        } finally {
            receiver.endOfBatch();
        }
    }

    /**
     * Reads and hands over whatever datagrams are waiting, without blocking: for a thread that
     * holds the event loop ({@link EventLoop#tryEnter()}) and waits for input. Loop holders only.
     *
     * @return true if at least one datagram was read
     */
    public boolean poll() {
        SelectionKey k = key;
        if (k == null || !channel.isOpen()) {
            return false;
        }
        try {
            return readBatch(k) > 0;
        } finally {
            receiver.endOfBatch();
        }
    }

    private int readBatch(SelectionKey k) {
        int i = 0;
        held = 0;
        try {
            for (; i < READ_BATCH; i++) {
                if (!readOne(k)) {
                    return i;
                }
            }
            return i;
        } finally {
            deliverHeld();
        }
    }

    /**
     * Reads one datagram: a small one (the common case) is copied into a slot and held, so that
     * up to {@link #HOLD} of them reach the receiver together ({@link PacketReceiver#receiveMany});
     * a large one first releases what is held, then goes alone, keeping the order.
     *
     * @return false once the socket has nothing more (or closed)
     */
    private boolean readOne(SelectionKey k) {
        rx.clear();
        SocketAddress src;
        try {
            src = channel.receive(rx);
        } catch (IOException e) {
            // e.g. ICMP-induced errors on some platforms: the socket stays usable.
            if (!channel.isOpen()) {
                k.cancel();
                return false;
            }
            LOG.log(System.Logger.Level.DEBUG, "UDP receive error on {0}: {1}", name, e.toString());
            return true;
        }
        if (src == null) {
            return false;
        }
        rx.flip();
        if (rx.remaining() > SLOT) {
            deliverHeld();
            receiver.receive(this, (InetSocketAddress) src, rx);
            return true;
        }
        ByteBuffer slot = slots[held];
        if (slot == null) {
            slot = ByteBuffer.allocate(SLOT);
            slots[held] = slot;
        }
        slot.clear();
        slot.put(rx).flip();
        sources[held++] = (InetSocketAddress) src;
        if (held == HOLD) {
            deliverHeld();
        }
        return true;
    }

    private void deliverHeld() {
        int n = held;
        held = 0;
        if (n == 1) {
            receiver.receive(this, sources[0], slots[0]);
        } else if (n > 1) {
            receiver.receiveMany(this, sources, slots, n);
        }
        java.util.Arrays.fill(sources, 0, n, null);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    /** True for an IPv6 socket. */
    public boolean isIpv6() {
        return ipv6;
    }

    @Override
    public boolean canReach(InetSocketAddress destination) {
        if (destination == null || destination.isUnresolved()) {
            return false;
        }
        boolean destV6 = destination.getAddress() instanceof Inet6Address;
        return destV6 == ipv6;
    }

    @Override
    public int maxPacketSize(InetSocketAddress destination) {
        return maxPacket;
    }

    @Override
    public boolean send(ByteBuffer packet, InetSocketAddress destination) throws IOException {
        return channel.send(packet, destination) > 0;
    }

    @Override
    public boolean isOpen() {
        return channel.isOpen();
    }

    @Override
    public void close() {
        SelectionKey k = key;
        if (k != null) {
            k.cancel();
        }
        try {
            channel.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing " + name, e);
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
