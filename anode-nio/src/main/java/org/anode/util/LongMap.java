package org.anode.util;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * An open-addressing map from {@code long} (or widened {@code int}) keys to objects, without
 * boxing: the peer table's indexes by short address id (draft 2.7) and key prefix, and the stream
 * demultiplexing tables by link id and port (DECISIONS 23), are looked up per packet, so
 * {@link #get} neither boxes nor allocates. Linear probing with backward-shift deletion, so no
 * tombstones pile up as entries come and go; the table halves again when it empties, so a burst of
 * connections to one peer does not leave a large table behind. Not thread-safe: callers guard it.
 *
 * @param <V> the value type; values are never null
 */
public final class LongMap<V> {
    private static final int MIN_CAPACITY = 8;
    private long[] keys;
    private Object[] values;
    private int size;
    private int mask;
    /** The capacity the map never shrinks below: what {@link #LongMap(int)} was sized for. */
    private final int floor;

    /** An empty map of the smallest capacity (8 slots). */
    public LongMap() {
        this(MIN_CAPACITY / 2);
    }

    /** An empty map with room for {@code expected} entries before it grows (at most half full). */
    public LongMap(int expected) {
        int cap = Math.max(MIN_CAPACITY, Integer.highestOneBit(Math.max(1, expected * 2 - 1)) << 1);
        floor = cap;
        keys = new long[cap];
        values = new Object[cap];
        mask = cap - 1;
    }

    private static int slot(long k, int mask) {
        long h = k * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }

    /** The value of {@code key}, or null. */
    @SuppressWarnings("unchecked")
    public V get(long key) {
        Object[] v = values;
        long[] k = keys;
        int m = mask;
        for (int i = slot(key, m); ; i = (i + 1) & m) {
            Object o = v[i];
            if (o == null) {
                return null;
            }
            if (k[i] == key) {
                return (V) o;
            }
        }
    }

    /** Sets {@code key} to {@code value} (non-null); returns the value it replaced, or null. */
    @SuppressWarnings("unchecked")
    public V put(long key, V value) {
        if (value == null) {
            throw new NullPointerException("value");
        }
        if ((size + 1) * 2 > values.length) {
            rehash(values.length * 2);
        }
        for (int i = slot(key, mask); ; i = (i + 1) & mask) {
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

    /** Removes {@code key}; returns its value, or null if it had none. */
    @SuppressWarnings("unchecked")
    public V remove(long key) {
        for (int i = slot(key, mask); ; i = (i + 1) & mask) {
            Object o = values[i];
            if (o == null) {
                return null;
            }
            if (keys[i] == key) {
                deleteAt(i);
                return (V) o;
            }
        }
    }

    /**
     * Removes {@code key} only if it maps to {@code expected} (the same object): a table entry is
     * removed by the object that owns it, never by one that merely shares its key.
     *
     * @return whether it was removed
     */
    public boolean remove(long key, Object expected) {
        for (int i = slot(key, mask); ; i = (i + 1) & mask) {
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
        // Backward shift: move later entries of the probe run into the hole, unless their home
        // slot lies cyclically in (hole, j], so that every lookup still finds them.
        int hole = i;
        int j = i;
        while (true) {
            j = (j + 1) & mask;
            Object o = values[j];
            if (o == null) {
                break;
            }
            int home = slot(keys[j], mask);
            boolean stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
            if (!stays) {
                keys[hole] = keys[j];
                values[hole] = o;
                hole = j;
            }
        }
        values[hole] = null;
        keys[hole] = 0;
        size--;
        if (values.length > floor && size * 8 < values.length) {
            rehash(values.length / 2);
        }
    }

    /** Number of entries. */
    public int size() {
        return size;
    }

    /** True when the map has no entries. */
    public boolean isEmpty() {
        return size == 0;
    }

    /** Removes every entry (the capacity stays). */
    public void clear() {
        Arrays.fill(values, null);
        Arrays.fill(keys, 0);
        size = 0;
    }

    /**
     * Calls {@code action} with every value, over a copy of the table, so the action may change
     * the map. Allocates: not for a per-packet path.
     */
    @SuppressWarnings("unchecked")
    public void forEach(Consumer<? super V> action) {
        for (Object o : values.clone()) {
            if (o != null) {
                action.accept((V) o);
            }
        }
    }

    /** Slots in the table now (tests: the table shrinks back after removals). */
    public int capacity() {
        return values.length;
    }

    private void rehash(int cap) {
        long[] ok = keys;
        Object[] ov = values;
        keys = new long[cap];
        values = new Object[cap];
        mask = cap - 1;
        for (int i = 0; i < ov.length; i++) {
            if (ov[i] != null) {
                for (int s = slot(ok[i], mask); ; s = (s + 1) & mask) {
                    if (values[s] == null) {
                        keys[s] = ok[i];
                        values[s] = ov[i];
                        break;
                    }
                }
            }
        }
    }

    @Override
    public String toString() {
        return "LongMap[size=" + size + ", capacity=" + values.length + "]";
    }
}
