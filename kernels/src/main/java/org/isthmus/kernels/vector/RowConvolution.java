package org.isthmus.kernels.vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.isthmus.kernels.Parallelism;

/**
 * Stride-1 convolution swept along output rows, for the layers {@link DirectConvolution}'s
 * 4-filter GEMM tile serves badly: few taps (a first layer, C·kH·kW = 9: 9 FMAs a stored output,
 * so the output write and the loads per FMA bound it, not a GEMM's reuse) or few filters (its
 * backward-data pass, whose "filters" are the image's 1–3 channels).
 *
 * <p>Each image is copied once, zero-padded, into a float[] of C planes (H + 2·padH) × (W + 2·padW),
 * so the hot loops need no masks. An output row of OW is covered by ⌈OW / V⌉ vectors, the last
 * one ending at the row's end (overlapping its neighbour; stores rewrite the same values), and
 * vector j of the plane reads the padded input at {@code inputStart[j] + offset(tap)}. The kernels
 * hold 8 vector accumulators (2 filters × 4 vectors, or 1 filter × 8 vectors), broadcast each
 * tap's weights, load each input vector once for every filter of the block, and store straight
 * into the output: no band buffer, no copy-out.
 *
 * <p>The weight gradient works on the same padded input: dy is copied into rows of the padded
 * width (zeros in the columns past OW), so that dw[k][tap] = Σ_q dyRows[k][q]·in[q + offset(tap)]
 * is a plain dot product over q, no overlap, no mask; 4 filters × 3 taps of vector partial sums
 * per image, added into the part's partials, lanes and parts summed in a fixed order at the end.
 */
final class RowConvolution {

    private static final VectorSpecies<Float> S = Species.FLOAT;
    private static final int V = S.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /**
     * Most taps (C·kH·kW) for which the forward pass and the weight gradient take this path: the
     * 4-filter tile reuses each loaded input 4 times and each weight 3 times, which pays for its
     * panel gathering and copy-out once every output sums enough taps.
     */
    static final int MAX_TAPS = 32;
    /** Filters of one unit of work: an image's filters are split into blocks so that two threads share a small batch. */
    private static final int FILTER_BLOCK = 8;
    /** Output vectors per pair-kernel step (and 2× that per single-filter step). */
    private static final int VECTORS = 4;
    /** Gradient kernel block: filters × taps of vector partial sums. */
    private static final int GRADIENT_FILTERS = 4;
    private static final int GRADIENT_TAPS = 3;
    /** Parts per thread, claimed one by one, so that a late thread takes fewer. */
    private static final int PARTS_PER_THREAD = 4;

    private RowConvolution() {
    }

    /** Whether this path runs g: stride 1 is the caller's to check; an output row must hold one vector. */
    static boolean suits(DirectConvolution.Geometry g) {
        return g.outWidth() >= V && (long) g.channels() * paddedHeight(g) * g.paddedWidth() + V <= Integer.MAX_VALUE
                && (long) g.filters() * g.outHeight() * g.outWidth() <= Integer.MAX_VALUE;
    }

    /**
     * Whether {@link #run} rather than the 4-filter tile computes g (stride 1 being the caller's to
     * check): few taps, or fewer filters than the tile has rows.
     */
    static boolean serves(DirectConvolution.Geometry g) {
        return suits(g) && (g.taps() <= MAX_TAPS || g.filters() < DirectConvolution.TILE_ROWS);
    }

