package org.isthmus.kernels.vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.isthmus.kernels.Conv2dShape;
import org.isthmus.kernels.ConvolutionKernels;
import org.isthmus.kernels.Parallelism;
import org.isthmus.kernels.Segments;

/**
 * Convolution on the Vector API. Stride 1 (the usual 3×3 layers) runs {@link DirectConvolution}
 * for every pass: no im2col matrix, the padded input is the GEMM's B operand (backward data as
 * a convolution of dy with the flipped weights; the weight gradient only from
 * {@link #MIN_GRADIENT_TAPS} taps). 3×3 kernels with enough channels and filters run forward and
 * backward data by Winograd's F(2×2, 3×3) instead ({@link WinogradConvolution}: 16
 * multiply-adds per 2×2 outputs instead of 36). Layers with few filters over many channels and
 * outputs as wide as the input (a first layer's backward-data pass) run {@link TapPlaneConvolution}:
 * a GEMM over the channels into one plane per tap, then shifted sums. Other layers with few taps
 * (a first layer's C·3·3) or few filters run {@link RowConvolution}, whose kernels sweep output
 * rows and store straight into the output. Strided convolutions and the remaining cases build im2col
 * bands ({@link Im2col}) and call {@link VectorGemm#sgemm} per band of one image: the output of
 * one image is a K × OH·OW matrix in NCHW, so a GEMM over several images would need a transpose
 * after it. Images are spread over the threads; sgemm may split its own product further when
 * one image is large. Depthwise convolutions (groups = channels) run {@link DepthwiseConvolution};
 * other grouped ones run each group through these paths ({@link GroupedConvolution}).
 */
final class VectorConvolution implements ConvolutionKernels {

    private static final VectorSpecies<Float> S = Species.FLOAT;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Floats of one im2col band: 1 MiB, so that sgemm packs it from L2/L3 and parts do not crowd memory. */
    private static final int COLUMN_BAND_FLOATS = 1 << 18;
    /** Below this many multiply-adds per thread, a second thread costs more than it saves (as for sgemm). */
    private static final long MIN_WORK_PER_THREAD = 1L << 21;
    /**
     * Fewest taps (C·kH·kW) for the direct weight gradient: it packs dyᵀ (a transposing copy, about
     * 0.4 ns a float) for every band, which only this many taps per packed float repay.
     */
    private static final int MIN_GRADIENT_TAPS = 64;
    /** Images per thread, claimed one part at a time. */
    private static final int PARTS_PER_THREAD = 4;

    @Override
    public void conv2d(Conv2dShape shape, int groups, MemorySegment x, MemorySegment w, MemorySegment bias,
                       MemorySegment y) {
        if (groups == 1) {
            denseForward(shape, x, w, bias, y);
        } else if (groups == shape.inChannels()) {
            DepthwiseConvolution.forward(shape, x, w, bias, y);
        } else {
            GroupedConvolution.forward(this, shape, groups, x, w, bias, y);
        }
    }

    @Override
    public void conv2dBackwardData(Conv2dShape shape, int groups, MemorySegment dy, MemorySegment w, MemorySegment dx) {
        if (groups == 1) {
            denseBackwardData(shape, dy, w, dx);
        } else if (groups == shape.inChannels()) {
            DepthwiseConvolution.backwardData(shape, dy, w, dx);
        } else {
            GroupedConvolution.backwardData(this, shape, groups, dy, w, dx);
        }
    }

    @Override
    public void conv2dBackwardWeights(Conv2dShape shape, int groups, MemorySegment x, MemorySegment dy,
                                      MemorySegment dw, MemorySegment dBias) {
        if (groups == 1) {
            denseBackwardWeights(shape, x, dy, dw, dBias);
        } else if (groups == shape.inChannels()) {
            DepthwiseConvolution.backwardWeights(shape, x, dy, dw, dBias);
        } else {
            GroupedConvolution.backwardWeights(this, shape, groups, x, dy, dw, dBias);
        }
    }

