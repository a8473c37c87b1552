package org.anode.nio;

import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import org.anode.address.AnodeAddress;
import org.anode.address.InvalidAddressException;
import org.anode.crypto.internal.AesDigest;

/**
 * An Anode socket address: an Anode address (draft 2.2) plus a 16-bit Anode port (the ports of
 * DGRAM, draft 4.2.10, and of streams, draft 5.2). Anode ports bear no relation to IP ports
 * (draft 2.10).
 *
 * <p>It extends {@link InetSocketAddress} so that code which casts channel addresses to
 * {@code InetSocketAddress} (Netty, loggers) keeps working: {@link #getHostString()} and
 * {@link #getHostName()} are the 64-character base32 Anode address (no name service is ever
 * consulted) and {@link #getPort()} is the Anode port.
 *
 * <p>Why resolved, not unresolved: Netty 4.1's datagram channel refuses to send to an unresolved
 * {@code InetSocketAddress} ({@code UnresolvedAddressException}) and its client bootstrap sends
 * unresolved addresses to DNS. So {@link #getAddress()} is a synthetic IPv6 address:
 * {@code fd} followed by the first 15 bytes of the AES-DIGEST (draft 2.6) of the 40-byte Anode
 * address, carrying the base32 text as its host name. It is never used on the wire; it makes the
 * address "resolved" for frameworks, and it lets the address survive a trip through
 * {@code new InetSocketAddress(getAddress(), getPort())} or a {@link java.net.DatagramPacket}: the
 * Anode channels read the host name back. {@code equals}/{@code hashCode} (final in the
 * superclass) compare that synthetic address (120 digest bits) and the port.
 */
public final class AnodeSocketAddress extends InetSocketAddress {
    private static final long serialVersionUID = 1L;
    /** First byte of the synthetic address: the IPv6 unique-local prefix (RFC 4193). */
    private static final int SYNTHETIC_PREFIX = 0xfd;

    private final transient AnodeAddress address;
    /** Draft 3.4 peer id of the device meant (DECISIONS 41), 0 for any. */
    private final transient int peerId;

    /**
     * The socket address of an Anode address and port.
     *
     * @param address the Anode address
     * @param port the Anode port, 0..65535
     * @throws IllegalArgumentException if the port is outside 0..65535
     */
    public AnodeSocketAddress(AnodeAddress address, int port) {
        this(address, port, 0);
    }

    private AnodeSocketAddress(AnodeAddress address, int port, int peerId) {
        super(syntheticAddress(address), checkPort(port));
        this.address = address;
        this.peerId = peerId;
    }

    /**
     * {@return the same address and port, meaning one device of those that share the address (draft
     * 3.4, DECISIONS 41): a stream connected to it is opened to, and stays with, the node whose
     * peer id is {@code peerId} (1..15), as a relay forwards by it; 0 means any device} The peer id
     * picks a device, it does not name another socket address: {@link #equals} ignores it, and it
     * is not serialised.
     *
     * @param peerId the device's peer id, 1..15, or 0 for any device
     * @throws IllegalArgumentException if {@code peerId} is outside 0..15
     */
    public AnodeSocketAddress withPeerId(int peerId) {
        if (peerId < 0 || peerId > 15) {
            throw new IllegalArgumentException("peer id out of range (0-15): " + peerId);
        }
        return new AnodeSocketAddress(address, getPort(), peerId);
    }

    /** {@return the device's peer id (draft 3.4), or 0 for any; see {@link #withPeerId}} */
    public int peerId() {
        return peerId;
    }

    /**
     * Same as the constructor.
     *
     * @param address the Anode address
     * @param port the Anode port, 0..65535
     * @return the socket address
     * @throws IllegalArgumentException if the port is outside 0..65535
     */
    public static AnodeSocketAddress of(AnodeAddress address, int port) {
        return new AnodeSocketAddress(address, port);
    }

    private static int checkPort(int port) {
        if (port < 0 || port > 0xffff) {
            throw new IllegalArgumentException("Anode port out of range (0-65535): " + port);
        }
        return port;
    }

    /**
     * {@return the synthetic IPv6 address standing for {@code address} (see the class comment),
     * with the base32 address as its host name}
     *
     * @param address the Anode address
     */
    public static InetAddress syntheticAddress(AnodeAddress address) {
        if (address == null) {
            throw new NullPointerException("address");
        }
        // A connection makes two or three socket addresses of the same two Anode addresses, and a
        // connect is timed in tens of microseconds: the digest, the base32 text and the InetAddress
        // cost about a microsecond each time. InetAddress is immutable, so a hit is shared as is.
        int slot = address.hashCode() & (SYNTHETIC_CACHE_SLOTS - 1);
        Synthetic hit = SYNTHETIC_CACHE.get(slot);
        if (hit != null && hit.anode.equals(address)) {
            return hit.inet;
        }
        InetAddress made = makeSynthetic(address);
        SYNTHETIC_CACHE.set(slot, new Synthetic(address, made));
        return made;
    }

