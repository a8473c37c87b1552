package org.anode.conformance.provider;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.HexFormat;
import java.util.Map;
import java.util.stream.Stream;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.anode.address.AnodeAddress;
import org.anode.address.AnodeIdentity;
import org.anode.crypto.AnodeAddressKeySpec;
import org.anode.crypto.AnodeKeyLengthParameterSpec;
import org.anode.crypto.AnodePublicKey;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every libanode reference vector (draft 2.2, 2.4-2.7; DECISIONS 1-9) through the standard JCA API
 * of the Anode provider: MessageDigest, Mac, KeyFactory, KeyAgreement, plus the identity types.
 */
class JcaReferenceVectorsTest {
    private static final Provider P = ProviderUnderTest.get();
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void theFileHoldsAll106Vectors() {
        assertEquals(106, ReferenceVectors.all().size());
        assertEquals(38, ReferenceVectors.of("aes-digest").size());
        assertEquals(12, ReferenceVectors.of("cmac-aes256").size());
        assertEquals(16, ReferenceVectors.of("identity").size());
        assertEquals(40, ReferenceVectors.of("key-agreement").size());
    }

    @TestFactory
    Stream<DynamicTest> allVectors() {
        return ReferenceVectors.all().stream().map(v -> DynamicTest.dynamicTest(name(v), () -> check(v)));
    }

    private static String name(Map<String, String> v) {
        return switch (v.get("kind")) {
            case "aes-digest", "cmac-aes256" ->
                v.get("kind") + " len " + v.get("message").length() / 2;
            case "identity" -> "identity " + v.get("address_base32");
            case "key-agreement" ->
                "key-agreement n=" + v.get("key_length") + " "
                        + v.get("peer_address").substring(0, 16);
            default -> "unknown kind " + v.get("kind");
        };
    }

    private static void check(Map<String, String> v) throws Exception {
        switch (v.get("kind")) {
            case "aes-digest" -> aesDigest(v);
            case "cmac-aes256" -> cmac(v);
            case "identity" -> identity(v);
            case "key-agreement" -> agreement(v);
            default -> throw new AssertionError("unknown vector kind " + v.get("kind"));
        }
    }

    private static void aesDigest(Map<String, String> v) throws Exception {
        byte[] msg = HEX.parseHex(v.get("message"));
        MessageDigest md = MessageDigest.getInstance("AES-DIGEST", P);
        assertEquals(v.get("digest"), HEX.formatHex(md.digest(msg)));
        // Byte by byte, too.
        for (byte b : msg) {
            md.update(b);
        }
        assertEquals(v.get("digest"), HEX.formatHex(md.digest()));
    }

    private static void cmac(Map<String, String> v) throws Exception {
        SecretKeySpec key = new SecretKeySpec(HEX.parseHex(v.get("key")), "AES");
        byte[] msg = HEX.parseHex(v.get("message"));
        Mac mac = Mac.getInstance("AESCMAC", P);
        mac.init(key);
        byte[] tag = mac.doFinal(msg);
        assertEquals(v.get("mac"), HEX.formatHex(tag));
        Mac folded = Mac.getInstance("AnodeMAC", P);
        folded.init(key);
        byte[] f = folded.doFinal(msg);
        for (int i = 0; i < 8; i++) {
            assertEquals((byte) (tag[i] ^ tag[i + 8]), f[i]);
        }
    }

