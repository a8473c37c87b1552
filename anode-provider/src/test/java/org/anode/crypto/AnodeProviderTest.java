package org.anode.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.security.DigestException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.InvalidParameterException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.util.HexFormat;
import java.util.ServiceLoader;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.anode.address.AnodeAddress;
import org.anode.address.Zone;
import org.anode.crypto.internal.AesDigest;
import org.anode.crypto.internal.AnodeKdf;
import org.anode.crypto.internal.P256;
import org.junit.jupiter.api.Test;

/** The JCA surface of the Anode provider (draft 2.4-2.7) and every error path it has. */
class AnodeProviderTest {
    static final Provider P = new AnodeProvider();
    private static final HexFormat HEX = HexFormat.of();
    private static final SecureRandom RND = new SecureRandom();

    static SecretKey aesKey(int n) {
        byte[] k = new byte[n];
        RND.nextBytes(k);
        return new SecretKeySpec(k, "AES");
    }

    @Test
    void registersEveryServiceAndAlias() throws Exception {
        assertEquals("Anode", P.getName());
        assertNotNull(MessageDigest.getInstance("AES-DIGEST", P));
        assertNotNull(MessageDigest.getInstance("aes-digest", P));
        assertNotNull(Mac.getInstance("AESCMAC", P));
        assertNotNull(Mac.getInstance("AES-CMAC", P));
        assertNotNull(Mac.getInstance("AnodeMAC", P));
        assertNotNull(KeyAgreement.getInstance("AnodeECDH", P));
        assertNotNull(KeyPairGenerator.getInstance("Anode", P));
        assertNotNull(KeyPairGenerator.getInstance("ANODE-256-40", P));
        assertNotNull(java.security.KeyFactory.getInstance("Anode", P));
        assertNotNull(java.security.KeyFactory.getInstance("ANODE-256-40", P));
        assertThrows(NoSuchAlgorithmException.class, () -> MessageDigest.getInstance("SHA-256", P));
        assertThrows(
                InvalidParameterException.class,
                () -> P.getService("MessageDigest", "AES-DIGEST").newInstance("x"));
    }

    @Test
    void versionIsTheBuildsVersion() {
        // Surefire passes the pom's version; the provider must report it, not a number in the source.
        String expected = System.getProperty("anode.expected.version");
        assertNotNull(expected, "run by Maven, which sets anode.expected.version");
        assertEquals(expected, P.getVersionStr());
    }

    @Test
    void worksWhenInstalledWithSecurityAddProvider() throws Exception {
        // Idempotent: a provider of the same name already installed by another test is kept.
        java.security.Security.addProvider(new AnodeProvider());
        assertEquals(
                "Anode", MessageDigest.getInstance("AES-DIGEST").getProvider().getName());
        Mac m = Mac.getInstance("AnodeMAC");
        m.init(aesKey(32));
        assertEquals("Anode", m.getProvider().getName());
        KeyAgreement ka = KeyAgreement.getInstance("AnodeECDH");
        ka.init(KeyPairGenerator.getInstance("ANODE-256-40").generateKeyPair().getPrivate());
        assertEquals("Anode", ka.getProvider().getName());
        assertNotNull(java.security.KeyFactory.getInstance("Anode"));
    }

    @Test
    void serviceLoaderFindsTheProvider() {
        boolean found = false;
        for (Provider p : ServiceLoader.load(Provider.class)) {
            found |= p instanceof AnodeProvider;
        }
        assertTrue(found, "META-INF/services/java.security.Provider lists AnodeProvider");
    }

    @Test
    void digestBasicsCloneAndShortBuffer() throws Exception {
        MessageDigest md = MessageDigest.getInstance("AES-DIGEST", P);
        assertEquals(16, md.getDigestLength());
        byte[] msg = "supercalifragilisticexpealidocious".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        md.update(msg, 0, 10);
        MessageDigest copy = (MessageDigest) md.clone();
        md.update(msg, 10, msg.length - 10);
        copy.update(ByteBuffer.wrap(msg, 10, msg.length - 10));
        byte[] expected = AesDigest.digest(msg);
        assertArrayEquals(expected, md.digest());
        assertArrayEquals(expected, copy.digest());
        // Direct buffers take the ByteBuffer path too.
        ByteBuffer direct = ByteBuffer.allocateDirect(msg.length).put(msg).flip();
        md.update(direct);
        assertArrayEquals(expected, md.digest());
        // digest() resets.
        assertArrayEquals(AesDigest.digest(new byte[0]), md.digest());
        md.update((byte) 1);
        md.reset();
        assertArrayEquals(AesDigest.digest(new byte[0]), md.digest());
        byte[] out = new byte[20];
        assertEquals(16, md.digest(out, 2, 16));
        assertThrows(DigestException.class, () -> md.digest(new byte[20], 0, 15));
    }

