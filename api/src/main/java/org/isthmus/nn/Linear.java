package org.isthmus.nn;

import java.util.random.RandomGenerator;
import org.isthmus.tensor.Functional;
import org.isthmus.tensor.Tensor;

/** y = x·Wᵀ + b, with W [out, in] and b [out] initialized as PyTorch does. */
public final class Linear extends Module {

    private final Tensor weight;
    private final Tensor bias;

    public Linear(int inFeatures, int outFeatures, RandomGenerator random) {
        this(inFeatures, outFeatures, true, random);
    }

    public Linear(int inFeatures, int outFeatures, boolean withBias, RandomGenerator random) {
        if (inFeatures < 1 || outFeatures < 1) {
            throw new IllegalArgumentException("Linear(" + inFeatures + ", " + outFeatures + "): sizes must be >= 1");
        }
        weight = registerParameter("weight", Init.kaimingUniform(random, inFeatures, outFeatures, inFeatures));
        bias = withBias ? registerParameter("bias", Init.kaimingUniform(random, inFeatures, outFeatures)) : null;
    }

    @Override
    public Tensor forward(Tensor input) {
        return Functional.linear(input, weight, bias);
    }

    public Tensor weight() {
        return weight;
    }

    public Tensor bias() {
        return bias;
    }
}
