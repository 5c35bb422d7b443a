package org.isthmus.kernels.scalar;

import java.lang.foreign.MemorySegment;
import org.isthmus.kernels.*;

final class ScalarNormalization implements NormalizationKernels {

    @Override
    public void layerNorm(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment y,
                   MemorySegment mean, MemorySegment rstd, int rows, int cols, float eps) {
        throw new UnsupportedOperationException("SKELETON: ScalarNormalization.layerNorm");
    }

    @Override
    public void layerNormBackward(MemorySegment x, MemorySegment gamma, MemorySegment mean, MemorySegment rstd,
                           MemorySegment dy, MemorySegment dx, MemorySegment dGamma, MemorySegment dBeta,
                           int rows, int cols) {
        throw new UnsupportedOperationException("SKELETON: ScalarNormalization.layerNormBackward");
    }

    @Override
    public void batchNormTraining(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment y,
                           MemorySegment mean, MemorySegment rstd, MemorySegment runningMean,
                           MemorySegment runningVar, int batch, int channels, int spatial,
                           float momentum, float eps) {
        throw new UnsupportedOperationException("SKELETON: ScalarNormalization.batchNormTraining");
    }

    @Override
    public void batchNormInference(MemorySegment x, MemorySegment gamma, MemorySegment beta,
                            MemorySegment runningMean, MemorySegment runningVar, MemorySegment y,
                            int batch, int channels, int spatial, float eps) {
        throw new UnsupportedOperationException("SKELETON: ScalarNormalization.batchNormInference");
    }

    @Override
    public void batchNormBackward(MemorySegment x, MemorySegment gamma, MemorySegment mean, MemorySegment rstd,
                           MemorySegment dy, MemorySegment dx, MemorySegment dGamma, MemorySegment dBeta,
                           int batch, int channels, int spatial) {
        throw new UnsupportedOperationException("SKELETON: ScalarNormalization.batchNormBackward");
    }
}
