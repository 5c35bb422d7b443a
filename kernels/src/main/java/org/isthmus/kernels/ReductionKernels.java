package org.isthmus.kernels;

import java.lang.foreign.MemorySegment;

/**
 * A backend's reductions over the middle dimension of outer×size×inner, called by
 * {@link CheckedBackend} with validated arguments and sizes ≥ 1; each method is the
 * {@link Backend} method of the same name. Indices are validated to lie in [0, size) before
 * {@link #maxBackward}.
 */
public interface ReductionKernels {

    void sum(MemorySegment x, MemorySegment y, int outer, int size, int inner);

    void mean(MemorySegment x, MemorySegment y, int outer, int size, int inner);

    void max(MemorySegment x, MemorySegment y, MemorySegment indices, int outer, int size, int inner);

    void variance(MemorySegment x, MemorySegment y, int outer, int size, int inner, int correction);

    void expand(MemorySegment dy, MemorySegment dx, int outer, int size, int inner, float scale);

    void maxBackward(MemorySegment dy, MemorySegment indices, MemorySegment dx, int outer, int size, int inner);

    void varianceBackward(MemorySegment x, MemorySegment dy, MemorySegment dx, int outer, int size, int inner,
                          int correction);
}
