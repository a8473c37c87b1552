package org.anode.transport;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.anode.engine.EventLoop;
import org.anode.engine.PacketReceiver;
import org.anode.engine.Transport;
import org.anode.wire.FrameDecoder;
import org.anode.wire.WireException;

/**
 * The relay side of the HTTP transport (draft 2.9.3, DECISIONS 14, 38): a small HTTP/1.1 server
 * on the node's event loop. A {@code POST} body is a run of length-prefixed packets; the response
 * body carries the packets queued for that client, and a request that finds none is held up to
 * {@link CarrierLimits#holdTime()} (long poll), so a client keeps one request outstanding and gets
 * its packets as they come. {@code GET} of a configured path serves a fixed body (the zone file at
 * {@code /z}, DECISIONS 11), so one port does both.
 *
 * <p>A client is a <em>session</em>, named by the {@code s} query parameter of its request URI (a
 * random token the client picks, so that requests through a proxy, on any connection, reach the
 * same queue; without one, the connection is the session). Each session gets a synthetic source
 * address (in {@code 100::/64}, the discard-only prefix of RFC 6666) under which the engine sees its
 * packets and to which {@link #send} queues; the relay registers the client by its authenticated
 * packets like any other (DECISIONS 33). An optional {@code w} parameter (seconds) asks for a
 * shorter hold, for proxies that time requests out sooner.
 *
 * <p>Bounded ({@link CarrierLimits}): connections in all and per source IP, request head and body
 * size (413), a frame longer than the maximum or garbage (400, connection closed; the packets
 * before it count), time to complete a request (slowloris), idle keep-alive time, sessions and
 * bytes queued per session (beyond it packets are dropped). No chunked request bodies (411).
 */
public final class HttpTransport implements Transport {
    private static final System.Logger LOG = System.getLogger(HttpTransport.class.getName());
    private static final long SWEEP_NANOS = 500_000_000L;
    private static final int HEAD_END_LENGTH = 4;

    private final EventLoop loop;
    private final ServerSocketChannel server;
    private final InetSocketAddress local;
    private final CarrierLimits limits;
    private final PacketReceiver receiver;
    private final String name;
    private final Map<String, byte[]> statics = new ConcurrentHashMap<>();
    /** Loop thread only. */
    private final Map<Conn, Boolean> conns = new HashMap<>();

    private final Map<InetAddress, Integer> perSource = new HashMap<>();
    private final Map<String, Session> sessions = new HashMap<>();
    /** Read by {@link #send} from any thread. */
    private final Map<InetSocketAddress, Session> bySource = new ConcurrentHashMap<>();

    private final ByteBuffer sharedIn = ByteBuffer.allocate(16384);
    private long sessionSeq;
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong badRequests = new AtomicLong();
    private final AtomicLong timedOut = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private volatile SelectionKey key;
    private volatile boolean open = true;
    private EventLoop.Timer sweep;

    /** One client: its queue of framed packets and the request held for it. */
    private final class Session {
        final String token;
        final InetSocketAddress source;
        /** Framed packets waiting, guarded by this. */
        byte[] queue = new byte[0];

        int queued;
        boolean releaseScheduled;
        /** Loop thread only. */
        Conn held;

        EventLoop.Timer holdTimer;
        long lastSeen;

        Session(String token, InetSocketAddress source) {
            this.token = token;
            this.source = source;
        }

        /** Appends one framed packet; false if over the bound. */
        synchronized boolean offer(ByteBuffer packet) {
            int need = 2 + packet.remaining();
            if (queued + need > limits.maxQueuedBytes()) {
                return false;
            }
            if (queued + need > queue.length) {
                int cap = Math.min(limits.maxQueuedBytes(), Math.max(queue.length * 2, Math.max(4096, queued + need)));
                queue = java.util.Arrays.copyOf(queue, cap);
            }
            ByteBuffer b = ByteBuffer.wrap(queue, queued, need);
            FrameDecoder.writeFrame(b, packet);
            queued += need;
            return true;
        }

        /** Takes everything queued. */
        synchronized byte[] drain() {
            byte[] out = java.util.Arrays.copyOf(queue, queued);
            queued = 0;
            if (queue.length > 65536) {
                queue = new byte[0];
            }
            releaseScheduled = false;
            return out;
        }

        synchronized boolean isEmpty() {
            return queued == 0;
        }
    }

    private enum State {
        HEAD,
        BODY,
        HELD,
        WRITING
    }

