package org.anode.wire;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;

/**
 * A place where Anode packets may be sent (draft 2.10, DECISIONS 15): a type byte followed by the
 * address the type needs. All seven types are modelled; the four IP types convert to and from
 * {@link InetSocketAddress}.
 *
 * <p>Encoding: {@link #writeTo(ByteBuffer)}. Decoding: {@link #read(ByteBuffer)} or, without
 * allocating, {@link #validate(ByteBuffer, int, int)} to check the bytes and find the end.
 */
public sealed interface Endpoint permits Endpoint.Unspecified, Endpoint.Ethernet, Endpoint.Ip, Endpoint.Http {

    /** The endpoint type. */
    EndpointType type();

    /** Bytes {@link #writeTo(ByteBuffer)} writes, type byte included. */
    int encodedLength();

    /** Writes the type byte and the address at {@code dst}'s position, advancing it. */
    void writeTo(ByteBuffer dst);

    /** The IP socket address of the four IP types; empty for the others. */
    default Optional<InetSocketAddress> socketAddress() {
        return Optional.empty();
    }

    /** The UDP endpoint (type 0x02 or 0x04, by address family) of a resolved socket address. */
    static Ip udp(InetSocketAddress address) {
        return ip(address, false);
    }

    /** The TCP endpoint (type 0x03 or 0x05, by address family) of a resolved socket address. */
    static Ip tcp(InetSocketAddress address) {
        return ip(address, true);
    }

    private static Ip ip(InetSocketAddress address, boolean tcp) {
        InetAddress a = address.getAddress();
        if (a == null) {
            throw new IllegalArgumentException("unresolved socket address " + address + " has no IP to encode");
        }
        boolean v6 = a instanceof Inet6Address;
        EndpointType t = tcp
                ? (v6 ? EndpointType.TCP_IPV6 : EndpointType.TCP_IPV4)
                : (v6 ? EndpointType.UDP_IPV6 : EndpointType.UDP_IPV4);
        return new Ip(t, a, address.getPort());
    }

    /**
     * Reads one endpoint at {@code src}'s position, advancing past it. The endpoint must end at or
     * before the limit; bytes after it are left for the caller.
     */
    static Endpoint read(ByteBuffer src) throws WireException {
        int end = validate(src, src.position(), src.limit());
        Endpoint e = decodeValidated(src, src.position(), end);
        src.position(end);
        return e;
    }

    /**
     * Checks that a well-formed endpoint starts at absolute index {@code off} and ends at or before
     * {@code limit}, and returns the index just past it. Allocates nothing unless it throws.
     */
    static int validate(ByteBuffer b, int off, int limit) throws WireException {
        if (off >= limit) {
            throw new WireException("endpoint missing: no type byte left");
        }
        EndpointType t = EndpointType.fromCode(b.get(off) & 0xff);
        int p = off + 1;
        if (t != EndpointType.HTTP) {
            if (limit - p < t.addressLength()) {
                throw new WireException(
                        t + " endpoint needs " + t.addressLength() + " address bytes, only " + (limit - p) + " remain");
            }
            return p + t.addressLength();
        }
        for (int i = p; i < limit; i++) {
            int c = b.get(i) & 0xff;
            if (c == 0) {
                if (i == p) {
                    throw new WireException("HTTP endpoint has an empty URI");
                }
                return i + 1;
            }
            if (!Http.isUriByte(c)) {
                throw new WireException("HTTP endpoint URI contains byte 0x" + Integer.toHexString(c)
                        + " (only printable ASCII 0x21-0x7e is allowed)");
            }
        }
        throw new WireException("HTTP endpoint URI is not NUL-terminated");
    }

    /** Decodes an endpoint that {@link #validate} accepted at {@code [off, end)}. */
    static Endpoint decodeValidated(ByteBuffer b, int off, int end) throws WireException {
        EndpointType t = EndpointType.fromCode(b.get(off) & 0xff);
        int p = off + 1;
        switch (t) {
            case UNSPECIFIED:
                return Unspecified.INSTANCE;
            case ETHERNET: {
                long mac = 0;
                for (int i = 0; i < 6; i++) {
                    mac = (mac << 8) | (b.get(p + i) & 0xff);
                }
                return new Ethernet(mac);
            }
            case UDP_IPV4:
            case TCP_IPV4:
            case UDP_IPV6:
            case TCP_IPV6: {
                int n = t.isIpv6() ? 16 : 4;
                byte[] ip = new byte[n];
                b.get(p, ip);
                int port = b.getShort(p + n) & 0xffff;
                try {
                    // Inet6Address.getByAddress keeps IPv4-mapped addresses as IPv6 so they re-encode
                    // with the type they arrived with; InetAddress.getByAddress would turn them into IPv4.
                    InetAddress a = n == 4 ? InetAddress.getByAddress(ip) : Inet6Address.getByAddress(null, ip, -1);
                    return new Ip(t, a, port);
                } catch (UnknownHostException e) {
                    throw new WireException("endpoint IP address rejected: " + e.getMessage(), e);
                }
            }
            case HTTP: {
                byte[] uri = new byte[end - 1 - p];
                b.get(p, uri);
                return new Http(new String(uri, StandardCharsets.US_ASCII));
            }
            default:
                throw new WireException("unknown endpoint type " + t);
        }
    }

