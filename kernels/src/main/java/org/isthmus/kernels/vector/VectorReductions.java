package org.isthmus.kernels.vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.isthmus.kernels.Parallelism;
import org.isthmus.kernels.ReductionKernels;
import org.isthmus.kernels.vector.Staging.Window;

/**
 * Reductions over the middle dimension of outer×size×inner, SIMD along the contiguous dimension:
 * <ul>
 * <li>inner = 1 (the last dimension): each output reduces a contiguous run of {@code size}
 *     floats, with several vector accumulators ({@link ArrayMath#sum}); parts take rows.
 * <li>inner > 1: each output row is a sum of {@code size} rows of {@code inner} floats; a chunk
 *     of at most {@link Staging#CHUNK} columns is accumulated in an L1-resident float[] while
 *     the rows stream past, so x is read once, in order. Parts take (outer, column chunk) items.
 * </ul>
 * Sums are float (four accumulators of eight lanes: 32 partial sums), not double: the tests
 * bound the difference from the double reference.
 */
final class VectorReductions implements ReductionKernels {

    private static final VectorSpecies<Float> S = Species.FLOAT;
    private static final VectorSpecies<Integer> I = S.withLanes(int.class);
    private static final int V = S.length();
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;

    @Override
    public void sum(MemorySegment x, MemorySegment y, int outer, int size, int inner) {
        sumDividedBy(x, y, outer, size, inner, 1f);
    }

    @Override
    public void mean(MemorySegment x, MemorySegment y, int outer, int size, int inner) {
        sumDividedBy(x, y, outer, size, inner, size);
    }

    /** The first index of the maximum; a NaN beats every number, so the first NaN when there is one. */
    @Override
    public void max(MemorySegment x, MemorySegment y, MemorySegment indices, int outer, int size, int inner) {
        Operand xs = Operand.of(x);
        Operand ys = Operand.of(y);
        if (inner == 1) {
            forEachRow(outer, size, (staging, o) -> {
                long start = (long) o * size;
                int index = firstIndexOf(staging, xs, start, size, runMax(staging, xs, start, size));
                y.setAtIndex(FLOAT, o, x.getAtIndex(FLOAT, start + index));
                if (indices != null) {
                    indices.setAtIndex(INT, o, index);
                }
            }, x, y, indices);
            return;
        }
        forEachColumnChunk(outer, size, inner, (staging, o, column, length) -> {
            Window best = staging.window(0).zeros(length);
            int[] bestIndex = staging.ints(length);
            Window first = staging.window(1).read(xs, at(o, 0, column, size, inner), length);
            System.arraycopy(first.array, first.offset, best.array, 0, length);
            Arrays.fill(bestIndex, 0, length, 0);
            for (int s = 1; s < size; s++) {
                Window row = staging.window(1).read(xs, at(o, s, column, size, inner), length);
                updateMax(best.array, bestIndex, row.array, row.offset, s, length);
            }
            Window out = staging.window(2).write(ys, (long) o * inner + column, length);
            System.arraycopy(best.array, 0, out.array, out.offset, length);
            out.flush();
            if (indices != null) {
                Staging.storeInts(bestIndex, indices, (long) o * inner + column, length);
            }
        }, x, y, indices);
    }

    @Override
    public void variance(MemorySegment x, MemorySegment y, int outer, int size, int inner, int correction) {
        Operand xs = Operand.of(x);
        Operand ys = Operand.of(y);
        float divisor = size - correction;
        if (inner == 1) {
            forEachRow(outer, size, (staging, o) -> {
                long start = (long) o * size;
                float mean = runSum(staging, xs, start, size) / size;
                y.setAtIndex(FLOAT, o, runSquaredDeviation(staging, xs, start, size, mean) / divisor);
            }, x, y);
            return;
        }
        forEachColumnChunk(outer, size, inner, (staging, o, column, length) -> {
            Window mean = columnMean(staging, xs, o, column, length, size, inner);
            Window squares = staging.window(2).zeros(length);
            for (int s = 0; s < size; s++) {
                Window row = staging.window(1).read(xs, at(o, s, column, size, inner), length);
                ArrayMath.accumulateSquaredDeviation(squares.array, 0, row.array, row.offset, mean.array, 0, length);
            }
            Window out = staging.window(3).write(ys, (long) o * inner + column, length);
            ArrayMath.map(VectorOperators.DIV, squares.array, 0, divisor, out.array, out.offset, length);
            out.flush();
        }, x, y);
    }

