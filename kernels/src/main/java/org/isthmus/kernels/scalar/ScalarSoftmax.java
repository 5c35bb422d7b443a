package org.isthmus.kernels.scalar;

import java.lang.foreign.MemorySegment;
import org.isthmus.kernels.*;

final class ScalarSoftmax implements SoftmaxKernels {

    @Override
    public void softmax(MemorySegment x, MemorySegment y, int rows, int cols) {
        throw new UnsupportedOperationException("SKELETON: ScalarSoftmax.softmax");
    }

    @Override
    public void logSoftmax(MemorySegment x, MemorySegment y, int rows, int cols) {
        throw new UnsupportedOperationException("SKELETON: ScalarSoftmax.logSoftmax");
    }

    @Override
    public void logSumExp(MemorySegment x, MemorySegment y, int rows, int cols) {
        throw new UnsupportedOperationException("SKELETON: ScalarSoftmax.logSumExp");
    }

    @Override
    public void softmaxBackward(MemorySegment y, MemorySegment dy, MemorySegment dx, int rows, int cols) {
        throw new UnsupportedOperationException("SKELETON: ScalarSoftmax.softmaxBackward");
    }

    @Override
    public void logSoftmaxBackward(MemorySegment y, MemorySegment dy, MemorySegment dx, int rows, int cols) {
        throw new UnsupportedOperationException("SKELETON: ScalarSoftmax.logSoftmaxBackward");
    }

    @Override
    public void logSumExpBackward(MemorySegment x, MemorySegment lse, MemorySegment dLse, MemorySegment dx,
                           int rows, int cols) {
        throw new UnsupportedOperationException("SKELETON: ScalarSoftmax.logSumExpBackward");
    }

    @Override
    public void softmaxCrossEntropy(MemorySegment logits, MemorySegment targets, float labelSmoothing,
                             MemorySegment losses, MemorySegment dLogits, int rows, int cols) {
        throw new UnsupportedOperationException("SKELETON: ScalarSoftmax.softmaxCrossEntropy");
    }
}