    /** Slots of the synthetic address cache: direct-mapped, so bounded whatever addresses come by. */
    private static final int SYNTHETIC_CACHE_SLOTS = 64;

    private static final java.util.concurrent.atomic.AtomicReferenceArray<Synthetic> SYNTHETIC_CACHE =
            new java.util.concurrent.atomic.AtomicReferenceArray<>(SYNTHETIC_CACHE_SLOTS);

    /** One cache entry: an Anode address and its synthetic IPv6 address. */
    private record Synthetic(AnodeAddress anode, InetAddress inet) {}

    private static InetAddress makeSynthetic(AnodeAddress address) {
        byte[] d = AesDigest.digest(address.toByteArray());
        byte[] ip = new byte[16];
        ip[0] = (byte) SYNTHETIC_PREFIX;
        System.arraycopy(d, 0, ip, 1, 15);
        try {
            return InetAddress.getByAddress(address.toString(), ip);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("16 bytes are a valid IPv6 address", e);
        }
    }

    /**
     * Parses {@code <base32 address>:<port>}, the form {@link #toString()} writes.
     *
     * @param text the text; surrounding white space is ignored
     * @return the socket address
     * @throws IllegalArgumentException if the text is not of that form, the address is invalid
     *         (DECISIONS 6, 8) or the port is outside 0..65535
     */
    public static AnodeSocketAddress parse(CharSequence text) {
        if (text == null) {
            throw new NullPointerException("text");
        }
        String s = text.toString().strip();
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new IllegalArgumentException("expected <base32 address>:<port>, got '" + s + "'");
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a port number: '" + s.substring(colon + 1) + "'", e);
        }
        try {
            return new AnodeSocketAddress(AnodeAddress.parse(s.substring(0, colon)), port);
        } catch (InvalidAddressException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * Recovers the Anode socket address from any {@code InetSocketAddress} that carries one: an
     * {@code AnodeSocketAddress}, a copy made from its synthetic address and port, or an unresolved
     * address whose host is a base32 Anode address.
     *
     * @param a any socket address
     * @return the address, or null if {@code a} does not name an Anode address
     */
    public static AnodeSocketAddress from(InetSocketAddress a) {
        if (a instanceof AnodeSocketAddress x) {
            return x;
        }
        String host = a.getHostString();
        if (host == null || host.length() != AnodeAddress.TEXT_LENGTH) {
            return null;
        }
        AnodeAddress addr;
        try {
            addr = AnodeAddress.parse(host);
        } catch (InvalidAddressException e) {
            return null;
        }
        AnodeSocketAddress r = new AnodeSocketAddress(addr, a.getPort());
        // A resolved address must be exactly the synthetic one: a host name alone is only a label.
        if (!a.isUnresolved() && !r.getAddress().equals(a.getAddress())) {
            return null;
        }
        return r;
    }

    /** {@return the Anode address} */
    public AnodeAddress address() {
        return address;
    }

    /** {@return the Anode port, the same as {@link #getPort()}} */
    public int port() {
        return getPort();
    }

    /** {@code <base32 address>:<port>}. */
    @Override
    public String toString() {
        return address + ":" + getPort();
    }

    /**
     * Writes the {@link Form} proxy instead of this object, so that a stream can never carry an
     * address that was not validated.
     *
     * @return the serialization proxy
     */
    private Object writeReplace() {
        return new Form(address.toString(), getPort());
    }

    /**
     * Refuses a stream that carries this class itself rather than its proxy (a forged stream).
     *
     * @param in the stream
     * @throws InvalidObjectException always
     */
    private void readObject(ObjectInputStream in) throws InvalidObjectException {
        throw new InvalidObjectException("AnodeSocketAddress is serialized through its proxy");
    }

    /**
     * Serialized form: the text of {@link #toString()}, validated again when read.
     *
     * @param address the base32 Anode address
     * @param port the Anode port
     */
    private record Form(String address, int port) implements Serializable {
        private Object readResolve() throws InvalidObjectException {
            try {
                return new AnodeSocketAddress(AnodeAddress.parse(address), port);
            } catch (InvalidAddressException | IllegalArgumentException | NullPointerException e) {
                InvalidObjectException ex =
                        new InvalidObjectException("invalid Anode socket address: " + e.getMessage());
                ex.initCause(e);
                throw ex;
            }
        }
    }
}
