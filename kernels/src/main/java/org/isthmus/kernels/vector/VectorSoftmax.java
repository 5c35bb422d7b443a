package org.isthmus.kernels.vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.isthmus.kernels.SoftmaxKernels;

/**
 * The softmax family with the Vector API, one row at a time. A row is read from memory once,
 * during the exp pass over the row before it (which takes its max), and its own passes (exp and
 * sum, then normalize) find it in L1 (a 1024-float row is 4 KiB); y is written once.
 * The forward passes take exp from {@link VectorExp} (a polynomial, half the cost of
 * {@code VectorOperators.EXP}; their arguments x − max are ≤ 0); the backward passes, which see
 * positive arguments, keep the stub. NaN, −∞ and all-−∞ rows behave as in
 * {@code ScalarSoftmax}, and exp(−∞) = 0. The running max inside the exp loops skips NaN
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
     * From this row length on, logSoftmax writes row r − 1 inside row r's exp loop (1.2× at 1024
     * columns); below it the longer loop's per-row cost outweighs the overlap (0.92× at 128, level at
     * 256; bench/NOTES.md, "Session 17").
     */
    private static final int SHIFT_IN_EXP_LOOP_MIN_COLUMNS = 256;

    @Override
    public void softmax(MemorySegment x, MemorySegment y, int rows, int cols) {
        Operand in = Operand.of(x);
        Operand out = Operand.of(y);
        RowWork.forRows(rows, cols, (part, from, to) -> {
            // Slots 0, 1: rows r and r + 1 of x; 2, 3: the exponentials of rows r − 1 and r, alternating;
            // 4: the output row.
            float[] scratch = RowWork.partScratch(5 * cols);
            float[] xs = RowWork.arrayOf(in, scratch);
            float[] ys = RowWork.arrayOf(out, scratch);
            int xo = RowWork.stageIn(in, (long) from * cols, cols, scratch, 0);
            float max = max(xs, xo, cols);
            int expSlot = 2 * cols;
            // The first row has no row before it: it "scales" its own exponentials by 1 onto themselves,
            // so that one loop serves every row (a second loop inlined here made C2 give up and box vectors).
            int previousExps = expSlot;
            float previousFactor = 1;
            for (int r = from; r < to; r++) {
                long index = (long) r * cols;
                int next = nextRow(in, r, to, cols, scratch, xo);
                boolean first = r == from;
                float[] destination = first ? scratch : ys;
                int yo = first ? expSlot : RowWork.outputOffset(out, index - cols, cols, 4);
                long sumAndNextMax = storeExpNextMaxAndScale(xs, xo, scratch, expSlot, cols, max, next, previousExps,
                        previousFactor, destination, yo);
                if (!first) {
                    RowWork.stageOut(out, index - cols, cols, scratch, 4);
                }
                previousExps = expSlot;
                previousFactor = 1f / RowWork.high(sumAndNextMax);
                expSlot = 5 * cols - expSlot;
                xo = next;
                max = RowWork.low(sumAndNextMax);
            }
            long lastIndex = (long) (to - 1) * cols;
            int yo = RowWork.outputOffset(out, lastIndex, cols, 4);
            scale(scratch, previousExps, ys, yo, cols, previousFactor);
            RowWork.stageOut(out, lastIndex, cols, scratch, 4);
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

    /** Rows [from, to) of logSoftmax, each row's output written by its own pass after its exp pass. */
    private static void logSoftmaxShiftingAfter(Operand in, Operand out, int from, int to, int cols) {
        // Slots 0, 1: rows r and r + 1 of x; 2: the output row.
        float[] scratch = RowWork.partScratch(3 * cols);
        float[] xs = RowWork.arrayOf(in, scratch);
        float[] ys = RowWork.arrayOf(out, scratch);
        int xo = RowWork.stageIn(in, (long) from * cols, cols, scratch, 0);
        float max = max(xs, xo, cols);
        for (int r = from; r < to; r++) {
            long index = (long) r * cols;
            int next = nextRow(in, r, to, cols, scratch, xo);
            int yo = RowWork.outputOffset(out, index, cols, 2);
            long sumAndNextMax = sumExpAndNextMax(xs, xo, cols, max, next);
            // (x − max) − log Σ, not x − (max + log Σ): near the max, y is small and keeps its digits.
            shiftTwice(xs, xo, ys, yo, cols, max, (float) Math.log(RowWork.high(sumAndNextMax)));
            RowWork.stageOut(out, index, cols, scratch, 2);
            xo = next;
            max = RowWork.low(sumAndNextMax);
        }
    }

    /** Rows [from, to) of logSoftmax, row r − 1's output written inside row r's exp pass. */
    private static void logSoftmaxShiftingInExpLoop(Operand in, Operand out, int from, int to, int cols) {
        // Slots 0–2: rows r − 1, r and r + 1 of x (rotating); 3: the output row r − 1.
        float[] scratch = RowWork.partScratch(4 * cols);
        float[] xs = RowWork.arrayOf(in, scratch);
        float[] ys = RowWork.arrayOf(out, scratch);
        int slot = 0;
        int xo = RowWork.stageIn(in, (long) from * cols, cols, scratch, slot);
        float max = max(xs, xo, cols);
        // The first row has no row before it: it "shifts" itself by 0 into its own output, which the
        // next step overwrites, so that one loop serves every row.
        int previous = xo;
        float previousMax = 0;
        float previousLogSum = 0;
        for (int r = from; r < to; r++) {
            long index = (long) r * cols;
            slot = (slot + 1) % 3;
            int next = RowWork.nextRow(in, r, to, cols, scratch, slot, xo);
            int yo = RowWork.outputOffset(out, r > from ? index - cols : index, cols, 3);
            long sumAndNextMax = sumExpNextMaxAndShift(xs, xo, cols, max, next, previous, ys, yo,
                    previousMax, previousLogSum);
            if (r > from) {
                RowWork.stageOut(out, index - cols, cols, scratch, 3);
            }
            previous = xo;
            previousMax = max;
            previousLogSum = (float) Math.log(RowWork.high(sumAndNextMax));
            xo = next;
            max = RowWork.low(sumAndNextMax);
        }
        long lastIndex = (long) (to - 1) * cols;
        int yo = RowWork.outputOffset(out, lastIndex, cols, 3);
        shiftTwice(xs, previous, ys, yo, cols, previousMax, previousLogSum);
        RowWork.stageOut(out, lastIndex, cols, scratch, 3);
    }

    @Override
    public void logSumExp(MemorySegment x, MemorySegment y, int rows, int cols) {
        Operand in = Operand.of(x);
        RowWork.forRows(rows, cols, (part, from, to) -> {
            float[] scratch = RowWork.partScratch(2 * cols);
            float[] xs = RowWork.arrayOf(in, scratch);
            int xo = RowWork.stageIn(in, (long) from * cols, cols, scratch, 0);
            float max = max(xs, xo, cols);
            for (int r = from; r < to; r++) {
                int next = nextRow(in, r, to, cols, scratch, xo);
                long sumAndNextMax = sumExpAndNextMax(xs, xo, cols, max, next);
                // An infinite max is the answer, as in ScalarSoftmax: −∞ for a row masked entirely. The
                // running max skips NaN (see sumExpAndNextMax), so such a row is searched for one.
                float lse = !Float.isInfinite(max) ? max + (float) Math.log(RowWork.high(sumAndNextMax))
                        : containsNaN(xs, xo, cols) ? Float.NaN : max;
                y.setAtIndex(FLOAT, r, lse);
                xo = next;
                max = RowWork.low(sumAndNextMax);
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

    /*
     * Software pipelining: the exp pass over row r also takes the max of row r + 1, so that row
     * r + 1 streams in from memory while the core is busy with row r's exponentials; then row
     * r + 1's own passes find it in L1. Without it, each row's memory time and compute time add up.
     */

    /** {@link RowWork#nextRow} in the scratch slot (0 or 1) that row r does not occupy. */
    private static int nextRow(Operand in, int r, int to, int cols, float[] scratch, int current) {
        return RowWork.nextRow(in, r, to, cols, scratch, current == 0 ? 1 : 0, current);
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

    /**
     * storeExpAndNextMax over rows r (at xo, into the exponentials at eo) and r + 1 (at next), and
     * the output row r − 1 (at yo), its exponentials (at previous) times factor, in one loop: the
     * loads of row r + 1, which come from memory, are spread over all of the core's work on the
     * three rows. The exponentials stay in L1 scratch, so y is written once, at the speed of a
     * streaming store (writing them into y and scaling them there wrote each line twice:
     * bench/NOTES.md, "Session 25").
     */
    private static long storeExpNextMaxAndScale(float[] x, int xo, float[] exps, int eo, int n, float shift, int next,
                                                int previous, float factor, float[] y, int yo) {
        FloatVector s0 = FloatVector.zero(S);
        FloatVector m0 = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector e0 = VectorExp.exp(FloatVector.fromArray(S, x, xo + i).sub(shift));
            e0.intoArray(exps, eo + i);
            s0 = s0.add(e0);
            FloatVector candidate = FloatVector.fromArray(S, x, next + i);
            m0 = m0.blend(candidate, candidate.compare(VectorOperators.GT, m0));
            FloatVector.fromArray(S, exps, previous + i).mul(factor).intoArray(y, yo + i);
        }
        float sum = ArrayMath.sumLanes(s0);
        float nextMax = m0.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            float e = (float) Math.exp(x[xo + i] - shift);
            exps[eo + i] = e;
            sum += e;
            nextMax = Math.max(nextMax, x[next + i]);
            y[yo + i] = exps[previous + i] * factor;
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

    /**
     * sumExpAndNextMax over rows r (at xo) and r + 1 (at next), and y = (x − first) − second for row
     * r − 1 (at previous) in one loop: row r − 1's stores overlap row r's exponentials.
     */
    private static long sumExpNextMaxAndShift(float[] x, int xo, int n, float shift, int next, int previous,
                                              float[] y, int yo, float first, float second) {
        FloatVector s0 = FloatVector.zero(S);
        FloatVector m0 = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i <= n - V; i += V) {
            s0 = s0.add(VectorExp.exp(FloatVector.fromArray(S, x, xo + i).sub(shift)));
            FloatVector candidate = FloatVector.fromArray(S, x, next + i);
            m0 = m0.blend(candidate, candidate.compare(VectorOperators.GT, m0));
            FloatVector.fromArray(S, x, previous + i).sub(first).sub(second).intoArray(y, yo + i);
        }
        float sum = ArrayMath.sumLanes(s0);
        float nextMax = m0.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            sum += (float) Math.exp(x[xo + i] - shift);
            nextMax = Math.max(nextMax, x[next + i]);
            y[yo + i] = (x[previous + i] - first) - second;
        }
        return RowWork.pack(sum, nextMax);
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
