package org.anode.conformance.provider;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.anode.address.AnodeAddress;
import org.anode.address.AnodeIdentity;
import org.anode.address.InvalidAddressException;
import org.anode.address.Zone;
import org.anode.crypto.AnodeKeyLengthParameterSpec;
import org.anode.crypto.AnodeZoneParameterSpec;

/**
 * Properties of the provider and the address types (draft 2.2, 2.4-2.7; DECISIONS 1-8): base32
 * round trips and rejections, incremental == one-shot for the digest and MACs, symmetric agreement,
 * the XOR-fold KDF, and address corruption.
 */
class ProviderProperties {
    private static final Provider P = ProviderUnderTest.get();
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";
    /** A small pool of identities: key generation is the slow part, and variety comes from the pairs. */
    private static final List<AnodeIdentity> IDS = identities(12);

    private static List<AnodeIdentity> identities(int n) {
        SecureRandom r = new SecureRandom();
        AnodeIdentity[] out = new AnodeIdentity[n];
        for (int i = 0; i < n; i++) {
            out[i] = AnodeIdentity.generate(new Zone(r.nextInt()), r);
        }
        return List.of(out);
    }

    @Provide
    Arbitrary<AnodeAddress> addresses() {
        return Arbitraries.of(IDS).map(AnodeIdentity::address);
    }

    @Provide
    Arbitrary<AnodeIdentity> identities() {
        return Arbitraries.of(IDS);
    }

    // ---- base32 (DECISIONS 6)

    @Property(tries = 200)
    void base32RoundTripsAndIgnoresCase(@ForAll("addresses") AnodeAddress a, @ForAll long caseMask) throws Exception {
        String text = a.toString();
        assertEquals(AnodeAddress.TEXT_LENGTH, text.length());
        assertEquals(text, text.toLowerCase(Locale.ROOT));
        assertEquals(a, AnodeAddress.parse(text));
        assertEquals(a, AnodeAddress.parse(text.toUpperCase(Locale.ROOT)));
        StringBuilder mixed = new StringBuilder(text);
        for (int i = 0; i < mixed.length(); i++) {
            if (((caseMask >>> (i % 64)) & 1) != 0) {
                mixed.setCharAt(i, Character.toUpperCase(mixed.charAt(i)));
            }
        }
        assertEquals(a, AnodeAddress.parse(mixed));
        assertEquals(a, AnodeAddress.fromBytes(a.toByteArray()));
    }

    @Property(tries = 500)
    void anyNonBase32CharacterIsRejected(
            @ForAll("addresses") AnodeAddress a, @ForAll @IntRange(max = 63) int at, @ForAll char c) {
        Assume.that(ALPHABET.indexOf(c) < 0 && ALPHABET.toUpperCase(Locale.ROOT).indexOf(c) < 0);
        StringBuilder s = new StringBuilder(a.toString());
        s.setCharAt(at, c);
        InvalidAddressException e = assertThrows(InvalidAddressException.class, () -> AnodeAddress.parse(s));
        assertTrue(e.getMessage().contains("not base32"), e.getMessage());
    }

    @Property(tries = 300)
    void anyOtherLengthIsRejected(@ForAll("addresses") AnodeAddress a, @ForAll @IntRange(max = 200) int length) {
        Assume.that(length != AnodeAddress.TEXT_LENGTH);
        String text = a.toString();
        StringBuilder s = new StringBuilder();
        while (s.length() < length) {
            s.append(text);
        }
        s.setLength(length);
        assertThrows(InvalidAddressException.class, () -> AnodeAddress.parse(s));
    }

    @Property(tries = 100)
    void identityStringRoundTripsWithAnyTypeCase(@ForAll("identities") AnodeIdentity id, @ForAll long caseMask)
            throws Exception {
        String s = id.toIdentityString();
        assertTrue(s.startsWith("ANODE-256-40:" + id.address() + ":"));
        assertEquals(id, AnodeIdentity.parse(s));
        StringBuilder type = new StringBuilder("anode-256-40");
        for (int i = 0; i < type.length(); i++) {
            if (((caseMask >>> i) & 1) != 0) {
                type.setCharAt(i, Character.toUpperCase(type.charAt(i)));
            }
        }
        assertEquals(id, AnodeIdentity.parse(type + s.substring(12)));
        assertTrue(!id.toString().contains(s.substring(s.lastIndexOf(':') + 1)));
    }

