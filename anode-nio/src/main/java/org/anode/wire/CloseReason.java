package org.anode.wire;

/** S_CLOSE reason codes (draft 5.2.2; DECISIONS 26: 00 is a FIN, 01-03 abort like an RST). */
public enum CloseReason {
    /** 00: application closed the connection (half-close, DECISIONS 26). */
    APPLICATION_CLOSED(0),
    /** 01: connection refused (reply to an S_OPEN for an unbound port, DECISIONS 21). */
    REFUSED(1),
    /** 02: protocol error. */
    PROTOCOL_ERROR(2),
    /** 03: timed out. */
    TIMED_OUT(3);

    private static final CloseReason[] BY_CODE = {APPLICATION_CLOSED, REFUSED, PROTOCOL_ERROR, TIMED_OUT};

    private final int code;

    CloseReason(int code) {
        this.code = code;
    }

    /** The reason byte. */
    public int code() {
        return code;
    }

    /** True for reasons 01-03, which abort the whole connection at once (DECISIONS 26). */
    public boolean isAbort() {
        return this != APPLICATION_CLOSED;
    }

    /** The reason's constant, or null if undefined; allocation-free. */
    public static CloseReason forCode(int code) {
        return code < 0 || code >= BY_CODE.length ? null : BY_CODE[code];
    }

    /** The reason's constant; an undefined reason makes the S_CLOSE invalid. */
    public static CloseReason fromCode(int code) throws WireException {
        CloseReason r = forCode(code);
        if (r == null) {
            throw new WireException(
                    "unknown S_CLOSE reason 0x" + Integer.toHexString(code) + " (draft 5.2.2 defines 00-03)");
        }
        return r;
    }
}
