package org.isthmus.nn;

import org.isthmus.tensor.Functional;
import org.isthmus.tensor.Tensor;

/**
 * Batch normalization over the channel dimension (dimension 1): {@link #of1d} for [N, C] or [N, C, L]
 * input, {@link #of2d} for [N, C, H, W]. Learns gamma ("weight") and beta ("bias"); keeps running mean
 * and variance as buffers, updated in training with momentum 0.1 as PyTorch does.
 */
public final class BatchNorm extends Module {

    public static final float DEFAULT_MOMENTUM = 0.1f;
    public static final float DEFAULT_EPS = 1e-5f;

    private final int rank;
    private final Tensor gamma;
    private final Tensor beta;
    private final Tensor runningMean;
    private final Tensor runningVar;
    private final float momentum;
    private final float eps;

    private BatchNorm(int features, int rank, float momentum, float eps) {
        if (features < 1) {
            throw new IllegalArgumentException("BatchNorm needs features >= 1, got " + features);
        }
        this.rank = rank;
        this.gamma = registerParameter("weight", Tensor.ones(features));
        this.beta = registerParameter("bias", Tensor.zeros(features));
        this.runningMean = registerBuffer("running_mean", Tensor.zeros(features));
        this.runningVar = registerBuffer("running_var", Tensor.ones(features));
        this.momentum = momentum;
        this.eps = eps;
    }

    /** PyTorch's BatchNorm1d. */
    public static BatchNorm of1d(int features) {
        return new BatchNorm(features, 1, DEFAULT_MOMENTUM, DEFAULT_EPS);
    }

    /** PyTorch's BatchNorm2d. */
    public static BatchNorm of2d(int features) {
        return new BatchNorm(features, 2, DEFAULT_MOMENTUM, DEFAULT_EPS);
    }

    @Override
    public Tensor forward(Tensor input) {
        boolean fits = rank == 1 ? input.dim() == 2 || input.dim() == 3 : input.dim() == 4;
        if (!fits) {
            throw new IllegalArgumentException("BatchNorm" + rank + "d expects " + (rank == 1 ? "[N, C] or [N, C, L]"
                    : "[N, C, H, W]") + " input, got " + java.util.Arrays.toString(input.shape()));
        }
        return Functional.batchNorm(input, runningMean, runningVar, gamma, beta, isTraining(), momentum, eps);
    }
}
