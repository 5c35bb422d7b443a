package org.isthmus.kernels.vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import org.isthmus.kernels.Conv2dShape;

/**
 * Depthwise convolution (groups = inChannels): filter k sees input channel k / M only, M = K/C
 * filters per channel. Each pass works plane by plane: the plane it reads is copied into L1 scratch
 * with its padding as zeros, a strided layer's rows and columns split by phase (padded row i at row
 * phase i mod strideH, index i / strideH; columns likewise), so that the input of output (oh, ow)
 * through tap t lies at oh·rowLength + ow + offset[t]: one offset per tap for the whole plane. The
 * plane's outputs are then computed as one run of oh·rowLength + ow positions, row padding
 * included, and their rows copied out: one long counted loop, whose loads C2 range-checks once per
 * plane, instead of a short loop per row. The scratch is zeroed once per part: every plane writes
 * the same positions, so the padding stays zero.
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
    /** Taps whose weight-gradient sums are taken in one sweep of dy. */
    private static final int TAPS_TOGETHER = 3;
    /** A vector's even lanes to its low half, its odd lanes to its high half. */
    private static final VectorShuffle<Float> EVENS_LOW =
            VectorShuffle.fromOp(S, j -> j < V / 2 ? 2 * j : 2 * (j - V / 2) + 1);
    /** A vector's odd lanes to its low half, its even lanes to its high half. */
    private static final VectorShuffle<Float> ODDS_LOW =
            VectorShuffle.fromOp(S, j -> j < V / 2 ? 2 * j + 1 : 2 * (j - V / 2));
    private static final VectorShuffle<Float> SWAP_HALVES = VectorShuffle.fromOp(S, j -> (j + V / 2) % V);
    private static final VectorMask<Float> HIGH_HALF = VectorMask.fromLong(S, -1L << (V / 2));
    /** Lane j of a vector to lane 2j (with {@link #EVEN_LANES}), for the low half's j. */
    private static final VectorShuffle<Float> SPREAD_LOW = VectorShuffle.fromOp(S, j -> j / 2);
    /** The same for the high half's j: lane V/2 + j to lane 2j. */
    private static final VectorShuffle<Float> SPREAD_HIGH = VectorShuffle.fromOp(S, j -> V / 2 + j / 2);
    private static final VectorMask<Float> EVEN_LANES = VectorMask.fromLong(S, 0x5555_5555_5555_5555L);

    private DepthwiseConvolution() {
    }

    /**
     * A padded plane in scratch, split into rowPhases × columnPhases sub-planes of {@code rows} rows
     * of {@code rowLength} floats: padded (row, column) at sub-plane (row mod rowPhases, column mod
     * columnPhases), row / rowPhases, column / columnPhases. A row and a vector of slack follow, so
     * that the run of positions may read past the last row.
     */
    private record Layout(int rowPhases, int columnPhases, int rows, int rowLength) {

        int floats() {
            return rowPhases * columnPhases * rows * rowLength + rowLength + V;
        }

        int at(int row, int column) {
            return rowOffset(row) + columnOffset(column);
        }

        /** Where padded row {@code row} starts in its column-phase-0 sub-plane. */
        int rowOffset(int row) {
            return (row % rowPhases * columnPhases * rows + row / rowPhases) * rowLength;
        }

        /** How far padded column {@code column} lies from its row's {@link #rowOffset}. */
        int columnOffset(int column) {
            return column % columnPhases * rows * rowLength + column / columnPhases;
        }
    }

    /**
     * Where an input plane's rows land in the padded {@link Layout}, worked out once per call: the
     * layout's divisions cost more than copying a short row. Input row ih goes to rowStarts[ih] plus,
     * for each column phase p, phaseStarts[p]: its columns firstColumns[p], firstColumns[p] + stride, …
     * (counts[p] of them). Without strides, rows lie rowStep apart (0 otherwise): the plane is one
     * block copy.
     */
    private record PlaneCopy(int width, int stride, int rowStep, int[] rowStarts, int[] firstColumns,
                             int[] phaseStarts, int[] counts) {

        static PlaneCopy of(Conv2dShape shape, Layout layout) {
            int width = shape.inWidth();
            int stride = layout.columnPhases();
            int[] rowStarts = new int[shape.inHeight()];
            for (int ih = 0; ih < rowStarts.length; ih++) {
                rowStarts[ih] = layout.rowOffset(ih + shape.padH());
            }
            int[] firstColumns = new int[stride];
            int[] phaseStarts = new int[stride];
            int[] counts = new int[stride];
            for (int phase = 0; phase < stride; phase++) {
                int iw = Math.floorMod(phase - shape.padW(), stride);
                firstColumns[phase] = iw;
                phaseStarts[phase] = layout.columnOffset(iw + shape.padW());
                counts[phase] = (width - iw + stride - 1) / stride;
            }
            int rowStep = layout.rowPhases() == 1 && stride == 1 ? layout.rowLength() : 0;
            return new PlaneCopy(width, stride, rowStep, rowStarts, firstColumns, phaseStarts, counts);
        }
    }

    static void forward(Conv2dShape shape, MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y) {
        int channels = shape.inChannels();
        int filters = shape.outChannels();
        int multiplier = filters / channels;
        int taps = shape.kernelHeight() * shape.kernelWidth();
        int outHeight = shape.outHeight();
        int outWidth = shape.outWidth();
        Layout layout = inputLayout(shape);
        PlaneCopy planeCopy = PlaneCopy.of(shape, layout);
        int[] offsets = inputOffsets(shape, layout);
        int positions = outHeight * layout.rowLength();
        Operand input = Operand.of(x);
        Operand weights = onArray(w, shape.weightSize(channels));
        Operand biases = bias == null ? null : onArray(bias, filters);
        long inPlane = (long) shape.inHeight() * shape.inWidth();
        long outPlane = (long) outHeight * outWidth;
        Operand output = Operand.of(y);
        RowWork.forRows(shape.batch() * filters, outPlane * taps, (part, from, to) -> {
            int outAt = layout.floats();
            int rowAt = outAt + span(positions);
            float[] scratch = RowWork.partScratch(rowAt + shape.inWidth());
            Arrays.fill(scratch, 0, outAt, 0f);
            long padded = -1;
            for (int plane = from; plane < to; plane++) {
                int k = plane % filters;
                long source = (long) plane / filters * channels + k / multiplier;
                if (source != padded) {
                    pad(input, source * inPlane, planeCopy, scratch, rowAt);
                    padded = source;
                }
                float shift = biases == null ? 0f : biases.get(k);
                correlate(scratch, 1, 0, offsets, weights.array(), weights.base() + k * taps, shift, positions,
                        scratch, outAt);
                copyOut(scratch, outAt, layout.rowLength(), output, plane * outPlane, outWidth, outHeight, outWidth);
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
        // dy (oh, ow) lies at ((kH − 1)·dilationH + oh·strideH, (kW − 1)·dilationW + ow·strideW); dx (ih, iw)
        // reads it through tap (r, s) at (ih + padH + (kH − 1 − r)·dilationH, iw + padW + (kW − 1 − s)·dilationW).
        // Values that would lie past the last row or column reach no input pixel (only padding): dropped.
        int usefulWidth = width + shape.padW() + (kernelW - 1) * shape.dilationW();
        Layout layout = new Layout(1, 1, height + shape.padH() + (kernelH - 1) * shape.dilationH(), usefulWidth);
        int positions = height * usefulWidth;
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
        Operand output = Operand.of(dx);
        RowWork.forRows(shape.batch() * channels, inPlane * taps * multiplier, (part, from, to) -> {
            int outAt = multiplier * sourceFloats;
            float[] scratch = RowWork.partScratch(outAt + span(positions));
            Arrays.fill(scratch, 0, outAt, 0f);
            for (int plane = from; plane < to; plane++) {
                int c = plane % channels;
                for (int j = 0; j < multiplier; j++) {
                    long filterPlane = (long) plane / channels * shape.outChannels() + (long) c * multiplier + j;
                    spread(gradient, filterPlane * outPlane, shape, layout, usefulWidth, scratch, j * sourceFloats);
                }
                correlate(scratch, multiplier, sourceFloats, offsets, weights.array(),
                        weights.base() + c * multiplier * taps, 0f, positions, scratch, outAt);
                copyOut(scratch, outAt, usefulWidth, output, plane * inPlane, width, height, width);
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
        PlaneCopy planeCopy = PlaneCopy.of(shape, layout);
        int[] offsets = inputOffsets(shape, layout);
        int rowStep = layout.rowLength();
        Operand input = Operand.of(x);
        Operand gradientIn = Operand.of(dy);
        Operand gradient = Operand.of(dw);
        Operand biasGradient = dBias == null ? null : Operand.of(dBias);
        long inPlane = (long) shape.inHeight() * shape.inWidth();
        long outPlane = (long) outHeight * outWidth;
        int whole = outWidth - outWidth % V;
        VectorMask<Float> tail = S.indexInRange(whole, outWidth);
        RowWork.forRows(filters, shape.batch() * outPlane * taps, (part, from, to) -> {
            int dyBase = layout.floats();
            int rowAt = dyBase + outHeight * dyStride;
            float[] scratch = RowWork.partScratch(rowAt + shape.inWidth());
            // Zero once: the rows' tails past outWidth are never written, so they add nothing to the sums.
            Arrays.fill(scratch, 0, dyBase + outHeight * dyStride, 0f);
            double[] totals = new double[taps + 1];
            for (int k = from; k < to; k++) {
                Arrays.fill(totals, 0);
                for (int n = 0; n < shape.batch(); n++) {
                    pad(input, ((long) n * channels + k / multiplier) * inPlane, planeCopy, scratch, rowAt);
                    long filterPlane = ((long) n * filters + k) * outPlane;
                    copyIn(gradientIn, filterPlane, outWidth, scratch, dyBase, dyStride, outHeight, outWidth);
                    for (int t = 0; t < taps; t += TAPS_TOGETHER) {
                        tapSums(scratch, dyBase, dyStride, offsets, t, rowStep, outHeight, whole, tail, totals);
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

    /** The forward pass's input plane, padded, split by the strides' phases. */
    private static Layout inputLayout(Conv2dShape shape) {
        return new Layout(shape.strideH(), shape.strideW(), ceilDiv(shape.inHeight() + 2 * shape.padH(), shape.strideH()),
                ceilDiv(shape.inWidth() + 2 * shape.padW(), shape.strideW()));
    }

    /** Where tap (r, s) of output (0, 0) reads the padded input; output (oh, ow) adds oh·rowLength + ow. */
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

    /**
     * Copies the input plane starting at element {@code start} into the interior of the padded layout;
     * with a column stride, a row of a native segment goes through {@code rowAt} (inWidth floats of
     * scratch) first, so that splitting it by phase is a counted array loop.
     */
    private static void pad(Operand input, long start, PlaneCopy copy, float[] scratch, int rowAt) {
        int width = copy.width();
        int stride = copy.stride();
        int[] rowStarts = copy.rowStarts();
        if (copy.rowStep() > 0) {
            copyIn(input, start, width, scratch, rowStarts[0] + copy.phaseStarts()[0], copy.rowStep(), rowStarts.length,
                    width);
            return;
        }
        for (int ih = 0; ih < rowStarts.length; ih++) {
            long row = start + (long) ih * width;
            if (stride == 1) {
                copyIn(input, row, 0, scratch, rowStarts[ih] + copy.phaseStarts()[0], 0, 1, width);
                continue;
            }
            float[] from = scratch;
            int first = rowAt;
            if (input.onArray()) {
                from = input.array();
                first = input.base() + (int) row;
            } else {
                copyIn(input, row, 0, scratch, rowAt, 0, 1, width);
            }
            if (stride == 2) {
                int evens = copy.firstColumns()[0] == 0 ? 0 : 1;
                splitPairs(from, first, width, scratch, rowStarts[ih] + copy.phaseStarts()[evens],
                        rowStarts[ih] + copy.phaseStarts()[1 - evens]);
                continue;
            }
            for (int phase = 0; phase < stride; phase++) {
                int iw = first + copy.firstColumns()[phase];
                int at = rowStarts[ih] + copy.phaseStarts()[phase];
                int count = copy.counts()[phase];
                for (int i = 0; i < count; i++) {
                    scratch[at + i] = from[iw + i * stride];
                }
            }
        }
    }

    /**
     * Splits {@code length} floats from {@code at} between two column phases: those at even distances
     * from {@code at} to {@code evensTo} onward, the others to {@code oddsTo} onward. Two vectors at a
     * time through lane permutations: element by element, this split took 80% of a stride-2 pass.
     */
    private static void splitPairs(float[] from, int at, int length, float[] to, int evensTo, int oddsTo) {
        int block = 2 * V;
        if (length < block) {
            for (int i = 0; i < length; i++) {
                to[(i & 1) == 0 ? evensTo + i / 2 : oddsTo + i / 2] = from[at + i];
            }
            return;
        }
        for (int i = 0; i <= length - block; i += block) {
            splitBlock(from, at + i, to, evensTo + i / 2, oddsTo + i / 2);
        }
        int last = (length - block) & ~1;
        splitBlock(from, at + last, to, evensTo + last / 2, oddsTo + last / 2);
        if ((length & 1) == 1) {
            to[evensTo + length / 2] = from[at + length - 1];
        }
    }

    /** {@link #splitPairs} of one block of two vectors. */
    private static void splitBlock(float[] from, int at, float[] to, int evensTo, int oddsTo) {
        FloatVector low = FloatVector.fromArray(S, from, at).rearrange(EVENS_LOW);
        FloatVector high = FloatVector.fromArray(S, from, at + V).rearrange(ODDS_LOW);
        low.blend(high, HIGH_HALF).intoArray(to, evensTo);
        high.blend(low, HIGH_HALF).rearrange(SWAP_HALVES).intoArray(to, oddsTo);
    }

    /**
     * Writes {@code count} floats from {@code at} to every other position from {@code toAt}, zeros
     * between (and possibly one zero past the last): each vector of dy through two lane permutations
     * that leave the odd lanes zero. The positions between hold zeros already; a run that spills one
     * zero into the next row comes before that row's own values.
     */
    private static void spreadPairs(float[] from, int at, int count, float[] to, int toAt) {
        if (count < V) {
            for (int i = 0; i < count; i++) {
                to[toAt + 2 * i] = from[at + i];
            }
            return;
        }
        for (int i = 0; i < count - V; i += V) {
            spreadVector(from, at + i, to, toAt + 2 * i);
        }
        spreadVector(from, at + count - V, to, toAt + 2 * (count - V));
    }

    /** {@link #spreadPairs} of one vector. */
    private static void spreadVector(float[] from, int at, float[] to, int toAt) {
        FloatVector values = FloatVector.fromArray(S, from, at);
        values.rearrange(SPREAD_LOW, EVEN_LANES).intoArray(to, toAt);
        values.rearrange(SPREAD_HIGH, EVEN_LANES).intoArray(to, toAt + V);
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
        int firstRow = (shape.kernelHeight() - 1) * shape.dilationH();
        int rows = Math.min(shape.outHeight(), ceilDiv(layout.rows() - firstRow, shape.strideH()));
        int rowStep = shape.strideH() * layout.rowLength();
        int first = base + layout.at(firstRow, firstColumn);
        if (stride == 1) {
            copyIn(dy, start, shape.outWidth(), scratch, first, rowStep, rows, count);
            return;
        }
        for (int oh = 0; oh < rows; oh++) {
            long from = start + (long) oh * shape.outWidth();
            int to = first + oh * rowStep;
            if (stride == 2 && dy.onArray()) {
                spreadPairs(dy.array(), dy.base() + (int) from, count, scratch, to);
                continue;
            }
            for (int ow = 0; ow < count; ow++) {
                scratch[to + ow * stride] = dy.get(from + ow);
            }
        }
    }

    /**
     * {@code positions} outputs into {@code out} at {@code outAt} (rounded up to whole vectors): output
     * p = shift plus, over {@code sources} planes {@code sourceFloats} apart and the taps, weight
     * (source j, tap t) times the source at p + offsets[t]. Nine taps of one source (3×3 kernels, the
     * usual depthwise layer) in one loop with the weights in registers; other kernels tap by tap,
     * accumulating in {@code out} (on L1).
     */
    private static void correlate(float[] src, int sources, int sourceFloats, int[] offsets, float[] w, int wBase,
                                  float shift, int positions, float[] out, int outAt) {
        int span = span(positions);
        if (sources == 1 && offsets.length == 9) {
            correlate3x3(src, offsets, w, wBase, shift, span, out, outAt);
            return;
        }
        FloatVector bias = FloatVector.broadcast(S, shift);
        for (int p = 0; p < span; p += V) {
            bias.intoArray(out, outAt + p);
        }
        int taps = offsets.length;
        for (int j = 0; j < sources; j++) {
            for (int t = 0; t < taps; t++) {
                FloatVector tap = FloatVector.broadcast(S, w[wBase + j * taps + t]);
                int from = j * sourceFloats + offsets[t];
                for (int p = 0; p < span; p += V) {
                    FloatVector.fromArray(S, src, from + p).fma(tap, FloatVector.fromArray(S, out, outAt + p))
                            .intoArray(out, outAt + p);
                }
            }
        }
    }

    /** {@link #correlate} for one source and nine taps: two accumulators, so that the additions form two chains. */
    private static void correlate3x3(float[] src, int[] offsets, float[] w, int wBase, float shift, int span,
                                     float[] out, int outAt) {
        FloatVector w0 = FloatVector.broadcast(S, w[wBase]);
        FloatVector w1 = FloatVector.broadcast(S, w[wBase + 1]);
        FloatVector w2 = FloatVector.broadcast(S, w[wBase + 2]);
        FloatVector w3 = FloatVector.broadcast(S, w[wBase + 3]);
        FloatVector w4 = FloatVector.broadcast(S, w[wBase + 4]);
        FloatVector w5 = FloatVector.broadcast(S, w[wBase + 5]);
        FloatVector w6 = FloatVector.broadcast(S, w[wBase + 6]);
        FloatVector w7 = FloatVector.broadcast(S, w[wBase + 7]);
        FloatVector w8 = FloatVector.broadcast(S, w[wBase + 8]);
        FloatVector bias = FloatVector.broadcast(S, shift);
        int o0 = offsets[0];
        int o1 = offsets[1];
        int o2 = offsets[2];
        int o3 = offsets[3];
        int o4 = offsets[4];
        int o5 = offsets[5];
        int o6 = offsets[6];
        int o7 = offsets[7];
        int o8 = offsets[8];
        for (int p = 0; p < span; p += V) {
            FloatVector a = FloatVector.fromArray(S, src, p + o0).fma(w0, bias);
            FloatVector b = FloatVector.fromArray(S, src, p + o1).mul(w1);
            a = FloatVector.fromArray(S, src, p + o2).fma(w2, a);
            b = FloatVector.fromArray(S, src, p + o3).fma(w3, b);
            a = FloatVector.fromArray(S, src, p + o4).fma(w4, a);
            b = FloatVector.fromArray(S, src, p + o5).fma(w5, b);
            a = FloatVector.fromArray(S, src, p + o6).fma(w6, a);
            b = FloatVector.fromArray(S, src, p + o7).fma(w7, b);
            a = FloatVector.fromArray(S, src, p + o8).fma(w8, a);
            a.add(b).intoArray(out, outAt + p);
        }
    }

    /**
     * Adds to totals[first], totals[first + 1], totals[first + 2] the sums over the dy rows at
     * {@code dyBase} of dy times the padded input at those taps' offsets (past the last tap, the
     * sums are not kept): {@code whole} outputs a row in whole vectors, then those of {@code tail},
     * whose input is loaded under the mask, so that an input value no output reads (past the row's
     * outputs) cannot turn the zeros of dy's tail into NaN. Three taps and two accumulators each:
     * six chains of additions run together, and each dy vector is loaded once for three taps.
     */
    private static void tapSums(float[] s, int dyBase, int dyStride, int[] offsets, int first, int rowStep, int rows,
                                int whole, VectorMask<Float> tail, double[] totals) {
        int taps = offsets.length;
        int o0 = offsets[first];
        int o1 = offsets[Math.min(first + 1, taps - 1)];
        int o2 = offsets[Math.min(first + 2, taps - 1)];
        FloatVector p0 = FloatVector.zero(S);
        FloatVector q0 = p0;
        FloatVector p1 = p0;
        FloatVector q1 = p0;
        FloatVector p2 = p0;
        FloatVector q2 = p0;
        boolean partial = tail.anyTrue();
        for (int oh = 0; oh < rows; oh++) {
            int d = dyBase + oh * dyStride;
            int in = oh * rowStep;
            int v = 0;
            for (; v + 2 * V <= whole; v += 2 * V) {
                FloatVector even = FloatVector.fromArray(S, s, d + v);
                FloatVector odd = FloatVector.fromArray(S, s, d + v + V);
                p0 = even.fma(FloatVector.fromArray(S, s, in + o0 + v), p0);
                q0 = odd.fma(FloatVector.fromArray(S, s, in + o0 + v + V), q0);
                p1 = even.fma(FloatVector.fromArray(S, s, in + o1 + v), p1);
                q1 = odd.fma(FloatVector.fromArray(S, s, in + o1 + v + V), q1);
                p2 = even.fma(FloatVector.fromArray(S, s, in + o2 + v), p2);
                q2 = odd.fma(FloatVector.fromArray(S, s, in + o2 + v + V), q2);
            }
            if (v < whole) {
                FloatVector last = FloatVector.fromArray(S, s, d + v);
                p0 = last.fma(FloatVector.fromArray(S, s, in + o0 + v), p0);
                p1 = last.fma(FloatVector.fromArray(S, s, in + o1 + v), p1);
                p2 = last.fma(FloatVector.fromArray(S, s, in + o2 + v), p2);
                v += V;
            }
            if (partial) {
                FloatVector last = FloatVector.fromArray(S, s, d + v);
                q0 = last.fma(FloatVector.fromArray(S, s, in + o0 + v, tail), q0);
                q1 = last.fma(FloatVector.fromArray(S, s, in + o1 + v, tail), q1);
                q2 = last.fma(FloatVector.fromArray(S, s, in + o2 + v, tail), q2);
            }
        }
        totals[first] += p0.add(q0).reduceLanes(VectorOperators.ADD);
        if (first + 1 < taps) {
            totals[first + 1] += p1.add(q1).reduceLanes(VectorOperators.ADD);
        }
        if (first + 2 < taps) {
            totals[first + 2] += p2.add(q2).reduceLanes(VectorOperators.ADD);
        }
    }

    /**
     * Copies {@code rows} runs of {@code length} floats, {@code fromStride} apart from element
     * {@code index} of an operand, into scratch {@code toStride} apart from {@code at}.
     */
    private static void copyIn(Operand from, long index, int fromStride, float[] to, int at, int toStride, int rows,
                               int length) {
        if (from.onArray()) {
            copyRows(from.array(), from.base() + (int) index, fromStride, to, at, toStride, rows, length);
            return;
        }
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(from.segment(), FLOAT, (index + (long) r * fromStride) * Float.BYTES, to,
                    at + r * toStride, length);
        }
    }

    /** {@link #copyIn} the other way: runs of scratch to an operand. */
    private static void copyOut(float[] from, int at, int fromStride, Operand to, long index, int toStride, int rows,
                                int length) {
        if (to.onArray()) {
            copyRows(from, at, fromStride, to.array(), to.base() + (int) index, toStride, rows, length);
            return;
        }
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(from, at + r * fromStride, to.segment(), FLOAT,
                    (index + (long) r * toStride) * Float.BYTES, length);
        }
    }

    /**
     * Copies {@code rows} runs of {@code length} floats (a plane's rows, tens of floats each) by
     * vectors: under a mask when shorter than one, else with the last vector overlapping the one
     * before instead of a scalar tail. The indices are linear in the row, so that C2 checks their
     * range once per call rather than per vector: per-row copies with their own checks cost as much
     * as a 14×14 plane's arithmetic.
     */
    private static void copyRows(float[] from, int at, int fromStride, float[] to, int toAt, int toStride, int rows,
                                 int length) {
        if (length < V) {
            VectorMask<Float> run = S.indexInRange(0, length);
            for (int r = 0; r < rows; r++) {
                FloatVector.fromArray(S, from, at + r * fromStride, run).intoArray(to, toAt + r * toStride, run);
            }
        } else if (length <= 2 * V) {
            int last = length - V;
            for (int r = 0; r < rows; r++) {
                FloatVector head = FloatVector.fromArray(S, from, at + r * fromStride);
                FloatVector tail = FloatVector.fromArray(S, from, at + r * fromStride + last);
                head.intoArray(to, toAt + r * toStride);
                tail.intoArray(to, toAt + r * toStride + last);
            }
        } else {
            for (int r = 0; r < rows; r++) {
                int source = at + r * fromStride;
                int target = toAt + r * toStride;
                for (int i = 0; i < length - V; i += V) {
                    FloatVector.fromArray(S, from, source + i).intoArray(to, target + i);
                }
                FloatVector.fromArray(S, from, source + length - V).intoArray(to, target + length - V);
            }
        }
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

    /** {@code positions} rounded up to whole vectors. */
    private static int span(int positions) {
        return ceilDiv(positions, V) * V;
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }
}
