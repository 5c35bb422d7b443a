package org.isthmus.optim;

import java.util.List;
import org.isthmus.tensor.Autograd;
import org.isthmus.tensor.Tensor;

/** Gradient clipping by the global norm, as PyTorch's clip_grad_norm_. */
public final class GradientClipping {

    private GradientClipping() {
    }

    /**
     * Scales every gradient by maxNorm/(norm + 1e-6) when the L2 norm of all of them together exceeds
     * maxNorm; returns that norm (before clipping).
     */
    public static double clipByNorm(List<Tensor> params, double maxNorm) {
        double sumOfSquares = 0;
        for (Tensor p : params) {
            if (p.grad() != null) {
                for (float g : p.grad().toArray()) {
                    sumOfSquares += (double) g * g;
                }
            }
        }
        double norm = Math.sqrt(sumOfSquares);
        if (norm > maxNorm) {
            float scale = (float) (maxNorm / (norm + 1e-6));
            try (Autograd.Scope ignored = Autograd.noGrad()) {
                for (Tensor p : params) {
                    if (p.grad() != null) {
                        p.grad().mul_(scale);
                    }
                }
            }
        }
        return norm;
    }
}
