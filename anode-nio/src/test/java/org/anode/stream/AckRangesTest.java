package org.anode.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.BitSet;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Acknowledgement ranges (draft 5.2.4, DECISIONS 22): (first, count) pairs, count 1..255, merged. */
class AckRangesTest {
    @Test
    void draftExampleOneFourAcknowledgesOneToFour() {
        AckRanges r = new AckRanges(4);
        r.append(1, 4);
        assertTrue(r.contains(1) && r.contains(2) && r.contains(3) && r.contains(4));
        assertFalse(r.contains(0) || r.contains(5));
        assertEquals(4, r.totalCount());
    }

    @Test
    void appendRejectsCountsOutsideOneTo255() {
        AckRanges r = new AckRanges(4);
        assertThrows(IllegalArgumentException.class, () -> r.append(1, 0));
        assertThrows(IllegalArgumentException.class, () -> r.append(1, 256));
        assertTrue(r.append(1, 255));
        assertEquals(0, new AckRanges(1).size());
    }

    @Test
    void consecutiveAddsMergeIntoOnePair() {
        AckRanges r = new AckRanges(8);
        for (int s = 100; s < 110; s++) {
            r.add(s, 1);
        }
        assertArrayEquals(new int[][] {{100, 10}}, r.toArray());
        r.add(99, 1); // touches the front
        assertArrayEquals(new int[][] {{99, 11}}, r.toArray());
        r.add(105, 3); // already covered: nothing changes
        assertArrayEquals(new int[][] {{99, 11}}, r.toArray());
    }

    @Test
    void longRunsSplitAt255() {
        AckRanges r = new AckRanges(8);
        assertTrue(r.add(1, 600));
        assertArrayEquals(new int[][] {{1, 255}, {256, 255}, {511, 90}}, r.toArray());
    }

    @Test
    void mergingWorksAcrossTheSequenceWrap() {
        AckRanges r = new AckRanges(8);
        r.add(0xFFFF_FFFE, 2);
        r.add(0, 3);
        assertArrayEquals(new int[][] {{0xFFFF_FFFE, 5}}, r.toArray());
        assertTrue(r.contains(0xFFFF_FFFF));
        assertTrue(r.contains(2));
        assertFalse(r.contains(3));
    }

    @Test
    void fullListReportsWhatDidNotFit() {
        AckRanges r = new AckRanges(2);
        assertTrue(r.add(1, 1));
        assertTrue(r.add(10, 1));
        assertFalse(r.add(20, 1));
        assertTrue(r.isFull());
        assertFalse(r.append(30, 1));
        assertEquals(2, r.size());
    }

    @Test
    void randomAddsCoverExactlyTheAddedNumbersWithoutOverlap() {
        Random rnd = new Random(42);
        for (int trial = 0; trial < 500; trial++) {
            int base = rnd.nextInt();
            AckRanges r = new AckRanges(256);
            BitSet want = new BitSet();
            for (int k = 0; k < 40; k++) {
                int off = rnd.nextInt(2000);
                int cnt = 1 + rnd.nextInt(rnd.nextBoolean() ? 3 : 400);
                assertTrue(r.add(base + off, cnt));
                want.set(off, off + cnt);
            }
            BitSet got = new BitSet();
            for (int i = 0; i < r.size(); i++) {
                assertTrue(r.count(i) >= 1 && r.count(i) <= 255);
                int off = r.first(i) - base;
                for (int j = 0; j < r.count(i); j++) {
                    assertFalse(got.get(off + j), "pairs overlap");
                    got.set(off + j);
                }
            }
            assertEquals(want, got, "trial " + trial);
            assertEquals(want.cardinality(), r.totalCount());
        }
    }

    @Test
    void clearAndReuse() {
        AckRanges r = new AckRanges(3);
        r.add(5, 10);
        r.clear();
        assertEquals(0, r.size());
        assertThrows(IndexOutOfBoundsException.class, () -> r.first(0));
        r.add(7, 1);
        assertEquals(7, r.first(0));
        assertEquals(1, r.count(0));
        assertEquals("[7+1]", r.toString());
    }
}
