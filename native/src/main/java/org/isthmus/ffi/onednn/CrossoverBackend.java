package org.isthmus.ffi.onednn;

import org.isthmus.kernels.CheckedBackend;
import org.isthmus.kernels.Conv2dShape;
import org.isthmus.kernels.ConvolutionKernels;
import org.isthmus.kernels.GemmKernel;
import org.isthmus.kernels.KernelSet;
import org.isthmus.kernels.NormalizationKernels;
import org.isthmus.kernels.SoftmaxKernels;

import java.lang.foreign.MemorySegment;

/**
 * What {@code auto} means when oneDNN is present: per op and size, oneDNN or the fallback (vector)
 * kernels, whichever the {@link Crossover} table says is faster. Ops oneDNN lacks always run on
 * the fallback. It is a backend of its own rather than a rule inside {@code Backends}, so that
 * {@code onednn} stays exactly oneDNN (for cross-checks and benchmarks) and the kernels module
 * needs no knowledge of native libraries.
 */
final class CrossoverBackend extends CheckedBackend {

    static final String NAME = "crossover";

    private final String description;

    CrossoverBackend(KernelSet oneDnn, KernelSet fallback, String fallbackName, Crossover table,
                     OneDnnLibrary.Loaded library) {
        super(route(oneDnn, fallback, table));
        this.description = "per op and size, oneDNN " + library.version() + " or " + fallbackName + ": " + table
                + "; " + OpenMp.describe();
    }

    static KernelSet route(KernelSet oneDnn, KernelSet fallback, Crossover table) {
        GemmKernel gemm = (transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc) ->
                ((long) m * n * k >= table.sgemm() ? oneDnn.gemm() : fallback.gemm())
                        .sgemm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
        return new KernelSet(gemm, new RoutedSoftmax(oneDnn.softmax(), fallback.softmax(), table.softmax()),
                new RoutedNormalization(oneDnn.normalization(), fallback.normalization(), table.layerNorm()),
                new RoutedConvolution(oneDnn.convolution(), fallback.convolution(), table),
                fallback.pooling(), fallback.elementwise(), fallback.reductions());
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return description;
    }

    private record RoutedSoftmax(SoftmaxKernels oneDnn, SoftmaxKernels fallback, long threshold)
            implements SoftmaxKernels {

        private SoftmaxKernels pick(int rows, int cols) {
            return (long) rows * cols >= threshold ? oneDnn : fallback;
        }

        @Override
        public void softmax(MemorySegment x, MemorySegment y, int rows, int cols) {
            pick(rows, cols).softmax(x, y, rows, cols);
        }

        @Override
        public void logSoftmax(MemorySegment x, MemorySegment y, int rows, int cols) {
            pick(rows, cols).logSoftmax(x, y, rows, cols);
        }

        @Override
        public void logSumExp(MemorySegment x, MemorySegment y, int rows, int cols) {
            fallback.logSumExp(x, y, rows, cols);
        }

        @Override
        public void softmaxBackward(MemorySegment y, MemorySegment dy, MemorySegment dx, int rows, int cols) {
            pick(rows, cols).softmaxBackward(y, dy, dx, rows, cols);
        }

        @Override
        public void logSoftmaxBackward(MemorySegment y, MemorySegment dy, MemorySegment dx, int rows, int cols) {
            pick(rows, cols).logSoftmaxBackward(y, dy, dx, rows, cols);
        }

        @Override
        public void logSumExpBackward(MemorySegment x, MemorySegment lse, MemorySegment dLse, MemorySegment dx,
                                      int rows, int cols) {
            fallback.logSumExpBackward(x, lse, dLse, dx, rows, cols);
        }

        @Override
        public void softmaxCrossEntropy(MemorySegment logits, MemorySegment targets, float labelSmoothing,
                                        MemorySegment losses, MemorySegment dLogits, int rows, int cols) {
            fallback.softmaxCrossEntropy(logits, targets, labelSmoothing, losses, dLogits, rows, cols);
        }
    }

    private record RoutedNormalization(NormalizationKernels oneDnn, NormalizationKernels fallback, long threshold)
            implements NormalizationKernels {

        private NormalizationKernels pick(int rows, int cols) {
            return (long) rows * cols >= threshold ? oneDnn : fallback;
        }

        @Override
        public void layerNorm(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment y,
                              MemorySegment mean, MemorySegment rstd, int rows, int cols, float eps) {
            pick(rows, cols).layerNorm(x, gamma, beta, y, mean, rstd, rows, cols, eps);
        }

        @Override
        public void layerNormBackward(MemorySegment x, MemorySegment gamma, MemorySegment mean, MemorySegment rstd,
                                      MemorySegment dy, MemorySegment dx, MemorySegment dGamma, MemorySegment dBeta,
                                      int rows, int cols) {
            pick(rows, cols).layerNormBackward(x, gamma, mean, rstd, dy, dx, dGamma, dBeta, rows, cols);
        }

        @Override
        public void batchNormTraining(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment y,
                                      MemorySegment mean, MemorySegment rstd, MemorySegment runningMean,
                                      MemorySegment runningVar, int batch, int channels, int spatial,
                                      float momentum, float eps) {
            fallback.batchNormTraining(x, gamma, beta, y, mean, rstd, runningMean, runningVar, batch, channels,
                    spatial, momentum, eps);
        }

        @Override
        public void batchNormInference(MemorySegment x, MemorySegment gamma, MemorySegment beta,
                                       MemorySegment runningMean, MemorySegment runningVar, MemorySegment y,
                                       int batch, int channels, int spatial, float eps) {
            fallback.batchNormInference(x, gamma, beta, runningMean, runningVar, y, batch, channels, spatial, eps);
        }

        @Override
        public void batchNormBackward(MemorySegment x, MemorySegment gamma, MemorySegment mean, MemorySegment rstd,
                                      MemorySegment dy, MemorySegment dx, MemorySegment dGamma, MemorySegment dBeta,
                                      int batch, int channels, int spatial) {
            fallback.batchNormBackward(x, gamma, mean, rstd, dy, dx, dGamma, dBeta, batch, channels, spatial);
        }
    }

    private record RoutedConvolution(ConvolutionKernels oneDnn, ConvolutionKernels fallback, Crossover table)
            implements ConvolutionKernels {

        /** By multiply-adds, N·K·OH·OW·(C/groups)·kH·kW: a grouped convolution does 1/groups of the dense work. */
        private ConvolutionKernels pick(Conv2dShape s, int groups) {
            long macs = s.outputSize() * (s.inChannels() / groups) * s.kernelHeight() * s.kernelWidth();
            return macs >= table.conv2d(s, groups) ? oneDnn : fallback;
        }

        @Override
        public void conv2d(Conv2dShape shape, int groups, MemorySegment x, MemorySegment w, MemorySegment bias,
                           MemorySegment y) {
            pick(shape, groups).conv2d(shape, groups, x, w, bias, y);
        }

        @Override
        public void conv2dBackwardData(Conv2dShape shape, int groups, MemorySegment dy, MemorySegment w,
                                       MemorySegment dx) {
            pick(shape, groups).conv2dBackwardData(shape, groups, dy, w, dx);
        }

        @Override
        public void conv2dBackwardWeights(Conv2dShape shape, int groups, MemorySegment x, MemorySegment dy,
                                          MemorySegment dw, MemorySegment dBias) {
            pick(shape, groups).conv2dBackwardWeights(shape, groups, x, dy, dw, dBias);
        }
    }
}
