package org.isthmus.kernels.vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.isthmus.kernels.Conv2dShape;

/**
 * Depthwise convolution (groups = inChannels): filter k sees input channel k / M only, M = K/C
 * filters per channel. Each pass works plane by plane: the plane it reads is copied into L1 scratch
 * with its padding as zeros, so that every tap of a row of outputs is one unit-stride vector run
 * (a strided layer's columns split by phase: padded column j at phase j mod stride, index j / stride).
 * A row of outputs is computed as vectors along the row, four at a time, each tap's weight
 * broadcast once for the four. The scratch is zeroed once per part: every plane writes the same
 * positions, so the padding stays zero.
 *
 * <p>The backward-data pass is the same correlation in the other direction: dy spread (every
 * stride-th position, zeros between) over a plane with room for the kernel's reach on both sides,
 * read through the flipped taps. The weight gradient takes, per filter and tap, the dot product of
 * dy's plane with the shifted input plane, summed over the batch in double.
 */
final class DepthwiseConvolution {

    private static final VectorSpecies<Float> S = Species.FLOAT;
    private static final int V = S.length();
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Output vectors computed together: each tap's weight is broadcast once for this many loads. */
    private static final int BLOCK = 4;

    private DepthwiseConvolution() {
    }

    /**
     * A padded plane in scratch: {@code rows} rows of {@code rowLength} floats per phase, padded
     * column j at phase j mod {@code phases}, index j / phases. Rows end in at least a vector of
     * slack, so that a row's last vector may read past its last column.
     */
    private record Layout(int rows, int phases, int rowLength) {

        int floats() {
            return phases * rows * rowLength;
        }

        int at(int row, int column) {
            return (column % phases * rows + row) * rowLength + column / phases;
        }
    }

    static void forward(Conv2dShape shape, MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y) {
        int channels = shape.inChannels();
        int filters = shape.outChannels();
        int multiplier = filters / channels;
        int taps = shape.kernelHeight() * shape.kernelWidth();
        int outHeight = shape.outHeight();
        int outWidth = shape.outWidth();
        int vectors = ceilDiv(outWidth, V);
        Layout layout = inputLayout(shape);
        int[] offsets = inputOffsets(shape, layout);
        int rowStep = shape.strideH() * layout.rowLength();
        Operand input = Operand.of(x);
        Operand weights = onArray(w, shape.weightSize(channels));
        Operand biases = bias == null ? null : onArray(bias, filters);
        long inPlane = (long) shape.inHeight() * shape.inWidth();
        long outPlane = (long) outHeight * outWidth;
        RowWork.forRows(shape.batch() * filters, outPlane * taps, (part, from, to) -> {
            int outRow = layout.floats();
            float[] scratch = RowWork.partScratch(outRow + vectors * V);
            Arrays.fill(scratch, 0, layout.floats(), 0f);
            long padded = -1;
            for (int plane = from; plane < to; plane++) {
                int k = plane % filters;
                long source = (long) plane / filters * channels + k / multiplier;
                if (source != padded) {
                    pad(input, source * inPlane, shape, layout, scratch);
                    padded = source;
                }
                float shift = biases == null ? 0f : biases.get(k);
                for (int oh = 0; oh < outHeight; oh++) {
                    correlateRow(scratch, oh * rowStep, 1, 0, offsets, weights.array(), weights.base() + k * taps,
                            shift, scratch, outRow, vectors);
                    MemorySegment.copy(scratch, outRow, y, FLOAT, (plane * outPlane + (long) oh * outWidth) * Float.BYTES,
                            outWidth);
                }
            }
        }, x, w, bias, y);
    }

