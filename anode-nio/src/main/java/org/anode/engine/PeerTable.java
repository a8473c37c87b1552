package org.anode.engine;

import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.Collections;
import java.util.concurrent.ConcurrentHashMap;
import org.anode.address.AnodeAddress;
import org.anode.util.LongMap;
import org.anode.wire.SenderForm;

/**
 * The bounded peer table (draft 3, 3.5): peers by full address for any thread, and two
 * allocation-free indexes for the event loop - by short address id (every peer sharing a short id
 * is a candidate, the MAC decides, draft 3.5) and by a prefix of the public key (to find the peer
 * of a full sender address without validating the point again).
 *
 * <p>Bound: at most {@code max} peers. Inserting into a full table evicts the learned peer idle
 * longest, and only one that may go (see {@link #victim}): configured and pinned peers are never
 * evicted, and a learned newcomer only replaces a peer idle in both directions for the draft 3.2
 * answer timeout. When nothing qualifies the insertion is refused. Mutations run on the event
 * loop only.
 */
final class PeerTable {
    private final ConcurrentHashMap<AnodeAddress, Peer> byAddress = new ConcurrentHashMap<>();
    private final LongMap<Peer> byShortId;
    private final LongMap<Peer> byKeyPrefix;
    private final int max;
    /** How long a challenged peer has to answer before it may lose its slot (addendum A13). */
    static final long CHALLENGE_GRACE_NANOS = 3_000_000_000L;
    /** Refusals of newcomers within {@link #FLOOD_WINDOW_NANOS} that mean a flood (addendum A13). */
    static final int FLOOD_REFUSALS = 8;

    static final long FLOOD_WINDOW_NANOS = 10_000_000_000L;
    /** The times of the last refusals, a ring (event loop only). */
    private final long[] refusals = new long[FLOOD_REFUSALS];

    private int refusalNext;
    private long refusalCount;

    PeerTable(int max) {
        this.max = max;
        this.byShortId = new LongMap<>(Math.min(max, 1024));
        this.byKeyPrefix = new LongMap<>(Math.min(max, 1024));
    }

    int max() {
        return max;
    }

    /** A quarter of the slots or fewer are left: new learned peers are challenged (addendum A13). */
    boolean underPressure() {
        return byAddress.size() >= max - max / 4;
    }

    int size() {
        return byAddress.size();
    }

    /** Thread-safe lookup. */
    Peer get(AnodeAddress a) {
        return byAddress.get(a);
    }

    Collection<Peer> peers() {
        return Collections.unmodifiableCollection(byAddress.values());
    }

    /** The peer whose full 40-byte address is at {@code b[off..]}, or null; event loop, no allocation. */
    Peer findFull(ByteBuffer b, int off) {
        long prefix = b.getLong(off + 8);
        for (Peer p = byKeyPrefix.get(prefix); p != null; p = p.nextSameKeyPrefix) {
            if (p.address().matches(b, off)) {
                return p;
            }
        }
        return null;
    }

    /** First of the peers with this short id (follow {@link Peer#nextSameShortId}); event loop. */
    Peer withShortId(long id) {
        return byShortId.get(id);
    }

    /**
     * True if {@link #insert} of a learned peer at time {@code now} would succeed; a refusal is
     * remembered (a run of them is what makes unproven peers give their slots up, addendum A13).
     */
    boolean canAdmitLearned(long now) {
        if (byAddress.size() < max || victim(false, now) != null) {
            return true;
        }
        refusals[refusalNext] = now;
        refusalNext = (refusalNext + 1) % refusals.length;
        refusalCount++;
        return false;
    }

    /**
     * True while newcomers are being turned away in numbers: {@link #FLOOD_REFUSALS} refusals
     * within {@link #FLOOD_WINDOW_NANOS}. A few refusals (a small, busy table) leave A4's rule alone.
     */
    private boolean flooded(long now) {
        if (refusalCount < refusals.length) {
            return false;
        }
        // The oldest of the last FLOOD_REFUSALS refusals is the next slot to be overwritten.
        return now - refusals[refusalNext] <= FLOOD_WINDOW_NANOS;
    }

