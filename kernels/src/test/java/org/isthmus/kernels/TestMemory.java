package org.isthmus.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Where a test puts a kernel's operands: in a float[] (what tensors use) or off-heap, in a shared
 * arena (so that kernels may still split the work over threads). Inputs are copies, so a kernel
 * writing in place cannot disturb the test's data.
 */
enum TestMemory {
    HEAP, NATIVE;

    MemorySegment floats(Arena arena, float[] values) {
        return this == HEAP ? MemorySegment.ofArray(values.clone()) : KernelChecks.nativeCopy(arena, values);
    }

    MemorySegment zeros(Arena arena, long n) {
        return this == HEAP ? MemorySegment.ofArray(new float[Math.toIntExact(n)])
                : arena.allocate(ValueLayout.JAVA_FLOAT, Math.max(1, n));
    }

    MemorySegment ints(Arena arena, int[] values) {
        if (this == HEAP) {
            return MemorySegment.ofArray(values.clone());
        }
        MemorySegment segment = arena.allocate(ValueLayout.JAVA_INT, Math.max(1, values.length));
        MemorySegment.copy(values, 0, segment, ValueLayout.JAVA_INT, 0, values.length);
        return segment;
    }

    MemorySegment intZeros(Arena arena, long n) {
        return this == HEAP ? MemorySegment.ofArray(new int[Math.toIntExact(n)])
                : arena.allocate(ValueLayout.JAVA_INT, Math.max(1, n));
    }

    static int[] intArray(MemorySegment segment, int n) {
        int[] values = new int[n];
        MemorySegment.copy(segment, ValueLayout.JAVA_INT, 0, values, 0, n);
        return values;
    }
}
