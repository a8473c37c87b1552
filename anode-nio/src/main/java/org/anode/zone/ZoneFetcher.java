package org.anode.zone;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.anode.address.Zone;

/**
 * Fetches zone files over HTTP (draft 2.1.1, DECISIONS 11) with the JDK's {@link HttpClient}.
 * Thread-safe; one instance can serve many fetches.
 *
 * <p>Every fetch is bounded: a connect timeout, an overall timeout that covers the whole exchange
 * including a body that trickles in, and a body size limit (a declared {@code Content-Length} above
 * it is refused before reading; a body growing past it is cut off). Only status 200 is accepted and
 * redirects are not followed: the zone URL is fixed by the zone id, so a redirect elsewhere is
 * either a misconfiguration or an attempt to steer peers to other relays (and never to another
 * scheme). Requests go through the JDK's proxy settings, {@link ProxySelector#getDefault()}, unless
 * a selector is given.
 *
 * <p>{@link #fetchBytes(ZoneSource)} is the non-blocking form {@link ZoneDirectory} uses (DECISIONS
 * 32); it also reads local files configured as a zone's source, within the same size bound.
 */
public final class ZoneFetcher {
    private static final System.Logger LOG = System.getLogger(ZoneFetcher.class.getName());

    private final ZoneLocator locator;
    private final Duration timeout;
    private final ZoneFileLimits limits;
    private final HttpClient client;

    private ZoneFetcher(Builder b) {
        this.locator = b.locator;
        this.timeout = b.timeout;
        this.limits = b.limits;
        HttpClient.Builder hb = HttpClient.newBuilder()
                .connectTimeout(b.connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                // Zone servers are plain HTTP/1.x (draft 2.1.1); skip the h2c upgrade attempt.
                .version(HttpClient.Version.HTTP_1_1);
        // The JDK's proxy settings (http.proxyHost etc., or an installed default selector) apply
        // unless the application gave its own selector.
        ProxySelector proxy = b.proxy != null ? b.proxy : ProxySelector.getDefault();
        if (proxy != null) {
            hb.proxy(proxy);
        }
        this.client = hb.build();
    }

    /** A builder with the draft's URLs, 5 s to connect, 15 s overall and default limits. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Fetches a zone's file, trying the locator's URLs in order (DNS method first, then the IP
     * fallback) and returning the first valid file.
     *
     * @throws ZoneFetchException the last URL's failure, with the earlier ones as suppressed exceptions
     */
    public ZoneFile fetch(Zone zone) throws ZoneFetchException, InterruptedException {
        ZoneFetchException failure = null;
        for (URI uri : locator.uris(zone)) {
            try {
                return fetch(uri);
            } catch (ZoneFetchException e) {
                LOG.log(System.Logger.Level.DEBUG, "zone {0}: {1}", zone, e.getMessage());
                if (failure != null) {
                    e.addSuppressed(failure);
                }
                failure = e;
            }
        }
        throw Objects.requireNonNull(failure);
    }

    /** Fetches and parses the zone file at one URL. */
    public ZoneFile fetch(URI uri) throws ZoneFetchException, InterruptedException {
        byte[] body = await(fetchBytes(uri));
        try {
            return ZoneFile.parse(body, limits);
        } catch (ZoneFileException e) {
            throw new ZoneFetchException(
                    ZoneFetchException.Reason.INVALID_ZONE_FILE,
                    uri,
                    200,
                    "not a valid zone file: " + e.getMessage(),
                    e);
        }
    }

    private static byte[] await(CompletableFuture<byte[]> cf) throws ZoneFetchException, InterruptedException {
        try {
            return cf.get();
        } catch (InterruptedException e) {
            cf.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof ZoneFetchException z) {
                throw z;
            }
            throw new IllegalStateException("unexpected zone fetch failure", c);
        }
    }

