package org.anode.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InvalidObjectException;
import java.io.NotSerializableException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.math.BigInteger;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.DSAPublicKeySpec;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.HexFormat;
import javax.crypto.spec.SecretKeySpec;
import org.anode.address.AnodeAddress;
import org.anode.address.Zone;
import org.anode.crypto.internal.P256;
import org.junit.jupiter.api.Test;

/** KeyFactory "Anode", the strict DER reader behind it, and key serialization (draft 2.2). */
class AnodeKeyFactoryTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final KeyFactory KF;
    /** AlgorithmIdentifier { id-ecPublicKey, prime256v1 }. */
    private static final byte[] ALGID = HEX.parseHex("301306072a8648ce3d020106082a8648ce3d030107");

    private static final KeyFactory SUN;

    static {
        try {
            KF = KeyFactory.getInstance("Anode", AnodeProviderTest.P);
            SUN = KeyFactory.getInstance("EC");
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static KeyPair anodePair(Zone zone) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("Anode", AnodeProviderTest.P);
        g.initialize(new AnodeZoneParameterSpec(zone));
        return g.generateKeyPair();
    }

    private static KeyPair sunPair() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    @Test
    void addressSpecRoundTripKeepsTheZone() throws Exception {
        AnodePublicKey pub = (AnodePublicKey) anodePair(new Zone(0x01020304)).getPublic();
        AnodeAddressKeySpec spec = KF.getKeySpec(pub, AnodeAddressKeySpec.class);
        assertEquals(pub.address(), spec.address());
        assertSame(pub.address().publicKey(), KF.generatePublic(spec));
        assertTrue(spec.toString().contains(pub.address().toString()));
        assertThrows(NullPointerException.class, () -> new AnodeAddressKeySpec(null));
    }

    @Test
    void encodingsRoundTripBothWaysWithSunEc() throws Exception {
        KeyPair ours = anodePair(Zone.DEFAULT);
        // Our encodings parse in SunEC to the same key material.
        ECPublicKey sunPub = (ECPublicKey)
                SUN.generatePublic(new X509EncodedKeySpec(ours.getPublic().getEncoded()));
        assertEquals(((ECPublicKey) ours.getPublic()).getW(), sunPub.getW());
        ECPrivateKey sunPriv = (ECPrivateKey)
                SUN.generatePrivate(new PKCS8EncodedKeySpec(ours.getPrivate().getEncoded()));
        assertEquals(((ECPrivateKey) ours.getPrivate()).getS(), sunPriv.getS());
        // SunEC's encodings parse here.
        KeyPair sun = sunPair();
        PublicKey pub = KF.generatePublic(new X509EncodedKeySpec(sun.getPublic().getEncoded()));
        assertInstanceOf(AnodePublicKey.class, pub);
        assertEquals(((ECPublicKey) sun.getPublic()).getW(), ((ECPublicKey) pub).getW());
        assertEquals(Zone.DEFAULT, ((AnodePublicKey) pub).address().zone());
        PrivateKey priv =
                KF.generatePrivate(new PKCS8EncodedKeySpec(sun.getPrivate().getEncoded()));
        assertEquals(((ECPrivateKey) sun.getPrivate()).getS(), ((ECPrivateKey) priv).getS());
        // And our own round trips.
        assertEquals(ours.getPublic(), KF.generatePublic(KF.getKeySpec(ours.getPublic(), X509EncodedKeySpec.class)));
        assertEquals(
                ours.getPrivate(), KF.generatePrivate(KF.getKeySpec(ours.getPrivate(), PKCS8EncodedKeySpec.class)));
        assertEquals(ours.getPublic(), KF.generatePublic(KF.getKeySpec(ours.getPublic(), ECPublicKeySpec.class)));
        assertEquals(ours.getPrivate(), KF.generatePrivate(KF.getKeySpec(ours.getPrivate(), ECPrivateKeySpec.class)));
        // Any KeySpec supertype request gets a supported spec.
        assertInstanceOf(AnodeAddressKeySpec.class, KF.getKeySpec(ours.getPublic(), java.security.spec.KeySpec.class));
        // SunEC keys convert to specs through translation.
        assertEquals(
                ((ECPublicKey) sun.getPublic()).getW(),
                KF.getKeySpec(sun.getPublic(), ECPublicKeySpec.class).getW());
    }

    @Test
    void compressedSpkiAndPkcs8WithEmbeddedPublicKeyAreAccepted() throws Exception {
        KeyPair kp = anodePair(Zone.DEFAULT);
        AnodePublicKey pub = (AnodePublicKey) kp.getPublic();
        byte[] compressed = P256.compress(pub.point());
        byte[] spki = concat(HEX.parseHex("3039301306072a8648ce3d020106082a8648ce3d030107032200"), compressed);
        assertEquals(pub, KF.generatePublic(new X509EncodedKeySpec(spki)));
        // PKCS#8 whose ECPrivateKey carries [0] prime256v1 and [1] the public key, as OpenSSL writes it.
        byte[] s = ((AnodePrivateKey) kp.getPrivate()).toByteArray();
        byte[] q = pub.point().getEncoded(false);
        byte[] full = pkcs8WithOptional(s, q);
        assertEquals(kp.getPrivate(), KF.generatePrivate(new PKCS8EncodedKeySpec(full)));
        // A public key that does not match is refused.
        byte[] otherQ =
                ((AnodePublicKey) anodePair(Zone.DEFAULT).getPublic()).point().getEncoded(false);
        InvalidKeySpecException e = assertThrows(
                InvalidKeySpecException.class,
                () -> KF.generatePrivate(new PKCS8EncodedKeySpec(pkcs8WithOptional(s, otherQ))));
        assertTrue(e.getMessage().contains("does not match"), e.getMessage());
    }

    /** PKCS#8 v1 { 0, algid, OCTET STRING { SEQ { 1, OCTET STRING s, [0] { prime256v1 }, [1] { BIT STRING q } } } }. */
    private static byte[] pkcs8WithOptional(byte[] s, byte[] q) {
        byte[] ec =
                concat(HEX.parseHex("020101" + "0420"), s, HEX.parseHex("a00a06082a8648ce3d030107" + "a144034200"), q);
        byte[] body =
                concat(HEX.parseHex("020100" + "301306072a8648ce3d020106082a8648ce3d030107"), der(0x04, der(0x30, ec)));
        return der(0x30, body);
    }

    /** One DER element with a minimal length (lengths below 256 are all these tests need). */
    static byte[] der(int tag, byte[] content) {
        byte[] head = content.length < 0x80
                ? new byte[] {(byte) tag, (byte) content.length}
                : new byte[] {(byte) tag, (byte) 0x81, (byte) content.length};
        return concat(head, content);
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int off = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, off, p.length);
            off += p.length;
        }
        return out;
    }

    private static void rejectPublic(byte[] der, String expected) {
        InvalidKeySpecException e = assertThrows(
                InvalidKeySpecException.class,
                () -> KF.generatePublic(new X509EncodedKeySpec(der)),
                HEX.formatHex(der));
        assertTrue(e.getMessage().contains(expected), "'" + e.getMessage() + "' should mention '" + expected + "'");
    }

    private static void rejectPrivate(byte[] der, String expected) {
        InvalidKeySpecException e = assertThrows(
                InvalidKeySpecException.class,
                () -> KF.generatePrivate(new PKCS8EncodedKeySpec(der)),
                HEX.formatHex(der));
        assertTrue(e.getMessage().contains(expected), "'" + e.getMessage() + "' should mention '" + expected + "'");
    }

    @Test
    void malformedX509IsRejectedWithAReason() throws Exception {
        byte[] good = anodePair(Zone.DEFAULT).getPublic().getEncoded();
        rejectPublic(new byte[0], "end of data");
        rejectPublic(java.util.Arrays.copyOf(good, good.length - 1), "runs past the end");
        rejectPublic(concat(good, new byte[] {0}), "trailing");
        byte[] wrongTag = good.clone();
        wrongTag[0] = 0x31;
        rejectPublic(wrongTag, "expected tag 30");
        byte[] indefinite = good.clone();
        indefinite[1] = (byte) 0x80;
        rejectPublic(indefinite, "indefinite");
        // Long-form length for a short value.
        rejectPublic(
                concat(new byte[] {0x30, (byte) 0x81, 0x59}, java.util.Arrays.copyOfRange(good, 2, good.length)),
                "minimal");
        rejectPublic(
                concat(new byte[] {0x30, (byte) 0x82, 0x00, 0x59}, java.util.Arrays.copyOfRange(good, 2, good.length)),
                "leading zero");
        rejectPublic(new byte[] {0x30, (byte) 0x85, 1, 1, 1, 1, 1}, "too long");
        rejectPublic(new byte[] {0x30, (byte) 0x82, 1}, "truncated length");
        rejectPublic(new byte[] {0x30}, "missing length");
        rejectPublic(new byte[] {0x3f, 0x00}, "expected tag 30");
        byte[] rsaOid = good.clone();
        rsaOid[10] = 0x03; // id-ecPublicKey -> 1.2.840.10045.2.3
        rejectPublic(rsaOid, "id-ecPublicKey");
        byte[] p384 = HEX.parseHex("3046301006072a8648ce3d020106052b81040022033200" + "04" + "00".repeat(48));
        rejectPublic(p384, "not prime256v1");
        byte[] explicitParams = HEX.parseHex("3014" + "300e06072a8648ce3d02013003020101" + "03020004");
        rejectPublic(explicitParams, "named curve");
        byte[] unusedBits = good.clone();
        unusedBits[25] = 1;
        rejectPublic(unusedBits, "unused bits");
        byte[] hybrid = good.clone();
        hybrid[26] = 0x06;
        rejectPublic(hybrid, "65 bytes starting 04");
        byte[] offCurve = good.clone();
        offCurve[90] ^= 1;
        rejectPublic(offCurve, "not a point on P-256");
        byte[] xTooBig = concat(
                HEX.parseHex("3059301306072a8648ce3d020106082a8648ce3d030107034200" + "04"),
                P256.scalarBytes(P256.P),
                new byte[32]);
        rejectPublic(xTooBig, "outside the P-256 field");
        byte[] badCompressed = concat(
                HEX.parseHex("3039301306072a8648ce3d020106082a8648ce3d030107032200" + "02"),
                P256.scalarBytes(P256.P.subtract(BigInteger.ONE)));
        assertThrows(InvalidKeySpecException.class, () -> KF.generatePublic(new X509EncodedKeySpec(badCompressed)));
        rejectPublic(der(0x30, concat(ALGID, HEX.parseHex("0300"))), "empty BIT STRING");
        rejectPublic(der(0x30, concat(ALGID, HEX.parseHex("0301"))), "runs past the end");
        rejectPublic(der(0x30, der(0x30, HEX.parseHex("06072a8648ce3d02010600"))), "empty OBJECT IDENTIFIER");
    }

    @Test
    void malformedPkcs8IsRejectedWithAReason() throws Exception {
        byte[] good = anodePair(Zone.DEFAULT).getPrivate().getEncoded();
        rejectPrivate(concat(good, new byte[] {0}), "trailing");
        byte[] v2 = good.clone();
        v2[4] = 2;
        rejectPrivate(v2, "version 2");
        byte[] ecv = good.clone();
        ecv[32] = 2;
        rejectPrivate(ecv, "ECPrivateKey version must be 1");
        byte[] nonMinimal = der(
                0x30,
                concat(
                        HEX.parseHex("02020000"),
                        ALGID,
                        der(0x04, der(0x30, concat(HEX.parseHex("020101"), der(0x04, new byte[32]))))));
        rejectPrivate(nonMinimal, "minimally");
        byte[] emptyInt = der(0x30, HEX.parseHex("0200"));
        rejectPrivate(emptyInt, "empty INTEGER");
        byte[] zero = concat(java.util.Arrays.copyOf(good, 35), new byte[32]);
        rejectPrivate(zero, "[1, n-1]");
        byte[] n = concat(java.util.Arrays.copyOf(good, 35), P256.scalarBytes(P256.N));
        rejectPrivate(n, "[1, n-1]");
        byte[] short31 = HEX.parseHex("304002010030130607" + "2a8648ce3d0201" + "0608" + "2a8648ce3d030107"
                + "0426302402010104" + "1f" + "11".repeat(31));
        rejectPrivate(short31, "32 bytes, got 31");
        byte[] otherCurve = HEX.parseHex("304102010030130607" + "2a8648ce3d0201" + "0608" + "2a8648ce3d030108"
                + "0427302502010104" + "20" + "11".repeat(32));
        rejectPrivate(otherCurve, "not prime256v1");
        // [0] parameters inside ECPrivateKey naming another curve.
        byte[] ec = concat(
                HEX.parseHex("020101" + "0420"), new byte[31], new byte[] {1}, HEX.parseHex("a00706052b81040022"));
        byte[] ecSeq = concat(new byte[] {0x30, (byte) ec.length}, ec);
        byte[] body = concat(
                HEX.parseHex("020100" + "301306072a8648ce3d020106082a8648ce3d030107"),
                new byte[] {0x04, (byte) ecSeq.length},
                ecSeq);
        rejectPrivate(concat(new byte[] {0x30, (byte) body.length}, body), "embedded curve parameters");
        // PKCS#8 attributes [0] are skipped.
        byte[] withAttrs = concat(
                new byte[] {0x30, 0x43}, java.util.Arrays.copyOfRange(good, 2, good.length), new byte[] {(byte) 0xa0, 0
                });
        assertEquals(
                KF.generatePrivate(new PKCS8EncodedKeySpec(good)),
                KF.generatePrivate(new PKCS8EncodedKeySpec(withAttrs)));
        rejectPrivate(
                concat(new byte[] {0x30, 0x43}, java.util.Arrays.copyOfRange(good, 2, good.length), new byte[] {0x05, 0
                }),
                "trailing");
    }

    @Test
    void jdkSpecsAndTranslation() throws Exception {
        KeyPair sun = sunPair();
        PublicKey tp = (PublicKey) KF.translateKey(sun.getPublic());
        assertInstanceOf(AnodePublicKey.class, tp);
        PrivateKey tk = (PrivateKey) KF.translateKey(sun.getPrivate());
        assertInstanceOf(AnodePrivateKey.class, tk);
        assertEquals(((ECPrivateKey) sun.getPrivate()).getS(), ((ECPrivateKey) tk).getS());
        KeyPair ours = anodePair(new Zone(9));
        assertSame(ours.getPublic(), KF.translateKey(ours.getPublic()));
        assertSame(ours.getPrivate(), KF.translateKey(ours.getPrivate()));

        KeyPairGenerator ec384 = KeyPairGenerator.getInstance("EC");
        ec384.initialize(new ECGenParameterSpec("secp384r1"));
        KeyPair p384 = ec384.generateKeyPair();
        assertThrows(InvalidKeyException.class, () -> KF.translateKey(p384.getPublic()));
        assertThrows(InvalidKeyException.class, () -> KF.translateKey(p384.getPrivate()));
        assertThrows(InvalidKeyException.class, () -> KF.translateKey(new SecretKeySpec(new byte[32], "AES")));
        assertThrows(InvalidKeyException.class, () -> KF.translateKey(AnodeProviderTest.offCurveKey()));
        AnodePrivateKey destroyed = AnodePrivateKey.of(BigInteger.TEN);
        destroyed.destroy();
        assertThrows(InvalidKeyException.class, () -> KF.translateKey(destroyed));

        ECPublicKeySpec p384Spec = new ECPublicKeySpec(
                ((ECPublicKey) p384.getPublic()).getW(), ((ECPublicKey) p384.getPublic()).getParams());
        assertThrows(InvalidKeySpecException.class, () -> KF.generatePublic(p384Spec));
        assertThrows(
                InvalidKeySpecException.class,
                () -> KF.generatePrivate(
                        new ECPrivateKeySpec(BigInteger.ONE, ((ECPublicKey) p384.getPublic()).getParams())));
        assertThrows(
                InvalidKeySpecException.class,
                () -> KF.generatePrivate(new ECPrivateKeySpec(BigInteger.ZERO, P256.JDK_SPEC)));
        assertThrows(
                InvalidKeySpecException.class,
                () -> KF.generatePublic(
                        new ECPublicKeySpec(new ECPoint(BigInteger.ONE, BigInteger.ONE), P256.JDK_SPEC)));
        assertThrows(
                InvalidKeySpecException.class,
                () -> KF.generatePublic(new RSAPublicKeySpec(BigInteger.TEN, BigInteger.TWO)));
        assertThrows(InvalidKeySpecException.class, () -> KF.generatePublic(null));
        assertThrows(InvalidKeySpecException.class, () -> KF.generatePrivate(new X509EncodedKeySpec(new byte[1])));
        assertThrows(InvalidKeySpecException.class, () -> KF.generatePublic(new PKCS8EncodedKeySpec(new byte[1])));
        assertThrows(InvalidKeySpecException.class, () -> KF.getKeySpec(ours.getPublic(), PKCS8EncodedKeySpec.class));
        assertThrows(InvalidKeySpecException.class, () -> KF.getKeySpec(ours.getPrivate(), X509EncodedKeySpec.class));
        assertThrows(InvalidKeySpecException.class, () -> KF.getKeySpec(ours.getPrivate(), AnodeAddressKeySpec.class));
        assertThrows(InvalidKeySpecException.class, () -> KF.getKeySpec(ours.getPublic(), DSAPublicKeySpec.class));
        assertThrows(InvalidKeySpecException.class, () -> KF.getKeySpec(p384.getPublic(), ECPublicKeySpec.class));
        assertThrows(InvalidKeySpecException.class, () -> KF.getKeySpec(ours.getPublic(), null));
    }

    private static byte[] serialize(Object o) throws Exception {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bos)) {
            out.writeObject(o);
        }
        return bos.toByteArray();
    }

    private static Object deserialize(byte[] b) throws Exception {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(b))) {
            return in.readObject();
        }
    }

    @Test
    void keysSerializeThroughTheirProxies() throws Exception {
        KeyPair kp = anodePair(new Zone(0xabcdef01));
        AnodePublicKey pub = (AnodePublicKey) deserialize(serialize(kp.getPublic()));
        assertEquals(kp.getPublic(), pub);
        assertEquals(new Zone(0xabcdef01), pub.address().zone());
        AnodePrivateKey priv = (AnodePrivateKey) deserialize(serialize(kp.getPrivate()));
        assertEquals(kp.getPrivate(), priv);
        // KeyPair (whose fields are the keys) serializes too.
        KeyPair back = (KeyPair) deserialize(serialize(kp));
        assertEquals(kp.getPublic(), back.getPublic());
        assertEquals(kp.getPrivate(), back.getPrivate());
        // A destroyed key refuses to be written.
        AnodePrivateKey d = AnodePrivateKey.of(BigInteger.TEN);
        d.destroy();
        assertThrows(NotSerializableException.class, () -> serialize(d));
        // The stream does not contain the secret in the clear as a BigInteger field, only the PKCS#8
        // proxy; tampering with that proxy's bytes is caught on the way in.
        byte[] ser = serialize(AnodePrivateKey.of(BigInteger.ONE));
        byte[] pattern = HEX.parseHex("0420" + "00".repeat(31) + "01");
        int at = indexOf(ser, pattern);
        assertTrue(at > 0);
        ser[at + 33] = 0; // scalar 1 -> 0
        InvalidObjectException e = assertThrows(InvalidObjectException.class, () -> deserialize(ser));
        assertTrue(e.getMessage().contains("private key"), e.getMessage());
        byte[] pser = serialize(kp.getPublic());
        int pat = indexOf(pser, ((AnodePublicKey) kp.getPublic()).address().toByteArray());
        assertTrue(pat > 0);
        pser[pat] = 2; // unknown address type
        assertThrows(InvalidObjectException.class, () -> deserialize(pser));
        assertFalse(new String(serialize(kp.getPrivate()), java.nio.charset.StandardCharsets.ISO_8859_1)
                .contains("BigInteger"));
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void addressPublicKeyAgreesWithKeyFactoryOutput() throws Exception {
        KeyPair kp = anodePair(Zone.DEFAULT);
        AnodeAddress a = ((AnodePublicKey) kp.getPublic()).address();
        PublicKey viaX509 =
                KF.generatePublic(new X509EncodedKeySpec(kp.getPublic().getEncoded()));
        assertEquals(a, ((AnodePublicKey) viaX509).address());
        assertArrayEquals(kp.getPublic().getEncoded(), viaX509.getEncoded());
    }
}
