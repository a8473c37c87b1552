package org.anode.engine;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import org.anode.address.AnodeAddress;

/**
 * How a peer is reached right now (draft 3.1, 2.3; DECISIONS 31, 33): its best path - a direct IP
 * endpoint (hop count 0) or a zone relay (hop count 1 or more) - ranked first by hop count, then
 * by freshness, among {@code paths} known paths. Immutable snapshot.
 *
 * @param peer the peer's address
 * @param relayed true if the best path goes through a relay
 * @param endpoint the IP endpoint packets are sent to (the relay's, for a relayed path)
 * @param relay the relay's Anode address if relayed and known, else empty
 * @param hops hop count of the latest packet that came back over this path (1 for a relayed path
 *     not yet heard from)
 * @param rtt smoothed round-trip time from PING/PONG, or empty before the first measurement
 * @param paths how many paths (endpoints) the peer has
 */
public record PeerPath(
        AnodeAddress peer,
        boolean relayed,
        InetSocketAddress endpoint,
        Optional<AnodeAddress> relay,
        int hops,
        Optional<Duration> rtt,
        int paths) {

    /** "direct" or "relay": the word the {@code anode ping} command prints. */
    public String kind() {
        return relayed ? "relay" : "direct";
    }
}
