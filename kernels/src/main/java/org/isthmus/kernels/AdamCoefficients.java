package org.isthmus.kernels;

/**
 * The scalars of one Adam or AdamW step, as {@link Backend#adamUpdate} applies them (PyTorch's
 * formulas): p ← p·decay; d = g + l2·p; m ← β₁m + (1 − β₁)d; v ← β₂v + (1 − β₂)d²;
 * p ← p − stepSize·m / (√v / rootCorrection2 + eps).
 *
 * @param stepSize        lr / (1 − β₁ᵗ)
 * @param rootCorrection2 √(1 − β₂ᵗ)
 * @param decay           1 − lr·weightDecay for AdamW (decoupled), else 1
 * @param l2              the weight decay added to the gradient for Adam, else 0
 */
public record AdamCoefficients(float beta1, float beta2, float stepSize, float rootCorrection2, float eps, float decay,
                               float l2) {
}
