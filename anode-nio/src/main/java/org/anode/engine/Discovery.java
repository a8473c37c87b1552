package org.anode.engine;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.anode.address.AnodeAddress;
import org.anode.wire.MessageType;
import org.anode.wire.PacketFormat;
import org.anode.wire.PacketReader;
import org.anode.wire.WireException;

/**
 * LAN discovery's rules, sans I/O (draft 4.2.6, DECISIONS 31 and 37): what to broadcast when, and
 * what a packet that arrived on the discovery port may cause. The socket side
 * ({@code org.anode.transport.LanDiscovery}) hands packets in and sends what {@link Io#broadcast}
 * is given to UDP port 8737 at every broadcast target; a clock drives {@link #tick}.
 *
 * <ul>
 *   <li><b>Announcement</b> (sent at start and every {@link #ANNOUNCE_INTERVAL_NANOS}, and at once
 *       when an interface appears): an EPI with an unspecified endpoint, the sender in full (flag
 *       0x01), a short recipient id of eight zero bytes and a MAC of eight zero bytes. A received
 *       one is a <em>hint</em> and nothing more: it is remembered (at most {@link #MAX_HINTS}
 *       addresses with {@link #SOURCES_PER_HINT} sources each, the oldest replaced), costs no key
 *       agreement, changes no peer, and is never answered. Only when its address is wanted does
 *       the node check each hinted source with one EPC_REQ (at most one per address per
 *       {@link #HINT_CHECK_INTERVAL_NANOS}, {@link #HINT_CHECKS_PER_SECOND} in all); the endpoint
 *       is used only once the EPC has come back from it. Announcements are read at most
 *       {@link #ANNOUNCEMENTS_PER_SECOND} per second; the rest are dropped unread.
 *   <li><b>Query</b> for an address X that is wanted ({@link #want}, from the router, when X has
 *       no proven endpoint): an EPI addressed to X in full and MACed for X, broadcast at once and
 *       again after 0.25, 0.75, 1.5 and 3 s while X has no direct path, within
 *       {@link #WANT_WINDOW_NANOS} ({@link #QUERIES_PER_SECOND} in all). X alone can verify it and
 *       answers with an EPC_REQ to the query's source ({@link Engine#receiveQuery}); that
 *       authenticated EPC_REQ gives the querying node X's endpoint (draft 4.2.4), and X learns
 *       the querier's once the EPC it asked for has come back.
 * </ul>
 *
 * <p>Everything a stranger on the LAN can make this class keep or send is bounded: hints, wanted
 * addresses, EPC_REQs to hinted sources, queries. Event loop only.
 */
public final class Discovery {
    private static final System.Logger LOG = System.getLogger(Discovery.class.getName());
    /** The draft's LAN discovery port (4.2.6). */
    public static final int PORT = 8737;
    /** DECISIONS 37: an announcement at start and this often afterwards. */
    public static final long ANNOUNCE_INTERVAL_NANOS = 60_000_000_000L;
    /** Queries for a wanted address, relative to when it was first wanted. */
    static final long[] QUERY_SCHEDULE_NANOS = {0L, 250_000_000L, 750_000_000L, 1_500_000_000L, 3_000_000_000L};
    /** How long an address stays wanted: hints are checked and queries sent within this window. */
    public static final long WANT_WINDOW_NANOS = 4_000_000_000L;
    /** Addresses remembered from announcements. */
    static final int MAX_HINTS = 256;
    /** Sources remembered per hinted address: a forger's claim cannot push the real one out alone. */
    static final int SOURCES_PER_HINT = 4;
    /** Addresses wanted at once. */
    static final int MAX_WANTED = 256;
    /** Announcements read per second (burst the same). */
    static final int ANNOUNCEMENTS_PER_SECOND = 200;
    /** EPC_REQs to hinted sources per second, in all. */
    static final int HINT_CHECKS_PER_SECOND = 20;
    /** At most one round of hint checks per address this often. */
    static final long HINT_CHECK_INTERVAL_NANOS = 1_000_000_000L;
    /** Queries broadcast per second, in all. */
    static final int QUERIES_PER_SECOND = 20;
    /** Length of an announcement: header with full sender and short recipient, EPI of 3 bytes. */
    static final int ANNOUNCEMENT_LENGTH = PacketFormat.headerLength(PacketFormat.FLAG_SENDER_FULL) + 3;

