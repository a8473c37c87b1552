package org.anode.wire;

/** The endpoint type byte of draft 2.10 (DECISIONS 15). */
public enum EndpointType {
    /** 0x00: no address; "the packet's own source" where the draft allows it (4.2.6, 4.2.8). */
    UNSPECIFIED(0x00, 0),
    /** 0x01: a 6-byte Ethernet MAC address. */
    ETHERNET(0x01, 6),
    /** 0x02: IPv4 address and UDP port. */
    UDP_IPV4(0x02, 6),
    /** 0x03: IPv4 address and TCP port. */
    TCP_IPV4(0x03, 6),
    /** 0x04: IPv6 address and UDP port. */
    UDP_IPV6(0x04, 18),
    /** 0x05: IPv6 address and TCP port. */
    TCP_IPV6(0x05, 18),
    /** 0x06: a NUL-terminated URI. */
    HTTP(0x06, -1);

    private static final EndpointType[] BY_CODE = {UNSPECIFIED, ETHERNET, UDP_IPV4, TCP_IPV4, UDP_IPV6, TCP_IPV6, HTTP};

    private final int code;
    private final int addressLength;

    EndpointType(int code, int addressLength) {
        this.code = code;
        this.addressLength = addressLength;
    }

    /** The type byte. */
    public int code() {
        return code;
    }

    /** Length of the address after the type byte, or -1 for the NUL-terminated HTTP URI. */
    public int addressLength() {
        return addressLength;
    }

    /** True for the four IP types, which carry an IP address and port. */
    public boolean isIp() {
        return this == UDP_IPV4 || this == TCP_IPV4 || this == UDP_IPV6 || this == TCP_IPV6;
    }

    /** True for the two IPv6 types. */
    public boolean isIpv6() {
        return this == UDP_IPV6 || this == TCP_IPV6;
    }

    /** True for the two TCP types. */
    public boolean isTcp() {
        return this == TCP_IPV4 || this == TCP_IPV6;
    }

    /** The type for a code; an unknown type makes the enclosing message invalid (DECISIONS 15). */
    public static EndpointType fromCode(int code) throws WireException {
        if (code < 0 || code >= BY_CODE.length) {
            throw new WireException(
                    "unknown endpoint type 0x" + Integer.toHexString(code & 0xff) + " (draft 2.10 defines 0x00-0x06)");
        }
        return BY_CODE[code];
    }
}
