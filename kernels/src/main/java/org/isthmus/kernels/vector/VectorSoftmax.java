package org.isthmus.kernels.vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.isthmus.kernels.SoftmaxKernels;

/**
 * The softmax family with the Vector API, one row at a time. A row is read from memory once, in
 * the loop that takes its exponentials, their sum and its max together (see "The forward passes"
 * below), and the later work on it finds it in L1 (a 1024-float row is 4 KiB); y is written once.
 * The forward passes take exp from {@link VectorExp} (polynomials, half the cost of
 * {@code VectorOperators.EXP}); the backward passes call {@code lanewise(EXP)}. NaN, −∞ and all-−∞ rows behave
 * as in {@code ScalarSoftmax}, and exp(−∞) = 0. The running max inside the exp loops skips NaN
 * (a compare and a blend, where Java's {@code max} takes five instructions): a row holding
 * NaN still comes out NaN, through its sum, and logSumExp searches the rare row with an
 * infinite max for one.
 *
 * <p>The exp loops take one vector a step: with two, C2 kept the running sums and maxima on the
 * stack (bench/NOTES.md, "Session 17").
 */
final class VectorSoftmax implements SoftmaxKernels {

    private static final VectorSpecies<Float> S = Species.FLOAT;
    private static final int V = S.length();
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    /**
     * From this row length on, logSoftmax writes row r − 1 inside row r's exp loop; below it each row's
     * output is written by a pass of its own after its exp loop (bench/NOTES.md, "Session 30").
     */
    private static final int SHIFT_IN_EXP_LOOP_MIN_COLUMNS = 256;

    @Override
    public void softmax(MemorySegment x, MemorySegment y, int rows, int cols) {
        Operand in = Operand.of(x);
        Operand out = Operand.of(y);
        RowWork.forRows(rows, cols, (part, from, to) -> {
            // Slot 0: row r of x; 1, 2: the exponentials of rows r − 1 and r, alternating; 3: the output
            // row; then the loops' two running vectors.
            float[] scratch = RowWork.partScratch(4 * cols + 2 * V);
            int accumulators = 4 * cols;
            float[] xs = RowWork.arrayOf(in, scratch);
            float[] ys = RowWork.arrayOf(out, scratch);
            int expSlot = cols;
            // The first row has no row before it: it "scales" its own exponentials by 1 onto themselves,
            // so that one loop serves every row.
            int previousExps = expSlot;
            float previousFactor = 1;
            for (int r = from; r < to; r++) {
                long index = (long) r * cols;
                int xo = RowWork.stageIn(in, index, cols, scratch, 0);
                boolean first = r == from;
                float[] destination = first ? scratch : ys;
                int yo = first ? expSlot : RowWork.outputOffset(out, index - cols, cols, 3);
                float k = shiftForFirst(xs[xo]);
                long sumAndMax = expMaxAndScale(xs, xo, scratch, expSlot, cols, k, previousExps, previousFactor,
                        destination, yo, scratch, accumulators);
                if (!first) {
                    RowWork.stageOut(out, index - cols, cols, scratch, 3);
                }
                float sum = RowWork.high(sumAndMax);
                float max = RowWork.low(sumAndMax);
                if (!withinRange(max, k)) {
                    // Again from L1, shifted by the max: the exponentials themselves, over the output slot
                    // they already hold (scaled by 1 onto themselves, as for a first row).
                    k = exponentShift(max);
                    sum = Float.isNaN(k)
                            ? RowWork.high(storeExpAndNextMax(xs, xo, scratch, expSlot, cols, max, xo))
                            : RowWork.high(expMaxAndScale(xs, xo, scratch, expSlot, cols, k, expSlot, 1f, scratch,
                                    expSlot, scratch, accumulators));
                }
                previousExps = expSlot;
                previousFactor = 1f / sum;
                expSlot = 3 * cols - expSlot;
            }
            long lastIndex = (long) (to - 1) * cols;
            int yo = RowWork.outputOffset(out, lastIndex, cols, 3);
            scale(scratch, previousExps, ys, yo, cols, previousFactor);
            RowWork.stageOut(out, lastIndex, cols, scratch, 3);
        }, x, y);
    }

