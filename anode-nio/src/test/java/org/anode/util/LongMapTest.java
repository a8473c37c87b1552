package org.anode.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The allocation-free map behind the peer table's indexes and the stream demultiplexing tables
 * (DECISIONS 23), against HashMap.
 */
class LongMapTest {
    @Test
    void behavesLikeAHashMapUnderRandomOperations() {
        for (long seed = 0; seed < 20; seed++) {
            Random rnd = new Random(seed);
            LongMap<String> m = new LongMap<>(4);
            Map<Long, String> model = new HashMap<>();
            for (int i = 0; i < 20_000; i++) {
                // A small key space forces collisions, probing chains and backward shifts.
                long k = rnd.nextBoolean() ? rnd.nextInt(64) : rnd.nextLong();
                switch (rnd.nextInt(3)) {
                    case 0 -> assertEquals(model.put(k, "v" + i), m.put(k, "v" + i));
                    case 1 -> assertEquals(model.remove(k), m.remove(k));
                    default -> assertEquals(model.get(k), m.get(k));
                }
                assertEquals(model.size(), m.size());
            }
            for (Map.Entry<Long, String> e : model.entrySet()) {
                assertEquals(e.getValue(), m.get(e.getKey()));
            }
        }
    }

    @Test
    void intKeysAndRemovalByOwnerAgreeWithHashMap() {
        for (long seed = 0; seed < 20; seed++) {
            Random r = new Random(seed);
            LongMap<Integer> m = new LongMap<>();
            Map<Integer, Integer> ref = new HashMap<>();
            // A small key space forces long probe runs, collisions and backward shifts.
            int keySpace = 1 + r.nextInt(seed % 2 == 0 ? 64 : 5000);
            for (int i = 0; i < 20_000; i++) {
                int k = r.nextInt(keySpace) * (seed % 3 == 0 ? 65536 : 1) - (seed % 5 == 0 ? keySpace / 2 : 0);
                int op = r.nextInt(10);
                if (op < 5) {
                    Integer v = r.nextInt();
                    assertEquals(ref.put(k, v), m.put(k, v));
                } else if (op < 8) {
                    Integer cur = ref.get(k);
                    Object expected = r.nextBoolean() && cur != null ? cur : Integer.valueOf(r.nextInt());
                    boolean removed = m.remove(k, expected);
                    assertEquals(cur != null && cur.equals(expected) && cur == expected, removed);
                    if (removed) {
                        ref.remove(k);
                    }
                } else {
                    assertEquals(ref.get(k), m.get(k));
                }
                assertEquals(ref.size(), m.size());
            }
            for (Map.Entry<Integer, Integer> e : ref.entrySet()) {
                assertEquals(e.getValue(), m.get(e.getKey()));
            }
            Set<Integer> seen = new HashSet<>();
            m.forEach(seen::add);
            assertEquals(new HashSet<>(ref.values()), seen);
        }
    }

    @Test
    void shrinksBackAfterRemovals() {
        LongMap<String> m = new LongMap<>();
        String[] values = new String[10_000];
        for (int i = 0; i < values.length; i++) {
            values[i] = "v" + i;
            m.put(i << 16 | 7, values[i]);
        }
        for (int i = 0; i < values.length; i++) {
            assertTrue(m.remove(i << 16 | 7, values[i]));
        }
        assertTrue(m.isEmpty());
        assertNull(m.get(7));
        assertEquals(8, m.capacity(), m.toString());
        assertTrue(m.toString().contains("capacity=8"), m.toString());
    }

    @Test
    void neverShrinksBelowItsSizingAndClearEmpties() {
        LongMap<String> m = new LongMap<>(1024);
        int cap = m.capacity();
        for (long k = 0; k < 100; k++) {
            m.put(k, "x");
        }
        for (long k = 0; k < 100; k++) {
            assertEquals("x", m.remove(k));
        }
        assertEquals(cap, m.capacity());
        m.put(5, "y");
        m.clear();
        assertTrue(m.isEmpty());
        assertNull(m.get(5));
    }
}
