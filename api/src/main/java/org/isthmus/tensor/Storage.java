package org.isthmus.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The float32 elements one or more tensors view: a heap {@code float[]} (the default, owned by the
 * GC) or a native segment (memory that must stay off-heap). Every view of a storage shares its
 * version counter, which in-place writes advance, so autograd can refuse a saved tensor that was
 * changed after it was saved.
 */
public final class Storage {

    private final float[] array;
    private final MemorySegment segment;
    private int version;

    private Storage(float[] array, MemorySegment segment) {
        this.array = array;
        this.segment = segment;
    }

    /** A heap storage of {@code size} zeros. */
    public static Storage allocate(long size) {
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a heap tensor holds at most " + (Integer.MAX_VALUE - 8)
                    + " elements; asked for " + size + " (use Storage.allocateNative)");
        }
        return wrap(new float[(int) size]);
    }

    /** A heap storage over the array itself (no copy). */
    public static Storage wrap(float[] array) {
        return new Storage(array, MemorySegment.ofArray(array));
    }

    /** A native storage of {@code size} zeros, alive as long as the arena. */
    public static Storage allocateNative(Arena arena, long size) {
        return new Storage(null, arena.allocate(ValueLayout.JAVA_FLOAT, Math.max(1, size)).fill((byte) 0));
    }

    /** A native storage over an existing segment of float32 values (no copy). */
    public static Storage wrap(MemorySegment segment) {
        if (segment.isReadOnly()) {
            throw new IllegalArgumentException("a tensor's storage must be writable; got a read-only segment");
        }
        return new Storage(null, segment);
    }

    /** Number of float32 elements held. */
    public long size() {
        return segment.byteSize() / Float.BYTES;
    }

    /** Whether the elements live in a Java {@code float[]}. */
    public boolean isHeap() {
        return array != null;
    }

    /** All the elements, as the kernels take them. */
    public MemorySegment segment() {
        return segment;
    }

    float get(long index) {
        return array != null ? array[(int) index] : segment.getAtIndex(ValueLayout.JAVA_FLOAT, index);
    }

    void set(long index, float value) {
        if (array != null) {
            array[(int) index] = value;
        } else {
            segment.setAtIndex(ValueLayout.JAVA_FLOAT, index, value);
        }
    }

    /** The heap array, or null for native storage. */
    float[] array() {
        return array;
    }

    int version() {
        return version;
    }

    void bumpVersion() {
        version++;
    }
}