    static void backwardData(Conv2dShape shape, MemorySegment dy, MemorySegment w, MemorySegment dx) {
        int channels = shape.inChannels();
        int multiplier = shape.outChannels() / channels;
        int kernelH = shape.kernelHeight();
        int kernelW = shape.kernelWidth();
        int taps = kernelH * kernelW;
        int height = shape.inHeight();
        int width = shape.inWidth();
        int vectors = ceilDiv(width, V);
        // dy (oh, ow) lies at ((kH − 1)·dilationH + oh·strideH, (kW − 1)·dilationW + ow·strideW); dx (ih, iw)
        // reads it through tap (r, s) at (ih + padH + (kH − 1 − r)·dilationH, iw + padW + (kW − 1 − s)·dilationW).
        // Values that would lie past the last row or column reach no input pixel (only padding): dropped.
        int usefulWidth = width + shape.padW() + (kernelW - 1) * shape.dilationW();
        Layout layout = new Layout(height + shape.padH() + (kernelH - 1) * shape.dilationH(), 1, usefulWidth + V);
        int[] offsets = new int[taps];
        for (int r = 0; r < kernelH; r++) {
            for (int s = 0; s < kernelW; s++) {
                offsets[r * kernelW + s] = layout.at(shape.padH() + (kernelH - 1 - r) * shape.dilationH(),
                        shape.padW() + (kernelW - 1 - s) * shape.dilationW());
            }
        }
        Operand gradient = Operand.of(dy);
        Operand weights = onArray(w, shape.weightSize(channels));
        long inPlane = (long) height * width;
        long outPlane = (long) shape.outHeight() * shape.outWidth();
        int sourceFloats = layout.floats();
        RowWork.forRows(shape.batch() * channels, inPlane * taps * multiplier, (part, from, to) -> {
            int outRow = multiplier * sourceFloats;
            float[] scratch = RowWork.partScratch(outRow + vectors * V);
            Arrays.fill(scratch, 0, outRow, 0f);
            for (int plane = from; plane < to; plane++) {
                int c = plane % channels;
                for (int j = 0; j < multiplier; j++) {
                    long filterPlane = (long) plane / channels * shape.outChannels() + (long) c * multiplier + j;
                    spread(gradient, filterPlane * outPlane, shape, layout, usefulWidth, scratch, j * sourceFloats);
                }
                for (int ih = 0; ih < height; ih++) {
                    correlateRow(scratch, ih * layout.rowLength(), multiplier, sourceFloats, offsets, weights.array(),
                            weights.base() + c * multiplier * taps, 0f, scratch, outRow, vectors);
                    MemorySegment.copy(scratch, outRow, dx, FLOAT, (plane * inPlane + (long) ih * width) * Float.BYTES,
                            width);
                }
            }
        }, dy, w, dx);
    }

    static void backwardWeights(Conv2dShape shape, MemorySegment x, MemorySegment dy, MemorySegment dw,
                                MemorySegment dBias) {
        int channels = shape.inChannels();
        int filters = shape.outChannels();
        int multiplier = filters / channels;
        int taps = shape.kernelHeight() * shape.kernelWidth();
        int outHeight = shape.outHeight();
        int outWidth = shape.outWidth();
        int dyStride = ceilDiv(outWidth, V) * V;
        Layout layout = inputLayout(shape);
        int[] offsets = inputOffsets(shape, layout);
        int rowStep = shape.strideH() * layout.rowLength();
        Operand input = Operand.of(x);
        Operand gradient = Operand.of(dw);
        Operand biasGradient = dBias == null ? null : Operand.of(dBias);
        long inPlane = (long) shape.inHeight() * shape.inWidth();
        long outPlane = (long) outHeight * outWidth;
        int whole = outWidth - outWidth % V;
        VectorMask<Float> tail = S.indexInRange(whole, outWidth);
        RowWork.forRows(filters, shape.batch() * outPlane * taps, (part, from, to) -> {
            int dyBase = layout.floats();
            float[] scratch = RowWork.partScratch(dyBase + outHeight * dyStride);
            // Zero once: the rows' tails past outWidth are never written, so they add nothing to the sums.
            Arrays.fill(scratch, 0, dyBase + outHeight * dyStride, 0f);
            double[] totals = new double[taps + 1];
            for (int k = from; k < to; k++) {
                Arrays.fill(totals, 0);
                for (int n = 0; n < shape.batch(); n++) {
                    pad(input, ((long) n * channels + k / multiplier) * inPlane, shape, layout, scratch);
                    long filterPlane = ((long) n * filters + k) * outPlane;
                    for (int oh = 0; oh < outHeight; oh++) {
                        MemorySegment.copy(dy, FLOAT, (filterPlane + (long) oh * outWidth) * Float.BYTES, scratch,
                                dyBase + oh * dyStride, outWidth);
                    }
                    for (int t = 0; t < taps; t++) {
                        totals[t] += tapSum(scratch, dyBase, dyStride, offsets[t], rowStep, outHeight, whole, tail);
                    }
                    totals[taps] += planeSum(scratch, dyBase, outHeight * dyStride);
                }
                for (int t = 0; t < taps; t++) {
                    gradient.set(k * taps + t, (float) totals[t]);
                }
                if (biasGradient != null) {
                    biasGradient.set(k, (float) totals[taps]);
                }
            }
        }, x, dy, dw, dBias);
    }

