package org.anode.zone;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.StandardProtocolFamily;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** zr entry values (draft 2.3.1, DECISIONS 12) and the IP literal parser behind them. */
class ZoneRelayTest {

    /** Literals the JDK parses without a lookup; ours must give the same bytes. */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "0.0.0.0",
                "1.2.3.4",
                "255.255.255.255",
                "10.0.0.10",
                "::",
                "::1",
                "1::",
                "2001:db8::1",
                "2001:DB8:0:0:8:800:200C:417A",
                "ff01::101",
                "1:2:3:4:5:6:7:8",
                "1:2:3:4:5:6:7::",
                "::2:3:4:5:6:7:8",
                "::ffff:1.2.3.4",
                "::1.2.3.4",
                "64:ff9b::192.0.2.33",
                "1:2:3:4:5:6:1.2.3.4",
                "fe80::abcd:ef01",
                "[2001:db8::1]",
                "[::]"
            })
    void validLiteralsMatchTheJdk(String literal) throws Exception {
        InetAddress ours = IpLiterals.parse(literal);
        // InetAddress.getByName does no lookup for literals (and brackets are accepted for IPv6).
        InetAddress jdk = InetAddress.getByName(literal);
        assertArrayEquals(jdk.getAddress(), ours.getAddress(), literal);
        assertEquals(jdk.getClass(), ours.getClass(), literal);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "1",
                "1.2.3",
                "1.2.3.4.5",
                "1.2.3.4.",
                ".1.2.3",
                "256.1.1.1",
                "1.2.3.04",
                "00.1.2.3",
                "1..2.3",
                "1.2.3.4 ",
                " 1.2.3.4",
                "a.b.c.d",
                "localhost",
                "example.org",
                "1.2.3.1000",
                "\u0661.2.3.4",
                ":",
                ":::",
                "1:::2",
                "1::2::3",
                ":1::",
                "1:2:3:4:5:6:7:8:9",
                "1:2:3:4:5:6:7",
                "1:2:3:4:5:6:7:8::",
                "12345::",
                "g::",
                "::1.2.3",
                "1.2.3.4::",
                "::1.2.3.4:1",
                "1:2:3:4:5:6:7:1.2.3.4",
                "fe80::1%eth0",
                "fe80::1%1",
                "[1.2.3.4]",
                "[::1",
                "::1]",
                "[]",
                "[[::1]]",
                "\uff11::",
                "::\uff41"
            })
    void invalidLiteralsAreRefused(String literal) {
        assertNull(IpLiterals.parse(literal), literal);
    }

    @Test
    void familiesAndRandomPick() throws Exception {
        ZoneRelay r = ZoneRelay.parse(
                3, "1.1.1.1,2001:db8::1,2.2.2.2,[2001:db8::2],3.3.3.3:9:10:" + ZoneTestData.VECTOR_ADDRESSES.get(0));
        assertEquals("zr.3", r.key());
        assertEquals(3, r.ips(StandardProtocolFamily.INET).size());
        assertEquals(2, r.ips(StandardProtocolFamily.INET6).size());
        Random rnd = new Random(1);
        Set<InetAddress> seen4 = new HashSet<>();
        Set<InetAddress> seen6 = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            InetAddress v4 = r.pickIp(StandardProtocolFamily.INET, rnd).orElseThrow();
            InetAddress v6 = r.pickIp(StandardProtocolFamily.INET6, rnd).orElseThrow();
            assertInstanceOf(Inet4Address.class, v4);
            assertInstanceOf(Inet6Address.class, v6);
            seen4.add(v4);
            seen6.add(v6);
            assertInstanceOf(
                    Inet4Address.class, r.pickIp(StandardProtocolFamily.INET).orElseThrow());
        }
        // With 200 draws, every address is picked (the chance of missing one is below 1e-34).
        assertEquals(Set.copyOf(r.ips(StandardProtocolFamily.INET)), seen4);
        assertEquals(Set.copyOf(r.ips(StandardProtocolFamily.INET6)), seen6);

        ZoneRelay onlyV4 = ZoneRelay.parse(0, "1.1.1.1:9:10:" + ZoneTestData.VECTOR_ADDRESSES.get(0));
        assertTrue(onlyV4.pickIp(StandardProtocolFamily.INET6).isEmpty());
        assertThrows(IllegalArgumentException.class, () -> onlyV4.ips(StandardProtocolFamily.UNIX));
    }

    @Test
    void canonicalValueRoundTrips() throws Exception {
        ZoneRelay r = new ZoneRelay(
                0,
                List.of(InetAddress.getByName("::1"), InetAddress.getByName("192.0.2.9")),
                4343,
                4344,
                List.of(ZoneTestData.vector(0), ZoneTestData.vector(1)));
        assertEquals(
                "[0:0:0:0:0:0:0:1],192.0.2.9:4343:4344:" + ZoneTestData.VECTOR_ADDRESSES.get(0) + ","
                        + ZoneTestData.VECTOR_ADDRESSES.get(1),
                r.toValue());
        assertEquals(r, ZoneRelay.parse(0, r.toValue()));
    }

    @Test
    void constructorValidates() throws Exception {
        List<InetAddress> ip = List.of(InetAddress.getByName("1.2.3.4"));
        var addr = List.of(ZoneTestData.vector(0));
        assertThrows(IllegalArgumentException.class, () -> new ZoneRelay(-1, ip, 1, 1, addr));
        assertThrows(IllegalArgumentException.class, () -> new ZoneRelay(0, ip, 0, 1, addr));
        assertThrows(IllegalArgumentException.class, () -> new ZoneRelay(0, ip, 1, 65536, addr));
        assertThrows(IllegalArgumentException.class, () -> new ZoneRelay(0, List.of(), 1, 1, addr));
        assertThrows(IllegalArgumentException.class, () -> new ZoneRelay(0, ip, 1, 1, List.of()));
        Inet6Address scoped =
                Inet6Address.getByAddress(null, InetAddress.getByName("fe80::1").getAddress(), 3);
        assertThrows(IllegalArgumentException.class, () -> new ZoneRelay(0, List.of(scoped), 1, 1, addr));
    }
}
