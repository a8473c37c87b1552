package org.anode.zone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.anode.address.Zone;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The zone directory's cache and refresh rules (DECISIONS 32) with a made-up clock and made-up
 * sources: no sockets, no sleeping.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class ZoneDirectoryTest {
    private static final Zone ZONE = new Zone(0x0a0b0c0d);
    private static final ZoneSource DNS = new ZoneSource.Url(URI.create("http://a--0a0b0c0d.net/z"));
    private static final ZoneSource IP = new ZoneSource.Url(URI.create("http://10.11.12.13/z"));
    private static final long S = 1_000_000_000L;

    /** A clock that moves only when told, starting far from zero to catch sign mistakes. */
    private final AtomicLong now = new AtomicLong(Long.MAX_VALUE - 1000 * S);

    /** Answers per source, in order; every call is recorded. */
    private final Map<ZoneSource, ArrayDeque<Supplier<CompletableFuture<byte[]>>>> answers = new HashMap<>();

    private final List<ZoneSource> calls = new ArrayList<>();

    private final ZoneDirectory.Fetch fetch = source -> {
        synchronized (calls) {
            calls.add(source);
        }
        ArrayDeque<Supplier<CompletableFuture<byte[]>>> q = answers.get(source);
        if (q == null || q.isEmpty()) {
            return CompletableFuture.failedFuture(new ZoneFetchException(
                    ZoneFetchException.Reason.IO,
                    URI.create("http://unscripted/"),
                    0,
                    "no answer scripted for " + source,
                    null));
        }
        return q.poll().get();
    };

    private ZoneDirectory directory(ZoneDirectoryConfig config) {
        return ZoneDirectory.create(config, fetch, now::get);
    }

    private ZoneDirectory directory() {
        return directory(ZoneDirectoryConfig.defaults());
    }

    private void answer(ZoneSource source, Supplier<CompletableFuture<byte[]>> a) {
        answers.computeIfAbsent(source, s -> new ArrayDeque<>()).add(a);
    }

    private void serve(ZoneSource source, String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        answer(source, () -> CompletableFuture.completedFuture(b));
    }

    private void fail(ZoneSource source, ZoneFetchException.Reason reason, int status, Throwable cause) {
        answer(
                source,
                () -> CompletableFuture.failedFuture(
                        new ZoneFetchException(reason, URI.create("http://x/"), status, reason + " " + status, cause)));
    }

    static String zoneFile(long revision, long ttlSeconds, boolean withRelay) {
        return "n=test\nd=a test zone\nc=admin@example.org\nr=" + revision + "\nttl=" + ttlSeconds + "\n"
                + (withRelay ? "zr.0=127.0.0.1:4343:4344:" + ZoneTestData.VECTOR_ADDRESSES.get(0) + "\n" : "");
    }

    private void advance(long seconds) {
        now.addAndGet(seconds * S);
    }

    private int callCount() {
        synchronized (calls) {
            return calls.size();
        }
    }

    private static ZoneFile get(CompletableFuture<ZoneFile> f) throws Exception {
        return f.get(5, TimeUnit.SECONDS);
    }

    private static ZoneUnavailableException failure(CompletableFuture<ZoneFile> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
        return assertInstanceOf(ZoneUnavailableException.class, e.getCause());
    }

    @Test
    void fetchesFromTheDnsUrlAndCaches() throws Exception {
        ZoneDirectory d = directory();
        assertTrue(d.cached(ZONE).isEmpty());
        serve(DNS, zoneFile(3, 300, true));
        ZoneFile f = get(d.lookup(ZONE));
        assertEquals(3, f.revision());
        assertEquals(1, f.relays().size());
        assertFalse(f.lanOnly());
        assertEquals(List.of(DNS), calls);
        assertSame(f, d.cached(ZONE).orElseThrow());
        advance(299);
        assertSame(f, get(d.lookup(ZONE)));
        assertEquals(1, callCount(), "a fresh file is not fetched again");
    }

    @Test
    void fallsBackToTheIpUrl() throws Exception {
        ZoneDirectory d = directory();
        fail(DNS, ZoneFetchException.Reason.IO, 0, new java.net.UnknownHostException("a--0a0b0c0d.net"));
        serve(IP, zoneFile(1, 300, false));
        assertEquals(1, get(d.lookup(ZONE)).revision());
        assertEquals(List.of(DNS, IP), calls);
    }

    @Test
    void aBadFileAtTheDnsUrlFallsBackToTheIpUrl() throws Exception {
        ZoneDirectory d = directory();
        serve(DNS, "r=1\n");
        serve(IP, zoneFile(2, 300, true));
        assertEquals(2, get(d.lookup(ZONE)).revision());
        assertEquals(List.of(DNS, IP), calls);
    }

    @Test
    void staleFileIsServedAndRefreshedAfterTtl() throws Exception {
        ZoneDirectory d = directory();
        serve(DNS, zoneFile(1, 120, false));
        ZoneFile first = get(d.lookup(ZONE));
        advance(119);
        get(d.lookup(ZONE));
        assertEquals(1, callCount());
        advance(1);
        serve(DNS, zoneFile(2, 120, false));
        // The lookup answers at once with what it has; the refresh it started fills the cache.
        assertSame(first, get(d.lookup(ZONE)));
        assertEquals(2, callCount());
        assertEquals(2, d.cached(ZONE).orElseThrow().revision());
        assertEquals(2, get(d.lookup(ZONE)).revision());
        assertEquals(2, callCount());
    }

    @Test
    void ttlIsClampedToAMinuteAndADay() throws Exception {
        ZoneDirectory d = directory();
        serve(DNS, zoneFile(1, 0, false));
        get(d.lookup(ZONE));
        advance(59);
        get(d.lookup(ZONE));
        assertEquals(1, callCount(), "ttl 0 is raised to 60 s");
        advance(1);
        serve(DNS, zoneFile(2, 10L * 24 * 3600, false));
        get(d.lookup(ZONE));
        assertEquals(2, callCount());
        advance(24 * 3600 - 1);
        get(d.lookup(ZONE));
        assertEquals(2, callCount(), "a ttl of ten days is cut to one day");
        advance(1);
        serve(DNS, zoneFile(3, 60, false));
        get(d.lookup(ZONE));
        assertEquals(3, callCount());

        assertEquals(Duration.ofSeconds(90), ZoneCacheEntry.effectiveTtl(ZoneFile.parse(zoneFile(1, 90, false))));
        assertEquals(
                Duration.ofDays(1), ZoneCacheEntry.effectiveTtl(ZoneFile.parse(zoneFile(1, Long.MAX_VALUE, false))));
    }

    @Test
    void revisionNeverGoesBack() throws Exception {
        ZoneDirectory d = directory();
        serve(DNS, zoneFile(5, 100, true));
        get(d.lookup(ZONE));
        advance(100);
        serve(DNS, zoneFile(4, 100, false));
        get(d.lookup(ZONE));
        assertEquals(2, callCount());
        ZoneFile kept = d.cached(ZONE).orElseThrow();
        assertEquals(5, kept.revision());
        assertEquals(1, kept.relays().size());
        // The older answer still counts as an answer: the cached file is good for another ttl.
        advance(99);
        get(d.lookup(ZONE));
        assertEquals(2, callCount());
        advance(1);
        // The same revision is taken (the server may have fixed the file without bumping r).
        serve(DNS, zoneFile(5, 200, false));
        get(d.lookup(ZONE));
        assertEquals(5, d.cached(ZONE).orElseThrow().revision());
        assertTrue(d.cached(ZONE).orElseThrow().lanOnly());
        assertEquals(Duration.ofSeconds(200), d.cached(ZONE).orElseThrow().ttl());
    }

    @Test
    void failedRefreshKeepsTheFileAndBacksOff() throws Exception {
        ZoneDirectory d =
                directory(ZoneDirectoryConfig.defaults().withRetry(Duration.ofSeconds(5), Duration.ofSeconds(30)));
        serve(DNS, zoneFile(7, 60, true));
        ZoneFile good = get(d.lookup(ZONE));
        advance(60);
        int expected = 1;
        // Each failed refresh tries both URLs; the waits are 5, 10, 20, 30, 30 s.
        long[] waits = {5, 10, 20, 30, 30};
        for (long w : waits) {
            fail(DNS, ZoneFetchException.Reason.TIMEOUT, 0, null);
            fail(IP, ZoneFetchException.Reason.IO, 0, null);
            assertSame(good, get(d.lookup(ZONE)), "a failed refresh keeps the cached file");
            expected += 2;
            assertEquals(expected, callCount());
            advance(w - 1);
            assertSame(good, get(d.lookup(ZONE)));
            assertEquals(expected, callCount(), "no retry before the backoff of " + w + " s");
            advance(1);
        }
        serve(DNS, zoneFile(8, 60, true));
        get(d.lookup(ZONE));
        assertEquals(8, d.cached(ZONE).orElseThrow().revision());
        // Success resets the backoff: the next failure waits the minimum again.
        advance(60);
        fail(DNS, ZoneFetchException.Reason.TIMEOUT, 0, null);
        fail(IP, ZoneFetchException.Reason.TIMEOUT, 0, null);
        get(d.lookup(ZONE));
        int afterFailure = callCount();
        advance(5);
        serve(DNS, zoneFile(9, 60, true));
        get(d.lookup(ZONE));
        assertEquals(afterFailure + 1, callCount());
        assertEquals(9, d.cached(ZONE).orElseThrow().revision());
    }

    @Test
    void withoutAFileAFailureIsTypedAndRepeatedUntilTheBackoffEnds() throws Exception {
        ZoneDirectory d = directory();
        fail(DNS, ZoneFetchException.Reason.IO, 0, null);
        fail(IP, ZoneFetchException.Reason.TIMEOUT, 0, null);
        ZoneUnavailableException e = failure(d.lookup(ZONE));
        assertEquals(ZoneUnavailableException.Reason.UNREACHABLE, e.reason());
        assertEquals(ZONE, e.zone());
        assertEquals(2, callCount());
        advance(4);
        ZoneUnavailableException again = failure(d.lookup(ZONE));
        assertEquals(ZoneUnavailableException.Reason.UNREACHABLE, again.reason());
        assertEquals(2, callCount(), "no fetch during the backoff");
        advance(1);
        serve(DNS, zoneFile(1, 60, false));
        assertEquals(1, get(d.lookup(ZONE)).revision());
        assertEquals(3, callCount());
    }

    @Test
    void notFoundIsMoreTellingThanUnreachable() throws Exception {
        ZoneDirectory d = directory();
        fail(DNS, ZoneFetchException.Reason.HTTP_STATUS, 404, null);
        fail(IP, ZoneFetchException.Reason.TIMEOUT, 0, null);
        ZoneUnavailableException e = failure(d.lookup(ZONE));
        assertEquals(ZoneUnavailableException.Reason.NOT_FOUND, e.reason());
        ZoneFetchException cause = assertInstanceOf(ZoneFetchException.class, e.getCause());
        assertEquals(404, cause.statusCode());
        assertEquals(1, cause.getSuppressed().length, "the other source's failure is attached");

        ZoneDirectory d2 = directory();
        fail(DNS, ZoneFetchException.Reason.HTTP_STATUS, 503, null);
        fail(IP, ZoneFetchException.Reason.HTTP_STATUS, 500, null);
        assertEquals(
                ZoneUnavailableException.Reason.UNREACHABLE,
                failure(d2.lookup(ZONE)).reason());
    }

    @Test
    void malformedFileLeavesTheZoneUnusable() throws Exception {
        ZoneDirectory d = directory();
        serve(DNS, "n=x\nno equals sign\n");
        serve(IP, "n=x\nd=y\n");
        ZoneUnavailableException e = failure(d.lookup(ZONE));
        assertEquals(ZoneUnavailableException.Reason.MALFORMED, e.reason());
        ZoneFetchException cause = assertInstanceOf(ZoneFetchException.class, e.getCause());
        assertEquals(ZoneFetchException.Reason.INVALID_ZONE_FILE, cause.reason());
        assertInstanceOf(ZoneFileException.class, cause.getCause());
        assertTrue(d.cached(ZONE).isEmpty());
    }

    @Test
    void malformedRefreshKeepsThePreviousGoodFile() throws Exception {
        ZoneDirectory d = directory();
        serve(DNS, zoneFile(2, 60, true));
        ZoneFile good = get(d.lookup(ZONE));
        advance(60);
        // A relay key with a gap (zr.1 without zr.0) is invalid, as is an oversized body.
        serve(DNS, "n=x\nd=y\nc=z\nr=3\nttl=60\nzr.1=1.2.3.4:1:2:" + ZoneTestData.VECTOR_ADDRESSES.get(0) + "\n");
        fail(IP, ZoneFetchException.Reason.TOO_LARGE, 200, null);
        assertSame(good, get(d.lookup(ZONE)));
        assertSame(good, d.cached(ZONE).orElseThrow());
        assertEquals(3, callCount());
    }

    @Test
    void oversizedFetchIsMalformed() {
        ZoneDirectory d = directory(ZoneDirectoryConfig.defaults().withLimits(new ZoneFileLimits(64, 16, 16, 64)));
        serve(DNS, zoneFile(1, 60, true));
        fail(IP, ZoneFetchException.Reason.TOO_LARGE, 200, null);
        assertEquals(
                ZoneUnavailableException.Reason.MALFORMED,
                failure(d.lookup(ZONE)).reason());
    }

    @Test
    void overrideReplacesTheDraftUrls() throws Exception {
        ZoneSource mine = new ZoneSource.Url(URI.create("https://zones.example.org/0a0b0c0d"));
        ZoneDirectory d = directory(ZoneDirectoryConfig.defaults().withOverride(ZONE, mine));
        serve(DNS, zoneFile(9, 60, false));
        serve(mine, zoneFile(1, 60, true));
        assertEquals(1, get(d.lookup(ZONE)).revision());
        assertEquals(List.of(mine), calls);
        // A failing override does not fall back to the draft's URLs.
        advance(60);
        fail(mine, ZoneFetchException.Reason.IO, 0, null);
        get(d.lookup(ZONE));
        assertEquals(List.of(mine, mine), calls);
        assertEquals(1, d.cached(ZONE).orElseThrow().revision());
    }

    @Test
    void missingOverrideFileIsNotFound() {
        ZoneSource file = new ZoneSource.LocalFile(Path.of("/nonexistent/zone"));
        ZoneDirectory d = directory(ZoneDirectoryConfig.defaults().withOverride(ZONE, file));
        fail(file, ZoneFetchException.Reason.IO, 0, new NoSuchFileException("/nonexistent/zone"));
        assertEquals(
                ZoneUnavailableException.Reason.NOT_FOUND,
                failure(d.lookup(ZONE)).reason());
    }

    @Test
    void zoneZeroIsLocalUnlessConfigured() throws Exception {
        ZoneDirectory d = directory();
        ZoneUnavailableException e = failure(d.lookup(Zone.DEFAULT));
        assertEquals(ZoneUnavailableException.Reason.LOCAL_ONLY, e.reason());
        assertEquals(0, callCount(), "nothing is fetched for zone 0");
        assertTrue(d.cached(Zone.DEFAULT).isEmpty());

        ZoneSource local = new ZoneSource.LocalFile(Path.of("zone0.txt"));
        ZoneDirectory configured = directory(ZoneDirectoryConfig.defaults().withOverride(Zone.DEFAULT, local));
        serve(local, zoneFile(4, 60, false));
        ZoneFile f = get(configured.lookup(Zone.DEFAULT));
        assertEquals(4, f.revision());
        assertTrue(f.lanOnly());
        assertEquals(List.of(local), calls);
    }

    @Test
    void zoneWithoutRelaysIsUsableAndLanOnly() throws Exception {
        ZoneDirectory d = directory();
        serve(DNS, zoneFile(1, 60, false));
        ZoneFile f = get(d.lookup(ZONE));
        assertTrue(f.lanOnly());
        assertTrue(f.relays().isEmpty());
        assertTrue(f.relayFor(ZoneTestData.vector(1)).isEmpty());
    }

    @Test
    void concurrentLookupsShareOneFetch() throws Exception {
        ZoneDirectory d = directory();
        CompletableFuture<byte[]> pending = new CompletableFuture<>();
        answer(DNS, () -> pending);
        CompletableFuture<ZoneFile> a = d.lookup(ZONE);
        CompletableFuture<ZoneFile> b = d.lookup(ZONE);
        CompletableFuture<ZoneFile> c = d.lookup(ZONE);
        assertEquals(1, callCount());
        assertFalse(a.isDone());
        // One caller giving up does not cancel the fetch the others wait for.
        c.cancel(true);
        assertFalse(pending.isCancelled());
        pending.complete(zoneFile(6, 60, true).getBytes(StandardCharsets.UTF_8));
        assertEquals(6, get(a).revision());
        assertSame(get(a), get(b));
        assertEquals(1, callCount());
    }

    @Test
    void aSharedFailureReachesEveryWaiter() {
        ZoneDirectory d =
                directory(ZoneDirectoryConfig.defaults().withLocator(ZoneLocator.of("http://a--{zone}.net/z", null)));
        CompletableFuture<byte[]> pending = new CompletableFuture<>();
        answer(DNS, () -> pending);
        CompletableFuture<ZoneFile> a = d.lookup(ZONE);
        CompletableFuture<ZoneFile> b = d.lookup(ZONE);
        pending.completeExceptionally(new ZoneFetchException(
                ZoneFetchException.Reason.HTTP_STATUS, URI.create("http://x/"), 410, "gone", null));
        assertEquals(ZoneUnavailableException.Reason.NOT_FOUND, failure(a).reason());
        assertEquals(ZoneUnavailableException.Reason.NOT_FOUND, failure(b).reason());
        assertEquals(1, callCount());
    }

    @Test
    void aFetchFunctionThatThrowsIsAFailureNotACrash() {
        ZoneDirectory d = ZoneDirectory.create(
                ZoneDirectoryConfig.defaults(),
                s -> {
                    throw new IllegalStateException("broken transport");
                },
                now::get);
        ZoneUnavailableException e = failure(d.lookup(ZONE));
        assertEquals(ZoneUnavailableException.Reason.UNREACHABLE, e.reason());
        ZoneDirectory nulls = ZoneDirectory.create(ZoneDirectoryConfig.defaults(), s -> null, now::get);
        assertEquals(
                ZoneUnavailableException.Reason.UNREACHABLE,
                failure(nulls.lookup(ZONE)).reason());
        ZoneDirectory noData = ZoneDirectory.create(
                ZoneDirectoryConfig.defaults(), s -> CompletableFuture.completedFuture(null), now::get);
        assertEquals(
                ZoneUnavailableException.Reason.UNREACHABLE,
                failure(noData.lookup(ZONE)).reason());
        ZoneDirectory failing = ZoneDirectory.create(
                ZoneDirectoryConfig.defaults(),
                s -> CompletableFuture.failedFuture(new IllegalStateException("not a ZoneFetchException")),
                now::get);
        assertEquals(
                ZoneUnavailableException.Reason.UNREACHABLE,
                failure(failing.lookup(ZONE)).reason());
    }

    @Test
    void trackedZonesAreBounded() throws Exception {
        ZoneDirectory d = directory(
                ZoneDirectoryConfig.defaults().withMaxZones(2).withLocator(ZoneLocator.of("http://z/{zone}", null)));
        Zone z1 = new Zone(1);
        Zone z2 = new Zone(2);
        Zone z3 = new Zone(3);
        for (Zone z : List.of(z1, z2, z3)) {
            serve(new ZoneSource.Url(URI.create("http://z/" + z)), zoneFile(z.id(), 60, false));
        }
        get(d.lookup(z1));
        get(d.lookup(z2));
        get(d.lookup(z1));
        get(d.lookup(z3));
        assertTrue(d.cached(z1).isPresent());
        assertTrue(d.cached(z2).isEmpty(), "the least recently asked-for zone is forgotten");
        assertTrue(d.cached(z3).isPresent());

        // When every tracked zone is being fetched there is no room for another.
        ZoneDirectory busy = directory(
                ZoneDirectoryConfig.defaults().withMaxZones(1).withLocator(ZoneLocator.of("http://z/{zone}", null)));
        CompletableFuture<byte[]> pending = new CompletableFuture<>();
        answer(new ZoneSource.Url(URI.create("http://z/00000004")), () -> pending);
        CompletableFuture<ZoneFile> waiting = busy.lookup(new Zone(4));
        assertEquals(
                ZoneUnavailableException.Reason.TOO_MANY_ZONES,
                failure(busy.lookup(new Zone(5))).reason());
        pending.complete(zoneFile(4, 60, false).getBytes(StandardCharsets.UTF_8));
        assertEquals(4, get(waiting).revision());
    }

    @Test
    void refreshFetchesEvenAFreshFileButRespectsBackoff() throws Exception {
        ZoneDirectory d = directory();
        serve(DNS, zoneFile(1, 3600, true));
        get(d.lookup(ZONE));
        serve(DNS, zoneFile(2, 3600, true));
        assertEquals(2, get(d.refresh(ZONE)).revision(), "refresh ignores the ttl");
        assertEquals(2, callCount());

        // A failed refresh answers with the kept file, and the next one waits for the backoff.
        fail(DNS, ZoneFetchException.Reason.IO, 0, null);
        fail(IP, ZoneFetchException.Reason.IO, 0, null);
        assertEquals(2, get(d.refresh(ZONE)).revision());
        assertEquals(4, callCount());
        assertEquals(2, get(d.refresh(ZONE)).revision());
        assertEquals(4, callCount(), "no refresh during the backoff");
        advance(5);
        CompletableFuture<byte[]> pending = new CompletableFuture<>();
        answer(DNS, () -> pending);
        CompletableFuture<ZoneFile> r1 = d.refresh(ZONE);
        CompletableFuture<ZoneFile> r2 = d.refresh(ZONE);
        // A lookup meanwhile answers with the cached file; the refreshes wait for the fetch.
        assertEquals(2, get(d.lookup(ZONE)).revision());
        assertFalse(r1.isDone());
        pending.complete(zoneFile(3, 3600, true).getBytes(StandardCharsets.UTF_8));
        assertEquals(3, get(r1).revision());
        assertEquals(3, get(r2).revision());
        assertEquals(5, callCount());

        ZoneDirectory empty = directory();
        assertEquals(
                ZoneUnavailableException.Reason.LOCAL_ONLY,
                failure(empty.refresh(Zone.DEFAULT)).reason());
    }

    @Test
    void blockingFormAnswersOrThrowsTheTypedReason() throws Exception {
        ZoneDirectory d = directory();
        serve(DNS, zoneFile(2, 60, true));
        assertEquals(2, d.zoneFile(ZONE).revision());
        ZoneUnavailableException e = assertThrows(ZoneUnavailableException.class, () -> d.zoneFile(Zone.DEFAULT));
        assertEquals(ZoneUnavailableException.Reason.LOCAL_ONLY, e.reason());
        assertInstanceOf(IOException.class, e);
        Zone other = new Zone(7);
        ZoneUnavailableException m = assertThrows(ZoneUnavailableException.class, () -> d.zoneFile(other));
        assertEquals(ZoneUnavailableException.Reason.UNREACHABLE, m.reason());
        assertEquals(other, m.zone());
    }

    @Test
    void backoffDoublesUpToTheMaximum() {
        ZoneCacheEntry e = new ZoneCacheEntry(Duration.ofSeconds(5), Duration.ofMinutes(15));
        assertEquals(5 * S, e.backoffNanos(1));
        assertEquals(10 * S, e.backoffNanos(2));
        assertEquals(160 * S, e.backoffNanos(6));
        assertEquals(900 * S, e.backoffNanos(9));
        assertEquals(900 * S, e.backoffNanos(Integer.MAX_VALUE));
    }

    @Test
    void configParsesOverridesAndRejectsNonsense() throws IOException {
        Map.Entry<Zone, ZoneSource> url = ZoneDirectoryConfig.parseOverride("d730b30b=http://127.0.0.1:8080/z");
        assertEquals(new Zone(0xd730b30b), url.getKey());
        assertEquals(new ZoneSource.Url(URI.create("http://127.0.0.1:8080/z")), url.getValue());
        Map.Entry<Zone, ZoneSource> file = ZoneDirectoryConfig.parseOverride("0=/etc/anode/zone0");
        assertEquals(Zone.DEFAULT, file.getKey());
        assertEquals(new ZoneSource.LocalFile(Path.of("/etc/anode/zone0")), file.getValue());
        assertEquals(new ZoneSource.LocalFile(Path.of("/tmp/z")), ZoneSource.parse("file:///tmp/z"));
        assertEquals(new ZoneSource.Url(URI.create("HTTPS://h/z")), ZoneSource.parse("HTTPS://h/z"));
        ZoneDirectoryConfig c = ZoneDirectoryConfig.defaults().withOverride("1=https://h/z");
        assertEquals(Map.of(new Zone(1), new ZoneSource.Url(URI.create("https://h/z"))), c.overrides());

        assertThrows(IllegalArgumentException.class, () -> ZoneDirectoryConfig.parseOverride("d730b30b"));
        assertThrows(IllegalArgumentException.class, () -> ZoneDirectoryConfig.parseOverride("=http://h/z"));
        assertThrows(IllegalArgumentException.class, () -> ZoneDirectoryConfig.parseOverride("1="));
        assertThrows(IllegalArgumentException.class, () -> ZoneDirectoryConfig.parseOverride("xyz=http://h/z"));
        assertThrows(IllegalArgumentException.class, () -> ZoneDirectoryConfig.parseOverride("1=http://"));
        assertThrows(IllegalArgumentException.class, () -> ZoneSource.parse(" "));
        assertThrows(IllegalArgumentException.class, () -> new ZoneSource.Url(URI.create("ftp://h/z")));
        assertThrows(
                IllegalArgumentException.class,
                () -> ZoneDirectoryConfig.defaults().withMaxZones(0));
        assertThrows(
                IllegalArgumentException.class,
                () -> ZoneDirectoryConfig.defaults().withRetry(Duration.ofSeconds(10), Duration.ofSeconds(5)));
        assertThrows(
                IllegalArgumentException.class,
                () -> ZoneDirectoryConfig.defaults().withTimeouts(Duration.ZERO, Duration.ofSeconds(1)));
    }
}
