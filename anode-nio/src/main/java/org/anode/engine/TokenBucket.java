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
        if (!started) {
            started = true;
            last = now;
        }
        long elapsed = now - last;
        if (elapsed > 0) {
            credit = Math.min(capacityNanos, credit + Math.min(elapsed, capacityNanos));
            last = now;
        }
        if (credit >= nanosPerToken) {
            credit -= nanosPerToken;
            return true;
        }
        return false;
    }
}