    /**
     * out = conv(in, w) + bias: w holds {@code filters × taps} floats from {@code wBase} (tap order c, r,
     * s: OIHW), bias {@code filters} floats (null: none).
     */
    static void run(DirectConvolution.Geometry g, MemorySegment in, float[] w, int wBase, float[] bias,
                    MemorySegment out, ConvolutionWorkspace workspace, int threads) {
        Plane plane = new Plane(g);
        int blocks = Math.ceilDiv(g.filters(), FILTER_BLOCK);
        int units = g.batch() * blocks;
        int parts = threads == 1 ? 1 : Math.min(units, threads * PARTS_PER_THREAD);
        workspace.reserveRows(parts, plane.inputFloats(), 0, 0);
        Operand input = Operand.of(in);
        Operand output = Operand.of(out);
        int taps = g.taps();
        int outPlane = g.outHeight() * g.outWidth();
        Parallelism.run(parts, part -> {
            float[] padded = workspace.gradientInput(part);
            Arrays.fill(padded, 0, plane.inputFloats(), 0f);
            int paddedImage = -1;
            for (int unit = (int) ((long) part * units / parts); unit < (long) (part + 1) * units / parts; unit++) {
                int image = unit / blocks;
                if (image != paddedImage) {
                    plane.pad(input, image, padded);
                    paddedImage = image;
                }
                int firstFilter = unit % blocks * FILTER_BLOCK;
                int lastFilter = Math.min(g.filters(), firstFilter + FILTER_BLOCK);
                long imageOut = (long) image * g.filters() * outPlane;
                if (g.filters() == 1) {
                    singleFilterKernel(plane, taps, w, wBase, bias == null ? 0f : bias[0], padded, output, imageOut);
                    continue;
                }
                for (int f = firstFilter; f < lastFilter; f += 2) {
                    // An odd last filter is computed twice, into the same place.
                    int f1 = Math.min(f + 1, lastFilter - 1);
                    pairKernel(plane, taps, w, wBase + f * taps, wBase + f1 * taps,
                            bias == null ? 0f : bias[f], bias == null ? 0f : bias[f1], padded, output,
                            imageOut + (long) f * outPlane, imageOut + (long) f1 * outPlane);
                }
            }
        });
    }

    /**
     * dw = Σ over images and positions of dy[k][position]·in[position + offset(tap)] (OIHW), and
     * dBias[k] = Σ dy[k] when dBias is not null.
     */
    static void weightGradient(DirectConvolution.Geometry g, MemorySegment x, MemorySegment dy, MemorySegment dw,
                               MemorySegment dBias, ConvolutionWorkspace workspace, int threads) {
        Plane plane = new Plane(g);
        int taps = g.taps();
        int filters = g.filters();
        // Filters and taps rounded up to whole kernel blocks: the extra ones repeat the last, never read.
        int blockedFilters = Math.ceilDiv(filters, GRADIENT_FILTERS) * GRADIENT_FILTERS;
        int blockedTaps = Math.ceilDiv(taps, GRADIENT_TAPS) * GRADIENT_TAPS;
        int partialFloats = (blockedFilters * blockedTaps + filters) * V;
        int rowsLength = plane.gradientLength();
        int parts = threads == 1 ? 1 : Math.min(g.batch(), threads * PARTS_PER_THREAD);
        workspace.reserveRows(parts, plane.inputFloats(), filters * rowsLength, partialFloats);
        Operand input = Operand.of(x);
        Operand gradient = Operand.of(dy);
        boolean withBias = dBias != null;
        Parallelism.run(parts, part -> {
            float[] padded = workspace.gradientInput(part);
            float[] dyRows = workspace.bandOutput(part);
            float[] partial = workspace.partial(part);
            Arrays.fill(padded, 0, plane.inputFloats(), 0f);
            Arrays.fill(dyRows, 0, filters * rowsLength, 0f);
            Arrays.fill(partial, 0, partialFloats, 0f);
            for (int image = (int) ((long) part * g.batch() / parts); image < (long) (part + 1) * g.batch() / parts; image++) {
                plane.pad(input, image, padded);
                plane.copyRows(gradient, image, dyRows);
                for (int f = 0; f < blockedFilters; f += GRADIENT_FILTERS) {
                    int row0 = Math.min(f, filters - 1) * rowsLength;
                    int row1 = Math.min(f + 1, filters - 1) * rowsLength;
                    int row2 = Math.min(f + 2, filters - 1) * rowsLength;
                    int row3 = Math.min(f + 3, filters - 1) * rowsLength;
                    for (int t = 0; t < blockedTaps; t += GRADIENT_TAPS) {
                        gradientKernel(rowsLength, dyRows, row0, row1, row2, row3, padded,
                                plane.tapOffsets[Math.min(t, taps - 1)], plane.tapOffsets[Math.min(t + 1, taps - 1)],
                                plane.tapOffsets[Math.min(t + 2, taps - 1)], partial, (f * blockedTaps + t) * V,
                                blockedTaps * V);
                    }
                }
                if (withBias) {
                    for (int f = 0; f < filters; f++) {
                        addSum(dyRows, f * rowsLength, rowsLength, partial, (blockedFilters * blockedTaps + f) * V);
                    }
                }
            }
        });
        float[] sum = workspace.partial(0);
        for (int p = 1; p < parts; p++) {
            float[] partial = workspace.partial(p);
            for (int i = 0; i < partialFloats; i += V) {
                FloatVector.fromArray(S, sum, i).add(FloatVector.fromArray(S, partial, i)).intoArray(sum, i);
            }
        }
        for (int f = 0; f < filters; f++) {
            for (int t = 0; t < taps; t++) {
                dw.setAtIndex(FLOAT, (long) f * taps + t,
                        FloatVector.fromArray(S, sum, (f * blockedTaps + t) * V).reduceLanes(VectorOperators.ADD));
            }
            if (withBias) {
                dBias.setAtIndex(FLOAT, f, FloatVector.fromArray(S, sum, (blockedFilters * blockedTaps + f) * V)
                        .reduceLanes(VectorOperators.ADD));
            }
        }
    }

