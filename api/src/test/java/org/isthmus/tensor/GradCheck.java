package org.isthmus.tensor;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Checks autograd's gradients against central finite differences: the loss Σ r·f(inputs) (r random, fixed)
 * is evaluated in double from f's float32 output, each input element nudged by ±h.
 */
final class GradCheck {

    /** Relative error allowed between the two gradients: float32 forward passes with h = 1e-2 carry ~1e-4. */
    static final double TOLERANCE = 1e-2;
    private static final double STEP = 1e-2;

    private GradCheck() {
    }

    static void check(String what, Function<Tensor[], Tensor> f, Tensor... inputs) {
        for (Tensor input : inputs) {
            input.requiresGrad(true);
            input.setGrad(null);
        }
        Tensor out = f.apply(inputs);
        Tensor weights = Tensor.randn(new SplittableRandom(out.numel() * 31 + 7), out.shape());
        out.mul(weights).sum().backward();
        for (int i = 0; i < inputs.length; i++) {
            Tensor input = inputs[i];
            assertNotNull(input.grad(), what + ": input " + i + " got no gradient");
            float[] analytic = input.grad().toArray();
            double[] numeric = new double[analytic.length];
            Tensor c = input.contiguous();
            assertTrue(c == input, "grad-checked inputs are contiguous leaves");
            for (int j = 0; j < analytic.length; j++) {
                long p = input.offset() + j;
                float original = input.storage().get(p);
                double step = STEP * Math.max(1.0, Math.abs(original));
                input.storage().set(p, (float) (original + step));
                double up = loss(f, inputs, weights);
                double actualUp = input.storage().get(p) - (double) original;
                input.storage().set(p, (float) (original - step));
                double down = loss(f, inputs, weights);
                double actualDown = (double) original - input.storage().get(p);
                input.storage().set(p, original);
                numeric[j] = (up - down) / (actualUp + actualDown);
            }
            double diff = 0;
            double norm = 0;
            for (int j = 0; j < analytic.length; j++) {
                diff += (analytic[j] - numeric[j]) * (analytic[j] - numeric[j]);
                norm += numeric[j] * numeric[j];
            }
            double error = norm == 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
            assertTrue(error <= TOLERANCE, what + ": gradient of input " + i + " has relative error " + error
                    + " against central differences");
        }
    }

    private static double loss(Function<Tensor[], Tensor> f, Tensor[] inputs, Tensor weights) {
        try (Autograd.Scope ignored = Autograd.noGrad()) {
            float[] out = f.apply(inputs).toArray();
            float[] w = weights.toArray();
            double sum = 0;
            for (int i = 0; i < out.length; i++) {
                sum += (double) out[i] * w[i];
            }
            return sum;
        }
    }

    static Tensor randn(long seed, int... shape) {
        return Tensor.randn(new SplittableRandom(seed), shape);
    }

    /** Uniform in [low, high): inputs kept away from a function's kinks and poles. */
    static Tensor uniform(long seed, float low, float high, int... shape) {
        return Tensor.rand(new SplittableRandom(seed), shape).mul(high - low).add(low).detach();
    }
}
