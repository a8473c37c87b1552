package org.anode.crypto;

import java.nio.ByteBuffer;
import java.security.DigestException;
import java.security.MessageDigestSpi;
import org.anode.crypto.internal.AesDigest;

/** {@code MessageDigest "AES-DIGEST"} (draft 2.6, DECISIONS 1): 16-byte output, cloneable. */
final class AesDigestSpi extends MessageDigestSpi implements Cloneable {
    private AesDigest digest = new AesDigest();

    @Override
    protected int engineGetDigestLength() {
        return AesDigest.DIGEST_LENGTH;
    }

    @Override
    protected void engineUpdate(byte input) {
        digest.update(input);
    }

    @Override
    protected void engineUpdate(byte[] input, int offset, int len) {
        digest.update(input, offset, len);
    }

    @Override
    protected void engineUpdate(ByteBuffer input) {
        digest.update(input);
    }

    @Override
    protected byte[] engineDigest() {
        return digest.doFinal();
    }

    @Override
    protected int engineDigest(byte[] buf, int offset, int len) throws DigestException {
        if (len < AesDigest.DIGEST_LENGTH) {
            throw new DigestException("AES-DIGEST output is 16 bytes; only " + len + " bytes of room given");
        }
        digest.doFinal(buf, offset);
        return AesDigest.DIGEST_LENGTH;
    }

    @Override
    protected void engineReset() {
        digest.reset();
    }

    @Override
    public Object clone() throws CloneNotSupportedException {
        AesDigestSpi c = (AesDigestSpi) super.clone();
        c.digest = digest.clone();
        return c;
    }
}