    /**
     * Where things are in one image's padded planes: each tap's offset, and for each output vector
     * (row by row, ⌈OW / V⌉ a row, the last ending at the row's end) where its inputs start in the
     * padded plane and where it goes in the output plane. The vector lists are padded to whole
     * kernel steps by repeating the last vector.
     */
    private static final class Plane {
        final DirectConvolution.Geometry g;
        final int[] tapOffsets;
        final int[] inputStarts;
        final int[] outputStarts;
        final int vectors;

        Plane(DirectConvolution.Geometry g) {
            this.g = g;
            int paddedWidth = g.paddedWidth();
            int planeFloats = paddedHeight(g) * paddedWidth;
            tapOffsets = new int[g.taps()];
            int tap = 0;
            for (int c = 0; c < g.channels(); c++) {
                for (int r = 0; r < g.kernelH(); r++) {
                    for (int s = 0; s < g.kernelW(); s++) {
                        tapOffsets[tap++] = c * planeFloats + r * g.dilationH() * paddedWidth + s * g.dilationW();
                    }
                }
            }
            int perRow = Math.ceilDiv(g.outWidth(), V);
            vectors = g.outHeight() * perRow;
            int listed = Math.ceilDiv(vectors, 2 * VECTORS) * 2 * VECTORS;
            inputStarts = new int[listed];
            outputStarts = new int[listed];
            for (int j = 0; j < listed; j++) {
                int vector = Math.min(j, vectors - 1);
                int row = vector / perRow;
                int column = Math.min(vector % perRow * V, g.outWidth() - V);
                inputStarts[j] = row * paddedWidth + column;
                outputStarts[j] = row * g.outWidth() + column;
            }
        }

        /**
         * Floats of the padded input: C planes, then slack for the weight gradient's rounded-up
         * rows (whose extra positions meet zeros in dy, so what they read does not matter).
         */
        int inputFloats() {
            return g.channels() * paddedHeight(g) * g.paddedWidth() + gradientLength() - g.outHeight() * g.paddedWidth()
                    + g.dilationW() * (g.kernelW() - 1);
        }

        /** Floats of one filter's dy rows in the gradient: OH rows of the padded width, rounded up to whole vectors. */
        int gradientLength() {
            return Math.ceilDiv(g.outHeight() * g.paddedWidth(), V) * V;
        }

