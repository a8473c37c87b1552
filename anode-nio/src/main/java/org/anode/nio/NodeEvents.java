package org.anode.nio;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.EventType;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * JDK Flight Recorder events of a node's stream connections (draft 5): one when a connection
 * enters the node's tables (an opener's connect, or an S_OPEN a listener takes) and one when it
 * leaves them (closed, reset, refused or timed out). With no recording enabling them, a hook costs
 * one volatile read and allocates nothing. Names and fields: docs/OPERATIONS.md.
 */
final class NodeEvents {
    private static final EventType OPEN = EventType.getEventType(ConnectionOpen.class);
    private static final EventType CLOSE = EventType.getEventType(ConnectionClose.class);

    private NodeEvents() {}

    /** A connection entered the node's tables. */
    static void opened(StreamLink l) {
        if (!OPEN.isEnabled()) {
            return;
        }
        ConnectionOpen e = new ConnectionOpen();
        e.local = l.localAddress.getHostString();
        e.remote = l.remote().toString();
        e.localPort = l.localAddress.getPort();
        e.remotePort = l.remoteAddress.getPort();
        e.opener = l.isOpener();
        e.commit();
    }

    /** A connection left the node's tables; its outcome is its failure or "closed". */
    static void closed(StreamLink l) {
        if (!CLOSE.isEnabled()) {
            return;
        }
        ConnectionClose e = new ConnectionClose();
        e.local = l.localAddress.getHostString();
        e.remote = l.remote().toString();
        e.localPort = l.localAddress.getPort();
        e.remotePort = l.remoteAddress.getPort();
        e.opener = l.isOpener();
        Exception failure = l.conn.failure();
        e.outcome = failure == null ? "closed" : failure.getMessage();
        e.commit();
    }

    /** A stream connection was opened (draft 5.2). */
    @Name("org.anode.ConnectionOpen")
    @Label("Anode Connection Open")
    @Category({"Anode", "Streams"})
    @Description("A stream connection entered the node: this node's connect, or an S_OPEN a listener takes")
    @StackTrace(false)
    static final class ConnectionOpen extends Event {
        @Label("Local Address")
        String local;

        @Label("Local Port")
        int localPort;

        @Label("Remote Address")
        String remote;

        @Label("Remote Port")
        int remotePort;

        @Label("Opener")
        @Description("True if this node opened the connection")
        boolean opener;
    }

    /** A stream connection ended (draft 5.2.2). */
    @Name("org.anode.ConnectionClose")
    @Label("Anode Connection Close")
    @Category({"Anode", "Streams"})
    @Description("A stream connection left the node: closed, reset, refused or timed out")
    @StackTrace(false)
    static final class ConnectionClose extends Event {
        @Label("Local Address")
        String local;

        @Label("Local Port")
        int localPort;

        @Label("Remote Address")
        String remote;

        @Label("Remote Port")
        int remotePort;

        @Label("Opener")
        boolean opener;

        @Label("Outcome")
        String outcome;
    }
}
