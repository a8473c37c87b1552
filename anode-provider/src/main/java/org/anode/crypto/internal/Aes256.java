package org.anode.crypto.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * A table-driven AES-256 for the Davies-Meyer steps of AES-DIGEST (draft 2.6, DECISIONS 1).
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

    private static final VarHandle BE_INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

    private Aes256() {}

    /**
     * One Davies-Meyer step: {@code h = AES-256(key, h) XOR h}, with the 32-byte key taken from
     * {@code key[off..off+32)} and the 16-byte block held as four big-endian words in {@code h}.
     *
     * <p>The key schedule is computed on the fly, interleaved with the rounds that use it. The two
     * dependency chains (schedule words, cipher state) are independent until each round-key XOR,
     * so the CPU overlaps them; expanding the whole schedule first and then encrypting would run
     * them one after the other, which is what dominated the cost before.
     */
    static void daviesMeyer(byte[] key, int off, int[] h) {
        int k0 = (int) BE_INT.get(key, off);
        int k1 = (int) BE_INT.get(key, off + 4);
        int k2 = (int) BE_INT.get(key, off + 8);
        int k3 = (int) BE_INT.get(key, off + 12);
        int k4 = (int) BE_INT.get(key, off + 16);
        int k5 = (int) BE_INT.get(key, off + 20);
        int k6 = (int) BE_INT.get(key, off + 24);
        int k7 = (int) BE_INT.get(key, off + 28);
        int p0 = h[0];
        int p1 = h[1];
        int p2 = h[2];
        int p3 = h[3];
        // Round 0 (w0..w3), round 1 (w4..w7).
        int s0 = p0 ^ k0;
        int s1 = p1 ^ k1;
        int s2 = p2 ^ k2;
        int s3 = p3 ^ k3;
        int t0 = T0[s0 >>> 24] ^ T1[(s1 >>> 16) & 0xff] ^ T2[(s2 >>> 8) & 0xff] ^ T3[s3 & 0xff] ^ k4;
        int t1 = T0[s1 >>> 24] ^ T1[(s2 >>> 16) & 0xff] ^ T2[(s3 >>> 8) & 0xff] ^ T3[s0 & 0xff] ^ k5;
        int t2 = T0[s2 >>> 24] ^ T1[(s3 >>> 16) & 0xff] ^ T2[(s0 >>> 8) & 0xff] ^ T3[s1 & 0xff] ^ k6;
        int t3 = T0[s3 >>> 24] ^ T1[(s0 >>> 16) & 0xff] ^ T2[(s1 >>> 8) & 0xff] ^ T3[s2 & 0xff] ^ k7;
        // Rounds 2..13: each pass derives eight schedule words (FIPS 197 5.2, Nk = 8) and runs two rounds.
        for (int j = 0; j < 6; j++) {
            k0 ^= subWord(Integer.rotateLeft(k7, 8)) ^ (RCON[j] << 24);
            k1 ^= k0;
            k2 ^= k1;
            k3 ^= k2;
            s0 = T0[t0 >>> 24] ^ T1[(t1 >>> 16) & 0xff] ^ T2[(t2 >>> 8) & 0xff] ^ T3[t3 & 0xff] ^ k0;
            s1 = T0[t1 >>> 24] ^ T1[(t2 >>> 16) & 0xff] ^ T2[(t3 >>> 8) & 0xff] ^ T3[t0 & 0xff] ^ k1;
            s2 = T0[t2 >>> 24] ^ T1[(t3 >>> 16) & 0xff] ^ T2[(t0 >>> 8) & 0xff] ^ T3[t1 & 0xff] ^ k2;
            s3 = T0[t3 >>> 24] ^ T1[(t0 >>> 16) & 0xff] ^ T2[(t1 >>> 8) & 0xff] ^ T3[t2 & 0xff] ^ k3;
            k4 ^= subWord(k3);
            k5 ^= k4;
            k6 ^= k5;
            k7 ^= k6;
            t0 = T0[s0 >>> 24] ^ T1[(s1 >>> 16) & 0xff] ^ T2[(s2 >>> 8) & 0xff] ^ T3[s3 & 0xff] ^ k4;
            t1 = T0[s1 >>> 24] ^ T1[(s2 >>> 16) & 0xff] ^ T2[(s3 >>> 8) & 0xff] ^ T3[s0 & 0xff] ^ k5;
            t2 = T0[s2 >>> 24] ^ T1[(s3 >>> 16) & 0xff] ^ T2[(s0 >>> 8) & 0xff] ^ T3[s1 & 0xff] ^ k6;
            t3 = T0[s3 >>> 24] ^ T1[(s0 >>> 16) & 0xff] ^ T2[(s1 >>> 8) & 0xff] ^ T3[s2 & 0xff] ^ k7;
        }
        // Round 14 (w56..w59): SubBytes and ShiftRows only.
        k0 ^= subWord(Integer.rotateLeft(k7, 8)) ^ (RCON[6] << 24);
        k1 ^= k0;
        k2 ^= k1;
        k3 ^= k2;
        h[0] = lastRound(t0, t1, t2, t3) ^ k0 ^ p0;
        h[1] = lastRound(t1, t2, t3, t0) ^ k1 ^ p1;
        h[2] = lastRound(t2, t3, t0, t1) ^ k2 ^ p2;
        h[3] = lastRound(t3, t0, t1, t2) ^ k3 ^ p3;
    }

    private static int subWord(int t) {
        return (SBOX[t >>> 24] << 24)
                | (SBOX[(t >>> 16) & 0xff] << 16)
                | (SBOX[(t >>> 8) & 0xff] << 8)
                | SBOX[t & 0xff];
    }

    private static int lastRound(int a, int b, int c, int d) {
        return (SBOX[a >>> 24] << 24)
                | (SBOX[(b >>> 16) & 0xff] << 16)
                | (SBOX[(c >>> 8) & 0xff] << 8)
                | SBOX[d & 0xff];
    }
}
