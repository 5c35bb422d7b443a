package org.isthmus.nn;

import org.isthmus.tensor.Functional;
import org.isthmus.tensor.Tensor;

/** Layer normalization over the trailing dimensions, with learned gamma ("weight") and beta ("bias"). */
public final class LayerNorm extends Module {

    private final int[] normalizedShape;
    private final Tensor gamma;
    private final Tensor beta;
    private final float eps;

    public LayerNorm(int... normalizedShape) {
        this(1e-5f, normalizedShape);
    }

    public LayerNorm(float eps, int... normalizedShape) {
        this.normalizedShape = normalizedShape.clone();
        this.gamma = registerParameter("weight", Tensor.ones(normalizedShape));
        this.beta = registerParameter("bias", Tensor.zeros(normalizedShape));
        this.eps = eps;
    }

    @Override
    public Tensor forward(Tensor input) {
        return Functional.layerNorm(input, normalizedShape, gamma, beta, eps);
    }
}