    /**
     * Reads the raw bytes of a zone file from one source, without blocking the caller: an HTTP(S)
     * URL through the {@link HttpClient}, a local file on the common pool. The future fails with a
     * {@link ZoneFetchException} (never {@link ZoneFetchException.Reason#INVALID_ZONE_FILE}: the bytes
     * are not parsed here). Cancelling the future abandons the fetch.
     */
    public CompletableFuture<byte[]> fetchBytes(ZoneSource source) {
        if (source instanceof ZoneSource.Url u) {
            return fetchBytes(u.uri());
        }
        Path path = ((ZoneSource.LocalFile) source).path();
        return CompletableFuture.supplyAsync(
                () -> {
                    try {
                        return readFile(path, limits.maxSize());
                    } catch (ZoneFetchException e) {
                        throw new CompletionException(e);
                    }
                },
                ForkJoinPool.commonPool());
    }

    /** Reads at most {@code max} bytes of a local zone file; a larger file is refused, not truncated. */
    static byte[] readFile(Path path, int max) throws ZoneFetchException {
        URI uri = path.toUri();
        try (InputStream in = Files.newInputStream(path)) {
            byte[] data = in.readNBytes(max + 1);
            if (data.length > max) {
                throw new ZoneFetchException(
                        ZoneFetchException.Reason.TOO_LARGE, uri, 0, "file exceeds the " + max + "-byte limit", null);
            }
            return data;
        } catch (IOException e) {
            throw new ZoneFetchException(
                    ZoneFetchException.Reason.IO, uri, 0, e.getClass().getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Fetches the raw bytes at one HTTP(S) URL without blocking the caller. The future fails with a
     * {@link ZoneFetchException}; cancelling it abandons the exchange and closes the connection.
     */
    public CompletableFuture<byte[]> fetchBytes(URI uri) {
        HttpRequest request;
        try {
            request = HttpRequest.newBuilder(uri)
                    .GET()
                    .timeout(timeout)
                    .header("Accept", "text/plain")
                    .build();
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(
                    new ZoneFetchException(ZoneFetchException.Reason.IO, uri, 0, "unusable URL: " + e.getMessage(), e));
        }
        int max = limits.maxSize();
        AtomicReference<LimitedBody> body = new AtomicReference<>();
        HttpResponse.BodyHandler<byte[]> handler = info -> {
            long declared = info.headers().firstValueAsLong("Content-Length").orElse(-1L);
            // Not 200: read nothing, the status is all we report.
            LimitedBody b = new LimitedBody(
                    info.statusCode() == 200 ? max : 0,
                    info.statusCode() == 200 && declared > max,
                    info.statusCode() != 200);
            body.set(b);
            return b;
        };
        CompletableFuture<HttpResponse<byte[]>> exchange = client.sendAsync(request, handler);
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        // The request timeout covers only the wait for headers; this bounds the whole exchange. The
        // timer runs on a copy so that the exchange itself is still pending, and cancellable, when it fires.
        exchange.copy().orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).whenComplete((response, failure) -> {
            if (failure != null) {
                if (isTimeout(failure)) {
                    abort(exchange, body);
                    result.completeExceptionally(new ZoneFetchException(
                            ZoneFetchException.Reason.TIMEOUT,
                            uri,
                            0,
                            "no complete response within " + timeout.toMillis() + " ms",
                            failure));
                } else {
                    result.completeExceptionally(classify(uri, failure));
                }
            } else if (response.statusCode() != 200) {
                result.completeExceptionally(new ZoneFetchException(
                        ZoneFetchException.Reason.HTTP_STATUS,
                        uri,
                        response.statusCode(),
                        "HTTP status " + response.statusCode(),
                        null));
            } else {
                result.complete(response.body());
            }
        });
        // A caller that gives up (cancels) must not leave the exchange holding a connection.
        result.whenComplete((b, failure) -> {
            if (result.isCancelled()) {
                abort(exchange, body);
            }
        });
        return result;
    }

    private static boolean isTimeout(Throwable t) {
        Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        return c instanceof TimeoutException;
    }

    private static void abort(CompletableFuture<?> cf, AtomicReference<LimitedBody> body) {
        LimitedBody b = body.get();
        if (b != null) {
            b.abort();
        }
        cf.cancel(true);
    }

    private static ZoneFetchException classify(URI uri, Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof BodyTooLargeException) {
                return new ZoneFetchException(ZoneFetchException.Reason.TOO_LARGE, uri, 200, c.getMessage(), t);
            }
        }
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof HttpConnectTimeoutException || c instanceof HttpTimeoutException) {
                return new ZoneFetchException(
                        ZoneFetchException.Reason.TIMEOUT, uri, 0, String.valueOf(c.getMessage()), t);
            }
        }
        return new ZoneFetchException(
                ZoneFetchException.Reason.IO, uri, 0, t.getClass().getSimpleName() + ": " + t.getMessage(), t);
    }

    /** The body was, or was declared to be, larger than the limit. */
    static final class BodyTooLargeException extends IOException {
        private static final long serialVersionUID = 1L;

        BodyTooLargeException(String message) {
            super(message);
        }
    }

    /**
     * Collects a body up to a limit; cancels the subscription (which closes the connection) as soon
     * as the limit is passed or the fetch is abandoned, so no more than {@code max} bytes are held.
     */
    private static final class LimitedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final int max;
        private final boolean declaredTooLarge;
        private final boolean discard;
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private volatile Flow.Subscription subscription;
        private volatile boolean aborted;

        LimitedBody(int max, boolean declaredTooLarge, boolean discard) {
            this.max = max;
            this.declaredTooLarge = declaredTooLarge;
            this.discard = discard;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            if (declaredTooLarge) {
                s.cancel();
                result.completeExceptionally(
                        new BodyTooLargeException("declared body length exceeds the " + max + "-byte limit"));
                return;
            }
            if (discard) {
                // The status decides the outcome; don't read a body nobody will use.
                s.cancel();
                result.complete(new byte[0]);
                return;
            }
            if (aborted) {
                s.cancel();
                return;
            }
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (result.isDone()) {
                return;
            }
            for (ByteBuffer b : items) {
                if (out.size() + (long) b.remaining() > max) {
                    subscription.cancel();
                    result.completeExceptionally(new BodyTooLargeException("body exceeds the " + max + "-byte limit"));
                    return;
                }
                byte[] chunk = new byte[b.remaining()];
                b.get(chunk);
                out.write(chunk, 0, chunk.length);
            }
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            result.complete(out.toByteArray());
        }

        void abort() {
            aborted = true;
            Flow.Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
            result.cancel(true);
        }
    }

    /** Configures a {@link ZoneFetcher} (draft 2.1.1 retrieval): URLs, timeouts and size limits. */
    public static final class Builder {
        private ZoneLocator locator = ZoneLocator.defaults();
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration timeout = Duration.ofSeconds(15);
        private ZoneFileLimits limits = ZoneFileLimits.DEFAULT;
        private ProxySelector proxy;

        private Builder() {}

        /** The proxy selector to use instead of {@link ProxySelector#getDefault()}. */
        public Builder proxy(ProxySelector proxy) {
            this.proxy = Objects.requireNonNull(proxy, "proxy");
            return this;
        }

        /** Where zone files are fetched from. */
        public Builder locator(ZoneLocator locator) {
            this.locator = Objects.requireNonNull(locator, "locator");
            return this;
        }

        /** Longest wait for a TCP connection. */
        public Builder connectTimeout(Duration d) {
            this.connectTimeout = positive(d);
            return this;
        }

        /** Longest time for a whole fetch of one URL, body included. */
        public Builder timeout(Duration d) {
            this.timeout = positive(d);
            return this;
        }

        /** Parse limits; {@link ZoneFileLimits#maxSize()} is also the body size limit in bytes. */
        public Builder limits(ZoneFileLimits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        private static Duration positive(Duration d) {
            if (d.isNegative() || d.isZero() || d.toMillis() == 0) {
                throw new IllegalArgumentException("timeout must be at least 1 ms: " + d);
            }
            return d;
        }

        public ZoneFetcher build() {
            return new ZoneFetcher(this);
        }
    }
}