    /** Where discovery's broadcasts go. */
    public interface Io {
        /**
         * Sends {@code packet} (position to limit) to the discovery port of every broadcast target
         * of the node's sockets; must not change {@code packet}'s position or limit.
         */
        void broadcast(ByteBuffer packet);
    }

    /** Counters (event loop writes, any thread reads). */
    public static final class Stats {
        volatile long announcementsSent;
        volatile long announcementsRead;
        volatile long announcementsDropped;
        volatile long queriesSent;
        volatile long queriesAnswered;
        volatile long hintChecks;
        volatile long ignored;

        public long announcementsSent() {
            return announcementsSent;
        }

        /** Announcements read and remembered as hints. */
        public long announcementsRead() {
            return announcementsRead;
        }

        /** Announcements dropped unread, over {@link #ANNOUNCEMENTS_PER_SECOND}. */
        public long announcementsDropped() {
            return announcementsDropped;
        }

        public long queriesSent() {
            return queriesSent;
        }

        /** Queries for this node that verified and were answered with an EPC_REQ. */
        public long queriesAnswered() {
            return queriesAnswered;
        }

        /** EPC_REQs sent to hinted sources. */
        public long hintChecks() {
            return hintChecks;
        }

        /** Packets on the discovery port that were neither (malformed, for others, not verifying). */
        public long ignored() {
            return ignored;
        }
    }

    /** Sources an address was announced from. */
    static final class Hint {
        final byte[] address;
        final Transport[] via = new Transport[SOURCES_PER_HINT];
        final InetSocketAddress[] sources = new InetSocketAddress[SOURCES_PER_HINT];
        final long[] seen = new long[SOURCES_PER_HINT];
        long lastCheckNanos;
        boolean checked;

        Hint(byte[] address) {
            this.address = address;
        }
    }

    /** An address being looked for. */
    static final class Want {
        final AnodeAddress address;
        final long since;
        int next;

        Want(AnodeAddress address, long since) {
            this.address = address;
            this.since = since;
        }
    }

    private final Engine engine;
    private final Io io;
    private final long announceIntervalNanos;
    private final PacketReader reader = new PacketReader();
    private final ByteBuffer announcement;
    private final ByteBuffer query = ByteBuffer.allocate(512);
    private final Map<ByteBuffer, Hint> hints = new LinkedHashMap<>(16, 0.75f, true);
    private final Map<ByteBuffer, Want> wanted = new LinkedHashMap<>();
    private final TokenBucket announcementBudget = new TokenBucket(ANNOUNCEMENTS_PER_SECOND, ANNOUNCEMENTS_PER_SECOND);
    private final TokenBucket hintCheckBudget = new TokenBucket(HINT_CHECKS_PER_SECOND, HINT_CHECKS_PER_SECOND);
    private final TokenBucket queryBudget = new TokenBucket(QUERIES_PER_SECOND, QUERIES_PER_SECOND);
    private final Stats stats = new Stats();
    private long nextAnnounce;
    private boolean started;

    /**
     * @param announceIntervalNanos time between announcements ({@link #ANNOUNCE_INTERVAL_NANOS})
     */
    public Discovery(Engine engine, Io io, long announceIntervalNanos) {
        this.engine = engine;
        this.io = io;
        this.announceIntervalNanos = announceIntervalNanos;
        ByteBuffer a = ByteBuffer.allocate(ANNOUNCEMENT_LENGTH);
        a.put((byte) 0).put((byte) PacketFormat.FLAG_SENDER_FULL).putLong(0L);
        engine.address().writeTo(a);
        a.putLong(0L);
        a.put((byte) (engine.config().localPeerId() << 4)).put((byte) MessageType.EPI.code());
        a.put((byte) 0).put((byte) 0).put((byte) 0);
        a.flip();
        this.announcement = a.asReadOnlyBuffer();
    }