    private static void denseForward(Conv2dShape shape, MemorySegment x, MemorySegment w, MemorySegment bias,
                                     MemorySegment y) {
        int threads = threads(shape, x, w, y, bias);
        ConvolutionWorkspace workspace = ConvolutionWorkspace.acquire();
        try {
            DirectConvolution.Geometry direct = forwardGeometry(shape);
            boolean strideOne = shape.strideH() == 1 && shape.strideW() == 1;
            boolean tapPlanes = strideOne && TapPlaneConvolution.serves(direct);
            if (tapPlanes || strideOne && RowConvolution.serves(direct)) {
                // Both read the weights (OIHW) and the bias from float[]s.
                float[] arrayBias = null;
                if (bias != null) {
                    arrayBias = workspace.bias(shape.outChannels());
                    MemorySegment.copy(bias, FLOAT, 0, arrayBias, 0, shape.outChannels());
                }
                Operand weights = Operand.of(w);
                float[] oihw = weights.onArray() ? weights.array() : copyOfWeights(shape, w, workspace);
                int wBase = weights.onArray() ? weights.base() : 0;
                if (tapPlanes) {
                    TapPlaneConvolution.run(direct, x, oihw, wBase, arrayBias, y, workspace, threads);
                } else {
                    RowConvolution.run(direct, x, oihw, wBase, arrayBias, y, workspace, threads);
                }
            } else if (strideOne && WinogradConvolution.serves(direct)) {
                float[] winogradBias = null;
                if (bias != null) {
                    winogradBias = workspace.bias(shape.outChannels());
                    MemorySegment.copy(bias, FLOAT, 0, winogradBias, 0, shape.outChannels());
                }
                WinogradConvolution.run(direct, x, w, false, winogradBias, y, workspace, threads);
            } else if (strideOne && DirectConvolution.suits(direct)) {
                MemorySegment packed = packWeights(direct, w, false, workspace);
                float[] paddedBias = workspace.bias(direct.paddedFilters());
                if (bias != null) {
                    MemorySegment.copy(bias, FLOAT, 0, paddedBias, 0, shape.outChannels());
                }
                DirectConvolution.run(direct, x, packed, paddedBias, y, workspace, threads);
            } else {
                forwardByGemm(shape, x, w, bias, y, workspace, threads);
            }
        } finally {
            workspace.release();
        }
    }

    private static void denseBackwardData(Conv2dShape shape, MemorySegment dy, MemorySegment w, MemorySegment dx) {
        int threads = threads(shape, dy, w, dx);
        ConvolutionWorkspace workspace = ConvolutionWorkspace.acquire();
        try {
            // With stride 1, dx = dy convolved with the flipped, transposed weights under padding
            // dilation·(kernel − 1) − pad, which must not be negative.
            int padH = shape.dilationH() * (shape.kernelHeight() - 1) - shape.padH();
            int padW = shape.dilationW() * (shape.kernelWidth() - 1) - shape.padW();
            DirectConvolution.Geometry transposed = padH < 0 || padW < 0 ? null
                    : new DirectConvolution.Geometry(shape.batch(), shape.outChannels(), shape.outHeight(),
                    shape.outWidth(), shape.inChannels(), shape.kernelHeight(), shape.kernelWidth(), padH, padW,
                    shape.dilationH(), shape.dilationW());
            boolean strideOne = shape.strideH() == 1 && shape.strideW() == 1;
            if (strideOne && transposed != null && TapPlaneConvolution.serves(transposed)) {
                TapPlaneConvolution.run(transposed, dy, flippedWeights(shape, w, workspace), 0, null, dx, workspace,
                        threads);
            } else if (strideOne && transposed != null && RowConvolution.serves(transposed)) {
                RowConvolution.run(transposed, dy, flippedWeights(shape, w, workspace), 0, null, dx, workspace, threads);
            } else if (strideOne && transposed != null && WinogradConvolution.serves(transposed)) {
                WinogradConvolution.run(transposed, dy, w, true, null, dx, workspace, threads);
            } else if (strideOne && transposed != null && DirectConvolution.suits(transposed)) {
                MemorySegment packed = packWeights(transposed, w, true, workspace);
                DirectConvolution.run(transposed, dy, packed, workspace.bias(transposed.paddedFilters()), dx,
                        workspace, threads);
            } else {
                backwardDataByGemm(shape, dy, w, dx, workspace, threads);
            }
        } finally {
            workspace.release();
        }
    }

