package org.isthmus.kernels.vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;
import org.isthmus.kernels.Parallelism;

/**
 * Stride-1 convolution swept over whole output planes, for the layers {@link DirectConvolution}'s
 * 4-filter GEMM tile serves badly: few taps (a first layer, C·kH·kW = 9: 9 FMAs a stored output,
 * so the output write and the loads per FMA bound it, not a GEMM's reuse) or few filters (its
 * backward-data pass, whose "filters" are the image's 1–3 channels, when {@link TapPlaneConvolution}
 * does not take it: few channels, or outputs narrower or wider than the input).
 *
 * <p>Each image is copied once into kW <em>crops</em>: crop s holds, for every channel, the
 * zero-padded input's columns [s·dilW, s·dilW + OW), rows of OW floats. An output plane, OH·OW
 * floats, is then one flat row q, and tap (c, r, s) reads crop s at q + c·plane + r·dilH·OW: the
 * same flat index plus a fixed offset, for any padding and dilation. The kernels run over q with
 * whole vectors and loop-invariant offsets (bounds checks hoisted, no masks, no wasted columns),
 * a block of taps at a time, adding into the output plane, which stays in L1 between blocks:
 * 2 filters × 3 taps (each loaded input feeds 2 FMAs) or 1 filter × 9 taps (in chains of 3).
 * Each FMA chain is as short as a block, so the FMA latency is hidden without many registers.
 * Images are cropped a chunk of channels at a time, so that the crops stay in L1 when there are
 * many.
 *
 * <p>The weight gradient works on the same crops: dw[k][tap] = Σ_q dy[k][q]·crop[q + offset(tap)],
 * a dot product with dy read in place; 4 filters × 3 taps of vector partial sums per image, added
 * into the part's partials, whose lanes and parts are summed in a fixed order at the end.
 */
final class RowConvolution {

    private static final VectorSpecies<Float> S = Species.FLOAT;
    private static final int V = S.length();
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /**
     * Most taps (C·kH·kW) for which the forward pass and the weight gradient take this path: the
     * 4-filter tile reuses each loaded input 4 times and each weight 3 times, which pays for its
     * panel gathering and copy-out once every output sums enough taps. Measured at 9 taps (this
     * path) and 288 (the tile); 32, which keeps RGB first layers (27 taps) here, is a guess.
     */
    static final int MAX_TAPS = 32;
    /** Filters of one unit of work: an image's filters are split into blocks so that two threads share a small batch. */
    private static final int FILTER_BLOCK = 8;
    /** Taps per pass of the 2-filter kernel (6 weights in registers) and of the 1-filter kernel. */
    private static final int PAIR_TAPS = 3;
    private static final int SINGLE_TAPS = 9;
    /** Floats of one chunk of crops (24 KiB), so that the kernels read them from L1. */
    private static final int CROP_FLOATS = 6 * 1024;
    /** Gradient kernel block: filters × taps of vector partial sums. */
    private static final int GRADIENT_FILTERS = 4;
    private static final int GRADIENT_TAPS = 3;
    /** Taps, rounded up to whole blocks, of the layers whose gradient takes {@link #skewedGradient}. */
    private static final int SKEWED_TAPS = 3 * GRADIENT_TAPS;
    /** Parts per thread, claimed one by one, so that a late thread takes fewer. */
    private static final int PARTS_PER_THREAD = 4;

    private RowConvolution() {
    }