    public Stats stats() {
        return stats;
    }

    /** The announcement this node broadcasts (a read-only view). */
    public ByteBuffer announcement() {
        return announcement.duplicate();
    }

    // ------------------------------------------------------------------ input

    /**
     * A packet that arrived on the discovery port from {@code source}; {@code via} is the node's
     * own transport of that family, which any answer (an EPC_REQ) goes out of. Never throws.
     */
    public void receive(Transport via, InetSocketAddress source, ByteBuffer packet, long now) {
        int p = packet.position();
        if (packet.remaining() == ANNOUNCEMENT_LENGTH
                && packet.get(p + PacketFormat.FLAGS) == PacketFormat.FLAG_SENDER_FULL
                && packet.getLong(p + PacketFormat.MAC) == 0L) {
            onAnnouncement(via, source, packet, now);
        } else if (engine.receiveQuery(via, source, packet)) {
            stats.queriesAnswered++;
        } else {
            stats.ignored++;
        }
    }

    private void onAnnouncement(Transport via, InetSocketAddress source, ByteBuffer packet, long now) {
        if (!announcementBudget.tryTake(now)) {
            stats.announcementsDropped++;
            return;
        }
        PacketReader r = reader;
        try {
            r.wrap(packet);
        } catch (WireException e) {
            stats.ignored++;
            return;
        }
        ByteBuffer b = r.buffer();
        if (r.hopCount() != 0
                || r.recipientShortId() != 0L
                || r.messageType() != MessageType.EPI
                || r.payloadLength() != 3
                || b.get(r.payloadOffset() + 1) != 0
                || engine.address().matches(b, r.senderOffset())) {
            stats.ignored++;
            return;
        }
        byte[] addr = new byte[AnodeAddress.LENGTH];
        b.get(r.senderOffset(), addr);
        ByteBuffer key = ByteBuffer.wrap(addr);
        Hint h = hints.get(key);
        if (h == null) {
            if (hints.size() >= MAX_HINTS) {
                Iterator<Hint> it = hints.values().iterator();
                it.next();
                it.remove();
            }
            h = new Hint(addr);
            hints.put(key, h);
        }
        remember(h, via, source, now);
        stats.announcementsRead++;
        Want w = wanted.get(key);
        if (w != null) {
            checkHint(h, w.address, now);
        }
    }

    /** Refreshes the source, or takes a free slot, or replaces the source heard from longest ago. */
    private static void remember(Hint h, Transport via, InetSocketAddress source, long now) {
        int slot = -1;
        for (int i = 0; i < SOURCES_PER_HINT; i++) {
            if (h.sources[i] != null && h.sources[i].equals(source) && h.via[i] == via) {
                slot = i;
                break;
            }
        }
        if (slot < 0) {
            for (int i = 0; i < SOURCES_PER_HINT; i++) {
                if (h.sources[i] == null) {
                    slot = i;
                    break;
                }
                if (slot < 0 || h.seen[i] - h.seen[slot] < 0) {
                    slot = i;
                }
            }
        }
        h.via[slot] = via;
        h.sources[slot] = source;
        h.seen[slot] = now;
    }

    /** One EPC_REQ to each hinted source of a wanted address, rate-limited. */
    private void checkHint(Hint h, AnodeAddress address, long now) {
        if (h.checked && now - h.lastCheckNanos < HINT_CHECK_INTERVAL_NANOS) {
            return;
        }
        Peer peer = null;
        for (int i = 0; i < SOURCES_PER_HINT; i++) {
            if (h.sources[i] == null || !hintCheckBudget.tryTake(now)) {
                continue;
            }
            if (peer == null) {
                peer = peerFor(address);
                if (peer == null) {
                    return;
                }
            }
            h.checked = true;
            h.lastCheckNanos = now;
            engine.checkEndpoint(peer, h.via[i], h.sources[i]);
            stats.hintChecks++;
        }
    }

