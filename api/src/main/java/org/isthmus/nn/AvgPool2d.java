package org.isthmus.nn;

import org.isthmus.tensor.Functional;
import org.isthmus.tensor.Tensor;

/** Average pooling with a square window; padding counts as zeros (PyTorch's count_include_pad). */
public final class AvgPool2d extends Module {

    private final int kernel;
    private final int stride;
    private final int padding;

    public AvgPool2d(int kernel) {
        this(kernel, kernel, 0);
    }

    public AvgPool2d(int kernel, int stride, int padding) {
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
    }

    @Override
    public Tensor forward(Tensor input) {
        return Functional.avgPool2d(input, kernel, stride, padding);
    }
}
