package org.isthmus.nn;

import java.util.random.RandomGenerator;
import org.isthmus.tensor.Functional;
import org.isthmus.tensor.Tensor;

/** A table of num vectors of size dim, looked up by index tensors; initialized N(0, 1) as PyTorch does. */
public final class Embedding extends Module {

    private final Tensor weight;

    public Embedding(int num, int dim, RandomGenerator random) {
        if (num < 1 || dim < 1) {
            throw new IllegalArgumentException("Embedding(" + num + ", " + dim + "): sizes must be >= 1");
        }
        weight = registerParameter("weight", Tensor.randn(random, num, dim));
    }

    @Override
    public Tensor forward(Tensor indices) {
        return Functional.embedding(indices, weight);
    }
}
