package org.isthmus.kernels.scalar;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.isthmus.kernels.AdamCoefficients;
import org.isthmus.kernels.BinaryOp;
import org.isthmus.kernels.Broadcast;
import org.isthmus.kernels.DropoutMask;
import org.isthmus.kernels.ElementwiseKernels;
import org.isthmus.kernels.UnaryOp;

/**
 * Reference elementwise kernels: every value computed in double and rounded once to float, every
 * sum (the broadcast gradients of {@link #binaryBackward}) accumulated in double.
 */
final class ScalarElementwise implements ElementwiseKernels {

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    /** √(2/π), GELU's tanh-form constant. */
    private static final double GELU_SCALE = Math.sqrt(2 / Math.PI);
    private static final double GELU_CUBIC = 0.044715;

    @Override
    public void binary(BinaryOp op, MemorySegment a, MemorySegment b, Broadcast bShape, MemorySegment y,
                       int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                long i = (long) r * cols + c;
                double left = a.getAtIndex(FLOAT, i);
                double right = b.getAtIndex(FLOAT, broadcastIndex(bShape, r, c, cols));
                y.setAtIndex(FLOAT, i, (float) apply(op, left, right));
            }
        }
    }

    /**
     * dA = dy (ADD, SUB), dy·b (MUL), dy/b (DIV); dB = Σ over the broadcast of dy (ADD), −dy (SUB),
     * dy·a (MUL), −dy·a/b² (DIV). With FULL b both come from one pass over each element, so either
     * may be written in place of any input; otherwise dB is written first, then dA.
     */
    @Override
    public void binaryBackward(BinaryOp op, MemorySegment a, MemorySegment b, Broadcast bShape, MemorySegment dy,
                               MemorySegment dA, MemorySegment dB, int rows, int cols) {
        boolean weighted = op == BinaryOp.MUL || op == BinaryOp.DIV;
        long n = (long) rows * cols;
        if (bShape == Broadcast.FULL) {
            for (long i = 0; i < n; i++) {
                double g = dy.getAtIndex(FLOAT, i);
                double left = a.getAtIndex(FLOAT, i);
                double right = b.getAtIndex(FLOAT, i);
                if (dB != null) {
                    dB.setAtIndex(FLOAT, i, (float) finishB(op, weighted ? g * left : g, right));
                }
                if (dA != null) {
                    dA.setAtIndex(FLOAT, i, (float) gradientA(op, g, right));
                }
            }
            return;
        }
        if (dB != null) {
            long bSize = bShape.size(rows, cols);
            double[] sums = new double[(int) bSize];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    long i = (long) r * cols + c;
                    double g = dy.getAtIndex(FLOAT, i);
                    sums[(int) broadcastIndex(bShape, r, c, cols)] += weighted ? g * a.getAtIndex(FLOAT, i) : g;
                }
            }
            for (int j = 0; j < bSize; j++) {
                dB.setAtIndex(FLOAT, j, (float) finishB(op, sums[j], b.getAtIndex(FLOAT, j)));
            }
        }
        if (dA != null) {
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    long i = (long) r * cols + c;
                    double right = b.getAtIndex(FLOAT, broadcastIndex(bShape, r, c, cols));
                    dA.setAtIndex(FLOAT, i, (float) gradientA(op, dy.getAtIndex(FLOAT, i), right));
                }
            }
        }
    }

    @Override
    public void unary(UnaryOp f, MemorySegment x, MemorySegment y, int n) {
        for (long i = 0; i < n; i++) {
            y.setAtIndex(FLOAT, i, (float) apply(f, x.getAtIndex(FLOAT, i)));
        }
    }

    @Override
    public void unaryBackward(UnaryOp f, MemorySegment x, MemorySegment y, MemorySegment dy, MemorySegment dx,
                              int n) {
        for (long i = 0; i < n; i++) {
            double g = gradient(f, x.getAtIndex(FLOAT, i), y.getAtIndex(FLOAT, i), dy.getAtIndex(FLOAT, i));
            dx.setAtIndex(FLOAT, i, (float) g);
        }
    }

    @Override
    public void axpy(int n, float alpha, MemorySegment x, MemorySegment y) {
        for (long i = 0; i < n; i++) {
            y.setAtIndex(FLOAT, i, (float) (y.getAtIndex(FLOAT, i) + (double) alpha * x.getAtIndex(FLOAT, i)));
        }
    }

    /** In double, rounded to float once per stored value. */
    @Override
    public void adamUpdate(int n, AdamCoefficients c, MemorySegment p, MemorySegment g, MemorySegment m, MemorySegment v) {
        for (long i = 0; i < n; i++) {
            double value = (double) p.getAtIndex(FLOAT, i) * c.decay();
            double d = g.getAtIndex(FLOAT, i) + (double) c.l2() * value;
            double mi = (double) c.beta1() * m.getAtIndex(FLOAT, i) + (1 - (double) c.beta1()) * d;
            double vi = (double) c.beta2() * v.getAtIndex(FLOAT, i) + (1 - (double) c.beta2()) * d * d;
            m.setAtIndex(FLOAT, i, (float) mi);
            v.setAtIndex(FLOAT, i, (float) vi);
            p.setAtIndex(FLOAT, i, (float) (value - c.stepSize() * mi / (Math.sqrt(vi) / c.rootCorrection2() + c.eps())));
        }
    }

    @Override
    public void dropout(MemorySegment x, MemorySegment y, MemorySegment mask, int n, float p, long seed) {
        for (int i = 0; i < n; i++) {
            float m = DropoutMask.mask(seed, i, p);
            float value = x.getAtIndex(FLOAT, i);
            mask.setAtIndex(FLOAT, i, m);
            y.setAtIndex(FLOAT, i, value * m);
        }
    }

    /** Where element (r, c) of the rows×cols result finds its b. */
    private static long broadcastIndex(Broadcast bShape, int r, int c, int cols) {
        return switch (bShape) {
            case FULL -> (long) r * cols + c;
            case ROW -> c;
            case COLUMN -> r;
            case SCALAR -> 0;
        };
    }

    private static double apply(BinaryOp op, double a, double b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
        };
    }

    private static double gradientA(BinaryOp op, double dy, double b) {
        return switch (op) {
            case ADD, SUB -> dy;
            case MUL -> dy * b;
            case DIV -> dy / b;
        };
    }

    /** dB from the summed term (Σdy for ADD and SUB, Σdy·a for MUL and DIV) and b. */
    private static double finishB(BinaryOp op, double sum, double b) {
        return switch (op) {
            case ADD, MUL -> sum;
            case SUB -> -sum;
            case DIV -> -sum / (b * b);
        };
    }

    private static double apply(UnaryOp f, double x) {
        return switch (f) {
            case UnaryOp.Relu _ -> Math.max(x, 0); // NaN stays NaN, as in PyTorch
            case UnaryOp.LeakyRelu leaky -> x > 0 ? x : leaky.slope() * x;
            case UnaryOp.Gelu _ -> 0.5 * x * (1 + Math.tanh(GELU_SCALE * (x + GELU_CUBIC * x * x * x)));
            case UnaryOp.Sigmoid _ -> 1 / (1 + Math.exp(-x));
            case UnaryOp.Tanh _ -> Math.tanh(x);
            case UnaryOp.Exp _ -> Math.exp(x);
            case UnaryOp.Log _ -> Math.log(x);
            case UnaryOp.Sqrt _ -> Math.sqrt(x);
            case UnaryOp.Abs _ -> Math.abs(x);
            case UnaryOp.Clamp clamp -> Math.min(Math.max(x, clamp.min()), clamp.max());
            case UnaryOp.Scale scale -> scale.factor() * x;
        };
    }

    /**
     * f′(x)·dy, f′ from x or from the forward output y, whichever the formula is simpler in. Where
     * f′ is 0 (relu, clamp outside its range) dx is 0 even for an infinite dy, as PyTorch's masks give.
     */
    private static double gradient(UnaryOp f, double x, double y, double dy) {
        return switch (f) {
            case UnaryOp.Relu _ -> x > 0 ? dy : 0;
            case UnaryOp.LeakyRelu leaky -> x > 0 ? dy : leaky.slope() * dy;
            case UnaryOp.Gelu _ -> {
                double t = Math.tanh(GELU_SCALE * (x + GELU_CUBIC * x * x * x));
                yield (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_SCALE * (1 + 3 * GELU_CUBIC * x * x)) * dy;
            }
            case UnaryOp.Sigmoid _ -> y * (1 - y) * dy;
            case UnaryOp.Tanh _ -> (1 - y * y) * dy;
            case UnaryOp.Exp _ -> y * dy;
            case UnaryOp.Log _ -> dy / x;
            case UnaryOp.Sqrt _ -> 0.5 * dy / y;
            case UnaryOp.Abs _ -> Math.signum(x) * dy;
            case UnaryOp.Clamp clamp -> x >= clamp.min() && x <= clamp.max() ? dy : 0;
            case UnaryOp.Scale scale -> scale.factor() * dy;
        };
    }
}