    @Override
    public void logSoftmax(MemorySegment x, MemorySegment y, int rows, int cols) {
        Operand in = Operand.of(x);
        Operand out = Operand.of(y);
        RowWork.forRows(rows, cols, (part, from, to) -> {
            if (cols >= SHIFT_IN_EXP_LOOP_MIN_COLUMNS) {
                logSoftmaxShiftingInExpLoop(in, out, from, to, cols);
            } else {
                logSoftmaxShiftingAfter(in, out, from, to, cols);
            }
        }, x, y);
    }

    /**
     * Rows [from, to) of logSoftmax, each row's output written by its own pass after its exp pass, which
     * also takes the next row's max (rows this short lose more to the shifted form's fixed work per row
     * than they gain from it: bench/NOTES.md, "Session 30").
     */
    private static void logSoftmaxShiftingAfter(Operand in, Operand out, int from, int to, int cols) {
        // Slots 0, 1: rows r and r + 1 of x; 2: the output row.
        float[] scratch = RowWork.partScratch(3 * cols);
        float[] xs = RowWork.arrayOf(in, scratch);
        float[] ys = RowWork.arrayOf(out, scratch);
        int xo = RowWork.stageIn(in, (long) from * cols, cols, scratch, 0);
        float max = max(xs, xo, cols);
        for (int r = from; r < to; r++) {
            long index = (long) r * cols;
            int next = RowWork.nextRow(in, r, to, cols, scratch, xo == 0 ? 1 : 0, xo);
            int yo = RowWork.outputOffset(out, index, cols, 2);
            long sumAndNextMax = sumExpAndNextMax(xs, xo, cols, max, next);
            // (x − max) − log Σ, not x − (max + log Σ): near the max, y is small and keeps its digits.
            shiftTwice(xs, xo, ys, yo, cols, max, (float) Math.log(RowWork.high(sumAndNextMax)));
            RowWork.stageOut(out, index, cols, scratch, 2);
            xo = next;
            max = RowWork.low(sumAndNextMax);
        }
    }

    /** Rows [from, to) of logSoftmax, row r − 1's output written inside row r's exp loop. */
    private static void logSoftmaxShiftingInExpLoop(Operand in, Operand out, int from, int to, int cols) {
        // Slots 0, 1: rows r − 1 and r of x, alternating; 2: the output row r − 1; then the loops' two
        // running vectors.
        float[] scratch = RowWork.partScratch(3 * cols + 2 * V);
        int accumulators = 3 * cols;
        float[] xs = RowWork.arrayOf(in, scratch);
        float[] ys = RowWork.arrayOf(out, scratch);
        int slot = 0;
        // The first row has no row before it: it "shifts" itself by 0 into its own output, which the
        // next step overwrites, so that one loop serves every row.
        int previous = RowWork.stageIn(in, (long) from * cols, cols, scratch, slot);
        float previousMax = 0;
        float previousLogSum = 0;
        for (int r = from; r < to; r++) {
            long index = (long) r * cols;
            int xo = r == from ? previous : RowWork.stageIn(in, index, cols, scratch, slot);
            slot = 1 - slot;
            int yo = RowWork.outputOffset(out, r > from ? index - cols : index, cols, 2);
            float k = shiftForFirst(xs[xo]);
            long sumAndMax = sumExpMaxAndShift(xs, xo, cols, k, previous, ys, yo, previousMax, previousLogSum,
                    scratch, accumulators);
            if (r > from) {
                RowWork.stageOut(out, index - cols, cols, scratch, 2);
            }
            float max = RowWork.low(sumAndMax);
            previousLogSum = logSumOfShifted(xs, xo, cols, RowWork.high(sumAndMax), max, k, scratch, accumulators);
            previous = xo;
            previousMax = max;
        }
        long lastIndex = (long) (to - 1) * cols;
        int yo = RowWork.outputOffset(out, lastIndex, cols, 2);
        shiftTwice(xs, previous, ys, yo, cols, previousMax, previousLogSum);
        RowWork.stageOut(out, lastIndex, cols, scratch, 2);
    }