    /** One HTTP connection. Loop thread only. */
    private final class Conn {
        final SocketChannel ch;
        final InetSocketAddress remote;
        SelectionKey key;
        State state = State.HEAD;
        /** Request head bytes (and, after a request, pipelined bytes of the next). */
        ByteBuffer head;

        long requestStart = Long.MIN_VALUE;
        long lastActivity;
        long bodyLeft;
        FrameDecoder decoder;
        Session session;
        boolean keepAlive;
        long holdNanos;
        ByteBuffer out;
        long writeStart;

        Conn(SocketChannel ch, InetSocketAddress remote) {
            this.ch = ch;
            this.remote = remote;
            this.lastActivity = loop.nanoTime();
        }
    }

    private HttpTransport(EventLoop loop, ServerSocketChannel server, CarrierLimits limits, PacketReceiver receiver)
            throws IOException {
        this.loop = loop;
        this.server = server;
        this.local = (InetSocketAddress) server.getLocalAddress();
        this.limits = limits;
        this.receiver = receiver;
        this.name = "http/" + local.getAddress().getHostAddress() + ":" + local.getPort();
    }

    /** Listens on {@code bind} and serves on {@code loop} (which must be running). */
    public static HttpTransport listen(
            EventLoop loop, InetSocketAddress bind, CarrierLimits limits, PacketReceiver receiver) throws IOException {
        ServerSocketChannel ss = ServerSocketChannel.open();
        try {
            ss.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ss.bind(bind, 256);
            ss.configureBlocking(false);
            HttpTransport t = new HttpTransport(loop, ss, limits, receiver);
            loop.submit(() -> {
                        t.key = loop.register(ss, SelectionKey.OP_ACCEPT, k -> t.accept());
                        t.sweep = loop.schedule(SWEEP_NANOS, t::sweep);
                        return null;
                    })
                    .get(10, TimeUnit.SECONDS);
            return t;
        } catch (ExecutionException e) {
            ss.close();
            throw new IOException("cannot register the HTTP listener", e.getCause());
        } catch (TimeoutException e) {
            ss.close();
            throw new IOException("event loop did not register the HTTP listener", e);
        } catch (InterruptedException e) {
            ss.close();
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while registering the HTTP listener");
        } catch (IOException | RuntimeException e) {
            ss.close();
            throw e;
        }
    }

    /** Serves {@code body} to {@code GET path} (e.g. the zone file at {@code /z}). Thread-safe. */
    public void serve(String path, byte[] body) {
        statics.put(path, body.clone());
    }

    // ------------------------------------------------------------------ accept, read

