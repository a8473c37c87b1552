package org.anode.address;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.anode.crypto.internal.P256;
import org.anode.testing.Vectors;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.junit.jupiter.api.Test;

/** AnodeAddress, ShortId and Zone (draft 2.1, 2.2, 2.7; DECISIONS 5-8): behaviour and rejections. */
class AnodeAddressTest {
    private static final HexFormat HEX = HexFormat.of();

    private static byte[] good() {
        return HEX.parseHex(Vectors.of("identity").get(1).get("address"));
    }

    private static void reject(byte[] b, String expected) {
        InvalidAddressException e = assertThrows(InvalidAddressException.class, () -> AnodeAddress.fromBytes(b));
        assertTrue(e.getMessage().contains(expected), "'" + e.getMessage() + "' should mention '" + expected + "'");
    }

    @Test
    void binaryRejections() {
        reject(null, "null");
        reject(new byte[39], "40 bytes");
        reject(new byte[41], "40 bytes");
        byte[] b = good();
        b[0] = 2;
        reject(b, "unknown address type 2");
        b = good();
        b[5] = 1;
        reject(b, "unused");
        b = good();
        b[6] = (byte) 0x80;
        reject(b, "unused");
        b = good();
        b[7] = 0x04;
        reject(b, "prefix 04");
        b = good();
        System.arraycopy(P256.scalarBytes(P256.P), 0, b, 8, 32);
        reject(b, "below the field prime");
        // About half of all x below p are not the x-coordinate of any P-256 point: find one.
        byte[] offCurve = good();
        offCurve[7] = 2;
        boolean found = false;
        for (int x = 1; x < 64 && !found; x++) {
            offCurve[39] = (byte) x;
            java.util.Arrays.fill(offCurve, 8, 39, (byte) 0);
            try {
                P256.decodeCompressed(offCurve, 7);
            } catch (java.security.InvalidKeyException notOnCurve) {
                found = true;
            }
        }
        assertTrue(found);
        reject(offCurve, "not");
        assertThrows(InvalidAddressException.class, () -> AnodeAddress.read(ByteBuffer.allocate(39)));
    }

    @Test
    void textRejections() {
        assertThrows(InvalidAddressException.class, () -> AnodeAddress.parse(null));
        String text = Vectors.of("identity").get(1).get("address_base32");
        InvalidAddressException e = assertThrows(InvalidAddressException.class, () -> AnodeAddress.parse(text + "a"));
        assertTrue(e.getMessage().contains("64"), e.getMessage());
        e = assertThrows(InvalidAddressException.class, () -> AnodeAddress.parse(text.substring(0, 63) + "1"));
        assertTrue(e.getMessage().contains("'1'"), e.getMessage());
        e = assertThrows(InvalidAddressException.class, () -> AnodeAddress.parse(text.substring(0, 63) + "\u00e9"));
        assertTrue(e.getMessage().contains("\\u00e9"), e.getMessage());
        // The last character carries 5 bits of which 0 are padding for 40 bytes; a type byte error
        // shows up through validation instead.
        assertThrows(InvalidAddressException.class, () -> AnodeAddress.parse("b" + text.substring(1)));
    }

    @Test
    void ofChecksThePoint() throws Exception {
        AnodeAddress a = AnodeAddress.fromBytes(good());
        assertEquals(a, AnodeAddress.of(a.zone(), a.point()));
        assertThrows(IllegalArgumentException.class, () -> AnodeAddress.of(Zone.DEFAULT, P256.CURVE.getInfinity()));
        assertThrows(IllegalArgumentException.class, () -> AnodeAddress.of(Zone.DEFAULT, null));
        assertThrows(NullPointerException.class, () -> AnodeAddress.of(null, a.point()));
        // The same point on Bouncy Castle's generic (non-custom) P-256 curve object is accepted ...
        X9ECParameters generic = ECNamedCurveTable.getByName("secp256r1");
        var same = generic.getCurve()
                .createPoint(
                        a.point().getAffineXCoord().toBigInteger(),
                        a.point().getAffineYCoord().toBigInteger());
        assertEquals(a, AnodeAddress.of(a.zone(), same));
        // ... a point on another curve is not.
        X9ECParameters p384 = ECNamedCurveTable.getByName("secp384r1");
        assertThrows(IllegalArgumentException.class, () -> AnodeAddress.of(Zone.DEFAULT, p384.getG()));
    }

    @Test
    void accessorsAndOrdering() throws Exception {
        byte[] bytes = good();
        AnodeAddress a = AnodeAddress.fromBytes(bytes);
        assertEquals(1, a.type());
        assertArrayEquals(java.util.Arrays.copyOfRange(bytes, 7, 40), a.compressedKey());
        assertSame(a.publicKey(), a.publicKey());
        assertSame(a.shortId(), a.shortId());
        int sum = 0;
        for (byte x : bytes) {
            sum += x & 0xff;
        }
        assertEquals(sum, a.byteSum());
        ByteBuffer buf = ByteBuffer.allocate(50);
        buf.position(5);
        a.writeTo(buf);
        assertEquals(45, buf.position());
        assertTrue(a.matches(buf, 5));
        assertFalse(a.matches(buf, 4));
        buf.position(5);
        assertEquals(a, AnodeAddress.read(buf));
        AnodeAddress b = AnodeAddress.fromBytes(
                HEX.parseHex(Vectors.of("identity").get(2).get("address")));
        assertEquals(-Integer.signum(b.compareTo(a)), Integer.signum(a.compareTo(b)));
        assertEquals(0, a.compareTo(AnodeAddress.fromBytes(bytes)));
        // Mutating the caller's array does not reach the address.
        bytes[10] ^= 1;
        assertFalse(a.matches(ByteBuffer.wrap(bytes), 0));
        byte[] out = a.toByteArray();
        out[0] = 9;
        assertEquals(1, a.type());
    }

    @Test
    void shortIdAndZone() {
        ShortId s = ShortId.of(HEX.parseHex("0102030405060708"));
        assertEquals("0102030405060708", s.toString());
        assertArrayEquals(HEX.parseHex("0102030405060708"), s.toByteArray());
        ByteBuffer buf = ByteBuffer.allocate(8);
        s.writeTo(buf);
        buf.flip();
        assertEquals(s, ShortId.read(buf));
        assertThrows(IllegalArgumentException.class, () -> ShortId.of(new byte[7]));
        assertEquals(new Zone(0xd730b30b), Zone.parse("d730b30b"));
        assertEquals(new Zone(0xd730b30b), Zone.parse("0xD730B30B"));
        assertEquals("0000000a", Zone.parse("a").toString());
        assertEquals(0xd730b30bL, new Zone(0xd730b30b).unsignedId());
        assertTrue(new Zone(-1).compareTo(new Zone(1)) > 0);
        for (String bad : new String[] {"", "0x", "123456789", "xyz", "-1"}) {
            assertThrows(IllegalArgumentException.class, () -> Zone.parse(bad), bad);
        }
    }
}