    @Test
    void macsMatchThePrimitiveAndFold() throws Exception {
        SecretKey key = aesKey(32);
        byte[] msg = new byte[1400];
        RND.nextBytes(msg);
        org.anode.crypto.internal.AesCmac ref = org.anode.crypto.internal.AesCmac.forKey(key.getEncoded());
        ref.update(msg, 0, msg.length);
        byte[] full = ref.doFinal();
        Mac cmac = Mac.getInstance("AESCMAC", P);
        cmac.init(key);
        assertEquals(16, cmac.getMacLength());
        assertArrayEquals(full, cmac.doFinal(msg));
        Mac folded = Mac.getInstance("AnodeMAC", P);
        folded.init(key);
        assertEquals(8, folded.getMacLength());
        folded.update(msg[0]);
        folded.update(ByteBuffer.wrap(msg, 1, 700));
        folded.update(msg, 701, msg.length - 701);
        byte[] f = folded.doFinal();
        for (int i = 0; i < 8; i++) {
            assertEquals((byte) (full[i] ^ full[i + 8]), f[i]);
        }
        // reset() drops partial input.
        cmac.update(msg, 0, 33);
        cmac.reset();
        assertArrayEquals(full, cmac.doFinal(msg));
    }

    @Test
    void macErrorPaths() throws Exception {
        Mac m = Mac.getInstance("AESCMAC", P);
        assertThrows(IllegalStateException.class, () -> m.update((byte) 1));
        assertThrows(IllegalStateException.class, m::doFinal);
        InvalidKeyException e = assertThrows(InvalidKeyException.class, () -> m.init(aesKey(16)));
        assertTrue(e.getMessage().contains("32-byte"), e.getMessage());
        assertThrows(InvalidKeyException.class, () -> m.init(aesKey(24)));
        assertThrows(InvalidKeyException.class, () -> m.init(null));
        KeyPair ec = KeyPairGenerator.getInstance("Anode", P).generateKeyPair();
        e = assertThrows(InvalidKeyException.class, () -> m.init(ec.getPrivate()));
        assertTrue(e.getMessage().contains("SecretKey"), e.getMessage());
        assertThrows(
                InvalidAlgorithmParameterException.class, () -> m.init(aesKey(32), new IvParameterSpec(new byte[16])));
        SecretKey noEncoding = new SecretKey() {
            private static final long serialVersionUID = 1L;

            @Override
            public String getAlgorithm() {
                return "AES";
            }

            @Override
            public String getFormat() {
                return "RAW";
            }

            @Override
            public byte[] getEncoded() {
                return null;
            }
        };
        assertThrows(InvalidKeyException.class, () -> m.init(noEncoding));
        SecretKey otherFormat = new SecretKey() {
            private static final long serialVersionUID = 1L;

            @Override
            public String getAlgorithm() {
                return "AES";
            }

            @Override
            public String getFormat() {
                return "X.509";
            }

            @Override
            public byte[] getEncoded() {
                return new byte[32];
            }
        };
        assertThrows(InvalidKeyException.class, () -> m.init(otherFormat));
        Mac f = Mac.getInstance("AnodeMAC", P);
        assertThrows(IllegalStateException.class, f::doFinal);
        assertThrows(InvalidKeyException.class, () -> f.init(aesKey(31)));
    }

    @Test
    void agreementIsSymmetricAndDerivesEveryLength() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("Anode", P);
        KeyPair a = g.generateKeyPair();
        KeyPair b = g.generateKeyPair();
        KeyAgreement ka = KeyAgreement.getInstance("AnodeECDH", P);
        ka.init(a.getPrivate());
        assertNull(ka.doPhase(b.getPublic(), true));
        byte[] ab = ka.generateSecret();
        ka.doPhase(a.getPublic(), true); // reusable after generateSecret
        byte[] aa = ka.generateSecret();
        KeyAgreement kb = KeyAgreement.getInstance("AnodeECDH", P);
        kb.init(b.getPrivate());
        kb.doPhase(a.getPublic(), true);
        assertArrayEquals(ab, kb.generateSecret());
        assertEquals(32, ab.length);
        assertFalse(java.util.Arrays.equals(ab, aa));
        assertArrayEquals(
                P256.agree(((AnodePrivateKey) a.getPrivate()).getS(), ((AnodePublicKey) b.getPublic()).point()), ab);