    /** Whether this path can run g (stride 1 being the caller's to check): a crop row must hold one vector. */
    static boolean suits(DirectConvolution.Geometry g) {
        return g.outWidth() >= V
                && (long) g.kernelW() * g.channels() * (g.height() + 2L * g.padH()) * g.outWidth() + V <= Integer.MAX_VALUE
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
     * out = conv(in, w) + bias: w holds {@code filters × taps} floats from {@code wBase} (OIHW),
     * bias {@code filters} floats (null: none).
     */
    static void run(DirectConvolution.Geometry g, MemorySegment in, float[] w, int wBase, float[] bias,
                    MemorySegment out, ConvolutionWorkspace workspace, int threads) {
        int kernelTaps = g.kernelH() * g.kernelW();
        // Channels per set of crops: the crops stay in L1 while the kernels sweep them.
        int chunk = (int) Math.max(1, Math.min(g.channels(), CROP_FLOATS / ((long) g.kernelW() * channelFloats(g))));
        Crops crops = new Crops(g, chunk);
        int blocks = Math.ceilDiv(g.filters(), FILTER_BLOCK);
        int units = g.batch() * blocks;
        int parts = threads == 1 ? 1 : Math.min(units, threads * PARTS_PER_THREAD);
        Operand input = Operand.of(in);
        Operand output = Operand.of(out);
        int outPlane = crops.outPlane;
        // Kernels add whole vectors into the output planes: y itself when it is a float[] holding
        // whole vectors a plane, else a buffer of the block's planes, copied out.
        boolean inPlace = output.onArray() && outPlane % V == 0;
        int roundedPlane = crops.paddedPlane();
        workspace.reserveRows(parts, crops.floats(), inPlace ? 0 : FILTER_BLOCK * roundedPlane, 0,
                input.onArray() ? 0 : crops.stagedFloats());
        Parallelism.run(parts, part -> {
            float[] cropped = workspace.gradientInput(part);
            Arrays.fill(cropped, 0, crops.floats(), 0f);
            float[] planes = inPlace ? output.array() : workspace.bandOutput(part);
            int croppedImage = -1;
            for (int unit = (int) ((long) part * units / parts); unit < (long) (part + 1) * units / parts; unit++) {
                int image = unit / blocks;
                int firstFilter = unit % blocks * FILTER_BLOCK;
                int lastFilter = Math.min(g.filters(), firstFilter + FILTER_BLOCK);
                long imageOut = (long) image * g.filters() * outPlane;
                for (int firstChannel = 0; firstChannel < g.channels(); firstChannel += chunk) {
                    // One chunk: the crops of the previous unit serve when it had the same image.
                    if (image != croppedImage || chunk < g.channels()) {
                        crops.fill(input, image, firstChannel, cropped, workspace.image(part));
                        croppedImage = image;
                    }
                    int taps = Math.min(chunk, g.channels() - firstChannel) * kernelTaps;
                    boolean first = firstChannel == 0;
                    for (int f = firstFilter; f < lastFilter; f += 2) {
                        int at0 = inPlace ? (int) (output.base() + imageOut + (long) f * outPlane)
                                : (f - firstFilter) * roundedPlane;
                        int at1 = inPlace ? at0 + outPlane : at0 + roundedPlane;
                        int w0 = wBase + f * g.taps() + firstChannel * kernelTaps;
                        float bias0 = bias == null ? 0f : bias[f];
                        if (f + 1 < lastFilter) {
                            pairPlanes(crops, taps, first, w, w0, w0 + g.taps(), bias0, bias == null ? 0f : bias[f + 1],
                                    cropped, planes, at0, at1);
                        } else {
                            singlePlane(crops, taps, first, w, w0, bias0, cropped, planes, at0);
                        }
                    }
                }
                if (!inPlace) {
                    Operand source = Operand.of(MemorySegment.ofArray(planes));
                    for (int f = firstFilter; f < lastFilter; f++) {
                        DirectConvolution.copy(source, (long) (f - firstFilter) * roundedPlane, output,
                                imageOut + (long) f * outPlane, outPlane);
                    }
                }
            }
        });
    }

    /**
     * Filters from w0 and w1 (their first tap of the chunk) over the output planes at at0 and at1:
     * the bias first when {@code first}, then the chunk's taps, 3 at a time.
     */
    private static void pairPlanes(Crops crops, int taps, boolean first, float[] w, int w0, int w1, float bias0,
                                   float bias1, float[] in, float[] out, int at0, int at1) {
        int[] offsets = crops.tapOffsets;
        int[] weights = crops.tapWeights;
        int length = crops.paddedPlane();
        if (first) {
            fill(out, at0, length, bias0);
            fill(out, at1, length, bias1);
        }
        int t = 0;
        for (; t + PAIR_TAPS <= taps; t += PAIR_TAPS) {
            pairKernel(length, in, offsets[t], offsets[t + 1], offsets[t + 2],
                    w[w0 + weights[t]], w[w0 + weights[t + 1]], w[w0 + weights[t + 2]],
                    w[w1 + weights[t]], w[w1 + weights[t + 1]], w[w1 + weights[t + 2]], out, at0, at1);
        }
        for (; t < taps; t++) {
            pairTapKernel(length, in, offsets[t], w[w0 + weights[t]], w[w1 + weights[t]], out, at0, at1);
        }
    }

    /** The filter from w0 over the output plane at at0: the bias first when {@code first}, then the chunk's taps, 9 at a time. */
    private static void singlePlane(Crops crops, int taps, boolean first, float[] w, int w0, float bias, float[] in,
                                    float[] out, int at0) {
        int[] offsets = crops.tapOffsets;
        int[] weights = crops.tapWeights;
        int length = crops.paddedPlane();
        if (first) {
            fill(out, at0, length, bias);
        }
        int t = 0;
        for (; t + SINGLE_TAPS <= taps; t += SINGLE_TAPS) {
            singleKernel(length, in, offsets, t, w, w0, weights, out, at0);
        }
        for (; t < taps; t++) {
            singleTapKernel(length, in, offsets[t], w[w0 + weights[t]], out, at0);
        }
    }

    private static void fill(float[] out, int at, int length, float value) {
        FloatVector v = FloatVector.broadcast(S, value);
        for (int q = 0; q < length; q += V) {
            v.intoArray(out, at + q);
        }
    }

    /** out0[q] += Σ of 3 taps of filter 0, out1[q] likewise, over {@code length} floats (whole vectors). */
    private static void pairKernel(int length, float[] in, int o0, int o1, int o2, float w00, float w01, float w02,
                                   float w10, float w11, float w12, float[] out, int at0, int at1) {
        FloatVector a00 = FloatVector.broadcast(S, w00), a01 = FloatVector.broadcast(S, w01),
                a02 = FloatVector.broadcast(S, w02);
        FloatVector a10 = FloatVector.broadcast(S, w10), a11 = FloatVector.broadcast(S, w11),
                a12 = FloatVector.broadcast(S, w12);
        for (int q = 0; q < length; q += V) {
            FloatVector x0 = FloatVector.fromArray(S, in, q + o0);
            FloatVector x1 = FloatVector.fromArray(S, in, q + o1);
            FloatVector x2 = FloatVector.fromArray(S, in, q + o2);
            a00.fma(x0, a01.fma(x1, a02.fma(x2, FloatVector.fromArray(S, out, at0 + q)))).intoArray(out, at0 + q);
            a10.fma(x0, a11.fma(x1, a12.fma(x2, FloatVector.fromArray(S, out, at1 + q)))).intoArray(out, at1 + q);
        }
    }

    private static void pairTapKernel(int length, float[] in, int o0, float w0, float w1, float[] out, int at0,
                                      int at1) {
        FloatVector a0 = FloatVector.broadcast(S, w0), a1 = FloatVector.broadcast(S, w1);
        for (int q = 0; q < length; q += V) {
            FloatVector x = FloatVector.fromArray(S, in, q + o0);
            a0.fma(x, FloatVector.fromArray(S, out, at0 + q)).intoArray(out, at0 + q);
            a1.fma(x, FloatVector.fromArray(S, out, at1 + q)).intoArray(out, at1 + q);
        }
    }

    /** out[q] += Σ of 9 taps, over {@code length} floats (whole vectors): three chains of 3, added. */
    private static void singleKernel(int length, float[] in, int[] offsets, int t, float[] w, int w0, int[] weights,
                                     float[] out, int at) {
        int o0 = offsets[t], o1 = offsets[t + 1], o2 = offsets[t + 2], o3 = offsets[t + 3], o4 = offsets[t + 4],
                o5 = offsets[t + 5], o6 = offsets[t + 6], o7 = offsets[t + 7], o8 = offsets[t + 8];
        FloatVector a0 = FloatVector.broadcast(S, w[w0 + weights[t]]);
        FloatVector a1 = FloatVector.broadcast(S, w[w0 + weights[t + 1]]);
        FloatVector a2 = FloatVector.broadcast(S, w[w0 + weights[t + 2]]);
        FloatVector a3 = FloatVector.broadcast(S, w[w0 + weights[t + 3]]);
        FloatVector a4 = FloatVector.broadcast(S, w[w0 + weights[t + 4]]);
        FloatVector a5 = FloatVector.broadcast(S, w[w0 + weights[t + 5]]);
        FloatVector a6 = FloatVector.broadcast(S, w[w0 + weights[t + 6]]);
        FloatVector a7 = FloatVector.broadcast(S, w[w0 + weights[t + 7]]);
        FloatVector a8 = FloatVector.broadcast(S, w[w0 + weights[t + 8]]);
        for (int q = 0; q < length; q += V) {
            FloatVector first = a0.fma(FloatVector.fromArray(S, in, q + o0),
                    a1.fma(FloatVector.fromArray(S, in, q + o1),
                            a2.fma(FloatVector.fromArray(S, in, q + o2), FloatVector.fromArray(S, out, at + q))));
            FloatVector second = a3.fma(FloatVector.fromArray(S, in, q + o3),
                    a4.fma(FloatVector.fromArray(S, in, q + o4), FloatVector.fromArray(S, in, q + o5).mul(a5)));
            FloatVector third = a6.fma(FloatVector.fromArray(S, in, q + o6),
                    a7.fma(FloatVector.fromArray(S, in, q + o7), FloatVector.fromArray(S, in, q + o8).mul(a8)));
            first.add(second.add(third)).intoArray(out, at + q);
        }
    }

    private static void singleTapKernel(int length, float[] in, int o0, float w0, float[] out, int at) {
        FloatVector a0 = FloatVector.broadcast(S, w0);
        for (int q = 0; q < length; q += V) {
            a0.fma(FloatVector.fromArray(S, in, q + o0), FloatVector.fromArray(S, out, at + q)).intoArray(out, at + q);
        }
    }

    /**
     * dw = Σ over images and positions of dy[k][q]·crop[q + offset(tap)] (OIHW), and dBias[k] = Σ dy[k]
     * when dBias is not null.
     */
    static void weightGradient(DirectConvolution.Geometry g, MemorySegment x, MemorySegment dy, MemorySegment dw,
                               MemorySegment dBias, ConvolutionWorkspace workspace, int threads) {
        Crops crops = new Crops(g, g.channels());
        int taps = crops.taps;
        int filters = g.filters();
        // Filters and taps rounded up to whole kernel blocks: the extra ones repeat the last, never read.
        int blockedFilters = Math.ceilDiv(filters, GRADIENT_FILTERS) * GRADIENT_FILTERS;
        int blockedTaps = Math.ceilDiv(taps, GRADIENT_TAPS) * GRADIENT_TAPS;
        // Three blocks of taps (7–9 taps: a 3×3 kernel on one channel) take the skewed schedule.
        boolean skewed = blockedTaps == SKEWED_TAPS;
        int[] skewedOffsets = new int[SKEWED_TAPS];
        for (int t = 0; skewed && t < SKEWED_TAPS; t++) {
            skewedOffsets[t] = crops.tapOffsets[Math.min(t, taps - 1)];
        }
        // After the partials and the bias sums, a slot that the skewed schedule's ramps add into.
        int rampSlot = blockedFilters * blockedTaps + filters;
        int partialFloats = (rampSlot + GRADIENT_TAPS) * V;
        int outPlane = crops.outPlane;
        int parts = threads == 1 ? 1 : Math.min(g.batch(), threads * PARTS_PER_THREAD);
        Operand input = Operand.of(x);
        Operand gradient = Operand.of(dy);
        int imageGradient = filters * outPlane;
        workspace.reserveRows(parts, crops.floats(), gradient.onArray() ? 0 : imageGradient, partialFloats,
                input.onArray() ? 0 : crops.stagedFloats());
        boolean withBias = dBias != null;
        Parallelism.run(parts, part -> {
            float[] cropped = workspace.gradientInput(part);
            float[] partial = workspace.partial(part);
            Arrays.fill(cropped, 0, crops.floats(), 0f);
            Arrays.fill(partial, 0, partialFloats, 0f);
            for (int image = (int) ((long) part * g.batch() / parts); image < (long) (part + 1) * g.batch() / parts; image++) {
                crops.fill(input, image, 0, cropped, workspace.image(part));
                // dy of the image, read in place when it is a float[], else staged into one.
                float[] rows;
                int base;
                if (gradient.onArray()) {
                    rows = gradient.array();
                    base = gradient.base() + image * imageGradient;
                } else {
                    rows = workspace.bandOutput(part);
                    base = 0;
                    MemorySegment.copy(gradient.segment(), FLOAT, (long) image * imageGradient * Float.BYTES, rows, 0,
                            imageGradient);
                }
                if (skewed) {
                    skewedGradient(filters, outPlane, rows, base, cropped, skewedOffsets, partial, rampSlot);
                } else {
                    blockedGradient(filters, taps, outPlane, rows, base, cropped, crops.tapOffsets, partial);
                }
                if (withBias) {
                    for (int f = 0; f < filters; f++) {
                        addSum(rows, base + f * outPlane, outPlane, partial, (blockedFilters * blockedTaps + f) * V);
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
        // Partials are kept in crop tap order (c, s, r); dw is OIHW.
        for (int f = 0; f < filters; f++) {
            for (int t = 0; t < taps; t++) {
                dw.setAtIndex(FLOAT, (long) f * taps + crops.tapWeights[t],
                        ArrayMath.sumLanes(FloatVector.fromArray(S, sum, (f * blockedTaps + t) * V)));
            }
            if (withBias) {
                dBias.setAtIndex(FLOAT, f,
                        ArrayMath.sumLanes(FloatVector.fromArray(S, sum, (blockedFilters * blockedTaps + f) * V)));
            }
        }
    }

    /** One channel of a crop: the padded input's rows, OW floats each. */
    private static int channelFloats(DirectConvolution.Geometry g) {
        return (g.height() + 2 * g.padH()) * g.outWidth();
    }

    /**
     * The crops of a chunk of {@code chunk} channels of one image and where each tap reads them.
     * Taps are ordered (c, s, r), so that a block of consecutive taps reads one crop at a few row
     * offsets (and a shorter last chunk's taps are a prefix); {@code tapWeights[t]} is tap t's
     * index in an OIHW filter from the chunk's first channel.
     */
    private static final class Crops {
        final DirectConvolution.Geometry g;
        final int chunk;
        final int taps;
        final int outPlane;
        final int[] tapOffsets;
        final int[] tapWeights;
        /** When OW = W: for crop s, which positions of a channel's input rows its copy keeps (null otherwise). */
        final boolean[][] columnsKept;

        Crops(DirectConvolution.Geometry g, int chunk) {
            this.g = g;
            this.chunk = chunk;
            taps = chunk * g.kernelH() * g.kernelW();
            outPlane = g.outHeight() * g.outWidth();
            tapOffsets = new int[taps];
            tapWeights = new int[taps];
            int t = 0;
            for (int c = 0; c < chunk; c++) {
                for (int s = 0; s < g.kernelW(); s++) {
                    for (int r = 0; r < g.kernelH(); r++, t++) {
                        tapOffsets[t] = s * cropFloats() + c * channelFloats(g) + r * g.dilationH() * g.outWidth();
                        tapWeights[t] = (c * g.kernelH() + r) * g.kernelW() + s;
                    }
                }
            }
            int width = g.width();
            columnsKept = g.outWidth() == width ? new boolean[g.kernelW()][g.height() * width] : null;
            for (int s = 0; columnsKept != null && s < g.kernelW(); s++) {
                int shift = s * g.dilationW() - g.padW();
                for (int i = 0; i < columnsKept[s].length; i++) {
                    int column = i % width + shift;
                    columnsKept[s][i] = column >= 0 && column < width;
                }
            }
        }

        int cropFloats() {
            return chunk * channelFloats(g);
        }

        /** The output plane rounded up to whole vectors. */
        int paddedPlane() {
            return Math.ceilDiv(outPlane, V) * V;
        }

        /** Floats of all crops, and slack for the rounded-up plane's last vector. */
        int floats() {
            return g.kernelW() * cropFloats() + V;
        }

        /** Floats of a chunk of a native input staged into a float[]. */
        int stagedFloats() {
            return chunk * g.height() * g.width();
        }

        /**
         * Copies channels [firstChannel, firstChannel + chunk) of image's input into the crops: crop
         * s, row h + padH, the columns where column + s·dilW − padW falls inside the input. The rest
         * stays zero from the part's first fill (a shorter last chunk leaves stale channels
         * behind, which its taps do not read). A native input is staged into {@code staging}
         * first, so that one loop over float[] rows does the copying.
         */
        void fill(Operand in, int image, int firstChannel, float[] cropped, float[] staging) {
            int channels = Math.min(chunk, g.channels() - firstChannel);
            int channelInput = g.height() * g.width();
            long firstFloat = ((long) image * g.channels() + firstChannel) * channelInput;
            float[] source;
            int base;
            if (in.onArray()) {
                source = in.array();
                base = (int) (in.base() + firstFloat);
            } else {
                source = staging;
                base = 0;
                MemorySegment.copy(in.segment(), FLOAT, firstFloat * Float.BYTES, staging, 0, channels * channelInput);
            }
            int outWidth = g.outWidth();
            int width = g.width();
            for (int s = 0; s < g.kernelW(); s++) {
                int shift = s * g.dilationW() - g.padW();
                int firstColumn = Math.max(0, -shift);
                int length = Math.min(outWidth, width - shift) - firstColumn;
                for (int c = 0; length > 0 && c < channels; c++) {
                    int from = base + c * channelInput;
                    int to = s * cropFloats() + c * channelFloats(g) + g.padH() * outWidth;
                    if (columnsKept != null && channelInput - Math.abs(shift) >= V) {
                        // Rows as wide as the input's: one flat copy shifted by `shift`, the columns
                        // it would fill from the neighbouring row masked to zero. Row by row, C2's
                        // set-up of loops of 3–4 vectors cost more than the copying.
                        int first = firstColumn;
                        int end = channelInput - Math.max(0, shift);
                        copyMasked(source, from + first + shift, cropped, to + first, columnsKept[s], first, end - first);
                    } else {
                        copyRows(source, from + firstColumn + shift, width, cropped, to + firstColumn, outWidth,
                                g.height(), length);
                    }
                }
            }
        }
    }

    /**
     * to[j] = keep[j] ? from[j] : 0 for {@code length} floats (at least one vector) from the given
     * starts: whole vectors, the last ending at the end (overlapping, rewriting the same values).
     */
    private static void copyMasked(float[] from, int fromAt, float[] to, int toAt, boolean[] keep, int keepAt,
                                   int length) {
        FloatVector zero = FloatVector.zero(S);
        int last = length - V;
        for (int j = 0; j < last; j += V) {
            zero.blend(FloatVector.fromArray(S, from, fromAt + j), VectorMask.fromArray(S, keep, keepAt + j))
                    .intoArray(to, toAt + j);
        }
        zero.blend(FloatVector.fromArray(S, from, fromAt + last), VectorMask.fromArray(S, keep, keepAt + last))
                .intoArray(to, toAt + last);
    }

    /**
     * {@code rows} rows of {@code length} floats, {@code fromStride} and {@code toStride} apart:
     * whole vectors, the last ending at the row's end (overlapping, rewriting the same values);
     * single floats below one vector.
     */
    private static void copyRows(float[] from, int fromAt, int fromStride, float[] to, int toAt, int toStride,
                                 int rows, int length) {
        int last = length - V;
        for (int h = 0; h < rows; h++, fromAt += fromStride, toAt += toStride) {
            if (last < 0) {
                System.arraycopy(from, fromAt, to, toAt, length);
                continue;
            }
            for (int j = 0; j < last; j += V) {
                FloatVector.fromArray(S, from, fromAt + j).intoArray(to, toAt + j);
            }
            FloatVector.fromArray(S, from, fromAt + last).intoArray(to, toAt + last);
        }
    }

    /**
     * partial[4 filters][3 taps] += Σ_q dy[row_f + q]·in[q + offset_t] over the {@code length}
     * positions of one plane (12 vector accumulators, 7 loads per 12 FMAs; positions past the last
     * whole vector added in scalar to lane 0), the partial's filter rows {@code stride} floats apart.
     */
    private static void gradientKernel(int length, float[] dy, int row0, int row1, int row2, int row3,
                                       float[] in, int offset0, int offset1, int offset2,
                                       float[] partial, int at, int stride) {
        FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s10 = s00, s11 = s00, s12 = s00,
                s20 = s00, s21 = s00, s22 = s00, s30 = s00, s31 = s00, s32 = s00;
        int bound = length - length % V;
        for (int q = 0; q < bound; q += V) {
            FloatVector x0 = FloatVector.fromArray(S, in, q + offset0);
            FloatVector x1 = FloatVector.fromArray(S, in, q + offset1);
            FloatVector x2 = FloatVector.fromArray(S, in, q + offset2);
            FloatVector d = FloatVector.fromArray(S, dy, row0 + q);
            s00 = d.fma(x0, s00);
            s01 = d.fma(x1, s01);
            s02 = d.fma(x2, s02);
            d = FloatVector.fromArray(S, dy, row1 + q);
            s10 = d.fma(x0, s10);
            s11 = d.fma(x1, s11);
            s12 = d.fma(x2, s12);
            d = FloatVector.fromArray(S, dy, row2 + q);
            s20 = d.fma(x0, s20);
            s21 = d.fma(x1, s21);
            s22 = d.fma(x2, s22);
            d = FloatVector.fromArray(S, dy, row3 + q);
            s30 = d.fma(x0, s30);
            s31 = d.fma(x1, s31);
            s32 = d.fma(x2, s32);
        }
        // Merged here, not in a helper: a vector passed to a call C2 does not inline is boxed.
        FloatVector.fromArray(S, partial, at).add(s00).intoArray(partial, at);
        FloatVector.fromArray(S, partial, at + V).add(s01).intoArray(partial, at + V);
        FloatVector.fromArray(S, partial, at + 2 * V).add(s02).intoArray(partial, at + 2 * V);
        int at1 = at + stride;
        FloatVector.fromArray(S, partial, at1).add(s10).intoArray(partial, at1);
        FloatVector.fromArray(S, partial, at1 + V).add(s11).intoArray(partial, at1 + V);
        FloatVector.fromArray(S, partial, at1 + 2 * V).add(s12).intoArray(partial, at1 + 2 * V);
        int at2 = at + 2 * stride;
        FloatVector.fromArray(S, partial, at2).add(s20).intoArray(partial, at2);
        FloatVector.fromArray(S, partial, at2 + V).add(s21).intoArray(partial, at2 + V);
        FloatVector.fromArray(S, partial, at2 + 2 * V).add(s22).intoArray(partial, at2 + 2 * V);
        int at3 = at + 3 * stride;
        FloatVector.fromArray(S, partial, at3).add(s30).intoArray(partial, at3);
        FloatVector.fromArray(S, partial, at3 + V).add(s31).intoArray(partial, at3 + V);
        FloatVector.fromArray(S, partial, at3 + 2 * V).add(s32).intoArray(partial, at3 + 2 * V);
        if (bound < length) {
            int[] rows = {row0, row1, row2, row3};
            int[] offsets = {offset0, offset1, offset2};
            for (int f = 0; f < GRADIENT_FILTERS; f++) {
                for (int t = 0; t < GRADIENT_TAPS; t++) {
                    float tail = 0f;
                    for (int q = bound; q < length; q++) {
                        tail += dy[rows[f] + q] * in[q + offsets[t]];
                    }
                    partial[at + f * stride + t * V] += tail;
                }
            }
        }
    }

    /**
     * The gradient of one image in blocks of {@value #GRADIENT_FILTERS} filters × {@value #GRADIENT_TAPS}
     * taps; filters and taps past the last repeat it (their partials are never read).
     */
    private static void blockedGradient(int filters, int taps, int outPlane, float[] rows, int base, float[] in,
                                        int[] tapOffsets, float[] partial) {
        int blockedFilters = Math.ceilDiv(filters, GRADIENT_FILTERS) * GRADIENT_FILTERS;
        int blockedTaps = Math.ceilDiv(taps, GRADIENT_TAPS) * GRADIENT_TAPS;
        for (int f = 0; f < blockedFilters; f += GRADIENT_FILTERS) {
            int row0 = base + Math.min(f, filters - 1) * outPlane;
            int row1 = base + Math.min(f + 1, filters - 1) * outPlane;
            int row2 = base + Math.min(f + 2, filters - 1) * outPlane;
            int row3 = base + Math.min(f + 3, filters - 1) * outPlane;
            for (int t = 0; t < blockedTaps; t += GRADIENT_TAPS) {
                gradientKernel(outPlane, rows, row0, row1, row2, row3, in, tapOffsets[Math.min(t, taps - 1)],
                        tapOffsets[Math.min(t + 1, taps - 1)], tapOffsets[Math.min(t + 2, taps - 1)], partial,
                        (f * blockedTaps + t) * V, blockedTaps * V);
            }
        }
    }

    /**
     * The gradient of one image with three blocks of taps, skewed: step s runs filter s on tap
     * block 0 (its dy row comes from memory) together with filters s − 1 and s − 2 on tap blocks 1
     * and 2 (their rows are in L1), so that each step's loads from memory overlap two filters'
     * worth of work from cache. Measured 0.73–0.80 of the time of the 4-filter blocks, which read a
     * block's rows from memory during one pass in three. Filters outside [0, filters) at the ramps
     * read row 0 and add into {@code rampSlot}, which is never read.
     */
    private static void skewedGradient(int filters, int outPlane, float[] rows, int base, float[] in, int[] offsets,
                                       float[] partial, int rampSlot) {
        for (int step = 0; step < filters + 2; step++) {
            int a = step;
            int b = step - 1;
            int c = step - 2;
            boolean hasA = a < filters;
            boolean hasB = b >= 0 && b < filters;
            boolean hasC = c >= 0;
            skewedKernel(outPlane, rows, base + (hasA ? a : 0) * outPlane, base + (hasB ? b : 0) * outPlane,
                    base + (hasC ? c : 0) * outPlane, in, offsets, partial,
                    (hasA ? a * SKEWED_TAPS : rampSlot) * V,
                    (hasB ? b * SKEWED_TAPS + GRADIENT_TAPS : rampSlot) * V,
                    (hasC ? c * SKEWED_TAPS + 2 * GRADIENT_TAPS : rampSlot) * V);
        }
    }

    /**
     * Three filters at three stages: partial[filter a][taps 0–2] += Σ_q dy[rowA + q]·in[q + offset_t],
     * filter b with taps 3–5, filter c with taps 6–8 (9 accumulators, 3 + 9 loads per 9 FMAs; positions
     * past the last whole vector added in scalar to lane 0). Only row a is new to the cache: its loads
     * from memory are spread over three filters' work instead of one's.
     */
    private static void skewedKernel(int length, float[] dy, int rowA, int rowB, int rowC, float[] in, int[] offsets,
                                     float[] partial, int atA, int atB, int atC) {
        int o0 = offsets[0], o1 = offsets[1], o2 = offsets[2], o3 = offsets[3], o4 = offsets[4], o5 = offsets[5],
                o6 = offsets[6], o7 = offsets[7], o8 = offsets[8];
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, b0 = a0, b1 = a0, b2 = a0, c0 = a0, c1 = a0, c2 = a0;
        int bound = length - length % V;
        for (int q = 0; q < bound; q += V) {
            FloatVector d = FloatVector.fromArray(S, dy, rowA + q);
            a0 = d.fma(FloatVector.fromArray(S, in, q + o0), a0);
            a1 = d.fma(FloatVector.fromArray(S, in, q + o1), a1);
            a2 = d.fma(FloatVector.fromArray(S, in, q + o2), a2);
            d = FloatVector.fromArray(S, dy, rowB + q);
            b0 = d.fma(FloatVector.fromArray(S, in, q + o3), b0);
            b1 = d.fma(FloatVector.fromArray(S, in, q + o4), b1);
            b2 = d.fma(FloatVector.fromArray(S, in, q + o5), b2);
            d = FloatVector.fromArray(S, dy, rowC + q);
            c0 = d.fma(FloatVector.fromArray(S, in, q + o6), c0);
            c1 = d.fma(FloatVector.fromArray(S, in, q + o7), c1);
            c2 = d.fma(FloatVector.fromArray(S, in, q + o8), c2);
        }
        // Merged here, not in a helper: a vector passed to a call C2 does not inline is boxed.
        FloatVector.fromArray(S, partial, atA).add(a0).intoArray(partial, atA);
        FloatVector.fromArray(S, partial, atA + V).add(a1).intoArray(partial, atA + V);
        FloatVector.fromArray(S, partial, atA + 2 * V).add(a2).intoArray(partial, atA + 2 * V);
        FloatVector.fromArray(S, partial, atB).add(b0).intoArray(partial, atB);
        FloatVector.fromArray(S, partial, atB + V).add(b1).intoArray(partial, atB + V);
        FloatVector.fromArray(S, partial, atB + 2 * V).add(b2).intoArray(partial, atB + 2 * V);
        FloatVector.fromArray(S, partial, atC).add(c0).intoArray(partial, atC);
        FloatVector.fromArray(S, partial, atC + V).add(c1).intoArray(partial, atC + V);
        FloatVector.fromArray(S, partial, atC + 2 * V).add(c2).intoArray(partial, atC + 2 * V);
        if (bound < length) {
            int[] rows = {rowA, rowB, rowC};
            int[] at = {atA, atB, atC};
            for (int f = 0; f < 3; f++) {
                for (int t = 0; t < GRADIENT_TAPS; t++) {
                    float tail = 0f;
                    for (int q = bound; q < length; q++) {
                        tail += dy[rows[f] + q] * in[q + offsets[f * GRADIENT_TAPS + t]];
                    }
                    partial[at[f] + t * V] += tail;
                }
            }
        }
    }

    /** partial[at..at+V) += the lane sums of {@code length} floats of rows from {@code from} (the tail in lane 0). */
    private static void addSum(float[] rows, int from, int length, float[] partial, int at) {
        FloatVector sum0 = FloatVector.zero(S);
        FloatVector sum1 = FloatVector.zero(S);
        int q = 0;
        for (; q + 2 * V <= length; q += 2 * V) {
            sum0 = sum0.add(FloatVector.fromArray(S, rows, from + q));
            sum1 = sum1.add(FloatVector.fromArray(S, rows, from + q + V));
        }
        if (q + V <= length) {
            sum0 = sum0.add(FloatVector.fromArray(S, rows, from + q));
            q += V;
        }
        FloatVector.fromArray(S, partial, at).add(sum0.add(sum1)).intoArray(partial, at);
        for (; q < length; q++) {
            partial[at] += rows[from + q];
        }
    }
}
