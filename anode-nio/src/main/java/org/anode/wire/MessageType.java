package org.anode.wire;

/** Message type codes: 0x00-0x09 (draft 4.1) and decimal 20-24, 0x14-0x18 (draft 5.1). */
public enum MessageType {
    ERROR(0x00),
    PING(0x01),
    PONG(0x02),
    EPC_REQ(0x03),
    EPC(0x04),
    EPI(0x05),
    NAT_T(0x06),
    NETID_REQ(0x07),
    NETID(0x08),
    DGRAM(0x09),
    S_OPEN(20),
    S_CLOSE(21),
    S_DATA(22),
    S_ACK(23),
    S_DACK(24);

    private static final MessageType[] BY_CODE = new MessageType[256];

    static {
        for (MessageType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final int code;

    MessageType(int code) {
        this.code = code;
    }

    /** The type byte. */
    public int code() {
        return code;
    }

    /** True for S_OPEN .. S_DACK, the stream protocol of draft section 5. */
    public boolean isStream() {
        return code >= 20;
    }

    /** The type for a code, or null if the code is not defined; allocation-free. */
    public static MessageType forCode(int code) {
        return code < 0 || code > 255 ? null : BY_CODE[code];
    }

    /** The type for a code; an unknown type makes the packet invalid. */
    public static MessageType fromCode(int code) throws WireException {
        MessageType t = forCode(code);
        if (t == null) {
            throw new WireException(
                    "unknown message type 0x" + Integer.toHexString(code & 0xff) + " (defined: 0x00-0x09, 0x14-0x18)");
        }
        return t;
    }
}
