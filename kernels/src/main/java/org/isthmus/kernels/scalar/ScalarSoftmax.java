package org.isthmus.kernels.scalar;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.isthmus.kernels.SoftmaxKernels;

/**
 * The softmax family over the last dimension, in double. Every row subtracts its max before
 * exponentiating, so no exp overflows; a row holding NaN gives NaN (Math.max propagates it),
 * −∞ entries give exp = 0, and a row of only −∞ gives NaN (−∞ − (−∞)) except in logSumExp, where
 * it gives −∞ (log 0), as in PyTorch.
 */
final class ScalarSoftmax implements SoftmaxKernels {

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;

    @Override
    public void softmax(MemorySegment x, MemorySegment y, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            long row = (long) r * cols;
            double max = max(x, row, cols);
            double sum = sumExp(x, row, cols, max);
            for (int c = 0; c < cols; c++) {
                y.setAtIndex(FLOAT, row + c, (float) (Math.exp(x.getAtIndex(FLOAT, row + c) - max) / sum));
            }
        }
    }

    @Override
    public void logSoftmax(MemorySegment x, MemorySegment y, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            long row = (long) r * cols;
            double max = max(x, row, cols);
            double logSum = Math.log(sumExp(x, row, cols, max));
            for (int c = 0; c < cols; c++) {
                y.setAtIndex(FLOAT, row + c, (float) (x.getAtIndex(FLOAT, row + c) - max - logSum));
            }
        }
    }

    @Override
    public void logSumExp(MemorySegment x, MemorySegment y, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            long row = (long) r * cols;
            double max = max(x, row, cols);
            // An infinite max is the answer (PyTorch's rule): −∞ for a row masked entirely (log 0), not −∞ − (−∞).
            double lse = Double.isInfinite(max) ? max : max + Math.log(sumExp(x, row, cols, max));
            y.setAtIndex(FLOAT, r, (float) lse);
        }
    }

    @Override
    public void softmaxBackward(MemorySegment y, MemorySegment dy, MemorySegment dx, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            long row = (long) r * cols;
            double dot = 0;
            for (int c = 0; c < cols; c++) {
                dot += (double) dy.getAtIndex(FLOAT, row + c) * y.getAtIndex(FLOAT, row + c);
            }
            for (int c = 0; c < cols; c++) {
                double yc = y.getAtIndex(FLOAT, row + c);
                dx.setAtIndex(FLOAT, row + c, (float) (yc * (dy.getAtIndex(FLOAT, row + c) - dot)));
            }
        }
    }

    @Override
    public void logSoftmaxBackward(MemorySegment y, MemorySegment dy, MemorySegment dx, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            long row = (long) r * cols;
            double sum = 0;
            for (int c = 0; c < cols; c++) {
                sum += dy.getAtIndex(FLOAT, row + c);
            }
            for (int c = 0; c < cols; c++) {
                double softmax = Math.exp(y.getAtIndex(FLOAT, row + c));
                dx.setAtIndex(FLOAT, row + c, (float) (dy.getAtIndex(FLOAT, row + c) - softmax * sum));
            }
        }
    }

    @Override
    public void logSumExpBackward(MemorySegment x, MemorySegment lse, MemorySegment dLse, MemorySegment dx,
                                  int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            long row = (long) r * cols;
            double scale = dLse.getAtIndex(FLOAT, r);
            double shift = lse.getAtIndex(FLOAT, r);
            for (int c = 0; c < cols; c++) {
                dx.setAtIndex(FLOAT, row + c, (float) (scale * Math.exp(x.getAtIndex(FLOAT, row + c) - shift)));
            }
        }
    }

    /**
     * The loss is written log Σ exp(x − max) + (1 − s)·(max − x[t]) + s·(max − mean(x)): every
     * term is ≥ 0, so nothing cancels. The smoothing term is skipped when s = 0, so that a −∞
     * logit outside the target (masked) does not make 0·∞ = NaN.
     */
    @Override
    public void softmaxCrossEntropy(MemorySegment logits, MemorySegment targets, float labelSmoothing,
                                    MemorySegment losses, MemorySegment dLogits, int rows, int cols) {
        double smoothing = labelSmoothing;
        double spread = smoothing / cols;
        for (int r = 0; r < rows; r++) {
            long row = (long) r * cols;
            int target = targets.getAtIndex(ValueLayout.JAVA_INT, r);
            double max = max(logits, row, cols);
            double sum = sumExp(logits, row, cols, max);
            double loss = Math.log(sum) + (1 - smoothing) * (max - logits.getAtIndex(FLOAT, row + target));
            if (smoothing > 0) {
                double total = 0;
                for (int c = 0; c < cols; c++) {
                    total += logits.getAtIndex(FLOAT, row + c);
                }
                loss += smoothing * (max - total / cols);
            }
            losses.setAtIndex(FLOAT, r, (float) loss);
            if (dLogits != null) {
                for (int c = 0; c < cols; c++) {
                    double q = c == target ? 1 - smoothing + spread : spread;
                    double p = Math.exp(logits.getAtIndex(FLOAT, row + c) - max) / sum;
                    dLogits.setAtIndex(FLOAT, row + c, (float) (p - q));
                }
            }
        }
    }

    private static double max(MemorySegment x, long row, int cols) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < cols; c++) {
            max = Math.max(max, x.getAtIndex(FLOAT, row + c));
        }
        return max;
    }

    private static double sumExp(MemorySegment x, long row, int cols, double max) {
        double sum = 0;
        for (int c = 0; c < cols; c++) {
            sum += Math.exp(x.getAtIndex(FLOAT, row + c) - max);
        }
        return sum;
    }
}
