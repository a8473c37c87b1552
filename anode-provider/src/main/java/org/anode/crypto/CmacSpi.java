package org.anode.crypto;

import java.nio.ByteBuffer;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.spec.AlgorithmParameterSpec;
import java.util.Arrays;
import javax.crypto.MacSpi;
import javax.crypto.SecretKey;
import org.anode.crypto.internal.AesCmac;

/**
 * {@code Mac "AESCMAC"} (AES-256 CMAC, draft 2.5, DECISIONS 3) and {@code Mac "AnodeMAC"} (the
 * same CMAC folded to 8 bytes, {@code m[i] ^ m[i+8]}, draft 3.3 step 3 / DECISIONS 17). Keys are
 * 32-byte raw secret keys, such as {@code generateSecret("AES")} from {@code AnodeECDH}.
 */
abstract class CmacSpi extends MacSpi {
    private final AesCmac cmac = new AesCmac();

    /** The 16-byte CMAC. */
    static final class Full extends CmacSpi {
        @Override
        protected int engineGetMacLength() {
            return AesCmac.MAC_LENGTH;
        }

        @Override
        protected byte[] engineDoFinal() {
            requireKey();
            return cmac().doFinal();
        }
    }

    /** The 8-byte folded packet MAC. */
    static final class Folded extends CmacSpi {
        @Override
        protected int engineGetMacLength() {
            return 8;
        }

        @Override
        protected byte[] engineDoFinal() {
            requireKey();
            long v = cmac().doFinalFolded();
            byte[] out = new byte[8];
            for (int i = 7; i >= 0; i--) {
                out[i] = (byte) v;
                v >>>= 8;
            }
            return out;
        }
    }

    AesCmac cmac() {
        return cmac;
    }

    void requireKey() {
        if (!cmac.isKeyed()) {
            throw new IllegalStateException("MAC not initialized");
        }
    }

    @Override
    protected void engineInit(Key key, AlgorithmParameterSpec params)
            throws InvalidKeyException, InvalidAlgorithmParameterException {
        if (params != null) {
            throw new InvalidAlgorithmParameterException(
                    "AES-256 CMAC takes no parameters, got " + params.getClass().getName());
        }
        if (!(key instanceof SecretKey)) {
            throw new InvalidKeyException("AES-256 CMAC needs a 32-byte SecretKey, got " + EcKeys.describe(key));
        }
        if (!"RAW".equalsIgnoreCase(key.getFormat())) {
            throw new InvalidKeyException("AES-256 CMAC needs a key in RAW format, got format " + key.getFormat());
        }
        byte[] raw = key.getEncoded();
        if (raw == null) {
            throw new InvalidKeyException("the key has no encoding (destroyed or not extractable)");
        }
        try {
            cmac.init(raw);
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
    }

    @Override
    protected void engineUpdate(byte input) {
        requireKey();
        cmac.update(input);
    }

    @Override
    protected void engineUpdate(byte[] input, int offset, int len) {
        requireKey();
        cmac.update(input, offset, len);
    }

    @Override
    protected void engineUpdate(ByteBuffer input) {
        requireKey();
        cmac.update(input);
    }

    @Override
    protected void engineReset() {
        cmac.reset();
    }
}
