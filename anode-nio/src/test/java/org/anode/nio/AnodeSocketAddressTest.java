package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import org.anode.address.AnodeAddress;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.junit.jupiter.api.Test;

/** AnodeSocketAddress: Anode address (draft 2.2) + Anode port, as an InetSocketAddress (checklist 3). */
class AnodeSocketAddressTest {
    static final AnodeAddress A = AnodeIdentity.generate(Zone.DEFAULT).address();
    static final AnodeAddress B = AnodeIdentity.generate(new Zone(0x01020304)).address();

    @Test
    void behavesAsAnInetSocketAddressNamingTheAnodeAddress() {
        AnodeSocketAddress s = new AnodeSocketAddress(A, 7);
        assertEquals(A, s.address());
        assertEquals(7, s.getPort());
        assertEquals(7, s.port());
        assertEquals(A.toString(), s.getHostString());
        assertEquals(A.toString(), s.getHostName());
        assertFalse(s.isUnresolved());
        assertInstanceOf(Inet6Address.class, s.getAddress());
        assertEquals(0xfd, s.getAddress().getAddress()[0] & 0xff, "unique-local synthetic address");
        assertEquals(A + ":7", s.toString());
    }

    @Test
    void equalityFollowsAddressAndPort() {
        assertEquals(new AnodeSocketAddress(A, 7), AnodeSocketAddress.of(A, 7));
        assertEquals(
                new AnodeSocketAddress(A, 7).hashCode(),
                AnodeSocketAddress.of(A, 7).hashCode());
        assertNotEquals(new AnodeSocketAddress(A, 7), new AnodeSocketAddress(A, 8));
        assertNotEquals(new AnodeSocketAddress(A, 7), new AnodeSocketAddress(B, 7));
    }

    @Test
    void parseRoundTripsAndRejectsBadInput() {
        AnodeSocketAddress s = new AnodeSocketAddress(B, 65535);
        assertEquals(s, AnodeSocketAddress.parse(s.toString()));
        assertEquals(s, AnodeSocketAddress.parse(s.toString().toUpperCase()));
        assertEquals(new AnodeSocketAddress(A, 0), AnodeSocketAddress.parse(A + ":0"));
        for (String bad : new String[] {
            "",
            A.toString(),
            A + ":",
            ":7",
            A + ":65536",
            A + ":-1",
            A + ":x",
            "aaaa:7",
            A.toString().substring(1) + "b:7"
        }) {
            assertThrows(IllegalArgumentException.class, () -> AnodeSocketAddress.parse(bad), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> new AnodeSocketAddress(A, 70000));
        assertThrows(NullPointerException.class, () -> new AnodeSocketAddress(null, 1));
    }

    @Test
    void recoversFromCopiesButNotFromLookalikes() throws Exception {
        AnodeSocketAddress s = new AnodeSocketAddress(A, 9);
        assertEquals(s, AnodeSocketAddress.from(new InetSocketAddress(s.getAddress(), 9)));
        assertEquals(s, AnodeSocketAddress.from(InetSocketAddress.createUnresolved(A.toString(), 9)));
        assertNull(
                AnodeSocketAddress.from(new InetSocketAddress(
                        java.net.InetAddress.getByAddress(A.toString(), new byte[] {127, 0, 0, 1}), 9)),
                "a host name on another IP is only a label");
        assertNull(AnodeSocketAddress.from(InetSocketAddress.createUnresolved("example.org", 9)));
    }

    @Test
    void serializesThroughItsValidatedTextForm() throws Exception {
        AnodeSocketAddress s = new AnodeSocketAddress(A, 1234);
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bos)) {
            out.writeObject(s);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bos.toByteArray()))) {
            Object o = in.readObject();
            assertEquals(s, o);
            assertEquals(A, ((AnodeSocketAddress) o).address());
        }
    }

    /**
     * The synthetic addresses are cached (a connection makes several of the same two): whatever the
     * cache holds, every address still gets its own digest-derived address and name, also when
     * more addresses pass than the cache has slots and they evict each other.
     */
    @Test
    void syntheticAddressesStayRightThroughTheCache() {
        java.util.List<AnodeAddress> many = new java.util.ArrayList<>();
        for (int i = 0; i < 150; i++) {
            many.add(AnodeIdentity.generate(Zone.DEFAULT).address());
        }
        for (int pass = 0; pass < 3; pass++) {
            for (AnodeAddress a : many) {
                java.net.InetAddress syn = AnodeSocketAddress.syntheticAddress(a);
                byte[] d = org.anode.crypto.internal.AesDigest.digest(a.toByteArray());
                byte[] ip = syn.getAddress();
                assertEquals(16, ip.length);
                assertEquals(0xfd, ip[0] & 0xff);
                assertEquals(
                        java.util.Arrays.toString(java.util.Arrays.copyOf(d, 15)),
                        java.util.Arrays.toString(java.util.Arrays.copyOfRange(ip, 1, 16)));
                assertEquals(a.toString(), syn.getHostName());
                assertEquals(a, AnodeSocketAddress.of(a, pass).address());
            }
        }
    }
}
