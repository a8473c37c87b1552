package org.anode.crypto;

import org.anode.crypto.internal.P256;

/**
 * DER encodings of P-256 keys (X.509 SubjectPublicKeyInfo, PKCS#8), written by hand from fixed
 * templates so that the provider needs no ASN.1 library.
 */
final class KeyEncodings {
    /** SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING (65 bytes follow) }. */
    static final byte[] SPKI_PREFIX = hex("3059301306072a8648ce3d020106082a8648ce3d030107034200");

    private KeyEncodings() {}

    static byte[] encodePublic(org.bouncycastle.math.ec.ECPoint point) {
        byte[] q = point.normalize().getEncoded(false);
        byte[] out = new byte[SPKI_PREFIX.length + q.length];
        System.arraycopy(SPKI_PREFIX, 0, out, 0, SPKI_PREFIX.length);
        System.arraycopy(q, 0, out, SPKI_PREFIX.length, q.length);
        return out;
    }

    static byte[] hex(String s) {
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }

    static {
        // Keep P256 initialised alongside: the templates are for its curve only.
        P256.N.bitLength();
    }
}
