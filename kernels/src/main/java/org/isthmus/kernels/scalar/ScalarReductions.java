package org.isthmus.kernels.scalar;

import java.lang.foreign.MemorySegment;
import org.isthmus.kernels.*;

final class ScalarReductions implements ReductionKernels {

    @Override
    public void sum(MemorySegment x, MemorySegment y, int outer, int size, int inner) {
        throw new UnsupportedOperationException("SKELETON: ScalarReductions.sum");
    }

    @Override
    public void mean(MemorySegment x, MemorySegment y, int outer, int size, int inner) {
        throw new UnsupportedOperationException("SKELETON: ScalarReductions.mean");
    }

    @Override
    public void max(MemorySegment x, MemorySegment y, MemorySegment indices, int outer, int size, int inner) {
        throw new UnsupportedOperationException("SKELETON: ScalarReductions.max");
    }

    @Override
    public void variance(MemorySegment x, MemorySegment y, int outer, int size, int inner, int correction) {
        throw new UnsupportedOperationException("SKELETON: ScalarReductions.variance");
    }

    @Override
    public void expand(MemorySegment dy, MemorySegment dx, int outer, int size, int inner, float scale) {
        throw new UnsupportedOperationException("SKELETON: ScalarReductions.expand");
    }

    @Override
    public void maxBackward(MemorySegment dy, MemorySegment indices, MemorySegment dx, int outer, int size, int inner) {
        throw new UnsupportedOperationException("SKELETON: ScalarReductions.maxBackward");
    }

    @Override
    public void varianceBackward(MemorySegment x, MemorySegment dy, MemorySegment dx, int outer, int size, int inner,
                          int correction) {
        throw new UnsupportedOperationException("SKELETON: ScalarReductions.varianceBackward");
    }
}
