package org.anode.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.List;
import org.anode.address.AnodeAddress;
import org.anode.address.ShortId;
import org.anode.engine.EventLoop;
import org.anode.engine.PacketReceiver;
import org.anode.engine.Transport;

/**
 * The way to one zone relay, over whichever carrier works (draft 2.9.1-2.9.3, DECISIONS 38): UDP,
 * else one framed TCP connection to the relay's zr TCP port, else HTTP POSTs to its {@code zh}
 * URIs, chosen by {@link FallbackPolicy}. To the engine it is one transport and the relay one
 * endpoint (its UDP endpoint from the zr entry), whatever carries the packets: packets arriving
 * over any carrier are handed over as coming from that endpoint over this link, so peers reached
 * through the relay, and streams to them, never see a carrier change.
 *
 * <p>UDP packets from the relay arrive on the node's UDP socket; the node hands them here
 * ({@link #udpHeard()}, then the engine with this link as the transport). When the carrier changes
 * away from UDP, the packets sent over UDP in the last moments (the unanswered PINGs that showed
 * UDP is blocked) are re-sent over the new carrier, so registration does not wait for the next
 * keepalive. The TCP connection and HTTP polling stay up for a while after a return to UDP, so
 * that what the relay still sends that way arrives.
 */
public final class RelayLink implements Transport {
    private static final System.Logger LOG = System.getLogger(RelayLink.class.getName());
    private static final long TICK_NANOS = 250_000_000L;
    /** After a return to UDP, the TCP connection and HTTP polling stay this long (relay registration lifetime). */
    private static final long LINGER_NANOS = 120_000_000_000L;
    /**
     * Forwarded packets sent over UDP with nothing heard from the relay for this long make the
     * link PING the relay itself: its answer, not the peers', says whether UDP still works.
     */
    private static final long FORWARD_SILENCE_NANOS = 1_000_000_000L;

    private static final long NONE = Long.MIN_VALUE;

    private static final int RECENT = 8;
    private static final int SLOT = 2048;

    private final EventLoop loop;
    private final Transport udp;
    private final InetSocketAddress endpoint;
    private final InetSocketAddress tcpEndpoint;
    private final FallbackConfig config;
    private final PacketReceiver receiver;
    private final FallbackPolicy policy;
    private final HttpCarrier http;
    private final String name;
    /** Recently sent packets, for re-sending on a carrier change; guarded by this. */
    private final byte[][] recent = new byte[RECENT][SLOT];

    private final int[] recentLength = new int[RECENT];
    private final long[] recentTime = new long[RECENT];
    private int recentNext;
    private volatile FramedConnection tcp;
    private SocketChannel connecting;
    private EventLoop.Timer tick;
    private volatile boolean open = true;
    private long udpSince;
    private final ByteBuffer tcpIn = ByteBuffer.allocate(16384);
    private final AnodeAddress relay;
    private final Runnable prober;
    /** Set when a UDP probe is due: the next packet for the relay itself also goes over UDP. */
    private volatile boolean probeArmed;
    /** Since when packets for others went out over UDP with nothing heard from the relay; guarded by this. */
    private long forwardUnheardSince = NONE;

    private volatile boolean httpFailing;
    private boolean tcpWasConnected;

