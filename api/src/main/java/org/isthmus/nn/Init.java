package org.isthmus.nn;

import java.util.random.RandomGenerator;
import org.isthmus.tensor.Tensor;

/** PyTorch's default initializations, drawn from a seeded generator. */
public final class Init {

    private Init() {
    }

    /**
     * Kaiming-uniform with a = √5, PyTorch's default for Linear and Conv weights: U(−b, b) with
     * b = 1/√fanIn (the same bound PyTorch uses for their biases).
     */
    public static Tensor kaimingUniform(RandomGenerator random, int fanIn, int... shape) {
        return uniform(random, (float) (1 / Math.sqrt(fanIn)), shape);
    }

    /** U(−bound, bound). */
    public static Tensor uniform(RandomGenerator random, float bound, int... shape) {
        long size = 1;
        for (int d : shape) {
            size *= d;
        }
        float[] values = new float[Math.toIntExact(size)];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextDouble(-bound, bound);
        }
        return Tensor.fromArray(values, shape);
    }
}
