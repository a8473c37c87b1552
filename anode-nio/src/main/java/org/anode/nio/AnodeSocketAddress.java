package org.anode.nio;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.anode.address.AnodeAddress;
import org.anode.address.InvalidAddressException;

/**
 * An Anode socket address: an Anode address (draft 2.2) plus a 16-bit Anode port (the ports of
 * DGRAM, draft 4.2.10, and of streams, draft 5.2). Anode ports bear no relation to IP ports
 * (draft 2.10).
 *
 * <p>It extends {@link InetSocketAddress} as an <em>unresolved</em> address whose host name is the
 * 64-character base32 form of the Anode address, so that code which casts channel addresses to
 * {@code InetSocketAddress} (Netty, loggers) keeps working: {@link #isUnresolved()} is true,
 * {@link #getAddress()} is null, {@link #getHostString()} and {@link #getHostName()} are the base32
 * address and {@link #getPort()} the Anode port. No name service is ever consulted.
 *
 * <p>{@code InetSocketAddress}'s constructors would send a host name to DNS and its accessors are
 * final, so instances are built with the {@link #of} factory, which copies a serialized template
 * with the host name and port filled in; {@code equals}/{@code hashCode} (final in the superclass)
 * compare the host name case-insensitively and the port, which matches equality of the Anode
 * address and port. Deserialization re-validates the address.
 */
public final class AnodeSocketAddress extends InetSocketAddress {
    private static final long serialVersionUID = 1L;
    private static final System.Logger LOG = System.getLogger(AnodeSocketAddress.class.getName());

    /** Handoff of the already-validated address from {@link #of} to {@link #readObject}. */
    private static final ThreadLocal<AnodeAddress> PENDING = new ThreadLocal<>();

    /** Serialized form of a template instance, and where its host name and port sit. */
    private static final byte[] TEMPLATE;
    private static final int HOST_OFFSET;
    private static final int PORT_OFFSET;
    private static final int TEMPLATE_PORT = 0x1357;
    private static final char FALLBACK_PREFIX = '[';

    static {
        byte[] t = null;
        int host = -1;
        int port = -1;
        try {
            // "[" with no closing bracket makes InetAddress fail at once, without a lookup, so the
            // superclass constructor yields an unresolved address; the template is never handed out.
            String marker = FALLBACK_PREFIX + "q".repeat(AnodeAddress.TEXT_LENGTH - 1);
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bos)) {
                out.writeObject(new AnodeSocketAddress(marker, TEMPLATE_PORT));
            }
            t = bos.toByteArray();
            host = indexOf(t, marker.getBytes(StandardCharsets.US_ASCII));
            // InetSocketAddress writes its fields as: int port, then object fields sorted by name:
            // addr (null: TC_NULL), hostname (TC_STRING, 2-byte length, bytes).
            port = host - 3 - 1 - 4;
            boolean layoutAsExpected = host > 8
                    && t[host - 3] == 0x74 && t[host - 2] == 0 && t[host - 1] == AnodeAddress.TEXT_LENGTH
                    && t[host - 4] == 0x70
                    && readInt(t, port) == TEMPLATE_PORT
                    && indexOf(t, marker.getBytes(StandardCharsets.US_ASCII), host + 1) < 0;
            if (!layoutAsExpected) {
                LOG.log(System.Logger.Level.WARNING, "unexpected InetSocketAddress serial form;"
                        + " Anode socket addresses will carry a '[' before the host name");
                t = null;
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot build the address template", e);
            t = null;
        }
        TEMPLATE = t;
        HOST_OFFSET = host;
        PORT_OFFSET = port;
    }

    private transient AnodeAddress address;

    /** Only for the template and the fallback form; see the class comment. */
    private AnodeSocketAddress(String unresolvableHost, int port) {
        super(unresolvableHost, port);
    }

    /**
     * The socket address of an Anode address and port.
     *
     * @throws IllegalArgumentException if the port is outside 0..65535
     */
    public static AnodeSocketAddress of(AnodeAddress address, int port) {
        if (address == null) {
            throw new NullPointerException("address");
        }
        if (port < 0 || port > 0xffff) {
            throw new IllegalArgumentException("Anode port out of range (0-65535): " + port);
        }
        String text = address.toString();
        if (TEMPLATE == null) {
            AnodeSocketAddress a = new AnodeSocketAddress(FALLBACK_PREFIX + text, port);
            a.address = address;
            return a;
        }
        byte[] b = TEMPLATE.clone();
        for (int i = 0; i < AnodeAddress.TEXT_LENGTH; i++) {
            b[HOST_OFFSET + i] = (byte) text.charAt(i);
        }
        b[PORT_OFFSET] = 0;
        b[PORT_OFFSET + 1] = 0;
        b[PORT_OFFSET + 2] = (byte) (port >>> 8);
        b[PORT_OFFSET + 3] = (byte) port;
        PENDING.set(address);
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(b))) {
            return (AnodeSocketAddress) in.readObject();
        } catch (IOException | ClassNotFoundException e) {
            throw new IllegalStateException("cannot instantiate an Anode socket address", e);
        } finally {
            PENDING.remove();
        }
    }

    /**
     * Parses {@code <base32 address>:<port>}, the form {@link #toString()} writes.
     *
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
        if (port < 0 || port > 0xffff) {
            throw new IllegalArgumentException("Anode port out of range (0-65535): " + port);
        }
        try {
            return of(AnodeAddress.parse(s.substring(0, colon)), port);
        } catch (InvalidAddressException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** The Anode address. */
    public AnodeAddress address() {
        return address;
    }

    /** The Anode port, the same as {@link #getPort()}. */
    public int port() {
        return getPort();
    }

    /** {@code <base32 address>:<port>}. */
    @Override
    public String toString() {
        return address + ":" + getPort();
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        String host = getHostString();
        if (host == null) {
            throw new InvalidObjectException("an Anode socket address has a host name");
        }
        if (!host.isEmpty() && host.charAt(0) == FALLBACK_PREFIX) {
            host = host.substring(1);
        }
        AnodeAddress pending = PENDING.get();
        if (pending != null && pending.toString().equals(host)) {
            address = pending;
            return;
        }
        try {
            address = AnodeAddress.parse(host);
        } catch (InvalidAddressException e) {
            InvalidObjectException ex = new InvalidObjectException("not an Anode address: " + e.getMessage());
            ex.initCause(e);
            throw ex;
        }
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        return indexOf(hay, needle, 0);
    }

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static int readInt(byte[] b, int off) {
        return ((b[off] & 0xff) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8) | (b[off + 3] & 0xff);
    }
}
