package org.anode.zone;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import org.anode.address.AnodeAddress;
import org.anode.address.InvalidAddressException;

/**
 * One zone relay, a {@code zr.<index>} entry of a zone file (draft 2.3.1, DECISIONS 12):
 * {@code <ip>[,<ip>...]:<udp port>:<tcp port>:<anode address>[,<anode address>...]}.
 *
 * <p>Parsing splits from the right: the last three {@code :}-separated fields are the ports and the
 * addresses, everything before them is the IP list, so bare IPv6 literals need no brackets (they are
 * accepted with or without). Spaces and tabs around each list element and field are ignored.
 * IP literals are parsed without any DNS lookup. Ports must be 1-65535: port 0 cannot be sent to,
 * and the draft gives it no "transport not offered" meaning, so it is rejected. Lists are non-empty
 * and bounded ({@link #MAX_IPS}, {@link #MAX_ADDRESSES}) so that a hostile zone file cannot make a
 * peer decompress thousands of public keys.
 *
 * @param index     the entry's index, the {@code <address checksum>} of the draft
 * @param ips       the relay's IP addresses, IPv4 and IPv6 in file order (immutable)
 * @param udpPort   UDP port, 1-65535
 * @param tcpPort   TCP port, 1-65535
 * @param addresses the relay's Anode addresses, one per address type (immutable)
 */
public record ZoneRelay(int index, List<InetAddress> ips, int udpPort, int tcpPort, List<AnodeAddress> addresses) {
    /** Most IP addresses accepted for one relay. */
    public static final int MAX_IPS = 32;
    /** Most Anode addresses accepted for one relay (the draft defines one address type; each one costs a public key decompression to validate). */
    public static final int MAX_ADDRESSES = 4;

    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * Validates and copies the lists.
     *
     * @throws IllegalArgumentException if the index is negative, a port is outside 1-65535, a list
     *                                  is empty, too long or holds null, or an IPv6 address is scoped
     */
    public ZoneRelay {
        if (index < 0) {
            throw new IllegalArgumentException("relay index must not be negative: " + index);
        }
        checkPort("udp", udpPort);
        checkPort("tcp", tcpPort);
        ips = List.copyOf(ips);
        addresses = List.copyOf(addresses);
        if (ips.isEmpty() || ips.size() > MAX_IPS) {
            throw new IllegalArgumentException("a relay has 1 to " + MAX_IPS + " IP addresses, got " + ips.size());
        }
        if (addresses.isEmpty() || addresses.size() > MAX_ADDRESSES) {
            throw new IllegalArgumentException(
                    "a relay has 1 to " + MAX_ADDRESSES + " Anode addresses, got " + addresses.size());
        }
        for (InetAddress ip : ips) {
            if (ip instanceof Inet6Address v6 && (v6.getScopeId() != 0 || v6.getScopedInterface() != null)) {
                throw new IllegalArgumentException("a relay IPv6 address must not carry a scope id: " + ip);
            }
        }
    }

