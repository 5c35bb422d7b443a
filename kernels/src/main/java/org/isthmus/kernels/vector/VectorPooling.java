package org.isthmus.kernels.vector;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.isthmus.kernels.Parallelism;
import org.isthmus.kernels.Pool2dShape;
import org.isthmus.kernels.PoolingKernels;
import org.isthmus.kernels.vector.Staging.Window;

/**
 * 2-D pooling, one (batch, channel) plane at a time on float[] ({@link Staging} stages a native
 * plane whole), planes split over the library pool. The window loops are scalar: with stride 2
 * the outputs of one row read every other input, which would need lane shuffles that are not
 * intrinsified everywhere, and a 2×2 window holds too few elements to fill a vector. The work per
 * element is small, so these run near the speed of reading the plane; see bench/NOTES.md.
 * Semantics as in the reference: padding never wins a max and adds zeros to an average
 * (count_include_pad), ties go to the first element in window order, a NaN wins (the first one).
 */
final class VectorPooling implements PoolingKernels {

    @Override
    public void maxPool2d(Pool2dShape shape, MemorySegment x, MemorySegment y, MemorySegment argmax) {
        Operand xs = Operand.of(x);
        Operand ys = Operand.of(y);
        int inPlane = shape.inHeight() * shape.inWidth();
        int outPlane = shape.outHeight() * shape.outWidth();
        forEachPlane(shape, (staging, plane) -> {
            Window in = staging.window(0).read(xs, plane * inPlane, inPlane);
            Window out = staging.window(1).write(ys, plane * outPlane, outPlane);
            int[] index = staging.ints(outPlane);
            maxPlane(shape, in.array, in.offset, out.array, out.offset, index);
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
            int[] index = staging.ints(outPlane);
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
            averagePlane(shape, in.array, in.offset, out.array, out.offset);
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

    private static void maxPlane(Pool2dShape shape, float[] x, int xo, float[] y, int yo, int[] argmax) {
        int width = shape.inWidth();
        int outWidth = shape.outWidth();
        for (int oh = 0; oh < shape.outHeight(); oh++) {
            int h0 = oh * shape.strideH() - shape.padH();
            int hFrom = Math.max(h0, 0);
            int hTo = Math.min(h0 + shape.kernelHeight(), shape.inHeight());
            for (int ow = 0; ow < outWidth; ow++) {
                int w0 = ow * shape.strideW() - shape.padW();
                int wFrom = Math.max(w0, 0);
                int wTo = Math.min(w0 + shape.kernelWidth(), width);
                int bestIndex = hFrom * width + wFrom;
                float best = x[xo + bestIndex];
                for (int h = hFrom; h < hTo; h++) {
                    for (int at = h * width + wFrom; at < h * width + wTo; at++) {
                        float value = x[xo + at];
                        if (value > best || value != value && best == best) {
                            best = value;
                            bestIndex = at;
                        }
                    }
                }
                y[yo + oh * outWidth + ow] = best;
                argmax[oh * outWidth + ow] = bestIndex;
            }
        }
    }

    private static void averagePlane(Pool2dShape shape, float[] x, int xo, float[] y, int yo) {
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
                float sum = 0f;
                for (int h = hFrom; h < hTo; h++) {
                    for (int at = h * width + wFrom; at < h * width + wTo; at++) {
                        sum += x[xo + at];
                    }
                }
                y[yo + oh * outWidth + ow] = sum / window;
            }
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
