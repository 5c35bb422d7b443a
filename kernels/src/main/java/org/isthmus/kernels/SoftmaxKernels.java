package org.isthmus.kernels;

import java.lang.foreign.MemorySegment;

/**
 * A backend's softmax family, called by {@link CheckedBackend} with validated arguments and
 * rows, cols ≥ 1; each method is the {@link Backend} method of the same name.
 */
public interface SoftmaxKernels {

    void softmax(MemorySegment x, MemorySegment y, int rows, int cols);

    void logSoftmax(MemorySegment x, MemorySegment y, int rows, int cols);

    void logSumExp(MemorySegment x, MemorySegment y, int rows, int cols);

    void softmaxBackward(MemorySegment y, MemorySegment dy, MemorySegment dx, int rows, int cols);

    void logSoftmaxBackward(MemorySegment y, MemorySegment dy, MemorySegment dx, int rows, int cols);

    void logSumExpBackward(MemorySegment x, MemorySegment lse, MemorySegment dLse, MemorySegment dx,
                           int rows, int cols);

    /** Targets are validated to lie in [0, cols) before this is called. */
    void softmaxCrossEntropy(MemorySegment logits, MemorySegment targets, float labelSmoothing,
                             MemorySegment losses, MemorySegment dLogits, int rows, int cols);
}
