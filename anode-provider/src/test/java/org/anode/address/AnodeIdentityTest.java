package org.anode.address;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import org.anode.crypto.AnodePrivateKey;
import org.anode.crypto.internal.AnodeKdf;
import org.anode.testing.Vectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** AnodeIdentity (draft 2.2, DECISIONS 9): vectors, generation, files, and every rejection path. */
class AnodeIdentityTest {
    private static final HexFormat HEX = HexFormat.of();

    private static Map<String, String> firstVector() throws Exception {
        return Vectors.of("identity").get(1);
    }

    @Test
    void everyReferenceIdentityRoundTrips() throws Exception {
        var vs = Vectors.of("identity");
        assertEquals(16, vs.size());
        for (var v : vs) {
            AnodeIdentity id = AnodeIdentity.parse(v.get("identity_string"));
            assertEquals(v.get("identity_string"), id.toIdentityString());
            assertEquals(v.get("address_base32"), id.address().toString());
            assertEquals(v.get("zone"), id.address().zone().toString());
            assertEquals(v.get("short_id"), id.address().shortId().toString());
            assertArrayEquals(HEX.parseHex(v.get("secret")), id.privateKey().toByteArray());
            // The type name is case-insensitive; the secret may be upper-case hex.
            String lower = v.get("identity_string").replace("ANODE", "anode");
            int c = lower.lastIndexOf(':');
            assertEquals(
                    id,
                    AnodeIdentity.parse(
                            lower.substring(0, c + 1) + lower.substring(c + 1).toUpperCase()));
        }
    }

    @Test
    void agreementMatchesVectorsAndIsSymmetric() throws Exception {
        for (var v : Vectors.of("key-agreement")) {
            if (!v.get("key_length").equals("32")) {
                continue;
            }
            AnodePrivateKey k = AnodePrivateKey.fromBytes(HEX.parseHex(v.get("secret")));
            AnodeIdentity me = AnodeIdentity.of(AnodeAddress.of(Zone.DEFAULT, k.publicPoint()), k);
            AnodeAddress peer = AnodeAddress.fromBytes(HEX.parseHex(v.get("peer_address")));
            assertEquals(v.get("key"), HEX.formatHex(me.agree(peer)));
        }
        SecureRandom rnd = new SecureRandom();
        AnodeIdentity a = AnodeIdentity.generate(new Zone(7), rnd);
        AnodeIdentity b = AnodeIdentity.generate(new Zone(0xfedcba98), rnd);
        assertArrayEquals(a.agree(b.address()), b.agree(a.address()));
        assertEquals(32, AnodeKdf.derive(a.agree(b.address()), 32).length);
        assertEquals(new Zone(0xfedcba98), b.address().zone());
    }

    @Test
    void toStringNeverShowsTheSecret() throws Exception {
        var v = firstVector();
        AnodeIdentity id = AnodeIdentity.parse(v.get("identity_string"));
        assertFalse(id.toString().contains(v.get("secret")));
        assertFalse(id.privateKey().toString().contains(v.get("secret")));
        assertFalse(id.toString().toLowerCase().contains(v.get("secret").substring(0, 16)));
        assertTrue(id.toString().contains(v.get("address_base32")));
    }

    @Test
    void equalsAndHashCode() throws Exception {
        SecureRandom rnd = new SecureRandom();
        AnodeIdentity a = AnodeIdentity.generate(Zone.DEFAULT, rnd);
        AnodeIdentity a2 = AnodeIdentity.parse(a.toIdentityString());
        AnodeIdentity b = AnodeIdentity.generate(Zone.DEFAULT, rnd);
        assertEquals(a, a2);
        assertEquals(a.hashCode(), a2.hashCode());
        assertEquals(a.address().hashCode(), a.hashCode());
        assertNotEquals(a, b);
        assertNotEquals(a, a.address());
    }

    @Test
    void rejectsMalformedStrings() throws Exception {
        var v = firstVector();
        String good = v.get("identity_string");
        String addr = v.get("address_base32");
        String secret = v.get("secret");
        String[] bad = {
            "",
            "ANODE-256-40",
            "ANODE-256-40:" + addr,
            "ANODE-256-40:" + addr + ":" + secret + ":x",
            "ANODE-256-41:" + addr + ":" + secret,
            ":" + addr + ":" + secret,
            "ANODE-256-40:" + addr.substring(1) + ":" + secret,
            "ANODE-256-40:" + addr + "a:" + secret,
            "ANODE-256-40:" + addr + ":" + secret.substring(2),
            "ANODE-256-40:" + addr + ":" + secret + "00",
            "ANODE-256-40:" + addr + ":" + secret.substring(0, 63) + "g",
            "ANODE-256-40:" + addr + ":" + "\u0661" + secret.substring(1),
            "ANODE-256-40:" + addr + ":" + "0".repeat(64),
            "ANODE-256-40:" + addr + ":" + "f".repeat(64),
            " " + good,
            good + " ",
        };
        for (String s : bad) {
            InvalidIdentityException e = assertThrows(InvalidIdentityException.class, () -> AnodeIdentity.parse(s), s);
            assertFalse(e.getMessage().contains(secret), e.getMessage());
            assertFalse(e.getMessage().isBlank());
        }
        assertThrows(InvalidIdentityException.class, () -> AnodeIdentity.parse(null));
    }