    /** Type 0x00 (draft 2.10), no address. The draft reads it as "the packet's actual source" (4.2.6, 4.2.8). */
    record Unspecified() implements Endpoint {
        /** The only value. */
        public static final Unspecified INSTANCE = new Unspecified();

        @Override
        public EndpointType type() {
            return EndpointType.UNSPECIFIED;
        }

        @Override
        public int encodedLength() {
            return 1;
        }

        @Override
        public void writeTo(ByteBuffer dst) {
            dst.put((byte) 0);
        }
    }

    /**
     * Type 0x01 (draft 2.10), an Ethernet MAC address.
     *
     * @param mac the 48-bit MAC address in the low bits, first octet most significant
     */
    record Ethernet(long mac) implements Endpoint {
        public Ethernet {
            if ((mac >>> 48) != 0) {
                throw new IllegalArgumentException("an Ethernet MAC is 48 bits, got 0x" + Long.toHexString(mac));
            }
        }

        @Override
        public EndpointType type() {
            return EndpointType.ETHERNET;
        }

        @Override
        public int encodedLength() {
            return 7;
        }

        @Override
        public void writeTo(ByteBuffer dst) {
            dst.put((byte) 0x01);
            for (int shift = 40; shift >= 0; shift -= 8) {
                dst.put((byte) (mac >>> shift));
            }
        }

        @Override
        public String toString() {
            return String.format("Ethernet[%012x]", mac);
        }
    }

    /**
     * Types 0x02-0x05 (draft 2.10): an IP address and port. The address family must match the type.
     *
     * @param type one of UDP_IPV4, TCP_IPV4, UDP_IPV6, TCP_IPV6
     * @param address an {@link Inet4Address} for the IPv4 types, an {@link Inet6Address} for IPv6
     *     (an IPv6 scope id is not carried on the wire and is ignored by {@code equals})
     * @param port 0-65535
     */
    record Ip(EndpointType type, InetAddress address, int port) implements Endpoint {
        public Ip {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(address, "address");
            if (!type.isIp()) {
                throw new IllegalArgumentException(type + " is not an IP endpoint type");
            }
            if (type.isIpv6() != (address instanceof Inet6Address)) {
                throw new IllegalArgumentException(type + " cannot carry " + address);
            }
            if (port < 0 || port > 0xffff) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
        }

        @Override
        public int encodedLength() {
            return 1 + type.addressLength();
        }

        @Override
        public void writeTo(ByteBuffer dst) {
            dst.put((byte) type.code());
            dst.put(address.getAddress());
            dst.putShort((short) port);
        }

        /** Never empty for this type. */
        @Override
        public Optional<InetSocketAddress> socketAddress() {
            return Optional.of(toSocketAddress());
        }

        /** The socket address this endpoint names. */
        public InetSocketAddress toSocketAddress() {
            return new InetSocketAddress(address, port);
        }

        /** True for UDP/IPv4 and UDP/IPv6. */
        public boolean isUdp() {
            return !type.isTcp();
        }
    }

    /**
     * Type 0x06 (draft 2.10, DECISIONS 15), a full URI, sent NUL-terminated. Only printable ASCII
     * (0x21-0x7e) is accepted, which covers every RFC 3986 URI and keeps the terminator unambiguous.
     *
     * @param uri the URI text, non-empty
     */
    record Http(String uri) implements Endpoint {
        public Http {
            Objects.requireNonNull(uri, "uri");
            if (uri.isEmpty()) {
                throw new IllegalArgumentException("HTTP endpoint URI is empty");
            }
            for (int i = 0; i < uri.length(); i++) {
                if (!isUriByte(uri.charAt(i))) {
                    throw new IllegalArgumentException("HTTP endpoint URI may hold only printable ASCII, found U+"
                            + Integer.toHexString(uri.charAt(i)));
                }
            }
        }

        static boolean isUriByte(int c) {
            return c >= 0x21 && c <= 0x7e;
        }

        @Override
        public EndpointType type() {
            return EndpointType.HTTP;
        }

        @Override
        public int encodedLength() {
            return uri.length() + 2;
        }

        @Override
        public void writeTo(ByteBuffer dst) {
            dst.put((byte) 0x06);
            for (int i = 0; i < uri.length(); i++) {
                dst.put((byte) uri.charAt(i));
            }
            dst.put((byte) 0);
        }
    }
}