    private Peer peerFor(AnodeAddress a) {
        try {
            return engine.peerFor(a);
        } catch (java.security.InvalidKeyException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "LAN discovery cannot look for " + a + ": " + e);
            return null;
        }
    }

    // ------------------------------------------------------------------ wanting

    /**
     * The router wants {@code target} and knows no proven path (DECISIONS 31): check its hinted
     * sources, broadcast a query now and on the schedule while it has no direct path.
     */
    public void want(AnodeAddress target) {
        long now = engine.now();
        ByteBuffer key = ByteBuffer.wrap(target.toByteArray());
        Want w = wanted.get(key);
        if (w == null) {
            if (wanted.size() >= MAX_WANTED) {
                return;
            }
            w = new Want(target, now);
            wanted.put(key, w);
        }
        Hint h = hints.get(key);
        if (h != null) {
            checkHint(h, target, now);
        }
        step(w, now);
    }

    /** Sends what is due for one wanted address; false once it is done with. */
    private boolean step(Want w, long now) {
        if (hasDirectPath(w.address) || now - w.since >= WANT_WINDOW_NANOS) {
            return false;
        }
        while (w.next < QUERY_SCHEDULE_NANOS.length && now - w.since >= QUERY_SCHEDULE_NANOS[w.next]) {
            w.next++;
            sendQuery(w.address, now);
        }
        Hint h = hints.get(ByteBuffer.wrap(w.address.toByteArray()));
        if (h != null) {
            checkHint(h, w.address, now);
        }
        return true;
    }

    private boolean hasDirectPath(AnodeAddress a) {
        Peer p = engine.peer(a);
        if (p == null) {
            return false;
        }
        for (PeerEndpoint e : p.endpoints()) {
            if (e.hops() == 0 && (e.isConfigured() || e.lastHeardNanos() != PeerEndpoint.NEVER)) {
                return true;
            }
        }
        return false;
    }

    private void sendQuery(AnodeAddress target, long now) {
        if (!queryBudget.tryTake(now)) {
            return;
        }
        Peer peer = peerFor(target);
        if (peer == null) {
            return;
        }
        query.clear();
        engine.writeQuery(query, peer);
        query.flip();
        io.broadcast(query);
        stats.queriesSent++;
    }

    // ------------------------------------------------------------------ time

    /**
     * Does what is due at {@code now}: the first announcement (at the first call), the periodic
     * one, and the queries of wanted addresses.
     *
     * @return when to call again (a {@code now}-based nanosecond time)
     */
    public long tick(long now) {
        if (!started || now - nextAnnounce >= 0) {
            started = true;
            announce();
            nextAnnounce = now + announceIntervalNanos;
        }
        long next = nextAnnounce;
        for (Iterator<Want> it = wanted.values().iterator(); it.hasNext(); ) {
            Want w = it.next();
            if (!step(w, now)) {
                it.remove();
                continue;
            }
            long due = w.next < QUERY_SCHEDULE_NANOS.length
                    ? w.since + QUERY_SCHEDULE_NANOS[w.next]
                    : w.since + WANT_WINDOW_NANOS;
            if (due - next < 0) {
                next = due;
            }
        }
        return next;
    }

    /** An interface appeared: announce on it (and the others) now rather than at the next interval. */
    public void interfacesChanged(long now) {
        if (started) {
            nextAnnounce = now;
        }
    }

    private void announce() {
        io.broadcast(announcement.duplicate());
        stats.announcementsSent++;
    }

    // ------------------------------------------------------------------ views for tests

    /** Addresses held as hints (event loop). */
    public int hintCount() {
        return hints.size();
    }

    /** Sources remembered for a hinted address. */
    List<InetSocketAddress> hintSources(AnodeAddress a) {
        Hint h = hints.get(ByteBuffer.wrap(a.toByteArray()));
        List<InetSocketAddress> l = new ArrayList<>();
        if (h != null) {
            for (InetSocketAddress s : h.sources) {
                if (s != null) {
                    l.add(s);
                }
            }
        }
        return l;
    }

    /** Addresses being looked for. */
    int wantedCount() {
        return wanted.size();
    }
}