    private void accept() {
        for (int i = 0; i < 64 && open; i++) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (IOException e) {
                return;
            }
            if (ch == null) {
                return;
            }
            try {
                InetSocketAddress remote = (InetSocketAddress) ch.getRemoteAddress();
                if (conns.size() >= limits.maxConnections()
                        || perSource.getOrDefault(remote.getAddress(), 0) >= limits.maxConnectionsPerSource()) {
                    refused.incrementAndGet();
                    ch.close();
                    continue;
                }
                ch.configureBlocking(false);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                Conn c = new Conn(ch, remote);
                c.key = loop.register(ch, SelectionKey.OP_READ, k -> ready(c, k));
                conns.put(c, Boolean.TRUE);
                perSource.merge(remote.getAddress(), 1, Integer::sum);
            } catch (IOException e) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // already failing
                }
            }
        }
    }

    private void ready(Conn c, SelectionKey k) {
        if (!k.isValid()) {
            return;
        }
        if (k.isWritable() && c.state == State.WRITING) {
            write(c);
            return;
        }
        if (k.isReadable()) {
            try {
                read(c);
            } finally {
                receiver.endOfBatch();
            }
        }
    }

    private void read(Conn c) {
        for (int r = 0; r < 8 && c.key.isValid() && (c.state == State.HEAD || c.state == State.BODY); r++) {
            sharedIn.clear();
            int n;
            try {
                n = c.ch.read(sharedIn);
            } catch (IOException e) {
                close(c);
                return;
            }
            if (n < 0) {
                close(c);
                return;
            }
            if (n == 0) {
                return;
            }
            sharedIn.flip();
            c.lastActivity = loop.nanoTime();
            if (c.requestStart == Long.MIN_VALUE) {
                c.requestStart = c.lastActivity;
            }
            consume(c, sharedIn);
        }
    }

    /** Feeds received bytes to the request in progress. */
    private void consume(Conn c, ByteBuffer in) {
        while (in.hasRemaining() && c.key.isValid()) {
            if (c.state == State.HEAD) {
                if (c.head == null) {
                    c.head = ByteBuffer.allocate(limits.maxHeaderBytes());
                }
                int before = c.head.position();
                int take = Math.min(in.remaining(), c.head.remaining());
                if (take == 0) {
                    fail(c, 431, "Request Header Fields Too Large");
                    return;
                }
                c.head.put(in.array(), in.arrayOffset() + in.position(), take);
                int end = indexOf(c.head.array(), Math.max(0, before - 3), c.head.position());
                if (end < 0) {
                    in.position(in.position() + take);
                    continue;
                }
                // Only the head is consumed from 'in'; what was copied beyond it (body, next
                // request) is read again from 'in'.
                in.position(in.position() + end + HEAD_END_LENGTH - before);
                String head = new String(c.head.array(), 0, end, StandardCharsets.ISO_8859_1);
                c.head.clear();
                if (!startRequest(c, head)) {
                    return;
                }
            } else if (c.state == State.BODY) {
                int take = (int) Math.min(in.remaining(), c.bodyLeft);
                ByteBuffer slice = in.slice();
                slice.limit(take);
                in.position(in.position() + take);
                c.bodyLeft -= take;
                try {
                    ByteBuffer p;
                    while ((p = c.decoder.next(slice)) != null) {
                        receiver.receive(this, c.session.source, p);
                    }
                    if (c.bodyLeft == 0) {
                        c.decoder.endOfStream();
                        endRequest(c);
                    }
                } catch (WireException e) {
                    fail(c, 400, "Bad Request");
                    return;
                }
            } else {
                // Pipelined bytes while a request is held or answered: keep them for later.
                if (c.head == null) {
                    c.head = ByteBuffer.allocate(limits.maxHeaderBytes());
                }
                if (in.remaining() > c.head.remaining()) {
                    fail(c, 431, "Request Header Fields Too Large");
                    return;
                }
                c.head.put(in);
            }
        }
    }

    private static int indexOf(byte[] a, int from, int to) {
        for (int i = from; i + 3 < to; i++) {
            if (a[i] == '\r' && a[i + 1] == '\n' && a[i + 2] == '\r' && a[i + 3] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** Parses a complete head; false if the connection was answered with an error and closed. */
    private boolean startRequest(Conn c, String head) {
        requests.incrementAndGet();
        String[] lines = head.split("\r\n");
        String[] rl = lines[0].split(" ");
        if (rl.length != 3 || !rl[2].startsWith("HTTP/1.")) {
            fail(c, 400, "Bad Request");
            return false;
        }
        long contentLength = -1;
        boolean chunked = false;
        boolean close = rl[2].equals("HTTP/1.0");
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon <= 0) {
                fail(c, 400, "Bad Request");
                return false;
            }
            String k = lines[i].substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT);
            String v = lines[i].substring(colon + 1).trim();
            switch (k) {
                case "content-length" -> {
                    try {
                        contentLength = Long.parseLong(v);
                    } catch (NumberFormatException e) {
                        fail(c, 400, "Bad Request");
                        return false;
                    }
                }
                case "transfer-encoding" -> chunked = !v.equalsIgnoreCase("identity");
                case "connection", "proxy-connection" -> {
                    if (v.toLowerCase(java.util.Locale.ROOT).contains("close")) {
                        close = true;
                    } else if (v.toLowerCase(java.util.Locale.ROOT).contains("keep-alive")) {
                        close = false;
                    }
                }
                default -> {
                    // Anything else is ignored (draft 2.9.3: only the payload matters).
                }
            }
        }
        c.keepAlive = !close;
        String target = rl[1];
        if (target.startsWith("http://") || target.startsWith("https://")) {
            int slash = target.indexOf('/', target.indexOf("//") + 2);
            target = slash < 0 ? "/" : target.substring(slash);
        }
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        String query = q < 0 ? "" : target.substring(q + 1);
        if (rl[0].equals("GET") || rl[0].equals("HEAD")) {
            byte[] body = statics.get(path);
            if (body == null) {
                respond(c, 404, "Not Found", new byte[0], true);
            } else {
                respond(c, 200, "OK", rl[0].equals("HEAD") ? new byte[0] : body, false);
            }
            return true;
        }
        if (!rl[0].equals("POST")) {
            respond(c, 405, "Method Not Allowed", new byte[0], true);
            return false;
        }
        if (chunked || contentLength < 0) {
            fail(c, 411, "Length Required");
            return false;
        }
        if (contentLength > limits.maxBodyBytes()) {
            fail(c, 413, "Payload Too Large");
            return false;
        }
        Session s = session(c, param(query, "s"));
        if (s == null) {
            fail(c, 503, "Service Unavailable");
            return false;
        }
        c.session = s;
        long hold = limits.holdTime().toNanos();
        String w = param(query, "w");
        if (w != null) {
            try {
                hold = Math.min(hold, TimeUnit.SECONDS.toNanos(Math.max(0, Integer.parseInt(w))));
            } catch (NumberFormatException e) {
                // a bad hint is ignored
            }
        }
        c.holdNanos = hold;
        if (c.decoder == null) {
            c.decoder = new FrameDecoder(limits.maxFrameLength());
        }
        c.bodyLeft = contentLength;
        c.state = State.BODY;
        if (contentLength == 0) {
            endRequest(c);
        }
        return true;
    }

    private static String param(String query, String name) {
        for (String kv : query.split("&")) {
            if (kv.startsWith(name + "=")) {
                String v = kv.substring(name.length() + 1);
                return v.isEmpty() || v.length() > 64 ? null : v;
            }
        }
        return null;
    }

    /** The session named by {@code token} (made if new), or null if the table is full. */
    private Session session(Conn c, String token) {
        String key = token != null ? "s:" + token : "c:" + c.remote;
        Session s = sessions.get(key);
        if (s == null) {
            if (sessions.size() >= limits.maxSessions()) {
                return null;
            }
            long n = ++sessionSeq;
            byte[] ip = new byte[16];
            ip[0] = 0x01;
            for (int i = 0; i < 8; i++) {
                ip[15 - i] = (byte) (n >>> (8 * i));
            }
            try {
                s = new Session(key, new InetSocketAddress(Inet6Address.getByAddress(null, ip, -1), local.getPort()));
            } catch (java.net.UnknownHostException e) {
                throw new IllegalStateException(e);
            }
            sessions.put(key, s);
            bySource.put(s.source, s);
        }
        s.lastSeen = loop.nanoTime();
        return s;
    }

    /** A POST body is complete: answer now if packets wait, else hold the request. */
    private void endRequest(Conn c) {
        Session s = c.session;
        c.requestStart = Long.MIN_VALUE;
        s.lastSeen = loop.nanoTime();
        if (!s.isEmpty() || c.holdNanos == 0) {
            answer(c);
            return;
        }
        if (s.held != null && s.held != c) {
            // One held request per session: the older one goes back (empty), this one waits.
            Conn old = s.held;
            answer(old);
        }
        c.state = State.HELD;
        c.key.interestOps(0);
        s.held = c;
        s.holdTimer = loop.schedule(c.holdNanos, () -> {
            if (s.held == c) {
                answer(c);
            }
        });
    }

    /** Answers {@code c}'s POST with everything queued for its session. */
    private void answer(Conn c) {
        Session s = c.session;
        if (s.held == c) {
            s.held = null;
            if (s.holdTimer != null) {
                s.holdTimer.cancel();
                s.holdTimer = null;
            }
        }
        respond(c, 200, "OK", s.drain(), false);
    }

    private void release(Session s) {
        Conn c = s.held;
        if (c != null && c.state == State.HELD) {
            answer(c);
        } else {
            synchronized (s) {
                s.releaseScheduled = false;
            }
        }
    }

    // ------------------------------------------------------------------ write

    private void respond(Conn c, int code, String reason, byte[] body, boolean close) {
        if (close) {
            c.keepAlive = false;
        }
        byte[] h = ("HTTP/1.1 " + code + " " + reason + "\r\nContent-Type: application/octet-stream\r\n"
                        + "Cache-Control: no-store\r\nContent-Length: " + body.length + "\r\n"
                        + (c.keepAlive ? "" : "Connection: close\r\n") + "\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer out = ByteBuffer.allocate(h.length + body.length);
        out.put(h).put(body).flip();
        c.out = out;
        c.state = State.WRITING;
        c.writeStart = loop.nanoTime();
        write(c);
    }

    private void write(Conn c) {
        try {
            c.ch.write(c.out);
        } catch (IOException e) {
            close(c);
            return;
        }
        if (c.out.hasRemaining()) {
            if (c.key.isValid()) {
                c.key.interestOps(SelectionKey.OP_WRITE);
            }
            return;
        }
        c.out = null;
        if (!c.keepAlive) {
            close(c);
            return;
        }
        c.state = State.HEAD;
        c.session = null;
        c.lastActivity = loop.nanoTime();
        if (!c.key.isValid()) {
            return;
        }
        c.key.interestOps(SelectionKey.OP_READ);
        if (c.head != null && c.head.position() > 0) {
            // A pipelined request arrived meanwhile.
            ByteBuffer pending = ByteBuffer.allocate(c.head.position());
            pending.put(c.head.array(), 0, c.head.position()).flip();
            c.head.clear();
            c.requestStart = c.lastActivity;
            consume(c, pending);
            receiver.endOfBatch();
        }
    }

    private void fail(Conn c, int code, String reason) {
        badRequests.incrementAndGet();
        respond(c, code, reason, new byte[0], true);
    }

    private void close(Conn c) {
        if (conns.remove(c) == null) {
            return;
        }
        perSource.computeIfPresent(c.remote.getAddress(), (a, n) -> n <= 1 ? null : n - 1);
        if (c.session != null && c.session.held == c) {
            c.session.held = null;
            if (c.session.holdTimer != null) {
                c.session.holdTimer.cancel();
            }
        }
        c.key.cancel();
        try {
            c.ch.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing HTTP connection", e);
        }
    }

    /** Closes stalled and idle connections, ends idle sessions. */
    private void sweep() {
        sweep = null;
        if (!open) {
            return;
        }
        long now = loop.nanoTime();
        long request = limits.requestTimeout().toNanos();
        long idle = limits.idleTimeout().toNanos();
        for (Iterator<Conn> it = new java.util.ArrayList<>(conns.keySet()).iterator(); it.hasNext(); ) {
            Conn c = it.next();
            boolean stalled = switch (c.state) {
                case HEAD ->
                    c.requestStart != Long.MIN_VALUE ? now - c.requestStart > request : now - c.lastActivity > idle;
                case BODY -> now - c.requestStart > request;
                case WRITING -> now - c.writeStart > request;
                case HELD -> false;
            };
            if (stalled) {
                timedOut.incrementAndGet();
                close(c);
            }
        }
        long life = limits.sessionLifetime().toNanos();
        for (Iterator<Session> it = sessions.values().iterator(); it.hasNext(); ) {
            Session s = it.next();
            if (s.held == null && now - s.lastSeen > life) {
                it.remove();
                bySource.remove(s.source);
            }
        }
        sweep = loop.schedule(SWEEP_NANOS, this::sweep);
    }

    // ------------------------------------------------------------------ Transport

    @Override
    public String name() {
        return name;
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    /** True for the synthetic source address of a live session. */
    @Override
    public boolean canReach(InetSocketAddress destination) {
        return destination != null && bySource.containsKey(destination);
    }

    @Override
    public int maxPacketSize(InetSocketAddress destination) {
        return limits.maxFrameLength();
    }

    /**
     * Queues the packet for the session whose synthetic address is {@code destination}, answering
     * its held request if there is one.
     *
     * @return false if there is no such session or its queue is full (the packet is dropped)
     */
    @Override
    public boolean send(ByteBuffer packet, InetSocketAddress destination) throws IOException {
        if (!open) {
            throw new java.nio.channels.ClosedChannelException();
        }
        Session s = bySource.get(destination);
        if (s == null || !s.offer(packet)) {
            dropped.incrementAndGet();
            return false;
        }
        boolean schedule;
        synchronized (s) {
            schedule = !s.releaseScheduled;
            s.releaseScheduled = true;
        }
        if (schedule) {
            loop.execute(() -> release(s));
        }
        return true;
    }

    /**
     * Counters: connections refused by the bounds, requests answered with an error, connections
     * closed by a timeout, packets dropped, requests seen.
     */
    public long[] counters() {
        return new long[] {refused.get(), badRequests.get(), timedOut.get(), dropped.get(), requests.get()};
    }

    /** Sessions alive now. */
    public int sessionCount() {
        return bySource.size();
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        if (!open) {
            return;
        }
        open = false;
        SelectionKey k = key;
        if (k != null) {
            k.cancel();
        }
        try {
            server.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing " + name, e);
        }
        Runnable closeAll = () -> {
            for (Conn c : new java.util.ArrayList<>(conns.keySet())) {
                close(c);
            }
            if (sweep != null) {
                sweep.cancel();
            }
        };
        if (loop.inLoop()) {
            closeAll.run();
            return;
        }
        if (loop.isRunning()) {
            try {
                loop.submit(() -> {
                            closeAll.run();
                            return null;
                        })
                        .get(5, TimeUnit.SECONDS);
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException | IllegalStateException e) {
                LOG.log(System.Logger.Level.DEBUG, "closing " + name + " on the loop", e);
            }
        }
        if (!loop.isRunning() || loop.isTerminated()) {
            // Nobody runs the loop any more: the connections can be closed from here.
            closeAll.run();
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
