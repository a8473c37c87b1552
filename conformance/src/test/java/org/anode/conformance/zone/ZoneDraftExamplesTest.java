package org.anode.conformance.zone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.anode.address.AnodeAddress;
import org.anode.address.Zone;
import org.anode.zone.AnodeTxtRecords;
import org.anode.zone.ZoneFile;
import org.anode.zone.ZoneFileException;
import org.anode.zone.ZoneFileFormat;
import org.anode.zone.ZoneLocator;
import org.anode.zone.ZoneRelay;
import org.junit.jupiter.api.Test;

/**
 * The examples of draft sections 2.1, 2.1.1, 2.3.1 and 2.8, checked through the public API only. The
 * draft's relay addresses are truncated ("klj4j3..."), so real addresses from the libanode vectors
 * stand in for them; everything else is the draft's text.
 */
class ZoneDraftExamplesTest {
    private static final String REQUIRED = "n=Example\nd=Example zone\nc=hostmaster@example.org\nr=1\nttl=86400\n";

    private static String draftRelays() {
        return "zr.0=1.2.3.4:4343:4344:" + ZoneData.VECTOR_ADDRESSES.get(0) + "\n"
                + "zr.1=2.3.4.5:4343:4344:" + ZoneData.VECTOR_ADDRESSES.get(1) + "\n"
                + "zr.2=3.4.5.6:4343:4344:" + ZoneData.VECTOR_ADDRESSES.get(2) + "\n"
                + "zr.3=4.5.6.7:4343:4344:" + ZoneData.VECTOR_ADDRESSES.get(3) + "\n";
    }

    /** Draft 2.1: "The following entries must appear in a zone file: n, d, c, r, ttl". */
    @Test
    void requiredEntries() throws Exception {
        ZoneFile z = ZoneFile.parse(REQUIRED);
        assertEquals("Example", z.name());
        assertEquals("Example zone", z.description());
        assertEquals("hostmaster@example.org", z.contact());
        assertEquals(1, z.revision());
        assertEquals(Duration.ofDays(1), z.ttl());
        for (String key : List.of("n", "d", "c", "r", "ttl")) {
            String without = REQUIRED.replaceFirst("(?m)^" + key + "=.*\n", "");
            assertThrows(ZoneFileException.class, () -> ZoneFile.parse(without), key);
        }
    }

    /** Draft 2.1: "separated by carriage returns ... any character may be escaped ... Blank lines are ignored". */
    @Test
    void separatorsEscapesAndBlankLines() throws Exception {
        ZoneFile z = ZoneFile.parse("n=A\\=B\r\rd=x\\\ry\r\nc=\\\\\r\n\r\nr=2\rttl=5");
        assertEquals("A=B", z.name());
        assertEquals("x\ry", z.description());
        assertEquals("\\", z.contact());
        assertEquals(Map.of("k", "v"), ZoneFileFormat.read("\n\n k = v \n\n"));
    }

    /** Draft 2.3.1: four relays, and an address whose bytes sum to 5081 uses zr.1. */
    @Test
    void fourRelaysAndTheChecksumExample() throws Exception {
        ZoneFile z = ZoneFile.parse(REQUIRED + draftRelays());
        assertEquals(4, z.relays().size());
        String[] ips = {"1.2.3.4", "2.3.4.5", "3.4.5.6", "4.5.6.7"};
        for (int i = 0; i < 4; i++) {
            ZoneRelay r = z.relays().get(i);
            assertEquals(List.of(InetAddress.getByName(ips[i])), r.ips());
            assertEquals(4343, r.udpPort());
            assertEquals(4344, r.tcpPort());
            assertEquals(List.of(ZoneData.vector(i)), r.addresses());
        }
        // Vector 4 with its zone bytes set to ff ff ff 17: 4293 (type, unused and key bytes, summed
        // by hand from the vector's hex) + 255 * 3 + 0x17 = 5081.
        byte[] b = ZoneData.vector(4).toByteArray();
        b[1] = (byte) 0xff;
        b[2] = (byte) 0xff;
        b[3] = (byte) 0xff;
        b[4] = 0x17;
        AnodeAddress a = AnodeAddress.fromBytes(b);
        assertEquals(5081, a.byteSum());
        assertEquals(1, ZoneFile.relayIndex(a, 4));
        assertEquals(z.relays().get(1), z.relayFor(a).orElseThrow());
    }

    /** Draft 2.3.1: with several IPs the peer chooses at random among those of the wanted type. */
    @Test
    void randomChoiceAmongIpsOfTheWantedType() throws Exception {
        ZoneRelay r = ZoneFile.parse(
                        REQUIRED + "zr.0=10.0.0.1,2001:db8::1,10.0.0.2:4343:4344:" + ZoneData.VECTOR_ADDRESSES.get(0))
                .relays()
                .get(0);
        Random rnd = new Random(7);
        for (int i = 0; i < 50; i++) {
            assertTrue(r.ips(StandardProtocolFamily.INET)
                    .contains(r.pickIp(StandardProtocolFamily.INET, rnd).orElseThrow()));
            assertEquals(
                    InetAddress.getByName("2001:db8::1"),
                    r.pickIp(StandardProtocolFamily.INET6, rnd).orElseThrow());
        }
    }

    /** Draft 2.1.1: http://a--XXXXXXXX.net/z and the fallback http://ip_address/z. */
    @Test
    void zoneUrls() {
        Zone z = new Zone(0x01020304);
        assertEquals(
                URI.create("http://a--01020304.net/z"), ZoneLocator.defaults().primaryUri(z));
        assertEquals(
                URI.create("http://1.2.3.4/z"),
                ZoneLocator.defaults().fallbackUri(z).orElseThrow());
    }

    /** Draft 2.8: "anode:<address in base32 ASCII encoding>". */
    @Test
    void dnsTxtRecord() throws Exception {
        AnodeAddress a = ZoneData.vector(2);
        assertEquals(
                a,
                AnodeTxtRecords.parse("anode:" + ZoneData.VECTOR_ADDRESSES.get(2))
                        .orElseThrow());
        assertEquals(List.of(a), AnodeTxtRecords.addresses(List.of("v=spf1 -all", AnodeTxtRecords.format(a))));
    }
}
