package org.isthmus.kernels;

import java.lang.foreign.MemorySegment;

/**
 * A backend's 2-D convolution, called by {@link CheckedBackend} with validated arguments; each
 * method is the {@link Backend} method of the same name.
 */
public interface ConvolutionKernels {

    void conv2d(Conv2dShape shape, MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y);

    void conv2dBackwardData(Conv2dShape shape, MemorySegment dy, MemorySegment w, MemorySegment dx);

    void conv2dBackwardWeights(Conv2dShape shape, MemorySegment x, MemorySegment dy, MemorySegment dw,
                               MemorySegment dBias);
}
