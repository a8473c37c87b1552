package org.anode.nio;

import static java.nio.channels.SelectionKey.OP_READ;
import static java.nio.channels.SelectionKey.OP_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The selector against a model that polls every key on every select (what a naive, obviously correct
 * selector does): for any sequence of readiness changes, interest changes, cancellations,
 * re-registrations and selected-set edits, the queue-driven selector returns the same counts, the same
 * selected set and the same ready sets (checklist 4, 6, 8, 9, 13).
 */
class SelectorModelProperties {
    private static final int CHANNELS = 3;
    private static final int[] OPS = {0, OP_READ, OP_WRITE, OP_READ | OP_WRITE};

    /** What the model knows about one channel. */
    private static final class ModelChannel {
        int ready;
        int interest;
        boolean registered;
        boolean cancelled;
        int keyReady;
        SelectionKey key;
    }

    @Property(tries = 500)
    void matchesPollingModel(@ForAll @Size(max = 100) List<@IntRange(min = 0, max = 4095) Integer> steps)
            throws IOException {
        AnodeSelectorProvider provider = SelectorTestSupport.provider();
        SelectorTestChannel[] channels = new SelectorTestChannel[CHANNELS];
        ModelChannel[] model = new ModelChannel[CHANNELS];
        Set<Integer> selected = new HashSet<>();
        try (Selector selector = provider.openSelector()) {
            for (int i = 0; i < CHANNELS; i++) {
                channels[i] = SelectorTestChannel.nonBlocking(provider, OP_READ | OP_WRITE);
                model[i] = new ModelChannel();
                model[i].interest = OP_READ | OP_WRITE;
                model[i].key = channels[i].register(selector, OP_READ | OP_WRITE, i);
                model[i].registered = true;
            }
            for (int step : steps) {
                int action = step % 8;
                int c = (step / 8) % CHANNELS;
                int ops = OPS[(step / 32) % OPS.length];
                ModelChannel m = model[c];
                switch (action) {
                    case 0 -> {
                        channels[c].setReady(ops);
                        m.ready = ops;
                    }
                    case 1 -> {
                        if (m.registered && !m.cancelled) {
                            m.key.interestOps(ops);
                            m.interest = ops;
                        }
                    }
                    case 2 -> {
                        int expected = modelSelect(model, selected);
                        assertEquals(expected, selector.selectNow(), "selectNow count");
                        checkSelected(selector, model, selected);
                    }
                    case 3 -> {
                        selector.selectedKeys().remove(m.key);
                        selected.remove(c);
                    }
                    case 4 -> {
                        selector.selectedKeys().clear();
                        selected.clear();
                    }
                    case 5 -> {
                        if (m.registered) {
                            m.key.cancel();
                            m.cancelled = true;
                        }
                    }
                    case 6 -> {
                        if (m.registered && m.cancelled) {
                            assertThrows(CancelledKeyException.class, () -> channels[c].register(selector, ops));
                        } else if (!m.registered) {
                            m.key = channels[c].register(selector, ops, c);
                            m.registered = true;
                            m.cancelled = false;
                            m.interest = ops;
                            m.keyReady = 0;
                        }
                    }
                    default -> {
                        Set<Integer> expectedKeys = new HashSet<>();
                        int expected = modelSelectWithAction(model, selected, expectedKeys);
                        Set<Integer> seen = new HashSet<>();
                        int n = selector.selectNow(k -> {
                            assertTrue(seen.add((Integer) k.attachment()), "a key handed over twice");
                            assertEquals(model[(Integer) k.attachment()].keyReady, k.readyOps());
                        });
                        assertEquals(expected, n, "selectNow(action) count");
                        assertEquals(expectedKeys, seen);
                        checkSelected(selector, model, selected);
                    }
                }
            }
            int expected = modelSelect(model, selected);
            assertEquals(expected, selector.selectNow());
            checkSelected(selector, model, selected);
        } finally {
            for (SelectorTestChannel ch : channels) {
                if (ch != null) {
                    ch.close();
                }
            }
        }
    }

    private static void deregisterCancelled(ModelChannel[] model, Set<Integer> selected) {
        for (int i = 0; i < model.length; i++) {
            if (model[i].registered && model[i].cancelled) {
                model[i].registered = false;
                model[i].cancelled = false;
                selected.remove(i);
            }
        }
    }

    private static int modelSelect(ModelChannel[] model, Set<Integer> selected) {
        deregisterCancelled(model, selected);
        int n = 0;
        for (int i = 0; i < model.length; i++) {
            ModelChannel m = model[i];
            int r = m.registered ? m.ready & m.interest : 0;
            if (r == 0) {
                continue;
            }
            if (selected.contains(i)) {
                if ((r & ~m.keyReady) != 0) {
                    m.keyReady |= r;
                    n++;
                }
            } else {
                selected.add(i);
                m.keyReady = r;
                n++;
            }
        }
        return n;
    }

    private static int modelSelectWithAction(ModelChannel[] model, Set<Integer> selected, Set<Integer> handed) {
        deregisterCancelled(model, selected);
        for (int i = 0; i < model.length; i++) {
            ModelChannel m = model[i];
            int r = m.registered ? m.ready & m.interest : 0;
            if (r != 0) {
                m.keyReady = r;
                handed.add(i);
            }
        }
        return handed.size();
    }

    private static void checkSelected(Selector selector, ModelChannel[] model, Set<Integer> selected) {
        Set<Integer> actual = new HashSet<>();
        for (SelectionKey k : selector.selectedKeys()) {
            int i = (Integer) k.attachment();
            actual.add(i);
            assertEquals(model[i].keyReady, k.readyOps(), "ready set of key " + i);
        }
        assertEquals(selected, actual, "selected set");
        for (int i = 0; i < model.length; i++) {
            assertEquals(model[i].registered, model[i].key.channel().isRegistered(), "registration of " + i);
            assertFalse(model[i].registered && !model[i].cancelled && !model[i].key.isValid());
        }
    }
}
