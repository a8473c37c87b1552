package org.anode.nio;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * An open-addressing map from {@code int} to object for the stream layer's per-remote link tables
 * (draft 5.2, DECISIONS 23): the per-packet lookup by (remote link id, local port or link id)
 * neither boxes nor allocates. Linear probing with backward-shift deletion, so no tombstones pile
 * up as connections come and go. Not thread-safe: {@link StreamLayer} guards it.
 */
final class StreamIntMap<V> {
    private int[] keys;
    private Object[] values;
    private int size;
    private int mask;

    StreamIntMap() {
        keys = new int[8];
        values = new Object[8];
        mask = 7;
    }

    private static int slot(int k, int mask) {
        int h = k * 0x9E3779B1;
        return (h ^ (h >>> 16)) & mask;
    }

    @SuppressWarnings("unchecked")
    V get(int key) {
        Object[] v = values;
        int[] k = keys;
        int m = mask;
        for (int i = slot(key, m);; i = (i + 1) & m) {
            Object o = v[i];
            if (o == null) {
                return null;
            }
            if (k[i] == key) {
                return (V) o;
            }
        }
    }

    /** Puts {@code value} (non-null) and returns the value it replaced, or null. */
    @SuppressWarnings("unchecked")
    V put(int key, V value) {
        if ((size + 1) * 4 > values.length * 3) {
            grow();
        }
        for (int i = slot(key, mask);; i = (i + 1) & mask) {
            Object o = values[i];
            if (o == null) {
                keys[i] = key;
                values[i] = value;
                size++;
                return null;
            }
            if (keys[i] == key) {
                values[i] = value;
                return (V) o;
            }
        }
    }

    /** Removes {@code key} if it maps to {@code expected}; returns whether it did. */
    boolean remove(int key, Object expected) {
        for (int i = slot(key, mask);; i = (i + 1) & mask) {
            Object o = values[i];
            if (o == null) {
                return false;
            }
            if (keys[i] == key) {
                if (o != expected) {
                    return false;
                }
                deleteAt(i);
                return true;
            }
        }
    }

    private void deleteAt(int i) {
        // Backward-shift: move later entries of the probe run into the hole so lookups stay correct.
        int hole = i;
        int j = i;
        while (true) {
            j = (j + 1) & mask;
            Object o = values[j];
            if (o == null) {
                break;
            }
            int home = slot(keys[j], mask);
            boolean movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
            if (movable) {
                keys[hole] = keys[j];
                values[hole] = o;
                hole = j;
            }
        }
        values[hole] = null;
        keys[hole] = 0;
        size--;
        if (values.length > 8 && size * 8 < values.length) {
            rehash(values.length / 2);
        }
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    @SuppressWarnings("unchecked")
    void forEach(Consumer<V> action) {
        for (Object o : values.clone()) {
            if (o != null) {
                action.accept((V) o);
            }
        }
    }

    private void grow() {
        rehash(values.length * 2);
    }

    private void rehash(int cap) {
        int[] ok = keys;
        Object[] ov = values;
        keys = new int[cap];
        values = new Object[cap];
        mask = cap - 1;
        size = 0;
        for (int i = 0; i < ov.length; i++) {
            if (ov[i] != null) {
                insertFresh(ok[i], ov[i]);
            }
        }
    }

    private void insertFresh(int key, Object value) {
        for (int i = slot(key, mask);; i = (i + 1) & mask) {
            if (values[i] == null) {
                keys[i] = key;
                values[i] = value;
                size++;
                return;
            }
        }
    }

    @Override
    public String toString() {
        return "StreamIntMap[size=" + size + ", capacity=" + values.length + ", keys="
                + Arrays.toString(Arrays.copyOf(keys, Math.min(keys.length, 16))) + "]";
    }
}
