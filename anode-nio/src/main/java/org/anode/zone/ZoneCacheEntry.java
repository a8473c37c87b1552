package org.anode.zone;

import java.time.Duration;

/**
 * What is known about one zone, and when it may be fetched again (DECISIONS 32): the refresh rules
 * without any I/O or clock of their own, so they can be tested with made-up times. Times are
 * {@link System#nanoTime()}-style values, compared by subtraction so that wrap-around is harmless.
 * Not thread-safe: {@link ZoneDirectory} guards it.
 */
final class ZoneCacheEntry {
    /** Shortest effective {@code ttl} (DECISIONS 32). */
    static final Duration MIN_TTL = Duration.ofSeconds(60);
    /** Longest effective {@code ttl} (DECISIONS 32). */
    static final Duration MAX_TTL = Duration.ofDays(1);

    /** What happened to a fetched file. */
    enum Outcome {
        /** It became the cached file. */
        INSTALLED,
        /** Its revision is below the cached one: ignored, the cached file is kept and re-armed. */
        IGNORED_OLDER
    }

    private final long retryMinNanos;
    private final long retryMaxNanos;

    private ZoneFile file;
    private long expiresAt;
    private int failures;
    private long retryAt;
    private ZoneUnavailableException lastFailure;

    ZoneCacheEntry(Duration retryMin, Duration retryMax) {
        this.retryMinNanos = retryMin.toNanos();
        this.retryMaxNanos = retryMax.toNanos();
    }

    /** The {@code ttl} the cache uses for a file: its own, clamped to 60 s .. 1 day. */
    static Duration effectiveTtl(ZoneFile f) {
        Duration t = f.ttl();
        return t.compareTo(MIN_TTL) < 0 ? MIN_TTL : t.compareTo(MAX_TTL) > 0 ? MAX_TTL : t;
    }

    /** The wait after the {@code n}th consecutive failure (n >= 1): min, 2 min, 4 min, ... up to max. */
    long backoffNanos(int n) {
        long d = retryMinNanos;
        for (int i = 1; i < n && d < retryMaxNanos; i++) {
            d = d > Long.MAX_VALUE / 2 ? Long.MAX_VALUE : d * 2;
        }
        return Math.min(d, retryMaxNanos);
    }

    /** The last good file, however old. */
    ZoneFile file() {
        return file;
    }

    /** Whether a fetch may start now: the file is missing or past its ttl, and no backoff is running. */
    boolean fetchDue(long now) {
        boolean wanted = file == null || now - expiresAt >= 0;
        return wanted && retryDue(now);
    }

    /** Whether no backoff is running: the last fetch succeeded, or its retry time has come. */
    boolean retryDue(long now) {
        return failures == 0 || now - retryAt >= 0;
    }

    /** Whether the file (if any) is within its ttl. */
    boolean fresh(long now) {
        return file != null && now - expiresAt < 0;
    }

    /** The failure of the last fetch, or null if it succeeded (or none was made). */
    ZoneUnavailableException lastFailure() {
        return lastFailure;
    }

    int failures() {
        return failures;
    }

    /** When the next fetch may start after a failure (meaningful while {@link #failures()} > 0). */
    long retryAt() {
        return retryAt;
    }

    /** When the file goes stale (meaningful while there is a file). */
    long expiresAt() {
        return expiresAt;
    }

    /** A fetch gave a valid file. */
    Outcome fetched(ZoneFile f, long now) {
        failures = 0;
        lastFailure = null;
        if (file != null && f.revision() < file.revision()) {
            // Revisions never go back (draft 2.1: r increases with each edit). The source did
            // answer, so the cached file is trusted for another ttl rather than retried at once.
            expiresAt = now + effectiveTtl(file).toNanos();
            return Outcome.IGNORED_OLDER;
        }
        file = f;
        expiresAt = now + effectiveTtl(f).toNanos();
        return Outcome.INSTALLED;
    }

    /** A fetch failed: the file (if any) is kept, the next attempt waits out the backoff. */
    void failed(ZoneUnavailableException e, long now) {
        failures = failures == Integer.MAX_VALUE ? failures : failures + 1;
        retryAt = now + backoffNanos(failures);
        lastFailure = e;
    }
}