    /**
     * log Σ exp(x − max) of the row at xo, from {@code sum} = Σ e^x·2^k (in double: the shift's k·ln 2 and
     * the max leave the sum's digits alone), or from the row again where its max is out of k's range.
     */
    private static float logSumOfShifted(float[] x, int xo, int n, float sum, float max, float k, float[] acc,
                                         int ao) {
        if (!withinRange(max, k)) {
            k = exponentShift(max);
            if (Float.isNaN(k)) {
                return (float) Math.log(RowWork.high(sumExpAndNextMax(x, xo, n, max, xo)));
            }
            sum = RowWork.high(sumExpAndMax(x, xo, n, k, acc, ao));
        }
        return (float) (Math.log(sum) - (max + k * LN_2));
    }

    @Override
    public void logSumExp(MemorySegment x, MemorySegment y, int rows, int cols) {
        Operand in = Operand.of(x);
        RowWork.forRows(rows, cols, (part, from, to) -> {
            // Slot 0: row r of x; then the loop's two running vectors.
            float[] scratch = RowWork.partScratch(cols + 2 * V);
            int accumulators = cols;
            float[] xs = RowWork.arrayOf(in, scratch);
            for (int r = from; r < to; r++) {
                int xo = RowWork.stageIn(in, (long) r * cols, cols, scratch, 0);
                float k = shiftForFirst(xs[xo]);
                long sumAndMax = sumExpAndMax(xs, xo, cols, k, scratch, accumulators);
                float max = RowWork.low(sumAndMax);
                float lse;
                if (withinRange(max, k)) {
                    lse = (float) (Math.log(RowWork.high(sumAndMax)) - k * LN_2);
                } else if (!Float.isInfinite(max)) {
                    lse = max + logSumOfShifted(xs, xo, cols, RowWork.high(sumAndMax), max, k, scratch, accumulators);
                } else {
                    // An infinite max is the answer, as in ScalarSoftmax: −∞ for a row masked entirely. The
                    // running max skips NaN (see sumExpAndMax), so such a row is searched for one.
                    lse = containsNaN(xs, xo, cols) ? Float.NaN : max;
                }
                y.setAtIndex(FLOAT, r, lse);
            }
        }, x, y);
    }

    @Override
    public void softmaxBackward(MemorySegment y, MemorySegment dy, MemorySegment dx, int rows, int cols) {
        Operand out = Operand.of(y);
        Operand upstream = Operand.of(dy);
        Operand gradient = Operand.of(dx);
        RowWork.forRows(rows, cols, (part, from, to) -> {
            float[] scratch = RowWork.partScratch(3 * cols);
            float[] ys = RowWork.arrayOf(out, scratch);
            float[] dys = RowWork.arrayOf(upstream, scratch);
            float[] dxs = RowWork.arrayOf(gradient, scratch);
            for (int r = from; r < to; r++) {
                long index = (long) r * cols;
                int yo = RowWork.stageIn(out, index, cols, scratch, 0);
                int dyo = RowWork.stageIn(upstream, index, cols, scratch, 1);
                int dxo = RowWork.outputOffset(gradient, index, cols, 2);
                float dot = dot(ys, yo, dys, dyo, cols);
                softmaxGradient(ys, yo, dys, dyo, dxs, dxo, cols, dot);
                RowWork.stageOut(gradient, index, cols, scratch, 2);
            }
        }, y, dy, dx);
    }

