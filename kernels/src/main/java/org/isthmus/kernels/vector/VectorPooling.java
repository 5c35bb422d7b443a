package org.isthmus.kernels.vector;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import org.isthmus.kernels.Parallelism;
import org.isthmus.kernels.Pool2dShape;
import org.isthmus.kernels.PoolingKernels;
import org.isthmus.kernels.vector.Staging.Window;

/**
 * 2-D pooling, one (batch, channel) plane at a time on float[] ({@link Staging} stages a native
 * plane whole), planes split over the library pool. The forward passes reduce each window's rows
 * with SIMD along the input row (contiguous), then its columns with a short scalar loop: with
 * stride 2 the outputs of a row read every other column; for the usual 2-wide, stride-2, unpadded
 * window a two-vector rearrange splits even and odd columns (measured 0.4 ns an output on AVX2,
 * no allocation) and the second step is SIMD too. The backward passes scatter, scalar.
 * Semantics as in the reference: padding never wins a max and adds zeros to an average
 * (count_include_pad), ties go to the first element in window order, a NaN wins (the first one).
 */
final class VectorPooling implements PoolingKernels {

    private static final VectorSpecies<Float> S = Species.FLOAT;
    private static final VectorSpecies<Integer> I = S.withLanes(int.class);
    private static final int V = S.length();
    /** Lanes 0, 2, 4, … of two vectors side by side: the second vector's lanes are exceptional (negative) indices. */
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(S, i -> 2 * i);
    private static final VectorShuffle<Float> ODD = VectorShuffle.fromOp(S, i -> 2 * i + 1);
    private static final VectorShuffle<Integer> EVEN_INT = VectorShuffle.fromOp(I, i -> 2 * i);
    private static final VectorShuffle<Integer> ODD_INT = VectorShuffle.fromOp(I, i -> 2 * i + 1);
    private static final int[] EVEN_LANES = evenLanes();

    @Override
    public void maxPool2d(Pool2dShape shape, MemorySegment x, MemorySegment y, MemorySegment argmax) {
        Operand xs = Operand.of(x);
        Operand ys = Operand.of(y);
        int inPlane = shape.inHeight() * shape.inWidth();
        int outPlane = shape.outHeight() * shape.outWidth();
        forEachPlane(shape, (staging, plane) -> {
            Window in = staging.window(0).read(xs, plane * inPlane, inPlane);
            Window out = staging.window(1).write(ys, plane * outPlane, outPlane);
            int[] index = staging.ints(0, outPlane);
            maxPlane(shape, in.array, in.offset, out.array, out.offset, index, staging.window(2).zeros(shape.inWidth()).array,
                    staging.ints(1, shape.inWidth()));
            out.flush();
            Staging.storeInts(index, argmax, plane * outPlane, outPlane);
        }, x, y, argmax);
    }

    @Override
    public void maxPool2dBackward(Pool2dShape shape, MemorySegment dy, MemorySegment argmax, MemorySegment dx) {
        Operand dys = Operand.of(dy);
        Operand dxs = Operand.of(dx);
        int inPlane = shape.inHeight() * shape.inWidth();
        int outPlane = shape.outHeight() * shape.outWidth();
        forEachPlane(shape, (staging, plane) -> {
            Window grad = staging.window(0).read(dys, plane * outPlane, outPlane);
            int[] index = staging.ints(0, outPlane);
            Staging.loadInts(argmax, plane * outPlane, index, outPlane);
            Window out = staging.window(1).write(dxs, plane * inPlane, inPlane);
            float[] g = grad.array;
            float[] d = out.array;
            int go = grad.offset;
            int dOffset = out.offset;
            Arrays.fill(d, dOffset, dOffset + inPlane, 0f);
            for (int o = 0; o < outPlane; o++) {
                d[dOffset + index[o]] += g[go + o];
            }
            out.flush();
        }, dy, argmax, dx);
    }

    @Override
    public void avgPool2d(Pool2dShape shape, MemorySegment x, MemorySegment y) {
        Operand xs = Operand.of(x);
        Operand ys = Operand.of(y);
        int inPlane = shape.inHeight() * shape.inWidth();
        int outPlane = shape.outHeight() * shape.outWidth();
        forEachPlane(shape, (staging, plane) -> {
            Window in = staging.window(0).read(xs, plane * inPlane, inPlane);
            Window out = staging.window(1).write(ys, plane * outPlane, outPlane);
            averagePlane(shape, in.array, in.offset, out.array, out.offset, staging.window(2).zeros(shape.inWidth()).array);
            out.flush();
        }, x, y);
    }