    // ---- incremental == one-shot (DECISIONS 1, 3)

    @Provide
    Arbitrary<int[]> splitPoints() {
        return Arbitraries.integers().between(0, 1500).array(int[].class).ofMaxSize(6);
    }

    private static int[] cuts(int[] raw, int length) {
        int[] c = new int[raw.length + 2];
        for (int i = 0; i < raw.length; i++) {
            c[i + 1] = Math.min(raw[i], length);
        }
        c[raw.length + 1] = length;
        Arrays.sort(c);
        return c;
    }

    @Property(tries = 300)
    void digestIncrementalEqualsOneShot(@ForAll @Size(max = 1500) byte[] msg, @ForAll("splitPoints") int[] splits)
            throws Exception {
        MessageDigest md = MessageDigest.getInstance("AES-DIGEST", P);
        byte[] oneShot = md.digest(msg);
        int[] c = cuts(splits, msg.length);
        for (int i = 0; i + 1 < c.length; i++) {
            if (i % 2 == 0) {
                md.update(msg, c[i], c[i + 1] - c[i]);
            } else {
                md.update(ByteBuffer.wrap(msg, c[i], c[i + 1] - c[i]));
            }
        }
        assertArrayEquals(oneShot, md.digest());
    }

    @Property(tries = 60)
    void digestEverySingleSplitAndClone(@ForAll @Size(max = 200) byte[] msg) throws Exception {
        MessageDigest md = MessageDigest.getInstance("AES-DIGEST", P);
        byte[] oneShot = md.digest(msg);
        for (int split = 0; split <= msg.length; split++) {
            md.update(msg, 0, split);
            MessageDigest copy = (MessageDigest) md.clone();
            md.update(msg, split, msg.length - split);
            copy.update(msg, split, msg.length - split);
            assertArrayEquals(oneShot, md.digest(), "split " + split);
            assertArrayEquals(oneShot, copy.digest(), "clone at " + split);
        }
    }

    @Property(tries = 200)
    void macsIncrementalEqualOneShot(
            @ForAll @Size(32) byte[] key, @ForAll @Size(max = 1500) byte[] msg, @ForAll("splitPoints") int[] splits)
            throws Exception {
        for (String alg : new String[] {"AESCMAC", "AnodeMAC"}) {
            Mac mac = Mac.getInstance(alg, P);
            mac.init(new SecretKeySpec(key, "AES"));
            byte[] oneShot = mac.doFinal(msg);
            int[] c = cuts(splits, msg.length);
            for (int i = 0; i + 1 < c.length; i++) {
                if (i % 2 == 0) {
                    mac.update(msg, c[i], c[i + 1] - c[i]);
                } else {
                    ByteBuffer direct = ByteBuffer.allocateDirect(c[i + 1] - c[i]);
                    direct.put(msg, c[i], c[i + 1] - c[i]).flip();
                    mac.update(direct);
                }
            }
            assertArrayEquals(oneShot, mac.doFinal(), alg);
        }
    }

    @Property(tries = 40)
    void cmacEverySingleSplit(@ForAll @Size(32) byte[] key, @ForAll @Size(max = 100) byte[] msg) throws Exception {
        Mac mac = Mac.getInstance("AESCMAC", P);
        mac.init(new SecretKeySpec(key, "AES"));
        byte[] oneShot = mac.doFinal(msg);
        for (int split = 0; split <= msg.length; split++) {
            mac.update(msg, 0, split);
            for (int i = split; i < msg.length; i++) {
                mac.update(msg[i]);
            }
            assertArrayEquals(oneShot, mac.doFinal(), "split " + split);
        }
    }

    // ---- agreement (DECISIONS 2, 4)

    @Property(tries = 40)
    void agreementIsSymmetric(
            @ForAll("identities") AnodeIdentity a,
            @ForAll("identities") AnodeIdentity b,
            @ForAll @IntRange(min = 1, max = 100) int n)
            throws Exception {
        KeyAgreement ka = KeyAgreement.getInstance("AnodeECDH", P);
        ka.init(a.privateKey(), new AnodeKeyLengthParameterSpec(n));
        ka.doPhase(b.address().publicKey(), true);
        byte[] ab = ka.generateSecret();
        ka.init(b.privateKey(), new AnodeKeyLengthParameterSpec(n));
        ka.doPhase(a.address().publicKey(), true);
        assertArrayEquals(ab, ka.generateSecret());
        assertArrayEquals(a.agree(b.address()), b.agree(a.address()));
    }

