package org.isthmus.kernels.scalar;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.isthmus.kernels.Pool2dShape;
import org.isthmus.kernels.PoolingKernels;

/**
 * Reference 2-D pooling, one (batch, channel) plane at a time. Windows are clipped to the input:
 * padding never wins a max (it counts as −∞) and adds zeros to an average, whose divisor stays the
 * full window (count_include_pad; with at most half a window of padding no window reaches past
 * the padded input, so PyTorch's divisor is the full window too). Gradients are summed in double.
 */
final class ScalarPooling implements PoolingKernels {

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;

    /** On ties the first element in row-major window order wins; a NaN wins over every number (the first NaN). */
    @Override
    public void maxPool2d(Pool2dShape shape, MemorySegment x, MemorySegment y, MemorySegment argmax) {
        int outHeight = shape.outHeight();
        int outWidth = shape.outWidth();
        long inPlane = (long) shape.inHeight() * shape.inWidth();
        long outPlane = (long) outHeight * outWidth;
        for (long plane = 0; plane < (long) shape.batch() * shape.channels(); plane++) {
            for (int oh = 0; oh < outHeight; oh++) {
                for (int ow = 0; ow < outWidth; ow++) {
                    int h0 = oh * shape.strideH() - shape.padH();
                    int w0 = ow * shape.strideW() - shape.padW();
                    float best = Float.NEGATIVE_INFINITY;
                    int bestIndex = -1;
                    for (int h = Math.max(h0, 0); h < Math.min(h0 + shape.kernelHeight(), shape.inHeight()); h++) {
                        for (int w = Math.max(w0, 0); w < Math.min(w0 + shape.kernelWidth(), shape.inWidth()); w++) {
                            int at = h * shape.inWidth() + w;
                            float value = x.getAtIndex(FLOAT, plane * inPlane + at);
                            if (bestIndex < 0 || value > best || Float.isNaN(value) && !Float.isNaN(best)) {
                                best = value;
                                bestIndex = at;
                            }
                        }
                    }
                    long out = plane * outPlane + (long) oh * outWidth + ow;
                    y.setAtIndex(FLOAT, out, best);
                    argmax.setAtIndex(INT, out, bestIndex);
                }
            }
        }
    }

    @Override
    public void maxPool2dBackward(Pool2dShape shape, MemorySegment dy, MemorySegment argmax, MemorySegment dx) {
        int inPlane = shape.inHeight() * shape.inWidth();
        long outPlane = (long) shape.outHeight() * shape.outWidth();
        double[] sums = new double[inPlane];
        for (long plane = 0; plane < (long) shape.batch() * shape.channels(); plane++) {
            Arrays.fill(sums, 0);
            for (long o = plane * outPlane; o < (plane + 1) * outPlane; o++) {
                sums[argmax.getAtIndex(INT, o)] += dy.getAtIndex(FLOAT, o);
            }
            store(sums, dx, plane * inPlane);
        }
    }

    @Override
    public void avgPool2d(Pool2dShape shape, MemorySegment x, MemorySegment y) {
        int outHeight = shape.outHeight();
        int outWidth = shape.outWidth();
        long inPlane = (long) shape.inHeight() * shape.inWidth();
        long outPlane = (long) outHeight * outWidth;
        double window = (double) shape.kernelHeight() * shape.kernelWidth();
        for (long plane = 0; plane < (long) shape.batch() * shape.channels(); plane++) {
            for (int oh = 0; oh < outHeight; oh++) {
                for (int ow = 0; ow < outWidth; ow++) {
                    int h0 = oh * shape.strideH() - shape.padH();
                    int w0 = ow * shape.strideW() - shape.padW();
                    double sum = 0;
                    for (int h = Math.max(h0, 0); h < Math.min(h0 + shape.kernelHeight(), shape.inHeight()); h++) {
                        for (int w = Math.max(w0, 0); w < Math.min(w0 + shape.kernelWidth(), shape.inWidth()); w++) {
                            sum += x.getAtIndex(FLOAT, plane * inPlane + (long) h * shape.inWidth() + w);
                        }
                    }
                    y.setAtIndex(FLOAT, plane * outPlane + (long) oh * outWidth + ow, (float) (sum / window));
                }
            }
        }
    }

    @Override
    public void avgPool2dBackward(Pool2dShape shape, MemorySegment dy, MemorySegment dx) {
        int outHeight = shape.outHeight();
        int outWidth = shape.outWidth();
        int inPlane = shape.inHeight() * shape.inWidth();
        long outPlane = (long) outHeight * outWidth;
        double window = (double) shape.kernelHeight() * shape.kernelWidth();
        double[] sums = new double[inPlane];
        for (long plane = 0; plane < (long) shape.batch() * shape.channels(); plane++) {
            Arrays.fill(sums, 0);
            for (int oh = 0; oh < outHeight; oh++) {
                for (int ow = 0; ow < outWidth; ow++) {
                    double share = dy.getAtIndex(FLOAT, plane * outPlane + (long) oh * outWidth + ow) / window;
                    int h0 = oh * shape.strideH() - shape.padH();
                    int w0 = ow * shape.strideW() - shape.padW();
                    for (int h = Math.max(h0, 0); h < Math.min(h0 + shape.kernelHeight(), shape.inHeight()); h++) {
                        for (int w = Math.max(w0, 0); w < Math.min(w0 + shape.kernelWidth(), shape.inWidth()); w++) {
                            sums[h * shape.inWidth() + w] += share;
                        }
                    }
                }
            }
            store(sums, dx, plane * inPlane);
        }
    }

    private static void store(double[] values, MemorySegment target, long start) {
        for (int i = 0; i < values.length; i++) {
            target.setAtIndex(FLOAT, start + i, (float) values[i]);
        }
    }
}
