package org.anode.nio;

import java.time.Duration;

/**
 * How a node relays packets for others (the public form of the engine's relay limits) (draft 2.3, 2.3.1, 3.1, 3.4; DECISIONS 33, 34, 41): the
 * registration table's bound and lifetime, the hop limit, the token buckets and the optional
 * ERROR replies. A node relays only when its configuration carries one of these.
 *
 * @param maxRegistrations most (address, peer id) registrations held at once; a registration
 *     beyond it is refused until one expires (DECISIONS 34: every table a remote peer can grow is bounded)
 * @param registrationLifetime how long a registration lasts after the last authenticated packet
 *     its address sent to the relay itself (DECISIONS 33: 120 s)
 * @param hopLimit a packet whose hop count is already this or more is dropped (DECISIONS 34: 4)
 * @param perSourceRate forwarded packets per second from one source IP endpoint
 * @param perSourceBurst burst of the per-source bucket
 * @param perRecipientRate forwarded packets per second to one registered address
 * @param perRecipientBurst burst of the per-recipient bucket
 * @param totalRate forwarded packets per second in all
 * @param totalBurst burst of the total bucket
 * @param errorReplies whether a packet for an unregistered recipient is answered with ERROR 04
 *     (draft 4.2.1; only to a sender the relay knows, never larger than the packet answered)
 * @param errorReplyRate most such ERROR replies per second
 * @param maxSources source endpoints whose buckets are remembered
 */
public record RelayLimits(
        int maxRegistrations,
        Duration registrationLifetime,
        int hopLimit,
        int perSourceRate,
        int perSourceBurst,
        int perRecipientRate,
        int perRecipientBurst,
        int totalRate,
        int totalBurst,
        boolean errorReplies,
        int errorReplyRate,
        int maxSources) {

    /**
     * Validates the values.
     *
     * @param maxRegistrations most registrations held at once, 1 or more
     * @param registrationLifetime how long a registration lasts, positive
     * @param hopLimit hop count at which a packet is dropped, 1..255
     * @param perSourceRate forwarded packets per second from one source endpoint
     * @param perSourceBurst burst of the per-source bucket
     * @param perRecipientRate forwarded packets per second to one registered address
     * @param perRecipientBurst burst of the per-recipient bucket
     * @param totalRate forwarded packets per second in all
     * @param totalBurst burst of the total bucket
     * @param errorReplies whether an unregistered recipient is answered with ERROR 04
     * @param errorReplyRate most such ERROR replies per second
     * @param maxSources source endpoints whose buckets are remembered
     * @throws IllegalArgumentException if a count or rate is not positive, the hop limit is
     *     outside 1..255 or the lifetime is null, zero or negative
     */
    public RelayLimits {
        if (maxRegistrations < 1
                || hopLimit < 1
                || hopLimit > 255
                || perSourceRate < 1
                || perSourceBurst < 1
                || perRecipientRate < 1
                || perRecipientBurst < 1
                || totalRate < 1
                || totalBurst < 1
                || errorReplyRate < 1
                || maxSources < 1) {
            throw new IllegalArgumentException("relay limits must be positive (hop limit 1..255)");
        }
        if (registrationLifetime == null || registrationLifetime.isNegative() || registrationLifetime.isZero()) {
            throw new IllegalArgumentException("registration lifetime must be positive");
        }
    }

    /**
     * {@return the DECISIONS 33/34 defaults: 4096 registrations living 120 s, hop limit 4; 10,000
     * packets/s per source endpoint and per recipient (bursts of 2,000), 50,000 in all (burst
     * 10,000); ERROR 04 replies on, at most 10 a second; 4096 sources remembered}
     */
    public static RelayLimits defaults() {
        return new RelayLimits(
                4096, Duration.ofSeconds(120), 4, 10_000, 2_000, 10_000, 2_000, 50_000, 10_000, true, 10, 4096);
    }

    /**
     * {@return a copy of these limits with other token bucket rates, each with a burst of a fifth
     * of its rate}
     *
     * @param perSource forwarded packets per second from one source endpoint
     * @param perRecipient forwarded packets per second to one registered address
     * @param total forwarded packets per second in all
     * @throws IllegalArgumentException if a rate is not positive
     */
    public RelayLimits withRates(int perSource, int perRecipient, int total) {
        return new RelayLimits(
                maxRegistrations,
                registrationLifetime,
                hopLimit,
                perSource,
                Math.max(1, perSource / 5),
                perRecipient,
                Math.max(1, perRecipient / 5),
                total,
                Math.max(1, total / 5),
                errorReplies,
                errorReplyRate,
                maxSources);
    }

    /**
     * {@return a copy of these limits with another registration bound and lifetime}
     *
     * @param max most registrations held at once
     * @param lifetime how long a registration lasts
     * @throws IllegalArgumentException if {@code max} or {@code lifetime} is not positive
     */
    public RelayLimits withRegistrations(int max, Duration lifetime) {
        return new RelayLimits(
                max,
                lifetime,
                hopLimit,
                perSourceRate,
                perSourceBurst,
                perRecipientRate,
                perRecipientBurst,
                totalRate,
                totalBurst,
                errorReplies,
                errorReplyRate,
                maxSources);
    }

    /**
     * {@return a copy of these limits with ERROR 04 replies switched on or off}
     *
     * @param on whether an unregistered recipient is answered with ERROR 04
     */
    public RelayLimits withErrorReplies(boolean on) {
        return new RelayLimits(
                maxRegistrations,
                registrationLifetime,
                hopLimit,
                perSourceRate,
                perSourceBurst,
                perRecipientRate,
                perRecipientBurst,
                totalRate,
                totalBurst,
                on,
                errorReplyRate,
                maxSources);
    }

    /** The engine's form of these limits. */
    org.anode.engine.RelayConfig toEngine() {
        return new org.anode.engine.RelayConfig(
                maxRegistrations,
                registrationLifetime,
                hopLimit,
                perSourceRate,
                perSourceBurst,
                perRecipientRate,
                perRecipientBurst,
                totalRate,
                totalBurst,
                errorReplies,
                errorReplyRate,
                maxSources);
    }
}
