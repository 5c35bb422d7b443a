package org.isthmus.data;

import org.isthmus.tensor.Tensor;

/**
 * Inputs stacked along a new first dimension, [B, ...], and their class indices as a float tensor [B]
 * (whole numbers, the form {@link org.isthmus.tensor.Functional#crossEntropy} and {@link Tensor#oneHot} take).
 */
public record Batch(Tensor inputs, Tensor labels) {

    /** Number of examples, B. */
    public int size() {
        return labels.size(0);
    }
}
