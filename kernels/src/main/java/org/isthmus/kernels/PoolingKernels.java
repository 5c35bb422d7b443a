package org.isthmus.kernels;

import java.lang.foreign.MemorySegment;

/**
 * A backend's 2-D pooling, called by {@link CheckedBackend} with validated arguments; each method
 * is the {@link Backend} method of the same name. argmax entries are validated to lie in the input
 * plane before the backward pass.
 */
public interface PoolingKernels {

    void maxPool2d(Pool2dShape shape, MemorySegment x, MemorySegment y, MemorySegment argmax);

    void maxPool2dBackward(Pool2dShape shape, MemorySegment dy, MemorySegment argmax, MemorySegment dx);

    void avgPool2d(Pool2dShape shape, MemorySegment x, MemorySegment y);

    void avgPool2dBackward(Pool2dShape shape, MemorySegment dy, MemorySegment dx);
}
