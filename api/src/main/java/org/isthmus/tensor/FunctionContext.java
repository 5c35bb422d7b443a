package org.isthmus.tensor;

import java.util.ArrayList;
import java.util.List;

/** What an {@link AutogradFunction} keeps between its forward and backward passes. */
public final class FunctionContext {

    private final String op;
    private final List<SavedTensor> saved = new ArrayList<>();

    FunctionContext(String op) {
        this.op = op;
    }

    /** Keeps tensors for backward; one changed in place before backward is refused there with a clear error. */
    public void saveForBackward(Tensor... tensors) {
        for (Tensor t : tensors) {
            saved.add(new SavedTensor(t, op));
        }
    }

    /** The i-th saved tensor, in the order saved. */
    public Tensor saved(int i) {
        if (i < 0 || i >= saved.size()) {
            throw new IndexOutOfBoundsException(op + " saved " + saved.size() + " tensor(s); asked for #" + i);
        }
        return saved.get(i).get();
    }
}
