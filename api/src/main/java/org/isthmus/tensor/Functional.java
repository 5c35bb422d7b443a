package org.isthmus.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.random.RandomGenerator;
import org.isthmus.kernels.BinaryOp;
import org.isthmus.kernels.Broadcast;
import org.isthmus.kernels.Conv2dShape;
import org.isthmus.kernels.Pool2dShape;

/**
 * The neural-network operations on tensors (PyTorch's {@code torch.nn.functional}): convolution,
 * pooling, normalization, dropout, embedding, linear and the fused cross-entropy, each with its
 * gradient and each on the backend's kernels.
 */
public final class Functional {

    private Functional() {
    }

    /**
     * x·wᵀ + b for x [..., in], w [out, in], b [out] or null, as one operation: its backward pass computes
     * dx = dy·w, dw = dyᵀ·x and db = Σ dy with sgemm, writing each gradient in its parameter's own layout.
     */
    public static Tensor linear(Tensor x, Tensor w, Tensor b) {
        if (x.dim() < 1 || w.dim() != 2 || x.size(-1) != w.size(1)) {
            throw new IllegalArgumentException("linear needs x [..., in] and w [out, in], got " + Shapes.format(x.shape())
                    + " and " + Shapes.format(w.shape()));
        }
        int in = w.size(1);
        int out = w.size(0);
        checkParameter(b, new int[] {out}, "linear", "b");
        Tensor xc = x.reshape(-1, in).contiguous();
        Tensor wc = w.contiguous();
        Tensor bc = b == null ? null : b.contiguous();
        int rows = xc.size(0);
        Tensor y = Tensor.empty(new int[] {rows, out});
        Kernels.backend().sgemm(false, true, rows, out, in, 1f, xc.segment(), 0, Math.max(1, in), wc.segment(), 0,
                Math.max(1, in), 0f, y.segment(), 0, Math.max(1, out));
        if (bc != null && rows > 0) {
            Kernels.backend().binary(BinaryOp.ADD, y.segment(), bc.segment(), Broadcast.ROW, y.segment(), rows, out);
        }
        SavedTensor savedX = new SavedTensor(xc, "linear");
        SavedTensor savedW = new SavedTensor(wc, "linear");
        Tensor result = Autograd.record("linear", y, new Tensor[] {xc, wc, bc}, grad -> {
            MemorySegment dy = grad.contiguous().segment();
            Tensor dx = null;
            if (xc.requiresGrad()) {
                dx = Tensor.empty(new int[] {rows, in});
                Kernels.backend().sgemm(false, false, rows, in, out, 1f, dy, 0, Math.max(1, out), savedW.get().segment(), 0,
                        Math.max(1, in), 0f, dx.segment(), 0, Math.max(1, in));
            }
            Tensor dw = null;
            if (wc.requiresGrad()) {
                dw = Tensor.empty(new int[] {out, in});
                Kernels.backend().sgemm(true, false, out, in, rows, 1f, dy, 0, Math.max(1, out), savedX.get().segment(), 0,
                        Math.max(1, in), 0f, dw.segment(), 0, Math.max(1, in));
            }
            Tensor db = null;
            if (bc != null && bc.requiresGrad()) {
                db = Tensor.empty(new int[] {out});
                if (rows > 0) {
                    Kernels.backend().sum(dy, db.segment(), 1, rows, out);
                }
            }
            return new Tensor[] {dx, dw, db};
        });
        int[] outShape = x.shape();
        outShape[outShape.length - 1] = out;
        return result.reshape(outShape);
    }

