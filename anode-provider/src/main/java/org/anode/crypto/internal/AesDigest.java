package org.anode.crypto.internal;

import java.nio.ByteBuffer;

/**
 * AES-DIGEST (draft 2.6, DECISIONS 1): Davies-Meyer over AES-256 with each 32-byte message block
 * as the key, an 0x80 end marker and a Merkle-Damgard length block that reuses the block buffer.
 * Incremental; not thread-safe. Key expansion is the dominant cost, so it uses {@link Aes256}'s
 * allocation-free key schedule rather than a general-purpose cipher object.
 */
public final class AesDigest implements Cloneable {
    public static final int DIGEST_LENGTH = 16;

    private Aes256 aes = new Aes256();
    private byte[] block = new byte[32];
    private byte[] digest = new byte[16];
    private int counter;
    private long length;

    public void reset() {
        java.util.Arrays.fill(block, (byte) 0);
        java.util.Arrays.fill(digest, (byte) 0);
        counter = 0;
        length = 0;
    }

    public void update(byte b) {
        block[counter++] = b;
        length++;
        if (counter == 32) {
            counter = 0;
            compress();
        }
    }

    public void update(byte[] in, int off, int len) {
        length += len;
        while (len > 0) {
            int n = Math.min(32 - counter, len);
            System.arraycopy(in, off, block, counter, n);
            counter += n;
            off += n;
            len -= n;
            if (counter == 32) {
                counter = 0;
                compress();
            }
        }
    }

    public void update(ByteBuffer in) {
        int len = in.remaining();
        length += len;
        while (len > 0) {
            int n = Math.min(32 - counter, len);
            in.get(block, counter, n);
            counter += n;
            len -= n;
            if (counter == 32) {
                counter = 0;
                compress();
            }
        }
    }

    /** Finishes the digest into {@code out[off..off+16)} and resets. */
    public void doFinal(byte[] out, int off) {
        block[counter] = (byte) 0x80;
        for (int i = counter + 1; i < 32; i++) {
            block[i] = 0;
        }
        compress();
        // Length block: bytes 0-7 zero, 8-15 the length, 16-31 left as they were (DECISIONS 1).
        for (int i = 0; i < 8; i++) {
            block[i] = 0;
        }
        long bits = length;
        for (int i = 15; i >= 8; i--) {
            block[i] = (byte) bits;
            bits >>>= 8;
        }
        compress();
        System.arraycopy(digest, 0, out, off, 16);
        reset();
    }

    public byte[] doFinal() {
        byte[] out = new byte[16];
        doFinal(out, 0);
        return out;
    }

    /** One-shot digest of {@code data}. */
    public static byte[] digest(byte[] data) {
        AesDigest d = new AesDigest();
        d.update(data, 0, data.length);
        return d.doFinal();
    }

    private void compress() {
        aes.setKey(block);
        aes.encryptXorInPlace(digest);
    }

    @Override
    public AesDigest clone() {
        try {
            AesDigest c = (AesDigest) super.clone();
            c.aes = new Aes256();
            c.block = block.clone();
            c.digest = digest.clone();
            return c;
        } catch (CloneNotSupportedException e) {
            throw new AssertionError(e);
        }
    }
}
