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
 * window, two-vector rearranges split each input row into even and odd columns and the whole window
 * is reduced in registers, a vector of outputs at a time. The backward passes scatter, scalar.
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
            maxPlane(shape, in.array, in.offset, out.array, out.offset, index,
                    staging.window(2).zeros(rowScratch(shape)).array, staging.ints(1, Math.max(shape.inWidth(), V)));
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
            averagePlane(shape, in.array, in.offset, out.array, out.offset,
                    staging.window(2).zeros(rowScratch(shape)).array);
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
     * Per output row: all in registers for windows two columns wide at stride 2
     * ({@link #maxOfPairedWindows}); otherwise in two steps, the max over the window's rows of
     * every input column with its row (SIMD along the row, {@link ArrayMath#updateMax}), then per
     * output the max over the window's columns of those. Ties go to the smaller flat index
     * h·width + w, which is the first in row-major window order.
     */
    private static void maxPlane(Pool2dShape shape, float[] x, int xo, float[] y, int yo, int[] argmax,
                                 float[] columnMax, int[] columnRow) {
        int width = shape.inWidth();
        int outWidth = shape.outWidth();
        boolean paired = pairs(shape);
        for (int oh = 0; oh < shape.outHeight(); oh++) {
            int h0 = oh * shape.strideH() - shape.padH();
            int hFrom = Math.max(h0, 0);
            int hTo = Math.min(h0 + shape.kernelHeight(), shape.inHeight());
            if (paired && pairedRowFits(shape, oh, x.length - xo)) {
                maxOfPairedWindows(x, xo, width, hFrom, hTo, y, yo + oh * outWidth, argmax, oh * outWidth, outWidth);
                continue;
            }
            if (paired) {
                // A short row at the plane's end: the same kernel on a copy of its input rows followed
                // by slack, its outputs after that, then the row's outputs copied out.
                int copied = (hTo - hFrom) * width;
                System.arraycopy(x, xo + hFrom * width, columnMax, 0, copied);
                int outputs = copied + 2 * V;
                maxOfPairedWindows(columnMax, -hFrom * width, width, hFrom, hTo, columnMax, outputs, columnRow, 0, outWidth);
                System.arraycopy(columnMax, outputs, y, yo + oh * outWidth, outWidth);
                System.arraycopy(columnRow, 0, argmax, oh * outWidth, outWidth);
                continue;
            }
            System.arraycopy(x, xo + hFrom * width, columnMax, 0, width);
            Arrays.fill(columnRow, 0, width, hFrom);
            for (int h = hFrom + 1; h < hTo; h++) {
                ArrayMath.updateMax(columnMax, columnRow, x, xo + h * width, h, width);
            }
            for (int ow = 0; ow < outWidth; ow++) {
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

    /** As {@link #maxPlane}: in registers for paired columns, else column sums over the rows, then over columns. */
    private static void averagePlane(Pool2dShape shape, float[] x, int xo, float[] y, int yo, float[] columnSum) {
        int width = shape.inWidth();
        int outWidth = shape.outWidth();
        float window = (float) shape.kernelHeight() * shape.kernelWidth();
        boolean paired = pairs(shape);
        for (int oh = 0; oh < shape.outHeight(); oh++) {
            int h0 = oh * shape.strideH() - shape.padH();
            int hFrom = Math.max(h0, 0);
            int hTo = Math.min(h0 + shape.kernelHeight(), shape.inHeight());
            if (paired && pairedRowFits(shape, oh, x.length - xo)) {
                averageOfPairedWindows(x, xo, width, hFrom, hTo, 1f / window, y, yo + oh * outWidth, outWidth);
                continue;
            }
            if (paired) {
                int copied = (hTo - hFrom) * width;
                System.arraycopy(x, xo + hFrom * width, columnSum, 0, copied);
                int outputs = copied + 2 * V;
                averageOfPairedWindows(columnSum, -hFrom * width, width, hFrom, hTo, 1f / window, columnSum, outputs,
                        outWidth);
                System.arraycopy(columnSum, outputs, y, yo + oh * outWidth, outWidth);
                continue;
            }
            System.arraycopy(x, xo + hFrom * width, columnSum, 0, width);
            for (int h = hFrom + 1; h < hTo; h++) {
                ArrayMath.accumulate(columnSum, 0, x, xo + h * width, width);
            }
            for (int ow = 0; ow < outWidth; ow++) {
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

    /**
     * Floats of the per-plane row scratch: a row of column maxima or sums, or (paired windows whose
     * row does not fit, {@link #pairedRowFits}) a window's input rows, two vectors of slack and one of outputs.
     */
    private static int rowScratch(Pool2dShape shape) {
        return Math.max(shape.inWidth(), shape.kernelHeight() * shape.inWidth() + 3 * V);
    }

    /** Whether each output's columns are one unpadded pair (2w, 2w + 1): the all-SIMD path. */
    private static boolean pairs(Pool2dShape shape) {
        return shape.kernelWidth() == 2 && shape.strideW() == 2 && shape.padW() == 0;
    }

    /**
     * Whether output row {@code oh} may take the paired path. A row of at least a vector of outputs
     * always may. A shorter row (the 14 × 14 → 7 × 7 pool of a small CNN) is computed as one full
     * vector: its loads run into the next input rows and its stores into the next output row, which
     * is computed after it and overwrites them. So it may when those reads stay inside the input
     * array and those writes inside this plane's outputs (never another thread's plane); the last
     * rows of a plane run the same kernel on a copy of their input rows ({@link #maxPlane}).
     */
    private static boolean pairedRowFits(Pool2dShape shape, int oh, int inputFromPlane) {
        int outWidth = shape.outWidth();
        if (outWidth >= V) {
            return true;
        }
        int lastRow = Math.min(oh * shape.strideH() + shape.kernelHeight(), shape.inHeight()) - 1;
        return oh * outWidth + V <= shape.outHeight() * outWidth
                && lastRow * shape.inWidth() + 2 * V <= inputFromPlane;
    }

    /**
     * One output row of windows two columns wide at stride 2, a vector of outputs at a time, all in
     * registers: each input row's 2V columns (two vectors) are split into even and odd columns by
     * two-vector rearranges, and the window's elements are then visited in row-major order, each
     * displacing the running max by {@link #displaces}, so that ties stay with the first and the
     * first NaN wins without comparing indices. The last vector overlaps the one before (outputs are
     * written, not accumulated) rather than leave a branchy scalar tail; a row shorter than a vector
     * is one vector that spills into the next row ({@link #pairedRowFits}).
     */
    private static void maxOfPairedWindows(float[] x, int xo, int width, int hFrom, int hTo, float[] y, int yo,
                                           int[] argmax, int ao, int outWidth) {
        IntVector evenLanes = IntVector.fromArray(I, EVEN_LANES, 0);
        for (int start = 0; start < outWidth; start += V) {
            int ow = Math.max(0, Math.min(start, outWidth - V));
            int at = xo + hFrom * width + 2 * ow;
            FloatVector lo = FloatVector.fromArray(S, x, at);
            FloatVector hi = FloatVector.fromArray(S, x, at + V);
            IntVector index = evenLanes.add(hFrom * width + 2 * ow);
            FloatVector best = lo.rearrange(EVEN, hi);
            FloatVector odd = lo.rearrange(ODD, hi);
            VectorMask<Float> wins = displaces(odd, best);
            best = best.blend(odd, wins);
            IntVector bestIndex = index.blend(index.add(1), wins.cast(I));
            for (int h = hFrom + 1; h < hTo; h++) {
                at += width;
                index = index.add(width);
                lo = FloatVector.fromArray(S, x, at);
                hi = FloatVector.fromArray(S, x, at + V);
                FloatVector even = lo.rearrange(EVEN, hi);
                wins = displaces(even, best);
                best = best.blend(even, wins);
                bestIndex = bestIndex.blend(index, wins.cast(I));
                odd = lo.rearrange(ODD, hi);
                wins = displaces(odd, best);
                best = best.blend(odd, wins);
                bestIndex = bestIndex.blend(index.add(1), wins.cast(I));
            }
            best.intoArray(y, yo + ow);
            bestIndex.intoArray(argmax, ao + ow);
        }
    }

    /**
     * Whether a later element displaces the running max: it is larger, or the first NaN. As
     * "best is a number and next is not at most it" this takes two compares and an and-not.
     */
    private static VectorMask<Float> displaces(FloatVector next, FloatVector best) {
        return best.compare(VectorOperators.EQ, best).andNot(next.compare(VectorOperators.LE, best));
    }

    /** As {@link #maxOfPairedWindows}, for averages: rows summed in registers, then column pairs. */
    private static void averageOfPairedWindows(float[] x, int xo, int width, int hFrom, int hTo, float scale,
                                               float[] y, int yo, int outWidth) {
        for (int start = 0; start < outWidth; start += V) {
            int ow = Math.max(0, Math.min(start, outWidth - V));
            int first = xo + hFrom * width + 2 * ow;
            FloatVector lo = FloatVector.fromArray(S, x, first);
            FloatVector hi = FloatVector.fromArray(S, x, first + V);
            for (int h = hFrom + 1; h < hTo; h++) {
                int at = xo + h * width + 2 * ow;
                lo = lo.add(FloatVector.fromArray(S, x, at));
                hi = hi.add(FloatVector.fromArray(S, x, at + V));
            }
            lo.rearrange(EVEN, hi).add(lo.rearrange(ODD, hi)).mul(scale).intoArray(y, yo + ow);
        }
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