    @Override
    public void logSoftmaxBackward(MemorySegment y, MemorySegment dy, MemorySegment dx, int rows, int cols) {
        Operand out = Operand.of(y);
        Operand upstream = Operand.of(dy);
        Operand gradient = Operand.of(dx);
        RowWork.forRows(rows, cols, (part, from, to) -> {
            float[] scratch = RowWork.partScratch(3 * cols);
            float[] ys = RowWork.arrayOf(out, scratch);
            float[] dys = RowWork.arrayOf(upstream, scratch);
            float[] dxs = RowWork.arrayOf(gradient, scratch);
            for (int r = from; r < to; r++) {
                long index = (long) r * cols;
                int yo = RowWork.stageIn(out, index, cols, scratch, 0);
                int dyo = RowWork.stageIn(upstream, index, cols, scratch, 1);
                int dxo = RowWork.outputOffset(gradient, index, cols, 2);
                float sum = sum(dys, dyo, cols);
                logSoftmaxGradient(ys, yo, dys, dyo, dxs, dxo, cols, sum);
                RowWork.stageOut(gradient, index, cols, scratch, 2);
            }
        }, y, dy, dx);
    }

    @Override
    public void logSumExpBackward(MemorySegment x, MemorySegment lse, MemorySegment dLse, MemorySegment dx,
                                  int rows, int cols) {
        Operand in = Operand.of(x);
        Operand gradient = Operand.of(dx);
        RowWork.forRows(rows, cols, (part, from, to) -> {
            float[] scratch = RowWork.partScratch(2 * cols);
            float[] xs = RowWork.arrayOf(in, scratch);
            float[] dxs = RowWork.arrayOf(gradient, scratch);
            for (int r = from; r < to; r++) {
                long index = (long) r * cols;
                int xo = RowWork.stageIn(in, index, cols, scratch, 0);
                int dxo = RowWork.outputOffset(gradient, index, cols, 1);
                scaledExp(xs, xo, dxs, dxo, cols, lse.getAtIndex(FLOAT, r), dLse.getAtIndex(FLOAT, r));
                RowWork.stageOut(gradient, index, cols, scratch, 1);
            }
        }, x, lse, dLse, dx);
    }

    /** The loss as ScalarSoftmax writes it: log Σ exp(x − max) + (1 − s)·(max − x[t]) + s·(max − mean(x)). */
    @Override
    public void softmaxCrossEntropy(MemorySegment logits, MemorySegment targets, float labelSmoothing,
                                    MemorySegment losses, MemorySegment dLogits, int rows, int cols) {
        Operand in = Operand.of(logits);
        Operand gradient = RowWork.optional(dLogits);
        float spread = labelSmoothing / cols;
        RowWork.forRows(rows, cols, (part, from, to) -> {
            float[] scratch = RowWork.partScratch(2 * cols);
            float[] xs = RowWork.arrayOf(in, scratch);
            float[] dxs = RowWork.arrayOf(gradient, scratch);
            for (int r = from; r < to; r++) {
                long index = (long) r * cols;
                int target = targets.getAtIndex(ValueLayout.JAVA_INT, r);
                int xo = RowWork.stageIn(in, index, cols, scratch, 0);
                float max = max(xs, xo, cols);
                // Read before the gradient is written: dLogits may be logits itself.
                float partialLoss = (1f - labelSmoothing) * (max - xs[xo + target]);
                if (labelSmoothing > 0f) {
                    // Skipped when s = 0, so that a −∞ logit off the target does not give 0·∞ = NaN.
                    partialLoss += labelSmoothing * (max - sum(xs, xo, cols) / cols);
                }
                if (gradient == null) {
                    float sum = RowWork.high(sumExpAndNextMax(xs, xo, cols, max, xo));
                    losses.setAtIndex(FLOAT, r, (float) Math.log(sum) + partialLoss);
                    continue;
                }
                int dxo = RowWork.outputOffset(gradient, index, cols, 1);
                float sum = RowWork.high(storeExpAndNextMax(xs, xo, dxs, dxo, cols, max, xo));
                losses.setAtIndex(FLOAT, r, (float) Math.log(sum) + partialLoss);
                scaleAndShift(dxs, dxo, cols, 1f / sum, -spread);
                dxs[dxo + target] -= 1f - labelSmoothing;
                RowWork.stageOut(gradient, index, cols, scratch, 1);
            }
        }, logits, targets, losses, dLogits);
    }

