package org.isthmus.nn;

import java.util.random.RandomGenerator;
import org.isthmus.tensor.Functional;
import org.isthmus.tensor.Tensor;

/**
 * 2-D convolution with square kernels; weights [out, in/groups, k, k] and bias [out] initialized as
 * PyTorch does. With groups, the input channels and the filters split into that many groups, each
 * filter seeing its own group's channels: {@link #depthwise} (groups = in) gives each channel its own filters.
 */
public final class Conv2d extends Module {

    private final Tensor weight;
    private final Tensor bias;
    private final int stride;
    private final int padding;
    private final int dilation;
    private final int groups;

    public Conv2d(int inChannels, int outChannels, int kernel, int stride, int padding, RandomGenerator random) {
        this(inChannels, outChannels, kernel, stride, padding, 1, true, random);
    }

    public Conv2d(int inChannels, int outChannels, int kernel, int stride, int padding, int dilation, boolean withBias,
                  RandomGenerator random) {
        this(inChannels, outChannels, kernel, stride, padding, dilation, 1, withBias, random);
    }

    public Conv2d(int inChannels, int outChannels, int kernel, int stride, int padding, int dilation, int groups,
                  boolean withBias, RandomGenerator random) {
        if (inChannels < 1 || outChannels < 1 || kernel < 1) {
            throw new IllegalArgumentException("Conv2d(" + inChannels + ", " + outChannels + ", kernel " + kernel
                    + "): sizes must be >= 1");
        }
        if (groups < 1 || inChannels % groups != 0 || outChannels % groups != 0) {
            throw new IllegalArgumentException("Conv2d(" + inChannels + ", " + outChannels + ", kernel " + kernel
                    + "): groups=" + groups + " must be >= 1 and divide both channel counts");
        }
        int groupChannels = inChannels / groups;
        int fanIn = groupChannels * kernel * kernel;
        weight = registerParameter("weight",
                Init.kaimingUniform(random, fanIn, outChannels, groupChannels, kernel, kernel));
        bias = withBias ? registerParameter("bias", Init.kaimingUniform(random, fanIn, outChannels)) : null;
        this.stride = stride;
        this.padding = padding;
        this.dilation = dilation;
        this.groups = groups;
    }

    /**
     * A depthwise convolution: each of the {@code channels} input channels convolved with its own
     * {@code multiplier} filters (groups = channels), giving channels·multiplier outputs.
     */
    public static Conv2d depthwise(int channels, int multiplier, int kernel, int stride, int padding,
                                   RandomGenerator random) {
        return new Conv2d(channels, channels * multiplier, kernel, stride, padding, 1, channels, true, random);
    }

    /** The weights, [out, in/groups, k, k]. */
    public Tensor weight() {
        return weight;
    }

    @Override
    public Tensor forward(Tensor input) {
        return Functional.conv2d(input, weight, bias, stride, padding, dilation, groups);
    }
}
