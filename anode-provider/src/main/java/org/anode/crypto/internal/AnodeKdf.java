package org.anode.crypto.internal;

/**
 * The XOR-fold key derivation of draft 2.4 (DECISIONS 2): starting from zeros,
 * {@code out[i mod n] ^= raw[i mod raw.length]} for i in 0 .. max(n, raw.length) - 1.
 */
public final class AnodeKdf {
    private AnodeKdf() {}

    public static byte[] derive(byte[] raw, int n) {
        if (n <= 0) {
            throw new IllegalArgumentException("derived key length must be positive, got " + n);
        }
        if (raw == null || raw.length == 0) {
            throw new IllegalArgumentException("the raw agreed key is empty");
        }
        byte[] out = new byte[n];
        int max = Math.max(n, raw.length);
        for (int i = 0; i < max; i++) {
            out[i % n] ^= raw[i % raw.length];
        }
        return out;
    }
}
