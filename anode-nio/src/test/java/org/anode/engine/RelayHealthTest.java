package org.anode.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.anode.address.AnodeAddress;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.zone.ZoneDirectory;
import org.anode.zone.ZoneDirectoryConfig;
import org.anode.zone.ZoneFile;
import org.anode.zone.ZoneSource;
import org.junit.jupiter.api.Test;

/**
 * Addendum A11 and DECISIONS 32 with a fake clock: which relay serves an address when relays go
 * silent, and a node's relay following its zone file once the TTL has passed.
 */
class RelayHealthTest {
    static final long SECOND = 1_000_000_000L;
    static final Zone Z = new Zone(0x0a0b0c0d);
    static final AnodeAddress R0 = AnodeIdentity.generate(Z).address();
    static final AnodeAddress R1 = AnodeIdentity.generate(Z).address();
    static final AnodeAddress R2 = AnodeIdentity.generate(Z).address();

    static ZoneFile file(long revision, AnodeAddress... relays) throws Exception {
        ZoneFile.Builder b = ZoneFile.builder()
                .name("t")
                .description("t")
                .contact("t@example.org")
                .revision(revision)
                .ttl(Duration.ofSeconds(60));
        int port = 4000;
        for (AnodeAddress r : relays) {
            b.relay(List.of(InetAddress.getByAddress(new byte[] {127, 0, 0, 1})), port, port, List.of(r));
            port++;
        }
        return b.build();
    }

    /** An address whose designated relay among {@code n} is {@code index}. */
    static AnodeAddress addressAt(int index, int n) {
        for (int i = 0; i < 10_000; i++) {
            AnodeAddress a = AnodeIdentity.generate(Z).address();
            if (ZoneFile.relayIndex(a, n) == index) {
                return a;
            }
        }
        throw new AssertionError("no address found");
    }

    long now = 7 * SECOND;

    @Test
    void theDesignatedRelayServesUntilItMissesThreePingsInARow() throws Exception {
        ZoneFile f = file(1, R0, R1, R2);
        AnodeAddress a = addressAt(1, 3);
        RelayHealth h = new RelayHealth();
        assertEquals(R1, h.choose(f, a, now).orElseThrow().addresses().get(0));
        assertFalse(h.missed(R1, now));
        assertFalse(h.missed(R1, now));
        h.answered(R1);
        assertEquals(0, h.misses(R1), "an answer resets the count");
        assertFalse(h.missed(R1, now));
        assertFalse(h.missed(R1, now));
        assertTrue(h.missed(R1, now), "the third miss in a row makes it silent");
        assertFalse(h.missed(R1, now), "reported once");
        assertTrue(h.silent(R1, now));
        assertEquals(R2, h.choose(f, a, now).orElseThrow().addresses().get(0), "the next entry takes over");
        // The next one silent too: wraps to zr.0.
        for (int i = 0; i < RelayHealth.SILENT_AFTER; i++) {
            h.missed(R2, now);
        }
        assertEquals(R0, h.choose(f, a, now).orElseThrow().addresses().get(0));
        // All silent: the designated one is still the best guess.
        for (int i = 0; i < RelayHealth.SILENT_AFTER; i++) {
            h.missed(R0, now);
        }
        assertEquals(R1, h.choose(f, a, now).orElseThrow().addresses().get(0));
        // An answer brings a relay back at once; the hold ending brings it back too.
        h.answered(R2);
        assertEquals(R2, h.choose(f, a, now).orElseThrow().addresses().get(0));
        now += RelayHealth.SILENT_HOLD_NANOS;
        assertFalse(h.silent(R1, now));
        assertEquals(R1, h.choose(f, a, now).orElseThrow().addresses().get(0));
        assertTrue(h.missed(R1, now), "silent again after the hold: one more miss");
    }

    @Test
    void aZoneWithoutRelaysHasNoChoiceAndTheTableIsBounded() throws Exception {
        RelayHealth h = new RelayHealth();
        assertTrue(h.choose(file(1), R0, now).isEmpty());
        for (int i = 0; i < RelayHealth.MAX_TRACKED + 10; i++) {
            h.missed(AnodeIdentity.generate(Z).address(), now);
        }
        h.missed(R0, now);
        assertEquals(1, h.misses(R0));
    }

    @Test
    void afterTheTtlTheNodesRelayFollowsTheChangedZoneFile() throws Exception {
        // DECISIONS 32: lookups return the cached file at once; a stale one is refreshed in the
        // background, and the next lookup (the router's next announce) sees the new revision.
        AnodeAddress self = addressAt(0, 1);
        AtomicReference<ZoneFile> served = new AtomicReference<>(file(1, R0));
        ZoneDirectory d = ZoneDirectory.create(
                ZoneDirectoryConfig.defaults().withOverride(Z, new ZoneSource.LocalFile(java.nio.file.Path.of("z"))),
                src -> CompletableFuture.completedFuture(served.get().toBytes()),
                () -> now);
        RelayHealth h = new RelayHealth();
        assertEquals(
                R0,
                h.choose(d.lookup(Z).join(), self, now)
                        .orElseThrow()
                        .addresses()
                        .get(0));
        served.set(file(2, R2));
        now += 30 * SECOND;
        assertEquals(
                R0,
                h.choose(d.lookup(Z).join(), self, now)
                        .orElseThrow()
                        .addresses()
                        .get(0),
                "fresh: cached");
        now += 31 * SECOND;
        assertEquals(
                R0,
                h.choose(d.lookup(Z).join(), self, now)
                        .orElseThrow()
                        .addresses()
                        .get(0),
                "stale: answered at once from the cache, refreshed behind");
        assertEquals(
                R2,
                h.choose(d.lookup(Z).join(), self, now)
                        .orElseThrow()
                        .addresses()
                        .get(0),
                "the refreshed file names the new relay");
    }
}