    private static void denseBackwardWeights(Conv2dShape shape, MemorySegment x, MemorySegment dy, MemorySegment dw,
                                             MemorySegment dBias) {
        int threads = threads(shape, x, dy, dw, dBias);
        ConvolutionWorkspace workspace = ConvolutionWorkspace.acquire();
        boolean biasSummed = false;
        try {
            DirectConvolution.Geometry direct = forwardGeometry(shape);
            boolean strideOne = shape.strideH() == 1 && shape.strideW() == 1;
            if (strideOne && RowConvolution.suits(direct) && direct.taps() <= RowConvolution.MAX_TAPS) {
                // Sums dBias from the dy rows it copies anyway: a second pass over dy would cost as much again.
                RowConvolution.weightGradient(direct, x, dy, dw, dBias, workspace, threads);
                biasSummed = true;
            } else if (strideOne && DirectConvolution.suits(direct) && direct.taps() >= MIN_GRADIENT_TAPS) {
                DirectConvolution.weightGradient(direct, x, dy, dw, workspace, threads);
            } else {
                backwardWeightsByGemm(shape, x, dy, dw, workspace, threads);
            }
        } finally {
            workspace.release();
        }
        if (dBias != null && !biasSummed) {
            biasGradient(shape, dy, dBias, threads);
        }
    }

    /**
     * One thread per {@link #MIN_WORK_PER_THREAD} multiply-adds, up to the pool's size; one when a
     * segment is confined to the calling thread.
     */
    private static int threads(Conv2dShape shape, MemorySegment... segments) {
        for (MemorySegment segment : segments) {
            if (segment != null && !Segments.shareable(segment)) {
                return 1;
            }
        }
        long work = shape.outputSize() * shape.inChannels() * shape.kernelHeight() * shape.kernelWidth();
        return (int) Math.min(Parallelism.threads(), Math.max(1, work / MIN_WORK_PER_THREAD));
    }

    /** The geometry of the forward pass for {@link DirectConvolution} (which needs stride 1). */
    private static DirectConvolution.Geometry forwardGeometry(Conv2dShape shape) {
        return new DirectConvolution.Geometry(shape.batch(), shape.inChannels(), shape.inHeight(), shape.inWidth(),
                shape.outChannels(), shape.kernelHeight(), shape.kernelWidth(), shape.padH(), shape.padW(),
                shape.dilationH(), shape.dilationW());
    }

    /** w copied into a float[] (OIHW), for the kernels that read the weights from an array. */
    private static float[] copyOfWeights(Conv2dShape shape, MemorySegment w, ConvolutionWorkspace workspace) {
        float[] copy = workspace.weights((int) shape.weightSize());
        MemorySegment.copy(w, FLOAT, 0, copy, 0, (int) shape.weightSize());
        return copy;
    }

    /**
     * w transposed and flipped for the backward-data pass as a convolution ({@link RowConvolution}'s
     * layout, OIHW): filter c, tap (k, r, s) holds w[k][c][kH − 1 − r][kW − 1 − s].
     */
    private static float[] flippedWeights(Conv2dShape shape, MemorySegment w, ConvolutionWorkspace workspace) {
        int channels = shape.inChannels();
        int filters = shape.outChannels();
        int kernelTaps = shape.kernelHeight() * shape.kernelWidth();
        float[] flipped = workspace.weights((int) shape.weightSize());
        for (int k = 0; k < filters; k++) {
            for (int c = 0; c < channels; c++) {
                long from = ((long) k * channels + c) * kernelTaps;
                int to = (c * filters + k) * kernelTaps + kernelTaps - 1;
                for (int t = 0; t < kernelTaps; t++) {
                    flipped[to - t] = w.getAtIndex(FLOAT, from + t);
                }
            }
        }
        return flipped;
    }