    /**
     * 2-D convolution: x [N, C, H, W], w [K, C, R, S], bias [K] or null; output [N, K, OH, OW] with
     * OH = floor((H + 2·padding − dilation·(R − 1) − 1)/stride) + 1.
     */
    public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int padding, int dilation) {
        return conv2d(x, w, bias, stride, padding, dilation, 1);
    }

    /**
     * Grouped 2-D convolution (PyTorch's {@code groups}): the C input channels and the K filters split
     * into {@code groups} equal groups, filter group g seeing input group g only, so w is
     * [K, C/groups, R, S]. groups = 1 is the ordinary convolution; groups = C a depthwise one (K = C,
     * or a multiple of C for several filters per channel).
     */
    public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int padding, int dilation, int groups) {
        if (x.dim() != 4 || w.dim() != 4) {
            throw new IllegalArgumentException("conv2d needs x [N, C, H, W] and w [K, C/groups, R, S], got "
                    + Shapes.format(x.shape()) + " and " + Shapes.format(w.shape()));
        }
        if (groups < 1 || x.size(1) % groups != 0 || w.size(0) % groups != 0) {
            throw new IllegalArgumentException("conv2d: groups=" + groups + " must be >= 1 and divide the input channels"
                    + " of x " + Shapes.format(x.shape()) + " and the filters of w " + Shapes.format(w.shape()));
        }
        if (x.size(1) / groups != w.size(1)) {
            throw new IllegalArgumentException("conv2d: input channels differ: x " + Shapes.format(x.shape()) + " has "
                    + x.size(1) + (groups == 1 ? "" : " (" + x.size(1) / groups + " per group of " + groups + ")")
                    + ", w " + Shapes.format(w.shape()) + " has " + w.size(1));
        }
        if (bias != null && (bias.dim() != 1 || bias.size(0) != w.size(0))) {
            throw new IllegalArgumentException("conv2d: bias of shape " + Shapes.format(bias.shape()) + " must be ["
                    + w.size(0) + "] for w " + Shapes.format(w.shape()));
        }
        Conv2dShape shape = new Conv2dShape(x.size(0), x.size(1), x.size(2), x.size(3), w.size(0), w.size(2), w.size(3),
                stride, stride, padding, padding, dilation, dilation);
        Tensor xc = x.contiguous();
        Tensor wc = w.contiguous();
        Tensor bc = bias == null ? null : bias.contiguous();
        Tensor y = Tensor.empty(new int[] {shape.batch(), shape.outChannels(), shape.outHeight(), shape.outWidth()});
        Kernels.backend().conv2d(shape, groups, xc.segment(), wc.segment(), bc == null ? null : bc.segment(),
                y.segment());
        SavedTensor savedX = new SavedTensor(xc, "conv2d");
        SavedTensor savedW = new SavedTensor(wc, "conv2d");
        return Autograd.record("conv2d", y, new Tensor[] {xc, wc, bc}, grad -> {
            MemorySegment dy = grad.contiguous().segment();
            Tensor dx = null;
            if (xc.requiresGrad()) {
                dx = Tensor.empty(xc.shape());
                Kernels.backend().conv2dBackwardData(shape, groups, dy, savedW.get().segment(), dx.segment());
            }
            Tensor dw = null;
            Tensor db = null;
            if (wc.requiresGrad() || bc != null && bc.requiresGrad()) {
                dw = Tensor.empty(wc.shape());
                db = bc == null ? null : Tensor.empty(bc.shape());
                Kernels.backend().conv2dBackwardWeights(shape, groups, savedX.get().segment(), dy, dw.segment(),
                        db == null ? null : db.segment());
            }
            return new Tensor[] {dx, dw, db};
        });
    }

    /** Max pooling over x [N, C, H, W] with a square window. */
    public static Tensor maxPool2d(Tensor x, int kernel, int stride, int padding) {
        Pool2dShape shape = poolShape(x, kernel, stride, padding, "maxPool2d");
        Tensor xc = x.contiguous();
        Tensor y = Tensor.empty(pooledShape(shape));
        MemorySegment argmax = MemorySegment.ofArray(new int[(int) shape.outputSize()]);
        Kernels.backend().maxPool2d(shape, xc.segment(), y.segment(), argmax);
        return Autograd.record("maxPool2d", y, new Tensor[] {xc}, grad -> {
            Tensor dx = Tensor.empty(xc.shape());
            Kernels.backend().maxPool2dBackward(shape, grad.contiguous().segment(), argmax, dx.segment());
            return new Tensor[] {dx};
        });
    }

    /** Average pooling over x [N, C, H, W] with a square window; padding counts as zeros. */
    public static Tensor avgPool2d(Tensor x, int kernel, int stride, int padding) {
        Pool2dShape shape = poolShape(x, kernel, stride, padding, "avgPool2d");
        Tensor xc = x.contiguous();
        Tensor y = Tensor.empty(pooledShape(shape));
        Kernels.backend().avgPool2d(shape, xc.segment(), y.segment());
        return Autograd.record("avgPool2d", y, new Tensor[] {xc}, grad -> {
            Tensor dx = Tensor.empty(xc.shape());
            Kernels.backend().avgPool2dBackward(shape, grad.contiguous().segment(), dx.segment());
            return new Tensor[] {dx};
        });
    }

    /**
     * Layer normalization over the trailing dimensions given by normalizedShape; gamma and beta have
     * that shape, or are null.
     */
    public static Tensor layerNorm(Tensor x, int[] normalizedShape, Tensor gamma, Tensor beta, float eps) {
        int[] shape = x.shape();
        int lead = shape.length - normalizedShape.length;
        if (lead < 0 || !Arrays.equals(Arrays.copyOfRange(shape, lead, shape.length), normalizedShape)) {
            throw new IllegalArgumentException("layerNorm: normalized shape " + Shapes.format(normalizedShape)
                    + " is not the end of the input shape " + Shapes.format(shape));
        }
        checkParameter(gamma, normalizedShape, "layerNorm", "gamma");
        checkParameter(beta, normalizedShape, "layerNorm", "beta");
        int cols = (int) Shapes.numel(normalizedShape);
        int rows = cols == 0 ? 0 : (int) (x.numel() / cols);
        Tensor xc = x.contiguous();
        Tensor gc = gamma == null ? null : gamma.contiguous();
        Tensor bc = beta == null ? null : beta.contiguous();
        Tensor y = Tensor.empty(shape);
        Tensor mean = Tensor.empty(new int[] {rows});
        Tensor rstd = Tensor.empty(new int[] {rows});
        Kernels.backend().layerNorm(xc.segment(), segment(gc), segment(bc), y.segment(), mean.segment(),
                rstd.segment(), rows, cols, eps);
        SavedTensor savedX = new SavedTensor(xc, "layerNorm");
        SavedTensor savedGamma = gc == null ? null : new SavedTensor(gc, "layerNorm");
        return Autograd.record("layerNorm", y, new Tensor[] {xc, gc, bc}, grad -> {
            Tensor dx = Tensor.empty(shape);
            Tensor dGamma = gc == null ? null : Tensor.empty(normalizedShape);
            Tensor dBeta = bc == null ? null : Tensor.empty(normalizedShape);
            Kernels.backend().layerNormBackward(savedX.get().segment(), savedGamma == null ? null : savedGamma.get().segment(),
                    mean.segment(), rstd.segment(), grad.contiguous().segment(), dx.segment(), segment(dGamma),
                    segment(dBeta), rows, cols);
            return new Tensor[] {dx, dGamma, dBeta};
        });
    }

    /**
     * Batch normalization of x [N, C] or [N, C, …]. In training, normalizes with the batch statistics and
     * updates runningMean and runningVar (each [C], or both null) in place with PyTorch's momentum rule;
     * otherwise normalizes with the running statistics. gamma and beta are [C] or null.
     */
    public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor gamma, Tensor beta,
                                   boolean training, float momentum, float eps) {
        if (x.dim() < 2) {
            throw new IllegalArgumentException("batchNorm needs x [N, C, …], got " + Shapes.format(x.shape()));
        }
        int[] shape = x.shape();
        int batch = shape[0];
        int channels = shape[1];
        int spatial = Shapes.product(shape, 2, shape.length);
        int[] channelShape = {channels};
        checkParameter(gamma, channelShape, "batchNorm", "gamma");
        checkParameter(beta, channelShape, "batchNorm", "beta");
        checkParameter(runningMean, channelShape, "batchNorm", "runningMean");
        checkParameter(runningVar, channelShape, "batchNorm", "runningVar");
        Tensor gc = gamma == null ? null : gamma.contiguous();
        Tensor bc = beta == null ? null : beta.contiguous();
        if (!training) {
            if (runningMean == null || runningVar == null) {
                throw new IllegalArgumentException("batchNorm in evaluation needs runningMean and runningVar");
            }
            if (x.requiresGrad() || gamma != null && gamma.requiresGrad() || beta != null && beta.requiresGrad()) {
                // Differentiable form: the fused kernel has no backward for fixed statistics.
                int[] broadcast = new int[shape.length];
                Arrays.fill(broadcast, 1);
                broadcast[1] = channels;
                Tensor scale = runningVar.detach().add(eps).sqrt().reshape(broadcast);
                Tensor y = x.sub(runningMean.detach().reshape(broadcast)).div(scale);
                y = gamma == null ? y : y.mul(gamma.reshape(broadcast));
                return beta == null ? y : y.add(beta.reshape(broadcast));
            }
            Tensor y = Tensor.empty(shape);
            Kernels.backend().batchNormInference(x.contiguous().segment(), segment(gc), segment(bc),
                    runningMean.contiguous().segment(), runningVar.contiguous().segment(), y.segment(),
                    batch, channels, spatial, eps);
            return y;
        }
        if (runningMean != null && (!runningMean.isContiguous() || !runningVar.isContiguous())) {
            throw new IllegalArgumentException("batchNorm: runningMean and runningVar must be contiguous (they are updated in place)");
        }
        Tensor xc = x.contiguous();
        Tensor y = Tensor.empty(shape);
        Tensor mean = Tensor.empty(channelShape);
        Tensor rstd = Tensor.empty(channelShape);
        Kernels.backend().batchNormTraining(xc.segment(), segment(gc), segment(bc), y.segment(), mean.segment(),
                rstd.segment(), runningMean == null ? null : runningMean.segment(),
                runningVar == null ? null : runningVar.segment(), batch, channels, spatial, momentum, eps);
        if (runningMean != null) {
            runningMean.storage().bumpVersion();
            runningVar.storage().bumpVersion();
        }
        SavedTensor savedX = new SavedTensor(xc, "batchNorm");
        SavedTensor savedGamma = gc == null ? null : new SavedTensor(gc, "batchNorm");
        return Autograd.record("batchNorm", y, new Tensor[] {xc, gc, bc}, grad -> {
            Tensor dx = Tensor.empty(shape);
            Tensor dGamma = gc == null ? null : Tensor.empty(channelShape);
            Tensor dBeta = bc == null ? null : Tensor.empty(channelShape);
            Kernels.backend().batchNormBackward(savedX.get().segment(), savedGamma == null ? null : savedGamma.get().segment(),
                    mean.segment(), rstd.segment(), grad.contiguous().segment(), dx.segment(), segment(dGamma),
                    segment(dBeta), batch, channels, spatial);
            return new Tensor[] {dx, dGamma, dBeta};
        });
    }

    /**
     * Inverted dropout in training (elements zeroed with probability p, the rest scaled by 1/(1 − p), the
     * mask drawn from the generator); the identity otherwise.
     */
    public static Tensor dropout(Tensor x, float p, boolean training, RandomGenerator random) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("dropout: p=" + p + " must lie in [0, 1]");
        }
        if (!training || p == 0) {
            return x;
        }
        Tensor xc = x.contiguous();
        int n = (int) x.numel();
        Tensor y = Tensor.empty(x.shape());
        Tensor mask = Tensor.empty(x.shape());
        Kernels.backend().dropout(xc.segment(), y.segment(), mask.segment(), n, p, random.nextLong());
        return Autograd.record("dropout", y, new Tensor[] {xc}, grad -> {
            Tensor dx = Tensor.empty(x.shape());
            Kernels.backend().binary(BinaryOp.MUL, grad.contiguous().segment(), mask.segment(), Broadcast.FULL,
                    dx.segment(), 1, n);
            return new Tensor[] {dx};
        });
    }

    /** Rows of weight [num, dim] picked by indices (whole numbers in [0, num)): shape indices.shape + [dim]. */
    public static Tensor embedding(Tensor indices, Tensor weight) {
        if (weight.dim() != 2) {
            throw new IllegalArgumentException("embedding: weight must be [num, dim], got " + Shapes.format(weight.shape()));
        }
        int num = weight.size(0);
        int dim = weight.size(1);
        float[] values = indices.toArray();
        int[] rows = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            rows[i] = Indexing.wholeNumber(values[i], num, "embedding", i);
        }
        Tensor wc = weight.contiguous();
        int[] outShape = Arrays.copyOf(indices.shape(), indices.dim() + 1);
        outShape[indices.dim()] = dim;
        Tensor out = Tensor.empty(outShape);
        for (int i = 0; i < rows.length; i++) {
            MemorySegment.copy(wc.segment(), (long) rows[i] * dim * Float.BYTES, out.segment(), (long) i * dim * Float.BYTES,
                    (long) dim * Float.BYTES);
        }
        return Autograd.record("embedding", out, new Tensor[] {wc}, grad -> {
            Tensor dw = Tensor.zeros(num, dim);
            MemorySegment g = grad.contiguous().segment();
            MemorySegment d = dw.segment();
            long rowBytes = (long) dim * Float.BYTES;
            for (int i = 0; i < rows.length; i++) {
                Kernels.backend().axpy(dim, 1f, g.asSlice(i * rowBytes, rowBytes), d.asSlice(rows[i] * rowBytes, rowBytes));
            }
            return new Tensor[] {dw};
        });
    }

    /**
     * Cross-entropy from logits [N, C] and class targets [N] (whole numbers in [0, C)), per sample, fused
     * with its gradient: loss[i] = logsumexp(logits[i]) − Σ q·logits[i] with q the one-hot target smoothed by
     * labelSmoothing (0 for none).
     */
    public static Tensor crossEntropy(Tensor logits, Tensor targets, float labelSmoothing) {
        if (logits.dim() != 2 || targets.dim() != 1 || targets.size(0) != logits.size(0)) {
            throw new IllegalArgumentException("crossEntropy needs logits [N, C] and targets [N], got "
                    + Shapes.format(logits.shape()) + " and " + Shapes.format(targets.shape()));
        }
        int rows = logits.size(0);
        int cols = logits.size(1);
        float[] values = targets.toArray();
        int[] classes = new int[rows];
        for (int i = 0; i < rows; i++) {
            classes[i] = Indexing.wholeNumber(values[i], cols, "crossEntropy", i);
        }
        Tensor lc = logits.contiguous();
        Tensor losses = Tensor.empty(new int[] {rows});
        Tensor dLogits = logits.requiresGrad() && Autograd.isGradEnabled() ? Tensor.empty(logits.shape()) : null;
        Kernels.backend().softmaxCrossEntropy(lc.segment(), MemorySegment.ofArray(classes), labelSmoothing,
                losses.segment(), segment(dLogits), rows, cols);
        return Autograd.record("crossEntropy", losses, new Tensor[] {lc}, grad -> {
            Tensor dx = Tensor.empty(logits.shape());
            Kernels.backend().binary(BinaryOp.MUL, dLogits.segment(), grad.contiguous().segment(), Broadcast.COLUMN,
                    dx.segment(), rows, cols);
            return new Tensor[] {dx};
        });
    }

    private static Pool2dShape poolShape(Tensor x, int kernel, int stride, int padding, String op) {
        if (x.dim() != 4) {
            throw new IllegalArgumentException(op + " needs x [N, C, H, W], got " + Shapes.format(x.shape()));
        }
        return new Pool2dShape(x.size(0), x.size(1), x.size(2), x.size(3), kernel, kernel, stride, stride, padding, padding);
    }

    private static int[] pooledShape(Pool2dShape s) {
        return new int[] {s.batch(), s.channels(), s.outHeight(), s.outWidth()};
    }

    private static void checkParameter(Tensor t, int[] shape, String op, String name) {
        if (t != null && !Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException(op + ": " + name + " has shape " + Shapes.format(t.shape()) + ", expected "
                    + Shapes.format(shape));
        }
    }

    private static MemorySegment segment(Tensor t) {
        return t == null ? null : t.segment();
    }
}
