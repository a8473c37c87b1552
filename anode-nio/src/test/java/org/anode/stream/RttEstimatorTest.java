package org.anode.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** {@link RttEstimator}: RFC 6298 arithmetic, the RTO bounds and the backoff ceiling. */
class RttEstimatorTest {
    private static final long MS = 1_000_000L;

    private static RttEstimator estimator() {
        // initial 1 s, min 200 ms, max 60 s, dead peer after 20 s: the backoff ceiling is 5 s.
        return new RttEstimator(1000 * MS, 200 * MS, 60_000 * MS, 20_000 * MS);
    }

    @Test
    void beforeAnySampleTheInitialTimeoutApplies() {
        RttEstimator r = estimator();
        assertEquals(-1, r.srtt());
        assertEquals(RttEstimator.NO_SAMPLE, r.minRtt());
        assertEquals(1000 * MS, r.currentRto());
    }

    @Test
    void theFirstSampleSetsSrttAndHalfOfItAsVariance() {
        RttEstimator r = estimator();
        r.sample(100 * MS);
        assertEquals(100 * MS, r.srtt());
        assertEquals(50 * MS, r.rttvar());
        assertEquals(100 * MS, r.minRtt());
        // srtt + 4 * rttvar = 300 ms.
        assertEquals(300 * MS, r.currentRto());
    }

    @Test
    void laterSamplesAreSmoothedWithTheRfc6298Gains() {
        RttEstimator r = estimator();
        r.sample(100 * MS);
        r.sample(180 * MS);
        // rttvar = (3 * 50 + |100 - 180|) / 4, srtt = (7 * 100 + 180) / 8.
        assertEquals((3 * 50 * MS + 80 * MS) / 4, r.rttvar());
        assertEquals((700 * MS + 180 * MS) / 8, r.srtt());
        assertEquals(100 * MS, r.minRtt());
        r.sample(40 * MS);
        assertEquals(40 * MS, r.minRtt());
    }

    @Test
    void theTimeoutStaysWithinItsBounds() {
        RttEstimator r = estimator();
        r.sample(1 * MS);
        assertEquals(200 * MS, r.currentRto(), "never below the minimum");
        RttEstimator slow = estimator();
        slow.sample(100_000 * MS);
        assertEquals(60_000 * MS, slow.baseRto(), "never above the maximum");
        RttEstimator zero = estimator();
        zero.sample(0);
        assertEquals(1, zero.srtt(), "a non-positive sample counts as 1 ns");
    }

    @Test
    void backoffDoublesUpToAQuarterOfTheDeadPeerTimeoutAndResets() {
        RttEstimator r = estimator();
        r.sample(100 * MS);
        r.backOff();
        assertEquals(600 * MS, r.currentRto());
        r.backOff();
        r.backOff();
        assertEquals(2400 * MS, r.currentRto());
        for (int i = 0; i < 40; i++) {
            r.backOff();
        }
        assertEquals(30, r.backoff(), "the count is bounded");
        assertEquals(5000 * MS, r.currentRto(), "capped at deadPeerTimeout / 4");
        assertEquals(1200 * MS, r.backedOff(2), "the persist timer backs off from the same base");
        r.resetBackoff();
        assertEquals(300 * MS, r.currentRto());
    }
}
