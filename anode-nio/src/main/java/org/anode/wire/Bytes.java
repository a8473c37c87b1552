package org.anode.wire;

import java.util.HexFormat;

/** Helpers for the byte-array components of the message records (value semantics, bounded toString). */
final class Bytes {
    private static final int TO_STRING_MAX = 32;

    private Bytes() {}

    static byte[] copy(byte[] b, String what) {
        if (b == null) {
            throw new NullPointerException(what);
        }
        return b.clone();
    }

    /** Hex of at most the first 32 bytes, then the total length: readable logs for any payload. */
    static String toString(byte[] b) {
        if (b.length <= TO_STRING_MAX) {
            return HexFormat.of().formatHex(b);
        }
        return HexFormat.of().formatHex(b, 0, TO_STRING_MAX) + "...(" + b.length + " bytes)";
    }
}