    private static void identity(Map<String, String> v) throws Exception {
        byte[] addressBytes = HEX.parseHex(v.get("address"));
        AnodeAddress address = AnodeAddress.parse(v.get("address_base32"));
        // DECISIONS 7: libanode's own parser rejected this valid address; ours accepts it.
        assertNotEquals(0, Integer.parseInt(v.get("reference_from_string_rc")));
        assertArrayEquals(addressBytes, address.toByteArray());
        assertEquals(address, AnodeAddress.fromBytes(addressBytes));
        assertEquals(v.get("address_base32"), address.toString());
        assertEquals(v.get("zone"), address.zone().toString());
        // Short id (draft 2.7, DECISIONS 5) through MessageDigest AES-DIGEST.
        byte[] d = MessageDigest.getInstance("AES-DIGEST", P).digest(addressBytes);
        byte[] id = new byte[8];
        for (int i = 0; i < 8; i++) {
            id[i] = (byte) (d[i] ^ d[i + 8]);
        }
        assertEquals(v.get("short_id"), HEX.formatHex(id));
        assertEquals(v.get("short_id"), address.shortId().toString());
        // Identity string both ways (DECISIONS 9).
        AnodeIdentity identity = AnodeIdentity.parse(v.get("identity_string"));
        assertEquals(v.get("identity_string"), identity.toIdentityString());
        assertEquals(address, identity.address());
        // Secret -> public key through KeyFactory; address <-> public key through the address spec.
        KeyFactory kf = KeyFactory.getInstance("Anode", P);
        PrivateKey priv = kf.generatePrivate(new ECPrivateKeySpec(
                new BigInteger(1, HEX.parseHex(v.get("secret"))), ((AnodePublicKey) address.publicKey()).getParams()));
        assertEquals(identity.privateKey(), priv);
        assertEquals(priv, kf.generatePrivate(new PKCS8EncodedKeySpec(priv.getEncoded())));
        PublicKey pub = kf.generatePublic(new AnodeAddressKeySpec(address));
        assertEquals(address, kf.getKeySpec(pub, AnodeAddressKeySpec.class).address());
        PublicKey viaX509 = kf.generatePublic(new X509EncodedKeySpec(pub.getEncoded()));
        assertArrayEquals(
                address.compressedKey(), ((AnodePublicKey) viaX509).address().compressedKey());
        // The secret's public key is the address's key: an agreement with ourselves matches both ways.
        KeyAgreement ka = KeyAgreement.getInstance("AnodeECDH", P);
        KeyPair other = java.security.KeyPairGenerator.getInstance("Anode", P).generateKeyPair();
        ka.init(priv);
        ka.doPhase(other.getPublic(), true);
        byte[] mine = ka.generateSecret();
        ka.init(other.getPrivate());
        ka.doPhase(pub, true);
        assertArrayEquals(mine, ka.generateSecret());
    }

    private static void agreement(Map<String, String> v) throws Exception {
        int n = Integer.parseInt(v.get("key_length"));
        KeyFactory kf = KeyFactory.getInstance("Anode", P);
        PrivateKey priv = kf.generatePrivate(new ECPrivateKeySpec(
                new BigInteger(1, HEX.parseHex(v.get("secret"))),
                org.anode.crypto.AnodePrivateKey.fromBytes(HEX.parseHex(v.get("secret")))
                        .getParams()));
        AnodeAddress peer = AnodeAddress.fromBytes(HEX.parseHex(v.get("peer_address")));
        PublicKey peerKey = kf.generatePublic(new AnodeAddressKeySpec(peer));
        KeyAgreement ka = KeyAgreement.getInstance("AnodeECDH", P);
        ka.init(priv, new AnodeKeyLengthParameterSpec(n));
        ka.doPhase(peerKey, true);
        assertEquals(v.get("key"), HEX.formatHex(ka.generateSecret()));
        // Through SunEC-encoded keys as well: X.509 round trip via the JDK's own EC KeyFactory.
        PublicKey sunPeer = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(peerKey.getEncoded()));
        ka.init(priv, new AnodeKeyLengthParameterSpec(n));
        ka.doPhase(sunPeer, true);
        byte[] out = new byte[n];
        assertEquals(n, ka.generateSecret(out, 0));
        assertEquals(v.get("key"), HEX.formatHex(out));
        if (n < 32) {
            // Without a spec, an n-byte array asks for the n-byte derived key.
            ka.init(priv);
            ka.doPhase(peerKey, true);
            byte[] small = new byte[n];
            assertEquals(n, ka.generateSecret(small, 0));
            assertEquals(v.get("key"), HEX.formatHex(small));
        }
        assertTrue(n == 7 || n == 16 || n == 32 || n == 48 || n == 64, "vector lengths are 7, 16, 32, 48, 64");
    }
}