    /**
     * The weights as {@link DirectConvolution#run} reads them: blocks of TILE_ROWS filters, tap by
     * tap, zero past the last filter. For the backward-data pass (flipped), filter k' and channel
     * c' of the geometry are channel and filter of w, and the taps run backwards.
     */
    private static MemorySegment packWeights(DirectConvolution.Geometry g, MemorySegment w, boolean flipped,
                                             ConvolutionWorkspace workspace) {
        int rows = DirectConvolution.TILE_ROWS;
        int taps = g.taps();
        int kernelTaps = g.kernelH() * g.kernelW();
        MemorySegment packed = workspace.packedWeights((long) g.paddedFilters() * taps);
        packed.asSlice(0, (long) g.paddedFilters() * taps * Float.BYTES).fill((byte) 0);
        Operand weights = Operand.of(w);
        for (int k = 0; k < g.filters(); k++) {
            long blockBase = (long) (k / rows) * taps * rows + k % rows;
            for (int c = 0; c < g.channels(); c++) {
                for (int t = 0; t < kernelTaps; t++) {
                    long from = flipped
                            ? ((long) c * g.filters() + k) * kernelTaps + (kernelTaps - 1 - t)
                            : ((long) k * g.channels() + c) * kernelTaps + t;
                    float value = weights.onArray() ? weights.array()[(int) (weights.base() + from)]
                            : w.getAtIndex(FLOAT, from);
                    packed.setAtIndex(FLOAT, blockBase + (long) (c * kernelTaps + t) * rows, value);
                }
            }
        }
        return packed;
    }

    /** y[n] = W · im2col(x[n]) + bias, band by band; images spread over the threads. */
    private static void forwardByGemm(Conv2dShape shape, MemorySegment x, MemorySegment w, MemorySegment bias,
                                      MemorySegment y, ConvolutionWorkspace workspace, int threads) {
        ColumnBands bands = new ColumnBands(shape);
        int parts = parts(shape.batch(), threads, PARTS_PER_THREAD);
        workspace.reserveColumns(parts, bands.floats(), imageFloatsToStage(x, shape), 0);
        Operand input = Operand.of(x);
        Operand output = Operand.of(y);
        int filters = shape.outChannels();
        int outPixels = shape.outHeight() * shape.outWidth();
        Parallelism.run(parts, part -> {
            MemorySegment col = MemorySegment.ofArray(workspace.columns(part));
            for (int n = first(part, parts, shape.batch()); n < first(part + 1, parts, shape.batch()); n++) {
                long image = (long) n * filters * outPixels;
                forEachColumnBand(shape, bands, input, workspace, part, n, (row, length) -> {
                    long yOffset = image + (long) row * shape.outWidth();
                    VectorGemm.sgemm(false, false, filters, length, bands.depth(), 1f, w, 0, bands.depth(),
                            col, 0, length, 0f, y, yOffset, outPixels);
                    if (bias != null) {
                        addBias(bias, filters, output, yOffset, outPixels, length);
                    }
                });
            }
        });
    }

    /** dx[n] = col2im(Wᵀ · dy[n]), band by band; images spread over the threads. */
    private static void backwardDataByGemm(Conv2dShape shape, MemorySegment dy, MemorySegment w, MemorySegment dx,
                                           ConvolutionWorkspace workspace, int threads) {
        ColumnBands bands = new ColumnBands(shape);
        int parts = parts(shape.batch(), threads, PARTS_PER_THREAD);
        int imageFloats = shape.inChannels() * shape.inHeight() * shape.inWidth();
        workspace.reserveColumns(parts, bands.floats(), imageFloats, 0);
        int filters = shape.outChannels();
        int outPixels = shape.outHeight() * shape.outWidth();
        Parallelism.run(parts, part -> {
            float[] col = workspace.columns(part);
            MemorySegment colSegment = MemorySegment.ofArray(col);
            float[] image = workspace.image(part);
            for (int n = first(part, parts, shape.batch()); n < first(part + 1, parts, shape.batch()); n++) {
                Arrays.fill(image, 0, imageFloats, 0f);
                for (int row = 0; row < shape.outHeight(); row += bands.rows()) {
                    int rows = Math.min(bands.rows(), shape.outHeight() - row);
                    int length = rows * shape.outWidth();
                    long dyOffset = (long) n * filters * outPixels + (long) row * shape.outWidth();
                    VectorGemm.sgemm(true, false, bands.depth(), length, filters, 1f, w, 0, bands.depth(),
                            dy, dyOffset, outPixels, 0f, colSegment, 0, length);
                    Im2col.scatterAdd(shape, col, row, rows, image);
                }
                MemorySegment.copy(image, 0, dx, FLOAT, (long) n * imageFloats * Float.BYTES, imageFloats);
            }
        });
    }