    /** The forward pass's input plane, padded: rows to the last one a tap reaches, columns by stride phase. */
    private static Layout inputLayout(Conv2dShape shape) {
        int stride = shape.strideW();
        return new Layout(shape.inHeight() + 2 * shape.padH(), stride,
                ceilDiv(shape.inWidth() + 2 * shape.padW(), stride) + V);
    }

    /** Where tap (r, s) of output (0, 0) reads the padded input; output (oh, ow) adds oh·strideH rows and ow. */
    private static int[] inputOffsets(Conv2dShape shape, Layout layout) {
        int kernelW = shape.kernelWidth();
        int[] offsets = new int[shape.kernelHeight() * kernelW];
        for (int r = 0; r < shape.kernelHeight(); r++) {
            for (int s = 0; s < kernelW; s++) {
                offsets[r * kernelW + s] = layout.at(r * shape.dilationH(), s * shape.dilationW());
            }
        }
        return offsets;
    }

    /** Copies the input plane starting at element {@code start} into the interior of the padded layout. */
    private static void pad(Operand input, long start, Conv2dShape shape, Layout layout, float[] scratch) {
        int width = shape.inWidth();
        int stride = layout.phases();
        for (int ih = 0; ih < shape.inHeight(); ih++) {
            long row = start + (long) ih * width;
            int paddedRow = ih + shape.padH();
            if (stride == 1) {
                MemorySegment.copy(input.segment(), FLOAT, row * Float.BYTES, scratch,
                        layout.at(paddedRow, shape.padW()), width);
                continue;
            }
            for (int phase = 0; phase < stride; phase++) {
                int iw = Math.floorMod(phase - shape.padW(), stride);
                for (int at = layout.at(paddedRow, iw + shape.padW()); iw < width; iw += stride, at++) {
                    scratch[at] = input.get(row + iw);
                }
            }
        }
    }

    /**
     * Spreads the dy plane starting at element {@code start} over the backward-data layout at
     * {@code base}: (oh, ow) to row (kH − 1)·dilationH + oh·strideH, column (kW − 1)·dilationW + ow·strideW,
     * those before row {@code layout.rows()} and column {@code usefulWidth}.
     */
    private static void spread(Operand dy, long start, Conv2dShape shape, Layout layout, int usefulWidth,
                               float[] scratch, int base) {
        int firstColumn = (shape.kernelWidth() - 1) * shape.dilationW();
        int stride = shape.strideW();
        int count = Math.min(shape.outWidth(), ceilDiv(usefulWidth - firstColumn, stride));
        for (int oh = 0; oh < shape.outHeight(); oh++) {
            int row = (shape.kernelHeight() - 1) * shape.dilationH() + oh * shape.strideH();
            if (row >= layout.rows()) {
                break;
            }
            long from = start + (long) oh * shape.outWidth();
            int to = base + layout.at(row, firstColumn);
            if (stride == 1) {
                MemorySegment.copy(dy.segment(), FLOAT, from * Float.BYTES, scratch, to, count);
                continue;
            }
            for (int ow = 0; ow < count; ow++) {
                scratch[to + ow * stride] = dy.get(from + ow);
            }
        }
    }

