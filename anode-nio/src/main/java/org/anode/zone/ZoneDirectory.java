package org.anode.zone;

import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.anode.address.Zone;

/**
 * The current zone file of any zone (draft 2.1, 2.1.1 and 2.3.1; DECISIONS 32), fetched when first
 * asked for and kept fresh.
 *
 * <p>Sources, in order: the application's override for the zone (a URL or a local file) if there
 * is one, otherwise the draft's DNS URL and then its IP fallback ({@link ZoneLocator}). The first
 * source that gives a valid file ends the fetch. Zone 0 is local: nothing is fetched for it unless
 * an override is configured ({@link ZoneUnavailableException.Reason#LOCAL_ONLY}).
 *
 * <p>Caching: a file is fresh for its {@code ttl} clamped to 60 s .. 1 day. A lookup of a zone with
 * a cached file completes at once with that file, even past its ttl; a stale file starts one
 * refresh in the background, whose result later lookups see. A fetched file whose revision
 * {@code r} is lower than the cached one is ignored (revisions never go back) and the cached one is
 * kept for another ttl. A failed fetch keeps any cached file and is retried after an exponential
 * backoff ({@link ZoneDirectoryConfig#retryMin()} doubling up to {@link ZoneDirectoryConfig#retryMax()});
 * while it runs, a lookup of a zone without a file fails at once with the last failure's reason. An
 * invalid file is logged as an error and treated as a failed fetch. A file without {@code zr}
 * entries is returned like any other: the zone is LAN-only ({@link ZoneFile#lanOnly()}).
 *
 * <p>Lookups never block: concurrent lookups of a zone share one fetch, and each caller gets its
 * own future (cancelling it does not cancel the fetch). The refresh rules are in
 * {@link ZoneCacheEntry}; this class adds the sources, the sharing and the bound on tracked zones,
 * and takes its clock and its way of reading a source as parameters so that tests need no network.
 * Thread-safe.
 */
public final class ZoneDirectory {
    private static final System.Logger LOG = System.getLogger(ZoneDirectory.class.getName());

    /**
     * Reads the raw bytes of a zone file (draft 2.1.1) from one source without blocking, as
     * {@link ZoneFetcher#fetchBytes(ZoneSource)} does; the future fails with a
     * {@link ZoneFetchException} when the source cannot be read. Cancelling it should abandon the read.
     */
    @FunctionalInterface
    public interface Fetch {
        CompletableFuture<byte[]> fetch(ZoneSource source);
    }

    private final ZoneDirectoryConfig config;
    private final Fetch fetch;
    private final LongSupplier nanoClock;
    // Access order: the eldest entry is the least recently asked for. Guarded by this.
    private final LinkedHashMap<Zone, Tracked> zones = new LinkedHashMap<>(16, 0.75f, true);

    /** An entry with the fetch in progress for it, if any. */
    private static final class Tracked {
        final ZoneCacheEntry entry;
        CompletableFuture<ZoneFile> inflight;

        Tracked(ZoneCacheEntry entry) {
            this.entry = entry;
        }
    }

    private ZoneDirectory(ZoneDirectoryConfig config, Fetch fetch, LongSupplier nanoClock) {
        this.config = Objects.requireNonNull(config, "config");
        this.fetch = Objects.requireNonNull(fetch, "fetch");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    }

    /**
     * A directory that fetches over HTTP(S) with the JDK's {@link java.net.http.HttpClient}
     * (following {@link java.net.ProxySelector#getDefault()}, never following redirects) and reads
     * local files, with the timeouts and size bound of {@code config}.
     */
    public static ZoneDirectory create(ZoneDirectoryConfig config) {
        ZoneFetcher fetcher = ZoneFetcher.builder()
                .locator(config.locator())
                .limits(config.limits())
                .connectTimeout(config.connectTimeout())
                .timeout(config.requestTimeout())
                .build();
        return create(config, fetcher::fetchBytes, System::nanoTime);
    }

    /**
     * A directory with its own way of reading sources and its own clock (tests, or an application
     * with its own HTTP stack). The fetch function should bound its own time; as a safety net a read
     * that has not finished after the config's connect plus request timeout is abandoned.
     *
     * @param nanoClock a monotonic clock in nanoseconds, like {@link System#nanoTime()}
     */
    public static ZoneDirectory create(ZoneDirectoryConfig config, Fetch fetch, LongSupplier nanoClock) {
        return new ZoneDirectory(config, fetch, nanoClock);
    }

    public ZoneDirectoryConfig config() {
        return config;
    }