    @Override
    public void expand(MemorySegment dy, MemorySegment dx, int outer, int size, int inner, float scale) {
        Operand dys = Operand.of(dy);
        Operand dxs = Operand.of(dx);
        if (inner == 1) {
            int chunk = Staging.chunk(dxs);
            forEachRow(outer, size, (staging, o) -> {
                float value = scale * dy.getAtIndex(FLOAT, o);
                long end = (long) (o + 1) * size;
                for (long start = (long) o * size; start < end; start += chunk) {
                    int length = (int) Math.min(chunk, end - start);
                    Window out = staging.window(0).write(dxs, start, length);
                    ArrayMath.fill(out.array, out.offset, value, length);
                    out.flush();
                }
            }, dy, dx);
            return;
        }
        forEachColumnChunk(outer, size, inner, (staging, o, column, length) -> {
            Window grad = staging.window(0).read(dys, (long) o * inner + column, length);
            Window scaled = staging.window(1).zeros(length);
            ArrayMath.map(VectorOperators.MUL, grad.array, grad.offset, scale, scaled.array, 0, length);
            for (int s = 0; s < size; s++) {
                Window out = staging.window(2).write(dxs, at(o, s, column, size, inner), length);
                System.arraycopy(scaled.array, 0, out.array, out.offset, length);
                out.flush();
            }
        }, dy, dx);
    }

