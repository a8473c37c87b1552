package org.anode.zone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.anode.address.AnodeAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Zone file semantics: required keys (draft 2.1), zr entries and relay choice (2.3.1, DECISIONS 12). */
class ZoneFileTest {
    private static final String HEADER = "n=Example zone\nd=A test zone\nc=admin@example.org\nr=42\nttl=3600\n";

    private static String a(int i) {
        return ZoneTestData.VECTOR_ADDRESSES.get(i);
    }

    @Test
    void requiredKeysAreTyped() throws Exception {
        ZoneFile z = ZoneFile.parse(HEADER + "x-extra=yes\n");
        assertEquals("Example zone", z.name());
        assertEquals("A test zone", z.description());
        assertEquals("admin@example.org", z.contact());
        assertEquals(42L, z.revision());
        assertEquals(Duration.ofSeconds(3600), z.ttl());
        assertEquals(Map.of("x-extra", "yes"), z.extensions());
        assertEquals("yes", z.get("x-extra").orElseThrow());
        assertEquals(6, z.entries().size());
        assertTrue(z.relays().isEmpty());
        assertTrue(z.relayFor(ZoneTestData.vector(0)).isEmpty());
    }

    @ParameterizedTest
    @ValueSource(strings = {"n", "d", "c", "r", "ttl"})
    void eachRequiredKeyIsRequired(String missing) {
        StringBuilder sb = new StringBuilder();
        for (String line : HEADER.split("\n")) {
            if (!line.startsWith(missing + "=")) {
                sb.append(line).append('\n');
            }
        }
        ZoneFileException e = assertThrows(ZoneFileException.class, () -> ZoneFile.parse(sb.toString()));
        assertTrue(e.getMessage().contains("'" + missing + "'"), e.getMessage());
    }

