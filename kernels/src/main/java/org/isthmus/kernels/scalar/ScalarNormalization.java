package org.isthmus.kernels.scalar;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.isthmus.kernels.NormalizationKernels;

/**
 * Layer and batch normalization in double. Statistics take two passes (the mean, then the sum of
 * squared deviations from it), so a large mean does not cancel the variance away.
 */
final class ScalarNormalization implements NormalizationKernels {

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;

    @Override
    public void layerNorm(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment y,
                          MemorySegment mean, MemorySegment rstd, int rows, int cols, float eps) {
        for (int r = 0; r < rows; r++) {
            long row = (long) r * cols;
            double sum = 0;
            for (int c = 0; c < cols; c++) {
                sum += x.getAtIndex(FLOAT, row + c);
            }
            double rowMean = sum / cols;
            double squares = 0;
            for (int c = 0; c < cols; c++) {
                double deviation = x.getAtIndex(FLOAT, row + c) - rowMean;
                squares += deviation * deviation;
            }
            double rowRstd = 1 / Math.sqrt(squares / cols + eps);
            for (int c = 0; c < cols; c++) {
                double normalized = (x.getAtIndex(FLOAT, row + c) - rowMean) * rowRstd;
                y.setAtIndex(FLOAT, row + c, (float) affine(normalized, gamma, beta, c));
            }
            if (mean != null) {
                mean.setAtIndex(FLOAT, r, (float) rowMean);
            }
            if (rstd != null) {
                rstd.setAtIndex(FLOAT, r, (float) rowRstd);
            }
        }
    }

    /**
     * With x̂ = (x − mean)·rstd and g = dy·gamma: dx = rstd·(g − mean(g) − x̂·mean(g·x̂)) per row;
     * dGamma = Σ_rows dy·x̂, dBeta = Σ_rows dy.
     */
    @Override
    public void layerNormBackward(MemorySegment x, MemorySegment gamma, MemorySegment mean, MemorySegment rstd,
                                  MemorySegment dy, MemorySegment dx, MemorySegment dGamma, MemorySegment dBeta,
                                  int rows, int cols) {
        double[] gammaSums = new double[cols];
        double[] betaSums = new double[cols];
        for (int r = 0; r < rows; r++) {
            long row = (long) r * cols;
            double rowMean = mean.getAtIndex(FLOAT, r);
            double rowRstd = rstd.getAtIndex(FLOAT, r);
            double gradientSum = 0;
            double projection = 0;
            for (int c = 0; c < cols; c++) {
                double normalized = (x.getAtIndex(FLOAT, row + c) - rowMean) * rowRstd;
                double upstream = dy.getAtIndex(FLOAT, row + c);
                double g = upstream * scale(gamma, c);
                gradientSum += g;
                projection += g * normalized;
                gammaSums[c] += upstream * normalized;
                betaSums[c] += upstream;
            }
            double meanGradient = gradientSum / cols;
            double meanProjection = projection / cols;
            for (int c = 0; c < cols; c++) {
                double normalized = (x.getAtIndex(FLOAT, row + c) - rowMean) * rowRstd;
                double g = dy.getAtIndex(FLOAT, row + c) * scale(gamma, c);
                dx.setAtIndex(FLOAT, row + c, (float) (rowRstd * (g - meanGradient - normalized * meanProjection)));
            }
        }
        store(gammaSums, dGamma);
        store(betaSums, dBeta);
    }

    @Override
    public void batchNormTraining(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment y,
                                  MemorySegment mean, MemorySegment rstd, MemorySegment runningMean,
                                  MemorySegment runningVar, int batch, int channels, int spatial,
                                  float momentum, float eps) {
        long count = (long) batch * spatial;
        for (int ch = 0; ch < channels; ch++) {
            double sum = 0;
            for (int b = 0; b < batch; b++) {
                long plane = plane(b, ch, channels, spatial);
                for (int s = 0; s < spatial; s++) {
                    sum += x.getAtIndex(FLOAT, plane + s);
                }
            }
            double channelMean = sum / count;
            double squares = 0;
            for (int b = 0; b < batch; b++) {
                long plane = plane(b, ch, channels, spatial);
                for (int s = 0; s < spatial; s++) {
                    double deviation = x.getAtIndex(FLOAT, plane + s) - channelMean;
                    squares += deviation * deviation;
                }
            }
            double channelRstd = 1 / Math.sqrt(squares / count + eps);
            for (int b = 0; b < batch; b++) {
                long plane = plane(b, ch, channels, spatial);
                for (int s = 0; s < spatial; s++) {
                    double normalized = (x.getAtIndex(FLOAT, plane + s) - channelMean) * channelRstd;
                    y.setAtIndex(FLOAT, plane + s, (float) affine(normalized, gamma, beta, ch));
                }
            }
            mean.setAtIndex(FLOAT, ch, (float) channelMean);
            rstd.setAtIndex(FLOAT, ch, (float) channelRstd);
            if (runningMean != null) {
                // One value per channel (count = 1) has no unbiased variance: 0/0 = NaN, as PyTorch's formula gives.
                double unbiased = squares / (count - 1);
                update(runningMean, ch, channelMean, momentum);
                update(runningVar, ch, unbiased, momentum);
            }
        }
    }