        for (int n : new int[] {1, 7, 16, 31, 32, 33, 48, 64, 100}) {
            kb.init(b.getPrivate(), new AnodeKeyLengthParameterSpec(n));
            kb.doPhase(a.getPublic(), true);
            assertArrayEquals(AnodeKdf.derive(ab, n), kb.generateSecret(), "n=" + n);
            // generateSecret(byte[], int) with the spec writes exactly n bytes.
            kb.doPhase(a.getPublic(), true);
            byte[] out = new byte[n + 3];
            assertEquals(n, kb.generateSecret(out, 3));
            assertArrayEquals(AnodeKdf.derive(ab, n), java.util.Arrays.copyOfRange(out, 3, n + 3));
        }
        // Without a spec, a smaller array asks for a shorter key; a larger one gets 32 bytes.
        ka.init(a.getPrivate());
        for (int room : new int[] {7, 16, 32, 40}) {
            ka.doPhase(b.getPublic(), true);
            byte[] out = new byte[room];
            int n = ka.generateSecret(out, 0);
            assertEquals(Math.min(room, 32), n);
            assertArrayEquals(AnodeKdf.derive(ab, n), java.util.Arrays.copyOf(out, n));
        }
        ka.doPhase(b.getPublic(), true);
        SecretKey aes = ka.generateSecret("AES");
        assertEquals("AES", aes.getAlgorithm());
        assertArrayEquals(ab, aes.getEncoded());
        ka.doPhase(b.getPublic(), true);
        assertArrayEquals(ab, ka.generateSecret("AnodeECDH").getEncoded());
        kb.init(b.getPrivate(), new AnodeKeyLengthParameterSpec(16));
        kb.doPhase(a.getPublic(), true);
        assertEquals(16, kb.generateSecret("AES").getEncoded().length);
        // The AES key keys the MACs directly.
        Mac m = Mac.getInstance("AnodeMAC", P);
        m.init(aes);
        assertEquals(8, m.doFinal(new byte[10]).length);
    }

    @Test
    void agreementErrorPaths() throws Exception {
        KeyPair a = KeyPairGenerator.getInstance("Anode", P).generateKeyPair();
        KeyPair b = KeyPairGenerator.getInstance("Anode", P).generateKeyPair();
        KeyAgreement ka = KeyAgreement.getInstance("AnodeECDH", P);
        assertThrows(IllegalStateException.class, () -> ka.doPhase(b.getPublic(), true));
        InvalidKeyException e = assertThrows(InvalidKeyException.class, () -> ka.init(a.getPublic()));
        assertTrue(e.getMessage().contains("private key"), e.getMessage());
        assertThrows(InvalidKeyException.class, () -> ka.init(aesKey(32)));
        assertThrows(InvalidKeyException.class, () -> ka.init(null));
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(1024);
        KeyPair r = rsa.generateKeyPair();
        assertThrows(InvalidKeyException.class, () -> ka.init(r.getPrivate()));
        KeyPairGenerator ec384 = KeyPairGenerator.getInstance("EC");
        ec384.initialize(new ECGenParameterSpec("secp384r1"));
        KeyPair p384 = ec384.generateKeyPair();
        e = assertThrows(InvalidKeyException.class, () -> ka.init(p384.getPrivate()));
        assertTrue(e.getMessage().contains("P-256"), e.getMessage());
        assertThrows(
                InvalidAlgorithmParameterException.class,
                () -> ka.init(a.getPrivate(), new ECGenParameterSpec("secp256r1")));
        assertThrows(IllegalArgumentException.class, () -> new AnodeKeyLengthParameterSpec(0));
        assertThrows(
                IllegalArgumentException.class,
                () -> new AnodeKeyLengthParameterSpec(AnodeKeyLengthParameterSpec.MAX_LENGTH + 1));

        ka.init(a.getPrivate());
        assertThrows(IllegalStateException.class, ka::generateSecret);
        assertThrows(IllegalStateException.class, () -> ka.generateSecret(new byte[32], 0));
        assertThrows(IllegalStateException.class, () -> ka.doPhase(b.getPublic(), false));
        assertThrows(InvalidKeyException.class, () -> ka.doPhase(b.getPrivate(), true));
        assertThrows(InvalidKeyException.class, () -> ka.doPhase(r.getPublic(), true));
        assertThrows(InvalidKeyException.class, () -> ka.doPhase(p384.getPublic(), true));
        assertThrows(InvalidKeyException.class, () -> ka.doPhase(offCurveKey(), true));
        assertThrows(InvalidKeyException.class, () -> ka.doPhase(fakeKey(new ECPoint(P256.P, BigInteger.ONE)), true));
        assertThrows(InvalidKeyException.class, () -> ka.doPhase(fakeKey(ECPoint.POINT_INFINITY), true));
        assertThrows(InvalidKeyException.class, () -> ka.doPhase(fakeKey(null), true));
        ka.doPhase(b.getPublic(), true);
        assertThrows(IllegalStateException.class, () -> ka.doPhase(b.getPublic(), true));
        assertThrows(ShortBufferException.class, () -> ka.generateSecret(new byte[4], 4));
        assertThrows(NoSuchAlgorithmException.class, () -> ka.generateSecret("DES"));
        // Failed calls keep the agreed key.
        assertEquals(32, ka.generateSecret().length);

        ka.init(a.getPrivate(), new AnodeKeyLengthParameterSpec(7));
        ka.doPhase(b.getPublic(), true);
        assertThrows(ShortBufferException.class, () -> ka.generateSecret(new byte[6], 0));
        e = assertThrows(InvalidKeyException.class, () -> ka.generateSecret("AES"));
        assertTrue(e.getMessage().contains("16, 24 or 32"), e.getMessage());
        assertEquals(7, ka.generateSecret().length);

        AnodePrivateKey destroyed = (AnodePrivateKey)
                KeyPairGenerator.getInstance("Anode", P).generateKeyPair().getPrivate();
        ka.init(destroyed);
        destroyed.destroy();
        assertThrows(InvalidKeyException.class, () -> ka.doPhase(b.getPublic(), true));
        assertThrows(InvalidKeyException.class, () -> ka.init(destroyed));
    }

    /** A P-256 "public key" whose point is not on the curve (an invalid-curve attack input). */
    static ECPublicKey offCurveKey() {
        BigInteger x = BigInteger.valueOf(5);
        return fakeKey(new ECPoint(x, BigInteger.valueOf(7)));
    }

    static ECPublicKey fakeKey(ECPoint w) {
        return new ECPublicKey() {
            private static final long serialVersionUID = 1L;

            @Override
            public ECPoint getW() {
                return w;
            }

            @Override
            public ECParameterSpec getParams() {
                return P256.JDK_SPEC;
            }

            @Override
            public String getAlgorithm() {
                return "EC";
            }

            @Override
            public String getFormat() {
                return null;
            }

            @Override
            public byte[] getEncoded() {
                return null;
            }
        };
    }

    @Test
    void interoperatesWithSunEc() throws Exception {
        KeyPairGenerator jdk = KeyPairGenerator.getInstance("EC");
        jdk.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair sun = jdk.generateKeyPair();
        KeyPair anode = KeyPairGenerator.getInstance("Anode", P).generateKeyPair();

        KeyAgreement sunKa = KeyAgreement.getInstance("ECDH");
        sunKa.init(sun.getPrivate());
        sunKa.doPhase(anode.getPublic(), true);
        byte[] bySun = sunKa.generateSecret();

        KeyAgreement ours = KeyAgreement.getInstance("AnodeECDH", P);
        ours.init(anode.getPrivate());
        ours.doPhase(sun.getPublic(), true);
        assertArrayEquals(bySun, ours.generateSecret());
        // Same key object again: the remembered validation is reused, with the same result.
        ours.doPhase(sun.getPublic(), true);
        assertArrayEquals(bySun, ours.generateSecret());
        // A SunEC private key works on our side, our private key on SunEC's side.
        ours.init(sun.getPrivate());
        ours.doPhase(anode.getPublic(), true);
        assertArrayEquals(bySun, ours.generateSecret());
        sunKa.init(anode.getPrivate());
        sunKa.doPhase(sun.getPublic(), true);
        assertArrayEquals(bySun, sunKa.generateSecret());

        // ECDSA with SunEC over our keys.
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(anode.getPrivate());
        s.update(new byte[] {1, 2, 3});
        byte[] sig = s.sign();
        s.initVerify(anode.getPublic());
        s.update(new byte[] {1, 2, 3});
        assertTrue(s.verify(sig));
    }

    @Test
    void keyPairGeneratorZonesAndErrors() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("ANODE-256-40", P);
        KeyPair def = g.generateKeyPair();
        AnodePublicKey pub = assertInstanceOf(AnodePublicKey.class, def.getPublic());
        assertInstanceOf(AnodePrivateKey.class, def.getPrivate());
        assertEquals(Zone.DEFAULT, pub.address().zone());
        assertEquals(pub.point(), ((AnodePrivateKey) def.getPrivate()).publicPoint());
        g.initialize(new AnodeZoneParameterSpec(new Zone(0xcafebabe)), RND);
        assertEquals(
                new Zone(0xcafebabe),
                ((AnodePublicKey) g.generateKeyPair().getPublic()).address().zone());
        g.initialize(256);
        assertEquals(
                Zone.DEFAULT,
                ((AnodePublicKey) g.generateKeyPair().getPublic()).address().zone());
        g.initialize(new ECGenParameterSpec("secp256r1"));
        g.initialize(P256.JDK_SPEC);
        InvalidParameterException ip = assertThrows(InvalidParameterException.class, () -> g.initialize(384));
        assertTrue(ip.getMessage().contains("384"));
        assertThrows(InvalidAlgorithmParameterException.class, () -> g.initialize(new ECGenParameterSpec("secp384r1")));
        KeyPairGenerator ec384 = KeyPairGenerator.getInstance("EC");
        ec384.initialize(new ECGenParameterSpec("secp384r1"));
        ECParameterSpec p384 = ((ECPublicKey) ec384.generateKeyPair().getPublic()).getParams();
        assertThrows(InvalidAlgorithmParameterException.class, () -> g.initialize(p384));
        assertThrows(InvalidAlgorithmParameterException.class, () -> g.initialize(new IvParameterSpec(new byte[16])));
        assertThrows(
                InvalidAlgorithmParameterException.class,
                () -> g.initialize((java.security.spec.AlgorithmParameterSpec) null));
        assertThrows(NullPointerException.class, () -> new AnodeZoneParameterSpec(null));
        assertTrue(new AnodeZoneParameterSpec(new Zone(1)).toString().contains("00000001"));
    }

    @Test
    void keysAreStandardEcKeys() throws Exception {
        KeyPair kp = KeyPairGenerator.getInstance("Anode", P).generateKeyPair();
        AnodePublicKey pub = (AnodePublicKey) kp.getPublic();
        AnodePrivateKey priv = (AnodePrivateKey) kp.getPrivate();
        assertEquals("EC", pub.getAlgorithm());
        assertEquals("X.509", pub.getFormat());
        assertEquals("EC", priv.getAlgorithm());
        assertEquals("PKCS#8", priv.getFormat());
        assertTrue(EcKeys.isP256(pub.getParams()));
        assertEquals(91, pub.getEncoded().length);
        assertEquals(67, priv.getEncoded().length);
        assertEquals(
                pub.address().toString(),
                AnodeAddress.of(Zone.DEFAULT, pub.point()).toString());
        assertFalse(priv.toString().contains(priv.getS().toString(16)));
        assertEquals(priv, AnodePrivateKey.fromBytes(priv.toByteArray()));
        assertEquals(
                priv.hashCode(), AnodePrivateKey.fromBytes(priv.toByteArray()).hashCode());
        assertFalse(priv.equals(pub));
        assertThrows(InvalidKeyException.class, () -> AnodePrivateKey.fromBytes(new byte[31]));
        assertThrows(InvalidKeyException.class, () -> AnodePrivateKey.fromBytes(null));
        assertThrows(InvalidKeyException.class, () -> AnodePrivateKey.of(null));
        assertThrows(InvalidKeyException.class, () -> AnodePrivateKey.of(BigInteger.ZERO));
        assertThrows(InvalidKeyException.class, () -> AnodePrivateKey.of(P256.N));
        assertThrows(InvalidKeyException.class, () -> AnodePrivateKey.of(BigInteger.ONE.negate()));
        assertEquals(BigInteger.ONE, AnodePrivateKey.of(BigInteger.ONE).getS());
        assertEquals(
                P256.N.subtract(BigInteger.ONE),
                AnodePrivateKey.of(P256.N.subtract(BigInteger.ONE)).getS());

        AnodePrivateKey copy = AnodePrivateKey.fromBytes(priv.toByteArray());
        assertFalse(copy.isDestroyed());
        copy.destroy();
        assertTrue(copy.isDestroyed());
        assertThrows(IllegalStateException.class, copy::getS);
        assertThrows(IllegalStateException.class, copy::getEncoded);
        assertThrows(IllegalStateException.class, copy::toByteArray);
        assertThrows(IllegalStateException.class, copy::publicPoint);
        assertFalse(copy.equals(priv));
        assertTrue(copy.equals(copy));
        assertEquals(0, copy.hashCode());
        assertTrue(copy.toString().contains("destroyed"));
        // Destroying a copy leaves the original intact.
        assertEquals(32, priv.toByteArray().length);
        assertEquals(HEX.formatHex(priv.toByteArray()), HEX.formatHex(P256.scalarBytes(priv.getS())));
    }
}
