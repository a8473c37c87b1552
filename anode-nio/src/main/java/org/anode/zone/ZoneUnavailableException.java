package org.anode.zone;

import java.io.IOException;
import java.util.Objects;
import org.anode.address.Zone;

/**
 * No usable zone file is known for a zone (draft 2.1.1, DECISIONS 32): {@link #reason()} says why,
 * the cause (when there is one) is the {@link ZoneFetchException} of the last source tried, with the
 * other sources' failures attached as suppressed exceptions. An {@link IOException}, so that callers
 * which treat "could not reach the zone" like any other I/O failure need no special case.
 */
public final class ZoneUnavailableException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Why a zone has no usable file (DECISIONS 32). */
    public enum Reason {
        /** Zone 0 is local and no source is configured for it: nothing is fetched. */
        LOCAL_ONLY,
        /** A source answered that there is no such file (HTTP 404 or 410, or a missing local file). */
        NOT_FOUND,
        /** No source could be reached or none answered in time (I/O error, timeout, other HTTP status). */
        UNREACHABLE,
        /** A source gave a file that is not a valid zone file, or one larger than the size bound. */
        MALFORMED,
        /** The directory already tracks its maximum number of zones, all of them being fetched. */
        TOO_MANY_ZONES
    }

    private final transient Zone zone;
    private final Reason reason;

    public ZoneUnavailableException(Zone zone, Reason reason, String message, Throwable cause) {
        super("zone " + zone + ": " + reason + ": " + message, cause);
        this.zone = Objects.requireNonNull(zone, "zone");
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** The same failure, thrown again on the caller's thread (its stack trace), with the original as cause. */
    ZoneUnavailableException(ZoneUnavailableException original) {
        super(original.getMessage(), original);
        this.zone = original.zone;
        this.reason = original.reason;
    }

    /** The zone that has no usable file. */
    public Zone zone() {
        return zone;
    }

    /** Why. */
    public Reason reason() {
        return reason;
    }
}
