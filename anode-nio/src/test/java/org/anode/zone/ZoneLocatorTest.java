package org.anode.zone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.List;
import org.anode.address.Zone;
import org.junit.jupiter.api.Test;

/** Zone file URLs, draft 2.1.1 and DECISIONS 11. */
class ZoneLocatorTest {

    @Test
    void draftUrls() {
        ZoneLocator l = ZoneLocator.defaults();
        assertEquals(URI.create("http://a--0a0b0c0d.net/z"), l.primaryUri(new Zone(0x0a0b0c0d)));
        assertEquals(
                URI.create("http://10.11.12.13/z"),
                l.fallbackUri(new Zone(0x0a0b0c0d)).orElseThrow());
        assertEquals(URI.create("http://a--ffffffff.net/z"), l.primaryUri(new Zone(-1)));
        assertEquals(
                URI.create("http://255.255.255.255/z"),
                l.fallbackUri(new Zone(-1)).orElseThrow());
        assertEquals(URI.create("http://a--00000000.net/z"), l.primaryUri(Zone.DEFAULT));
        assertEquals(
                List.of(URI.create("http://a--d730b30b.net/z"), URI.create("http://215.48.179.11/z")),
                l.uris(new Zone(0xd730b30b)));
        assertEquals("a--d730b30b.net", ZoneLocator.hostName(new Zone(0xd730b30b)));
        assertEquals("0.0.0.1", ZoneLocator.ipv4Literal(new Zone(1)));
    }

    @Test
    void templatesOverrideBoth() {
        ZoneLocator l = ZoneLocator.of("http://127.0.0.1:8080/zones/{zone}", "https://[::1]:8443/ip/{ipv4}/z");
        Zone z = new Zone(0x01020304);
        assertEquals(URI.create("http://127.0.0.1:8080/zones/01020304"), l.primaryUri(z));
        assertEquals(
                URI.create("https://[::1]:8443/ip/1.2.3.4/z"), l.fallbackUri(z).orElseThrow());
        ZoneLocator single = ZoneLocator.of("http://127.0.0.1:1/fixed", null);
        assertTrue(single.fallbackUri(z).isEmpty());
        assertEquals(1, single.uris(z).size());
        assertEquals(
                1, ZoneLocator.of("http://h/{zone}", "http://h/{zone}").uris(z).size());
    }

    @Test
    void badTemplatesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> ZoneLocator.of("ftp://h/{zone}", null));
        assertThrows(IllegalArgumentException.class, () -> ZoneLocator.of("/relative/{zone}", null));
        assertThrows(IllegalArgumentException.class, () -> ZoneLocator.of("http://h/{zon}", null));
        assertThrows(IllegalArgumentException.class, () -> ZoneLocator.of("http://h/{zone}", "http://h/ z"));
        assertThrows(IllegalArgumentException.class, () -> ZoneLocator.of("http:///nohost", null));
        assertThrows(NullPointerException.class, () -> ZoneLocator.of(null, null));
    }
}
