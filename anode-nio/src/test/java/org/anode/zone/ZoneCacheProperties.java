package org.anode.zone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.anode.address.Zone;

/**
 * The refresh rules of DECISIONS 32 ({@link ZoneCacheEntry}) over random sequences of fetch
 * results, failures and clock steps, starting from random clock values (wrap-around included).
 */
class ZoneCacheProperties {
    private static final long S = 1_000_000_000L;
    private static final Duration RETRY_MIN = Duration.ofSeconds(5);
    private static final Duration RETRY_MAX = Duration.ofMinutes(15);

    /** kind 0: the clock moves on; 1: a fetch gives a file; 2: a fetch fails. */
    record Step(int kind, long seconds, long revision, long ttl) {}

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Step> step = Combinators.combine(
                        Arbitraries.integers().between(0, 2),
                        Arbitraries.longs().between(0, 2 * 24 * 3600),
                        Arbitraries.longs().between(0, 12),
                        Arbitraries.oneOf(
                                Arbitraries.longs().between(0, 200),
                                Arbitraries.longs().between(0, 3 * 24 * 3600),
                                Arbitraries.just(Long.MAX_VALUE)))
                .as(Step::new);
        return step.list().ofMaxSize(60);
    }

    @Provide
    Arbitrary<Long> starts() {
        return Arbitraries.oneOf(
                Arbitraries.longs(), Arbitraries.just(Long.MAX_VALUE - 3600 * S), Arbitraries.just(Long.MIN_VALUE));
    }

    private static String file(long revision, long ttl) {
        return "n=p\nd=\nc=\nr=" + revision + "\nttl=" + ttl + "\n";
    }

    @Property(tries = 300)
    void refreshRulesHold(@ForAll("steps") List<Step> steps, @ForAll("starts") long start) throws Exception {
        ZoneCacheEntry e = new ZoneCacheEntry(RETRY_MIN, RETRY_MAX);
        long now = start;
        assertTrue(e.fetchDue(now), "nothing known: fetch");
        long bestRevision = -1;
        int failures = 0;
        for (Step s : steps) {
            ZoneFile before = e.file();
            switch (s.kind) {
                case 0 -> now += s.seconds * S;
                case 1 -> {
                    ZoneFile f = ZoneFile.parse(file(s.revision, s.ttl));
                    ZoneCacheEntry.Outcome o = e.fetched(f, now);
                    failures = 0;
                    assertEquals(
                            before != null && s.revision < before.revision()
                                    ? ZoneCacheEntry.Outcome.IGNORED_OLDER
                                    : ZoneCacheEntry.Outcome.INSTALLED,
                            o);
                    bestRevision = Math.max(bestRevision, s.revision);
                    // A fresh answer of either kind is good for the clamped ttl of the kept file.
                    long ttl = ZoneCacheEntry.effectiveTtl(e.file()).toNanos();
                    assertTrue(ttl >= 60 * S && ttl <= 24 * 3600 * S);
                    assertTrue(e.fresh(now));
                    assertFalse(e.fetchDue(now));
                    assertFalse(e.fetchDue(now + ttl - 1));
                    assertTrue(e.fetchDue(now + ttl));
                }
                default -> {
                    e.failed(
                            new ZoneUnavailableException(
                                    new Zone(1), ZoneUnavailableException.Reason.UNREACHABLE, "test", null),
                            now);
                    failures++;
                    assertSame(before, e.file(), "a failure keeps the file");
                    long wait = e.retryAt() - now;
                    assertEquals(e.backoffNanos(failures), wait);
                    assertTrue(wait >= RETRY_MIN.toNanos() && wait <= RETRY_MAX.toNanos());
                    if (failures > 1) {
                        assertTrue(
                                wait == RETRY_MAX.toNanos() || wait == 2 * e.backoffNanos(failures - 1),
                                "the wait doubles until the maximum");
                    }
                    assertFalse(e.retryDue(now + wait - 1));
                    assertTrue(e.retryDue(now + wait));
                    assertFalse(e.fetchDue(now), "no retry at once");
                }
            }
            if (bestRevision >= 0) {
                assertNotNull(e.file());
                assertEquals(bestRevision, e.file().revision(), "the revision never goes back");
            }
        }
    }
}
