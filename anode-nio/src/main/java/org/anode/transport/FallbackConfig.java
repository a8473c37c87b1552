package org.anode.transport;

import java.net.ProxySelector;
import java.time.Duration;

/**
 * How a node falls back from UDP to TCP and HTTP to reach its zone relays, and back (draft 2.9.2,
 * 2.9.3; DECISIONS 38). {@link #defaults()} gives the DECISIONS 38 numbers.
 *
 * @param tcp whether TCP may be used (the relay's zr TCP port)
 * @param http whether HTTP may be used (the zone file's {@code zh} URIs)
 * @param udpTimeout UDP (or a connected TCP carrier) is given up after this long without an answer (3 s)
 * @param tcpConnectTimeout a TCP connection attempt fails after this long
 * @param tcpAttempts failed TCP attempts in a row before HTTP is used
 * @param reconnectMin first reconnect delay; it doubles per failure
 * @param reconnectMax largest reconnect delay
 * @param tcpRetryInterval on HTTP, how often TCP is tried again
 * @param probeInterval on TCP or HTTP, how often a UDP probe goes out
 * @param httpRequestTimeout an HTTP request is abandoned (and re-issued) after this long; longer
 *     than the relay's long-poll hold (25 s)
 * @param maxQueuedBytes most bytes of packets queued per relay while a carrier cannot take them
 * @param proxy the proxy selector for HTTP, or null for the JDK's default ({@code http.proxyHost},
 *     {@code java.net.useSystemProxies}, {@link ProxySelector#getDefault()})
 */
public record FallbackConfig(
        boolean tcp,
        boolean http,
        Duration udpTimeout,
        Duration tcpConnectTimeout,
        int tcpAttempts,
        Duration reconnectMin,
        Duration reconnectMax,
        Duration tcpRetryInterval,
        Duration probeInterval,
        Duration httpRequestTimeout,
        int maxQueuedBytes,
        ProxySelector proxy) {

    /** Validates the values. */
    public FallbackConfig {
        for (Duration d : new Duration[] {
            udpTimeout,
            tcpConnectTimeout,
            reconnectMin,
            reconnectMax,
            tcpRetryInterval,
            probeInterval,
            httpRequestTimeout
        }) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("fallback durations must be positive");
            }
        }
        if (tcpAttempts < 1 || maxQueuedBytes < 4096 || reconnectMax.compareTo(reconnectMin) < 0) {
            throw new IllegalArgumentException("fallback limits out of range");
        }
    }

    /**
     * DECISIONS 38: UDP given up after 3 s of silence; TCP connect timeout 3 s, one failed attempt
     * before HTTP (so that a node behind a firewall that drops both has a path within the 10 s
     * route timeout of DECISIONS 31), reconnect backoff 1 s doubling to 30 s, TCP retried from HTTP every 60 s, a UDP probe
     * every 10 s, HTTP requests abandoned after 35 s, 1 MiB queued per relay, the JDK's proxies.
     */
    public static FallbackConfig defaults() {
        return new FallbackConfig(
                true,
                true,
                Duration.ofSeconds(3),
                Duration.ofSeconds(3),
                1,
                Duration.ofSeconds(1),
                Duration.ofSeconds(30),
                Duration.ofSeconds(60),
                Duration.ofSeconds(10),
                Duration.ofSeconds(35),
                1 << 20,
                null);
    }

    /** These settings with another proxy selector (null: the JDK's default). */
    public FallbackConfig withProxy(ProxySelector p) {
        return new FallbackConfig(
                tcp,
                http,
                udpTimeout,
                tcpConnectTimeout,
                tcpAttempts,
                reconnectMin,
                reconnectMax,
                tcpRetryInterval,
                probeInterval,
                httpRequestTimeout,
                maxQueuedBytes,
                p);
    }

    /** These settings with the carriers switched on or off. */
    public FallbackConfig withCarriers(boolean tcpOn, boolean httpOn) {
        return new FallbackConfig(
                tcpOn,
                httpOn,
                udpTimeout,
                tcpConnectTimeout,
                tcpAttempts,
                reconnectMin,
                reconnectMax,
                tcpRetryInterval,
                probeInterval,
                httpRequestTimeout,
                maxQueuedBytes,
                proxy);
    }

    /** These settings with another UDP probe interval. */
    public FallbackConfig withProbeInterval(Duration d) {
        return new FallbackConfig(
                tcp,
                http,
                udpTimeout,
                tcpConnectTimeout,
                tcpAttempts,
                reconnectMin,
                reconnectMax,
                tcpRetryInterval,
                d,
                httpRequestTimeout,
                maxQueuedBytes,
                proxy);
    }
}
