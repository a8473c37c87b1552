package org.anode.zone;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import org.anode.address.AnodeAddress;
import org.anode.address.InvalidAddressException;

/**
 * Anode addresses in DNS TXT records (draft 2.8, DECISIONS 13): a record whose text is
 * {@code anode:<64-character base32 address>} names that address. Resolving the name is not done
 * here; this reads the TXT strings a resolver returned.
 *
 * <p>Reading a record: spaces and tabs around the text are ignored; if what remains is wrapped in
 * one pair of double quotes (the presentation form {@code dig} and zone files show) they are removed
 * and the inside trimmed again. The prefix {@code anode:} is matched case-insensitively; the address
 * must follow it at once and fill the rest of the text exactly (base32 parsing accepts upper case,
 * DECISIONS 6). A TXT record made of several character-strings should be passed as their
 * concatenation, as resolvers usually return it. Anything without the prefix is not an Anode record
 * and is ignored.
 *
 * <p>A record with the prefix but a bad address is an error for {@link #parse} and is skipped by
 * {@link #addresses}: one broken or hostile record in a DNS answer should not hide the good ones,
 * but a caller looking at a single record deserves to know why it failed.
 */
public final class AnodeTxtRecords {
    /** The record prefix, in the case it is written. */
    public static final String PREFIX = "anode:";

    private static final System.Logger LOG = System.getLogger(AnodeTxtRecords.class.getName());

    private AnodeTxtRecords() {}

    /**
     * Reads one TXT record.
     *
     * @return the address, or empty if the record is not an Anode record
     * @throws InvalidAddressException if the record has the {@code anode:} prefix but what follows
     *                                 is not a valid address
     */
    public static Optional<AnodeAddress> parse(CharSequence txt) throws InvalidAddressException {
        String s = unwrap(txt.toString());
        if (!s.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
            return Optional.empty();
        }
        return Optional.of(AnodeAddress.parse(s.substring(PREFIX.length())));
    }

    /**
     * The addresses named by a set of TXT records, in order, without duplicates. Records that are not
     * Anode records, and Anode records whose address is invalid, are skipped (the latter logged at
     * DEBUG).
     */
    public static List<AnodeAddress> addresses(Iterable<? extends CharSequence> records) {
        LinkedHashSet<AnodeAddress> out = new LinkedHashSet<>();
        for (CharSequence r : records) {
            if (r == null) {
                continue;
            }
            try {
                parse(r).ifPresent(out::add);
            } catch (InvalidAddressException e) {
                LOG.log(System.Logger.Level.DEBUG, "skipping TXT record with a bad Anode address: {0}", e.getMessage());
            }
        }
        return List.copyOf(new ArrayList<>(out));
    }

    /** The TXT record text for an address: {@code anode:} and its lower-case base32 form. */
    public static String format(AnodeAddress address) {
        return PREFIX + address;
    }

    private static String unwrap(String s) {
        String t = trim(s);
        if (t.length() >= 2 && t.charAt(0) == '"' && t.charAt(t.length() - 1) == '"') {
            t = trim(t.substring(1, t.length() - 1));
        }
        return t;
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
}
