package org.anode.zone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.anode.address.AnodeAddress;
import org.anode.address.InvalidAddressException;
import org.junit.jupiter.api.Test;

/** Anode addresses in DNS TXT records, draft 2.8 and DECISIONS 13. */
class AnodeTxtRecordsTest {
    private static final String A0 = ZoneTestData.VECTOR_ADDRESSES.get(0);
    private static final String A1 = ZoneTestData.VECTOR_ADDRESSES.get(1);

    @Test
    void recordForms() throws Exception {
        AnodeAddress a = ZoneTestData.vector(0);
        assertEquals(a, AnodeTxtRecords.parse("anode:" + A0).orElseThrow());
        assertEquals(a, AnodeTxtRecords.parse("ANODE:" + A0).orElseThrow());
        assertEquals(a, AnodeTxtRecords.parse("AnOdE:" + A0.toUpperCase()).orElseThrow());
        assertEquals(a, AnodeTxtRecords.parse("  \tanode:" + A0 + " ").orElseThrow());
        assertEquals(a, AnodeTxtRecords.parse("\"anode:" + A0 + "\"").orElseThrow());
        assertEquals(a, AnodeTxtRecords.parse(" \" anode:" + A0 + " \" ").orElseThrow());
        assertEquals("anode:" + A0, AnodeTxtRecords.format(a));
    }

    @Test
    void otherRecordsAreNotAnodeRecords() throws Exception {
        for (String s : List.of(
                "",
                "v=spf1 -all",
                "anode",
                "anode-x:" + A0,
                A0,
                "\"",
                "xanode:" + A0,
                "google-site-verification=abc",
                "\"anode:" + A0)) {
            assertTrue(AnodeTxtRecords.parse(s).isEmpty(), s);
        }
    }

    @Test
    void badAddressAfterPrefixIsAnError() {
        for (String s : List.of(
                "anode:",
                "anode:xyz",
                "anode: " + A0,
                "anode:" + A0 + "a",
                "anode:" + A0.substring(1),
                "anode:" + A0.replace('a', '1'),
                "anode:" + A0 + " x")) {
            assertThrows(InvalidAddressException.class, () -> AnodeTxtRecords.parse(s), s);
        }
    }

    @Test
    void listSkipsOtherAndBadRecordsAndDuplicates() {
        List<AnodeAddress> got = AnodeTxtRecords.addresses(Arrays.asList(
                "v=spf1 -all", "anode:" + A1, "anode:bad", null, "\"ANODE:" + A0.toUpperCase() + "\"", "anode:" + A1));
        assertEquals(List.of(ZoneTestData.vector(1), ZoneTestData.vector(0)), got);
        assertTrue(AnodeTxtRecords.addresses(List.of()).isEmpty());
    }
}
