package org.anode.cli;

import java.time.Duration;
import org.anode.nio.AnodeNodeConfig;
import org.anode.nio.RelayLimits;

/**
 * Turns a configuration file's settings ({@link NodeConfigFile}) into the node's configuration
 * (draft 2.1 zones, 2.3 relays, 2.9.1 UDP; DECISIONS 33, 34): what the file leaves unset keeps
 * the command's default, and what the command line gives wins over the file.
 */
final class NodeSetup {
    private NodeSetup() {}

    /**
     * Applies {@code s} to {@code b}.
     *
     * @param s the file's settings
     * @param b the builder, already holding the command's defaults
     * @param relayByDefault whether the command relays unless told otherwise (anode relay)
     * @return {@code b}
     */
    static AnodeNodeConfig.Builder apply(NodeConfigFile.Settings s, AnodeNodeConfig.Builder b, boolean relayByDefault) {
        // bind and udp are combined with the command line's --bind / --udp by the caller
        // (AnodeNodeConfig.Builder.bind adds a socket each time it is called).
        for (NodeConfigFile.ZoneSource z : s.zones()) {
            b.zoneSource(z.zone(), z.source());
        }
        if (s.discovery() != null) {
            b.announce(s.discovery()).lan(s.discovery());
        }
        if (s.announceInterval() != null) {
            b.announceInterval(s.announceInterval());
        }
        boolean relay = s.relay() == null ? relayByDefault : s.relay();
        if (relay) {
            b.relay(limits(s.relayLimits()));
        }
        return b;
    }

    /** The relay limits: the DECISIONS 33/34 defaults with what the file sets. */
    static RelayLimits limits(NodeConfigFile.RelaySettings r) {
        RelayLimits d = RelayLimits.defaults();
        int perSource = or(r.perSourceRate(), d.perSourceRate());
        int perRecipient = or(r.perRecipientRate(), d.perRecipientRate());
        int total = or(r.totalRate(), d.totalRate());
        Duration lifetime = r.registrationLifetime() == null ? d.registrationLifetime() : r.registrationLifetime();
        return new RelayLimits(
                or(r.maxRegistrations(), d.maxRegistrations()),
                lifetime,
                or(r.hopLimit(), d.hopLimit()),
                perSource,
                r.perSourceRate() == null ? d.perSourceBurst() : Math.max(1, perSource / 5),
                perRecipient,
                r.perRecipientRate() == null ? d.perRecipientBurst() : Math.max(1, perRecipient / 5),
                total,
                r.totalRate() == null ? d.totalBurst() : Math.max(1, total / 5),
                r.errorReplies() == null ? d.errorReplies() : r.errorReplies(),
                d.errorReplyRate(),
                d.maxSources());
    }

    private static int or(Integer v, int dflt) {
        return v == null ? dflt : v;
    }
}