    /** Zeros, then one store per output: no arithmetic to vectorize. */
    @Override
    public void maxBackward(MemorySegment dy, MemorySegment indices, MemorySegment dx, int outer, int size,
                            int inner) {
        dx.asSlice(0, (long) outer * size * inner * Float.BYTES).fill((byte) 0);
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                long out = (long) o * inner + i;
                dx.setAtIndex(FLOAT, at(o, indices.getAtIndex(INT, out), i, size, inner), dy.getAtIndex(FLOAT, out));
            }
        }
    }

    @Override
    public void varianceBackward(MemorySegment x, MemorySegment dy, MemorySegment dx, int outer, int size, int inner,
                                 int correction) {
        Operand xs = Operand.of(x);
        Operand dys = Operand.of(dy);
        Operand dxs = Operand.of(dx);
        float twoOverDivisor = 2f / (size - correction);
        if (inner == 1) {
            int chunk = Staging.chunk(xs, dxs);
            forEachRow(outer, size, (staging, o) -> {
                long start = (long) o * size;
                float mean = runSum(staging, xs, start, size) / size;
                float factor = dy.getAtIndex(FLOAT, o) * twoOverDivisor;
                for (long at = start; at < start + size; at += chunk) {
                    int length = (int) Math.min(chunk, start + size - at);
                    Window in = staging.window(0).read(xs, at, length);
                    Window out = staging.window(1).write(dxs, at, length);
                    ArrayMath.affine(in.array, in.offset, factor, -mean * factor, out.array, out.offset, length);
                    out.flush();
                }
            }, x, dy, dx);
            return;
        }
        forEachColumnChunk(outer, size, inner, (staging, o, column, length) -> {
            Window mean = columnMean(staging, xs, o, column, length, size, inner);
            Window grad = staging.window(2).read(dys, (long) o * inner + column, length);
            Window factor = staging.window(3).zeros(length);
            ArrayMath.map(VectorOperators.MUL, grad.array, grad.offset, twoOverDivisor, factor.array, 0, length);
            for (int s = 0; s < size; s++) {
                long start = at(o, s, column, size, inner);
                Window row = staging.window(1).read(xs, start, length);
                Window out = staging.window(4).write(dxs, start, length);
                ArrayMath.scaledDeviation(row.array, row.offset, mean.array, 0, factor.array, 0, out.array, out.offset,
                        length);
                out.flush();
            }
        }, x, dy, dx);
    }

    private static void sumDividedBy(MemorySegment x, MemorySegment y, int outer, int size, int inner, float divisor) {
        Operand xs = Operand.of(x);
        Operand ys = Operand.of(y);
        if (inner == 1) {
            forEachRow(outer, size, (staging, o) -> y.setAtIndex(FLOAT, o, runSum(staging, xs, (long) o * size, size)
                    / divisor), x, y);
            return;
        }
        forEachColumnChunk(outer, size, inner, (staging, o, column, length) -> {
            Window sum = columnSum(staging, xs, o, column, length, size, inner);
            Window out = staging.window(2).write(ys, (long) o * inner + column, length);
            ArrayMath.map(VectorOperators.DIV, sum.array, 0, divisor, out.array, out.offset, length);
            out.flush();
        }, x, y);
    }

    /** In window 0: Σ_s x[o, s, column …], reading rows through window 1. */
    private static Window columnSum(Staging staging, Operand x, int o, int column, int length, int size, int inner) {
        Window sum = staging.window(0).zeros(length);
        for (int s = 0; s < size; s++) {
            Window row = staging.window(1).read(x, at(o, s, column, size, inner), length);
            ArrayMath.accumulate(sum.array, 0, row.array, row.offset, length);
        }
        return sum;
    }

    /** In window 0: the mean over s of x[o, s, column …]. */
    private static Window columnMean(Staging staging, Operand x, int o, int column, int length, int size, int inner) {
        Window mean = columnSum(staging, x, o, column, length, size, inner);
        ArrayMath.map(VectorOperators.DIV, mean.array, 0, (float) size, mean.array, 0, length);
        return mean;
    }

    /** Where a running max meets row s: best, bestIndex take x where x > best or x is the first NaN. */
    private static void updateMax(float[] best, int[] bestIndex, float[] x, int xo, int s, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector b = FloatVector.fromArray(S, best, i);
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            VectorMask<Float> better = v.compare(VectorOperators.GT, b)
                    .or(v.test(VectorOperators.IS_NAN).andNot(b.test(VectorOperators.IS_NAN)));
            b.blend(v, better).intoArray(best, i);
            IntVector.fromArray(I, bestIndex, i).blend(s, better.cast(I)).intoArray(bestIndex, i);
        }
        for (; i < n; i++) {
            float v = x[xo + i];
            if (v > best[i] || Float.isNaN(v) && !Float.isNaN(best[i])) {
                best[i] = v;
                bestIndex[i] = s;
            }
        }
    }

    private static float runSum(Staging staging, Operand x, long start, int length) {
        int chunk = Staging.chunk(x);
        float sum = 0f;
        for (long at = start; at < start + length; at += chunk) {
            int n = (int) Math.min(chunk, start + length - at);
            Window in = staging.window(0).read(x, at, n);
            sum += ArrayMath.sum(in.array, in.offset, n);
        }
        return sum;
    }

    private static float runSquaredDeviation(Staging staging, Operand x, long start, int length, float mean) {
        int chunk = Staging.chunk(x);
        float sum = 0f;
        for (long at = start; at < start + length; at += chunk) {
            int n = (int) Math.min(chunk, start + length - at);
            Window in = staging.window(0).read(x, at, n);
            sum += ArrayMath.squaredDeviation(in.array, in.offset, n, mean);
        }
        return sum;
    }

    private static float runMax(Staging staging, Operand x, long start, int length) {
        int chunk = Staging.chunk(x);
        float max = Float.NEGATIVE_INFINITY;
        for (long at = start; at < start + length; at += chunk) {
            int n = (int) Math.min(chunk, start + length - at);
            Window in = staging.window(0).read(x, at, n);
            max = Math.max(max, ArrayMath.max(in.array, in.offset, n));
        }
        return max;
    }

    /** The first index in the run holding value (a NaN for NaN); the run holds it, as runMax found it there. */
    private static int firstIndexOf(Staging staging, Operand x, long start, int length, float value) {
        int chunk = Staging.chunk(x);
        for (long at = start; at < start + length; at += chunk) {
            int n = (int) Math.min(chunk, start + length - at);
            Window in = staging.window(0).read(x, at, n);
            int index = ArrayMath.indexOf(in.array, in.offset, n, value);
            if (index >= 0) {
                return (int) (at - start) + index;
            }
        }
        throw new IllegalStateException("the maximum " + value + " is not in its run");
    }

    private static long at(int o, int s, int i, int size, int inner) {
        return ((long) o * size + s) * inner + i;
    }

    /** A reduction of one contiguous run, for one output. */
    private interface RowKernel {
        void run(Staging staging, int o);
    }

    /** A reduction of columns [column, column + length) of one outer slice. */
    private interface ColumnKernel {
        void run(Staging staging, int o, int column, int length);
    }

    /** kernel(o) for every o in [0, outer), rows split over parts when the input is large. */
    private static void forEachRow(int outer, int size, RowKernel kernel, MemorySegment... segments) {
        int parts = Math.min(outer, Staging.parts((long) outer * size, segments));
        Parallelism.run(parts, part -> {
            Staging staging = Staging.current();
            int last = (int) Staging.partStart(part + 1, parts, outer);
            for (int o = (int) Staging.partStart(part, parts, outer); o < last; o++) {
                kernel.run(staging, o);
            }
        });
    }

    /** kernel for every (o, column chunk), the items split over parts when the input is large. */
    private static void forEachColumnChunk(int outer, int size, int inner, ColumnKernel kernel,
                                           MemorySegment... segments) {
        int chunks = Math.ceilDiv(inner, Staging.CHUNK);
        long items = (long) outer * chunks;
        int parts = (int) Math.min(items, Staging.parts((long) outer * size * inner, segments));
        Parallelism.run(parts, part -> {
            Staging staging = Staging.current();
            long last = Staging.partStart(part + 1, parts, items);
            for (long item = Staging.partStart(part, parts, items); item < last; item++) {
                int o = (int) (item / chunks);
                int column = (int) (item % chunks) * Staging.CHUNK;
                kernel.run(staging, o, column, Math.min(Staging.CHUNK, inner - column));
            }
        });
    }
}
