package org.anode.engine;

import java.net.InetSocketAddress;
import org.anode.util.BoundedMap;

/**
 * Source endpoints (IP address and port) that proved they receive at that address (addendum A15):
 * by echoing an {@link AddressCookies address cookie}, by answering an endpoint check (draft
 * 4.2.5), by answering a challenge (A13), or because the application configured them. While the
 * node-wide key-agreement budget is under pressure, a first contact from such a source is served
 * from a budget of its own instead of being asked for a cookie first.
 *
 * <p>Bounded and expiring: at most {@code capacity} sources, the oldest proof forgotten first, and
 * each proof lapses {@code lifetimeNanos} after it was made (a forgotten source only needs a
 * cookie again, one round trip). Event loop only.
 */
final class ProvenSources {
    private final long lifetimeNanos;
    /** Source to the time of its proof, oldest proof first. */
    private final BoundedMap<InetSocketAddress, Long> proofs;

    ProvenSources(int capacity, long lifetimeNanos) {
        this.lifetimeNanos = lifetimeNanos;
        this.proofs = BoundedMap.insertionOrdered(capacity);
    }

    /** Records (or renews) the proof of {@code source} at {@code now}. */
    void prove(InetSocketAddress source, long now) {
        // Removed first, so a renewed proof moves to the young end and is forgotten last.
        proofs.remove(source);
        proofs.put(source, now);
    }

    /** Whether {@code source} proved itself less than the lifetime ago; an expired proof is dropped. */
    boolean isProven(InetSocketAddress source, long now) {
        Long at = proofs.get(source);
        if (at == null) {
            return false;
        }
        if (now - at >= lifetimeNanos) {
            proofs.remove(source);
            return false;
        }
        return true;
    }

    /** Sources remembered (expired ones included until they are looked up or pushed out). */
    int size() {
        return proofs.size();
    }
}
