package org.anode.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The allocation-free long map behind the peer table's indexes, against HashMap. */
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
}
