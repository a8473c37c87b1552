package org.anode.crypto;

import java.math.BigInteger;
import java.security.InvalidKeyException;
import java.security.spec.InvalidKeySpecException;
import java.util.Arrays;
import org.anode.crypto.internal.P256;
import org.bouncycastle.math.ec.ECPoint;

/**
 * DER encodings of ANODE-256-40 (P-256, draft 2.2) keys: X.509 SubjectPublicKeyInfo (RFC 5480) and
 * PKCS#8 (RFC 5208) wrapping an RFC 5915 ECPrivateKey. Written from fixed templates and read with
 * {@link DerReader}, so the provider needs no ASN.1 library; only the named curve prime256v1 is
 * accepted, because ANODE-256-40 is defined on that curve alone.
 */
final class KeyEncodings {
    /** SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING (65 bytes follow) }. */
    static final byte[] SPKI_PREFIX = hex("3059301306072a8648ce3d020106082a8648ce3d030107034200");
    /**
     * SEQUENCE { INTEGER 0, SEQUENCE { id-ecPublicKey, prime256v1 },
     * OCTET STRING { SEQUENCE { INTEGER 1, OCTET STRING (32 bytes follow) } } }.
     */
    static final byte[] PKCS8_PREFIX =
            hex("304102010030130607" + "2a8648ce3d0201" + "0608" + "2a8648ce3d030107" + "0427302502010104" + "20");
    /** 1.2.840.10045.2.1 id-ecPublicKey, contents only. */
    private static final byte[] OID_EC_PUBLIC_KEY = hex("2a8648ce3d0201");
    /** 1.2.840.10045.3.1.7 prime256v1 (secp256r1), contents only. */
    private static final byte[] OID_P256 = hex("2a8648ce3d030107");

    private KeyEncodings() {}

    static byte[] encodePublic(ECPoint point) {
        byte[] q = point.normalize().getEncoded(false);
        byte[] out = Arrays.copyOf(SPKI_PREFIX, SPKI_PREFIX.length + q.length);
        System.arraycopy(q, 0, out, SPKI_PREFIX.length, q.length);
        return out;
    }

    static byte[] encodePrivate(byte[] scalar32) {
        byte[] out = Arrays.copyOf(PKCS8_PREFIX, PKCS8_PREFIX.length + 32);
        System.arraycopy(scalar32, 0, out, PKCS8_PREFIX.length, 32);
        return out;
    }

    /** Parses and validates an X.509 SubjectPublicKeyInfo for a P-256 key. */
    static ECPoint decodePublic(byte[] der) throws InvalidKeySpecException {
        DerReader top = DerReader.of(der, "X.509 public key");
        DerReader spki = top.read(DerReader.SEQUENCE);
        top.expectEnd();
        readAlgorithm(spki.read(DerReader.SEQUENCE), "X.509 public key");
        byte[] q = spki.readBitStringBytes();
        spki.expectEnd();
        return decodePoint(q, "X.509 public key");
    }

    /** Decodes a SEC 1 point (65-byte uncompressed or 33-byte compressed) and validates it. */
    static ECPoint decodePoint(byte[] q, String what) throws InvalidKeySpecException {
        try {
            if (q.length == 65 && q[0] == 0x04) {
                return P256.validate(
                        new BigInteger(1, Arrays.copyOfRange(q, 1, 33)),
                        new BigInteger(1, Arrays.copyOfRange(q, 33, 65)));
            }
            if (q.length == P256.COMPRESSED_LENGTH) {
                return P256.decodeCompressed(q, 0);
            }
        } catch (InvalidKeyException e) {
            throw new InvalidKeySpecException(what + ": " + e.getMessage(), e);
        }
        throw new InvalidKeySpecException(
                what + ": a P-256 point is 65 bytes starting 04 or 33 bytes starting 02/03, got " + q.length + " bytes"
                        + (q.length > 0 ? String.format(" starting %02x", q[0]) : ""));
    }

    /** Parses a PKCS#8 (v1 or v2) P-256 private key; an embedded public key must match the scalar. */
    static AnodePrivateKey decodePrivate(byte[] der) throws InvalidKeySpecException {
        String what = "PKCS#8 private key";
        DerReader top = DerReader.of(der, what);
        DerReader info = top.read(DerReader.SEQUENCE);
        top.expectEnd();
        BigInteger version = info.readInteger();
        if (version.signum() != 0 && !version.equals(BigInteger.ONE)) {
            throw new InvalidKeySpecException(what + ": unsupported version " + version + " (0 or 1 expected)");
        }
        readAlgorithm(info.read(DerReader.SEQUENCE), what);
        DerReader ec =
                DerReader.of(info.readOctetString(), "RFC 5915 ECPrivateKey").read(DerReader.SEQUENCE);
        // Optional PKCS#8 attributes [0] and (v2) public key [1] carry nothing we need.
        if (info.peekTag() == 0xa0) {
            info.read(0xa0);
        }
        if (info.peekTag() == 0x81 || info.peekTag() == 0xa1) {
            info.read(info.peekTag());
        }
        info.expectEnd();

        BigInteger ecVersion = ec.readInteger();
        if (!ecVersion.equals(BigInteger.ONE)) {
            throw new InvalidKeySpecException(what + ": ECPrivateKey version must be 1, got " + ecVersion);
        }
        byte[] secret = ec.readOctetString();
        byte[] embeddedPublic = null;
        if (ec.peekTag() == 0xa0) {
            DerReader params = ec.read(0xa0);
            if (!Arrays.equals(params.readOid(), OID_P256)) {
                throw new InvalidKeySpecException(what + ": embedded curve parameters are not prime256v1");
            }
            params.expectEnd();
        }
        if (ec.peekTag() == 0xa1) {
            DerReader pub = ec.read(0xa1);
            embeddedPublic = pub.readBitStringBytes();
            pub.expectEnd();
        }
        ec.expectEnd();
        if (secret.length != 32) {
            throw new InvalidKeySpecException(what + ": a P-256 private key is 32 bytes, got " + secret.length);
        }
        AnodePrivateKey key;
        try {
            key = AnodePrivateKey.fromBytes(secret);
        } catch (InvalidKeyException e) {
            throw new InvalidKeySpecException(what + ": " + e.getMessage(), e);
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
        if (embeddedPublic != null) {
            ECPoint claimed = decodePoint(embeddedPublic, what + " (embedded public key)");
            if (!claimed.equals(key.publicPoint())) {
                throw new InvalidKeySpecException(what + ": embedded public key does not match the private scalar");
            }
        }
        return key;
    }

    /** AlgorithmIdentifier { id-ecPublicKey, namedCurve prime256v1 } and nothing else. */
    private static void readAlgorithm(DerReader alg, String what) throws InvalidKeySpecException {
        if (!Arrays.equals(alg.readOid(), OID_EC_PUBLIC_KEY)) {
            throw new InvalidKeySpecException(what + ": algorithm is not id-ecPublicKey (1.2.840.10045.2.1)");
        }
        if (alg.peekTag() != DerReader.OID) {
            throw new InvalidKeySpecException(what + ": curve must be given as the named curve prime256v1 "
                    + "(explicit or implicit parameters are not accepted)");
        }
        if (!Arrays.equals(alg.readOid(), OID_P256)) {
            throw new InvalidKeySpecException(what + ": curve is not prime256v1 / secp256r1 (P-256)");
        }
        alg.expectEnd();
    }

    static byte[] hex(String s) {
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }
}