    @Override
    public void avgPool2dBackward(Pool2dShape shape, MemorySegment dy, MemorySegment dx) {
        Operand dys = Operand.of(dy);
        Operand dxs = Operand.of(dx);
        int inPlane = shape.inHeight() * shape.inWidth();
        int outPlane = shape.outHeight() * shape.outWidth();
        forEachPlane(shape, (staging, plane) -> {
            Window grad = staging.window(0).read(dys, plane * outPlane, outPlane);
            Window out = staging.window(1).write(dxs, plane * inPlane, inPlane);
            Arrays.fill(out.array, out.offset, out.offset + inPlane, 0f);
            averagePlaneBackward(shape, grad.array, grad.offset, out.array, out.offset);
            out.flush();
        }, dy, dx);
    }

    /**
     * Per output row, in two steps: the max over the window's rows of every input column, with its
     * row (SIMD along the row, {@link ArrayMath#updateMax}); then, per output, the max over the
     * window's columns of those. Ties go to the smaller flat index h·width + w, which is the first
     * in row-major window order.
     */
    private static void maxPlane(Pool2dShape shape, float[] x, int xo, float[] y, int yo, int[] argmax,
                                 float[] columnMax, int[] columnRow) {
        int width = shape.inWidth();
        int outWidth = shape.outWidth();
        for (int oh = 0; oh < shape.outHeight(); oh++) {
            int h0 = oh * shape.strideH() - shape.padH();
            int hFrom = Math.max(h0, 0);
            int hTo = Math.min(h0 + shape.kernelHeight(), shape.inHeight());
            System.arraycopy(x, xo + hFrom * width, columnMax, 0, width);
            Arrays.fill(columnRow, 0, width, hFrom);
            for (int h = hFrom + 1; h < hTo; h++) {
                ArrayMath.updateMax(columnMax, columnRow, x, xo + h * width, h, width);
            }
            int rowStart = oh * outWidth;
            int ow = pairs(shape) ? maxOfColumnPairs(columnMax, columnRow, width, y, yo + rowStart, argmax, rowStart,
                    outWidth) : 0;
            for (; ow < outWidth; ow++) {
                int w0 = ow * shape.strideW() - shape.padW();
                int wFrom = Math.max(w0, 0);
                int wTo = Math.min(w0 + shape.kernelWidth(), width);
                float best = columnMax[wFrom];
                int bestIndex = columnRow[wFrom] * width + wFrom;
                for (int w = wFrom + 1; w < wTo; w++) {
                    float value = columnMax[w];
                    int index = columnRow[w] * width + w;
                    boolean wins = value > best
                            || value != value && (best == best || index < bestIndex)
                            || value == best && index < bestIndex;
                    if (wins) {
                        best = value;
                        bestIndex = index;
                    }
                }
                y[yo + oh * outWidth + ow] = best;
                argmax[oh * outWidth + ow] = bestIndex;
            }
        }
    }

    /** As {@link #maxPlane}: column sums over the window's rows (SIMD), then sums over its columns. */
    private static void averagePlane(Pool2dShape shape, float[] x, int xo, float[] y, int yo, float[] columnSum) {
        int width = shape.inWidth();
        int outWidth = shape.outWidth();
        float window = (float) shape.kernelHeight() * shape.kernelWidth();
        for (int oh = 0; oh < shape.outHeight(); oh++) {
            int h0 = oh * shape.strideH() - shape.padH();
            int hFrom = Math.max(h0, 0);
            int hTo = Math.min(h0 + shape.kernelHeight(), shape.inHeight());
            System.arraycopy(x, xo + hFrom * width, columnSum, 0, width);
            for (int h = hFrom + 1; h < hTo; h++) {
                ArrayMath.accumulate(columnSum, 0, x, xo + h * width, width);
            }
            int ow = pairs(shape) ? sumOfColumnPairs(columnSum, 1f / window, y, yo + oh * outWidth, outWidth) : 0;
            for (; ow < outWidth; ow++) {
                int w0 = ow * shape.strideW() - shape.padW();
                int wFrom = Math.max(w0, 0);
                int wTo = Math.min(w0 + shape.kernelWidth(), width);
                float sum = 0f;
                for (int w = wFrom; w < wTo; w++) {
                    sum += columnSum[w];
                }
                y[yo + oh * outWidth + ow] = sum / window;
            }
        }
    }

    /** Whether each output's columns are one unpadded pair (2w, 2w + 1): the SIMD path of the second step. */
    private static boolean pairs(Pool2dShape shape) {
        return shape.kernelWidth() == 2 && shape.strideW() == 2 && shape.padW() == 0;
    }

