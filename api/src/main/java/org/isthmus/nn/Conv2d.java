package org.isthmus.nn;

import java.util.random.RandomGenerator;
import org.isthmus.tensor.Functional;
import org.isthmus.tensor.Tensor;

/** 2-D convolution with square kernels; weights [out, in, k, k] and bias [out] initialized as PyTorch does. */
public final class Conv2d extends Module {

    private final Tensor weight;
    private final Tensor bias;
    private final int stride;
    private final int padding;
    private final int dilation;

    public Conv2d(int inChannels, int outChannels, int kernel, int stride, int padding, RandomGenerator random) {
        this(inChannels, outChannels, kernel, stride, padding, 1, true, random);
    }

    public Conv2d(int inChannels, int outChannels, int kernel, int stride, int padding, int dilation, boolean withBias,
                  RandomGenerator random) {
        if (inChannels < 1 || outChannels < 1 || kernel < 1) {
            throw new IllegalArgumentException("Conv2d(" + inChannels + ", " + outChannels + ", kernel " + kernel
                    + "): sizes must be >= 1");
        }
        int fanIn = inChannels * kernel * kernel;
        weight = registerParameter("weight", Init.kaimingUniform(random, fanIn, outChannels, inChannels, kernel, kernel));
        bias = withBias ? registerParameter("bias", Init.kaimingUniform(random, fanIn, outChannels)) : null;
        this.stride = stride;
        this.padding = padding;
        this.dilation = dilation;
    }

    @Override
    public Tensor forward(Tensor input) {
        return Functional.conv2d(input, weight, bias, stride, padding, dilation);
    }
}