    private static void checkPort(String which, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(which + " port " + port + " is not in 1-65535");
        }
    }

    /** The zone file key of this entry: {@code zr.} and the index in lower-case hex. */
    public String key() {
        return keyFor(index);
    }

    /** The zone file key for a relay index: {@code zr.} and the index in lower-case hex. */
    public static String keyFor(int index) {
        return ZoneFile.RELAY_PREFIX + Integer.toHexString(index);
    }

    /**
     * The entry's value in canonical form: IPv4 dotted quads and bracketed IPv6, then the ports,
     * then the base32 addresses. {@link #parse} of it gives an equal relay.
     */
    public String toValue() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ips.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            InetAddress ip = ips.get(i);
            if (ip instanceof Inet6Address) {
                sb.append('[').append(ip.getHostAddress()).append(']');
            } else {
                sb.append(ip.getHostAddress());
            }
        }
        sb.append(':').append(udpPort).append(':').append(tcpPort).append(':');
        for (int i = 0; i < addresses.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(addresses.get(i));
        }
        return sb.toString();
    }

    /**
     * Parses a zr entry's value.
     *
     * @param index the entry's index (from its key)
     * @param value the text after {@code =}
     * @throws ZoneFileException naming the field that is wrong; its line is 0
     */
    public static ZoneRelay parse(int index, String value) throws ZoneFileException {
        return parse(index, value, 0);
    }

    static ZoneRelay parse(int index, String value, int line) throws ZoneFileException {
        String key = keyFor(index);
        int c3 = value.lastIndexOf(':');
        int c2 = c3 > 0 ? value.lastIndexOf(':', c3 - 1) : -1;
        int c1 = c2 > 0 ? value.lastIndexOf(':', c2 - 1) : -1;
        if (c1 < 0) {
            throw new ZoneFileException(
                    line,
                    key + ": expected <ip>[,<ip>...]:<udp port>:<tcp port>:<anode address>"
                            + "[,...] but found fewer than three ':'");
        }
        int udp = parsePort(key, "udp", value.substring(c1 + 1, c2), line);
        int tcp = parsePort(key, "tcp", value.substring(c2 + 1, c3), line);

        List<InetAddress> ips = new ArrayList<>();
        for (String part : value.substring(0, c1).split(",", -1)) {
            String p = trim(part);
            if (p.isEmpty()) {
                throw new ZoneFileException(line, key + ": empty IP address in the IP list");
            }
            if (ips.size() == MAX_IPS) {
                throw new ZoneFileException(line, key + ": more than " + MAX_IPS + " IP addresses");
            }
            InetAddress ip = IpLiterals.parse(p);
            if (ip == null) {
                throw new ZoneFileException(
                        line, key + ": '" + ZoneFileFormat.printable(p) + "' is not an IPv4 or IPv6 address literal");
            }
            ips.add(ip);
        }

        List<AnodeAddress> addresses = new ArrayList<>();
        for (String part : value.substring(c3 + 1).split(",", -1)) {
            String p = trim(part);
            if (p.isEmpty()) {
                throw new ZoneFileException(line, key + ": empty Anode address in the address list");
            }
            if (addresses.size() == MAX_ADDRESSES) {
                throw new ZoneFileException(line, key + ": more than " + MAX_ADDRESSES + " Anode addresses");
            }
            try {
                addresses.add(AnodeAddress.parse(p));
            } catch (InvalidAddressException e) {
                throw new ZoneFileException(
                        line, key + ": bad relay address '" + ZoneFileFormat.printable(p) + "': " + e.getMessage(), e);
            }
        }
        return new ZoneRelay(index, ips, udp, tcp, addresses);
    }

    private static int parsePort(String key, String which, String field, int line) throws ZoneFileException {
        String f = trim(field);
        int v = 0;
        boolean ok = !f.isEmpty() && f.length() <= 5;
        for (int i = 0; ok && i < f.length(); i++) {
            char c = f.charAt(i);
            ok = c >= '0' && c <= '9';
            v = v * 10 + (c - '0');
        }
        if (!ok) {
            throw new ZoneFileException(
                    line, key + ": " + which + " port '" + ZoneFileFormat.printable(f) + "' is not a decimal number");
        }
        if (v < 1 || v > 65535) {
            throw new ZoneFileException(line, key + ": " + which + " port " + v + " is not in 1-65535");
        }
        return v;
    }

    private static String trim(String s) {
        int a = 0;
        int b = s.length();
        while (a < b && (s.charAt(a) == ' ' || s.charAt(a) == '\t')) {
            a++;
        }
        while (b > a && (s.charAt(b - 1) == ' ' || s.charAt(b - 1) == '\t')) {
            b--;
        }
        return s.substring(a, b);
    }

    /**
     * The relay's IPs of one family, in file order.
     *
     * @param family {@link StandardProtocolFamily#INET} or {@link StandardProtocolFamily#INET6}
     */
    public List<InetAddress> ips(ProtocolFamily family) {
        Class<? extends InetAddress> type = familyType(family);
        List<InetAddress> out = new ArrayList<>(ips.size());
        for (InetAddress ip : ips) {
            if (type.isInstance(ip)) {
                out.add(ip);
            }
        }
        return List.copyOf(out);
    }

    /**
     * Picks one of the relay's IPs of the wanted family uniformly at random, as draft 2.3.1 asks
     * (spreading peers over a relay's addresses), using a shared {@link SecureRandom}.
     *
     * @return the IP, or empty if the relay has none of that family
     */
    public Optional<InetAddress> pickIp(ProtocolFamily family) {
        return pickIp(family, RANDOM);
    }

    /** As {@link #pickIp(ProtocolFamily)} with a caller's source of randomness (e.g. seeded in tests). */
    public Optional<InetAddress> pickIp(ProtocolFamily family, Random random) {
        Objects.requireNonNull(random, "random");
        List<InetAddress> candidates = ips(family);
        if (candidates.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(candidates.get(random.nextInt(candidates.size())));
    }

    private static Class<? extends InetAddress> familyType(ProtocolFamily family) {
        if (family == StandardProtocolFamily.INET) {
            return Inet4Address.class;
        }
        if (family == StandardProtocolFamily.INET6) {
            return Inet6Address.class;
        }
        throw new IllegalArgumentException("relays have IPv4 (INET) and IPv6 (INET6) addresses, not " + family);
    }
}
