package org.anode.crypto.internal;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * AES-DIGEST (draft 2.6, DECISIONS 1): Davies-Meyer over AES-256 with each 32-byte message block
 * as the key, an 0x80 end marker and a Merkle-Damgard length block that reuses the block buffer.
 * Incremental; not thread-safe.
 *
 * <p>Re-keying AES for every block makes the key schedule as costly as the encryption, so the
 * compression function is {@link Aes256#daviesMeyer}, which expands the key on the fly alongside
 * the rounds and allocates nothing. Whole 32-byte blocks are compressed straight from the caller's
 * array; only a trailing partial block is copied. That is safe for the length block's reuse of
 * bytes 16-31: after the end-marker block those bytes depend only on the final partial block,
 * which is always in {@code block}.
 */
public final class AesDigest implements Cloneable {
    public static final int DIGEST_LENGTH = 16;

    private byte[] block = new byte[32];
    private int[] h = new int[4];
    private int counter;
    private long length;

    public void reset() {
        Arrays.fill(block, (byte) 0);
        Arrays.fill(h, 0);
        counter = 0;
        length = 0;
    }

    public void update(byte b) {
        block[counter++] = b;
        length++;
        if (counter == 32) {
            counter = 0;
            Aes256.daviesMeyer(block, 0, h);
        }
    }

    public void update(byte[] in, int off, int len) {
        if (len <= 0) {
            return;
        }
        length += len;
        if (counter > 0) {
            int n = Math.min(32 - counter, len);
            System.arraycopy(in, off, block, counter, n);
            counter += n;
            off += n;
            len -= n;
            if (counter < 32) {
                return;
            }
            counter = 0;
            Aes256.daviesMeyer(block, 0, h);
        }
        while (len >= 32) {
            Aes256.daviesMeyer(in, off, h);
            off += 32;
            len -= 32;
        }
        if (len > 0) {
            System.arraycopy(in, off, block, 0, len);
            counter = len;
        }
    }

    public void update(ByteBuffer in) {
        if (in.hasArray()) {
            int len = in.remaining();
            update(in.array(), in.arrayOffset() + in.position(), len);
            in.position(in.position() + len);
            return;
        }
        int len = in.remaining();
        length += len;
        while (len > 0) {
            int n = Math.min(32 - counter, len);
            in.get(block, counter, n);
            counter += n;
            len -= n;
            if (counter == 32) {
                counter = 0;
                Aes256.daviesMeyer(block, 0, h);
            }
        }
    }

    /** Finishes the digest into {@code out[off..off+16)} and resets. */
    public void doFinal(byte[] out, int off) {
        block[counter] = (byte) 0x80;
        for (int i = counter + 1; i < 32; i++) {
            block[i] = 0;
        }
        Aes256.daviesMeyer(block, 0, h);
        // Length block: bytes 0-7 zero, 8-15 the length, 16-31 left as they were (DECISIONS 1).
        for (int i = 0; i < 8; i++) {
            block[i] = 0;
        }
        long bytes = length;
        for (int i = 15; i >= 8; i--) {
            block[i] = (byte) bytes;
            bytes >>>= 8;
        }
        Aes256.daviesMeyer(block, 0, h);
        for (int i = 0; i < 4; i++) {
            int w = h[i];
            out[off + 4 * i] = (byte) (w >>> 24);
            out[off + 4 * i + 1] = (byte) (w >>> 16);
            out[off + 4 * i + 2] = (byte) (w >>> 8);
            out[off + 4 * i + 3] = (byte) w;
        }
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

    @Override
    public AesDigest clone() {
        try {
            AesDigest c = (AesDigest) super.clone();
            c.block = block.clone();
            c.h = h.clone();
            return c;
        } catch (CloneNotSupportedException e) {
            throw new AssertionError(e);
        }
    }
}
