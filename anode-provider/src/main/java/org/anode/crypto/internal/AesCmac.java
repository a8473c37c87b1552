package org.anode.crypto.internal;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import javax.crypto.Cipher;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256 CMAC (draft 2.5, DECISIONS 3; NIST SP 800-38B / RFC 4493 construction), incremental.
 *
 * <p>CMAC is CBC-MAC with a zero IV whose last block is first XORed with a subkey. It is built on
 * the JDK's {@code AES/CBC/NoPadding}, which is backed by AES-NI intrinsics: every block but the
 * last goes through {@code Cipher.update}, the masked last block through {@code doFinal}, whose
 * last output block is the tag (and which resets the chaining value for the next message). Not
 * thread-safe; one instance per key per thread, reused for every packet.
 */
public final class AesCmac {
    public static final int MAC_LENGTH = 16;
    private static final int CHUNK = 4096;
    private static final byte[] ZERO_IV = new byte[16];

    private final Cipher cbc;
    private final byte[] k1 = new byte[16];
    private final byte[] k2 = new byte[16];
    private final byte[] pending = new byte[16];
    private final byte[] scratch = new byte[CHUNK];
    private int pendingLen;
    private boolean keyed;
    /** The key, for the ECB cipher of {@link #foldedMany}; set by {@link #init}. */
    private SecretKeySpec keySpec;
    /** AES/ECB over the same key, created on the first {@link #foldedMany}; null until then. */
    private Cipher ecb;

    private boolean ecbKeyed;
    /** Chaining values of the messages of one {@link #foldedMany} call, and the cipher's output. */
    private byte[] chainIn;

    private byte[] chainOut;
    private int[] order;
    private int[] blocks;
    private byte[] lastBlock;

    public AesCmac() {
        try {
            cbc = Cipher.getInstance("AES/CBC/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK provides no AES/CBC/NoPadding", e);
        }
    }

    /** Creates an instance keyed with a 32-byte AES-256 key. */
    public static AesCmac forKey(byte[] key) throws InvalidKeyException {
        AesCmac m = new AesCmac();
        m.init(key);
        return m;
    }

    /** Sets a 32-byte AES-256 key and resets. */
    public void init(byte[] key) throws InvalidKeyException {
        if (key == null || key.length != 32) {
            throw new InvalidKeyException(
                    "AES-256 CMAC needs a 32-byte key, got " + (key == null ? "null" : key.length + " bytes"));
        }
        try {
            SecretKeySpec spec = new SecretKeySpec(key, "AES");
            cbc.init(Cipher.ENCRYPT_MODE, spec, new IvParameterSpec(ZERO_IV));
            keySpec = spec;
            ecbKeyed = false;
            byte[] l = cbc.doFinal(new byte[16]);
            doubleBlock(l, k1);
            doubleBlock(k1, k2);
            java.util.Arrays.fill(l, (byte) 0);
        } catch (InvalidKeyException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new InvalidKeyException("AES rejected the key: " + e.getMessage(), e);
        }
        pendingLen = 0;
        keyed = true;
    }

    public boolean isKeyed() {
        return keyed;
    }

    /** Multiplication by x in GF(2^128) (SP 800-38B subkey generation). */
    private static void doubleBlock(byte[] in, byte[] out) {
        int carry = (in[0] & 0x80) != 0 ? 0x87 : 0;
        for (int i = 0; i < 15; i++) {
            out[i] = (byte) ((in[i] << 1) | ((in[i + 1] & 0xff) >>> 7));
        }
        out[15] = (byte) ((in[15] << 1) ^ carry);
    }

