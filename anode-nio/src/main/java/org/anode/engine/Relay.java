package org.anode.engine;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import org.anode.address.AnodeAddress;
import org.anode.util.LongMap;
import org.anode.wire.PacketReader;

/**
 * A zone relay's forwarding logic, sans I/O (draft 2.3, 2.3.1, 3.1, 3.4; DECISIONS 33, 34, 41).
 *
 * <p><b>Registrations.</b> An authenticated packet addressed to the relay itself, received with hop
 * count 0, registers its sender: the (address, sender peer id) pair is bound to the endpoint and
 * transport it came from, for {@link RelayConfig#registrationLifetime()} after the last such packet.
 * One endpoint per (address, peer id) - the latest; at most 15 peer ids per address (draft 3.4).
 * The table holds at most {@link RelayConfig#maxRegistrations()} of them; a newcomer finding it
 * full of live registrations is refused.
 *
 * <p><b>Forwarding.</b> A packet whose recipient is not the relay is forwarded unchanged but for
 * its hop count (+1, draft 3.1) to an endpoint of a registered recipient, matched by its short id
 * or, with flag 0x02, by its full address. The endpoint is chosen by draft 3.4: if the recipient
 * peer id is non-zero and registered, only that one; otherwise a random registered one. Never an
 * endpoint learned from a forwarded packet (only registrations are used), never the endpoint the
 * packet came from, nothing at hop count {@link RelayConfig#hopLimit()} or more. The relay does
 * not and cannot check a forwarded packet's MAC (the key is the sender's and recipient's).
 * Token buckets per source endpoint, per recipient and in total drop what exceeds them.
 *
 * <p><b>Errors.</b> A packet for an unregistered recipient may be answered with ERROR 04 (draft
 * 4.2.1) carrying the recipient's short id (addendum A6), through {@link ErrorSender}: only to a
 * sender the relay knows (so the reply is authenticated), rate-limited, and never larger than the
 * packet it answers (DECISIONS 30).
 *
 * <p>The forwarding path allocates nothing. Event loop only.
 */
public final class Relay {
    private static final System.Logger LOG = System.getLogger(Relay.class.getName());
    /** Peer ids are 4 bits (draft 3.4). */
    private static final int PEER_IDS = 16;

    /** Sends the optional ERROR reply for a packet the relay could not forward (draft 4.2.1). */
    @FunctionalInterface
    public interface ErrorSender {
        /**
         * Answers the sender of {@code r} (received from {@code source} over {@code via}) with an
         * authenticated ERROR {@code code} whose argument is {@code recipientShortId}, if the
         * sender is known and the reply is no larger than the packet.
         *
         * @return true if a reply was sent
         */
        boolean sendError(PacketReader r, Transport via, InetSocketAddress source, int code, long recipientShortId);
    }

    /** One registered (address, peer id): where its packets go. */
    static final class Slot {
        Transport transport;
        InetSocketAddress endpoint;
        long expiresNanos;
    }

    /** A registered address and its endpoints by peer id. */
    static final class Registration {
        final AnodeAddress address;
        final long shortId;
        final long keyPrefix;
        final Slot[] slots = new Slot[PEER_IDS];
        final TokenBucket bucket;

        Registration(AnodeAddress address, TokenBucket bucket) {
            this.address = address;
            this.shortId = address.shortId().value();
            this.keyPrefix = Peer.keyPrefix(address);
            this.bucket = bucket;
        }