    /**
     * The zone's current file. Completes at once when a file is cached (see the class comment for
     * refreshes) or when the zone is in backoff after a failure; otherwise when the fetch ends.
     *
     * @return a future completing with the file, or failing with a {@link ZoneUnavailableException}
     */
    public CompletableFuture<ZoneFile> lookup(Zone zone) {
        return get(zone, false);
    }

    /**
     * Fetches the zone's file now, even if the cached one is fresh (e.g. when its relays stopped
     * answering), unless a fetch is already running (this joins it) or a backoff after a failure
     * is (this then answers at once, as {@link #lookup} does). Completes with the file that is
     * current once the fetch ends: the new one, or the cached one if the fetch failed or gave an
     * older revision.
     *
     * @return a future completing with the file, or failing with a {@link ZoneUnavailableException}
     */
    public CompletableFuture<ZoneFile> refresh(Zone zone) {
        return get(zone, true);
    }

    private CompletableFuture<ZoneFile> get(Zone zone, boolean force) {
        Objects.requireNonNull(zone, "zone");
        List<ZoneSource> sources = sources(zone);
        if (sources.isEmpty()) {
            return CompletableFuture.failedFuture(new ZoneUnavailableException(
                    zone,
                    ZoneUnavailableException.Reason.LOCAL_ONLY,
                    "zone 0 is local and no zone file is configured for it",
                    null));
        }
        CompletableFuture<ZoneFile> toStart;
        CompletableFuture<ZoneFile> answer;
        Tracked tracked;
        synchronized (this) {
            long now = nanoClock.getAsLong();
            Tracked t = zones.get(zone);
            if (t == null) {
                if (!makeRoom()) {
                    return CompletableFuture.failedFuture(new ZoneUnavailableException(
                            zone,
                            ZoneUnavailableException.Reason.TOO_MANY_ZONES,
                            "all " + config.maxZones() + " tracked zones are being fetched",
                            null));
                }
                t = new Tracked(new ZoneCacheEntry(config.retryMin(), config.retryMax()));
                zones.put(zone, t);
            }
            tracked = t;
            ZoneCacheEntry e = t.entry;
            toStart = null;
            if (t.inflight == null && (force ? e.retryDue(now) : e.fetchDue(now))) {
                t.inflight = new CompletableFuture<>();
                toStart = t.inflight;
            }
            if (force && t.inflight != null) {
                answer = t.inflight.copy();
            } else if (e.file() != null) {
                answer = CompletableFuture.completedFuture(e.file());
            } else if (t.inflight != null) {
                answer = t.inflight.copy();
            } else {
                ZoneUnavailableException last = e.lastFailure();
                answer = CompletableFuture.failedFuture(new ZoneUnavailableException(
                        zone,
                        last.reason(),
                        "last fetch failed, next attempt in "
                                + TimeUnit.NANOSECONDS.toMillis(Math.max(0, e.retryAt() - now)) + " ms",
                        last));
            }
        }
        if (toStart != null) {
            startFetch(zone, tracked, sources, toStart);
        }
        return answer;
    }

