package org.anode.nio;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Hashtable;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.naming.NameNotFoundException;
import javax.naming.NamingEnumeration;
import javax.naming.NamingException;
import javax.naming.directory.Attribute;
import javax.naming.directory.Attributes;
import javax.naming.directory.DirContext;
import javax.naming.directory.InitialDirContext;
import org.anode.address.AnodeAddress;
import org.anode.address.InvalidAddressException;
import org.anode.util.BoundedMap;
import org.anode.zone.AnodeTxtRecords;

/**
 * Host names for Anode addresses (draft 2.8, DECISIONS 39), on every JDK.
 *
 * <ul>
 *   <li>{@code <64 base32 characters>.anode} is the address itself: no lookup.
 *   <li>Any other host name resolves to the addresses of its {@code anode:} TXT records
 *       ({@link AnodeTxtRecords}) through the system's DNS, asked through the JDK's JNDI DNS
 *       provider. Answers, including "no such name" and "no Anode record", are cached for
 *       {@code anode.names.ttl} seconds (default 60): JNDI does not report a record's TTL, so the
 *       cache time is a setting (addendum A14).
 * </ul>
 *
 * <p>In IP terms an Anode address is its synthetic {@code fd..} IPv6 address (addendum A2):
 * {@link #resolveInet} returns those, with the name asked for as their host name, so that an
 * unmodified program can pass them to {@code SocketChannel.connect}; the system-wide provider
 * ({@link AnodeSystemSelectorProvider}) maps them back with {@link #anodeAddressOf(InetAddress)}. That
 * map remembers every address resolved here or configured as a peer (bounded, least recently used
 * first out).
 *
 * <p>Properties: {@code anode.names.ttl} (seconds, 0 disables caching), {@code anode.names.dns}
 * (a JNDI DNS URL such as {@code dns://10.0.0.1:53}; default: the system's resolvers).
 */
public final class AnodeNames {
    /** The pseudo top-level domain of address names. */
    public static final String SUFFIX = ".anode";

    private static final System.Logger LOG = System.getLogger(AnodeNames.class.getName());
    private static final int MAX_SYNTHETIC = 4096;
    private static final int MAX_CACHED = 1024;

    /** Synthetic address (hex of 16 bytes) to Anode address; bounded LRU. */
    private static final Map<String, AnodeAddress> SYNTHETIC = BoundedMap.leastRecentlyUsed(MAX_SYNTHETIC);

    private record Cached(List<AnodeAddress> addresses, String failure, long expires) {}

    private static final Map<String, Cached> CACHE = BoundedMap.leastRecentlyUsed(MAX_CACHED);

    private AnodeNames() {}

    /**
     * The address a {@code <base32>.anode} name stands for, found without any lookup.
     *
     * @param host a host name, possibly with a trailing dot; null gives empty
     * @return the address, or empty if {@code host} is not of that form
     */
    public static Optional<AnodeAddress> parseAddressName(String host) {
        if (host == null) {
            return Optional.empty();
        }
        String h = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        if (h.length() != AnodeAddress.TEXT_LENGTH + SUFFIX.length()
                || !h.regionMatches(true, AnodeAddress.TEXT_LENGTH, SUFFIX, 0, SUFFIX.length())) {
            return Optional.empty();
        }
        try {
            return Optional.of(AnodeAddress.parse(h.substring(0, AnodeAddress.TEXT_LENGTH)));
        } catch (InvalidAddressException e) {
            return Optional.empty();
        }
    }

    /**
     * {@return the name of an address: its base32 form and {@code .anode}}
     *
     * @param address the Anode address
     */
    public static String nameOf(AnodeAddress address) {
        return address + SUFFIX;
    }

