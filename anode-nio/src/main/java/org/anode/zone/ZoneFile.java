package org.anode.zone;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import org.anode.address.AnodeAddress;

/**
 * A parsed, validated zone file (draft 2.1 and 2.3.1; DECISIONS 10 and 12). Immutable.
 *
 * <p>Syntax is {@link ZoneFileFormat}'s. On top of it a zone file must have the five keys of draft
 * 2.1: {@code n} (name), {@code d} (description), {@code c} (contact), {@code r} (revision, a
 * non-negative decimal integer that fits a {@code long}) and {@code ttl} (seconds before the file
 * should be re-checked, a non-negative decimal integer that fits a {@code long}). The values of
 * {@code n}, {@code d} and {@code c} may be any text, empty included.
 *
 * <p>Zone relays: every key starting with {@code zr.} must be {@code zr.<index>} with the index in
 * lower-case hex without leading zeros ({@code zr.0}, {@code zr.a}, {@code zr.1f}), and its value a
 * valid {@link ZoneRelay}. The indices must be exactly {@code 0 .. k-1}: the relay for an address is
 * chosen as {@code byteSum mod k}, so a gap would send some addresses to a relay that does not
 * exist, and a file with one is rejected rather than guessed at. Any other key starting with
 * {@code zr.} is rejected too, as is any malformed relay; other keys are kept as
 * {@link #extensions()}.
 */
public final class ZoneFile {
    /** Zone name key (draft 2.1). */
    public static final String NAME = "n";
    /** Zone description key. */
    public static final String DESCRIPTION = "d";
    /** Zone contact key (e-mail address of the zone administrator). */
    public static final String CONTACT = "c";
    /** Zone revision key. */
    public static final String REVISION = "r";
    /** Re-check interval key, in seconds. */
    public static final String TTL = "ttl";
    /** Prefix of zone relay keys (draft 2.3.1). */
    public static final String RELAY_PREFIX = "zr.";

    private static final List<String> REQUIRED = List.of(NAME, DESCRIPTION, CONTACT, REVISION, TTL);

    private final Map<String, String> entries;
    private final String name;
    private final String description;
    private final String contact;
    private final long revision;
    private final Duration ttl;
    private final List<ZoneRelay> relays;

    private ZoneFile(
            Map<String, String> entries,
            String name,
            String description,
            String contact,
            long revision,
            Duration ttl,
            List<ZoneRelay> relays) {
        this.entries = entries;
        this.name = name;
        this.description = description;
        this.contact = contact;
        this.revision = revision;
        this.ttl = ttl;
        this.relays = relays;
    }

    /** Parses UTF-8 zone file bytes (as served over HTTP, draft 2.1.1) with default limits. */
    public static ZoneFile parse(byte[] data) throws ZoneFileException {
        return parse(data, ZoneFileLimits.DEFAULT);
    }

    /** Parses UTF-8 zone file bytes within {@code limits}. */
    public static ZoneFile parse(byte[] data, ZoneFileLimits limits) throws ZoneFileException {
        return parse(ZoneFileFormat.decode(data, limits), limits);
    }

    /** Parses zone file text with default limits. */
    public static ZoneFile parse(CharSequence text) throws ZoneFileException {
        return parse(text, ZoneFileLimits.DEFAULT);
    }

    /** Parses zone file text within {@code limits}. */
    public static ZoneFile parse(CharSequence text, ZoneFileLimits limits) throws ZoneFileException {
        ZoneFileFormat.Parsed p = ZoneFileFormat.readWithLines(text, limits);
        return validate(p.entries, p.lines);
    }

