package org.isthmus.ffi.onednn;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Primitives by shape: a bounded least-recently-used map, thread-safe. Creating a primitive takes
 * tens of microseconds to milliseconds (oneDNN may JIT code), executing it again costs little.
 * An evicted primitive is destroyed once no thread still uses it (see {@link Primitive}).
 */
final class PrimitiveCache<K, V> {

    private final Map<K, V> entries;

    PrimitiveCache(int capacity) {
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > capacity;
            }
        };
    }

    /**
     * The cached value for {@code key}, created outside the lock when absent: two threads missing
     * the same key at once may both create it, and the second result is dropped (and cleaned).
     */
    V get(K key, Function<K, V> create) {
        synchronized (entries) {
            V cached = entries.get(key);
            if (cached != null) {
                return cached;
            }
        }
        V created = create.apply(key);
        synchronized (entries) {
            V raced = entries.putIfAbsent(key, created);
            return raced != null ? raced : created;
        }
    }

    int size() {
        synchronized (entries) {
            return entries.size();
        }
    }
}
