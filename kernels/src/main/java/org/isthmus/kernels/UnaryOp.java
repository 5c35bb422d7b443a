package org.isthmus.kernels;

/**
 * The elementwise functions of {@link Backend#unary}, with their parameters. Each has a
 * derivative, {@link Backend#unaryBackward}.
 */
public sealed interface UnaryOp {

    UnaryOp RELU = new Relu();
    UnaryOp GELU = new Gelu();
    UnaryOp SIGMOID = new Sigmoid();
    UnaryOp TANH = new Tanh();
    UnaryOp EXP = new Exp();
    UnaryOp LOG = new Log();
    UnaryOp SQRT = new Sqrt();
    UnaryOp ABS = new Abs();

    /** max(x, 0); the derivative at 0 is 0. */
    record Relu() implements UnaryOp { }

    /** x for x > 0, else slope·x. */
    record LeakyRelu(float slope) implements UnaryOp { }

    /** GELU in its tanh form, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (PyTorch's approximate="tanh"). */
    record Gelu() implements UnaryOp { }

    /** 1/(1 + e^−x). */
    record Sigmoid() implements UnaryOp { }

    record Tanh() implements UnaryOp { }

    record Exp() implements UnaryOp { }

    /** The natural logarithm. */
    record Log() implements UnaryOp { }

    record Sqrt() implements UnaryOp { }

    /** |x|; the derivative at 0 is 0. */
    record Abs() implements UnaryOp { }

    /** min(max(x, min), max); the derivative is 1 strictly inside [min, max] and at its ends, 0 outside. */
    record Clamp(float min, float max) implements UnaryOp {
        public Clamp {
            if (!(min <= max)) {
                throw new IllegalArgumentException("clamp needs min <= max, got min=" + min + ", max=" + max);
            }
        }
    }

    /** factor·x. */
    record Scale(float factor) implements UnaryOp { }
}
