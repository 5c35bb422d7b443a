package org.isthmus.kernels.vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.isthmus.kernels.NormalizationKernels;

/**
 * Layer normalization one row at a time (the row is read from memory once, for its statistics,
 * and normalized from L1 in the next row's loop), and batch normalization one channel at a time: plane
 * by plane (a plane is the {@code spatial} contiguous values of one sample and channel) for large
 * planes, by rows of channels ({@link BatchNormColumns}) for small ones and 2-D input.
 * Statistics are summed in float over a row or plane, across planes in double.
 */
final class VectorNormalization implements NormalizationKernels {

    private static final VectorSpecies<Float> S = Species.FLOAT;
    private static final int V = S.length();
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    /**
     * Up to this plane size batch normalization walks rows of channels (BatchNormColumns); above it
     * plane by plane, where a plane is long enough to stream on its own and its sums stay in
     * registers and a channel's second read comes from L2 (training, planes of 196: columns 1.7–2.2×
     * faster; 256: 1.3×; 324–1568: planes 1.25–1.75× faster; bench/NOTES.md, "Batch normalization").
     */
    private static final int COLUMNS_MAX_SPATIAL = 256;

    // ---------------------------------------------------------------- layer normalization

    @Override
    public void layerNorm(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment y,
                          MemorySegment mean, MemorySegment rstd, int rows, int cols, float eps) {
        Operand in = Operand.of(x);
        Operand out = Operand.of(y);
        Operand scale = RowWork.optional(gamma);
        Operand shift = RowWork.optional(beta);
        Operand meanOut = RowWork.optional(mean);
        Operand rstdOut = RowWork.optional(rstd);
        RowWork.forRows(rows, cols, (part, from, to) -> {
            // Slots 0, 1: rows of x; 2: the output row; 3, 4: gamma, beta.
            float[] scratch = RowWork.partScratch(5 * cols);
            Statistics statistics = new Statistics(meanOut, rstdOut, eps);
            Affine affine = new Affine(RowWork.arrayOf(scale, scratch), RowWork.parameter(scale, cols, scratch, 3, 1f),
                    RowWork.arrayOf(shift, scratch), RowWork.parameter(shift, cols, scratch, 4, 0f));
            layerNormPipelined(in, out, affine, statistics, from, to, cols, scratch);
        }, x, gamma, beta, y, mean, rstd);
    }

    /** Where a part's rows write their mean and rstd (either may be null), and the eps under the root. */
    private record Statistics(Operand mean, Operand rstd, float eps) {

        /**
         * 1/√(variance + eps) of a row whose squared deviations from its mean sum to {@code squares}.
         * In float: its three correctly rounded steps err far less than the float sum of squares, and
         * the next row's passes wait on this chain (double's division and root are twice as long).
         */
        float rstdOf(float squares, int cols) {
            return 1f / (float) Math.sqrt(squares / cols + eps);
        }

        void write(int row, float rowMean, float rowRstd) {
            if (mean != null) {
                mean.set(row, rowMean);
            }
            if (rstd != null) {
                rstd.set(row, rowRstd);
            }
        }
    }

    /** gamma and beta where the loops read them: arrays and offsets, in place or staged. */
    private record Affine(float[] gamma, int gammaOffset, float[] beta, int betaOffset) {
    }