        /** Copies image's channels into the interior of the padded planes (the borders stay zero). */
        void pad(Operand in, int image, float[] padded) {
            Operand target = Operand.of(MemorySegment.ofArray(padded));
            int planeFloats = paddedHeight(g) * g.paddedWidth();
            for (int c = 0; c < g.channels(); c++) {
                long from = ((long) image * g.channels() + c) * g.height() * g.width();
                int to = c * planeFloats + g.padH() * g.paddedWidth() + g.padW();
                for (int h = 0; h < g.height(); h++, from += g.width(), to += g.paddedWidth()) {
                    DirectConvolution.copy(in, from, target, to, g.width());
                }
            }
        }

        /** Copies image's dy into rows of the padded width, one filter every {@link #gradientLength} floats. */
        void copyRows(Operand dy, int image, float[] rows) {
            Operand target = Operand.of(MemorySegment.ofArray(rows));
            long from = (long) image * g.filters() * g.outHeight() * g.outWidth();
            for (int f = 0; f < g.filters(); f++) {
                int to = f * gradientLength();
                for (int h = 0; h < g.outHeight(); h++, from += g.outWidth(), to += g.paddedWidth()) {
                    DirectConvolution.copy(dy, from, target, to, g.outWidth());
                }
            }
        }
    }

    private static int paddedHeight(DirectConvolution.Geometry g) {
        return g.height() + 2 * g.padH();
    }

    /**
     * Filters f0 and f1 (weights from w0 and w1) over the whole output plane, 4 vectors at a
     * time: per tap 2 broadcasts and 4 loads feed 8 FMAs. Stores go to out from out0 and out1.
     */
    private static void pairKernel(Plane plane, int taps, float[] w, int w0, int w1, float bias0, float bias1,
                                   float[] in, Operand out, long out0, long out1) {
        int[] tapOffsets = plane.tapOffsets;
        int[] inputStarts = plane.inputStarts;
        int[] outputStarts = plane.outputStarts;
        float[] outArray = out.array();
        long base0 = out0 + out.base();
        long base1 = out1 + out.base();
        for (int j = 0; j < plane.vectors; j += VECTORS) {
            int i0 = inputStarts[j];
            int i1 = inputStarts[j + 1];
            int i2 = inputStarts[j + 2];
            int i3 = inputStarts[j + 3];
            FloatVector c00 = FloatVector.broadcast(S, bias0), c01 = c00, c02 = c00, c03 = c00;
            FloatVector c10 = FloatVector.broadcast(S, bias1), c11 = c10, c12 = c10, c13 = c10;
            for (int t = 0; t < taps; t++) {
                int offset = tapOffsets[t];
                FloatVector a0 = FloatVector.broadcast(S, w[w0 + t]);
                FloatVector a1 = FloatVector.broadcast(S, w[w1 + t]);
                FloatVector b = FloatVector.fromArray(S, in, i0 + offset);
                c00 = a0.fma(b, c00);
                c10 = a1.fma(b, c10);
                b = FloatVector.fromArray(S, in, i1 + offset);
                c01 = a0.fma(b, c01);
                c11 = a1.fma(b, c11);
                b = FloatVector.fromArray(S, in, i2 + offset);
                c02 = a0.fma(b, c02);
                c12 = a1.fma(b, c12);
                b = FloatVector.fromArray(S, in, i3 + offset);
                c03 = a0.fma(b, c03);
                c13 = a1.fma(b, c13);
            }
            if (outArray != null) {
                c00.intoArray(outArray, (int) (base0 + outputStarts[j]));
                c01.intoArray(outArray, (int) (base0 + outputStarts[j + 1]));
                c02.intoArray(outArray, (int) (base0 + outputStarts[j + 2]));
                c03.intoArray(outArray, (int) (base0 + outputStarts[j + 3]));
                c10.intoArray(outArray, (int) (base1 + outputStarts[j]));
                c11.intoArray(outArray, (int) (base1 + outputStarts[j + 1]));
                c12.intoArray(outArray, (int) (base1 + outputStarts[j + 2]));
                c13.intoArray(outArray, (int) (base1 + outputStarts[j + 3]));
            } else {
                MemorySegment segment = out.segment();
                c00.intoMemorySegment(segment, (out0 + outputStarts[j]) * Float.BYTES, ORDER);
                c01.intoMemorySegment(segment, (out0 + outputStarts[j + 1]) * Float.BYTES, ORDER);
                c02.intoMemorySegment(segment, (out0 + outputStarts[j + 2]) * Float.BYTES, ORDER);
                c03.intoMemorySegment(segment, (out0 + outputStarts[j + 3]) * Float.BYTES, ORDER);
                c10.intoMemorySegment(segment, (out1 + outputStarts[j]) * Float.BYTES, ORDER);
                c11.intoMemorySegment(segment, (out1 + outputStarts[j + 1]) * Float.BYTES, ORDER);
                c12.intoMemorySegment(segment, (out1 + outputStarts[j + 2]) * Float.BYTES, ORDER);
                c13.intoMemorySegment(segment, (out1 + outputStarts[j + 3]) * Float.BYTES, ORDER);
            }
        }
    }

