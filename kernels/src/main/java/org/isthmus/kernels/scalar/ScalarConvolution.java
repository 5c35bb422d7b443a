package org.isthmus.kernels.scalar;

import java.lang.foreign.MemorySegment;
import org.isthmus.kernels.*;

final class ScalarConvolution implements ConvolutionKernels {

    @Override
    public void conv2d(Conv2dShape shape, MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y) {
        throw new UnsupportedOperationException("SKELETON: ScalarConvolution.conv2d");
    }

    @Override
    public void conv2dBackwardData(Conv2dShape shape, MemorySegment dy, MemorySegment w, MemorySegment dx) {
        throw new UnsupportedOperationException("SKELETON: ScalarConvolution.conv2dBackwardData");
    }

    @Override
    public void conv2dBackwardWeights(Conv2dShape shape, MemorySegment x, MemorySegment dy, MemorySegment dw,
                               MemorySegment dBias) {
        throw new UnsupportedOperationException("SKELETON: ScalarConvolution.conv2dBackwardWeights");
    }
}