    /**
     * Rows [from, to): one loop per row reads row r from memory for its shifted sums Σd and Σd²
     * (d = x − x₀, x₀ the row's first value) and writes row r − 1 from L1, so that memory is read and
     * written through all of the core's work, each row's statistics come from one read, and no row
     * waits on the next. The variance is Σd² − (Σd)²/n where that keeps its digits, where (Σd)²/n is
     * at most three quarters of Σd² (x₀ within √3 standard deviations of the mean, as in most rows: at
     * most a factor 4 on Σd²'s own rounding); elsewhere it comes from a second pass over the row, in
     * L1, about its mean. Faster than three passes per row at every length measured, 64 to 1024
     * columns (bench/NOTES.md, "Session 30").
     */
    private static void layerNormPipelined(Operand in, Operand out, Affine affine, Statistics statistics,
                                           int from, int to, int cols, float[] scratch) {
        // Slots 0, 1: rows r − 1 and r of x, alternating; 2: the output row.
        float[] xs = RowWork.arrayOf(in, scratch);
        float[] ys = RowWork.arrayOf(out, scratch);
        float[] gs = affine.gamma();
        int go = affine.gammaOffset();
        float[] bs = affine.beta();
        int bo = affine.betaOffset();
        int slot = 0;
        int previous = -1;
        float previousMean = 0;
        float previousRstd = 0;
        for (int r = from; r < to; r++) {
            long index = (long) r * cols;
            int xo = RowWork.stageIn(in, index, cols, scratch, slot);
            slot = 1 - slot;
            float shift = xs[xo];
            boolean first = previous < 0;
            // The first row has no row before it: it normalizes itself into scratch slot 2, which the
            // next step overwrites, so that one loop serves every row.
            int yo = first ? 2 * cols : RowWork.outputOffset(out, index - cols, cols, 2);
            long sums = shiftedSumsAndNormalize(xs, xo, cols, shift, first ? xo : previous, first ? scratch : ys, yo,
                    gs, go, bs, bo, previousMean, previousRstd);
            if (!first) {
                RowWork.stageOut(out, index - cols, cols, scratch, 2);
            }
            float sum = RowWork.high(sums);
            float squares = RowWork.low(sums);
            float rowMean = shift + sum / cols;
            double centred = squares - (double) sum * sum / cols;
            float deviations = centred >= 0.25 * squares ? (float) centred : squaredDeviations(xs, xo, cols, rowMean);
            float rowRstd = statistics.rstdOf(deviations, cols);
            statistics.write(r, rowMean, rowRstd);
            previous = xo;
            previousMean = rowMean;
            previousRstd = rowRstd;
        }
        long lastIndex = (long) (to - 1) * cols;
        int yo = RowWork.outputOffset(out, lastIndex, cols, 2);
        normalize(xs, previous, ys, yo, gs, go, bs, bo, cols, previousMean, previousRstd);
        RowWork.stageOut(out, lastIndex, cols, scratch, 2);
    }

    /**
     * dx per row as ScalarNormalization writes it; dGamma and dBeta are column sums over rows:
     * each part sums its rows into its own slice of the caller's scratch, and the slices are
     * added in part order at the end (the same result whichever thread ran which part).
     */
    @Override
    public void layerNormBackward(MemorySegment x, MemorySegment gamma, MemorySegment mean, MemorySegment rstd,
                                  MemorySegment dy, MemorySegment dx, MemorySegment dGamma, MemorySegment dBeta,
                                  int rows, int cols) {
        Operand in = Operand.of(x);
        Operand upstream = Operand.of(dy);
        Operand gradient = Operand.of(dx);
        Operand scale = RowWork.optional(gamma);
        int parts = RowWork.parts(rows, cols, x, gamma, mean, rstd, dy, dx);
        float[] partials = RowWork.callScratch(parts * 2 * cols);
        RowWork.run(parts, rows, (part, from, to) -> {
            float[] scratch = RowWork.partScratch(4 * cols);
            float[] xs = RowWork.arrayOf(in, scratch);
            float[] dys = RowWork.arrayOf(upstream, scratch);
            float[] dxs = RowWork.arrayOf(gradient, scratch);
            float[] gs = RowWork.arrayOf(scale, scratch);
            int go = RowWork.parameter(scale, cols, scratch, 3, 1f);
            int gammaSums = part * 2 * cols;
            int betaSums = gammaSums + cols;
            for (int r = from; r < to; r++) {
                long index = (long) r * cols;
                int xo = RowWork.stageIn(in, index, cols, scratch, 0);
                int dyo = RowWork.stageIn(upstream, index, cols, scratch, 1);
                int dxo = RowWork.outputOffset(gradient, index, cols, 2);
                float rowMean = mean.getAtIndex(FLOAT, r);
                float rowRstd = rstd.getAtIndex(FLOAT, r);
                long sums = layerNormSums(xs, xo, dys, dyo, gs, go, partials, gammaSums, betaSums, cols,
                        rowMean, rowRstd);
                float meanGradient = RowWork.high(sums) / cols;
                float meanProjection = RowWork.low(sums) / cols;
                layerNormGradient(xs, xo, dys, dyo, gs, go, dxs, dxo, cols, rowMean, rowRstd, meanGradient,
                        meanProjection);
                RowWork.stageOut(gradient, index, cols, scratch, 2);
            }
        });
        for (int c = 0; c < cols; c++) {
            float gammaSum = 0;
            float betaSum = 0;
            for (int p = 0; p < parts; p++) {
                gammaSum += partials[p * 2 * cols + c];
                betaSum += partials[p * 2 * cols + cols + c];
            }
            if (dGamma != null) {
                dGamma.setAtIndex(FLOAT, c, gammaSum);
            }
            if (dBeta != null) {
                dBeta.setAtIndex(FLOAT, c, betaSum);
            }
        }
    }