    /**
     * Validates entries given programmatically (e.g. read with {@link ZoneFileFormat#read}); the
     * rules are those of {@link #parse}, and errors carry no line number.
     */
    public static ZoneFile of(Map<String, String> entries) throws ZoneFileException {
        LinkedHashMap<String, String> copy = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : entries.entrySet()) {
            try {
                ZoneFileFormat.checkWritable(e.getKey(), e.getValue());
            } catch (IllegalArgumentException ex) {
                throw new ZoneFileException(0, ex.getMessage(), ex);
            }
            copy.put(e.getKey(), e.getValue());
        }
        return validate(copy, Map.of());
    }

    private static ZoneFile validate(LinkedHashMap<String, String> entries, Map<String, Integer> lines)
            throws ZoneFileException {
        for (String k : REQUIRED) {
            if (!entries.containsKey(k)) {
                throw new ZoneFileException(
                        0, "required key '" + k + "' is missing (draft 2.1 requires n, d, c, r, ttl)");
            }
        }
        long revision = nonNegative(REVISION, entries.get(REVISION), line(lines, REVISION));
        long ttlSeconds = nonNegative(TTL, entries.get(TTL), line(lines, TTL));

        TreeMap<Integer, ZoneRelay> byIndex = new TreeMap<>();
        for (Map.Entry<String, String> e : entries.entrySet()) {
            String k = e.getKey();
            if (!k.startsWith(RELAY_PREFIX)) {
                continue;
            }
            int lineNo = line(lines, k);
            int index = relayIndex(k, lineNo);
            byIndex.put(index, ZoneRelay.parse(index, e.getValue(), lineNo));
        }
        List<ZoneRelay> relays = new ArrayList<>(byIndex.size());
        int expect = 0;
        for (Map.Entry<Integer, ZoneRelay> e : byIndex.entrySet()) {
            if (e.getKey() != expect) {
                throw new ZoneFileException(
                        0,
                        "zone relay " + ZoneRelay.keyFor(expect) + " is missing: relay entries"
                                + " must be numbered zr.0 to zr." + Integer.toHexString(byIndex.size() - 1)
                                + " without gaps (found " + ZoneRelay.keyFor(e.getKey()) + ")");
            }
            relays.add(e.getValue());
            expect++;
        }
        return new ZoneFile(
                Collections.unmodifiableMap(entries),
                entries.get(NAME),
                entries.get(DESCRIPTION),
                entries.get(CONTACT),
                revision,
                Duration.ofSeconds(ttlSeconds),
                List.copyOf(relays));
    }

    private static int line(Map<String, Integer> lines, String key) {
        Integer l = lines.get(key);
        return l == null ? 0 : l;
    }

    private static long nonNegative(String key, String v, int line) throws ZoneFileException {
        boolean ok = !v.isEmpty() && v.length() <= 19;
        long x = 0;
        for (int i = 0; ok && i < v.length(); i++) {
            char c = v.charAt(i);
            ok = c >= '0' && c <= '9';
            x = x * 10 + (c - '0');
        }
        // 19 digits can overflow a long; the wrapped value is then negative.
        if (!ok || x < 0) {
            throw new ZoneFileException(
                    line,
                    "'" + key + "' must be a non-negative decimal integer below 2^63, not '"
                            + ZoneFileFormat.printable(v) + "'");
        }
        return x;
    }

    private static int relayIndex(String key, int line) throws ZoneFileException {
        String hex = key.substring(RELAY_PREFIX.length());
        boolean ok = !hex.isEmpty() && hex.length() <= 7 && (hex.length() == 1 || hex.charAt(0) != '0');
        int v = 0;
        for (int i = 0; ok && i < hex.length(); i++) {
            char c = hex.charAt(i);
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            ok = d >= 0;
            v = (v << 4) | Math.max(d, 0);
        }
        if (!ok) {
            throw new ZoneFileException(
                    line,
                    "'" + ZoneFileFormat.printable(key) + "' is not a zone relay key: expected"
                            + " zr.<index> with the index in lower-case hex without leading zeros");
        }
        return v;
    }

    /** Starts a builder for a zone file written by this program (e.g. a zone server or a test). */
    public static Builder builder() {
        return new Builder();
    }

    /** The zone name, {@code n}. */
    public String name() {
        return name;
    }

    /** The zone description, {@code d}. */
    public String description() {
        return description;
    }

    /** The zone contact, {@code c}: the e-mail address of the zone administrator. */
    public String contact() {
        return contact;
    }

    /** The zone revision, {@code r}: never negative, increases with each edit. */
    public long revision() {
        return revision;
    }

    /** How long before the zone file should be checked for changes, {@code ttl}. */
    public Duration ttl() {
        return ttl;
    }

    /** Every entry, required keys and relays included, in file order (unmodifiable). */
    public Map<String, String> entries() {
        return entries;
    }

    /** The value of any key. */
    public Optional<String> get(String key) {
        return Optional.ofNullable(entries.get(key));
    }

    /** The entries that are neither required keys nor zone relays, in file order (unmodifiable). */
    public Map<String, String> extensions() {
        LinkedHashMap<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : entries.entrySet()) {
            if (!REQUIRED.contains(e.getKey()) && !e.getKey().startsWith(RELAY_PREFIX)) {
                out.put(e.getKey(), e.getValue());
            }
        }
        return Collections.unmodifiableMap(out);
    }

    /** The zone relays, {@code relays().get(i)} being {@code zr.<i>} (unmodifiable, possibly empty). */
    public List<ZoneRelay> relays() {
        return relays;
    }

    /**
     * Whether the zone has no {@code zr} entries: it is LAN-only (DECISIONS 32), its addresses are
     * found on the local network but it has no zone relays to reach them through.
     */
    public boolean lanOnly() {
        return relays.isEmpty();
    }

    /**
     * The relay index for an address among {@code relayCount} relays: the sum of its 40 bytes as
     * unsigned values, modulo {@code relayCount} (draft 2.3.1, DECISIONS 12).
     *
     * @throws IllegalArgumentException if {@code relayCount} is not positive
     */
    public static int relayIndex(AnodeAddress address, int relayCount) {
        if (relayCount <= 0) {
            throw new IllegalArgumentException("relay count must be positive: " + relayCount);
        }
        return address.byteSum() % relayCount;
    }

    /** The index of the relay for {@code address}, or empty if the zone has no relays. */
    public OptionalInt relayIndexFor(AnodeAddress address) {
        Objects.requireNonNull(address, "address");
        return relays.isEmpty() ? OptionalInt.empty() : OptionalInt.of(relayIndex(address, relays.size()));
    }

    /** The relay for {@code address} (draft 2.3.1), or empty if the zone has no relays. */
    public Optional<ZoneRelay> relayFor(AnodeAddress address) {
        OptionalInt i = relayIndexFor(address);
        return i.isPresent() ? Optional.of(relays.get(i.getAsInt())) : Optional.empty();
    }

    /** The zone file text, per {@link ZoneFileFormat#write}: {@link #parse} of it gives an equal file. */
    public String write() {
        return ZoneFileFormat.write(entries);
    }

    /** {@link #write()} as UTF-8 bytes, as a zone server would serve them. */
    public byte[] toBytes() {
        return write().getBytes(StandardCharsets.UTF_8);
    }

    /** Two zone files are equal when their entries (keys and raw values) are equal. */
    @Override
    public boolean equals(Object o) {
        return o instanceof ZoneFile z && entries.equals(z.entries);
    }

    @Override
    public int hashCode() {
        return entries.hashCode();
    }

    @Override
    public String toString() {
        return "ZoneFile[n=" + ZoneFileFormat.printable(name) + ", r=" + revision + ", ttl=" + ttl.getSeconds()
                + "s, relays=" + relays.size() + ", entries=" + entries.size() + "]";
    }

    /**
     * Builds a zone file (draft 2.1) with its relays (draft 2.3.1). Relays added with {@link #relay} are numbered in the order added; all
     * validation happens in {@link #build}.
     */
    public static final class Builder {
        private final LinkedHashMap<String, String> entries = new LinkedHashMap<>();
        private int relayCount;

        private Builder() {}

        public Builder name(String name) {
            return put(NAME, name);
        }

        public Builder description(String description) {
            return put(DESCRIPTION, description);
        }

        public Builder contact(String contact) {
            return put(CONTACT, contact);
        }

        public Builder revision(long revision) {
            if (revision < 0) {
                throw new IllegalArgumentException("revision must not be negative: " + revision);
            }
            return put(REVISION, Long.toString(revision));
        }

        /** @param ttl whole, non-negative seconds */
        public Builder ttl(Duration ttl) {
            if (ttl.isNegative() || ttl.getNano() != 0) {
                throw new IllegalArgumentException("ttl must be whole non-negative seconds: " + ttl);
            }
            return put(TTL, Long.toString(ttl.getSeconds()));
        }

        /** Adds the next relay, {@code zr.<number of relays added so far>}. */
        public Builder relay(List<java.net.InetAddress> ips, int udpPort, int tcpPort, List<AnodeAddress> addresses) {
            ZoneRelay r = new ZoneRelay(relayCount, ips, udpPort, tcpPort, addresses);
            relayCount++;
            return put(r.key(), r.toValue());
        }

        /** Sets any key; a later call for the same key replaces the value. */
        public Builder put(String key, String value) {
            ZoneFileFormat.checkWritable(key, value);
            entries.put(key, value);
            return this;
        }

        /**
         * @throws IllegalStateException if the entries do not form a valid zone file (e.g. a
         *                               required key was not set); the cause says why
         */
        public ZoneFile build() {
            try {
                return of(entries);
            } catch (ZoneFileException e) {
                throw new IllegalStateException("not a valid zone file: " + e.getMessage(), e);
            }
        }
    }
}