    /**
     * Resolves a host name to Anode addresses: an address name at once, any other name through its
     * {@code anode:} TXT records.
     *
     * @param host the host name
     * @return the addresses, in record order, never empty
     * @throws UnknownHostException if the name does not exist, has no valid {@code anode:} record,
     *     or DNS could not be asked
     */
    public static List<AnodeAddress> resolve(String host) throws UnknownHostException {
        Optional<AnodeAddress> direct = parseAddressName(host);
        if (direct.isPresent()) {
            remember(direct.get());
            return List.of(direct.get());
        }
        String key = normalize(host);
        Cached c = cached(key);
        if (c == null) {
            c = lookup(key);
            store(key, c);
        }
        if (c.addresses.isEmpty()) {
            throw new UnknownHostException(host + ": " + c.failure);
        }
        for (AnodeAddress a : c.addresses) {
            remember(a);
        }
        return c.addresses;
    }

    /**
     * Like {@link #resolve} but only asks DNS for names that are not address names, and
     * returns an empty list instead of throwing when the name has no Anode record or DNS cannot be
     * asked: what a resolver that falls back to IP needs.
     *
     * @param host the host name
     * @return the addresses, in record order, or an empty list
     */
    public static List<AnodeAddress> resolveOrEmpty(String host) {
        try {
            return resolve(host);
        } catch (UnknownHostException e) {
            return List.of();
        }
    }

    /**
     * {@return the synthetic IPv6 addresses (addendum A2) of {@link #resolve}'s addresses, each
     * carrying {@code host} as its host name}
     *
     * @param host the host name
     * @throws UnknownHostException as {@link #resolve} throws it
     */
    public static InetAddress[] resolveInet(String host) throws UnknownHostException {
        List<AnodeAddress> as = resolve(host);
        InetAddress[] out = new InetAddress[as.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = InetAddress.getByAddress(
                    host, AnodeSocketAddress.syntheticAddress(as.get(i)).getAddress());
        }
        return out;
    }

    /**
     * Remembers an address so that its synthetic IPv6 address maps back to it
     * ({@link #anodeAddressOf(InetAddress)}).
     *
     * @param address the Anode address
     */
    public static void remember(AnodeAddress address) {
        String k = hex(AnodeSocketAddress.syntheticAddress(address).getAddress());
        synchronized (SYNTHETIC) {
            SYNTHETIC.put(k, address);
        }
    }

    /**
     * {@return the Anode address an IP address stands for: a synthetic {@code fd..} address
     * carrying the address (or its {@code .anode} name) as host name, or one remembered from a
     * resolution or a configured peer} No lookup is made.
     *
     * @param ip any IP address; empty unless it is a synthetic one
     */
    public static Optional<AnodeAddress> anodeAddressOf(InetAddress ip) {
        if (!(ip instanceof Inet6Address)) {
            return Optional.empty();
        }
        byte[] b = ip.getAddress();
        if ((b[0] & 0xff) != 0xfd) {
            return Optional.empty();
        }
        // toString() is "hostname/literal" and never triggers a reverse lookup, unlike getHostName().
        String s = ip.toString();
        int slash = s.lastIndexOf('/');
        String host = slash > 0 ? s.substring(0, slash) : "";
        if (!host.isEmpty()) {
            Optional<AnodeAddress> a = parseAddressName(host);
            if (a.isEmpty() && host.length() == AnodeAddress.TEXT_LENGTH) {
                try {
                    a = Optional.of(AnodeAddress.parse(host));
                } catch (InvalidAddressException e) {
                    a = Optional.empty();
                }
            }
            if (a.isPresent()
                    && Arrays.equals(
                            AnodeSocketAddress.syntheticAddress(a.get()).getAddress(), b)) {
                return a;
            }
        }
        synchronized (SYNTHETIC) {
            return Optional.ofNullable(SYNTHETIC.get(hex(b)));
        }
    }

