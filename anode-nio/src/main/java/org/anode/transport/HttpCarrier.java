package org.anode.transport;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import org.anode.engine.EventLoop;
import org.anode.wire.FrameDecoder;
import org.anode.wire.WireException;

/**
 * The client side of the HTTP transport to one relay (draft 2.9.3, DECISIONS 14, 38): packets are
 * queued (bounded) and sent, framed, as the body of a {@code POST} to one of the relay's
 * {@code zh} URIs; the response body carries the relay's packets for this node. One request is
 * always outstanding while the carrier runs (the relay holds it until it has something, up to its
 * long-poll time), and queued packets go at once in a second request, all that are queued in one
 * body; at most two requests are in flight.
 *
 * <p>The JDK's {@link HttpClient} does the HTTP, so the JDK's proxy settings apply
 * ({@code http.proxyHost}/{@code http.proxyPort}, {@code java.net.useSystemProxies}, or a
 * {@link java.net.ProxySelector} in {@link FallbackConfig#proxy()}). Proxies that buffer whole
 * responses are fine (every response is complete and short-lived); proxies that cut requests off
 * are fine too: a failed or timed-out request is simply re-issued (with backoff after repeated
 * failures), and the URIs are tried in turn. The session token in the query ({@code s=}) keeps the
 * relay's queue for this node across connections.
 */
final class HttpCarrier {
    private static final System.Logger LOG = System.getLogger(HttpCarrier.class.getName());
    private static final int MAX_IN_FLIGHT = 2;

    /** What the carrier reports (from HTTP client threads). */
    interface Listener {
        /** Packets from a response body, in order; {@code packets} valid during the call only. */
        void packets(List<ByteBuffer> packets);

        void succeeded();

        void failed(String why);
    }

    private final List<URI> uris;
    private final FallbackConfig config;
    private final EventLoop loop;
    private final Listener listener;
    private final HttpClient client;
    private final String token;
    private final ByteBuffer pending;
    private int inFlight;
    private int failures;
    private int uriIndex;
    private boolean running;
    private boolean retryScheduled;

    HttpCarrier(List<URI> uris, FallbackConfig config, EventLoop loop, Listener listener) {
        this.uris = List.copyOf(uris);
        this.config = config;
        this.loop = loop;
        this.listener = listener;
        HttpClient.Builder b = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(config.tcpConnectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER);
        if (config.proxy() != null) {
            b.proxy(config.proxy());
        }
        this.client = b.build();
        byte[] t = new byte[16];
        new SecureRandom().nextBytes(t);
        this.token = HexFormat.of().formatHex(t);
        this.pending = ByteBuffer.allocate(config.maxQueuedBytes());
    }

    /** Starts polling. */
    synchronized void start() {
        if (!running) {
            running = true;
            failures = 0;
            if (inFlight == 0) {
                issue();
            }
        }
    }

    /** Stops issuing requests (those in flight finish). */
    synchronized void stop() {
        running = false;
    }

    synchronized boolean isRunning() {
        return running;
    }

    /**
     * Queues one packet (position advances) and sends it now if fewer than two requests are in
     * flight.
     *
     * @return false if the queue is full (the packet is dropped)
     */
    synchronized boolean enqueue(ByteBuffer packet) {
        if (pending.remaining() < 2 + packet.remaining()) {
            return false;
        }
        FrameDecoder.writeFrame(pending, packet);
        if (running && inFlight < MAX_IN_FLIGHT && !retryScheduled) {
            issue();
        }
        return true;
    }

    /** Sends one POST with everything queued; holds the lock. */
    private void issue() {
        byte[] body = new byte[pending.position()];
        pending.flip();
        pending.get(body);
        pending.clear();
        inFlight++;
        URI base = uris.get(uriIndex % uris.size());
        long hold = Math.max(1, config.httpRequestTimeout().toSeconds() - 10);
        URI u = URI.create(base + (base.getRawQuery() == null ? "?" : "&") + "s=" + token + "&w=" + hold);
        HttpRequest req = HttpRequest.newBuilder(u)
                .timeout(config.httpRequestTimeout())
                .header("Content-Type", "application/octet-stream")
                .header("Cache-Control", "no-cache")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        client.sendAsync(req, HttpResponse.BodyHandlers.ofByteArray()).whenComplete((resp, e) -> done(resp, e));
    }

    private void done(HttpResponse<byte[]> resp, Throwable e) {
        String failure = null;
        if (e != null) {
            failure = e.toString();
        } else if (resp.statusCode() != 200) {
            failure = "HTTP " + resp.statusCode();
        }
        if (failure == null) {
            List<ByteBuffer> packets = new java.util.ArrayList<>();
            FrameDecoder d = new FrameDecoder();
            ByteBuffer in = ByteBuffer.wrap(resp.body());
            try {
                ByteBuffer p;
                while ((p = d.next(in)) != null) {
                    byte[] copy = new byte[p.remaining()];
                    p.get(copy);
                    packets.add(ByteBuffer.wrap(copy));
                }
                d.endOfStream();
            } catch (WireException we) {
                failure = "bad response body: " + we.getMessage();
            }
            if (!packets.isEmpty()) {
                listener.packets(packets);
            }
        }
        if (failure != null) {
            LOG.log(System.Logger.Level.DEBUG, "HTTP request to relay failed: {0}", failure);
            listener.failed(failure);
        } else {
            listener.succeeded();
        }
        synchronized (this) {
            inFlight--;
            if (failure != null) {
                failures++;
                uriIndex++;
            } else {
                failures = 0;
            }
            if (!running) {
                return;
            }
            if (failures > 0) {
                if (!retryScheduled && inFlight == 0) {
                    retryScheduled = true;
                    long d = Math.min(
                            config.reconnectMax().toNanos(),
                            config.reconnectMin().toNanos() << Math.min(failures - 1, 10));
                    loop.schedule(d, this::retry);
                }
                return;
            }
            if (inFlight == 0 || (pending.position() > 0 && inFlight < MAX_IN_FLIGHT)) {
                issue();
            }
        }
    }

    private synchronized void retry() {
        retryScheduled = false;
        if (running && inFlight == 0) {
            issue();
        }
    }

    /** The session token this carrier sends (tests). */
    String token() {
        return token;
    }

    /** Consecutive failed requests. */
    synchronized int failures() {
        return failures;
    }
}
