package org.anode.engine;

import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.Collections;
import java.util.concurrent.ConcurrentHashMap;
import org.anode.address.AnodeAddress;
import org.anode.wire.SenderForm;

/**
 * The bounded peer table (draft 3, 3.5): peers by full address for any thread, and two
 * allocation-free indexes for the event loop - by short address id (every peer sharing a short id
 * is a candidate, the MAC decides, draft 3.5) and by a prefix of the public key (to find the peer
 * of a full sender address without validating the point again).
 *
 * <p>Bound: at most {@code max} peers. Inserting into a full table evicts the learned peer heard
 * least recently; peers the application configured are never evicted for learned ones, and if
 * every peer is configured the insertion is refused. Mutations run on the event loop only.
 */
final class PeerTable {
    private final ConcurrentHashMap<AnodeAddress, Peer> byAddress = new ConcurrentHashMap<>();
    private final LongMap<Peer> byShortId;
    private final LongMap<Peer> byKeyPrefix;
    private final int max;

    PeerTable(int max) {
        this.max = max;
        this.byShortId = new LongMap<>(Math.min(max, 1024));
        this.byKeyPrefix = new LongMap<>(Math.min(max, 1024));
    }

    int max() {
        return max;
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

    /** True if {@link #insert} of a learned peer would succeed. */
    boolean canAdmitLearned() {
        if (byAddress.size() < max) {
            return true;
        }
        for (Peer p : byAddress.values()) {
            if (!p.isConfigured()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Adds a peer (event loop), evicting as documented when full.
     *
     * @return the evicted peer, {@code p} itself if it could not be admitted, or null
     */
    Peer insert(Peer p) {
        Peer evicted = null;
        if (byAddress.size() >= max) {
            evicted = leastRecentlyHeard(!p.isConfigured());
            if (evicted == null) {
                return p;
            }
            remove(evicted);
        }
        byAddress.put(p.address(), p);
        p.nextSameShortId = byShortId.get(p.shortId());
        byShortId.put(p.shortId(), p);
        p.nextSameKeyPrefix = byKeyPrefix.get(p.keyPrefix());
        byKeyPrefix.put(p.keyPrefix(), p);
        return evicted;
    }

    private Peer leastRecentlyHeard(boolean learnedOnly) {
        Peer victim = null;
        long oldest = 0;
        for (Peer q : byAddress.values()) {
            if (learnedOnly && q.isConfigured()) {
                continue;
            }
            long t = q.lastAnsweredNanos();
            if (victim == null || t == SenderForm.NEVER_ANSWERED
                    || (oldest != SenderForm.NEVER_ANSWERED && t - oldest < 0)) {
                victim = q;
                oldest = t;
                if (t == SenderForm.NEVER_ANSWERED) {
                    break;
                }
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