    @Test
    void emptyTextValuesAreAllowed() throws Exception {
        ZoneFile z = ZoneFile.parse("n=\nd=\nc=\nr=0\nttl=0\n");
        assertEquals("", z.name());
        assertEquals(0L, z.revision());
        assertEquals(Duration.ZERO, z.ttl());
        assertEquals(
                Long.MAX_VALUE,
                ZoneFile.parse("n=\nd=\nc=\nr=9223372036854775807\nttl=1\n").revision());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "-1",
                "+1",
                "1.5",
                "0x10",
                "12a",
                "9223372036854775808",
                "99999999999999999999",
                "\u0661",
                "1 2"
            })
    void revisionAndTtlMustBeNonNegativeDecimals(String bad) {
        ZoneFileException r =
                assertThrows(ZoneFileException.class, () -> ZoneFile.parse("n=a\nd=b\nc=c\nttl=1\nr=" + bad + "\n"));
        assertEquals(5, r.line(), r.getMessage());
        assertThrows(ZoneFileException.class, () -> ZoneFile.parse("n=a\nd=b\nc=c\nr=1\nttl=" + bad + "\n"));
    }

    /**
     * Draft 2.3.1's example, with real addresses (the draft's are truncated): four relays; an
     * address whose bytes sum to 5081 uses zr.1.
     */
    @Test
    void draftFourRelayExample() throws Exception {
        String text = HEADER
                + "zr.0=1.2.3.4:4343:4344:" + a(0) + "\n"
                + "zr.1=2.3.4.5:4343:4344:" + a(1) + "\n"
                + "zr.2=3.4.5.6:4343:4344:" + a(2) + "\n"
                + "zr.3=4.5.6.7:4343:4344:" + a(3) + "\n";
        ZoneFile z = ZoneFile.parse(text);
        assertEquals(4, z.relays().size());
        for (int i = 0; i < 4; i++) {
            ZoneRelay r = z.relays().get(i);
            assertEquals(i, r.index());
            assertEquals("zr." + i, r.key());
            assertEquals(
                    List.of(InetAddress.getByAddress(
                            new byte[] {(byte) (i + 1), (byte) (i + 2), (byte) (i + 3), (byte) (i + 4)})),
                    r.ips());
            assertEquals(4343, r.udpPort());
            assertEquals(4344, r.tcpPort());
            assertEquals(List.of(ZoneTestData.vector(i)), r.addresses());
        }
        assertTrue(z.extensions().isEmpty());

        AnodeAddress sum5081 = addressWithByteSum(5081);
        assertEquals(5081, sum5081.byteSum());
        assertEquals(1, ZoneFile.relayIndex(sum5081, 4));
        assertEquals(1, z.relayIndexFor(sum5081).getAsInt());
        assertEquals("2.3.4.5", z.relayFor(sum5081).orElseThrow().ips().get(0).getHostAddress());
    }

    /** A vector address with its zone bytes changed so its 40 bytes sum to {@code target}. */
    static AnodeAddress addressWithByteSum(int target) throws Exception {
        byte[] b = ZoneTestData.vector(4).toByteArray();
        int rest = ZoneTestData.vector(4).byteSum();
        for (int i = 1; i <= 4; i++) {
            rest -= b[i] & 0xff;
        }
        int need = target - rest;
        assertTrue(need >= 0 && need <= 4 * 255, "vector 4 cannot be adjusted to " + target);
        for (int i = 1; i <= 4; i++) {
            int v = Math.min(255, need);
            b[i] = (byte) v;
            need -= v;
        }
        return AnodeAddress.fromBytes(b);
    }

    @Test
    void relayChoiceIsByteSumModCount() throws Exception {
        for (int i = 0; i < ZoneTestData.VECTOR_ADDRESSES.size(); i++) {
            AnodeAddress addr = ZoneTestData.vector(i);
            for (int n = 1; n <= 7; n++) {
                assertEquals(addr.byteSum() % n, ZoneFile.relayIndex(addr, n));
            }
        }
        // Vector 0: bytes sum to 3989 (computed from the vector's hex independently of our code).
        assertEquals(3989, ZoneTestData.vector(0).byteSum());
        assertEquals(3989 % 3, ZoneFile.relayIndex(ZoneTestData.vector(0), 3));
        assertThrows(IllegalArgumentException.class, () -> ZoneFile.relayIndex(ZoneTestData.vector(0), 0));
    }

    @Test
    void relayValueForms() throws Exception {
        ZoneFile z = ZoneFile.parse(HEADER
                + "zr.0=1.2.3.4,2001:db8::1,[2001:db8::2], 10.0.0.1 :1:65535:" + a(0) + "," + a(1) + "\n"
                + "zr.1=::1:7:8:" + a(2).toUpperCase() + "\n");
        ZoneRelay r0 = z.relays().get(0);
        assertEquals(4, r0.ips().size());
        assertEquals(InetAddress.getByName("2001:db8::1"), r0.ips().get(1));
        assertEquals(InetAddress.getByName("2001:db8::2"), r0.ips().get(2));
        assertEquals(1, r0.udpPort());
        assertEquals(65535, r0.tcpPort());
        assertEquals(List.of(ZoneTestData.vector(0), ZoneTestData.vector(1)), r0.addresses());
        ZoneRelay r1 = z.relays().get(1);
        assertEquals(InetAddress.getByName("::1"), r1.ips().get(0));
        assertEquals(7, r1.udpPort());
        assertEquals(8, r1.tcpPort());
        assertEquals(r0, ZoneRelay.parse(0, r0.toValue()));
        assertEquals(r1, ZoneRelay.parse(1, r1.toValue()));
    }

    @Test
    void sixteenRelaysUseHexIndices() throws Exception {
        StringBuilder sb = new StringBuilder(HEADER);
        for (int i = 0; i < 17; i++) {
            sb.append("zr.")
                    .append(Integer.toHexString(i))
                    .append("=10.0.0.")
                    .append(i + 1)
                    .append(":1:2:")
                    .append(a(i % 5))
                    .append('\n');
        }
        ZoneFile z = ZoneFile.parse(sb.toString());
        assertEquals(17, z.relays().size());
        assertEquals("zr.a", z.relays().get(10).key());
        assertEquals("zr.10", z.relays().get(16).key());
        assertEquals("10.0.0.17", z.relays().get(16).ips().get(0).getHostAddress());
    }

    @Test
    void relayGapsAreRejected() {
        ZoneFileException e = assertThrows(
                ZoneFileException.class,
                () -> ZoneFile.parse(HEADER + "zr.0=1.2.3.4:1:2:" + a(0) + "\nzr.2=1.2.3.4:1:2:" + a(1) + "\n"));
        assertTrue(e.getMessage().contains("zr.1 is missing"), e.getMessage());
        assertThrows(ZoneFileException.class, () -> ZoneFile.parse(HEADER + "zr.1=1.2.3.4:1:2:" + a(0) + "\n"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"zr.", "zr.00", "zr.01", "zr.A", "zr.g", "zr.-1", "zr.1.x", "zr. 1", "zr.ffffffff"})
    void badRelayKeysAreRejected(String key) {
        ZoneFileException e = assertThrows(
                ZoneFileException.class,
                () -> ZoneFile.parse(HEADER + "zr.0=1.2.3.4:1:2:" + a(0) + "\n" + key + "=1.2.3.4:1:2:" + a(1) + "\n"));
        assertEquals(7, e.line(), e.getMessage());
    }

    @Test
    void keysMerelyStartingWithZrAreNotRelays() throws Exception {
        ZoneFile z = ZoneFile.parse(HEADER + "zr=x\nzrx.0=y\n");
        assertEquals(Map.of("zr", "x", "zrx.0", "y"), z.extensions());
        assertTrue(z.relays().isEmpty());
    }

    /** One broken field at a time; the message names the entry and the line. */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "1.2.3.4:1:2", // too few fields
                "1.2.3.4:1:", // too few fields
                "", // nothing
                ":1:2:@A", // empty IP list
                "1.2.3.4,:1:2:@A", // empty IP in list
                "1.2.3:1:2:@A", // short IPv4
                "1.2.3.256:1:2:@A", // octet too large
                "01.2.3.4:1:2:@A", // leading zero
                "localhost:1:2:@A", // host name, not a literal
                "example.org:1:2:@A", // host name, not a literal
                "[1.2.3.4]:1:2:@A", // IPv4 in brackets
                "2001:db8::1::2:1:2:@A", // two '::'
                "fe80::1%eth0:1:2:@A", // scope id
                "1.2.3.4:0:2:@A", // udp port 0
                "1.2.3.4:65536:2:@A", // udp port too large
                "1.2.3.4:x:2:@A", // udp port not a number
                "1.2.3.4::2:@A", // udp port empty
                "1.2.3.4:1:0:@A", // tcp port 0
                "1.2.3.4:1:99999:@A", // tcp port too large
                "1.2.3.4:1:-1:@A", // tcp port negative
                "1.2.3.4:1:2:", // no address
                "1.2.3.4:1:2:@A,", // empty address in list
                "1.2.3.4:1:2:notanaddress", // bad address
                "1.2.3.4:1:2:@B", // address with a bad key (point not on curve)
            })
    void brokenRelayLinesAreRejected(String value) {
        String v = value.replace("@A", a(0)).replace("@B", badKeyAddress());
        ZoneFileException e = assertThrows(ZoneFileException.class, () -> ZoneFile.parse(HEADER + "zr.0=" + v + "\n"));
        assertEquals(6, e.line(), e.getMessage());
        assertTrue(e.getMessage().contains("zr.0"), e.getMessage());
    }

    /** A base32 address of the right length and type whose key is not a curve point. */
    private static String badKeyAddress() {
        byte[] b = ZoneTestData.vector(0).toByteArray();
        // An all-ones x-coordinate is >= p, which address validation must reject (DECISIONS 8).
        for (int i = 8; i < 40; i++) {
            b[i] = (byte) 0xff;
        }
        return ZoneTestData.base32(b);
    }

    @Test
    void tooManyIpsOrAddressesAreRejected() {
        String ips = "1.2.3.4,".repeat(ZoneRelay.MAX_IPS) + "1.2.3.4";
        assertThrows(ZoneFileException.class, () -> ZoneFile.parse(HEADER + "zr.0=" + ips + ":1:2:" + a(0)));
        String addrs = (a(0) + ",").repeat(ZoneRelay.MAX_ADDRESSES) + a(0);
        assertThrows(ZoneFileException.class, () -> ZoneFile.parse(HEADER + "zr.0=1.2.3.4:1:2:" + addrs));
    }

    @Test
    void duplicateKeysLaterWins() throws Exception {
        ZoneFile z = ZoneFile.parse(HEADER + "r=43\nzr.0=1.2.3.4:1:2:" + a(0) + "\nzr.0=5.6.7.8:3:4:" + a(1) + "\n");
        assertEquals(43, z.revision());
        assertEquals(1, z.relays().size());
        assertEquals(3, z.relays().get(0).udpPort());
        assertEquals(ZoneTestData.vector(1), z.relays().get(0).addresses().get(0));
        // A broken earlier duplicate does not matter once replaced.
        assertEquals(
                1,
                ZoneFile.parse(HEADER + "zr.0=junk\nzr.0=1.2.3.4:1:2:" + a(0))
                        .relays()
                        .size());
    }

    @Test
    void builderWritesAFileThatParsesBack() throws Exception {
        ZoneFile z = ZoneFile.builder()
                .name(" Zone = with \\ odd\nchars ")
                .description("d")
                .contact("c@example.org")
                .revision(7)
                .ttl(Duration.ofMinutes(5))
                .relay(
                        List.of(InetAddress.getByName("192.0.2.1"), InetAddress.getByName("2001:db8::7")),
                        4343,
                        4344,
                        List.of(ZoneTestData.vector(0)))
                .relay(List.of(InetAddress.getByName("192.0.2.2")), 1, 2, List.of(ZoneTestData.vector(1)))
                .put("x", ";y")
                .build();
        assertEquals(" Zone = with \\ odd\nchars ", z.name());
        assertEquals(Duration.ofSeconds(300), z.ttl());
        assertEquals(2, z.relays().size());
        ZoneFile back = ZoneFile.parse(z.write());
        assertEquals(z, back);
        assertEquals(z.relays(), back.relays());
        assertEquals(z, ZoneFile.parse(z.toBytes()));
        assertEquals(z, ZoneFile.of(z.entries()));
        assertThrows(
                IllegalStateException.class, () -> ZoneFile.builder().name("x").build());
        assertThrows(IllegalArgumentException.class, () -> ZoneFile.builder().revision(-1));
        assertThrows(IllegalArgumentException.class, () -> ZoneFile.builder().ttl(Duration.ofMillis(1500)));
        assertThrows(IllegalArgumentException.class, () -> ZoneFile.builder().put("", "x"));
    }

    @Test
    void immutable() throws Exception {
        ZoneFile z = ZoneFile.parse(HEADER + "zr.0=1.2.3.4:1:2:" + a(0));
        assertThrows(UnsupportedOperationException.class, () -> z.entries().put("n", "x"));
        assertThrows(UnsupportedOperationException.class, () -> z.relays().clear());
        assertThrows(
                UnsupportedOperationException.class,
                () -> z.relays().get(0).ips().clear());
        assertThrows(UnsupportedOperationException.class, () -> z.extensions().put("q", "x"));
        assertNotEquals(z, ZoneFile.parse(HEADER));
        assertFalse(z.toString().isEmpty());
    }
}
