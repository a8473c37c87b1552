package org.anode.zone;

import java.net.URI;

/**
 * A zone file could not be fetched (draft 2.1.1). {@link #reason()} says which way it failed; for
 * {@link Reason#INVALID_ZONE_FILE} the cause is the {@link ZoneFileException}.
 */
public final class ZoneFetchException extends Exception {
    private static final long serialVersionUID = 1L;

    /** How a fetch of a zone file (draft 2.1.1) failed. */
    public enum Reason {
        /** Connecting, sending or receiving failed (refused, reset, unknown host, ...). */
        IO,
        /** The connect or overall request timeout expired. */
        TIMEOUT,
        /** The server answered with a status other than 200. */
        HTTP_STATUS,
        /** The body was, or was declared to be, larger than the size limit. */
        TOO_LARGE,
        /** The body was received but is not a valid zone file. */
        INVALID_ZONE_FILE
    }

    private final Reason reason;
    private final URI uri;
    private final int statusCode;

    public ZoneFetchException(Reason reason, URI uri, int statusCode, String message, Throwable cause) {
        super(uri + ": " + message, cause);
        this.reason = reason;
        this.uri = uri;
        this.statusCode = statusCode;
    }

    public Reason reason() {
        return reason;
    }

    /** The URL that failed. */
    public URI uri() {
        return uri;
    }

    /** The HTTP status for {@link Reason#HTTP_STATUS} (and any later failure after a response), else 0. */
    public int statusCode() {
        return statusCode;
    }
}
