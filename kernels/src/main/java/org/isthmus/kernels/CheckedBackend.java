package org.isthmus.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * The front door every backend shares: arguments are validated once here, then handed to the
 * backend's kernels, which may assume them valid (so no native code ever reads out of bounds).
 * Calls with a zero size return after validation without reaching a kernel.
 */
public abstract class CheckedBackend implements Backend {

    private final KernelSet kernels;

    protected CheckedBackend(KernelSet kernels) {
        this.kernels = kernels;
    }

    /** The kernels behind this front door, for a backend that reuses some of them. */
    public final KernelSet kernels() {
        return kernels;
    }

    @Override
    public final void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb,
                            float beta, MemorySegment c, long cOffset, int ldc) {
        GemmArguments.check(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
        if (m == 0 || n == 0) {
            return;
        }
        kernels.gemm().sgemm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
    }

    // ---------------------------------------------------------------- softmax family

    @Override
    public final void softmax(MemorySegment x, MemorySegment y, int rows, int cols) {
        if (checkRowwise("softmax", x, y, rows, cols, (long) rows * cols)) {
            kernels.softmax().softmax(x, y, rows, cols);
        }
    }

    @Override
    public final void logSoftmax(MemorySegment x, MemorySegment y, int rows, int cols) {
        if (checkRowwise("logSoftmax", x, y, rows, cols, (long) rows * cols)) {
            kernels.softmax().logSoftmax(x, y, rows, cols);
        }
    }

    @Override
    public final void logSumExp(MemorySegment x, MemorySegment y, int rows, int cols) {
        if (checkRowwise("logSumExp", x, y, rows, cols, rows)) {
            kernels.softmax().logSumExp(x, y, rows, cols);
        }
    }

    @Override
    public final void softmaxBackward(MemorySegment y, MemorySegment dy, MemorySegment dx, int rows, int cols) {
        String call = matrixCall("softmaxBackward", rows, cols);
        long size = (long) rows * cols;
        floats("y", y, size, call);
        floats("dy", dy, size, call);
        output("dx", dx, size, call);
        if (size > 0) {
            kernels.softmax().softmaxBackward(y, dy, dx, rows, cols);
        }
    }

    @Override
    public final void logSoftmaxBackward(MemorySegment y, MemorySegment dy, MemorySegment dx, int rows, int cols) {
        String call = matrixCall("logSoftmaxBackward", rows, cols);
        long size = (long) rows * cols;
        floats("y", y, size, call);
        floats("dy", dy, size, call);
        output("dx", dx, size, call);
        if (size > 0) {
            kernels.softmax().logSoftmaxBackward(y, dy, dx, rows, cols);
        }
    }

    @Override
    public final void logSumExpBackward(MemorySegment x, MemorySegment lse, MemorySegment dLse, MemorySegment dx,
                                        int rows, int cols) {
        String call = matrixCall("logSumExpBackward", rows, cols);
        long size = (long) rows * cols;
        floats("x", x, size, call);
        floats("lse", lse, rows, call);
        floats("dLse", dLse, rows, call);
        output("dx", dx, size, call);
        if (size > 0) {
            kernels.softmax().logSumExpBackward(x, lse, dLse, dx, rows, cols);
        }
    }

    @Override
    public final void softmaxCrossEntropy(MemorySegment logits, MemorySegment targets, float labelSmoothing,
                                          MemorySegment losses, MemorySegment dLogits, int rows, int cols) {
        String call = matrixCall("softmaxCrossEntropy", rows, cols) + ", labelSmoothing=" + labelSmoothing;
        long size = (long) rows * cols;
        floats("logits", logits, size, call);
        ints("targets", targets, rows, call);
        output("losses", losses, rows, call);
        optionalOutput("dLogits", dLogits, size, call);
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f)) {
            throw new IllegalArgumentException("labelSmoothing must lie in [0, 1]: " + call);
        }
        if (size == 0) {
            return;
        }
        checkIndices("targets", targets, rows, cols, call);
        kernels.softmax().softmaxCrossEntropy(logits, targets, labelSmoothing, losses, dLogits, rows, cols);
    }

    // ---------------------------------------------------------------- normalization

    @Override
    public final void layerNorm(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment y,
                                MemorySegment mean, MemorySegment rstd, int rows, int cols, float eps) {
        String call = matrixCall("layerNorm", rows, cols) + ", eps=" + eps;
        long size = (long) rows * cols;
        floats("x", x, size, call);
        optionalFloats("gamma", gamma, cols, call);
        optionalFloats("beta", beta, cols, call);
        output("y", y, size, call);
        optionalOutput("mean", mean, rows, call);
        optionalOutput("rstd", rstd, rows, call);
        checkEps(eps, call);
        if (size > 0) {
            kernels.normalization().layerNorm(x, gamma, beta, y, mean, rstd, rows, cols, eps);
        }
    }

    @Override
    public final void layerNormBackward(MemorySegment x, MemorySegment gamma, MemorySegment mean, MemorySegment rstd,
                                        MemorySegment dy, MemorySegment dx, MemorySegment dGamma, MemorySegment dBeta,
                                        int rows, int cols) {
        String call = matrixCall("layerNormBackward", rows, cols);
        long size = (long) rows * cols;
        floats("x", x, size, call);
        optionalFloats("gamma", gamma, cols, call);
        floats("mean", mean, rows, call);
        floats("rstd", rstd, rows, call);
        floats("dy", dy, size, call);
        output("dx", dx, size, call);
        optionalOutput("dGamma", dGamma, cols, call);
        optionalOutput("dBeta", dBeta, cols, call);
        if (size > 0) {
            kernels.normalization().layerNormBackward(x, gamma, mean, rstd, dy, dx, dGamma, dBeta, rows, cols);
        }
    }

    @Override
    public final void batchNormTraining(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment y,
                                        MemorySegment mean, MemorySegment rstd, MemorySegment runningMean,
                                        MemorySegment runningVar, int batch, int channels, int spatial,
                                        float momentum, float eps) {
        String call = batchNormCall("batchNormTraining", batch, channels, spatial) + ", momentum=" + momentum
                + ", eps=" + eps;
        long size = (long) batch * channels * spatial;
        floats("x", x, size, call);
        optionalFloats("gamma", gamma, channels, call);
        optionalFloats("beta", beta, channels, call);
        output("y", y, size, call);
        output("mean", mean, channels, call);
        output("rstd", rstd, channels, call);
        if ((runningMean == null) != (runningVar == null)) {
            throw new IllegalArgumentException("runningMean and runningVar must both be given or both be null: " + call);
        }
        optionalOutput("runningMean", runningMean, channels, call);
        optionalOutput("runningVar", runningVar, channels, call);
        if (!(momentum >= 0f && momentum <= 1f)) {
            throw new IllegalArgumentException("momentum must lie in [0, 1]: " + call);
        }
        checkEps(eps, call);
        if (size > 0) {
            kernels.normalization().batchNormTraining(x, gamma, beta, y, mean, rstd, runningMean, runningVar,
                    batch, channels, spatial, momentum, eps);
        }
    }

    @Override
    public final void batchNormInference(MemorySegment x, MemorySegment gamma, MemorySegment beta,
                                         MemorySegment runningMean, MemorySegment runningVar, MemorySegment y,
                                         int batch, int channels, int spatial, float eps) {
        String call = batchNormCall("batchNormInference", batch, channels, spatial) + ", eps=" + eps;
        long size = (long) batch * channels * spatial;
        floats("x", x, size, call);
        optionalFloats("gamma", gamma, channels, call);
        optionalFloats("beta", beta, channels, call);
        floats("runningMean", runningMean, channels, call);
        floats("runningVar", runningVar, channels, call);
        output("y", y, size, call);
        checkEps(eps, call);
        if (size > 0) {
            kernels.normalization().batchNormInference(x, gamma, beta, runningMean, runningVar, y,
                    batch, channels, spatial, eps);
        }
    }

    @Override
    public final void batchNormBackward(MemorySegment x, MemorySegment gamma, MemorySegment mean, MemorySegment rstd,
                                        MemorySegment dy, MemorySegment dx, MemorySegment dGamma, MemorySegment dBeta,
                                        int batch, int channels, int spatial) {
        String call = batchNormCall("batchNormBackward", batch, channels, spatial);
        long size = (long) batch * channels * spatial;
        floats("x", x, size, call);
        optionalFloats("gamma", gamma, channels, call);
        floats("mean", mean, channels, call);
        floats("rstd", rstd, channels, call);
        floats("dy", dy, size, call);
        output("dx", dx, size, call);
        optionalOutput("dGamma", dGamma, channels, call);
        optionalOutput("dBeta", dBeta, channels, call);
        if (size > 0) {
            kernels.normalization().batchNormBackward(x, gamma, mean, rstd, dy, dx, dGamma, dBeta,
                    batch, channels, spatial);
        }
    }

    // ---------------------------------------------------------------- convolution

    @Override
    public final void conv2d(Conv2dShape shape, MemorySegment x, MemorySegment w, MemorySegment bias,
                             MemorySegment y) {
        conv2d(shape, 1, x, w, bias, y);
    }

    @Override
    public final void conv2dBackwardData(Conv2dShape shape, MemorySegment dy, MemorySegment w, MemorySegment dx) {
        conv2dBackwardData(shape, 1, dy, w, dx);
    }

    @Override
    public final void conv2dBackwardWeights(Conv2dShape shape, MemorySegment x, MemorySegment dy, MemorySegment dw,
                                            MemorySegment dBias) {
        conv2dBackwardWeights(shape, 1, x, dy, dw, dBias);
    }

    @Override
    public final void conv2d(Conv2dShape shape, int groups, MemorySegment x, MemorySegment w, MemorySegment bias,
                             MemorySegment y) {
        String call = convCall("conv2d", shape, groups);
        floats("x", x, shape.inputSize(), call);
        floats("w", w, shape.weightSize(groups), call);
        optionalFloats("bias", bias, shape.outChannels(), call);
        output("y", y, shape.outputSize(), call);
        kernels.convolution().conv2d(shape, groups, x, w, bias, y);
    }

    @Override
    public final void conv2dBackwardData(Conv2dShape shape, int groups, MemorySegment dy, MemorySegment w,
                                         MemorySegment dx) {
        String call = convCall("conv2dBackwardData", shape, groups);
        floats("dy", dy, shape.outputSize(), call);
        floats("w", w, shape.weightSize(groups), call);
        output("dx", dx, shape.inputSize(), call);
        kernels.convolution().conv2dBackwardData(shape, groups, dy, w, dx);
    }

    @Override
    public final void conv2dBackwardWeights(Conv2dShape shape, int groups, MemorySegment x, MemorySegment dy,
                                            MemorySegment dw, MemorySegment dBias) {
        String call = convCall("conv2dBackwardWeights", shape, groups);
        floats("x", x, shape.inputSize(), call);
        floats("dy", dy, shape.outputSize(), call);
        output("dw", dw, shape.weightSize(groups), call);
        optionalOutput("dBias", dBias, shape.outChannels(), call);
        kernels.convolution().conv2dBackwardWeights(shape, groups, x, dy, dw, dBias);
    }

    // ---------------------------------------------------------------- pooling

    @Override
    public final void maxPool2d(Pool2dShape shape, MemorySegment x, MemorySegment y, MemorySegment argmax) {
        String call = "maxPool2d(" + requireShape(shape) + ")";
        floats("x", x, shape.inputSize(), call);
        output("y", y, shape.outputSize(), call);
        intOutput("argmax", argmax, shape.outputSize(), call);
        kernels.pooling().maxPool2d(shape, x, y, argmax);
    }

    @Override
    public final void maxPool2dBackward(Pool2dShape shape, MemorySegment dy, MemorySegment argmax, MemorySegment dx) {
        String call = "maxPool2dBackward(" + requireShape(shape) + ")";
        floats("dy", dy, shape.outputSize(), call);
        ints("argmax", argmax, shape.outputSize(), call);
        output("dx", dx, shape.inputSize(), call);
        checkIndices("argmax", argmax, shape.outputSize(), shape.inHeight() * shape.inWidth(), call);
        kernels.pooling().maxPool2dBackward(shape, dy, argmax, dx);
    }

    @Override
    public final void avgPool2d(Pool2dShape shape, MemorySegment x, MemorySegment y) {
        String call = "avgPool2d(" + requireShape(shape) + ")";
        floats("x", x, shape.inputSize(), call);
        output("y", y, shape.outputSize(), call);
        kernels.pooling().avgPool2d(shape, x, y);
    }

    @Override
    public final void avgPool2dBackward(Pool2dShape shape, MemorySegment dy, MemorySegment dx) {
        String call = "avgPool2dBackward(" + requireShape(shape) + ")";
        floats("dy", dy, shape.outputSize(), call);
        output("dx", dx, shape.inputSize(), call);
        kernels.pooling().avgPool2dBackward(shape, dy, dx);
    }

    // ---------------------------------------------------------------- elementwise

    @Override
    public final void binary(BinaryOp op, MemorySegment a, MemorySegment b, Broadcast bShape, MemorySegment y,
                             int rows, int cols) {
        String call = binaryCall("binary", op, bShape, rows, cols);
        long size = (long) rows * cols;
        floats("a", a, size, call);
        floats("b", b, bShape.size(rows, cols), call);
        output("y", y, size, call);
        if (size > 0) {
            kernels.elementwise().binary(op, a, b, bShape, y, rows, cols);
        }
    }

    @Override
    public final void binaryBackward(BinaryOp op, MemorySegment a, MemorySegment b, Broadcast bShape,
                                     MemorySegment dy, MemorySegment dA, MemorySegment dB, int rows, int cols) {
        String call = binaryCall("binaryBackward", op, bShape, rows, cols);
        long size = (long) rows * cols;
        floats("a", a, size, call);
        floats("b", b, bShape.size(rows, cols), call);
        floats("dy", dy, size, call);
        optionalOutput("dA", dA, size, call);
        optionalOutput("dB", dB, bShape.size(rows, cols), call);
        if (size > 0) {
            kernels.elementwise().binaryBackward(op, a, b, bShape, dy, dA, dB, rows, cols);
        }
    }

    @Override
    public final void unary(UnaryOp f, MemorySegment x, MemorySegment y, int n) {
        String call = "unary(" + requireOp(f) + ", n=" + n + ")";
        checkSizes(call, n);
        floats("x", x, n, call);
        output("y", y, n, call);
        if (n > 0) {
            kernels.elementwise().unary(f, x, y, n);
        }
    }

    @Override
    public final void unaryBackward(UnaryOp f, MemorySegment x, MemorySegment y, MemorySegment dy, MemorySegment dx,
                                    int n) {
        String call = "unaryBackward(" + requireOp(f) + ", n=" + n + ")";
        checkSizes(call, n);
        floats("x", x, n, call);
        floats("y", y, n, call);
        floats("dy", dy, n, call);
        output("dx", dx, n, call);
        if (n > 0) {
            kernels.elementwise().unaryBackward(f, x, y, dy, dx, n);
        }
    }

    @Override
    public final void axpy(int n, float alpha, MemorySegment x, MemorySegment y) {
        String call = "axpy(n=" + n + ", alpha=" + alpha + ")";
        checkSizes(call, n);
        floats("x", x, n, call);
        output("y", y, n, call);
        if (n > 0) {
            kernels.elementwise().axpy(n, alpha, x, y);
        }
    }

    @Override
    public final void adamUpdate(int n, AdamCoefficients c, MemorySegment p, MemorySegment g, MemorySegment m,
                                 MemorySegment v) {
        String call = "adamUpdate(n=" + n + ")";
        checkSizes(call, n);
        Objects.requireNonNull(c, "adamUpdate: coefficients are null");
        floats("g", g, n, call);
        output("p", p, n, call);
        output("m", m, n, call);
        output("v", v, n, call);
        if (n > 0) {
            kernels.elementwise().adamUpdate(n, c, p, g, m, v);
        }
    }

    @Override
    public final void dropout(MemorySegment x, MemorySegment y, MemorySegment mask, int n, float p, long seed) {
        String call = "dropout(n=" + n + ", p=" + p + ")";
        checkSizes(call, n);
        floats("x", x, n, call);
        output("y", y, n, call);
        output("mask", mask, n, call);
        if (!(p >= 0f && p <= 1f)) {
            throw new IllegalArgumentException("p must lie in [0, 1]: " + call);
        }
        if (n > 0) {
            kernels.elementwise().dropout(x, y, mask, n, p, seed);
        }
    }

    // ---------------------------------------------------------------- reductions

    @Override
    public final void sum(MemorySegment x, MemorySegment y, int outer, int size, int inner) {
        if (checkReduction("sum", x, y, outer, size, inner)) {
            kernels.reductions().sum(x, y, outer, size, inner);
        }
    }

    @Override
    public final void mean(MemorySegment x, MemorySegment y, int outer, int size, int inner) {
        if (checkReduction("mean", x, y, outer, size, inner)) {
            kernels.reductions().mean(x, y, outer, size, inner);
        }
    }

    @Override
    public final void max(MemorySegment x, MemorySegment y, MemorySegment indices, int outer, int size, int inner) {
        boolean work = checkReduction("max", x, y, outer, size, inner);
        if (indices != null) {
            intOutput("indices", indices, (long) outer * inner, reductionCall("max", outer, size, inner));
        }
        if (work) {
            kernels.reductions().max(x, y, indices, outer, size, inner);
        }
    }

    @Override
    public final void variance(MemorySegment x, MemorySegment y, int outer, int size, int inner, int correction) {
        boolean work = checkReduction("variance", x, y, outer, size, inner);
        checkCorrection(size, correction, reductionCall("variance", outer, size, inner));
        if (work) {
            kernels.reductions().variance(x, y, outer, size, inner, correction);
        }
    }

    @Override
    public final void expand(MemorySegment dy, MemorySegment dx, int outer, int size, int inner, float scale) {
        String call = reductionCall("expand", outer, size, inner);
        checkSizes(call, outer, size, inner);
        floats("dy", dy, (long) outer * inner, call);
        output("dx", dx, (long) outer * size * inner, call);
        if ((long) outer * size * inner > 0) {
            kernels.reductions().expand(dy, dx, outer, size, inner, scale);
        }
    }

    @Override
    public final void maxBackward(MemorySegment dy, MemorySegment indices, MemorySegment dx,
                                  int outer, int size, int inner) {
        String call = reductionCall("maxBackward", outer, size, inner);
        checkSizes(call, outer, size, inner);
        floats("dy", dy, (long) outer * inner, call);
        ints("indices", indices, (long) outer * inner, call);
        output("dx", dx, (long) outer * size * inner, call);
        if ((long) outer * size * inner > 0) {
            checkIndices("indices", indices, (long) outer * inner, size, call);
            kernels.reductions().maxBackward(dy, indices, dx, outer, size, inner);
        }
    }

    @Override
    public final void varianceBackward(MemorySegment x, MemorySegment dy, MemorySegment dx,
                                       int outer, int size, int inner, int correction) {
        String call = reductionCall("varianceBackward", outer, size, inner);
        checkSizes(call, outer, size, inner);
        floats("x", x, (long) outer * size * inner, call);
        floats("dy", dy, (long) outer * inner, call);
        output("dx", dx, (long) outer * size * inner, call);
        checkCorrection(size, correction, call);
        if ((long) outer * size * inner > 0) {
            kernels.reductions().varianceBackward(x, dy, dx, outer, size, inner, correction);
        }
    }

    @Override
    public String toString() {
        return description();
    }

    // ---------------------------------------------------------------- checks

    private static boolean checkRowwise(String op, MemorySegment x, MemorySegment y, int rows, int cols,
                                        long outputSize) {
        String call = matrixCall(op, rows, cols);
        floats("x", x, (long) rows * cols, call);
        output("y", y, outputSize, call);
        return (long) rows * cols > 0;
    }

    private static boolean checkReduction(String op, MemorySegment x, MemorySegment y, int outer, int size, int inner) {
        String call = reductionCall(op, outer, size, inner);
        checkSizes(call, outer, size, inner);
        floats("x", x, (long) outer * size * inner, call);
        output("y", y, (long) outer * inner, call);
        if (size == 0 && (long) outer * inner > 0) {
            throw new IllegalArgumentException("cannot reduce over a dimension of size 0: " + call);
        }
        return (long) outer * size * inner > 0;
    }

    private static void checkCorrection(int size, int correction, String call) {
        if (correction < 0 || size > 0 && size <= correction) {
            throw new IllegalArgumentException("correction=" + correction + " must be >= 0 and smaller than size: " + call);
        }
    }

    private static void checkEps(float eps, String call) {
        if (!(eps >= 0f) || Float.isInfinite(eps)) {
            throw new IllegalArgumentException("eps must be finite and >= 0: " + call);
        }
    }

    private static void checkSizes(String call, int... sizes) {
        for (int size : sizes) {
            if (size < 0) {
                throw new IllegalArgumentException("sizes must be >= 0: " + call);
            }
        }
    }

    /**
     * Every index in [0, bound), else an exception naming the first one outside. On an int[] a min/max
     * pass (which C2 vectorizes) decides first, and the element-by-element search below runs only to
     * name the culprit: the argmax of a CNN's first pooling layer is 800 K indices a step, 5× faster
     * checked this way. Other segments, and slices at an odd byte offset (whose aligned reads refuse
     * them), go straight to the search.
     */
    private static void checkIndices(String name, MemorySegment indices, long count, int bound, String call) {
        if (indices.heapBase().orElse(null) instanceof int[] array && indices.address() % Integer.BYTES == 0) {
            // A heap segment's address is its byte offset in the array; its size was checked against count.
            int from = (int) (indices.address() / Integer.BYTES);
            int to = from + (int) count;
            int min = 0;
            int max = 0;
            for (int i = from; i < to; i++) {
                min = Math.min(min, array[i]);
                max = Math.max(max, array[i]);
            }
            if (min >= 0 && max < bound) {
                return;
            }
        }
        for (long i = 0; i < count; i++) {
            int index = indices.getAtIndex(ValueLayout.JAVA_INT, i);
            if (index < 0 || index >= bound) {
                throw new IllegalArgumentException(name + "[" + i + "]=" + index + " is outside [0, " + bound + "): " + call);
            }
        }
    }

    private static void floats(String name, MemorySegment segment, long count, String call) {
        elements(name, segment, count, Float.BYTES, "floats", call);
    }

    private static void optionalFloats(String name, MemorySegment segment, long count, String call) {
        if (segment != null) {
            floats(name, segment, count, call);
        }
    }

    private static void ints(String name, MemorySegment segment, long count, String call) {
        elements(name, segment, count, Integer.BYTES, "int32 values", call);
    }

    private static void output(String name, MemorySegment segment, long count, String call) {
        floats(name, segment, count, call);
        if (segment.isReadOnly()) {
            throw new IllegalArgumentException(name + " is a read-only segment: " + call);
        }
    }

    private static void optionalOutput(String name, MemorySegment segment, long count, String call) {
        if (segment != null) {
            output(name, segment, count, call);
        }
    }

    private static void intOutput(String name, MemorySegment segment, long count, String call) {
        ints(name, segment, count, call);
        if (segment.isReadOnly()) {
            throw new IllegalArgumentException(name + " is a read-only segment: " + call);
        }
    }

    private static void elements(String name, MemorySegment segment, long count, int bytes, String unit, String call) {
        if (segment == null) {
            throw new IllegalArgumentException(name + " is null: " + call);
        }
        if (count < 0) {
            throw new IllegalArgumentException("sizes must be >= 0: " + call);
        }
        long available = segment.byteSize() / bytes;
        if (available < count) {
            throw new IllegalArgumentException(name + " needs " + count + " " + unit + " but its segment holds "
                    + available + ": " + call);
        }
    }

    private static String matrixCall(String op, int rows, int cols) {
        String call = op + "(rows=" + rows + ", cols=" + cols + ")";
        checkSizes(call, rows, cols);
        return call;
    }

    private static String batchNormCall(String op, int batch, int channels, int spatial) {
        String call = op + "(batch=" + batch + ", channels=" + channels + ", spatial=" + spatial + ")";
        checkSizes(call, batch, channels, spatial);
        return call;
    }

    private static String reductionCall(String op, int outer, int size, int inner) {
        return op + "(outer=" + outer + ", size=" + size + ", inner=" + inner + ")";
    }

    private static String binaryCall(String name, BinaryOp op, Broadcast bShape, int rows, int cols) {
        if (op == null || bShape == null) {
            throw new IllegalArgumentException("op and bShape must not be null: " + name + "(" + op + ", " + bShape + ")");
        }
        String call = name + "(" + op + ", b " + bShape + ", rows=" + rows + ", cols=" + cols + ")";
        checkSizes(call, rows, cols);
        return call;
    }

    private static String convCall(String op, Conv2dShape shape, int groups) {
        if (shape == null) {
            throw new IllegalArgumentException(op + ": shape is null");
        }
        String call = op + "(" + shape + (groups == 1 ? "" : ", groups=" + groups) + ", output "
                + shape.outHeight() + "x" + shape.outWidth() + ")";
        if (groups < 1 || shape.inChannels() % groups != 0 || shape.outChannels() % groups != 0) {
            throw new IllegalArgumentException("groups must be >= 1 and divide inChannels (" + shape.inChannels()
                    + ") and outChannels (" + shape.outChannels() + "), got groups=" + groups + ": " + call);
        }
        return call;
    }

    private static Pool2dShape requireShape(Pool2dShape shape) {
        if (shape == null) {
            throw new IllegalArgumentException("pooling shape is null");
        }
        return shape;
    }

    private static UnaryOp requireOp(UnaryOp f) {
        if (f == null) {
            throw new IllegalArgumentException("the unary function is null");
        }
        return f;
    }
}
