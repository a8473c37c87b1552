package org.anode.engine;

import java.net.InetSocketAddress;
import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.EventType;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import org.anode.address.AnodeAddress;

/**
 * JDK Flight Recorder events of the engine: a peer's path (IP endpoint) being added or proven
 * (draft 4.2.4, 4.2.5) and a relay's decision about a packet addressed to another node (draft 2.3,
 * 3.4). Each helper first asks whether a recording enables the event type, so with no recording
 * running (or the event disabled) a hook costs one volatile read and allocates nothing.
 *
 * <p>Event names, fields and where they fire are listed in docs/OPERATIONS.md.
 */
public final class EngineEvents {
    private static final EventType PATH = EventType.getEventType(PathChange.class);
    private static final EventType RELAY = EventType.getEventType(RelayDecision.class);

    /** How a peer's path changed. */
    public enum PathChangeKind {
        /** The application configured the endpoint ({@code addPeerEndpoint}). */
        CONFIGURED,
        /** The endpoint answered an endpoint check and now carries traffic (draft 4.2.5). */
        PROVEN
    }

    /** What a relay did with a packet for another address. */
    public enum RelayVerdict {
        /** Forwarded towards the recipient with the hop count incremented. */
        FORWARDED,
        /** Dropped; the event's reason says why (hop limit, unknown recipient, not authorised, rate). */
        DROPPED
    }

    private EngineEvents() {}

    /**
     * Records a path change of {@code peer} if a recording wants it.
     *
     * @param peer the peer
     * @param endpoint its IP endpoint
     * @param hops the endpoint's hop count
     * @param kind what happened
     */
    public static void pathChanged(AnodeAddress peer, InetSocketAddress endpoint, int hops, PathChangeKind kind) {
        if (!PATH.isEnabled()) {
            return;
        }
        PathChange e = new PathChange();
        e.peer = peer.toString();
        e.endpoint = String.valueOf(endpoint);
        e.hops = hops;
        e.change = kind.name();
        e.commit();
    }

    /**
     * Whether a recording wants relay decisions; a relay checks this before assembling the fields,
     * so that relaying allocates nothing when nobody records.
     *
     * @return true if {@link #relayDecision} would record
     */
    public static boolean relayDecisionsEnabled() {
        return RELAY.isEnabled();
    }

    /**
     * Records a relay decision if a recording wants it.
     *
     * @param sender the claimed sender of the relayed packet (unauthenticated at a relay)
     * @param recipient the address the packet is for
     * @param hops the packet's hop count as received
     * @param verdict forwarded or dropped
     * @param reason a short reason (for a drop) or the next hop's endpoint (for a forward)
     */
    public static void relayDecision(String sender, String recipient, int hops, RelayVerdict verdict, String reason) {
        if (!RELAY.isEnabled()) {
            return;
        }
        RelayDecision e = new RelayDecision();
        e.sender = sender;
        e.recipient = recipient;
        e.hops = hops;
        e.verdict = verdict.name();
        e.reason = reason;
        e.commit();
    }

    /**
     * Records what a relay did with the packet {@code r} reads, if a recording wants it: the sender
     * and recipient as the header gives them (a full address, or a 16-hex short id), its hop count
     * as received. Costs one volatile read when nobody records.
     *
     * @param r the packet's reader
     * @param verdict forwarded or dropped
     * @param reason why it was dropped (a constant), or the endpoint it was forwarded to: an object
     *     made into text only when recorded, so the forwarding path allocates nothing
     */
    public static void relayed(org.anode.wire.PacketReader r, RelayVerdict verdict, Object reason) {
        if (!RELAY.isEnabled()) {
            return;
        }
        String why = verdict == RelayVerdict.FORWARDED ? "to " + reason : String.valueOf(reason);
        String sender;
        try {
            sender = r.senderIsFull() ? r.senderAddress().toString() : shortId(r.senderShortId());
        } catch (org.anode.wire.WireException e) {
            sender = "invalid: " + e.getMessage();
        }
        String recipient;
        if (r.recipientIsFull()) {
            byte[] a = new byte[AnodeAddress.LENGTH];
            r.buffer().get(r.recipientOffset(), a);
            try {
                recipient = AnodeAddress.fromBytes(a).toString();
            } catch (org.anode.address.InvalidAddressException e) {
                recipient = "invalid: " + e.getMessage();
            }
        } else {
            recipient = shortId(r.recipientShortId());
        }
        relayDecision(sender, recipient, r.hopCount(), verdict, why);
    }

    private static String shortId(long v) {
        return String.format("%016x", v);
    }

    /** A peer's path changed (draft 4.2.4, 4.2.5). */
    @Name("org.anode.PathChange")
    @Label("Anode Path Change")
    @Category({"Anode", "Peers"})
    @Description("An IP endpoint of a peer was configured or proven by an endpoint check")
    @StackTrace(false)
    static final class PathChange extends Event {
        @Label("Peer")
        String peer;

        @Label("Endpoint")
        String endpoint;

        @Label("Hops")
        int hops;

        @Label("Change")
        String change;
    }

    /** A relay's decision about one packet for another address (draft 2.3, 3.4). */
    @Name("org.anode.RelayDecision")
    @Label("Anode Relay Decision")
    @Category({"Anode", "Relay"})
    @Description("A packet addressed to another node was forwarded or dropped")
    @StackTrace(false)
    static final class RelayDecision extends Event {
        @Label("Sender")
        String sender;

        @Label("Recipient")
        String recipient;

        @Label("Hops")
        int hops;

        @Label("Verdict")
        String verdict;

        @Label("Reason")
        String reason;
    }
}
