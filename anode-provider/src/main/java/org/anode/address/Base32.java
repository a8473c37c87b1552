package org.anode.address;

/**
 * RFC 4648 base32 without padding, written in lower case (draft 2.2.1, DECISIONS 6).
 * Decoding accepts upper and lower case and rejects every other character.
 */
final class Base32 {
    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
    private static final byte[] DECODE = new byte[128];

    static {
        java.util.Arrays.fill(DECODE, (byte) -1);
        for (int i = 0; i < ALPHABET.length; i++) {
            DECODE[ALPHABET[i]] = (byte) i;
            DECODE[Character.toUpperCase(ALPHABET[i])] = (byte) i;
        }
    }

    private Base32() {}

    static String encode(byte[] data) {
        StringBuilder sb = new StringBuilder((data.length * 8 + 4) / 5);
        int buffer = 0;
        int bits = 0;
        for (byte b : data) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                sb.append(ALPHABET[(buffer >>> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        if (bits > 0) {
            sb.append(ALPHABET[(buffer << (5 - bits)) & 31]);
        }
        return sb.toString();
    }

    /**
     * Decodes exactly {@code outLength} bytes from {@code s}; the text must have exactly the
     * length that encoding that many bytes produces, and any trailing pad bits must be zero.
     *
     * @return the bytes, or {@code null} with the reason stored in {@code error[0]}
     */
    static byte[] decode(CharSequence s, int outLength, String[] error) {
        int expectedChars = (outLength * 8 + 4) / 5;
        if (s.length() != expectedChars) {
            error[0] = "expected " + expectedChars + " base32 characters, got " + s.length();
            return null;
        }
        byte[] out = new byte[outLength];
        int buffer = 0;
        int bits = 0;
        int pos = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            int v = c < 128 ? DECODE[c] : -1;
            if (v < 0) {
                error[0] = "character '" + printable(c) + "' at index " + i + " is not base32";
                return null;
            }
            buffer = (buffer << 5) | v;
            bits += 5;
            if (bits >= 8) {
                out[pos++] = (byte) (buffer >>> (bits - 8));
                bits -= 8;
                buffer &= (1 << bits) - 1;
            }
        }
        if (buffer != 0) {
            error[0] = "non-zero trailing bits in the last base32 character";
            return null;
        }
        return out;
    }

    private static String printable(char c) {
        return (c >= 0x20 && c < 0x7f) ? String.valueOf(c) : String.format("\\u%04x", (int) c);
    }
}