    /**
     * {@link #lookup}, waiting for the answer: for callers on a thread that may block. The wait is
     * bounded by the fetch timeouts of every source.
     *
     * @throws ZoneUnavailableException if the zone has no usable file
     */
    public ZoneFile zoneFile(Zone zone) throws ZoneUnavailableException, InterruptedException {
        CompletableFuture<ZoneFile> f = lookup(zone);
        // Each source is abandoned after connect + request timeout (readOne); allow both and a margin.
        long boundMs = 2 * config.connectTimeout().plus(config.requestTimeout()).toMillis() + 1000;
        try {
            return f.get(boundMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            // Only this caller's copy: a fetch other callers share goes on.
            f.cancel(true);
            throw e;
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new ZoneUnavailableException(
                    zone, ZoneUnavailableException.Reason.UNREACHABLE, "no answer within " + boundMs + " ms", e);
        } catch (ExecutionException e) {
            Throwable c = unwrap(e.getCause());
            if (c instanceof ZoneUnavailableException z) {
                throw new ZoneUnavailableException(z);
            }
            throw new ZoneUnavailableException(
                    zone, ZoneUnavailableException.Reason.UNREACHABLE, "lookup failed: " + c, c);
        }
    }

    /** The zone's cached file, however old, without fetching anything. */
    public synchronized Optional<ZoneFile> cached(Zone zone) {
        Tracked t = zones.get(Objects.requireNonNull(zone, "zone"));
        return t == null ? Optional.empty() : Optional.ofNullable(t.entry.file());
    }

    /** The sources for a zone, in order; empty for zone 0 without an override. */
    List<ZoneSource> sources(Zone zone) {
        ZoneSource o = config.overrides().get(zone);
        if (o != null) {
            return List.of(o);
        }
        if (zone.id() == 0) {
            return List.of();
        }
        List<ZoneSource> out = new ArrayList<>(2);
        for (URI u : config.locator().uris(zone)) {
            out.add(new ZoneSource.Url(u));
        }
        return out;
    }

    /** Makes room for one more zone by forgetting the least recently used idle one; false if none is idle. */
    private boolean makeRoom() {
        if (zones.size() < config.maxZones()) {
            return true;
        }
        for (Iterator<Map.Entry<Zone, Tracked>> it = zones.entrySet().iterator(); it.hasNext(); ) {
            if (it.next().getValue().inflight == null) {
                it.remove();
                return true;
            }
        }
        return false;
    }

    /**
     * Runs a fetch for the entry that started it. A zone being fetched is never evicted, so
     * {@code t} is still the zone's entry when the fetch ends.
     */
    private void startFetch(Zone zone, Tracked t, List<ZoneSource> sources, CompletableFuture<ZoneFile> done) {
        tryFrom(zone, sources, 0, new ArrayList<>(sources.size())).whenComplete((file, failure) -> {
            if (failure != null) {
                finishFailed(zone, t, done, unavailable(zone, failure));
            } else {
                finishFetched(zone, t, done, file);
            }
        });
    }

    /** Reads sources from {@code i} on, one after the other, until one gives a valid file. */
    private CompletableFuture<Fetched> tryFrom(Zone zone, List<ZoneSource> sources, int i, List<Failure> failures) {
        ZoneSource source = sources.get(i);
        return readOne(source)
                .handle((bytes, failure) -> {
                    if (failure == null && bytes == null) {
                        failure =
                                new ZoneFetchException(ZoneFetchException.Reason.IO, uriOf(source), 0, "no data", null);
                    } else if (failure == null) {
                        try {
                            ZoneFile file = ZoneFile.parse(bytes, config.limits());
                            return CompletableFuture.completedFuture(new Fetched(source, file, List.copyOf(failures)));
                        } catch (ZoneFileException | RuntimeException e) {
                            // Whatever a hostile file does to the parser, it is a bad file, not a crash.
                            failure = new ZoneFetchException(
                                    ZoneFetchException.Reason.INVALID_ZONE_FILE,
                                    uriOf(source),
                                    200,
                                    "not a valid zone file: " + e.getMessage(),
                                    e);
                        }
                    }
                    Failure f = classify(source, unwrap(failure));
                    failures.add(f);
                    LOG.log(System.Logger.Level.DEBUG, "zone {0}: source {1} failed: {2}", zone, source, f.cause);
                    if (i + 1 < sources.size()) {
                        return tryFrom(zone, sources, i + 1, failures);
                    }
                    return CompletableFuture.<Fetched>failedFuture(new SourcesFailed(failures));
                })
                .thenCompose(x -> x);
    }

    private CompletableFuture<byte[]> readOne(ZoneSource source) {
        CompletableFuture<byte[]> read;
        try {
            read = Objects.requireNonNull(fetch.fetch(source), "fetch returned null");
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        long guard = config.connectTimeout().plus(config.requestTimeout()).toMillis();
        CompletableFuture<byte[]> bounded = read.copy().orTimeout(guard, TimeUnit.MILLISECONDS);
        bounded.whenComplete((b, t) -> {
            if (t != null && unwrap(t) instanceof TimeoutException) {
                read.cancel(true);
            }
        });
        return bounded;
    }

    private static URI uriOf(ZoneSource s) {
        return s instanceof ZoneSource.Url u
                ? u.uri()
                : ((ZoneSource.LocalFile) s).path().toUri();
    }

    private static Throwable unwrap(Throwable t) {
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** A valid file, where it came from, and how the sources tried before it failed. */
    private record Fetched(ZoneSource source, ZoneFile file, List<Failure> earlier) {}

    /** One source's failure, classified. */
    private record Failure(ZoneSource source, ZoneUnavailableException.Reason reason, Throwable cause) {}

    /** Every source failed. */
    private static final class SourcesFailed extends Exception {
        private static final long serialVersionUID = 1L;
        final transient List<Failure> failures;

        SourcesFailed(List<Failure> failures) {
            super(null, null, false, false);
            this.failures = List.copyOf(failures);
        }
    }

    private static Failure classify(ZoneSource source, Throwable t) {
        ZoneUnavailableException.Reason r = ZoneUnavailableException.Reason.UNREACHABLE;
        if (t instanceof ZoneFetchException z) {
            switch (z.reason()) {
                case INVALID_ZONE_FILE, TOO_LARGE -> r = ZoneUnavailableException.Reason.MALFORMED;
                case HTTP_STATUS ->
                    r = z.statusCode() == 404 || z.statusCode() == 410
                            ? ZoneUnavailableException.Reason.NOT_FOUND
                            : ZoneUnavailableException.Reason.UNREACHABLE;
                case IO ->
                    r = z.getCause() instanceof NoSuchFileException
                            ? ZoneUnavailableException.Reason.NOT_FOUND
                            : ZoneUnavailableException.Reason.UNREACHABLE;
                case TIMEOUT -> r = ZoneUnavailableException.Reason.UNREACHABLE;
            }
        }
        return new Failure(source, r, t);
    }

    /**
     * The failure of a whole fetch: the most telling source failure (an invalid file, then "no such
     * file", then unreachable), the others attached as suppressed.
     */
    private static ZoneUnavailableException unavailable(Zone zone, Throwable failure) {
        Throwable t = unwrap(failure);
        if (!(t instanceof SourcesFailed sf)) {
            return new ZoneUnavailableException(
                    zone, ZoneUnavailableException.Reason.UNREACHABLE, "fetch failed: " + t, t);
        }
        Failure best = mostTelling(sf.failures);
        Throwable cause = best.cause;
        for (Failure f : sf.failures) {
            if (f != best && f.cause != cause) {
                cause.addSuppressed(f.cause);
            }
        }
        // A ZoneFetchException's message already starts with its URL.
        String message = cause instanceof ZoneFetchException ? cause.getMessage() : best.source + ": " + cause;
        return new ZoneUnavailableException(zone, best.reason, message, cause);
    }

    private static Failure mostTelling(List<Failure> failures) {
        Failure best = null;
        for (Failure f : failures) {
            if (best == null || rank(f.reason) > rank(best.reason)) {
                best = f;
            }
        }
        return best;
    }

    private static int rank(ZoneUnavailableException.Reason r) {
        return switch (r) {
            case MALFORMED -> 3;
            case NOT_FOUND -> 2;
            default -> 1;
        };
    }

    private void finishFetched(Zone zone, Tracked t, CompletableFuture<ZoneFile> done, Fetched fetched) {
        ZoneFile result;
        ZoneCacheEntry.Outcome outcome;
        ZoneFile previous;
        synchronized (this) {
            previous = t.entry.file();
            outcome = t.entry.fetched(fetched.file, nanoClock.getAsLong());
            result = t.entry.file();
            t.inflight = null;
        }
        ZoneFile f = fetched.file;
        if (outcome == ZoneCacheEntry.Outcome.IGNORED_OLDER) {
            LOG.log(
                    System.Logger.Level.WARNING,
                    "zone {0}: {1} gave revision {2}, older than the cached {3}: ignored",
                    zone,
                    fetched.source,
                    f.revision(),
                    previous.revision());
        } else if (previous == null || previous.revision() != f.revision()) {
            LOG.log(
                    System.Logger.Level.INFO,
                    "zone {0}: revision {1} from {2}, {3}",
                    zone,
                    f.revision(),
                    fetched.source,
                    f.lanOnly() ? "LAN-only (no zone relays)" : f.relays().size() + " zone relay(s)");
        }
        for (Failure e : fetched.earlier) {
            // A zone whose DNS name is not registered is common; a server giving a bad file is worth a warning.
            LOG.log(
                    e.reason == ZoneUnavailableException.Reason.MALFORMED
                            ? System.Logger.Level.WARNING
                            : System.Logger.Level.DEBUG,
                    "zone {0}: {1} failed before {2} answered: {3}",
                    zone,
                    e.source,
                    fetched.source,
                    e.cause.getMessage());
        }
        done.complete(result);
    }

    private void finishFailed(Zone zone, Tracked t, CompletableFuture<ZoneFile> done, ZoneUnavailableException e) {
        ZoneFile kept;
        long retryMs;
        synchronized (this) {
            long now = nanoClock.getAsLong();
            t.entry.failed(e, now);
            kept = t.entry.file();
            retryMs = TimeUnit.NANOSECONDS.toMillis(t.entry.retryAt() - now);
            t.inflight = null;
        }
        System.Logger.Level level = e.reason() == ZoneUnavailableException.Reason.MALFORMED
                ? System.Logger.Level.ERROR
                : System.Logger.Level.WARNING;
        LOG.log(
                level,
                "{0}; {1}, retrying in {2} ms",
                e.getMessage(),
                kept == null ? "the zone is unusable" : "keeping revision " + kept.revision(),
                retryMs);
        if (kept != null) {
            done.complete(kept);
        } else {
            done.completeExceptionally(e);
        }
    }
}