    /**
     * @param udp the node's UDP transport that reaches {@code endpoint}
     * @param endpoint the relay's UDP endpoint (zr entry)
     * @param tcpEndpoint the relay's TCP endpoint (zr entry), or null
     * @param httpUris the relay's HTTP URIs ({@code zh} entry), possibly empty
     * @param receiver where packets from the relay go (the node's receiver)
     * @param relay the relay's address: packets addressed to it are the ones that can probe UDP
     * @param prober sends the relay a PING (over this link) when a UDP probe is due
     */
    public RelayLink(
            EventLoop loop,
            Transport udp,
            InetSocketAddress endpoint,
            InetSocketAddress tcpEndpoint,
            List<URI> httpUris,
            FallbackConfig config,
            PacketReceiver receiver,
            AnodeAddress relay,
            Runnable prober) {
        this.relay = relay;
        this.prober = prober;
        this.loop = loop;
        this.udp = udp;
        this.endpoint = endpoint;
        this.tcpEndpoint = tcpEndpoint;
        this.config = config;
        this.receiver = receiver;
        this.policy = new FallbackPolicy(config, tcpEndpoint != null, !httpUris.isEmpty(), loop.nanoTime());
        this.http = httpUris.isEmpty()
                ? null
                : new HttpCarrier(httpUris, config, loop, new HttpCarrier.Listener() {
                    @Override
                    public void packets(List<ByteBuffer> packets) {
                        loop.execute(() -> {
                            for (ByteBuffer p : packets) {
                                receiver.receive(RelayLink.this, endpoint, p);
                            }
                            receiver.endOfBatch();
                        });
                    }

                    @Override
                    public void succeeded() {
                        if (httpFailing) {
                            // The relay is back (e.g. restarted): register again now, not at the next keepalive.
                            httpFailing = false;
                            if (prober != null) {
                                loop.execute(prober);
                            }
                        }
                    }

                    @Override
                    public void failed(String why) {
                        httpFailing = true;
                        LOG.log(System.Logger.Level.DEBUG, "{0}: HTTP: {1}", name(), why);
                    }
                });
        this.name = "relay-link/" + endpoint.getAddress().getHostAddress() + ":" + endpoint.getPort();
        loop.execute(() -> tick = loop.schedule(TICK_NANOS, this::tick));
    }

    /** The relay's UDP endpoint: the one address the engine knows the relay by. */
    public InetSocketAddress endpoint() {
        return endpoint;
    }

    /** The carrier in use now. */
    public synchronized FallbackPolicy.Carrier carrier() {
        return policy.carrier();
    }

    /** The node's UDP transport under this link. */
    public Transport udp() {
        return udp;
    }

    @Override
    public Transport underlying() {
        return udp;
    }

    /** A packet from the relay arrived over UDP (the node then hands it to the engine via this link). */
    public void udpHeard() {
        FallbackPolicy.Carrier before;
        FallbackPolicy.Carrier after;
        long now = loop.nanoTime();
        synchronized (this) {
            before = policy.carrier();
            forwardUnheardSince = NONE;
            policy.udpHeard(now);
            after = policy.carrier();
        }
        if (before != after) {
            changed(after, now);
        }
    }

    // ------------------------------------------------------------------ Transport

    @Override
    public String name() {
        return name;
    }

    @Override
    public InetSocketAddress localAddress() {
        return udp.localAddress();
    }

    @Override
    public boolean canReach(InetSocketAddress destination) {
        return endpoint.equals(destination);
    }

    @Override
    public int maxPacketSize(InetSocketAddress destination) {
        return udp.maxPacketSize(destination);
    }

