package org.anode.wire;

/**
 * ERROR message codes (draft 4.2.1), and the address cookie reply of addendum A15
 * (docs/DECISIONS-addenda.md).
 */
public enum ErrorCode {
    /** 0x01: message not valid. */
    MESSAGE_NOT_VALID(0x01),
    /** 0x02: message authentication or decryption failed; sent with packet flag 0x04 (draft 3.2). */
    AUTHENTICATION_FAILED(0x02),
    /** 0x03: relaying and related features not authorised. */
    RELAY_NOT_AUTHORIZED(0x03),
    /** 0x04: relay recipient not reachable. */
    RELAY_RECIPIENT_UNREACHABLE(0x04),
    /**
     * 0x80 (addendum A15): "prove your address first" - sent with packet flag 0x04 instead of a
     * key agreement while a node's budget for unknown senders is under pressure. Arguments: a
     * 16-byte address cookie, then the 8-byte MAC field of the packet it answers.
     */
    ADDRESS_COOKIE(0x80);

    private final int code;

    ErrorCode(int code) {
        this.code = code;
    }

    /** The 16-bit code. */
    public int code() {
        return code;
    }

    /** The code's constant, or null if undefined; allocation-free. */
    public static ErrorCode forCode(int code) {
        switch (code) {
            case 0x01:
                return MESSAGE_NOT_VALID;
            case 0x02:
                return AUTHENTICATION_FAILED;
            case 0x03:
                return RELAY_NOT_AUTHORIZED;
            case 0x04:
                return RELAY_RECIPIENT_UNREACHABLE;
            case 0x80:
                return ADDRESS_COOKIE;
            default:
                return null;
        }
    }

    /** The code's constant; an undefined code makes the ERROR message invalid. */
    public static ErrorCode fromCode(int code) throws WireException {
        ErrorCode c = forCode(code);
        if (c == null) {
            throw new WireException("unknown ERROR code 0x" + Integer.toHexString(code)
                    + " (draft 4.2.1 defines 0x01-0x04, addendum A15 adds 0x80)");
        }
        return c;
    }
}
