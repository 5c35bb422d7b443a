package org.isthmus.nn;

import org.isthmus.tensor.Functional;
import org.isthmus.tensor.Tensor;

/** Max pooling with a square window (stride defaults to the window, as in PyTorch). */
public final class MaxPool2d extends Module {

    private final int kernel;
    private final int stride;
    private final int padding;

    public MaxPool2d(int kernel) {
        this(kernel, kernel, 0);
    }

    public MaxPool2d(int kernel, int stride, int padding) {
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
    }

    @Override
    public Tensor forward(Tensor input) {
        return Functional.maxPool2d(input, kernel, stride, padding);
    }
}