    /**
     * y[ow] = max(columnMax[2ow], columnMax[2ow + 1]) with its flat index (the smaller on ties, the
     * first NaN), a vector of outputs at a time: two loads and two two-vector rearranges split even
     * and odd columns. The last vector overlaps the one before (outputs are written, not
     * accumulated) rather than leave a branchy scalar tail. Returns how many outputs it wrote: all,
     * or none for a row narrower than a vector.
     */
    private static int maxOfColumnPairs(float[] columnMax, int[] columnRow, int width, float[] y, int yo,
                                        int[] argmax, int ao, int outWidth) {
        if (outWidth < V) {
            return 0;
        }
        IntVector evenLanes = IntVector.fromArray(I, EVEN_LANES, 0);
        for (int start = 0; start < outWidth; start += V) {
            int ow = Math.min(start, outWidth - V);
            FloatVector lo = FloatVector.fromArray(S, columnMax, 2 * ow);
            FloatVector hi = FloatVector.fromArray(S, columnMax, 2 * ow + V);
            FloatVector even = lo.rearrange(EVEN, hi);
            FloatVector odd = lo.rearrange(ODD, hi);
            IntVector rowsLo = IntVector.fromArray(I, columnRow, 2 * ow);
            IntVector rowsHi = IntVector.fromArray(I, columnRow, 2 * ow + V);
            IntVector evenIndex = rowsLo.rearrange(EVEN_INT, rowsHi).mul(width).add(evenLanes).add(2 * ow);
            IntVector oddIndex = rowsLo.rearrange(ODD_INT, rowsHi).mul(width).add(evenLanes).add(2 * ow + 1);
            VectorMask<Float> oddFirst = oddIndex.compare(VectorOperators.LT, evenIndex).cast(S);
            VectorMask<Float> evenNaN = even.test(VectorOperators.IS_NAN);
            VectorMask<Float> oddWins = odd.compare(VectorOperators.GT, even)
                    .or(odd.test(VectorOperators.IS_NAN).and(evenNaN.not().or(oddFirst)))
                    .or(odd.compare(VectorOperators.EQ, even).and(oddFirst));
            even.blend(odd, oddWins).intoArray(y, yo + ow);
            evenIndex.blend(oddIndex, oddWins.cast(I)).intoArray(argmax, ao + ow);
        }
        return outWidth;
    }

    /** y[ow] = (columnSum[2ow] + columnSum[2ow + 1])·scale, as {@link #maxOfColumnPairs}; returns how many. */
    private static int sumOfColumnPairs(float[] columnSum, float scale, float[] y, int yo, int outWidth) {
        if (outWidth < V) {
            return 0;
        }
        for (int start = 0; start < outWidth; start += V) {
            int ow = Math.min(start, outWidth - V);
            FloatVector lo = FloatVector.fromArray(S, columnSum, 2 * ow);
            FloatVector hi = FloatVector.fromArray(S, columnSum, 2 * ow + V);
            lo.rearrange(EVEN, hi).add(lo.rearrange(ODD, hi)).mul(scale).intoArray(y, yo + ow);
        }
        return outWidth;
    }

    private static void averagePlaneBackward(Pool2dShape shape, float[] dy, int go, float[] dx, int dxo) {
        int width = shape.inWidth();
        int outWidth = shape.outWidth();
        float window = (float) shape.kernelHeight() * shape.kernelWidth();
        for (int oh = 0; oh < shape.outHeight(); oh++) {
            int h0 = oh * shape.strideH() - shape.padH();
            int hFrom = Math.max(h0, 0);
            int hTo = Math.min(h0 + shape.kernelHeight(), shape.inHeight());
            for (int ow = 0; ow < outWidth; ow++) {
                int w0 = ow * shape.strideW() - shape.padW();
                int wFrom = Math.max(w0, 0);
                int wTo = Math.min(w0 + shape.kernelWidth(), width);
                float share = dy[go + oh * outWidth + ow] / window;
                for (int h = hFrom; h < hTo; h++) {
                    for (int at = h * width + wFrom; at < h * width + wTo; at++) {
                        dx[dxo + at] += share;
                    }
                }
            }
        }
    }

    private static int[] evenLanes() {
        int[] lanes = new int[V];
        for (int i = 0; i < V; i++) {
            lanes[i] = 2 * i;
        }
        return lanes;
    }

    private interface PlaneKernel {
        void run(Staging staging, long plane);
    }

    /** kernel(plane) for every (batch, channel) plane, planes split over parts when the input is large. */
    private static void forEachPlane(Pool2dShape shape, PlaneKernel kernel, MemorySegment... segments) {
        long planes = (long) shape.batch() * shape.channels();
        int parts = (int) Math.min(planes, Staging.parts(shape.inputSize() + shape.outputSize(), segments));
        Parallelism.run(parts, part -> {
            Staging staging = Staging.current();
            long last = Staging.partStart(part + 1, parts, planes);
            for (long plane = Staging.partStart(part, parts, planes); plane < last; plane++) {
                kernel.run(staging, plane);
            }
        });
    }
}
