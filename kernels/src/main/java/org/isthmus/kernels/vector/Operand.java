package org.isthmus.kernels.vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A kernel input or output as the kernels read it: the backing float[] when the segment is a
 * heap segment over one (the default for tensors), else the segment itself. The Vector API's
 * heap-segment loads and stores are not intrinsified on JDK 25 (each vector is boxed), so
 * heap data goes through the array.
 *
 * @param array   the backing array, or null for native (or non-float[] heap) memory
 * @param base    the index in {@code array} of the segment's first float
 * @param segment the segment, always set
 */
record Operand(float[] array, int base, MemorySegment segment) {

    static Operand of(MemorySegment segment) {
        if (segment.heapBase().orElse(null) instanceof float[] array && segment.address() % Float.BYTES == 0) {
            return new Operand(array, (int) (segment.address() / Float.BYTES), segment);
        }
        return new Operand(null, 0, segment);
    }

    boolean onArray() {
        return array != null;
    }

    /** Element {@code index}: through the array when there is one (a segment read costs more). */
    float get(long index) {
        return array != null ? array[base + (int) index] : segment.getAtIndex(ValueLayout.JAVA_FLOAT, index);
    }

    /** Writes element {@code index}: through the array when there is one (a segment write costs more). */
    void set(int index, float value) {
        if (array != null) {
            array[base + index] = value;
        } else {
            segment.setAtIndex(ValueLayout.JAVA_FLOAT, index, value);
        }
    }
}