    /**
     * One row of outputs, {@code vectors} vectors into {@code out} at {@code outAt}: shift plus, over
     * {@code sources} planes {@code sourceFloats} apart and the taps, weight (source j, tap t) times
     * the source at {@code base} + offsets[t].
     */
    private static void correlateRow(float[] src, int base, int sources, int sourceFloats, int[] offsets,
                                     float[] w, int wBase, float shift, float[] out, int outAt, int vectors) {
        int taps = offsets.length;
        int v = 0;
        for (; v + BLOCK <= vectors; v += BLOCK) {
            FloatVector a0 = FloatVector.broadcast(S, shift);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int j = 0; j < sources; j++) {
                int at = base + j * sourceFloats + v * V;
                int weight = wBase + j * taps;
                for (int t = 0; t < taps; t++) {
                    FloatVector tap = FloatVector.broadcast(S, w[weight + t]);
                    int from = at + offsets[t];
                    a0 = FloatVector.fromArray(S, src, from).fma(tap, a0);
                    a1 = FloatVector.fromArray(S, src, from + V).fma(tap, a1);
                    a2 = FloatVector.fromArray(S, src, from + 2 * V).fma(tap, a2);
                    a3 = FloatVector.fromArray(S, src, from + 3 * V).fma(tap, a3);
                }
            }
            int to = outAt + v * V;
            a0.intoArray(out, to);
            a1.intoArray(out, to + V);
            a2.intoArray(out, to + 2 * V);
            a3.intoArray(out, to + 3 * V);
        }
        for (; v < vectors; v++) {
            FloatVector a = FloatVector.broadcast(S, shift);
            for (int j = 0; j < sources; j++) {
                int at = base + j * sourceFloats + v * V;
                int weight = wBase + j * taps;
                for (int t = 0; t < taps; t++) {
                    a = FloatVector.fromArray(S, src, at + offsets[t]).fma(FloatVector.broadcast(S, w[weight + t]), a);
                }
            }
            a.intoArray(out, outAt + v * V);
        }
    }

    /**
     * Σ over the dy rows at {@code dyBase} of dy times the padded input at {@code offset} (one tap):
     * {@code whole} outputs a row in whole vectors, then those of {@code tail}, whose input is loaded
     * under the mask, so that an input value no output reads (past the row's outputs) cannot turn
     * the zeros of dy's tail into NaN.
     */
    private static float tapSum(float[] s, int dyBase, int dyStride, int offset, int rowStep, int rows, int whole,
                                VectorMask<Float> tail) {
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = FloatVector.zero(S);
        for (int oh = 0; oh < rows; oh++) {
            int d = dyBase + oh * dyStride;
            int in = offset + oh * rowStep;
            int v = 0;
            for (; v + 2 * V <= whole; v += 2 * V) {
                a0 = FloatVector.fromArray(S, s, d + v).fma(FloatVector.fromArray(S, s, in + v), a0);
                a1 = FloatVector.fromArray(S, s, d + v + V).fma(FloatVector.fromArray(S, s, in + v + V), a1);
            }
            if (v < whole) {
                a0 = FloatVector.fromArray(S, s, d + v).fma(FloatVector.fromArray(S, s, in + v), a0);
                v += V;
            }
            if (tail.anyTrue()) {
                a1 = FloatVector.fromArray(S, s, d + v).fma(FloatVector.fromArray(S, s, in + v, tail), a1);
            }
        }
        return a0.add(a1).reduceLanes(VectorOperators.ADD);
    }

    /** Σ of {@code length} floats at {@code from} (a multiple of the vector length). */
    private static float planeSum(float[] s, int from, int length) {
        FloatVector sum = FloatVector.zero(S);
        for (int i = from; i < from + length; i += V) {
            sum = sum.add(FloatVector.fromArray(S, s, i));
        }
        return sum.reduceLanes(VectorOperators.ADD);
    }

    /** The segment's floats as an array operand: its own array for a heap segment over one, else a copy. */
    private static Operand onArray(MemorySegment segment, long floats) {
        Operand operand = Operand.of(segment);
        if (operand.onArray()) {
            return operand;
        }
        float[] copy = new float[Math.toIntExact(floats)];
        MemorySegment.copy(segment, FLOAT, 0, copy, 0, copy.length);
        return Operand.of(MemorySegment.ofArray(copy));
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }
}
