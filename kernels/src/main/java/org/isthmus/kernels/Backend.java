package org.isthmus.kernels;

import java.lang.foreign.MemorySegment;

/**
 * One compute path (scalar, vector, onednn, cublas). Every operation works on float32,
 * row-major, contiguous data held in {@link MemorySegment}s, heap or native. Index arguments
 * (cross-entropy targets, max-pool and argmax positions) are int32 segments.
 *
 * <p>Implementations validate their arguments before any work (see {@link CheckedBackend}):
 * a negative size, a leading dimension shorter than a row, or a segment too small for the
 * shape is an {@link IllegalArgumentException} naming the argument and the shapes.
 *
 * <p>Outputs are overwritten, never accumulated into (gradients included): summing gradients
 * is the caller's business. Unless a method says otherwise an output may be the same segment
 * as an input of the same shape (in place), but must not partially overlap one.
 */
public interface Backend {

    /** The name {@link Backends#get(String)} knows this backend by. */
    String name();

    /** One line for users and bug reports: what this backend runs on and how it is set up. */
    default String description() {
        return name();
    }

    // ---------------------------------------------------------------- GEMM

    /**
     * C = alpha·op(A)·op(B) + beta·C with BLAS semantics, row-major: op(A) is m×k, op(B) is
     * k×n, C is m×n. With beta = 0 the old contents of C are ignored, NaN included; with
     * alpha = 0 or k = 0, A and B are not read.
     *
     * @param transA use Aᵀ: A is stored k×m instead of m×k
     * @param lda    distance in elements between the starts of two stored rows of A
     */
    void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
               MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb,
               float beta, MemorySegment c, long cOffset, int ldc);

    // ---------------------------------------------------------------- softmax family (last dimension)

    /** y = softmax(x) over each row of a rows×cols matrix, the row max subtracted first. */
    void softmax(MemorySegment x, MemorySegment y, int rows, int cols);

    /** y = x − logsumexp(x) over each row. */
    void logSoftmax(MemorySegment x, MemorySegment y, int rows, int cols);

    /** y[r] = log Σ_c exp(x[r, c]); y has {@code rows} elements. */
    void logSumExp(MemorySegment x, MemorySegment y, int rows, int cols);

    /** dx = y ⊙ (dy − Σ_c dy·y) per row, from softmax's output y. */
    void softmaxBackward(MemorySegment y, MemorySegment dy, MemorySegment dx, int rows, int cols);

    /** dx = dy − exp(y) · Σ_c dy per row, from logSoftmax's output y. */
    void logSoftmaxBackward(MemorySegment y, MemorySegment dy, MemorySegment dx, int rows, int cols);

    /** dx[r, c] = dLse[r] · exp(x[r, c] − lse[r]), from logSumExp's input x and output lse (rows). */
    void logSumExpBackward(MemorySegment x, MemorySegment lse, MemorySegment dLse, MemorySegment dx,
                           int rows, int cols);

    /**
     * Cross-entropy from logits, fused: with q = (1 − s)·onehot(target) + s/cols (s = label
     * smoothing), losses[r] = logsumexp(x[r]) − Σ_c q·x[r, c] and, when dLogits is not null,
     * dLogits[r] = softmax(x[r]) − q (the gradient of losses[r]; scale it for a mean).
     *
     * @param targets int32, one class index in [0, cols) per row
     */
    void softmaxCrossEntropy(MemorySegment logits, MemorySegment targets, float labelSmoothing,
                             MemorySegment losses, MemorySegment dLogits, int rows, int cols);

    // ---------------------------------------------------------------- normalization

    /**
     * Layer normalization over each row: y = (x − mean)·rstd·gamma + beta with
     * rstd = 1/√(var + eps) (biased variance). gamma and beta (cols) may be null (no affine);
     * mean and rstd (rows) are written when not null, for the backward pass.
     */
    void layerNorm(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment y,
                   MemorySegment mean, MemorySegment rstd, int rows, int cols, float eps);

    /**
     * The gradients of {@link #layerNorm} from its input, gamma (null: no affine), the mean and
     * rstd it wrote, and dy. dGamma and dBeta (cols) are written when not null.
     */
    void layerNormBackward(MemorySegment x, MemorySegment gamma, MemorySegment mean, MemorySegment rstd,
                           MemorySegment dy, MemorySegment dx, MemorySegment dGamma, MemorySegment dBeta,
                           int rows, int cols);

    /**
     * Batch normalization for training on x of shape batch×channels×spatial (spatial = H·W,
     * or 1 for 2-D input): per channel, the batch mean and biased variance normalize x; mean and
     * rstd (channels) are written for the backward pass; runningMean and runningVar, when not
     * null, become (1 − momentum)·running + momentum·batch, with the unbiased variance
     * (PyTorch's rule). gamma and beta may be null (no affine).
     */
    void batchNormTraining(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment y,
                           MemorySegment mean, MemorySegment rstd, MemorySegment runningMean,
                           MemorySegment runningVar, int batch, int channels, int spatial,
                           float momentum, float eps);

    /** Batch normalization for inference: y = (x − runningMean)/√(runningVar + eps)·gamma + beta. */
    void batchNormInference(MemorySegment x, MemorySegment gamma, MemorySegment beta,
                            MemorySegment runningMean, MemorySegment runningVar, MemorySegment y,
                            int batch, int channels, int spatial, float eps);

    /** The gradients of {@link #batchNormTraining} from the mean and rstd it wrote. */
    void batchNormBackward(MemorySegment x, MemorySegment gamma, MemorySegment mean, MemorySegment rstd,
                           MemorySegment dy, MemorySegment dx, MemorySegment dGamma, MemorySegment dBeta,
                           int batch, int channels, int spatial);

    // ---------------------------------------------------------------- convolution

    /** y = conv2d(x, w) + bias: NCHW x, OIHW w, NCHW y; bias (outChannels) may be null. */
    void conv2d(Conv2dShape shape, MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y);

    /** dx = the gradient of {@link #conv2d} with respect to its input, from dy and w. */
    void conv2dBackwardData(Conv2dShape shape, MemorySegment dy, MemorySegment w, MemorySegment dx);

    /** dw (OIHW) and, when not null, dBias (outChannels): the gradients with respect to w and bias. */
    void conv2dBackwardWeights(Conv2dShape shape, MemorySegment x, MemorySegment dy, MemorySegment dw,
                               MemorySegment dBias);

    /**
     * Grouped convolution (PyTorch's {@code groups}): the input channels and the filters split into
     * {@code groups} equal groups, and filter group g sees input group g only. w is
     * [outChannels, inChannels/groups, kH, kW] ({@link Conv2dShape#weightSize(int)} floats). groups = 1 is
     * {@link #conv2d(Conv2dShape, MemorySegment, MemorySegment, MemorySegment, MemorySegment)}; groups =
     * inChannels is a depthwise convolution. groups must divide both channel counts.
     */
    void conv2d(Conv2dShape shape, int groups, MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y);

    /** dx for the grouped {@link #conv2d(Conv2dShape, int, MemorySegment, MemorySegment, MemorySegment, MemorySegment)}. */
    void conv2dBackwardData(Conv2dShape shape, int groups, MemorySegment dy, MemorySegment w, MemorySegment dx);

    /** dw ([outChannels, inChannels/groups, kH, kW]) and, when not null, dBias for the grouped convolution. */
    void conv2dBackwardWeights(Conv2dShape shape, int groups, MemorySegment x, MemorySegment dy, MemorySegment dw,
                               MemorySegment dBias);

    // ---------------------------------------------------------------- pooling

    /**
     * Max pooling over NCHW input; padding counts as −∞. argmax (int32, the shape of y) records
     * for each output the index h·inWidth + w of its maximum in the input plane (the first, on ties).
     */
    void maxPool2d(Pool2dShape shape, MemorySegment x, MemorySegment y, MemorySegment argmax);

    /** dx = zero except where argmax points, where the dy of every output choosing it is summed. */
    void maxPool2dBackward(Pool2dShape shape, MemorySegment dy, MemorySegment argmax, MemorySegment dx);

    /** Average pooling; padding counts as zeros in the average (PyTorch's count_include_pad). */
    void avgPool2d(Pool2dShape shape, MemorySegment x, MemorySegment y);

    /** The gradient of {@link #avgPool2d}. */
    void avgPool2dBackward(Pool2dShape shape, MemorySegment dy, MemorySegment dx);

    // ---------------------------------------------------------------- elementwise

    /** y = a op b, a and y rows×cols, b broadcast as {@code bShape} says. */
    void binary(BinaryOp op, MemorySegment a, MemorySegment b, Broadcast bShape, MemorySegment y,
                int rows, int cols);

    /**
     * The gradients of {@link #binary}: dA (rows×cols) and dB (in b's broadcast shape, summed over
     * the broadcast), each written when not null.
     */
    void binaryBackward(BinaryOp op, MemorySegment a, MemorySegment b, Broadcast bShape, MemorySegment dy,
                        MemorySegment dA, MemorySegment dB, int rows, int cols);

    /** y = f(x) on n elements. */
    void unary(UnaryOp f, MemorySegment x, MemorySegment y, int n);

    /** dx = f′(x)·dy, given both the input x and the output y = f(x) of the forward pass. */
    void unaryBackward(UnaryOp f, MemorySegment x, MemorySegment y, MemorySegment dy, MemorySegment dx, int n);

    /** y += alpha·x on n elements (y is read and written). */
    void axpy(int n, float alpha, MemorySegment x, MemorySegment y);

    /**
     * Inverted dropout: mask[i] = 0 with probability p, else 1/(1 − p), drawn from a
     * counter-based generator keyed by (seed, i), so every backend and thread count draws the
     * same mask; y = x·mask. The backward pass is {@link #binary} MUL by the mask.
     */
    void dropout(MemorySegment x, MemorySegment y, MemorySegment mask, int n, float p, long seed);

    /**
     * One Adam or AdamW step on n parameters, in place ({@link AdamCoefficients} gives the formulas):
     * p, m and v (the moment estimates) are read and overwritten, the gradient g only read. The four
     * must not overlap.
     */
    void adamUpdate(int n, AdamCoefficients c, MemorySegment p, MemorySegment g, MemorySegment m, MemorySegment v);

    // ---------------------------------------------------------------- reductions
    // A tensor reduced over one dimension is seen as outer×size×inner (row-major): reducing the last
    // dimension of a matrix is (rows, cols, 1), its first dimension (1, rows, cols). y is outer×inner.

    /** y[o, i] = Σ_s x[o, s, i]. */
    void sum(MemorySegment x, MemorySegment y, int outer, int size, int inner);

    /** y[o, i] = mean over s of x[o, s, i]. */
    void mean(MemorySegment x, MemorySegment y, int outer, int size, int inner);

    /**
     * y[o, i] = max over s of x[o, s, i] and, when not null, indices[o, i] (int32) = the first s
     * reaching it. NaN is the max of any run holding one (as in PyTorch).
     */
    void max(MemorySegment x, MemorySegment y, MemorySegment indices, int outer, int size, int inner);

    /** y[o, i] = Σ_s (x − mean)² / (size − correction): correction 0 is biased, 1 unbiased. */
    void variance(MemorySegment x, MemorySegment y, int outer, int size, int inner, int correction);

    /** dx[o, s, i] = scale·dy[o, i]: the backward pass of sum (scale 1) and mean (scale 1/size). */
    void expand(MemorySegment dy, MemorySegment dx, int outer, int size, int inner, float scale);

    /** dx = zero except dx[o, indices[o, i], i] = dy[o, i]: the backward pass of max. */
    void maxBackward(MemorySegment dy, MemorySegment indices, MemorySegment dx, int outer, int size, int inner);

    /** dx = dy·2(x − mean)/(size − correction): the backward pass of variance. */
    void varianceBackward(MemorySegment x, MemorySegment dy, MemorySegment dx, int outer, int size, int inner,
                          int correction);
}