    @Property(tries = 20)
    void freshKeyPairsAgreeSymmetrically(@ForAll int zoneA, @ForAll int zoneB) throws Exception {
        java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("Anode", P);
        g.initialize(new AnodeZoneParameterSpec(new Zone(zoneA)));
        KeyPair a = g.generateKeyPair();
        g.initialize(new AnodeZoneParameterSpec(new Zone(zoneB)));
        KeyPair b = g.generateKeyPair();
        assertArrayEquals(agree(a, b.getPublic()), agree(b, a.getPublic()));
    }

    private static byte[] agree(KeyPair mine, PublicKey theirs) throws Exception {
        KeyAgreement ka = KeyAgreement.getInstance("AnodeECDH", P);
        ka.init(mine.getPrivate());
        ka.doPhase(theirs, true);
        return ka.generateSecret();
    }

    /**
     * The KDF (draft 2.4, DECISIONS 2) checked against closed forms of the fold rather than a copy of
     * the loop: for n &lt;= 32, {@code out[j]} is the XOR of {@code raw[j], raw[j+n], raw[j+2n], ...};
     * for n &gt;= 32, {@code out[j] = raw[j mod 32]}.
     */
    @Property(tries = 60)
    void kdfMatchesTheFoldDefinition(
            @ForAll("identities") AnodeIdentity a,
            @ForAll("identities") AnodeIdentity b,
            @ForAll @IntRange(min = 1, max = 200) int n)
            throws Exception {
        byte[] raw = a.agree(b.address());
        assertEquals(32, raw.length);
        KeyAgreement ka = KeyAgreement.getInstance("AnodeECDH", P);
        ka.init(a.privateKey(), new AnodeKeyLengthParameterSpec(n));
        ka.doPhase(b.address().publicKey(), true);
        byte[] derived = ka.generateSecret();
        assertEquals(n, derived.length);
        for (int j = 0; j < n; j++) {
            int expected;
            if (n <= 32) {
                expected = 0;
                for (int k = j; k < 32; k += n) {
                    expected ^= raw[k];
                }
            } else {
                expected = raw[j % 32];
            }
            assertEquals((byte) expected, derived[j], "byte " + j + " of " + n);
        }
        // The raw key is the big-endian x-coordinate of the shared point: below the field prime.
        assertTrue(new BigInteger(1, raw)
                        .compareTo(
                                new BigInteger("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff", 16))
                < 0);
    }

    // ---- corruption (DECISIONS 5, 8)

    @Property(tries = 400)
    void corruptingAnyAddressByteIsRejectedOrChangesTheShortId(
            @ForAll("addresses") AnodeAddress a,
            @ForAll @IntRange(max = 39) int at,
            @ForAll @IntRange(min = 1, max = 255) int flip) {
        byte[] b = a.toByteArray();
        b[at] ^= (byte) flip;
        AnodeAddress corrupted;
        try {
            corrupted = AnodeAddress.fromBytes(b);
        } catch (InvalidAddressException e) {
            assertTrue(at == 0 || at == 5 || at == 6 || at >= 7, "only type, unused and key bytes are checked");
            return;
        }
        assertTrue(at >= 1 && at <= 4 || at >= 7, "type and unused bytes are always checked, at " + at);
        assertNotEquals(a, corrupted);
        assertNotEquals(a.shortId(), corrupted.shortId());
        // And the corrupted text form can no longer name the original.
        assertNotEquals(a.toString(), corrupted.toString());
    }

    @Property(tries = 100)
    void corruptedTextIsRejectedOrIsADifferentAddress(
            @ForAll("addresses") AnodeAddress a, @ForAll @IntRange(max = 63) int at, @ForAll("base32Chars") char c) {
        String text = a.toString();
        Assume.that(text.charAt(at) != c);
        String corrupted = text.substring(0, at) + c + text.substring(at + 1);
        try {
            AnodeAddress b = AnodeAddress.parse(corrupted);
            assertNotEquals(a, b);
            assertNotEquals(a.shortId(), b.shortId());
        } catch (InvalidAddressException expected) {
            assertTrue(expected.getMessage().length() > 10);
        }
    }

    @Provide
    Arbitrary<Character> base32Chars() {
        return Arbitraries.of(ALPHABET.toCharArray());
    }
}
