package org.isthmus.nn;

import org.isthmus.tensor.Tensor;

/** Every dimension after the first (the batch) merged into one. */
public final class Flatten extends Module {

    @Override
    public Tensor forward(Tensor input) {
        return input.flatten(1, -1);
    }
}
