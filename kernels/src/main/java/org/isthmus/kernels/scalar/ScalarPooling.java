package org.isthmus.kernels.scalar;

import java.lang.foreign.MemorySegment;
import org.isthmus.kernels.*;

final class ScalarPooling implements PoolingKernels {

    @Override
    public void maxPool2d(Pool2dShape shape, MemorySegment x, MemorySegment y, MemorySegment argmax) {
        throw new UnsupportedOperationException("SKELETON: ScalarPooling.maxPool2d");
    }

    @Override
    public void maxPool2dBackward(Pool2dShape shape, MemorySegment dy, MemorySegment argmax, MemorySegment dx) {
        throw new UnsupportedOperationException("SKELETON: ScalarPooling.maxPool2dBackward");
    }

    @Override
    public void avgPool2d(Pool2dShape shape, MemorySegment x, MemorySegment y) {
        throw new UnsupportedOperationException("SKELETON: ScalarPooling.avgPool2d");
    }

    @Override
    public void avgPool2dBackward(Pool2dShape shape, MemorySegment dy, MemorySegment dx) {
        throw new UnsupportedOperationException("SKELETON: ScalarPooling.avgPool2dBackward");
    }
}
