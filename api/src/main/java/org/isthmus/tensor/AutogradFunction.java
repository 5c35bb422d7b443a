package org.isthmus.tensor;

/**
 * A differentiable operation written by a user: {@link #forward} computes the result (no graph is
 * recorded inside it) and saves what the gradient needs in the context; {@link #backward} turns the
 * gradient of the result into one gradient per input. {@link #apply} runs it and records it.
 *
 * <pre>{@code
 * class Square extends AutogradFunction {
 *     protected Tensor forward(FunctionContext ctx, Tensor... in) {
 *         ctx.saveForBackward(in[0]);
 *         return in[0].mul(in[0]);
 *     }
 *     protected Tensor[] backward(FunctionContext ctx, Tensor grad) {
 *         return new Tensor[] {grad.mul(ctx.saved(0)).mul(2f)};
 *     }
 * }
 * Tensor y = new Square().apply(x);
 * }</pre>
 */
public abstract class AutogradFunction {

    /** The result of the operation on its inputs; save tensors for the backward pass in ctx. */
    protected abstract Tensor forward(FunctionContext ctx, Tensor... inputs);

    /** One gradient per input, each shaped as that input (null for an input that needs none). */
    protected abstract Tensor[] backward(FunctionContext ctx, Tensor gradOutput);

    /** The name anomaly messages and errors use; the class's simple name by default. */
    public String name() {
        return getClass().getSimpleName();
    }

    /** Runs {@link #forward} and records the operation so that backward() reaches {@link #backward}. */
    public final Tensor apply(Tensor... inputs) {
        FunctionContext ctx = new FunctionContext(name());
        Tensor output;
        try (Autograd.Scope ignored = Autograd.noGrad()) {
            output = forward(ctx, inputs);
        }
        if (output == null) {
            throw new IllegalStateException(name() + ".forward returned null");
        }
        boolean isInput = false;
        for (Tensor input : inputs) {
            isInput |= input == output;
        }
        Tensor result = isInput ? output.view(output.shape()) : output;
        Tensor[] recorded = inputs.clone();
        return Autograd.record(name(), result, recorded, grad -> {
            Tensor[] grads = backward(ctx, grad);
            if (grads == null || grads.length != recorded.length) {
                throw new IllegalStateException(name() + ".backward must return " + recorded.length
                        + " gradient(s), one per input (null where none)");
            }
            return grads;
        });
    }
}
