package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Optional;
import org.anode.address.AnodeAddress;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.junit.jupiter.api.Test;

/**
 * DECISIONS 39 and addendum A2 without DNS: address names resolve with no lookup, synthetic
 * addresses map back to their Anode address, and anything else is left to IP. The DNS half is
 * {@link DnsNamesTest}.
 */
class AnodeNamesTest {
    private final AnodeAddress a = AnodeIdentity.generate(Zone.DEFAULT).address();

    @Test
    void addressNameResolvesWithoutLookup() throws Exception {
        String name = AnodeNames.nameOf(a);
        assertEquals(a + ".anode", name);
        assertEquals(Optional.of(a), AnodeNames.parseAddressName(name));
        assertEquals(Optional.of(a), AnodeNames.parseAddressName(name.toUpperCase(java.util.Locale.ROOT) + "."));
        assertEquals(List.of(a), AnodeNames.resolve(name));
        InetAddress[] ips = AnodeNames.resolveInet(name);
        assertEquals(1, ips.length);
        assertArrayEquals(AnodeSocketAddress.syntheticAddress(a).getAddress(), ips[0].getAddress());
        assertEquals(Optional.of(a), AnodeNames.anodeAddressOf(ips[0]));
    }

    @Test
    void nonNamesAreNotAddresses() {
        assertEquals(Optional.empty(), AnodeNames.parseAddressName("example.anode"));
        assertEquals(Optional.empty(), AnodeNames.parseAddressName(a.toString()));
        assertEquals(Optional.empty(), AnodeNames.parseAddressName(a + ".anodex"));
        assertEquals(Optional.empty(), AnodeNames.parseAddressName(null));
        String broken = "0" + a.toString().substring(1) + ".anode";
        assertTrue(AnodeNames.parseAddressName(broken).isEmpty()
                || !AnodeNames.parseAddressName(broken).get().equals(a));
    }

    /** A bare synthetic literal maps back only once the address is known (resolved or a peer). */
    @Test
    void syntheticLiteralMapsBackOnceRemembered() throws Exception {
        AnodeAddress b = AnodeIdentity.generate(Zone.DEFAULT).address();
        InetAddress literal =
                InetAddress.getByAddress(AnodeSocketAddress.syntheticAddress(b).getAddress());
        assertEquals(Optional.empty(), AnodeNames.anodeAddressOf(literal));
        AnodeNames.remember(b);
        assertEquals(Optional.of(b), AnodeNames.anodeAddressOf(literal));
        AnodeSocketAddress sa = AnodeNames.anodeSocketAddressOf(new InetSocketAddress(literal, 80));
        assertEquals(b, sa.address());
        assertEquals(80, sa.port());
    }

    /** A host name that lies (names an address whose synthetic IP is not this one) is not believed. */
    @Test
    void lyingHostNameIsIgnored() throws Exception {
        AnodeAddress other = AnodeIdentity.generate(Zone.DEFAULT).address();
        InetAddress lie = InetAddress.getByAddress(
                AnodeNames.nameOf(a), AnodeSocketAddress.syntheticAddress(other).getAddress());
        assertTrue(AnodeNames.anodeAddressOf(lie).map(x -> !x.equals(a)).orElse(true));
    }

    @Test
    void ipAddressesAndNamesStayIp() throws Exception {
        assertNull(AnodeNames.anodeSocketAddressOf(new InetSocketAddress(InetAddress.getLoopbackAddress(), 80)));
        assertNull(AnodeNames.anodeSocketAddressOf(InetSocketAddress.createUnresolved("example.com", 80)));
        assertEquals(Optional.empty(), AnodeNames.anodeAddressOf(InetAddress.getByName("fd00::1")));
        AnodeSocketAddress byName =
                AnodeNames.anodeSocketAddressOf(InetSocketAddress.createUnresolved(AnodeNames.nameOf(a), 7));
        assertEquals(a, byName.address());
        assertThrows(UnknownHostException.class, () -> AnodeNames.resolve(""));
    }
}
