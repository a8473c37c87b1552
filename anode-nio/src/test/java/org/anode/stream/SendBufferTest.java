package org.anode.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** {@link SendBuffer}: the byte ring, the packet descriptors and the flight accounting. */
class SendBufferTest {
    private static ByteBuffer bytes(int n, int seed) {
        ByteBuffer b = ByteBuffer.allocate(n);
        for (int i = 0; i < n; i++) {
            b.put((byte) (seed + i));
        }
        return b.flip();
    }

    @Test
    void writesAreBoundedBySoSndbufAndTheRingGrowsOnDemand() {
        SendBuffer b = new SendBuffer(64 * 1024, 64, 100);
        assertFalse(b.hasRing());
        assertEquals(0, b.allocatedBytes());
        assertEquals(40_000, b.write(bytes(40_000, 0)));
        assertEquals(64 * 1024 - 40_000, b.free());
        assertEquals(64 * 1024 - 40_000, b.write(bytes(30_000, 0)), "only what SO_SNDBUF leaves room for");
        assertEquals(0, b.write(bytes(1, 0)));
        assertEquals(64 * 1024, b.unacknowledged());
        assertEquals(64 * 1024, b.unsent());
        assertEquals(64 * 1024 + SendBuffer.INITIAL_RECORDS * SendBuffer.RECORD_BYTES, b.allocatedBytes());
    }

    @Test
    void packetsCarryConsecutiveSequenceNumbersAndTheirBytes() {
        SendBuffer b = new SendBuffer(64 * 1024, 64, -1);
        b.write(bytes(3000, 7));
        assertTrue(b.recordRoom());
        int s1 = b.sendNew(10, 1000, (byte) 0);
        int s2 = b.sendNew(20, 1000, (byte) 0);
        assertEquals(-1, s1);
        assertEquals(0, s2, "sequence numbers wrap modulo 2^32");
        assertEquals(1, b.nxt());
        assertEquals(2000, b.inFlight());
        assertEquals(2000, b.outstanding());
        assertEquals(1000, b.unsent());
        assertEquals(1000, b.start(s2));
        assertEquals(20, b.sentAt(s2));
        ByteBuffer p = b.payload(b.start(s2), b.length(s2), 1400);
        assertEquals(1000, p.remaining());
        assertEquals((byte) (7 + 1000), p.get(p.position()));
    }

    @Test
    void lossRetransmissionAndAcknowledgementKeepThePipeAccounting() {
        SendBuffer b = new SendBuffer(64 * 1024, 64, 1);
        b.write(bytes(3000, 0));
        for (int i = 0; i < 3; i++) {
            b.recordRoom();
            b.sendNew(i, 1000, (byte) 0);
        }
        b.markLost(1);
        assertEquals(1, b.lostCount());
        assertEquals(2000, b.inFlight());
        assertEquals(3000, b.outstanding());
        assertEquals(1, b.nextLost());
        b.markRetransmitted(1, 50);
        assertEquals(0, b.lostCount());
        assertEquals(3000, b.inFlight());
        assertTrue((b.flags(1) & SendBuffer.F_RETX) != 0);
        assertEquals(b.nxt(), b.nextLost(), "nothing else is lost");
        byte f = b.markAcked(2);
        assertEquals(0, f);
        b.advance();
        assertEquals(1, b.una(), "a gap before the acknowledged packet holds una");
        assertEquals(3, b.newestUnacked());
        b.markAcked(1);
        b.advance();
        assertEquals(3, b.una());
        assertEquals(1000, b.unacknowledged());
        b.markAcked(3);
        b.advance();
        assertTrue(b.allAcked());
        assertEquals(0, b.inFlight());
        assertEquals(0, b.outstanding());
        assertTrue(b.releasable());
        b.releaseIfIdle();
        assertEquals(0, b.allocatedBytes());
    }

    @Test
    void aTimeoutJudgesEverythingInFlightLost() {
        SendBuffer b = new SendBuffer(64 * 1024, 64, 1);
        b.write(bytes(3000, 0));
        for (int i = 0; i < 3; i++) {
            b.recordRoom();
            b.sendNew(i, 1000, (byte) 0);
        }
        b.markAcked(2);
        b.markAllLost();
        assertEquals(2, b.lostCount());
        assertEquals(0, b.inFlight());
        assertEquals(1, b.nextLost());
    }

    @Test
    void theDescriptorRingGrowsUpToMaxPacketsInFlightKeepingSequenceNumbers() {
        SendBuffer b = new SendBuffer(1 << 20, 128, 5);
        b.write(bytes(200, 0));
        for (int i = 0; i < 128; i++) {
            assertTrue(b.recordRoom());
            b.sendNew(i, 1, (byte) 0);
        }
        assertFalse(b.recordRoom(), "at maxPacketsInFlight");
        assertEquals(5 + 100, b.start(5 + 100) + 5);
        assertEquals(100, b.sentAt(5 + 100));
    }

    @Test
    void aFinTakesASequenceNumberButNoBytes() {
        SendBuffer b = new SendBuffer(1024, 64, 9);
        b.recordRoom();
        int s = b.sendFin(3);
        assertEquals(9, s);
        assertEquals(SendBuffer.F_FIN, b.flags(s));
        assertEquals(0, b.inFlight());
        b.markAcked(s);
        b.advance();
        assertTrue(b.allAcked());
    }

    @Test
    void aWrappedPayloadIsCopiedIntoScratch() {
        SendBuffer b = new SendBuffer(SendBuffer.INITIAL_RING, 64, 1);
        b.write(bytes(SendBuffer.INITIAL_RING - 100, 0));
        b.recordRoom();
        b.sendNew(0, SendBuffer.INITIAL_RING - 100, (byte) 0);
        b.markAcked(1);
        b.advance();
        b.write(bytes(300, 50));
        b.recordRoom();
        int s = b.sendNew(1, 300, (byte) 0);
        ByteBuffer p = b.payload(b.start(s), 300, 1400);
        assertEquals(300, p.remaining());
        for (int i = 0; i < 300; i++) {
            assertEquals((byte) (50 + i), p.get(p.position() + i));
        }
    }
}