    /** The only filter over the whole output plane, 8 vectors at a time: per tap 1 broadcast and 8 loads feed 8 FMAs. */
    private static void singleFilterKernel(Plane plane, int taps, float[] w, int w0, float bias, float[] in,
                                           Operand out, long out0) {
        int[] tapOffsets = plane.tapOffsets;
        int[] inputStarts = plane.inputStarts;
        int[] outputStarts = plane.outputStarts;
        float[] outArray = out.array();
        long base = out0 + out.base();
        for (int j = 0; j < plane.vectors; j += 2 * VECTORS) {
            int i0 = inputStarts[j];
            int i1 = inputStarts[j + 1];
            int i2 = inputStarts[j + 2];
            int i3 = inputStarts[j + 3];
            int i4 = inputStarts[j + 4];
            int i5 = inputStarts[j + 5];
            int i6 = inputStarts[j + 6];
            int i7 = inputStarts[j + 7];
            FloatVector c0 = FloatVector.broadcast(S, bias), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0,
                    c7 = c0;
            for (int t = 0; t < taps; t++) {
                int offset = tapOffsets[t];
                FloatVector a = FloatVector.broadcast(S, w[w0 + t]);
                c0 = a.fma(FloatVector.fromArray(S, in, i0 + offset), c0);
                c1 = a.fma(FloatVector.fromArray(S, in, i1 + offset), c1);
                c2 = a.fma(FloatVector.fromArray(S, in, i2 + offset), c2);
                c3 = a.fma(FloatVector.fromArray(S, in, i3 + offset), c3);
                c4 = a.fma(FloatVector.fromArray(S, in, i4 + offset), c4);
                c5 = a.fma(FloatVector.fromArray(S, in, i5 + offset), c5);
                c6 = a.fma(FloatVector.fromArray(S, in, i6 + offset), c6);
                c7 = a.fma(FloatVector.fromArray(S, in, i7 + offset), c7);
            }
            if (outArray != null) {
                c0.intoArray(outArray, (int) (base + outputStarts[j]));
                c1.intoArray(outArray, (int) (base + outputStarts[j + 1]));
                c2.intoArray(outArray, (int) (base + outputStarts[j + 2]));
                c3.intoArray(outArray, (int) (base + outputStarts[j + 3]));
                c4.intoArray(outArray, (int) (base + outputStarts[j + 4]));
                c5.intoArray(outArray, (int) (base + outputStarts[j + 5]));
                c6.intoArray(outArray, (int) (base + outputStarts[j + 6]));
                c7.intoArray(outArray, (int) (base + outputStarts[j + 7]));
            } else {
                MemorySegment segment = out.segment();
                c0.intoMemorySegment(segment, (out0 + outputStarts[j]) * Float.BYTES, ORDER);
                c1.intoMemorySegment(segment, (out0 + outputStarts[j + 1]) * Float.BYTES, ORDER);
                c2.intoMemorySegment(segment, (out0 + outputStarts[j + 2]) * Float.BYTES, ORDER);
                c3.intoMemorySegment(segment, (out0 + outputStarts[j + 3]) * Float.BYTES, ORDER);
                c4.intoMemorySegment(segment, (out0 + outputStarts[j + 4]) * Float.BYTES, ORDER);
                c5.intoMemorySegment(segment, (out0 + outputStarts[j + 5]) * Float.BYTES, ORDER);
                c6.intoMemorySegment(segment, (out0 + outputStarts[j + 6]) * Float.BYTES, ORDER);
                c7.intoMemorySegment(segment, (out0 + outputStarts[j + 7]) * Float.BYTES, ORDER);
            }
        }
    }

