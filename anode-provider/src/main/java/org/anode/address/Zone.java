package org.anode.address;

/**
 * A 32-bit Anode zone id (draft 2.1). Written as 8 lower-case hex digits.
 *
 * @param id the zone id as a (possibly negative) Java int; it is an unsigned 32-bit value
 */
public record Zone(int id) implements Comparable<Zone> {
    /** Zone 0, the default for generated identities. */
    public static final Zone DEFAULT = new Zone(0);

    /** {@return the zone as an unsigned value} */
    public long unsignedId() {
        return Integer.toUnsignedLong(id);
    }

    /**
     * Parses 1 to 8 hex digits (an optional {@code 0x} prefix is allowed).
     *
     * @param text the hex digits
     * @return the zone
     */
    public static Zone parse(String text) {
        String t = text.strip();
        if (t.startsWith("0x") || t.startsWith("0X")) {
            t = t.substring(2);
        }
        if (t.isEmpty() || t.length() > 8 || !t.chars().allMatch(c -> Character.digit(c, 16) >= 0 && c < 0x80)) {
            throw new IllegalArgumentException("a zone is 1 to 8 hex digits: '" + text + "'");
        }
        try {
            return new Zone((int) Long.parseLong(t, 16));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("a zone is 1 to 8 hex digits: '" + text + "'", e);
        }
    }

    @Override
    public int compareTo(Zone o) {
        return Integer.compareUnsigned(id, o.id);
    }

    @Override
    public String toString() {
        return String.format("%08x", id);
    }
}