    public void reset() {
        pendingLen = 0;
        if (keyed) {
            try {
                // doFinal on an empty input resets the CBC chaining value to the IV.
                cbc.doFinal(scratch, 0, 0, scratch, 0);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    public void update(byte b) {
        if (pendingLen == 16) {
            flushPending();
        }
        pending[pendingLen++] = b;
    }

    public void update(byte[] in, int off, int len) {
        if (len <= 0) {
            return;
        }
        if (pendingLen + len <= 16) {
            System.arraycopy(in, off, pending, pendingLen, len);
            pendingLen += len;
            return;
        }
        if (pendingLen > 0) {
            // Complete the held-back block; input remains after it (pendingLen + len > 16), so it
            // is not the last block and can go through the cipher.
            int fill = 16 - pendingLen;
            System.arraycopy(in, off, pending, pendingLen, fill);
            pendingLen = 16;
            off += fill;
            len -= fill;
            flushPending();
        }
        // Hold back the last block (full or partial): only doFinal knows which subkey masks it.
        int whole = ((len - 1) >>> 4) << 4;
        while (whole > 0) {
            int n = Math.min(whole, CHUNK);
            cbcUpdate(in, off, n);
            off += n;
            len -= n;
            whole -= n;
        }
        System.arraycopy(in, off, pending, 0, len);
        pendingLen = len;
    }

    public void update(ByteBuffer in) {
        if (in.hasArray()) {
            int len = in.remaining();
            update(in.array(), in.arrayOffset() + in.position(), len);
            in.position(in.position() + len);
            return;
        }
        byte[] tmp = new byte[Math.min(in.remaining(), CHUNK)];
        while (in.hasRemaining()) {
            int n = Math.min(tmp.length, in.remaining());
            in.get(tmp, 0, n);
            update(tmp, 0, n);
        }
    }

    /** Feeds a 64-bit big-endian integer (used for the packet MAC's length field, draft 3.3). */
    public void updateLong(long v) {
        for (int shift = 56; shift >= 0; shift -= 8) {
            update((byte) (v >>> shift));
        }
    }

    private void flushPending() {
        cbcUpdate(pending, 0, 16);
        pendingLen = 0;
    }

    private void cbcUpdate(byte[] in, int off, int len) {
        try {
            cbc.update(in, off, len, scratch, 0);
        } catch (ShortBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes the 16-byte tag to {@code out[off..off+16)} and resets for the next message. */
    public void doFinal(byte[] out, int off) {
        if (!keyed) {
            throw new IllegalStateException("CMAC not initialised with a key");
        }
        byte[] last = pending;
        if (pendingLen == 16) {
            for (int i = 0; i < 16; i++) {
                last[i] ^= k1[i];
            }
        } else {
            last[pendingLen] = (byte) 0x80;
            for (int i = pendingLen + 1; i < 16; i++) {
                last[i] = 0;
            }
            for (int i = 0; i < 16; i++) {
                last[i] ^= k2[i];
            }
        }
        try {
            cbc.doFinal(last, 0, 16, scratch, 0);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        System.arraycopy(scratch, 0, out, off, 16);
        pendingLen = 0;
    }

    public byte[] doFinal() {
        byte[] out = new byte[16];
        doFinal(out, 0);
        return out;
    }

    /** Most messages one {@link #foldedMany} call takes. */
    public static final int MAX_MANY = 64;
    /**
     * Fewest messages for which {@link #foldedMany} beats one CMAC each: every block step costs
     * one cipher call whatever the number of messages, so a pass over only two or three packets
     * costs more than their serial CMACs (figures in docs/benchmarks/provider.md).
     */
    public static final int MIN_MANY = 5;

    private static final java.lang.invoke.VarHandle LONGS =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.BIG_ENDIAN);

    /**
     * The folded tags ({@link #doFinalFolded()}) of {@code n} whole messages at once, the same
     * values as one {@code update} and {@code doFinalFolded} per message; the instance's pending
     * input, if any, is neither used nor disturbed.
     *
     * <p>Why: CMAC chains its blocks, so one message is a serial string of AES calls, while AES-NI
     * is much faster on independent blocks, which it can interleave. So block {@code j} of every
     * message goes through one ECB call, with the chaining done here: a sender with a burst of
     * packets to one peer pays less per packet (docs/benchmarks/provider.md).
     *
     * @param msgs message {@code i} is {@code msgs[i][offs[i] .. offs[i] + lens[i])}, {@code lens[i] >= 1}
     * @param out receives the folded tag of message {@code i} at index {@code i}
     * @throws IllegalArgumentException if {@code n} is outside 0..{@value #MAX_MANY} or a length is below 1
     */
    public void foldedMany(byte[][] msgs, int[] offs, int[] lens, int n, long[] out) {
        if (!keyed) {
            throw new IllegalStateException("CMAC not initialised with a key");
        }
        if (n < 0 || n > MAX_MANY) {
            throw new IllegalArgumentException("between 0 and " + MAX_MANY + " messages: " + n);
        }
        if (n == 0) {
            return;
        }
        if (chainIn == null) {
            chainIn = new byte[MAX_MANY * 16];
            chainOut = new byte[MAX_MANY * 16];
            order = new int[MAX_MANY];
            blocks = new int[MAX_MANY];
            lastBlock = new byte[16];
        }
        try {
            if (ecb == null) {
                ecb = Cipher.getInstance("AES/ECB/NoPadding");
            }
            if (!ecbKeyed) {
                ecb.init(Cipher.ENCRYPT_MODE, keySpec);
                ecbKeyed = true;
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK's AES/ECB/NoPadding is unusable", e);
        }
        // Longest first: the messages still running at block j are then always a prefix, so each
        // step is one ECB call over a contiguous run of chaining values.
        for (int i = 0; i < n; i++) {
            if (lens[i] < 1) {
                throw new IllegalArgumentException("message " + i + " is empty");
            }
            int b = (lens[i] + 15) >>> 4;
            int k = i;
            while (k > 0 && blocks[k - 1] < b) {
                blocks[k] = blocks[k - 1];
                order[k] = order[k - 1];
                k--;
            }
            blocks[k] = b;
            order[k] = i;
        }
        byte[] x = chainIn;
        byte[] y = chainOut;
        java.util.Arrays.fill(x, 0, n * 16, (byte) 0);
        int active = n;
        byte[] last = lastBlock;
        for (int j = 0; active > 0; j++) {
            // Messages [0, full) have more blocks after this one; [full, active) end with it.
            int full = active;
            while (full > 0 && blocks[full - 1] <= j + 1) {
                full--;
            }
            int jo = j << 4;
            for (int k = 0; k < full; k++) {
                int i = order[k];
                byte[] msg = msgs[i];
                int at = offs[i] + jo;
                int xo = k << 4;
                LONGS.set(x, xo, (long) LONGS.get(x, xo) ^ (long) LONGS.get(msg, at));
                LONGS.set(x, xo + 8, (long) LONGS.get(x, xo + 8) ^ (long) LONGS.get(msg, at + 8));
            }
            for (int k = full; k < active; k++) {
                int i = order[k];
                int at = offs[i] + jo;
                int xo = k << 4;
                // The last block, masked as doFinal masks it: K1 if complete, else padded and K2.
                int rest = lens[i] - jo;
                System.arraycopy(msgs[i], at, last, 0, rest);
                byte[] mask = k1;
                if (rest < 16) {
                    last[rest] = (byte) 0x80;
                    java.util.Arrays.fill(last, rest + 1, 16, (byte) 0);
                    mask = k2;
                }
                LONGS.set(x, xo, (long) LONGS.get(x, xo) ^ (long) LONGS.get(last, 0) ^ (long) LONGS.get(mask, 0));
                LONGS.set(
                        x, xo + 8, (long) LONGS.get(x, xo + 8) ^ (long) LONGS.get(last, 8) ^ (long) LONGS.get(mask, 8));
            }
            try {
                ecb.update(x, 0, active << 4, y, 0);
            } catch (ShortBufferException e) {
                throw new IllegalStateException(e);
            }
            byte[] t = x;
            x = y;
            y = t;
            while (active > 0 && blocks[active - 1] == j + 1) {
                active--;
                int xo = active << 4;
                out[order[active]] = (long) LONGS.get(x, xo) ^ (long) LONGS.get(x, xo + 8);
            }
        }
        java.util.Arrays.fill(last, (byte) 0);
    }

    /**
     * Finishes and returns the 8-byte folded tag {@code m[i] ^ m[i+8]} as a big-endian long
     * (the packet MAC of draft 3.3 step 3), without allocating.
     */
    public long doFinalFolded() {
        doFinal(scratch, 0);
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 8; i++) {
            hi = (hi << 8) | (scratch[i] & 0xff);
            lo = (lo << 8) | (scratch[i + 8] & 0xff);
        }
        return hi ^ lo;
    }
}