    /**
     * Adds a peer (event loop), evicting as documented when full.
     *
     * @return the evicted peer, {@code p} itself if it could not be admitted, or null
     */
    Peer insert(Peer p, long now) {
        Peer evicted = null;
        if (byAddress.size() >= max) {
            // A channel thread may pin the chosen peer meanwhile: then it stays, choose again.
            do {
                evicted = victim(p.isConfigured(), now);
                if (evicted == null) {
                    return p;
                }
            } while (!evicted.markEvicted());
            remove(evicted);
        }
        byAddress.put(p.address(), p);
        p.nextSameShortId = byShortId.get(p.shortId());
        byShortId.put(p.shortId(), p);
        p.nextSameKeyPrefix = byKeyPrefix.get(p.keyPrefix());
        byKeyPrefix.put(p.keyPrefix(), p);
        return evicted;
    }

    /**
     * The peer a newcomer may replace, or null. Configured and pinned peers are never chosen. For
     * a learned newcomer only an {@linkplain Peer#isIdle idle} peer qualifies: evicting an active
     * one would break its traffic (it keeps using our short id, which would no longer resolve),
     * and fresh identities cost an attacker almost nothing. A configured newcomer (the local
     * application's explicit choice, not reachable from the network) may replace any unpinned
     * learned peer. Among the candidates the one idle longest goes.
     */
    private Peer victim(boolean forConfigured, long now) {
        // Addendum A13: slots go first to peers that proved their source address; a learned peer
        // challenged long enough ago that never answered is the first to go, busy or not.
        Peer unproven = null;
        for (Peer q : flooded(now) ? byAddress.values() : java.util.List.<Peer>of()) {
            if (!q.isConfigured()
                    && !q.isPinned()
                    && q.failedChallenge(now, CHALLENGE_GRACE_NANOS)
                    && (unproven == null || q.firstChallengeAt - unproven.firstChallengeAt < 0)) {
                unproven = q;
            }
        }
        if (unproven != null) {
            return unproven;
        }
        Peer victim = null;
        long oldest = 0;
        for (Peer q : byAddress.values()) {
            if (q.isConfigured() || q.isPinned() || (!forConfigured && !q.isIdle(now))) {
                continue;
            }
            long t = q.lastActivityNanos();
            if (t == SenderForm.NEVER_ANSWERED) {
                return q;
            }
            if (victim == null || t - oldest < 0) {
                victim = q;
                oldest = t;
            }
        }
        return victim;
    }

    /** Removes a peer and its index entries (event loop). */
    void remove(Peer p) {
        if (!byAddress.remove(p.address(), p)) {
            return;
        }
        Peer head = byShortId.get(p.shortId());
        Peer newHead = unlinkShort(head, p);
        if (newHead == null) {
            byShortId.remove(p.shortId());
        } else if (newHead != head) {
            byShortId.put(p.shortId(), newHead);
        }
        Peer kh = byKeyPrefix.get(p.keyPrefix());
        Peer newKh = unlinkPrefix(kh, p);
        if (newKh == null) {
            byKeyPrefix.remove(p.keyPrefix());
        } else if (newKh != kh) {
            byKeyPrefix.put(p.keyPrefix(), newKh);
        }
    }

    private static Peer unlinkShort(Peer head, Peer p) {
        if (head == p) {
            return p.nextSameShortId;
        }
        for (Peer q = head; q != null; q = q.nextSameShortId) {
            if (q.nextSameShortId == p) {
                q.nextSameShortId = p.nextSameShortId;
                break;
            }
        }
        return head;
    }

    private static Peer unlinkPrefix(Peer head, Peer p) {
        if (head == p) {
            return p.nextSameKeyPrefix;
        }
        for (Peer q = head; q != null; q = q.nextSameKeyPrefix) {
            if (q.nextSameKeyPrefix == p) {
                q.nextSameKeyPrefix = p.nextSameKeyPrefix;
                break;
            }
        }
        return head;
    }
}
