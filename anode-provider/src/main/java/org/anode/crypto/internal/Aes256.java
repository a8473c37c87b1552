package org.anode.crypto.internal;

/**
 * A table-driven AES-256 block encryptor whose key schedule can be replaced without allocating.
 *
 * <p>Exists for AES-DIGEST (draft 2.6), which re-keys AES for every 32-byte message block: there the
 * key schedule, not the block encryption, is the cost, and general-purpose cipher objects allocate
 * and re-validate on every init. The digest input is public data (addresses, messages), so table
 * lookups indexed by it are acceptable; secret-keyed AES (CMAC) uses the JDK's AES instead.
 */
final class Aes256 {
    private static final int[] SBOX = new int[256];
    private static final int[] T0 = new int[256];
    private static final int[] T1 = new int[256];
    private static final int[] T2 = new int[256];
    private static final int[] T3 = new int[256];
    private static final int[] RCON = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40};

    static {
        // Build the S-box from GF(2^8) inverses and the affine map, instead of embedding a table.
        int[] exp = new int[256];
        int[] log = new int[256];
        int x = 1;
        for (int i = 0; i < 255; i++) {
            exp[i] = x;
            log[x] = i;
            x ^= mul2(x); // multiply by the generator 3
        }
        for (int i = 0; i < 256; i++) {
            int inv = i == 0 ? 0 : exp[(255 - log[i]) % 255];
            int s = inv ^ rotl8(inv, 1) ^ rotl8(inv, 2) ^ rotl8(inv, 3) ^ rotl8(inv, 4) ^ 0x63;
            SBOX[i] = s;
            int t = (mul2(s) << 24) | (s << 16) | (s << 8) | (mul2(s) ^ s);
            T0[i] = t;
            T1[i] = Integer.rotateRight(t, 8);
            T2[i] = Integer.rotateRight(t, 16);
            T3[i] = Integer.rotateRight(t, 24);
        }
    }

    private static int mul2(int b) {
        b <<= 1;
        return (b & 0x100) != 0 ? (b ^ 0x11b) : b;
    }

    private static int rotl8(int b, int n) {
        return ((b << n) | (b >>> (8 - n))) & 0xff;
    }

    private final int[] w = new int[60];

    /** Expands a 32-byte key taken from {@code key[0..32)}. */
    void setKey(byte[] key) {
        int[] w = this.w;
        for (int i = 0; i < 8; i++) {
            w[i] = ((key[4 * i] & 0xff) << 24) | ((key[4 * i + 1] & 0xff) << 16)
                    | ((key[4 * i + 2] & 0xff) << 8) | (key[4 * i + 3] & 0xff);
        }
        for (int i = 8; i < 60; i++) {
            int t = w[i - 1];
            if ((i & 7) == 0) {
                t = subWord(Integer.rotateLeft(t, 8)) ^ (RCON[(i >>> 3) - 1] << 24);
            } else if ((i & 7) == 4) {
                t = subWord(t);
            }
            w[i] = w[i - 8] ^ t;
        }
    }

    private static int subWord(int t) {
        return (SBOX[t >>> 24] << 24) | (SBOX[(t >>> 16) & 0xff] << 16)
                | (SBOX[(t >>> 8) & 0xff] << 8) | SBOX[t & 0xff];
    }

    /** {@code block = AES(block) XOR block} on a 16-byte block: one Davies-Meyer step. */
    void encryptXorInPlace(byte[] block) {
        int[] w = this.w;
        int p0 = word(block, 0);
        int p1 = word(block, 4);
        int p2 = word(block, 8);
        int p3 = word(block, 12);
        int s0 = p0 ^ w[0];
        int s1 = p1 ^ w[1];
        int s2 = p2 ^ w[2];
        int s3 = p3 ^ w[3];
        int k = 4;
        for (int round = 1; round < 14; round++) {
            int t0 = T0[s0 >>> 24] ^ T1[(s1 >>> 16) & 0xff] ^ T2[(s2 >>> 8) & 0xff] ^ T3[s3 & 0xff] ^ w[k];
            int t1 = T0[s1 >>> 24] ^ T1[(s2 >>> 16) & 0xff] ^ T2[(s3 >>> 8) & 0xff] ^ T3[s0 & 0xff] ^ w[k + 1];
            int t2 = T0[s2 >>> 24] ^ T1[(s3 >>> 16) & 0xff] ^ T2[(s0 >>> 8) & 0xff] ^ T3[s1 & 0xff] ^ w[k + 2];
            int t3 = T0[s3 >>> 24] ^ T1[(s0 >>> 16) & 0xff] ^ T2[(s1 >>> 8) & 0xff] ^ T3[s2 & 0xff] ^ w[k + 3];
            s0 = t0;
            s1 = t1;
            s2 = t2;
            s3 = t3;
            k += 4;
        }
        int r0 = lastRound(s0, s1, s2, s3) ^ w[56];
        int r1 = lastRound(s1, s2, s3, s0) ^ w[57];
        int r2 = lastRound(s2, s3, s0, s1) ^ w[58];
        int r3 = lastRound(s3, s0, s1, s2) ^ w[59];
        putWord(block, 0, r0 ^ p0);
        putWord(block, 4, r1 ^ p1);
        putWord(block, 8, r2 ^ p2);
        putWord(block, 12, r3 ^ p3);
    }

    private static int lastRound(int a, int b, int c, int d) {
        return (SBOX[a >>> 24] << 24) | (SBOX[(b >>> 16) & 0xff] << 16)
                | (SBOX[(c >>> 8) & 0xff] << 8) | SBOX[d & 0xff];
    }

    private static int word(byte[] b, int off) {
        return ((b[off] & 0xff) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8) | (b[off + 3] & 0xff);
    }

    private static void putWord(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }
}
