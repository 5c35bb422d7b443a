package org.isthmus.tensor;

/**
 * One recorded operation of the autograd graph: its inputs and how the gradient of its output becomes
 * theirs. The backward function holds whatever the operation saved; releasing it frees them.
 */
final class Node {

    /** Turns the gradient of the output into one gradient per input (null where an input needs none). */
    @FunctionalInterface
    interface Backward {
        Tensor[] apply(Tensor gradOutput);
    }

    final String op;
    final Tensor[] inputs;
    private Backward backward;
    /** The output whose gradient is kept after backward, when the user asked with retainGrad(). */
    Tensor retainedOutput;

    Node(String op, Tensor[] inputs, Backward backward) {
        this.op = op;
        this.inputs = inputs;
        this.backward = backward;
    }

    Tensor[] backward(Tensor gradOutput) {
        if (backward == null) {
            throw new IllegalStateException("the graph through '" + op + "' was freed by an earlier backward(); "
                    + "pass retainGraph = true to the first backward to run backward through it twice");
        }
        return backward.apply(gradOutput);
    }

    void release() {
        backward = null;
    }
}
