package org.isthmus.kernels;

import java.lang.foreign.MemorySegment;

/**
 * A backend's layer and batch normalization, called by {@link CheckedBackend} with validated
 * arguments and sizes ≥ 1; each method is the {@link Backend} method of the same name.
 */
public interface NormalizationKernels {

    void layerNorm(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment y,
                   MemorySegment mean, MemorySegment rstd, int rows, int cols, float eps);

    void layerNormBackward(MemorySegment x, MemorySegment gamma, MemorySegment mean, MemorySegment rstd,
                           MemorySegment dy, MemorySegment dx, MemorySegment dGamma, MemorySegment dBeta,
                           int rows, int cols);

    void batchNormTraining(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment y,
                           MemorySegment mean, MemorySegment rstd, MemorySegment runningMean,
                           MemorySegment runningVar, int batch, int channels, int spatial,
                           float momentum, float eps);

    void batchNormInference(MemorySegment x, MemorySegment gamma, MemorySegment beta,
                            MemorySegment runningMean, MemorySegment runningVar, MemorySegment y,
                            int batch, int channels, int spatial, float eps);

    void batchNormBackward(MemorySegment x, MemorySegment gamma, MemorySegment mean, MemorySegment rstd,
                           MemorySegment dy, MemorySegment dx, MemorySegment dGamma, MemorySegment dBeta,
                           int batch, int channels, int spatial);
}
