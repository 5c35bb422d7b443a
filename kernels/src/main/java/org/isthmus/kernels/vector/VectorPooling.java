package org.isthmus.kernels.vector;

import java.lang.foreign.MemorySegment;
import org.isthmus.kernels.*;

final class VectorPooling implements PoolingKernels {

    @Override
    public void maxPool2d(Pool2dShape shape, MemorySegment x, MemorySegment y, MemorySegment argmax) {
        throw new UnsupportedOperationException("SKELETON: VectorPooling.maxPool2d");
    }

    @Override
    public void maxPool2dBackward(Pool2dShape shape, MemorySegment dy, MemorySegment argmax, MemorySegment dx) {
        throw new UnsupportedOperationException("SKELETON: VectorPooling.maxPool2dBackward");
    }

    @Override
    public void avgPool2d(Pool2dShape shape, MemorySegment x, MemorySegment y) {
        throw new UnsupportedOperationException("SKELETON: VectorPooling.avgPool2d");
    }

    @Override
    public void avgPool2dBackward(Pool2dShape shape, MemorySegment dy, MemorySegment dx) {
        throw new UnsupportedOperationException("SKELETON: VectorPooling.avgPool2dBackward");
    }
}