    /**
     * dw = Σ_n dy[n] · im2col(x[n])ᵀ: each part sums its images into a partial gradient
     * (K × C·kH·kW, small), then the partials are added.
     */
    private static void backwardWeightsByGemm(Conv2dShape shape, MemorySegment x, MemorySegment dy, MemorySegment dw,
                                              ConvolutionWorkspace workspace, int threads) {
        ColumnBands bands = new ColumnBands(shape);
        int parts = parts(shape.batch(), threads, 1);
        int weights = (int) shape.weightSize();
        workspace.reserveColumns(parts, bands.floats(), imageFloatsToStage(x, shape), weights);
        Operand input = Operand.of(x);
        int filters = shape.outChannels();
        int outPixels = shape.outHeight() * shape.outWidth();
        Parallelism.run(parts, part -> {
            MemorySegment col = MemorySegment.ofArray(workspace.columns(part));
            MemorySegment partial = MemorySegment.ofArray(workspace.partial(part));
            int firstImage = first(part, parts, shape.batch());
            for (int n = firstImage; n < first(part + 1, parts, shape.batch()); n++) {
                long image = (long) n * filters * outPixels;
                boolean overwrite = n == firstImage;
                forEachColumnBand(shape, bands, input, workspace, part, n, (row, length) -> {
                    long dyOffset = image + (long) row * shape.outWidth();
                    VectorGemm.sgemm(false, true, filters, bands.depth(), length, 1f, dy, dyOffset, outPixels,
                            col, 0, length, overwrite && row == 0 ? 0f : 1f, partial, 0, bands.depth());
                });
            }
        });
        float[] sum = workspace.partial(0);
        for (int p = 1; p < parts; p++) {
            float[] partial = workspace.partial(p);
            int i = 0;
            for (; i < S.loopBound(weights); i += S.length()) {
                FloatVector.fromArray(S, sum, i).add(FloatVector.fromArray(S, partial, i)).intoArray(sum, i);
            }
            for (; i < weights; i++) {
                sum[i] += partial[i];
            }
        }
        MemorySegment.copy(sum, 0, dw, FLOAT, 0, weights);
    }

    /** dBias[k] = Σ over images and pixels of dy[n, k]; filters spread over the threads. */
    private static void biasGradient(Conv2dShape shape, MemorySegment dy, MemorySegment dBias, int threads) {
        Operand gradient = Operand.of(dy);
        int filters = shape.outChannels();
        int outPixels = shape.outHeight() * shape.outWidth();
        int parts = parts(filters, (long) filters * outPixels * shape.batch() < 1 << 16 ? 1 : threads, 1);
        Parallelism.run(parts, part -> {
            for (int k = first(part, parts, filters); k < first(part + 1, parts, filters); k++) {
                float sum = 0f;
                for (int n = 0; n < shape.batch(); n++) {
                    sum += sum(gradient, ((long) n * filters + k) * outPixels, outPixels);
                }
                dBias.setAtIndex(FLOAT, k, sum);
            }
        });
    }

    /** Σ of {@code length} floats from {@code start}: two vector accumulators, then a scalar tail. */
    private static float sum(Operand values, long start, int length) {
        FloatVector sum0 = FloatVector.zero(S);
        FloatVector sum1 = FloatVector.zero(S);
        int step = 2 * S.length();
        int bound = length - length % step;
        int i = 0;
        float tail = 0f;
        if (values.onArray()) {
            float[] array = values.array();
            int at = (int) (values.base() + start);
            for (; i < bound; i += step) {
                sum0 = sum0.add(FloatVector.fromArray(S, array, at + i));
                sum1 = sum1.add(FloatVector.fromArray(S, array, at + i + S.length()));
            }
            for (; i < length; i++) {
                tail += array[at + i];
            }
        } else {
            MemorySegment segment = values.segment();
            for (; i < bound; i += step) {
                long at = (start + i) * Float.BYTES;
                sum0 = sum0.add(FloatVector.fromMemorySegment(S, segment, at, ORDER));
                sum1 = sum1.add(FloatVector.fromMemorySegment(S, segment, at + (long) S.length() * Float.BYTES, ORDER));
            }
            for (; i < length; i++) {
                tail += segment.getAtIndex(FLOAT, start + i);
            }
        }
        return ArrayMath.sumLanes(sum0.add(sum1)) + tail;
    }