    @Override
    public void batchNormInference(MemorySegment x, MemorySegment gamma, MemorySegment beta,
                                   MemorySegment runningMean, MemorySegment runningVar, MemorySegment y,
                                   int batch, int channels, int spatial, float eps) {
        for (int ch = 0; ch < channels; ch++) {
            double channelMean = runningMean.getAtIndex(FLOAT, ch);
            double channelRstd = 1 / Math.sqrt((double) runningVar.getAtIndex(FLOAT, ch) + eps);
            for (int b = 0; b < batch; b++) {
                long plane = plane(b, ch, channels, spatial);
                for (int s = 0; s < spatial; s++) {
                    double normalized = (x.getAtIndex(FLOAT, plane + s) - channelMean) * channelRstd;
                    y.setAtIndex(FLOAT, plane + s, (float) affine(normalized, gamma, beta, ch));
                }
            }
        }
    }

    /**
     * With N = batch·spatial values per channel, x̂ = (x − mean)·rstd: dBeta = Σ dy,
     * dGamma = Σ dy·x̂, dx = gamma·rstd·(dy − dBeta/N − x̂·dGamma/N).
     */
    @Override
    public void batchNormBackward(MemorySegment x, MemorySegment gamma, MemorySegment mean, MemorySegment rstd,
                                  MemorySegment dy, MemorySegment dx, MemorySegment dGamma, MemorySegment dBeta,
                                  int batch, int channels, int spatial) {
        long count = (long) batch * spatial;
        for (int ch = 0; ch < channels; ch++) {
            double channelMean = mean.getAtIndex(FLOAT, ch);
            double channelRstd = rstd.getAtIndex(FLOAT, ch);
            double betaSum = 0;
            double gammaSum = 0;
            for (int b = 0; b < batch; b++) {
                long plane = plane(b, ch, channels, spatial);
                for (int s = 0; s < spatial; s++) {
                    double upstream = dy.getAtIndex(FLOAT, plane + s);
                    betaSum += upstream;
                    gammaSum += upstream * (x.getAtIndex(FLOAT, plane + s) - channelMean) * channelRstd;
                }
            }
            double meanUpstream = betaSum / count;
            double meanProjection = gammaSum / count;
            double factor = scale(gamma, ch) * channelRstd;
            for (int b = 0; b < batch; b++) {
                long plane = plane(b, ch, channels, spatial);
                for (int s = 0; s < spatial; s++) {
                    double normalized = (x.getAtIndex(FLOAT, plane + s) - channelMean) * channelRstd;
                    double upstream = dy.getAtIndex(FLOAT, plane + s);
                    dx.setAtIndex(FLOAT, plane + s,
                            (float) (factor * (upstream - meanUpstream - normalized * meanProjection)));
                }
            }
            if (dGamma != null) {
                dGamma.setAtIndex(FLOAT, ch, (float) gammaSum);
            }
            if (dBeta != null) {
                dBeta.setAtIndex(FLOAT, ch, (float) betaSum);
            }
        }
    }

    /** The index of x[b, channel, 0] in a batch×channels×spatial tensor. */
    private static long plane(int b, int channel, int channels, int spatial) {
        return ((long) b * channels + channel) * spatial;
    }

    private static double scale(MemorySegment gamma, int index) {
        return gamma == null ? 1 : gamma.getAtIndex(FLOAT, index);
    }

    private static double affine(double normalized, MemorySegment gamma, MemorySegment beta, int index) {
        return normalized * scale(gamma, index) + (beta == null ? 0 : beta.getAtIndex(FLOAT, index));
    }

    private static void update(MemorySegment running, int index, double batchValue, float momentum) {
        double old = running.getAtIndex(FLOAT, index);
        running.setAtIndex(FLOAT, index, (float) ((1 - momentum) * old + momentum * batchValue));
    }

    private static void store(double[] sums, MemorySegment out) {
        if (out != null) {
            for (int i = 0; i < sums.length; i++) {
                out.setAtIndex(FLOAT, i, (float) sums[i]);
            }
        }
    }
}