    /**
     * The Anode socket address a socket address names: an {@link AnodeSocketAddress}, an address
     * made from a synthetic IP and a port, or an unresolved address whose host is an address name
     * or a base32 address. Other names are not looked up here.
     *
     * @param sa any socket address
     * @return the address, or null if {@code sa} is an IP (or other) address
     */
    public static AnodeSocketAddress anodeSocketAddressOf(SocketAddress sa) {
        if (sa instanceof AnodeSocketAddress a) {
            return a;
        }
        if (!(sa instanceof InetSocketAddress isa)) {
            return null;
        }
        if (isa.isUnresolved()) {
            Optional<AnodeAddress> a = parseAddressName(isa.getHostString());
            if (a.isPresent()) {
                return new AnodeSocketAddress(a.get(), isa.getPort());
            }
            return AnodeSocketAddress.from(isa);
        }
        return anodeAddressOf(isa.getAddress())
                .map(a -> new AnodeSocketAddress(a, isa.getPort()))
                .orElse(null);
    }

    // ------------------------------------------------------------------------------------ DNS

    private static String normalize(String host) {
        String h = host.strip().toLowerCase(Locale.ROOT);
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    private static long ttlNanos() {
        long s = Long.getLong("anode.names.ttl", 60L);
        return Math.max(0L, s) * 1_000_000_000L;
    }

    private static Cached cached(String key) {
        synchronized (CACHE) {
            Cached c = CACHE.get(key);
            if (c != null && c.expires - System.nanoTime() > 0) {
                return c;
            }
            if (c != null) {
                CACHE.remove(key);
            }
            return null;
        }
    }

    private static void store(String key, Cached c) {
        if (c.expires - System.nanoTime() <= 0) {
            return;
        }
        synchronized (CACHE) {
            CACHE.put(key, c);
        }
    }

    /** Drops every cached answer (for tests and for a changed DNS configuration). */
    public static void clearCache() {
        synchronized (CACHE) {
            CACHE.clear();
        }
    }

    private static Cached lookup(String name) {
        long expires = System.nanoTime() + ttlNanos();
        if (name.isEmpty() || name.length() > 253) {
            return new Cached(List.of(), "not a host name", expires);
        }
        Hashtable<String, String> env = new Hashtable<>();
        env.put(javax.naming.Context.INITIAL_CONTEXT_FACTORY, "com.sun.jndi.dns.DnsContextFactory");
        env.put(javax.naming.Context.PROVIDER_URL, System.getProperty("anode.names.dns", "dns:"));
        env.put("com.sun.jndi.dns.timeout.initial", "1000");
        env.put("com.sun.jndi.dns.timeout.retries", "2");
        DirContext ctx = null;
        try {
            ctx = new InitialDirContext(env);
            // A trailing dot makes the name absolute: no search-domain guessing.
            Attributes attrs = ctx.getAttributes(name + ".", new String[] {"TXT"});
            Attribute txt = attrs.get("TXT");
            List<String> records = new ArrayList<>();
            if (txt != null) {
                NamingEnumeration<?> e = txt.getAll();
                while (e.hasMore()) {
                    Object v = e.next();
                    if (v != null) {
                        records.add(v.toString());
                    }
                }
            }
            List<AnodeAddress> out = AnodeTxtRecords.addresses(records);
            return new Cached(out, out.isEmpty() ? "no valid anode: TXT record" : null, expires);
        } catch (NameNotFoundException e) {
            return new Cached(List.of(), "no such name (NXDOMAIN)", expires);
        } catch (NamingException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "TXT lookup of {0} failed: {1}", name, e.toString());
            // Not cached: a DNS outage should not outlive itself.
            return new Cached(List.of(), "DNS lookup failed: " + e.getMessage(), System.nanoTime());
        } finally {
            if (ctx != null) {
                try {
                    ctx.close();
                } catch (NamingException e) {
                    LOG.log(System.Logger.Level.DEBUG, "closing the DNS context: {0}", e.toString());
                }
            }
        }
    }

    private static String hex(byte[] b) {
        return java.util.HexFormat.of().formatHex(b);
    }
}