        boolean live(long now) {
            for (Slot s : slots) {
                if (s != null && now - s.expiresNanos < 0) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * Counters (event loop writes, any thread reads).
     */
    public static final class Stats {
        volatile long forwarded;
        volatile long registrations;
        volatile long registrationsRefused;
        volatile long droppedHopLimit;
        volatile long droppedNotRegistered;
        volatile long droppedLoop;
        volatile long droppedRateLimited;
        volatile long droppedSendFailed;
        volatile long errorReplies;

        /** Packets forwarded to a registered recipient. */
        public long forwarded() {
            return forwarded;
        }

        /** Registrations made or refreshed. */
        public long registrations() {
            return registrations;
        }

        /** Registrations refused because the table was full of live ones. */
        public long registrationsRefused() {
            return registrationsRefused;
        }

        /** Dropped: hop count at or over the limit (DECISIONS 34). */
        public long droppedHopLimit() {
            return droppedHopLimit;
        }

        /** Dropped: recipient not registered (or its registration expired). */
        public long droppedNotRegistered() {
            return droppedNotRegistered;
        }

        /** Dropped: the only registered endpoint was the packet's own source. */
        public long droppedLoop() {
            return droppedLoop;
        }

        /** Dropped by a token bucket (source, recipient or total). */
        public long droppedRateLimited() {
            return droppedRateLimited;
        }

        /** Dropped because the transport had no room or failed. */
        public long droppedSendFailed() {
            return droppedSendFailed;
        }

        /** ERROR 04 replies sent. */
        public long errorReplies() {
            return errorReplies;
        }

        /** Every packet dropped by policy (hop limit, not registered, loop, rate limit). */
        public long droppedByPolicy() {
            return droppedHopLimit + droppedNotRegistered + droppedLoop + droppedRateLimited;
        }
    }

    private final RelayConfig config;
    private final long lifetimeNanos;
    private final LongMap<Registration> byShortId;
    private final LongMap<Registration> byKeyPrefix;
    private final LongMap<TokenBucket> sources;
    private final TokenBucket total;
    private final TokenBucket errorBudget;
    private final Stats stats = new Stats();
    private ErrorSender errorSender;
    private int slotCount;
    /** xorshift state for the draft 3.4 random choice (no allocation, not security relevant). */
    private long rnd = System.nanoTime() | 1;

    private final Slot[] candidates = new Slot[PEER_IDS];

    public Relay(RelayConfig config) {
        this.config = config;
        this.lifetimeNanos = config.registrationLifetime().toNanos();
        this.byShortId = new LongMap<>(64);
        this.byKeyPrefix = new LongMap<>(64);
        this.sources = new LongMap<>(64);
        this.total = new TokenBucket(config.totalRate(), config.totalBurst());
        this.errorBudget = new TokenBucket(config.errorReplyRate(), Math.max(1, config.errorReplyRate() / 4));
    }

    public RelayConfig config() {
        return config;
    }

    public Stats stats() {
        return stats;
    }

    /** Where ERROR replies go (the engine sets itself). */
    public void setErrorSender(ErrorSender s) {
        this.errorSender = s;
    }

    /** Live (address, peer id) registrations at {@code now} (expired ones are swept first). */
    public int registrationCount(long now) {
        sweep(now);
        return slotCount;
    }

    /** True if {@code a} has a live registration at {@code now}. */
    public boolean isRegistered(AnodeAddress a, long now) {
        Registration r = byShortId.get(a.shortId().value());
        return r != null && r.address.equals(a) && r.live(now);
    }

    /**
     * The registered endpoint of {@code a} (any peer id) at {@code now}, for a relay that is
     * itself the designated relay of an address it wants to reach; null if not registered.
     */
    public InetSocketAddress endpointOf(AnodeAddress a, long now) {
        Slot s = registeredSlot(a, now);
        return s == null ? null : s.endpoint;
    }

    /** The transport of {@link #endpointOf}. */
    public Transport transportOf(AnodeAddress a, long now) {
        Slot s = registeredSlot(a, now);
        return s == null ? null : s.transport;
    }

    private Slot registeredSlot(AnodeAddress a, long now) {
        Registration r = byShortId.get(a.shortId().value());
        if (r == null || !r.address.equals(a)) {
            return null;
        }
        for (Slot s : r.slots) {
            if (s != null && now - s.expiresNanos < 0) {
                return s;
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ registration

    /**
     * Registers (or refreshes) {@code address} with {@code peerId} at {@code endpoint}: called for
     * every authenticated packet addressed to the relay itself that arrived with hop count 0
     * (DECISIONS 33). A packet that was itself relayed never registers anything (DECISIONS 34).
     *
     * @return false if the table was full of live registrations (refused)
     */
    public boolean register(AnodeAddress address, int peerId, Transport via, InetSocketAddress endpoint, long now) {
        long sid = address.shortId().value();
        Registration r = byShortId.get(sid);
        if (r != null && !r.address.equals(address)) {
            // A 64-bit short id collision (draft 3.5): the live holder keeps its registration.
            if (r.live(now)) {
                stats.registrationsRefused++;
                return false;
            }
            remove(r);
            r = null;
        }
        int id = peerId & 0xf;
        Slot s = r == null ? null : r.slots[id];
        if (s == null) {
            if (slotCount >= config.maxRegistrations()) {
                sweep(now);
                if (slotCount >= config.maxRegistrations()) {
                    stats.registrationsRefused++;
                    return false;
                }
            }
            if (r == null) {
                Registration existing = byKeyPrefix.get(Peer.keyPrefix(address));
                if (existing != null) {
                    if (existing.live(now)) {
                        stats.registrationsRefused++;
                        return false;
                    }
                    remove(existing);
                }
                r = new Registration(address, new TokenBucket(config.perRecipientRate(), config.perRecipientBurst()));
                byShortId.put(sid, r);
                byKeyPrefix.put(r.keyPrefix, r);
            }
            s = new Slot();
            r.slots[id] = s;
            slotCount++;
        }
        s.transport = via;
        s.endpoint = endpoint;
        s.expiresNanos = now + lifetimeNanos;
        stats.registrations++;
        return true;
    }

    private void remove(Registration r) {
        for (int i = 0; i < PEER_IDS; i++) {
            if (r.slots[i] != null) {
                r.slots[i] = null;
                slotCount--;
            }
        }
        if (byShortId.get(r.shortId) == r) {
            byShortId.remove(r.shortId);
        }
        if (byKeyPrefix.get(r.keyPrefix) == r) {
            byKeyPrefix.remove(r.keyPrefix);
        }
    }

    /** Drops every expired slot, and registrations left without any. */
    private void sweep(long now) {
        java.util.List<Registration> dead = new java.util.ArrayList<>();
        forEach(r -> {
            boolean any = false;
            for (int i = 0; i < PEER_IDS; i++) {
                Slot s = r.slots[i];
                if (s != null) {
                    if (now - s.expiresNanos >= 0) {
                        r.slots[i] = null;
                        slotCount--;
                    } else {
                        any = true;
                    }
                }
            }
            if (!any) {
                dead.add(r);
            }
        });
        for (Registration r : dead) {
            remove(r);
        }
    }

    private void forEach(java.util.function.Consumer<Registration> c) {
        java.util.List<Registration> all = new java.util.ArrayList<>();
        byShortId.forEach(all::add);
        all.forEach(c);
    }

    // ------------------------------------------------------------------ forwarding

    /**
     * Forwards (or drops) a parsed packet whose recipient is not this node. {@code packet} is the
     * buffer {@code r} wraps; its hop count byte is rewritten in place.
     *
     * @return true if it was forwarded
     */
    public boolean forward(PacketReader r, ByteBuffer packet, Transport via, InetSocketAddress source, long now) {
        int hops = r.hopCount();
        if (hops >= config.hopLimit()) {
            stats.droppedHopLimit++;
            EngineEvents.relayed(r, EngineEvents.RelayVerdict.DROPPED, "hop limit");
            return false;
        }
        Registration reg;
        ByteBuffer b = r.buffer();
        if (r.recipientIsFull()) {
            reg = byKeyPrefix.get(keyPrefixAt(b, r.recipientOffset()));
            if (reg != null && !reg.address.matches(b, r.recipientOffset())) {
                reg = null;
            }
        } else {
            reg = byShortId.get(r.recipientShortId());
        }
        Slot to = reg == null ? null : choose(reg, r.recipientPeerId(), via, source, now);
        if (to == null) {
            if (reg != null && reg.live(now)) {
                stats.droppedLoop++;
                EngineEvents.relayed(r, EngineEvents.RelayVerdict.DROPPED, "loop");
            } else {
                stats.droppedNotRegistered++;
                EngineEvents.relayed(r, EngineEvents.RelayVerdict.DROPPED, "not registered");
                maybeError(r, via, source, now);
            }
            return false;
        }
        if (!sourceBucket(source, now).tryTake(now) || !reg.bucket.tryTake(now) || !total.tryTake(now)) {
            stats.droppedRateLimited++;
            EngineEvents.relayed(r, EngineEvents.RelayVerdict.DROPPED, "rate limit");
            return false;
        }
        // The decision (a send failure is counted apart); recorded before the hop count changes.
        EngineEvents.relayed(r, EngineEvents.RelayVerdict.FORWARDED, to.endpoint);
        int start = r.start();
        int end = r.end();
        // Draft 3.1: +1 per relay; below the limit, so it cannot wrap.
        b.put(start, (byte) (hops + 1));
        int pos = packet.position();
        int lim = packet.limit();
        try {
            packet.limit(end).position(start);
            // Counted before the send and taken back if it fails: the recipient's answer can come
            // back through this relay, and be read by an observer, before this thread returns.
            stats.forwarded++;
            if (to.transport.send(packet, to.endpoint)) {
                return true;
            }
            stats.forwarded--;
            stats.droppedSendFailed++;
        } catch (IOException | RuntimeException e) {
            stats.forwarded--;
            stats.droppedSendFailed++;
            if (LOG.isLoggable(System.Logger.Level.TRACE)) {
                LOG.log(System.Logger.Level.TRACE, "forward to " + to.endpoint + " failed: " + e);
            }
        } finally {
            b.put(start, (byte) hops);
            packet.limit(lim).position(pos);
        }
        return false;
    }

    /**
     * Draft 3.4: a non-zero recipient peer id that is registered gets only that endpoint; else a
     * random registered one. Never the packet's own source; never an expired one.
     */
    private Slot choose(Registration reg, int peerId, Transport via, InetSocketAddress source, long now) {
        if (peerId != 0) {
            Slot s = reg.slots[peerId];
            if (s != null && now - s.expiresNanos < 0) {
                return isSource(s, via, source) ? null : s;
            }
        }
        int n = 0;
        for (Slot s : reg.slots) {
            if (s != null && now - s.expiresNanos < 0 && !isSource(s, via, source)) {
                candidates[n++] = s;
            }
        }
        if (n == 0) {
            return null;
        }
        Slot pick = candidates[n == 1 ? 0 : (int) Long.remainderUnsigned(nextRandom(), n)];
        java.util.Arrays.fill(candidates, 0, n, null);
        return pick;
    }

    private static boolean isSource(Slot s, Transport via, InetSocketAddress source) {
        return s.transport == via && s.endpoint.equals(source);
    }

    private long nextRandom() {
        long x = rnd;
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        rnd = x;
        return x;
    }

    /**
     * The bucket of one source endpoint. Keyed by the IP's hash and the port (no allocation); a
     * rare collision shares a bucket. Bounded: when full, the remembered sources are forgotten
     * (they come back with full buckets; the total bucket still bounds the relay).
     */
    private TokenBucket sourceBucket(InetSocketAddress source, long now) {
        long key = ((long) source.getAddress().hashCode() << 16) ^ source.getPort();
        TokenBucket t = sources.get(key);
        if (t == null) {
            if (sources.size() >= config.maxSources()) {
                sources.clear();
            }
            t = new TokenBucket(config.perSourceRate(), config.perSourceBurst());
            sources.put(key, t);
        }
        return t;
    }

    private void maybeError(PacketReader r, Transport via, InetSocketAddress source, long now) {
        ErrorSender s = errorSender;
        if (s == null || !config.errorReplies() || !errorBudget.tryTake(now)) {
            return;
        }
        long recipient;
        if (r.recipientIsFull()) {
            try {
                recipient = r.recipientAddress().shortId().value();
            } catch (org.anode.wire.WireException e) {
                return;
            }
        } else {
            recipient = r.recipientShortId();
        }
        if (s.sendError(r, via, source, org.anode.wire.ErrorCode.RELAY_RECIPIENT_UNREACHABLE.code(), recipient)) {
            stats.errorReplies++;
        }
    }

    private static long keyPrefixAt(ByteBuffer b, int addressOffset) {
        // Peer.keyPrefix: bytes 8..15 of the 40-byte address.
        return b.getLong(addressOffset + 8);
    }
}
