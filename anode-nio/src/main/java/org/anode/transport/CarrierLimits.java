package org.anode.transport;

import java.time.Duration;

/**
 * Bounds on what clients of a relay's TCP and HTTP transports (draft 2.9.2, 2.9.3; DECISIONS 38)
 * can make it hold: every table and queue a remote client can grow is bounded, and a slow or
 * silent client is cut off rather than allowed to hold memory.
 *
 * @param maxConnections most TCP (or HTTP) connections open at once, per transport
 * @param maxConnectionsPerSource most connections from one source IP address
 * @param maxFrameLength longest framed packet accepted; a longer prefix closes the connection
 * @param idleTimeout a connection that delivered no complete packet (TCP) or request (HTTP) for
 *     this long is closed; longer than a node's 25 s keepalive
 * @param requestTimeout a started frame (TCP) or request (HTTP) must be complete within this long
 *     (slowloris defence)
 * @param maxQueuedBytes most bytes waiting to be sent to one client (TCP socket backlog, HTTP
 *     session queue); beyond it packets are dropped
 * @param maxBodyBytes largest HTTP request body
 * @param maxHeaderBytes largest HTTP request head (request line and headers)
 * @param holdTime how long an HTTP request with nothing to answer is held (long poll, 25 s)
 * @param maxSessions most HTTP client sessions at once
 * @param sessionLifetime an HTTP session ends this long after its last request
 */
public record CarrierLimits(
        int maxConnections,
        int maxConnectionsPerSource,
        int maxFrameLength,
        Duration idleTimeout,
        Duration requestTimeout,
        int maxQueuedBytes,
        int maxBodyBytes,
        int maxHeaderBytes,
        Duration holdTime,
        int maxSessions,
        Duration sessionLifetime) {

    /** Validates the values. */
    public CarrierLimits {
        if (maxConnections < 1
                || maxConnectionsPerSource < 1
                || maxFrameLength < org.anode.wire.PacketFormat.MIN_HEADER_LENGTH
                || maxFrameLength > org.anode.wire.FrameDecoder.MAX_FRAME_LENGTH
                || maxQueuedBytes < maxFrameLength + 2
                || maxBodyBytes < maxFrameLength + 2
                || maxHeaderBytes < 256
                || maxSessions < 1) {
            throw new IllegalArgumentException("carrier limits out of range");
        }
        for (Duration d : new Duration[] {idleTimeout, requestTimeout, holdTime, sessionLifetime}) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("carrier durations must be positive");
            }
        }
    }

    /**
     * 1024 connections, 32 per source IP (a NAT or a proxy puts many clients behind one), frames up
     * to 4096 bytes, 90 s idle, 10 s to complete a frame or request, 256 KiB queued per client,
     * bodies up to 256 KiB, heads up to 8 KiB, long polls held 25 s (DECISIONS 38), 1024 HTTP
     * sessions living 60 s after their last request.
     */
    public static CarrierLimits defaults() {
        return new CarrierLimits(
                1024,
                32,
                4096,
                Duration.ofSeconds(90),
                Duration.ofSeconds(10),
                256 * 1024,
                256 * 1024,
                8192,
                Duration.ofSeconds(25),
                1024,
                Duration.ofSeconds(60));
    }

    /** These limits with another per-source connection bound. */
    public CarrierLimits withPerSource(int n) {
        return new CarrierLimits(
                maxConnections,
                n,
                maxFrameLength,
                idleTimeout,
                requestTimeout,
                maxQueuedBytes,
                maxBodyBytes,
                maxHeaderBytes,
                holdTime,
                maxSessions,
                sessionLifetime);
    }

    /** These limits with other timeouts. */
    public CarrierLimits withTimeouts(Duration idle, Duration request, Duration hold) {
        return new CarrierLimits(
                maxConnections,
                maxConnectionsPerSource,
                maxFrameLength,
                idle,
                request,
                maxQueuedBytes,
                maxBodyBytes,
                maxHeaderBytes,
                hold,
                maxSessions,
                sessionLifetime);
    }
}