    /**
     * With x̂ = (x − mean)·rstd and g = dy·gamma: adds dy·x̂ and dy to the column sums and
     * returns Σg and Σg·x̂, packed (RowWork.pack).
     */
    private static long layerNormSums(float[] x, int xo, float[] dy, int dyo, float[] gamma, int go,
                                      float[] partials, int gammaSums, int betaSums, int n, float mean, float rstd) {
        FloatVector gradientSum = FloatVector.zero(S);
        FloatVector projection = FloatVector.zero(S);
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector normalized = FloatVector.fromArray(S, x, xo + i).sub(mean).mul(rstd);
            FloatVector up = FloatVector.fromArray(S, dy, dyo + i);
            FloatVector g = up.mul(FloatVector.fromArray(S, gamma, go + i));
            gradientSum = gradientSum.add(g);
            projection = g.fma(normalized, projection);
            up.fma(normalized, FloatVector.fromArray(S, partials, gammaSums + i)).intoArray(partials, gammaSums + i);
            up.add(FloatVector.fromArray(S, partials, betaSums + i)).intoArray(partials, betaSums + i);
        }
        float gSum = ArrayMath.sumLanes(gradientSum);
        float gxSum = ArrayMath.sumLanes(projection);
        for (; i < n; i++) {
            float normalized = (x[xo + i] - mean) * rstd;
            float up = dy[dyo + i];
            float g = up * gamma[go + i];
            gSum += g;
            gxSum += g * normalized;
            partials[gammaSums + i] += up * normalized;
            partials[betaSums + i] += up;
        }
        return RowWork.pack(gSum, gxSum);
    }

    /** dx = rstd·(g − meanGradient − x̂·meanProjection). */
    private static void layerNormGradient(float[] x, int xo, float[] dy, int dyo, float[] gamma, int go,
                                          float[] dx, int dxo, int n, float mean, float rstd, float meanGradient,
                                          float meanProjection) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector normalized = FloatVector.fromArray(S, x, xo + i).sub(mean).mul(rstd);
            FloatVector g = FloatVector.fromArray(S, dy, dyo + i).mul(FloatVector.fromArray(S, gamma, go + i));
            normalized.fma(FloatVector.broadcast(S, -meanProjection), g.sub(meanGradient)).mul(rstd).intoArray(dx, dxo + i);
        }
        for (; i < n; i++) {
            float normalized = (x[xo + i] - mean) * rstd;
            float g = dy[dyo + i] * gamma[go + i];
            dx[dxo + i] = Math.fma(normalized, -meanProjection, g - meanGradient) * rstd;
        }
    }

    /** y = (x − mean)·rstd·gamma + beta. */
    private static void normalize(float[] x, int xo, float[] y, int yo, float[] gamma, int go, float[] beta, int bo,
                                  int n, float mean, float rstd) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector normalized = FloatVector.fromArray(S, x, xo + i).sub(mean).mul(rstd);
            normalized.fma(FloatVector.fromArray(S, gamma, go + i), FloatVector.fromArray(S, beta, bo + i))
                    .intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] = Math.fma((x[xo + i] - mean) * rstd, gamma[go + i], beta[bo + i]);
        }
    }

    /**
     * Σd and Σd² (d = x − shift) over the row at xo, packed, and normalize of the row before it (at
     * previous) into y, in one loop. One vector a step: with two, C2 ran out of registers for the
     * seven offsets and rebuilt the second vector's addresses from the stack at each step (12 cycles
     * a vector in cache; bench/NOTES.md, "Session 30").
     */
    private static long shiftedSumsAndNormalize(float[] x, int xo, int n, float shift, int previous, float[] y,
                                                int yo, float[] gamma, int go, float[] beta, int bo,
                                                float previousMean, float previousRstd) {
        FloatVector sums = FloatVector.zero(S);
        FloatVector squares = sums;
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector d = FloatVector.fromArray(S, x, xo + i).sub(shift);
            sums = sums.add(d);
            squares = d.fma(d, squares);
            FloatVector.fromArray(S, x, previous + i).sub(previousMean).mul(previousRstd)
                    .fma(FloatVector.fromArray(S, gamma, go + i), FloatVector.fromArray(S, beta, bo + i))
                    .intoArray(y, yo + i);
        }
        float sum = ArrayMath.sumLanes(sums);
        float sumOfSquares = ArrayMath.sumLanes(squares);
        for (; i < n; i++) {
            float d = x[xo + i] - shift;
            sum += d;
            sumOfSquares = Math.fma(d, d, sumOfSquares);
            y[yo + i] = Math.fma((x[previous + i] - previousMean) * previousRstd, gamma[go + i], beta[bo + i]);
        }
        return RowWork.pack(sum, sumOfSquares);
    }

    /** Σ (x − mean)². */
    private static float squaredDeviations(float[] x, int xo, int n, float mean) {
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = s0;
        int i = 0;
        for (; i <= n - 2 * V; i += 2 * V) {
            FloatVector d0 = FloatVector.fromArray(S, x, xo + i).sub(mean);
            FloatVector d1 = FloatVector.fromArray(S, x, xo + i + V).sub(mean);
            s0 = d0.fma(d0, s0);
            s1 = d1.fma(d1, s1);
        }
        for (; i <= n - V; i += V) {
            FloatVector d = FloatVector.fromArray(S, x, xo + i).sub(mean);
            s0 = d.fma(d, s0);
        }
        float sum = ArrayMath.sumLanes(s0.add(s1));
        for (; i < n; i++) {
            float d = x[xo + i] - mean;
            sum = Math.fma(d, d, sum);
        }
        return sum;
    }

    // ---------------------------------------------------------------- batch normalization

    /**
     * Planes of more than {@link #COLUMNS_MAX_SPATIAL}: per channel, one pass sums x − k and
     * (x − k)² with k the channel's first value (a shift inside the data's range, so the variance
     * does not cancel away when the mean is large), a second pass normalizes.
     */
    @Override
    public void batchNormTraining(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment y,
                                  MemorySegment mean, MemorySegment rstd, MemorySegment runningMean,
                                  MemorySegment runningVar, int batch, int channels, int spatial,
                                  float momentum, float eps) {
        if (spatial <= COLUMNS_MAX_SPATIAL) {
            BatchNormColumns.training(x, gamma, beta, y, mean, rstd, runningMean, runningVar, batch, channels,
                    spatial, momentum, eps);
            return;
        }
        Operand in = Operand.of(x);
        Operand out = Operand.of(y);
        long count = (long) batch * spatial;
        RowWork.forRows(channels, (long) batch * spatial, (part, from, to) -> {
            float[] scratch = RowWork.partScratch(2 * spatial);
            float[] xs = RowWork.arrayOf(in, scratch);
            float[] ys = RowWork.arrayOf(out, scratch);
            for (int ch = from; ch < to; ch++) {
                float k = x.getAtIndex(FLOAT, (long) ch * spatial);
                double sum = 0;
                double squares = 0;
                for (int b = 0; b < batch; b++) {
                    int xo = RowWork.stageIn(in, plane(b, ch, channels, spatial), spatial, scratch, 0);
                    sum += shiftedSum(xs, xo, spatial, k);
                    squares += squaredDeviations(xs, xo, spatial, k);
                }
                double shiftedMean = sum / count;
                double variance = Math.max(0, squares / count - shiftedMean * shiftedMean);
                double channelMean = k + shiftedMean;
                double channelRstd = 1 / Math.sqrt(variance + eps);
                float a = (float) (channelRstd * scale(gamma, ch));
                float c = (float) (beta == null ? 0 : beta.getAtIndex(FLOAT, ch));
                for (int b = 0; b < batch; b++) {
                    long index = plane(b, ch, channels, spatial);
                    int xo = RowWork.stageIn(in, index, spatial, scratch, 0);
                    int yo = RowWork.outputOffset(out, index, spatial, 1);
                    centerScaleShift(xs, xo, ys, yo, spatial, (float) channelMean, a, c);
                    RowWork.stageOut(out, index, spatial, scratch, 1);
                }
                mean.setAtIndex(FLOAT, ch, (float) channelMean);
                rstd.setAtIndex(FLOAT, ch, (float) channelRstd);
                if (runningMean != null) {
                    // One value per channel (count = 1) has no unbiased variance: 0/0 = NaN, as PyTorch's formula gives.
                    double unbiased = variance * count / (count - 1);
                    update(runningMean, ch, channelMean, momentum);
                    update(runningVar, ch, unbiased, momentum);
                }
            }
        }, x, gamma, beta, y, mean, rstd, runningMean, runningVar);
    }

    @Override
    public void batchNormInference(MemorySegment x, MemorySegment gamma, MemorySegment beta,
                                   MemorySegment runningMean, MemorySegment runningVar, MemorySegment y,
                                   int batch, int channels, int spatial, float eps) {
        if (spatial <= COLUMNS_MAX_SPATIAL) {
            BatchNormColumns.inference(x, gamma, beta, runningMean, runningVar, y, batch, channels, spatial, eps);
            return;
        }
        Operand in = Operand.of(x);
        Operand out = Operand.of(y);
        RowWork.forRows(channels, (long) batch * spatial, (part, from, to) -> {
            float[] scratch = RowWork.partScratch(2 * spatial);
            float[] xs = RowWork.arrayOf(in, scratch);
            float[] ys = RowWork.arrayOf(out, scratch);
            for (int ch = from; ch < to; ch++) {
                double channelRstd = 1 / Math.sqrt((double) runningVar.getAtIndex(FLOAT, ch) + eps);
                float a = (float) (channelRstd * scale(gamma, ch));
                float c = beta == null ? 0f : beta.getAtIndex(FLOAT, ch);
                float center = runningMean.getAtIndex(FLOAT, ch);
                for (int b = 0; b < batch; b++) {
                    long index = plane(b, ch, channels, spatial);
                    int xo = RowWork.stageIn(in, index, spatial, scratch, 0);
                    int yo = RowWork.outputOffset(out, index, spatial, 1);
                    centerScaleShift(xs, xo, ys, yo, spatial, center, a, c);
                    RowWork.stageOut(out, index, spatial, scratch, 1);
                }
            }
        }, x, gamma, beta, runningMean, runningVar, y);
    }

    /** As ScalarNormalization: dx = gamma·rstd·(dy − Σdy/N − x̂·Σ(dy·x̂)/N). */
    @Override
    public void batchNormBackward(MemorySegment x, MemorySegment gamma, MemorySegment mean, MemorySegment rstd,
                                  MemorySegment dy, MemorySegment dx, MemorySegment dGamma, MemorySegment dBeta,
                                  int batch, int channels, int spatial) {
        if (spatial <= COLUMNS_MAX_SPATIAL) {
            BatchNormColumns.backward(x, gamma, mean, rstd, dy, dx, dGamma, dBeta, batch, channels, spatial);
            return;
        }
        Operand in = Operand.of(x);
        Operand upstream = Operand.of(dy);
        Operand gradient = Operand.of(dx);
        long count = (long) batch * spatial;
        RowWork.forRows(channels, (long) batch * spatial, (part, from, to) -> {
            float[] scratch = RowWork.partScratch(3 * spatial);
            float[] xs = RowWork.arrayOf(in, scratch);
            float[] dys = RowWork.arrayOf(upstream, scratch);
            float[] dxs = RowWork.arrayOf(gradient, scratch);
            for (int ch = from; ch < to; ch++) {
                float center = mean.getAtIndex(FLOAT, ch);
                float channelRstd = rstd.getAtIndex(FLOAT, ch);
                double upstreamSum = 0;
                double centeredProjection = 0;
                for (int b = 0; b < batch; b++) {
                    long index = plane(b, ch, channels, spatial);
                    int xo = RowWork.stageIn(in, index, spatial, scratch, 0);
                    int dyo = RowWork.stageIn(upstream, index, spatial, scratch, 1);
                    upstreamSum += VectorSoftmax.sum(dys, dyo, spatial);
                    centeredProjection += centeredDot(xs, xo, dys, dyo, spatial, center);
                }
                double gammaSum = centeredProjection * channelRstd;
                double factor = scale(gamma, ch) * channelRstd;
                // dx = factor·dy + slope·(x − mean) + offset
                float slope = (float) (-factor * channelRstd * gammaSum / count);
                float offset = (float) (-factor * upstreamSum / count);
                for (int b = 0; b < batch; b++) {
                    long index = plane(b, ch, channels, spatial);
                    int xo = RowWork.stageIn(in, index, spatial, scratch, 0);
                    int dyo = RowWork.stageIn(upstream, index, spatial, scratch, 1);
                    int dxo = RowWork.outputOffset(gradient, index, spatial, 2);
                    batchNormGradient(xs, xo, dys, dyo, dxs, dxo, spatial, center, (float) factor, slope, offset);
                    RowWork.stageOut(gradient, index, spatial, scratch, 2);
                }
                if (dGamma != null) {
                    dGamma.setAtIndex(FLOAT, ch, (float) gammaSum);
                }
                if (dBeta != null) {
                    dBeta.setAtIndex(FLOAT, ch, (float) upstreamSum);
                }
            }
        }, x, gamma, mean, rstd, dy, dx, dGamma, dBeta);
    }

    /** Σ (x − shift). */
    private static float shiftedSum(float[] x, int xo, int n, float shift) {
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = s0;
        int i = 0;
        for (; i <= n - 2 * V; i += 2 * V) {
            s0 = s0.add(FloatVector.fromArray(S, x, xo + i).sub(shift));
            s1 = s1.add(FloatVector.fromArray(S, x, xo + i + V).sub(shift));
        }
        for (; i <= n - V; i += V) {
            s0 = s0.add(FloatVector.fromArray(S, x, xo + i).sub(shift));
        }
        float sum = ArrayMath.sumLanes(s0.add(s1));
        for (; i < n; i++) {
            sum += x[xo + i] - shift;
        }
        return sum;
    }

    /** Σ (x − center)·dy. */
    private static float centeredDot(float[] x, int xo, float[] dy, int dyo, int n, float center) {
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = s0;
        int i = 0;
        for (; i <= n - 2 * V; i += 2 * V) {
            s0 = FloatVector.fromArray(S, x, xo + i).sub(center).fma(FloatVector.fromArray(S, dy, dyo + i), s0);
            s1 = FloatVector.fromArray(S, x, xo + i + V).sub(center)
                    .fma(FloatVector.fromArray(S, dy, dyo + i + V), s1);
        }
        for (; i <= n - V; i += V) {
            s0 = FloatVector.fromArray(S, x, xo + i).sub(center).fma(FloatVector.fromArray(S, dy, dyo + i), s0);
        }
        float sum = ArrayMath.sumLanes(s0.add(s1));
        for (; i < n; i++) {
            sum = Math.fma(x[xo + i] - center, dy[dyo + i], sum);
        }
        return sum;
    }

    /** y = (x − center)·a + c. */
    private static void centerScaleShift(float[] x, int xo, float[] y, int yo, int n, float center, float a, float c) {
        FloatVector av = FloatVector.broadcast(S, a);
        FloatVector cv = FloatVector.broadcast(S, c);
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector.fromArray(S, x, xo + i).sub(center).fma(av, cv).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] = Math.fma(x[xo + i] - center, a, c);
        }
    }

    /** dx = factor·dy + slope·(x − center) + offset. */
    private static void batchNormGradient(float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int n,
                                          float center, float factor, float slope, float offset) {
        FloatVector factors = FloatVector.broadcast(S, factor);
        FloatVector slopes = FloatVector.broadcast(S, slope);
        FloatVector offsets = FloatVector.broadcast(S, offset);
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector centered = FloatVector.fromArray(S, x, xo + i).sub(center);
            FloatVector.fromArray(S, dy, dyo + i).fma(factors, centered.fma(slopes, offsets)).intoArray(dx, dxo + i);
        }
        for (; i < n; i++) {
            dx[dxo + i] = Math.fma(dy[dyo + i], factor, Math.fma(x[xo + i] - center, slope, offset));
        }
    }

    /** The index of x[b, channel, 0] in a batch×channels×spatial tensor. */
    private static long plane(int b, int channel, int channels, int spatial) {
        return ((long) b * channels + channel) * spatial;
    }

    private static double scale(MemorySegment gamma, int index) {
        return gamma == null ? 1 : gamma.getAtIndex(FLOAT, index);
    }

    private static void update(MemorySegment running, int index, double batchValue, float momentum) {
        double old = running.getAtIndex(FLOAT, index);
        running.setAtIndex(FLOAT, index, (float) ((1 - momentum) * old + momentum * batchValue));
    }
}
