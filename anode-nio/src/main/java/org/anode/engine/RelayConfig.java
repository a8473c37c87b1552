package org.anode.engine;

import java.time.Duration;

/**
 * How a node relays packets for others (draft 2.3, 2.3.1, 3.1, 3.4; DECISIONS 33, 34, 41): the
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
public record RelayConfig(
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

    /** Validates the values. */
    public RelayConfig {
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
     * The DECISIONS 33/34 defaults: 4096 registrations living 120 s, hop limit 4; 10,000 packets/s
     * per source endpoint and per recipient (bursts of 2,000), 50,000 in all (burst 10,000);
     * ERROR 04 replies on, at most 10 a second; 4096 sources remembered.
     */
    public static RelayConfig defaults() {
        return new RelayConfig(
                4096, Duration.ofSeconds(120), 4, 10_000, 2_000, 10_000, 2_000, 50_000, 10_000, true, 10, 4096);
    }

    /** These limits with every token bucket set to {@code rate} packets/s and a burst of a fifth of it. */
    public RelayConfig withRates(int perSource, int perRecipient, int total) {
        return new RelayConfig(
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

    /** These limits with another registration bound and lifetime. */
    public RelayConfig withRegistrations(int max, Duration lifetime) {
        return new RelayConfig(
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

    /** These limits with ERROR 04 replies switched on or off. */
    public RelayConfig withErrorReplies(boolean on) {
        return new RelayConfig(
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
}
