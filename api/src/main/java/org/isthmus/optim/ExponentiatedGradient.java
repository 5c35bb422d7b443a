package org.isthmus.optim;

import java.util.Arrays;
import java.util.List;
import org.isthmus.tensor.Tensor;

/** Exponentiated gradient for non-negative parameters: θ ← θ ⊙ exp(−η·∇L), which keeps them non-negative. */
public final class ExponentiatedGradient extends Optimizer {

    public ExponentiatedGradient(List<Tensor> params, double learningRate) {
        super(single(params, learningRate), 0);
        for (Tensor p : params) {
            for (float value : p.toArray()) {
                if (!(value >= 0)) {
                    throw new IllegalArgumentException("ExponentiatedGradient needs non-negative parameters; one of shape "
                            + Arrays.toString(p.shape()) + " holds " + value);
                }
            }
        }
    }

    @Override
    protected void update(float[] p, int pFrom, float[] g, int gFrom, int n, float[][] buffers,
                          double learningRate, long step) {
        for (int i = 0; i < n; i++) {
            p[pFrom + i] *= (float) Math.exp(-learningRate * g[gFrom + i]);
        }
    }
}
