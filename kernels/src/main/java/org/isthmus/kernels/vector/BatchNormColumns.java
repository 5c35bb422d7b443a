package org.isthmus.kernels.vector;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Batch normalization of x (batch×channels×spatial) read as {@code batch} rows of
 * channels·spatial floats, a chunk of whole channels (about {@link #CHUNK_FLOATS} floats of each
 * row) at a time, so that memory is read in runs along the rows whatever {@code spatial} is,
 * including 1 (2-D input: one float per channel and row, which a plane-by-plane walk reads one
 * float at a time).
 *
 * <p>Two phases, each over ranges of rows:
 * <ul>
 *   <li>statistics: per position of a chunk, float sums over {@link #FOLD_ROWS} rows at a time of
 *       x − k (k the channel's first value: a shift inside the data's range, so that the variance
 *       does not cancel away when the mean is large) and of its square (forward), or of dy and
 *       (x − mean)·dy (backward); each fold adds them per channel into the range's double totals.
 *       The ranges follow from the shape alone and their totals are added in order, so results do
 *       not depend on the thread count;</li>
 *   <li>one elementwise pass, the channels' coefficients spread over their positions.</li>
 * </ul>
 * Per-position accumulators and coefficients live in L1 scratch beside the staged rows.
 */
final class BatchNormColumns {

    private static final VectorSpecies<Float> S = Species.FLOAT;
    private static final int V = S.length();
    /**
     * A chunk's width in floats: three staged rows and four per-position arrays fit the 32 KiB L1
     * (heap operands leave the staging slots unused). 1,024 ran 0.85–0.90 of 512's time on planes
     * of 196 (runs of five channels instead of two), level on 2-D input of 512 channels.
     */
    private static final int CHUNK_FLOATS = 1024;
    /** Rows summed in float per position before a fold into double: a float sum of 64 terms errs by ~1e-7·8. */
    private static final int FOLD_ROWS = 64;
    /** Row ranges of the statistics phase: at most this many, fewer for small calls. */
    private static final int MAX_RANGES = 8;
    /** Rows of a range at least: each range ends with a fold of its chunks, which costs about two rows. */
    private static final int MIN_RANGE_ROWS = 32;
    /** Scratch slots of one chunk: three staged rows (x, dy, output), then four per-position arrays. */
    private static final int STAGED_ROWS = 3;
    private static final int SLOTS = STAGED_ROWS + 4;

    private BatchNormColumns() {
    }

    /** The call's shape and how its rows are cut into chunks. */
    private record Geometry(int batch, int channels, int spatial) {

        /** Channels per chunk: as many whole channels as fit {@link #CHUNK_FLOATS}, at least one. */
        int perChunk() {
            return Math.max(1, CHUNK_FLOATS / spatial);
        }

        int width() {
            return perChunk() * spatial;
        }

        long rowLength() {
            return (long) channels * spatial;
        }

        long count() {
            return (long) batch * spatial;
        }

        /** Scratch offset of per-position array {@code array} (0–3). */
        int positions(int array) {
            return (STAGED_ROWS + array) * width();
        }

        /** The index of x[b, c0, 0]: the start of row b's run for the chunk at channel c0. */
        long index(int b, int c0) {
            return ((long) b * channels + c0) * spatial;
        }

        /** The statistics phase's row ranges: from the shape alone, never from the thread count. */
        int ranges() {
            long byWork = (long) batch * rowLength() / RowWork.PART_ELEMENTS;
            return (int) Math.max(1, Math.min(Math.min(batch / MIN_RANGE_ROWS, byWork), MAX_RANGES));
        }
    }

    /**
     * Work on one row's run of a chunk: the per-position sums of the statistics phase, or the
     * elementwise pass.
     */
    @FunctionalInterface
    private interface RowRun {
        void apply(float[] scratch, long index, int length);
    }

    /**
     * A chunk's per-channel values spread over its positions before its rows: the shifts or
     * centers the sums read, or the elementwise pass's coefficients.
     */
    @FunctionalInterface
    private interface ChunkSetup {
        void prepare(float[] scratch, int c0, int chunkChannels);
    }

    static void training(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment y,
                         MemorySegment mean, MemorySegment rstd, MemorySegment runningMean, MemorySegment runningVar,
                         int batch, int channels, int spatial, float momentum, float eps) {
        Geometry g = new Geometry(batch, channels, spatial);
        Operand in = Operand.of(x);
        Operand out = Operand.of(y);
        int shifts = g.positions(0);
        int sums = g.positions(1);
        int squares = g.positions(2);
        double[] totals = totals(g, (scratch, c0, chunkChannels) -> {
            for (int j = 0; j < chunkChannels; j++) {
                spread(scratch, shifts, j, spatial, in.get((long) (c0 + j) * spatial));
            }
        }, (scratch, index, length) -> {
            int xo = RowWork.stageIn(in, index, length, scratch, 0);
            shiftedSums(RowWork.arrayOf(in, scratch), xo, scratch, shifts, sums, squares, length);
        }, x);

        // Per channel: the statistics out, and y = (x − mean)·a + c with a = rstd·gamma, c = beta.
        float[] coefficients = RowWork.callScratch(3 * channels);
        Operand scale = RowWork.optional(gamma);
        Operand shift = RowWork.optional(beta);
        Operand meanOut = Operand.of(mean);
        Operand rstdOut = Operand.of(rstd);
        Operand runMean = RowWork.optional(runningMean);
        Operand runVar = RowWork.optional(runningVar);
        double perValue = 1.0 / g.count();
        // One value per channel (count = 1) has no unbiased variance: 0/0 = NaN, as PyTorch's formula gives.
        double unbiasing = g.count() / (g.count() - 1.0);
        for (int ch = 0; ch < channels; ch++) {
            double shiftedMean = totals[2 * ch] * perValue;
            double variance = Math.max(0, totals[2 * ch + 1] * perValue - shiftedMean * shiftedMean);
            double channelMean = in.get((long) ch * spatial) + shiftedMean;
            double channelRstd = 1 / Math.sqrt(variance + eps);
            meanOut.set(ch, (float) channelMean);
            rstdOut.set(ch, (float) channelRstd);
            if (runMean != null) {
                update(runMean, ch, channelMean, momentum);
                update(runVar, ch, variance * unbiasing, momentum);
            }
            coefficients[ch] = (float) channelMean;
            coefficients[channels + ch] = (float) (channelRstd * scale(scale, ch));
            coefficients[2 * channels + ch] = shift(shift, ch);
        }
        normalize(g, in, out, coefficients, x, gamma, beta, y, mean, rstd, runningMean, runningVar);
    }

    static void inference(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment runningMean,
                          MemorySegment runningVar, MemorySegment y, int batch, int channels, int spatial, float eps) {
        Geometry g = new Geometry(batch, channels, spatial);
        Operand scale = RowWork.optional(gamma);
        Operand shift = RowWork.optional(beta);
        Operand centerIn = Operand.of(runningMean);
        Operand varianceIn = Operand.of(runningVar);
        float[] coefficients = RowWork.callScratch(3 * channels);
        for (int ch = 0; ch < channels; ch++) {
            double channelRstd = 1 / Math.sqrt((double) varianceIn.get(ch) + eps);
            coefficients[ch] = centerIn.get(ch);
            coefficients[channels + ch] = (float) (channelRstd * scale(scale, ch));
            coefficients[2 * channels + ch] = shift(shift, ch);
        }
        normalize(g, Operand.of(x), Operand.of(y), coefficients, x, gamma, beta, runningMean, runningVar, y);
    }

    /** As ScalarNormalization: dx = gamma·rstd·(dy − Σdy/N − x̂·Σ(dy·x̂)/N). */
    static void backward(MemorySegment x, MemorySegment gamma, MemorySegment mean, MemorySegment rstd,
                         MemorySegment dy, MemorySegment dx, MemorySegment dGamma, MemorySegment dBeta,
                         int batch, int channels, int spatial) {
        Geometry g = new Geometry(batch, channels, spatial);
        Operand in = Operand.of(x);
        Operand upstream = Operand.of(dy);
        Operand gradient = Operand.of(dx);
        Operand centerIn = Operand.of(mean);
        int centers = g.positions(0);
        int upstreamSums = g.positions(1);
        int projections = g.positions(2);
        double[] totals = totals(g, (scratch, c0, chunkChannels) -> {
            for (int j = 0; j < chunkChannels; j++) {
                spread(scratch, centers, j, spatial, centerIn.get(c0 + j));
            }
        }, (scratch, index, length) -> {
            int xo = RowWork.stageIn(in, index, length, scratch, 0);
            int dyo = RowWork.stageIn(upstream, index, length, scratch, 1);
            upstreamSums(RowWork.arrayOf(in, scratch), xo, RowWork.arrayOf(upstream, scratch), dyo, scratch, centers,
                    upstreamSums, projections, length);
        }, x, mean, dy);

        // Per channel: dGamma, dBeta, and dx = factor·dy + slope·(x − mean) + offset.
        float[] coefficients = RowWork.callScratch(4 * channels);
        Operand scale = RowWork.optional(gamma);
        Operand rstdIn = Operand.of(rstd);
        Operand scaleGradient = RowWork.optional(dGamma);
        Operand shiftGradient = RowWork.optional(dBeta);
        double perValue = 1.0 / g.count();
        for (int ch = 0; ch < channels; ch++) {
            double channelRstd = rstdIn.get(ch);
            double upstreamSum = totals[2 * ch];
            double gammaSum = totals[2 * ch + 1] * channelRstd;
            double factor = scale(scale, ch) * channelRstd;
            coefficients[ch] = centerIn.get(ch);
            coefficients[channels + ch] = (float) factor;
            coefficients[2 * channels + ch] = (float) (-factor * channelRstd * gammaSum * perValue);
            coefficients[3 * channels + ch] = (float) (-factor * upstreamSum * perValue);
            if (scaleGradient != null) {
                scaleGradient.set(ch, (float) gammaSum);
            }
            if (shiftGradient != null) {
                shiftGradient.set(ch, (float) upstreamSum);
            }
        }
        int factors = g.positions(1);
        int slopes = g.positions(2);
        int offsets = g.positions(3);
        elementwise(g, (scratch, c0, chunkChannels) -> spreadAll(scratch, coefficients, channels, c0, chunkChannels,
                spatial, centers, factors, slopes, offsets), (scratch, index, length) -> {
                    int xo = RowWork.stageIn(in, index, length, scratch, 0);
                    int dyo = RowWork.stageIn(upstream, index, length, scratch, 1);
                    int dxo = RowWork.outputOffset(gradient, index, length, 2);
                    gradientRow(RowWork.arrayOf(in, scratch), xo, RowWork.arrayOf(upstream, scratch), dyo,
                            RowWork.arrayOf(gradient, scratch), dxo, scratch, centers, factors, slopes, offsets, length);
                    RowWork.stageOut(gradient, index, length, scratch, 2);
                }, x, gamma, mean, rstd, dy, dx);
    }

    /**
     * The statistics phase: per channel, the double totals of the two per-position sums that
     * {@code rows} accumulates, summed over every row. Each range of rows adds into its own slice;
     * the slices are then added in range order into the first, which is returned.
     */
    private static double[] totals(Geometry g, ChunkSetup start, RowRun rows, MemorySegment... touched) {
        int channels = g.channels();
        int spatial = g.spatial();
        int ranges = g.ranges();
        double[] totals = RowWork.callDoubles(ranges * 2 * channels);
        int first = g.positions(1);
        int second = g.positions(2);
        RowWork.runEach(ranges, g.batch(), (range, from, to) -> {
            float[] scratch = RowWork.partScratch(SLOTS * g.width());
            for (int c0 = 0; c0 < channels; c0 += g.perChunk()) {
                int chunkChannels = Math.min(g.perChunk(), channels - c0);
                int length = chunkChannels * spatial;
                start.prepare(scratch, c0, chunkChannels);
                Arrays.fill(scratch, first, first + length, 0f);
                Arrays.fill(scratch, second, second + length, 0f);
                int slice = 2 * (range * channels + c0);
                for (int b = from; b < to; b++) {
                    rows.apply(scratch, g.index(b, c0), length);
                    if ((b + 1 - from) % FOLD_ROWS == 0 || b + 1 == to) {
                        fold(scratch, first, second, totals, slice, chunkChannels, spatial);
                    }
                }
            }
        }, touched);
        for (int range = 1; range < ranges; range++) {
            for (int i = 0; i < 2 * channels; i++) {
                totals[i] += totals[range * 2 * channels + i];
            }
        }
        return totals;
    }

    /** y = (x − mean)·a + c, coefficients[0, C) the means, [C, 2C) a, [2C, 3C) c. */
    private static void normalize(Geometry g, Operand in, Operand out, float[] coefficients, MemorySegment... touched) {
        int channels = g.channels();
        int spatial = g.spatial();
        int centers = g.positions(0);
        int scales = g.positions(1);
        int shifts = g.positions(2);
        elementwise(g, (scratch, c0, chunkChannels) -> spreadAll(scratch, coefficients, channels, c0, chunkChannels,
                spatial, centers, scales, shifts), (scratch, index, length) -> {
                    int xo = RowWork.stageIn(in, index, length, scratch, 0);
                    int yo = RowWork.outputOffset(out, index, length, 2);
                    normalizeRow(RowWork.arrayOf(in, scratch), xo, RowWork.arrayOf(out, scratch), yo, scratch, centers,
                            scales, shifts, length);
                    RowWork.stageOut(out, index, length, scratch, 2);
                }, touched);
    }

    /** The elementwise phase: parts of the rows, each chunk's coefficients spread, then every row's run. */
    private static void elementwise(Geometry g, ChunkSetup coefficients, RowRun pass, MemorySegment... touched) {
        RowWork.forRows(g.batch(), g.rowLength(), (part, from, to) -> {
            float[] scratch = RowWork.partScratch(SLOTS * g.width());
            for (int c0 = 0; c0 < g.channels(); c0 += g.perChunk()) {
                int chunkChannels = Math.min(g.perChunk(), g.channels() - c0);
                coefficients.prepare(scratch, c0, chunkChannels);
                for (int b = from; b < to; b++) {
                    pass.apply(scratch, g.index(b, c0), chunkChannels * g.spatial());
                }
            }
        }, touched);
    }

    /** Spreads coefficient vector i (coefficients[i·C, (i + 1)·C)) of the chunk's channels over per-position array {@code arrays[i]}. */
    private static void spreadAll(float[] scratch, float[] coefficients, int channels, int c0, int chunkChannels,
                                  int spatial, int... arrays) {
        for (int i = 0; i < arrays.length; i++) {
            for (int j = 0; j < chunkChannels; j++) {
                spread(scratch, arrays[i], j, spatial, coefficients[i * channels + c0 + j]);
            }
        }
    }

    /** sums += x − k, squares += (x − k)², per position; k per position at {@code shifts}. */
    private static void shiftedSums(float[] x, int xo, float[] w, int shifts, int sums, int squares, int n) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector d = FloatVector.fromArray(S, x, xo + i).sub(FloatVector.fromArray(S, w, shifts + i));
            FloatVector.fromArray(S, w, sums + i).add(d).intoArray(w, sums + i);
            d.fma(d, FloatVector.fromArray(S, w, squares + i)).intoArray(w, squares + i);
        }
        for (; i < n; i++) {
            float d = x[xo + i] - w[shifts + i];
            w[sums + i] += d;
            w[squares + i] = Math.fma(d, d, w[squares + i]);
        }
    }

    /** sums += dy, projections += (x − center)·dy, per position. */
    private static void upstreamSums(float[] x, int xo, float[] dy, int dyo, float[] w, int centers, int sums,
                                     int projections, int n) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector g = FloatVector.fromArray(S, dy, dyo + i);
            FloatVector d = FloatVector.fromArray(S, x, xo + i).sub(FloatVector.fromArray(S, w, centers + i));
            FloatVector.fromArray(S, w, sums + i).add(g).intoArray(w, sums + i);
            d.fma(g, FloatVector.fromArray(S, w, projections + i)).intoArray(w, projections + i);
        }
        for (; i < n; i++) {
            float g = dy[dyo + i];
            w[sums + i] += g;
            w[projections + i] = Math.fma(x[xo + i] - w[centers + i], g, w[projections + i]);
        }
    }

    private static void normalizeRow(float[] x, int xo, float[] y, int yo, float[] w, int centers, int scales,
                                     int shifts, int n) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector.fromArray(S, x, xo + i).sub(FloatVector.fromArray(S, w, centers + i))
                    .fma(FloatVector.fromArray(S, w, scales + i), FloatVector.fromArray(S, w, shifts + i))
                    .intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] = Math.fma(x[xo + i] - w[centers + i], w[scales + i], w[shifts + i]);
        }
    }

    /** dx = factor·dy + slope·(x − center) + offset, per-position coefficients. */
    private static void gradientRow(float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, float[] w,
                                    int centers, int factors, int slopes, int offsets, int n) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector centered = FloatVector.fromArray(S, x, xo + i).sub(FloatVector.fromArray(S, w, centers + i));
            FloatVector.fromArray(S, dy, dyo + i).fma(FloatVector.fromArray(S, w, factors + i),
                    centered.fma(FloatVector.fromArray(S, w, slopes + i), FloatVector.fromArray(S, w, offsets + i)))
                    .intoArray(dx, dxo + i);
        }
        for (; i < n; i++) {
            dx[dxo + i] = Math.fma(dy[dyo + i], w[factors + i],
                    Math.fma(x[xo + i] - w[centers + i], w[slopes + i], w[offsets + i]));
        }
    }

    /**
     * Adds the per-position float sums at {@code first} and {@code second} per channel into
     * totals[slice + 2j] and totals[slice + 2j + 1], and zeroes them.
     */
    private static void fold(float[] w, int first, int second, double[] totals, int slice, int chunkChannels,
                             int spatial) {
        if (spatial == 1) {
            // 2-D input: one value per channel; the loop below would pay its set-up per value.
            for (int j = 0; j < chunkChannels; j++) {
                totals[slice + 2 * j] += w[first + j];
                totals[slice + 2 * j + 1] += w[second + j];
            }
        }
        for (int j = 0; spatial > 1 && j < chunkChannels; j++) {
            // Four partial sums per total: one chain of dependent double adds would cost its latency per position.
            double a0 = 0;
            double a1 = 0;
            double a2 = 0;
            double a3 = 0;
            double b0 = 0;
            double b1 = 0;
            double b2 = 0;
            double b3 = 0;
            int p = j * spatial;
            int end = (j + 1) * spatial;
            for (; p <= end - 4; p += 4) {
                a0 += w[first + p];
                a1 += w[first + p + 1];
                a2 += w[first + p + 2];
                a3 += w[first + p + 3];
                b0 += w[second + p];
                b1 += w[second + p + 1];
                b2 += w[second + p + 2];
                b3 += w[second + p + 3];
            }
            for (; p < end; p++) {
                a0 += w[first + p];
                b0 += w[second + p];
            }
            totals[slice + 2 * j] += (a0 + a1) + (a2 + a3);
            totals[slice + 2 * j + 1] += (b0 + b1) + (b2 + b3);
        }
        int length = chunkChannels * spatial;
        Arrays.fill(w, first, first + length, 0f);
        Arrays.fill(w, second, second + length, 0f);
    }

    /** Writes {@code value} over channel j's positions of the per-position array at {@code array}. */
    private static void spread(float[] w, int array, int j, int spatial, float value) {
        if (spatial == 1) {
            // 2-D input: one store per channel; a fill's set-up would cost more than its work.
            w[array + j] = value;
            return;
        }
        Arrays.fill(w, array + j * spatial, array + (j + 1) * spatial, value);
    }

    private static double scale(Operand gamma, int index) {
        return gamma == null ? 1 : gamma.get(index);
    }

    private static float shift(Operand beta, int index) {
        return beta == null ? 0f : beta.get(index);
    }

    private static void update(Operand running, int index, double batchValue, float momentum) {
        running.set(index, (float) ((1 - momentum) * running.get(index) + momentum * batchValue));
    }
}
