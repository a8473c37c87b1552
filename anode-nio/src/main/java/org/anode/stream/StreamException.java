package org.anode.stream;

import java.io.IOException;

/**
 * Why a stream connection failed or refused an operation (draft 5.2.2 close reasons, DECISIONS 26).
 * The channel glue rethrows it or maps it to the JDK's exceptions ({@code ConnectException},
 * {@code SocketTimeoutException}, {@code ClosedChannelException}) by {@link #kind()}.
 */
public final class StreamException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Failure categories; RESET, PROTOCOL_ERROR and TIMED_OUT follow the S_CLOSE reasons of draft 5.2.2. */
    public enum Kind {
        /** The peer answered an S_OPEN with S_CLOSE reason 01. */
        REFUSED,
        /** The peer aborted an established connection (S_CLOSE reason 01, 03 or an unknown code). */
        RESET,
        /** The peer aborted with S_CLOSE reason 02. */
        PROTOCOL_ERROR,
        /** No S_OPEN answer arrived before the connect timeout. */
        CONNECT_TIMED_OUT,
        /** The peer stopped answering (retransmissions or keepalive probes unanswered). */
        TIMED_OUT,
        /** This side aborted or closed the connection. */
        CLOSED,
        /** A write after {@code shutdownOutput} or {@code close}. */
        OUTPUT_SHUTDOWN
    }

    private final Kind kind;
    private final int remoteReason;

    /**
     * @param kind the category
     * @param remoteReason the S_CLOSE reason the peer sent, or -1 when the failure is local
     * @param message human-readable detail
     */
    public StreamException(Kind kind, int remoteReason, String message) {
        super(message);
        this.kind = kind;
        this.remoteReason = remoteReason;
    }

    /** The category. */
    public Kind kind() {
        return kind;
    }

    /** The S_CLOSE reason the peer sent, or -1 when this side detected the failure. */
    public int remoteReason() {
        return remoteReason;
    }

    /** A fresh instance with the same fields, so each throw site gets its own stack trace. */
    StreamException copy() {
        return new StreamException(kind, remoteReason, getMessage());
    }
}
