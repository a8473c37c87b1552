package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Random;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.junit.jupiter.api.Test;

/** The bounded byte-ring receive queue of a datagram channel against a simple model. */
class DatagramQueueTest {
    static final AnodeSocketAddress S1 =
            AnodeSocketAddress.of(AnodeIdentity.generate(Zone.DEFAULT).address(), 1);
    static final AnodeSocketAddress S2 = AnodeSocketAddress.of(S1.address(), 2);

    record Item(AnodeSocketAddress src, byte[] data) {}

    @Test
    void matchesAModelUnderRandomTrafficWithWrapAroundAndGrowth() {
        for (long seed = 0; seed < 30; seed++) {
            Random rnd = new Random(seed);
            int limit = 1024 + rnd.nextInt(40_000);
            int countLimit = 1 + rnd.nextInt(200);
            AnodeDatagramQueue q = new AnodeDatagramQueue(limit, countLimit);
            ArrayDeque<Item> model = new ArrayDeque<>();
            int bytes = 0;
            long dropped = 0;
            for (int op = 0; op < 3000; op++) {
                if (rnd.nextInt(100) < 55) {
                    byte[] d = new byte[rnd.nextInt(rnd.nextBoolean() ? 40 : 1500)];
                    rnd.nextBytes(d);
                    ByteBuffer src = ByteBuffer.allocate(d.length + 10);
                    int off = rnd.nextInt(10);
                    src.put(off, d);
                    AnodeSocketAddress s = rnd.nextBoolean() ? S1 : S2;
                    boolean fits = model.size() < countLimit && bytes + d.length <= limit;
                    assertEquals(fits, q.offer(s, src, off, d.length), "seed " + seed + " op " + op);
                    if (fits) {
                        model.add(new Item(s, d));
                        bytes += d.length;
                    } else {
                        dropped++;
                    }
                } else if (!model.isEmpty()) {
                    Item it = model.poll();
                    bytes -= it.data().length;
                    assertEquals(it.data().length, q.peekLength());
                    assertEquals(it.src(), q.peekSource());
                    int room = rnd.nextInt(it.data().length + 5);
                    byte[] got;
                    if (rnd.nextBoolean()) {
                        ByteBuffer dst = ByteBuffer.allocate(room);
                        assertEquals(Math.min(room, it.data().length), q.poll(dst));
                        got = java.util.Arrays.copyOf(dst.array(), dst.position());
                    } else {
                        int a = room / 2;
                        ByteBuffer[] dsts = {
                            ByteBuffer.allocate(a), ByteBuffer.allocate(0), ByteBuffer.allocateDirect(room - a)
                        };
                        int n = q.poll(dsts, 0, 3);
                        assertEquals(Math.min(room, it.data().length), n);
                        ByteBuffer all = ByteBuffer.allocate(n);
                        for (ByteBuffer d : dsts) {
                            d.flip();
                            all.put(d);
                        }
                        got = all.array();
                    }
                    assertArrayEquals(java.util.Arrays.copyOf(it.data(), got.length), got, "seed " + seed);
                }
                assertEquals(model.size(), q.size());
            }
            assertEquals(dropped, q.dropped());
        }
    }

    @Test
    void retainOnlyKeepsTheConnectedSourceInOrder() {
        AnodeDatagramQueue q = new AnodeDatagramQueue(4096, 100);
        for (int i = 0; i < 20; i++) {
            q.offer(i % 3 == 0 ? S1 : S2, ByteBuffer.wrap(new byte[] {(byte) i}), 0, 1);
        }
        q.retainOnly(S1);
        assertEquals(7, q.size());
        for (int i = 0; i < 20; i += 3) {
            ByteBuffer b = ByteBuffer.allocate(1);
            assertEquals(S1, q.peekSource());
            q.poll(b);
            assertEquals(i, b.get(0));
        }
        assertTrue(q.isEmpty());
        assertFalse(q.offer(S1, ByteBuffer.allocate(5000), 0, 5000), "larger than the byte limit");
    }
}
