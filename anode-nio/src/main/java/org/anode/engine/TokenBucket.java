package org.anode.engine;

/**
 * A token bucket on the caller's clock: the engine's rate limits (key agreements for unknown
 * senders, ERROR replies - DECISIONS 30) without reading any clock itself. Not thread-safe.
 */
final class TokenBucket {
    private final long nanosPerToken;
    private final long capacityNanos;
    /** Credit in nanoseconds' worth of tokens; starts full. */
    private long credit;

    private long last;
    private boolean started;

    /** {@code ratePerSecond} tokens per second, bursts up to {@code burst} tokens. */
    TokenBucket(int ratePerSecond, int burst) {
        this.nanosPerToken = Math.max(1, 1_000_000_000L / ratePerSecond);
        this.capacityNanos = nanosPerToken * Math.max(1, burst);
        this.credit = capacityNanos;
    }

    /** Takes one token if available at time {@code now}. */
    boolean tryTake(long now) {
        refill(now);
        if (credit >= nanosPerToken) {
            credit -= nanosPerToken;
            return true;
        }
        return false;
    }

    /**
     * Whether less than a quarter of the burst, or less than one token, is left at {@code now}: the
     * bucket is being spent about as fast as it refills (addendum A15's "pressure"). Never false
     * when {@link #tryTake} would fail. Takes nothing.
     */
    boolean mostlySpent(long now) {
        refill(now);
        return credit < Math.max(nanosPerToken, capacityNanos / 4);
    }

    private void refill(long now) {
        if (!started) {
            started = true;
            last = now;
        }
        long elapsed = now - last;
        if (elapsed > 0) {
            credit = Math.min(capacityNanos, credit + Math.min(elapsed, capacityNanos));
            last = now;
        }
    }
}
