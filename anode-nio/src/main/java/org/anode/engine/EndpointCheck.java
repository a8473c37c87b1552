package org.anode.engine;

import java.net.InetSocketAddress;

/**
 * One outstanding endpoint check (draft 4.2.4 EPC_REQ, 4.2.5 EPC): an IP endpoint an
 * authenticated packet of a known peer came from, which is not yet trusted to receive that peer's
 * traffic. Its request id is random (SecureRandom), so only whoever receives our EPC_REQ at that
 * endpoint and holds the peer's key can answer it; a replayed packet from a spoofed source cannot.
 * Event loop only.
 */
final class EndpointCheck {
    final Peer peer;
    final Transport transport;
    final InetSocketAddress address;
    final int requestId;
    final long createdNanos;
    /** When the EPC_REQ was last sent (resent while the candidate keeps talking and is unanswered). */
    long sentNanos;

    EndpointCheck(Peer peer, Transport transport, InetSocketAddress address, int requestId, long now) {
        this.peer = peer;
        this.transport = transport;
        this.address = address;
        this.requestId = requestId;
        this.createdNanos = now;
        this.sentNanos = now;
    }

    boolean is(Transport t, InetSocketAddress a) {
        return transport == t && address.equals(a);
    }
}
