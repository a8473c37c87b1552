package org.anode.conformance.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.anode.wire.FrameDecoder;
import org.anode.wire.PacketFormat;
import org.anode.wire.WireException;

/** TCP/HTTP framing (draft 2.9.2, 2.9.3, DECISIONS 14): the same packets for every chunking. */
class FramingProperties {

    @Provide
    Arbitrary<List<byte[]>> packetLists() {
        return Arbitraries.bytes()
                .array(byte[].class)
                .ofMinSize(PacketFormat.MIN_HEADER_LENGTH)
                .ofMaxSize(400)
                .list()
                .ofMinSize(0)
                .ofMaxSize(12);
    }

    private static byte[] stream(List<byte[]> packets) {
        int n = 0;
        for (byte[] p : packets) {
            n += 2 + p.length;
        }
        ByteBuffer s = ByteBuffer.allocate(n);
        for (byte[] p : packets) {
            FrameDecoder.writeFrame(s, ByteBuffer.wrap(p));
        }
        return s.array();
    }

    private static List<byte[]> decode(FrameDecoder d, byte[] stream, int[] cuts) throws WireException {
        List<byte[]> out = new ArrayList<>();
        int from = 0;
        for (int i = 0; i <= cuts.length; i++) {
            int to = i < cuts.length ? cuts[i] : stream.length;
            // Each chunk in its own buffer at a non-zero offset, as a socket read would deliver it.
            ByteBuffer chunk = ByteBuffer.allocate(to - from + 3).position(3);
            chunk.put(stream, from, to - from).flip().position(3);
            ByteBuffer p;
            while ((p = d.next(chunk)) != null) {
                byte[] copy = new byte[p.remaining()];
                p.get(copy);
                out.add(copy);
            }
            assertFalse(chunk.hasRemaining(), "a null result means the chunk was consumed");
            from = to;
        }
        return out;
    }

    private static void assertSame(List<byte[]> expected, List<byte[]> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i));
        }
    }

    @Property(tries = 300)
    void samePacketsForEveryChunking(@ForAll("packetLists") List<byte[]> packets, @ForAll long seed) throws Exception {
        byte[] s = stream(packets);
        Random rnd = new Random(seed);
        int n = s.length == 0 ? 0 : rnd.nextInt(Math.min(s.length, 40));
        int[] cuts = rnd.ints(n, 0, s.length + 1).sorted().toArray();
        FrameDecoder d = new FrameDecoder(400);
        assertSame(packets, decode(d, s, cuts));
        assertTrue(d.atFrameBoundary());
    }

    @Property(tries = 30)
    void oneByteAtATime(@ForAll("packetLists") List<byte[]> packets) throws Exception {
        byte[] s = stream(packets);
        int[] cuts = new int[Math.max(0, s.length - 1)];
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = i + 1;
        }
        assertSame(packets, decode(new FrameDecoder(), s, cuts));
    }

    @Property(tries = 200)
    void truncatedStreamLeavesAPartialFrame(
            @ForAll("packetLists") List<byte[]> packets, @ForAll @IntRange(min = 1, max = 500) int cut)
            throws Exception {
        byte[] s = stream(packets);
        if (s.length == 0) {
            return;
        }
        int end = s.length - 1 - (cut % s.length);
        FrameDecoder d = new FrameDecoder();
        List<byte[]> got = decode(d, java.util.Arrays.copyOf(s, end), new int[0]);
        assertTrue(got.size() < packets.size());
        assertSame(packets.subList(0, got.size()), got);
        // Whatever was cut off, the decoder is mid-frame unless the cut fell on a boundary.
        int consumed = 0;
        for (byte[] p : got) {
            consumed += 2 + p.length;
        }
        assertEquals(consumed == end, d.atFrameBoundary());
    }

    @Property(tries = 300)
    void impossibleLengthsAreRejectedForGood(@ForAll @IntRange(min = 0, max = 0xffff) int length) throws Exception {
        FrameDecoder d = new FrameDecoder(1500);
        ByteBuffer in = ByteBuffer.allocate(2).putShort((short) length).flip();
        if (length >= PacketFormat.MIN_HEADER_LENGTH && length <= 1500) {
            assertNull(d.next(in));
            assertFalse(d.isFailed());
        } else {
            WireException e = assertThrows(WireException.class, () -> d.next(in));
            assertTrue(e.getMessage().contains(Integer.toString(length)));
            assertTrue(d.isFailed());
            assertThrows(WireException.class, () -> d.next(ByteBuffer.allocate(4)));
        }
    }

    @Property(tries = 300)
    void randomStreamsNeverThrowAnythingElse(@ForAll byte[] garbage) {
        FrameDecoder d = new FrameDecoder(512);
        ByteBuffer in = ByteBuffer.wrap(garbage);
        try {
            int frames = 0;
            while (d.next(in) != null) {
                frames++;
            }
            assertTrue(frames <= garbage.length / (2 + PacketFormat.MIN_HEADER_LENGTH));
            assertFalse(in.hasRemaining());
        } catch (WireException e) {
            assertTrue(d.isFailed());
        }
    }
}