    @Test
    void rejectsASecretThatIsNotTheAddresssKey() throws Exception {
        var vs = Vectors.of("identity");
        String mixed = "ANODE-256-40:" + vs.get(0).get("address_base32") + ":"
                + vs.get(1).get("secret");
        InvalidIdentityException e = assertThrows(InvalidIdentityException.class, () -> AnodeIdentity.parse(mixed));
        assertTrue(e.getMessage().contains("does not belong"), e.getMessage());
        AnodePrivateKey other = AnodePrivateKey.of(BigInteger.TWO);
        AnodeAddress addr = AnodeAddress.parse(vs.get(0).get("address_base32"));
        assertThrows(InvalidIdentityException.class, () -> AnodeIdentity.of(addr, other));
        other.destroy();
        assertThrows(InvalidIdentityException.class, () -> AnodeIdentity.of(addr, other));
    }

    @Test
    void storeAndLoadWithOwnerOnlyPermissions(@TempDir Path dir) throws Exception {
        AnodeIdentity id = AnodeIdentity.generate(new Zone(0x12345678));
        Path f = dir.resolve("identity.secret");
        id.store(f);
        assertEquals(id, AnodeIdentity.load(f));
        assertEquals(id.toIdentityString() + "\n", Files.readString(f, StandardCharsets.US_ASCII));
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        }
        // Storing again replaces the file (and tightens permissions on a file someone else made).
        AnodeIdentity other = AnodeIdentity.generate(Zone.DEFAULT);
        Files.writeString(f, "old");
        other.store(f);
        assertEquals(other, AnodeIdentity.load(f));
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        }
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file is left behind");
        }
    }

    @Test
    void loadRejectsBadFiles(@TempDir Path dir) throws Exception {
        Path garbage = dir.resolve("garbage");
        Files.writeString(garbage, "not an identity");
        assertThrows(InvalidIdentityException.class, () -> AnodeIdentity.load(garbage));
        Path huge = dir.resolve("huge");
        Files.write(huge, new byte[100_000]);
        InvalidIdentityException e = assertThrows(InvalidIdentityException.class, () -> AnodeIdentity.load(huge));
        assertTrue(e.getMessage().contains("larger than"), e.getMessage());
        assertThrows(java.io.IOException.class, () -> AnodeIdentity.load(dir.resolve("missing")));
        Path crlf = dir.resolve("crlf");
        AnodeIdentity id = AnodeIdentity.generate(Zone.DEFAULT);
        Files.writeString(crlf, id.toIdentityString() + "\r\n");
        assertEquals(id, AnodeIdentity.load(crlf));
    }

    @Test
    void loadSkipsAUtf8ByteOrderMarkAndNamesTheFileInErrors(@TempDir Path dir) throws Exception {
        AnodeIdentity id = AnodeIdentity.generate(Zone.DEFAULT);
        Path bom = dir.resolve("bom");
        byte[] text = (id.toIdentityString() + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] withBom = new byte[text.length + 3];
        withBom[0] = (byte) 0xEF;
        withBom[1] = (byte) 0xBB;
        withBom[2] = (byte) 0xBF;
        System.arraycopy(text, 0, withBom, 3, text.length);
        Files.write(bom, withBom);
        restrict(bom);
        assertEquals(id, AnodeIdentity.load(bom));
        Path garbage = dir.resolve("garbage-file");
        Files.writeString(garbage, "not an identity");
        restrict(garbage);
        InvalidIdentityException e = assertThrows(InvalidIdentityException.class, () -> AnodeIdentity.load(garbage));
        assertTrue(e.getMessage().contains(garbage.toString()), e.getMessage());
    }

    @Test
    void loadRefusesAFileOthersMayWrite(@TempDir Path dir) throws Exception {
        if (!FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            return;
        }
        AnodeIdentity id = AnodeIdentity.generate(Zone.DEFAULT);
        Path f = dir.resolve("node.id");
        id.store(f);
        assertEquals(id, AnodeIdentity.load(f), "store() writes rw------- and load() accepts it");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-rw-rw-"));
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> AnodeIdentity.load(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("writable"), e.getMessage());
        // Readable by others: loaded, with a warning (as ssh warns, though ssh refuses).
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        assertEquals(id, AnodeIdentity.load(f));
    }

    private static void restrict(Path f) throws java.io.IOException {
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        }
    }

    @Test
    void generateUsesTheGivenRandomSource() {
        AnodeIdentity a = AnodeIdentity.generate(Zone.DEFAULT, new FixedRandom(3));
        AnodeIdentity b = AnodeIdentity.generate(Zone.DEFAULT, new FixedRandom(3));
        assertEquals(a, b);
        // An all-0xff source gives scalars >= n forever: generation fails cleanly, not in a hang.
        assertThrows(IllegalStateException.class, () -> AnodeIdentity.generate(Zone.DEFAULT, new FixedRandom(0xff)));
        assertThrows(IllegalStateException.class, () -> AnodeIdentity.generate(Zone.DEFAULT, new FixedRandom(0)));
        assertThrows(NullPointerException.class, () -> AnodeIdentity.generate(null));
    }

    /** A deterministic "random" source that fills every request with one byte value. */
    private static final class FixedRandom extends SecureRandom {
        private static final long serialVersionUID = 1L;
        private final byte value;

        FixedRandom(int value) {
            this.value = (byte) value;
        }

        @Override
        public void nextBytes(byte[] bytes) {
            java.util.Arrays.fill(bytes, value);
        }
    }
}