    @Override
    public boolean send(ByteBuffer packet, InetSocketAddress destination) throws IOException {
        if (!open) {
            throw new java.nio.channels.ClosedChannelException();
        }
        long now = loop.nanoTime();
        FallbackPolicy.Carrier c;
        boolean probe;
        synchronized (this) {
            c = policy.carrier();
            probe = probeArmed && c != FallbackPolicy.Carrier.UDP && isForRelay(packet);
            if (probe) {
                probeArmed = false;
            }
            // Only what the relay itself must answer (PINGs, NETID) starts the silence clock
            // (DECISIONS 38: no PONG to 3 PINGs): packets it forwards are answered by their
            // recipients, possibly over another path (a peer that already went direct), and
            // counting them made a busy link leave UDP that worked.
            if (probe || c == FallbackPolicy.Carrier.UDP) {
                if (probe || isForRelay(packet)) {
                    policy.udpSent(now);
                } else if (forwardUnheardSince == NONE) {
                    forwardUnheardSince = now;
                }
            }
            remember(packet, now);
        }
        if (probe) {
            try {
                udp.send(packet.duplicate(), endpoint);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "{0}: UDP probe: {1}", name, e.toString());
            }
        }
        switch (c) {
            case UDP:
                return udp.send(packet, endpoint);
            case TCP: {
                FramedConnection t = tcp;
                if (t == null || t.isClosed()) {
                    // Re-sent from the recent packets once connected.
                    packet.position(packet.limit());
                    return true;
                }
                synchronized (this) {
                    policy.tcpSent(now);
                }
                try {
                    return t.send(packet);
                } catch (IOException e) {
                    t.close(e.toString());
                    packet.position(packet.limit());
                    return true;
                }
            }
            default:
                return http.enqueue(packet);
        }
    }

    /** True if the packet is addressed to the relay itself (draft 3: the recipient field). */
    private boolean isForRelay(ByteBuffer packet) {
        int p = packet.position();
        if (relay == null || packet.remaining() < org.anode.wire.PacketFormat.MIN_HEADER_LENGTH) {
            return false;
        }
        int flags = packet.get(p + org.anode.wire.PacketFormat.FLAGS) & 0xff;
        if (packet.remaining() < org.anode.wire.PacketFormat.headerLength(flags)) {
            return false;
        }
        int r = p
                + org.anode.wire.PacketFormat.SENDER
                + ((flags & org.anode.wire.PacketFormat.FLAG_SENDER_FULL) != 0 ? AnodeAddress.LENGTH : ShortId.LENGTH);
        if ((flags & org.anode.wire.PacketFormat.FLAG_RECIPIENT_FULL) != 0) {
            return relay.matches(packet, r);
        }
        return packet.getLong(r) == relay.shortId().value();
    }

    private void remember(ByteBuffer packet, long now) {
        int n = packet.remaining();
        if (n > SLOT) {
            return;
        }
        int i = recentNext;
        recentNext = (i + 1) % RECENT;
        packet.get(packet.position(), recent[i], 0, n);
        recentLength[i] = n;
        recentTime[i] = now;
    }

    /** Re-sends, over the current carrier, what went out in the last UDP timeout. */
    private void resendRecent(long now) {
        long window = config.udpTimeout().toNanos() + TICK_NANOS;
        java.util.List<ByteBuffer> again = new java.util.ArrayList<>();
        synchronized (this) {
            for (int k = 0; k < RECENT; k++) {
                int i = (recentNext + k) % RECENT;
                if (recentLength[i] > 0 && now - recentTime[i] <= window) {
                    again.add(ByteBuffer.wrap(java.util.Arrays.copyOf(recent[i], recentLength[i])));
                }
            }
        }
        for (ByteBuffer b : again) {
            try {
                sendOnCarrier(b);
            } catch (IOException e) {
                return;
            }
        }
    }

    private void sendOnCarrier(ByteBuffer b) throws IOException {
        FallbackPolicy.Carrier c = carrier();
        if (c == FallbackPolicy.Carrier.TCP) {
            FramedConnection t = tcp;
            if (t != null && !t.isClosed()) {
                t.send(b);
            }
        } else if (c == FallbackPolicy.Carrier.HTTP) {
            http.enqueue(b);
        }
    }

    // ------------------------------------------------------------------ carriers

    private void tick() {
        tick = null;
        if (!open) {
            return;
        }
        long now = loop.nanoTime();
        boolean changed;
        boolean tcpDue;
        FallbackPolicy.Carrier c;
        synchronized (this) {
            changed = policy.tick(now);
            c = policy.carrier();
            tcpDue = tcp == null && connecting == null && policy.tcpAttemptDue(now);
            if (tcpDue) {
                policy.tcpAttemptStarted(now);
            }
        }
        if (changed) {
            changed(c, now);
        }
        if (tcpDue) {
            connect();
        }
        boolean probe;
        boolean askRelay = false;
        synchronized (this) {
            probe = prober != null && policy.probeDue(now);
            if (prober != null
                    && c == FallbackPolicy.Carrier.UDP
                    && forwardUnheardSince != NONE
                    && now - forwardUnheardSince >= FORWARD_SILENCE_NANOS) {
                // Re-armed by the next forwarded packet: at most one PING a second while it lasts.
                forwardUnheardSince = NONE;
                askRelay = true;
            }
        }
        if (probe) {
            probeArmed = true;
            prober.run();
        } else if (askRelay) {
            prober.run();
        }
        if (c == FallbackPolicy.Carrier.UDP && now - udpSince > LINGER_NANOS) {
            FramedConnection t = tcp;
            if (t != null) {
                t.close("back on UDP");
            }
            if (http != null && http.isRunning()) {
                http.stop();
            }
        }
        tick = loop.schedule(TICK_NANOS, this::tick);
    }

    private void changed(FallbackPolicy.Carrier c, long now) {
        LOG.log(System.Logger.Level.INFO, "{0}: now over {1}", name, c);
        switch (c) {
            case UDP -> udpSince = now;
            case TCP -> {
                FramedConnection t = tcp;
                if (t != null && !t.isClosed()) {
                    resendRecent(now);
                }
            }
            case HTTP -> {
                http.start();
                resendRecent(now);
            }
        }
    }

    private void connect() {
        try {
            SocketChannel ch = SocketChannel.open();
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            connecting = ch;
            boolean done = ch.connect(tcpEndpoint);
            if (done) {
                connected(ch);
                return;
            }
            // The key stays: once connected, the connection re-registers the channel for reading.
            SelectionKey k = loop.register(ch, SelectionKey.OP_CONNECT, key -> {
                try {
                    if (ch.finishConnect()) {
                        key.interestOps(0);
                        connected(ch);
                    }
                } catch (IOException e) {
                    key.cancel();
                    connectFailed(ch, e.toString());
                }
            });
            loop.schedule(config.tcpConnectTimeout().toNanos(), () -> {
                if (connecting == ch) {
                    k.cancel();
                    connectFailed(ch, "connect timed out");
                }
            });
        } catch (IOException e) {
            connectFailed(connecting, e.toString());
        }
    }

    private void connectFailed(SocketChannel ch, String why) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // already failed
            }
        }
        connecting = null;
        LOG.log(System.Logger.Level.DEBUG, "{0}: TCP to {1}: {2}", name, tcpEndpoint, why);
        failTcp();
    }

    private void failTcp() {
        long now = loop.nanoTime();
        FallbackPolicy.Carrier before;
        FallbackPolicy.Carrier after;
        synchronized (this) {
            before = policy.carrier();
            policy.tcpFailed(now);
            after = policy.carrier();
        }
        if (before != after) {
            changed(after, now);
        }
    }

    private void connected(SocketChannel ch) {
        if (connecting != ch) {
            return;
        }
        connecting = null;
        if (!open) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            return;
        }
        FramedConnection c = new FramedConnection(
                loop, ch, tcpEndpoint, 65535, config.maxQueuedBytes(), tcpIn, new FramedConnection.Listener() {
                    @Override
                    public void frame(FramedConnection conn, ByteBuffer packet) {
                        synchronized (RelayLink.this) {
                            policy.tcpHeard(loop.nanoTime());
                        }
                        receiver.receive(RelayLink.this, endpoint, packet);
                    }

                    @Override
                    public void endOfBatch(FramedConnection conn) {
                        receiver.endOfBatch();
                    }

                    @Override
                    public void closed(FramedConnection conn, String reason) {
                        if (tcp == conn) {
                            tcp = null;
                            if (open && !reason.equals("back on UDP")) {
                                failTcp();
                            }
                        }
                    }
                });
        try {
            c.register();
        } catch (IOException e) {
            connectFailed(ch, e.toString());
            return;
        }
        tcp = c;
        long now = loop.nanoTime();
        FallbackPolicy.Carrier before;
        FallbackPolicy.Carrier after;
        synchronized (this) {
            before = policy.carrier();
            policy.tcpConnected(now);
            after = policy.carrier();
        }
        LOG.log(System.Logger.Level.DEBUG, "{0}: TCP connected to {1}", name, tcpEndpoint);
        if (before != after) {
            changed(after, now);
        } else if (after == FallbackPolicy.Carrier.TCP) {
            resendRecent(now);
        }
        if (tcpWasConnected && after == FallbackPolicy.Carrier.TCP && prober != null) {
            // A reconnection (the relay restarted?): register again at once.
            prober.run();
        }
        tcpWasConnected = true;
    }

    @Override
    public boolean isOpen() {
        return open && udp.isOpen();
    }

    @Override
    public void close() {
        open = false;
        FramedConnection t = tcp;
        if (t != null) {
            t.close("link closed");
        }
        if (http != null) {
            http.stop();
        }
        SocketChannel ch = connecting;
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        EventLoop.Timer k = tick;
        if (k != null) {
            k.cancel();
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
