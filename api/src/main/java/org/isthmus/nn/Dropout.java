package org.isthmus.nn;

import java.util.random.RandomGenerator;
import org.isthmus.tensor.Functional;
import org.isthmus.tensor.Tensor;

/** Inverted dropout in training mode, the identity in evaluation; masks drawn from a seeded generator. */
public final class Dropout extends Module {

    private final float p;
    private final RandomGenerator random;

    public Dropout(float p, RandomGenerator random) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("Dropout: p=" + p + " must lie in [0, 1]");
        }
        this.p = p;
        this.random = random;
    }

    @Override
    public Tensor forward(Tensor input) {
        return Functional.dropout(input, p, isTraining(), random);
    }
}
