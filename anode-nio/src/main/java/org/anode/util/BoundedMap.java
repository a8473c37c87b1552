package org.anode.util;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A {@link LinkedHashMap} that forgets its eldest entry as soon as it holds more than a fixed
 * number: the one shape of the many small tables a remote peer or a caller can grow, which must
 * all be bounded. Not thread-safe, as {@code LinkedHashMap}.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public final class BoundedMap<K, V> extends LinkedHashMap<K, V> {
    private static final long serialVersionUID = 1L;

    private final int capacity;

    private BoundedMap(int capacity, boolean accessOrder) {
        super(16, 0.75f, accessOrder);
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1: " + capacity);
        }
        this.capacity = capacity;
    }

    /**
     * A map that forgets the least recently used entry (a {@code get} or {@code put} uses it).
     *
     * @param capacity the most entries kept
     * @param <K> the key type
     * @param <V> the value type
     * @return an empty map
     */
    public static <K, V> BoundedMap<K, V> leastRecentlyUsed(int capacity) {
        return new BoundedMap<>(capacity, true);
    }

    /**
     * A map that forgets the entry inserted first (re-putting a key does not renew it).
     *
     * @param capacity the most entries kept
     * @param <K> the key type
     * @param <V> the value type
     * @return an empty map
     */
    public static <K, V> BoundedMap<K, V> insertionOrdered(int capacity) {
        return new BoundedMap<>(capacity, false);
    }

    @Override
    protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
        return size() > capacity;
    }
}
