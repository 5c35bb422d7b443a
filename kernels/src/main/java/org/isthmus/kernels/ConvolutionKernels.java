package org.isthmus.kernels;

import java.lang.foreign.MemorySegment;

/**
 * A backend's 2-D convolution, called by {@link CheckedBackend} with validated arguments; each
 * method is the grouped {@link Backend} method of the same name (groups = 1 for the plain ones).
 */
public interface ConvolutionKernels {

    void conv2d(Conv2dShape shape, int groups, MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y);

    void conv2dBackwardData(Conv2dShape shape, int groups, MemorySegment dy, MemorySegment w, MemorySegment dx);

    void conv2dBackwardWeights(Conv2dShape shape, int groups, MemorySegment x, MemorySegment dy, MemorySegment dw,
                               MemorySegment dBias);
}
