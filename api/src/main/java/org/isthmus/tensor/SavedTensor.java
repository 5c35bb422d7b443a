package org.isthmus.tensor;

/**
 * A tensor an operation keeps for its backward pass, with the version its storage had then: if it was
 * changed in place since, the gradient would be wrong, so {@link #get()} refuses it.
 */
final class SavedTensor {

    private final Tensor tensor;
    private final int version;
    private final String op;

    SavedTensor(Tensor tensor, String op) {
        this.tensor = tensor;
        this.version = tensor.storage().version();
        this.op = op;
    }

    Tensor get() {
        int now = tensor.storage().version();
        if (now != version) {
            throw new IllegalStateException("a tensor of shape " + Shapes.format(tensor.shape()) + " that '" + op
                    + "' saved for its backward pass was modified in place afterwards (version " + version + " -> "
                    + now + "); modify a clone() instead, or compute the gradient before modifying it");
        }
        return tensor;
    }
}
