package org.isthmus.nn;

import org.isthmus.tensor.Tensor;

/** x + block(x): a residual connection around a block that keeps the shape. */
public final class Residual extends Module {

    private final Module block;

    public Residual(Module block) {
        this.block = registerModule("block", block);
    }

    @Override
    public Tensor forward(Tensor input) {
        return input.add(block.forward(input));
    }
}
