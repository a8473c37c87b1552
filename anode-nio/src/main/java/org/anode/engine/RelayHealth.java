package org.anode.engine;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.anode.address.AnodeAddress;
import org.anode.util.BoundedMap;
import org.anode.zone.ZoneFile;
import org.anode.zone.ZoneRelay;

/**
 * Which zone relay serves an address, given which relays have stopped answering (draft 2.3.1;
 * DECISIONS 32, 33; addendum A11). The designated relay is the {@code zr} entry chosen by the
 * address's byte sum; a relay whose PINGs went unanswered {@link #SILENT_AFTER} times in a row is
 * silent for {@link #SILENT_HOLD_NANOS}, and while it is, the next entry of the zone file (in
 * index order, wrapping) that is not silent serves its addresses instead. Every node applies the
 * same rule, so a node registering and a node looking for it move to the same relay.
 *
 * <p>Sans-I/O: the caller reports answers and misses with its clock. Bounded: at most
 * {@link #MAX_TRACKED} relays are remembered, the least recently reported first forgotten (a
 * forgotten relay counts as answering, as a relay never tried does). Event loop only.
 */
final class RelayHealth {
    /** Consecutive unanswered PINGs after which a relay counts as silent. */
    static final int SILENT_AFTER = 3;
    /** How long a silent relay is passed over before it is tried again. */
    static final long SILENT_HOLD_NANOS = 120_000_000_000L;
    /** Most relays remembered. */
    static final int MAX_TRACKED = 1024;

    private static final class State {
        int misses;
        long silentUntil;
        boolean silent;
    }

    private final Map<AnodeAddress, State> states = BoundedMap.leastRecentlyUsed(MAX_TRACKED);

    /** The relay answered a PING: it is not silent. */
    void answered(AnodeAddress relay) {
        State s = states.get(relay);
        if (s != null) {
            s.misses = 0;
            s.silent = false;
        }
    }

    /**
     * A PING to the relay went unanswered.
     *
     * @return true if this miss made the relay silent (it was not before)
     */
    boolean missed(AnodeAddress relay, long now) {
        State s = states.computeIfAbsent(relay, k -> new State());
        s.misses++;
        if (s.misses >= SILENT_AFTER && !silent(s, now)) {
            s.silent = true;
            s.silentUntil = now + SILENT_HOLD_NANOS;
            return true;
        }
        return false;
    }

    /** Whether the relay is silent now (missed {@link #SILENT_AFTER} PINGs, hold not yet over). */
    boolean silent(AnodeAddress relay, long now) {
        State s = states.get(relay);
        return s != null && silent(s, now);
    }

    private static boolean silent(State s, long now) {
        return s.silent && s.silentUntil - now > 0;
    }

    /** Unanswered PINGs in a row to the relay (0 if it answered last or was never tried). */
    int misses(AnodeAddress relay) {
        State s = states.get(relay);
        return s == null ? 0 : s.misses;
    }

    /**
     * The relay for {@code address} in {@code file}: its designated relay (draft 2.3.1) unless that
     * one is silent, then the next entry that is not; the designated one if all are silent (a
     * silent relay is still the best guess). Empty if the zone has no relays.
     */
    Optional<ZoneRelay> choose(ZoneFile file, AnodeAddress address, long now) {
        List<ZoneRelay> rs = file.relays();
        if (rs.isEmpty()) {
            return Optional.empty();
        }
        int first = ZoneFile.relayIndex(address, rs.size());
        for (int k = 0; k < rs.size(); k++) {
            ZoneRelay z = rs.get((first + k) % rs.size());
            if (!silent(z.addresses().get(0), now)) {
                return Optional.of(z);
            }
        }
        return Optional.of(rs.get(first));
    }
}