    // ---------------------------------------------------------------- row loops

    static float max(float[] x, int xo, int n) {
        FloatVector m0 = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        FloatVector m1 = m0;
        FloatVector m2 = m0;
        FloatVector m3 = m0;
        int i = 0;
        for (; i <= n - 4 * V; i += 4 * V) {
            m0 = m0.max(FloatVector.fromArray(S, x, xo + i));
            m1 = m1.max(FloatVector.fromArray(S, x, xo + i + V));
            m2 = m2.max(FloatVector.fromArray(S, x, xo + i + 2 * V));
            m3 = m3.max(FloatVector.fromArray(S, x, xo + i + 3 * V));
        }
        for (; i <= n - V; i += V) {
            m0 = m0.max(FloatVector.fromArray(S, x, xo + i));
        }
        float max = m0.max(m1).max(m2.max(m3)).reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            max = Math.max(max, x[xo + i]);
        }
        return max;
    }

    static float sum(float[] x, int xo, int n) {
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        int i = 0;
        for (; i <= n - 4 * V; i += 4 * V) {
            s0 = s0.add(FloatVector.fromArray(S, x, xo + i));
            s1 = s1.add(FloatVector.fromArray(S, x, xo + i + V));
            s2 = s2.add(FloatVector.fromArray(S, x, xo + i + 2 * V));
            s3 = s3.add(FloatVector.fromArray(S, x, xo + i + 3 * V));
        }
        for (; i <= n - V; i += V) {
            s0 = s0.add(FloatVector.fromArray(S, x, xo + i));
        }
        float sum = ArrayMath.sumLanes(s0.add(s1).add(s2.add(s3)));
        for (; i < n; i++) {
            sum += x[xo + i];
        }
        return sum;
    }

    /** y = exp(x − shift) over the row at xo; returns Σ y and the max of the row at next, packed. */
    private static long storeExpAndNextMax(float[] x, int xo, float[] y, int yo, int n, float shift, int next) {
        FloatVector s0 = FloatVector.zero(S);
        FloatVector m0 = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector e0 = VectorExp.exp(FloatVector.fromArray(S, x, xo + i).sub(shift));
            e0.intoArray(y, yo + i);
            s0 = s0.add(e0);
            FloatVector candidate = FloatVector.fromArray(S, x, next + i);
            m0 = m0.blend(candidate, candidate.compare(VectorOperators.GT, m0));
        }
        float sum = ArrayMath.sumLanes(s0);
        float nextMax = m0.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            float e = (float) Math.exp(x[xo + i] - shift);
            y[yo + i] = e;
            sum += e;
            nextMax = Math.max(nextMax, x[next + i]);
        }
        return RowWork.pack(sum, nextMax);
    }

    /** Σ exp(x − shift) over the row at xo and the max of the row at next, packed. */
    private static long sumExpAndNextMax(float[] x, int xo, int n, float shift, int next) {
        FloatVector s0 = FloatVector.zero(S);
        FloatVector m0 = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i <= n - V; i += V) {
            s0 = s0.add(VectorExp.exp(FloatVector.fromArray(S, x, xo + i).sub(shift)));
            FloatVector candidate = FloatVector.fromArray(S, x, next + i);
            m0 = m0.blend(candidate, candidate.compare(VectorOperators.GT, m0));
        }
        float sum = ArrayMath.sumLanes(s0);
        float nextMax = m0.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            sum += (float) Math.exp(x[xo + i] - shift);
            nextMax = Math.max(nextMax, x[next + i]);
        }
        return RowWork.pack(sum, nextMax);
    }

    /*
     * The forward passes. They read each row once, from memory, in the loop that takes its exponentials,
     * its sum and its max together. The exponentials cannot wait for the max: they are taken
     * relative to a shift from the row's first value (e^x·2^k, k = −round(x₀·log₂e)), and the row
     * is taken again from L1, shifted by its max, only where its max lands too far from that shift
     * (above, where the sum could overflow; below, where its values would flush to 0) or is not
     * finite, or too large for the exact reduction. Softmax, and logSoftmax on rows of at least
     * SHIFT_IN_EXP_LOOP_MIN_COLUMNS, also write row r − 1's output inside row r's loop, so that memory
     * is read and written through all of the core's work; each row depends on no other, so the core
     * overlaps the end of one row with the start of the next, and a row's result does not depend on
     * how the rows are split over threads. The loops run over pieces of CHUNK floats, their running
     * sum and max carried from piece to piece in two vectors of scratch: C2's unrolled form of a loop
     * entered once per row of 512 to 2048 floats lost that overlap (1.6× slower than the same loop
     * over 256-float pieces, which ran at the speed of one flat loop; bench/NOTES.md, "Session 30").
     */

    /** ln 2 in double: converts the shift's k back to the row's units. */
    private static final double LN_2 = Math.log(2);
    /** log₂e in double, for the shift's k and the range check. */
    private static final double LOG2_E = 1 / LN_2;
    /**
     * The range of the row's largest t = max·log₂e + k in which its shifted exponentials stand: at
     * most 2⁹⁶ each, so that a sum over up to 2³¹ of them stays finite, and at least 2⁻³² for the
     * largest, so that the values below it keep 94 binary orders before they flush to 0.
     */
    private static final double HIGHEST_TOP_EXPONENT = 96;
    private static final double LOWEST_TOP_EXPONENT = -32;
    /** The loops' piece: up to 256 floats a call of the inner loop (see above). */
    private static final int CHUNK = 256;

    /**
     * k for {@link VectorExp#expScaled} that puts {@code value}'s exponential near 1: −round(value·log₂e),
     * or NaN where that is not finite or beyond the reduction's range (a row with such a max takes
     * exp(x − max) itself).
     */
    private static float exponentShift(float value) {
        double k = -Math.rint(value * LOG2_E);
        return Math.abs(k) <= VectorExp.MAX_SCALE_EXPONENT ? (float) k : Float.NaN;
    }

    /** {@link #exponentShift} of a row's first value, or 0 where it has none (a row that starts with ±∞ or NaN). */
    private static float shiftForFirst(float first) {
        float k = exponentShift(first);
        return Float.isNaN(k) ? 0 : k;
    }

    /** Whether a row whose max is {@code max} was safely taken with shift k (false for NaN k, ±∞ max). */
    private static boolean withinRange(float max, float k) {
        double top = max * LOG2_E + k;
        return top >= LOWEST_TOP_EXPONENT && top <= HIGHEST_TOP_EXPONENT;
    }

    /**
     * e^x·2^k over the row at xo into the exponentials at eo, and the output y = exps·factor of the row
     * before it (its exponentials at previous); returns Σ e^x·2^k and the row's max (NaN skipped),
     * packed. The pieces carry their running sum and max in {@code acc} (two vectors at ao): reducing
     * them piece by piece cost 1.6× (bench/NOTES.md, "Session 30").
     */
    private static long expMaxAndScale(float[] x, int xo, float[] exps, int eo, int n, float k, int previous,
                                       float factor, float[] y, int yo, float[] acc, int ao) {
        startAccumulators(acc, ao);
        int vectors = S.loopBound(n);
        for (int c = 0; c < vectors; c += CHUNK) {
            expMaxAndScalePiece(x, xo + c, exps, eo + c, Math.min(CHUNK, vectors - c), k, previous + c, factor, y,
                    yo + c, acc, ao);
        }
        float sum = ArrayMath.sumLanes(FloatVector.fromArray(S, acc, ao));
        float max = ArrayMath.maxLanes(FloatVector.fromArray(S, acc, ao + V));
        for (int i = vectors; i < n; i++) {
            float value = x[xo + i];
            float e = (float) Math.exp(value + k * LN_2);
            exps[eo + i] = e;
            sum += e;
            max = value > max ? value : max;
            y[yo + i] = exps[previous + i] * factor;
        }
        return RowWork.pack(sum, max);
    }

    private static void expMaxAndScalePiece(float[] x, int xo, float[] exps, int eo, int n, float k, int previous,
                                            float factor, float[] y, int yo, float[] acc, int ao) {
        FloatVector sum = FloatVector.fromArray(S, acc, ao);
        FloatVector max = FloatVector.fromArray(S, acc, ao + V);
        for (int i = 0; i < n; i += V) {
            FloatVector value = FloatVector.fromArray(S, x, xo + i);
            max = max.blend(value, value.compare(VectorOperators.GT, max));
            FloatVector e = VectorExp.expScaled(value, k);
            e.intoArray(exps, eo + i);
            sum = sum.add(e);
            FloatVector.fromArray(S, exps, previous + i).mul(factor).intoArray(y, yo + i);
        }
        sum.intoArray(acc, ao);
        max.intoArray(acc, ao + V);
    }

    /**
     * Σ e^x·2^k and the max over the row at xo, packed, and y = (x − first) − second for the row before
     * it (at previous), in one loop.
     */
    private static long sumExpMaxAndShift(float[] x, int xo, int n, float k, int previous, float[] y, int yo,
                                          float first, float second, float[] acc, int ao) {
        startAccumulators(acc, ao);
        int vectors = S.loopBound(n);
        for (int c = 0; c < vectors; c += CHUNK) {
            sumExpMaxAndShiftPiece(x, xo + c, Math.min(CHUNK, vectors - c), k, previous + c, y, yo + c, first, second,
                    acc, ao);
        }
        float sum = ArrayMath.sumLanes(FloatVector.fromArray(S, acc, ao));
        float max = ArrayMath.maxLanes(FloatVector.fromArray(S, acc, ao + V));
        for (int i = vectors; i < n; i++) {
            float value = x[xo + i];
            sum += (float) Math.exp(value + k * LN_2);
            max = value > max ? value : max;
            y[yo + i] = (x[previous + i] - first) - second;
        }
        return RowWork.pack(sum, max);
    }

    private static void sumExpMaxAndShiftPiece(float[] x, int xo, int n, float k, int previous, float[] y, int yo,
                                               float first, float second, float[] acc, int ao) {
        FloatVector sum = FloatVector.fromArray(S, acc, ao);
        FloatVector max = FloatVector.fromArray(S, acc, ao + V);
        for (int i = 0; i < n; i += V) {
            FloatVector value = FloatVector.fromArray(S, x, xo + i);
            max = max.blend(value, value.compare(VectorOperators.GT, max));
            sum = sum.add(VectorExp.expScaled(value, k));
            FloatVector.fromArray(S, x, previous + i).sub(first).sub(second).intoArray(y, yo + i);
        }
        sum.intoArray(acc, ao);
        max.intoArray(acc, ao + V);
    }

    /** Σ e^x·2^k and the max over the row at xo, packed. */
    private static long sumExpAndMax(float[] x, int xo, int n, float k, float[] acc, int ao) {
        startAccumulators(acc, ao);
        int vectors = S.loopBound(n);
        for (int c = 0; c < vectors; c += CHUNK) {
            sumExpAndMaxPiece(x, xo + c, Math.min(CHUNK, vectors - c), k, acc, ao);
        }
        float sum = ArrayMath.sumLanes(FloatVector.fromArray(S, acc, ao));
        float max = ArrayMath.maxLanes(FloatVector.fromArray(S, acc, ao + V));
        for (int i = vectors; i < n; i++) {
            float value = x[xo + i];
            sum += (float) Math.exp(value + k * LN_2);
            max = value > max ? value : max;
        }
        return RowWork.pack(sum, max);
    }

    private static void sumExpAndMaxPiece(float[] x, int xo, int n, float k, float[] acc, int ao) {
        FloatVector sum = FloatVector.fromArray(S, acc, ao);
        FloatVector max = FloatVector.fromArray(S, acc, ao + V);
        for (int i = 0; i < n; i += V) {
            FloatVector value = FloatVector.fromArray(S, x, xo + i);
            max = max.blend(value, value.compare(VectorOperators.GT, max));
            sum = sum.add(VectorExp.expScaled(value, k));
        }
        sum.intoArray(acc, ao);
        max.intoArray(acc, ao + V);
    }

    /** A zero sum and a −∞ max at acc[ao..], for the pieces of one row. */
    private static void startAccumulators(float[] acc, int ao) {
        FloatVector.zero(S).intoArray(acc, ao);
        FloatVector.broadcast(S, Float.NEGATIVE_INFINITY).intoArray(acc, ao + V);
    }

    private static boolean containsNaN(float[] x, int xo, int n) {
        for (int i = 0; i < n; i++) {
            if (Float.isNaN(x[xo + i])) {
                return true;
            }
        }
        return false;
    }

    /** y = exps·factor. */
    private static void scale(float[] exps, int eo, float[] y, int yo, int n, float factor) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector.fromArray(S, exps, eo + i).mul(factor).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] = exps[eo + i] * factor;
        }
    }

    /** y = y·factor + shift. */
    private static void scaleAndShift(float[] y, int yo, int n, float factor, float shift) {
        FloatVector f = FloatVector.broadcast(S, factor);
        FloatVector s = FloatVector.broadcast(S, shift);
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector.fromArray(S, y, yo + i).fma(f, s).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] = Math.fma(y[yo + i], factor, shift);
        }
    }

    /** y = (x − first) − second. */
    private static void shiftTwice(float[] x, int xo, float[] y, int yo, int n, float first, float second) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector.fromArray(S, x, xo + i).sub(first).sub(second).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] = (x[xo + i] - first) - second;
        }
    }

    private static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = s0;
        int i = 0;
        for (; i <= n - 2 * V; i += 2 * V) {
            s0 = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), s0);
            s1 = FloatVector.fromArray(S, a, ao + i + V).fma(FloatVector.fromArray(S, b, bo + i + V), s1);
        }
        for (; i <= n - V; i += V) {
            s0 = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), s0);
        }
        float dot = ArrayMath.sumLanes(s0.add(s1));
        for (; i < n; i++) {
            dot = Math.fma(a[ao + i], b[bo + i], dot);
        }
        return dot;
    }

    /** dx = y·(dy − dot). */
    private static void softmaxGradient(float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo, int n, float dot) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector.fromArray(S, dy, dyo + i).sub(dot).mul(FloatVector.fromArray(S, y, yo + i))
                    .intoArray(dx, dxo + i);
        }
        for (; i < n; i++) {
            dx[dxo + i] = y[yo + i] * (dy[dyo + i] - dot);
        }
    }

    /** dx = dy − exp(y)·sum. */
    private static void logSoftmaxGradient(float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo, int n,
                                           float sum) {
        FloatVector negativeSum = FloatVector.broadcast(S, -sum);
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector softmax = FloatVector.fromArray(S, y, yo + i).lanewise(VectorOperators.EXP);
            softmax.fma(negativeSum, FloatVector.fromArray(S, dy, dyo + i)).intoArray(dx, dxo + i);
        }
        for (; i < n; i++) {
            dx[dxo + i] = Math.fma((float) Math.exp(y[yo + i]), -sum, dy[dyo + i]);
        }
    }

    /** dx = scale·exp(x − shift). */
    private static void scaledExp(float[] x, int xo, float[] dx, int dxo, int n, float shift, float scale) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector.fromArray(S, x, xo + i).sub(shift).lanewise(VectorOperators.EXP).mul(scale)
                    .intoArray(dx, dxo + i);
        }
        for (; i < n; i++) {
            dx[dxo + i] = scale * (float) Math.exp(x[xo + i] - shift);
        }
    }
}
