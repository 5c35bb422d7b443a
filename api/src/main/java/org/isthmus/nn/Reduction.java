package org.isthmus.nn;

import org.isthmus.tensor.Tensor;

/** How a loss turns per-element losses into its result. */
public enum Reduction {
    /** The mean over every element (PyTorch's default). */
    MEAN,
    /** The sum over every element. */
    SUM,
    /** The per-element losses unchanged. */
    NONE;

    Tensor apply(Tensor losses) {
        return switch (this) {
            case MEAN -> losses.mean();
            case SUM -> losses.sum();
            case NONE -> losses;
        };
    }
}
