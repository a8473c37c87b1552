package org.anode.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The address cookie and the proven-source table of addendum A15, on a fake clock. */
@Timeout(30)
class AddressCookiesTest {
    private static final long SLOT = AddressCookies.SLOT_NANOS;
    private final AddressCookies cookies = new AddressCookies(new SecureRandom());

    private static InetSocketAddress at(int lastByte, int port) throws Exception {
        return new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) lastByte}), port);
    }

    private ByteBuffer cookie(InetSocketAddress source, long now) {
        ByteBuffer b = ByteBuffer.allocate(3 + AddressCookies.LENGTH);
        b.position(3);
        cookies.write(source, now, b);
        assertEquals(3 + AddressCookies.LENGTH, b.position());
        return b;
    }

    @Test
    void aCookieIsValidInItsSlotAndTheNextOnly() throws Exception {
        InetSocketAddress src = at(1, 4000);
        long t = 5 * SLOT + 7;
        ByteBuffer c = cookie(src, t);
        assertTrue(cookies.check(src, t, c, 3));
        assertTrue(cookies.check(src, 6 * SLOT - 1, c, 3), "end of the same slot");
        assertTrue(cookies.check(src, 6 * SLOT, c, 3), "slot rollover: the previous slot's cookie still holds");
        assertTrue(cookies.check(src, 7 * SLOT - 1, c, 3), "to the end of the next slot");
        assertFalse(cookies.check(src, 7 * SLOT, c, 3), "replayed two slots later: refused");
        assertFalse(cookies.check(src, 4 * SLOT + 7, c, 3), "a cookie from the future is no cookie");
    }

    @Test
    void aCookieIsBoundToTheSourceAddressAndPort() throws Exception {
        long t = -3 * SLOT + 11; // System.nanoTime may be negative
        InetSocketAddress src = at(1, 4000);
        ByteBuffer c = cookie(src, t);
        assertTrue(cookies.check(src, t, c, 3));
        assertFalse(cookies.check(at(2, 4000), t, c, 3), "wrong source address");
        assertFalse(cookies.check(at(1, 4001), t, c, 3), "wrong source port");
        byte[] v6 = new byte[16];
        v6[15] = 1;
        InetSocketAddress six = new InetSocketAddress(InetAddress.getByAddress(v6), 4000);
        ByteBuffer c6 = cookie(six, t);
        assertTrue(cookies.check(six, t, c6, 3));
        assertFalse(cookies.check(src, t, c6, 3), "an IPv6 cookie does not pass for IPv4");
    }

    @Test
    void forgedCookiesAreRefused() throws Exception {
        InetSocketAddress src = at(1, 4000);
        long t = 9 * SLOT;
        ByteBuffer c = cookie(src, t);
        for (int i = 0; i < AddressCookies.LENGTH; i++) {
            ByteBuffer f = ByteBuffer.allocate(c.capacity());
            f.put(0, c, 0, c.capacity());
            f.put(3 + i, (byte) (f.get(3 + i) ^ 1));
            assertFalse(cookies.check(src, t, f, 3), "one bit flipped at byte " + i);
        }
        assertFalse(cookies.check(src, t, ByteBuffer.allocate(c.capacity()), 3), "all zeros");
        AddressCookies other = new AddressCookies(new SecureRandom());
        assertFalse(other.check(src, t, c, 3), "another node's secret");
        assertFalse(cookies.check(src, t, c, 4), "a cookie cut short by the buffer's end is refused");
    }

    @Test
    void provenSourcesAreBoundedAndExpire() throws Exception {
        ProvenSources p = new ProvenSources(4, 10 * SLOT);
        for (int i = 0; i < 10; i++) {
            p.prove(at(1, 5000 + i), 0);
        }
        assertEquals(4, p.size(), "bounded: the oldest proofs are forgotten");
        assertFalse(p.isProven(at(1, 5000), 0));
        assertTrue(p.isProven(at(1, 5009), 0));
        assertFalse(p.isProven(at(2, 5009), 0), "another address");
        assertTrue(p.isProven(at(1, 5009), 10 * SLOT - 1));
        assertFalse(p.isProven(at(1, 5009), 10 * SLOT), "expired");
        assertEquals(3, p.size(), "an expired proof is dropped when looked up");
        p.prove(at(1, 5006), 20 * SLOT);
        p.prove(at(1, 5100), 20 * SLOT);
        p.prove(at(1, 5101), 20 * SLOT);
        assertTrue(p.isProven(at(1, 5006), 20 * SLOT), "a renewed proof is kept over older ones");
        assertFalse(p.isProven(at(1, 5007), 20 * SLOT));
    }

    @Test
    void tokenBucketReportsWhenLessThanAQuarterIsLeft() {
        TokenBucket b = new TokenBucket(8, 4);
        assertFalse(b.mostlySpent(0));
        for (int i = 0; i < 3; i++) {
            assertTrue(b.tryTake(0));
        }
        assertFalse(b.mostlySpent(0), "one of four left");
        assertFalse(b.mostlySpent(0), "asking takes nothing");
        assertTrue(b.tryTake(0));
        assertTrue(b.mostlySpent(0), "none left");
        assertTrue(b.mostlySpent(124_999_999L), "not quite one token back at 8/s");
        assertFalse(b.mostlySpent(125_000_000L), "refilled to one at 8/s");
        TokenBucket small = new TokenBucket(8, 2);
        assertTrue(small.tryTake(0));
        assertFalse(small.mostlySpent(0));
        assertTrue(small.tryTake(0));
        assertTrue(small.mostlySpent(62_500_000L), "half a token: less than the one tryTake needs");
        assertFalse(small.mostlySpent(125_000_000L));
    }
}