    /** y[k, band] += bias[k] for the {@code length} outputs of the band of each filter. */
    private static void addBias(MemorySegment bias, int filters, Operand y, long yOffset, int ld, int length) {
        for (int k = 0; k < filters; k++) {
            float b = bias.getAtIndex(FLOAT, k);
            long row = yOffset + (long) k * ld;
            if (y.onArray()) {
                float[] array = y.array();
                int at = (int) (y.base() + row);
                for (int j = 0; j < length; j++) {
                    array[at + j] += b;
                }
            } else {
                MemorySegment segment = y.segment();
                for (int j = 0; j < length; j++) {
                    segment.setAtIndex(FLOAT, row + j, segment.getAtIndex(FLOAT, row + j) + b);
                }
            }
        }
    }

    /** What a GEMM path does with one im2col band in the part's columns: its first output row and its width. */
    private interface ColumnBandAction {
        void accept(int firstRow, int length);
    }

    /** Gathers each im2col band of image n into the part's columns, band after band, and hands it to action. */
    private static void forEachColumnBand(Conv2dShape shape, ColumnBands bands, Operand input,
                                          ConvolutionWorkspace workspace, int part, int n, ColumnBandAction action) {
        int imageBase = stage(input, shape, n, workspace.image(part));
        float[] image = input.onArray() ? input.array() : workspace.image(part);
        for (int row = 0; row < shape.outHeight(); row += bands.rows()) {
            int rows = Math.min(bands.rows(), shape.outHeight() - row);
            Im2col.gather(shape, image, imageBase, row, rows, workspace.columns(part));
            action.accept(row, rows * shape.outWidth());
        }
    }

    /**
     * Where image n starts in the float[] that {@link Im2col} reads: x's own array when x is on
     * the heap, else the part's staging buffer, into which the image is copied.
     */
    private static int stage(Operand x, Conv2dShape shape, int n, float[] staging) {
        int imageFloats = shape.inChannels() * shape.inHeight() * shape.inWidth();
        if (x.onArray()) {
            return x.base() + n * imageFloats;
        }
        MemorySegment.copy(x.segment(), FLOAT, (long) n * imageFloats * Float.BYTES, staging, 0, imageFloats);
        return 0;
    }

    private static int imageFloatsToStage(MemorySegment x, Conv2dShape shape) {
        return Operand.of(x).onArray() ? 0 : shape.inChannels() * shape.inHeight() * shape.inWidth();
    }

    /** Parts for {@code units} of work: one on one thread (no worker may touch confined memory), else up to perThread each. */
    private static int parts(int units, int threads, int perThread) {
        return threads == 1 ? 1 : Math.max(1, Math.min(units, threads * perThread));
    }

    /** The first unit of {@code part} when {@code units} are split evenly into {@code parts}. */
    private static int first(int part, int parts, int units) {
        return (int) ((long) part * units / parts);
    }

    /** How im2col bands cut one image: whole output rows, at most {@link #COLUMN_BAND_FLOATS} floats. */
    private record ColumnBands(int depth, int rows, int outWidth) {

        ColumnBands(Conv2dShape shape) {
            this(shape.inChannels() * shape.kernelHeight() * shape.kernelWidth(),
                    bandRows(shape), shape.outWidth());
        }

        private static int bandRows(Conv2dShape shape) {
            long rowFloats = (long) shape.inChannels() * shape.kernelHeight() * shape.kernelWidth() * shape.outWidth();
            return (int) Math.max(1, Math.min(shape.outHeight(), COLUMN_BAND_FLOATS / rowFloats));
        }

        int floats() {
            return Math.multiplyExact(depth, rows * outWidth);
        }
    }
}