    /**
     * partial[4 filters][3 taps] += Σ_q dyRows[row_f + q]·in[q + offset_t] over the {@code length}
     * positions of one image (12 vector accumulators, 7 loads per 12 FMAs), the partial's filter
     * rows {@code stride} floats apart, each entry a vector of lane sums.
     */
    private static void gradientKernel(int length, float[] dyRows, int row0, int row1, int row2, int row3,
                                       float[] in, int offset0, int offset1, int offset2,
                                       float[] partial, int at, int stride) {
        FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s10 = s00, s11 = s00, s12 = s00,
                s20 = s00, s21 = s00, s22 = s00, s30 = s00, s31 = s00, s32 = s00;
        for (int q = 0; q < length; q += V) {
            FloatVector x0 = FloatVector.fromArray(S, in, q + offset0);
            FloatVector x1 = FloatVector.fromArray(S, in, q + offset1);
            FloatVector x2 = FloatVector.fromArray(S, in, q + offset2);
            FloatVector d = FloatVector.fromArray(S, dyRows, row0 + q);
            s00 = d.fma(x0, s00);
            s01 = d.fma(x1, s01);
            s02 = d.fma(x2, s02);
            d = FloatVector.fromArray(S, dyRows, row1 + q);
            s10 = d.fma(x0, s10);
            s11 = d.fma(x1, s11);
            s12 = d.fma(x2, s12);
            d = FloatVector.fromArray(S, dyRows, row2 + q);
            s20 = d.fma(x0, s20);
            s21 = d.fma(x1, s21);
            s22 = d.fma(x2, s22);
            d = FloatVector.fromArray(S, dyRows, row3 + q);
            s30 = d.fma(x0, s30);
            s31 = d.fma(x1, s31);
            s32 = d.fma(x2, s32);
        }
        accumulate(partial, at, s00);
        accumulate(partial, at + V, s01);
        accumulate(partial, at + 2 * V, s02);
        accumulate(partial, at + stride, s10);
        accumulate(partial, at + stride + V, s11);
        accumulate(partial, at + stride + 2 * V, s12);
        accumulate(partial, at + 2 * stride, s20);
        accumulate(partial, at + 2 * stride + V, s21);
        accumulate(partial, at + 2 * stride + 2 * V, s22);
        accumulate(partial, at + 3 * stride, s30);
        accumulate(partial, at + 3 * stride + V, s31);
        accumulate(partial, at + 3 * stride + 2 * V, s32);
    }

    private static void accumulate(float[] partial, int at, FloatVector value) {
        FloatVector.fromArray(S, partial, at).add(value).intoArray(partial, at);
    }

    /** partial[at..at+V) += the lane sums of {@code length} floats of rows from {@code from} (a multiple of V). */
    private static void addSum(float[] rows, int from, int length, float[] partial, int at) {
        FloatVector sum0 = FloatVector.zero(S);
        FloatVector sum1 = FloatVector.zero(S);
        int q = 0;
        for (; q + 2 * V <= length; q += 2 * V) {
            sum0 = sum0.add(FloatVector.fromArray(S, rows, from + q));
            sum1 = sum1.add(FloatVector.fromArray(S, rows, from + q + V));
        }
        if (q < length) {
            sum0 = sum0.add(FloatVector.fromArray(S, rows, from + q));
        }
        accumulate(partial, at, sum0.add(sum1));
    }
}
