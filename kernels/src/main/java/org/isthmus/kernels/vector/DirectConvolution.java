package org.isthmus.kernels.vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.isthmus.kernels.Parallelism;

/**
 * Stride-1 convolution without an im2col matrix ("implicit GEMM"). Each band of an image's input
 * is copied, padded, into planes of {@code paddedWidth} floats a row: padW zeros, then the row, then
 * zeros up to paddedWidth = max(W + padW, outWidth). A row's right padding is the next row's left
 * padding: a tap reaching past the end of a row reads the next row's leading zeros, so the padding
 * is paid once a row, not twice (15 floats a row instead of 16 for 14-wide images: 6–10% fewer
 * positions). Output pixel (oh, ow) is then flat position q = oh·paddedWidth + ow, and tap (c, r, s)
 * reads the padded input at q + c·plane + r·dilH·paddedWidth + s·dilW. So
 * out[k][q] = Σ_taps w[k][tap]·in[q + offset(tap)]: a GEMM whose B operand is the padded input at a
 * fixed offset per tap. Positions past outWidth in a row are computed and dropped when the band
 * is copied out.
 *
 * <ul>
 * <li>{@link #run}: for each tile of {@link #TILE_WIDTH} positions the inputs of every tap are
 *     gathered into a contiguous panel, and {@link #microKernel} computes {@value #TILE_ROWS}
 *     filters × TILE_WIDTH positions from it. The forward pass runs it on x with w; the
 *     backward-data pass on dy with w transposed and flipped. Layers with few taps or fewer
 *     filters than a tile go to {@link RowConvolution} instead (this tile is left for them only
 *     when an output row is narrower than a vector).</li>
 * <li>{@link #weightGradient}: dwᵀ = in-at-tap-offsets · dyᵀ on sgemm's narrow micro-kernel.</li>
 * </ul>
 * Work is cut into bands of output rows of one image, spread over the threads.
 */
final class DirectConvolution {

    private static final VectorSpecies<Float> S = Species.FLOAT;
    private static final int V = S.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** Output channels per tile: 4 broadcasts and 3 loads feed 12 FMAs, like the sgemm kernel's 6 and 2. */
    static final int TILE_ROWS = 4;
    /** Output positions per tile: three vectors. */
    static final int TILE_WIDTH = 3 * V;
    /** Floats of one band's output buffer, TILE_ROWS-padded channels × positions: 64 KiB, within L2 beside the weights. */
    private static final int BAND_OUTPUT_FLOATS = 1 << 14;
    /** Taps gathered into one panel: 256 × TILE_WIDTH floats (24 KiB at V = 8) stay in L1. */
    static final int TAP_CHUNK = 256;
    /** Parts per thread, claimed one by one, so that a late thread takes fewer. */
    private static final int PARTS_PER_THREAD = 4;

    private DirectConvolution() {
    }

    /**
     * One stride-1 convolution: {@code batch} images of {@code channels × height × width}, padded,
     * against {@code filters} filters of {@code kernelH × kernelW} taps each.
     */
    record Geometry(int batch, int channels, int height, int width, int filters, int kernelH, int kernelW,
                    int padH, int padW, int dilationH, int dilationW) {

        int outHeight() {
            return height + 2 * padH - dilationH * (kernelH - 1);
        }

        int outWidth() {
            return width + 2 * padW - dilationW * (kernelW - 1);
        }

        /**
         * Floats a padded row: padW leading zeros and the row, and at least outWidth positions. A tap
         * reaches at most padW past the row's end (outWidth − 1 + dilW·(kW − 1) = W + 2·padW − 1), which is
         * the next row's leading zeros (or the zeroed slack after the band).
         */
        int paddedWidth() {
            return Math.max(width + padW, outWidth());
        }

        int taps() {
            return channels * kernelH * kernelW;
        }

        /** Filters rounded up to whole tiles. */
        int paddedFilters() {
            return Math.ceilDiv(filters, TILE_ROWS) * TILE_ROWS;
        }

        /** Output rows per band: the band's output buffer stays within {@link #BAND_OUTPUT_FLOATS}; bands are equal. */
        int bandRows() {
            int fit = Math.max(1, BAND_OUTPUT_FLOATS / (paddedFilters() * paddedWidth()));
            int bands = Math.ceilDiv(outHeight(), Math.min(fit, outHeight()));
            return Math.ceilDiv(outHeight(), bands);
        }

        int bands() {
            return Math.ceilDiv(outHeight(), bandRows());
        }

        /** Floats of one input plane of a band: its rows and the rows its taps reach below them. */
        long bandPlane() {
            return (long) (bandRows() + dilationH * (kernelH - 1)) * paddedWidth();
        }

        int bandTiles() {
            return Math.ceilDiv(bandRows() * paddedWidth(), TILE_WIDTH);
        }

        /** The farthest tap, in floats from the position it computes. */
        long lastTapOffset() {
            return (channels - 1) * bandPlane() + (long) dilationH * (kernelH - 1) * paddedWidth()
                    + (long) dilationW * (kernelW - 1);
        }

        /** Floats of a band's padded input: every tile's every tap stays inside. */
        long bandInputFloats() {
            return (long) bandTiles() * TILE_WIDTH + lastTapOffset();
        }

        long bandOutputFloats() {
            return (long) paddedFilters() * bandTiles() * TILE_WIDTH;
        }
    }

    /**
     * Whether a band's padded input can be addressed with int byte offsets (the taps' offsets are
     * kept in an int[]); every realistic layer can.
     */
    static boolean suits(Geometry g) {
        return g.bandInputFloats() * Float.BYTES <= Integer.MAX_VALUE && g.bandOutputFloats() * Float.BYTES <= Integer.MAX_VALUE;
    }

    /**
     * out = conv(in, packedWeights) + bias, with weights packed by the caller as
     * {@code paddedFilters/TILE_ROWS} blocks of {@code taps × TILE_ROWS} floats (tap order c, r, s),
     * and {@code bias} holding paddedFilters floats (zeros where there is no bias).
     */
    static void run(Geometry g, MemorySegment in, MemorySegment packedWeights, float[] bias, MemorySegment out,
                    ConvolutionWorkspace workspace, int threads) {
        int units = g.batch() * g.bands();
        int parts = threads == 1 ? 1 : Math.min(units, threads * PARTS_PER_THREAD);
        int[] tapOffsets = tapOffsets(g);
        workspace.reserveBands(parts, g.bandInputFloats(), g.bandOutputFloats(), (long) TAP_CHUNK * TILE_WIDTH);
        Parallelism.run(parts, part -> {
            int first = (int) ((long) part * units / parts);
            int last = (int) ((long) (part + 1) * units / parts);
            MemorySegment paddedInput = workspace.bandInput(part);
            float[] bandOutput = workspace.bandOutput(part);
            MemorySegment panel = workspace.panel(part);
            for (int unit = first; unit < last; unit++) {
                int image = unit / g.bands();
                int firstRow = unit % g.bands() * g.bandRows();
                int rows = Math.min(g.bandRows(), g.outHeight() - firstRow);
                padBand(g, in, image, firstRow, rows, paddedInput);
                computeBand(g, paddedInput, packedWeights, tapOffsets, bias, panel, bandOutput);
                copyOut(g, bandOutput, image, firstRow, rows, out);
            }
        });
    }

    /**
     * dw = Σ over images and positions of dy[k][q]·in[q + offset(tap)], the weight gradient of
     * the pass {@link #run} computes, dw laid out OIHW (filter, then tap). Per band this is a GEMM
     * dwᵀ (taps × filters) += A·B with A's row t the band's padded input from offset(t) (read in
     * place: every row is contiguous) and B = dyᵀ (positions × filters), packed: sgemm's narrow
     * micro-kernel runs it, each tile merged into the part's partial dwᵀ; the partials are
     * added at the end.
     */
    static void weightGradient(Geometry g, MemorySegment in, MemorySegment dy, MemorySegment dw,
                               ConvolutionWorkspace workspace, int threads) {
        int units = g.batch() * g.bands();
        int parts = threads == 1 ? 1 : Math.min(units, threads * PARTS_PER_THREAD);
        int[] tapOffsets = tapOffsets(g);
        int taps = g.taps();
        int nr = VectorGemm.NR;
        int mr = VectorGemm.MR;
        int slivers = Math.ceilDiv(g.filters(), nr);
        int ldc = slivers * nr;
        int positions = g.bandRows() * g.paddedWidth();
        workspace.reserveGradient(parts, Math.toIntExact(g.bandInputFloats()), Math.toIntExact(g.bandOutputFloats()),
                (long) positions * ldc, taps * ldc);
        Operand gradient = Operand.of(dy);
        Parallelism.run(parts, part -> {
            int first = (int) ((long) part * units / parts);
            int last = (int) ((long) (part + 1) * units / parts);
            float[] paddedInput = workspace.gradientInput(part);
            MemorySegment paddedSegment = MemorySegment.ofArray(paddedInput);
            float[] bandGradient = workspace.bandOutput(part);
            MemorySegment packed = workspace.packedGradient(part);
            MemorySegment tile = workspace.tile(part);
            float[] partial = workspace.partial(part);
            Arrays.fill(partial, 0, taps * ldc, 0f);
            Operand partialOperand = Operand.of(MemorySegment.ofArray(partial));
            int rowLength = g.bandTiles() * TILE_WIDTH;
            for (int unit = first; unit < last; unit++) {
                int image = unit / g.bands();
                int firstRow = unit % g.bands() * g.bandRows();
                int rows = Math.min(g.bandRows(), g.outHeight() - firstRow);
                int length = rows * g.paddedWidth();
                padBand(g, in, image, firstRow, rows, paddedSegment);
                copyIn(g, gradient, image, firstRow, rows, bandGradient);
                Operand bandOperand = Operand.of(MemorySegment.ofArray(bandGradient));
                for (int s = 0; s < slivers; s++) {
                    int width = Math.min(nr, g.filters() - s * nr);
                    GemmPacking.transposed(bandOperand, (long) s * nr * rowLength, rowLength, width, length, packed, 0, nr, 1f);
                    for (int t = 0; t < taps; t += mr) {
                        // Rows past the last tap repeat it: valid memory, never merged.
                        NarrowGemm.microKernel(length, paddedInput, row(tapOffsets, t, taps), row(tapOffsets, t + 1, taps),
                                row(tapOffsets, t + 2, taps), row(tapOffsets, t + 3, taps), row(tapOffsets, t + 4, taps),
                                row(tapOffsets, t + 5, taps), packed, 0, tile);
                        VectorGemm.mergeTile(tile, 0, Math.min(mr, taps - t), width, partialOperand, (long) t * ldc + s * nr, ldc, 1f);
                    }
                }
            }
        });
        float[] sum = workspace.partial(0);
        for (int p = 1; p < parts; p++) {
            float[] partial = workspace.partial(p);
            for (int i = 0; i < taps * ldc; i++) {
                sum[i] += partial[i];
            }
        }
        Operand target = Operand.of(dw);
        for (int k = 0; k < g.filters(); k++) {
            for (int tap = 0; tap < taps; tap++) {
                target.segment().setAtIndex(FLOAT, (long) k * taps + tap, sum[tap * ldc + k]);
            }
        }
    }

    /** Where tap t's row starts in the band's padded input, in floats (the last tap for t past it). */
    private static int row(int[] tapOffsets, int t, int taps) {
        return tapOffsets[Math.min(t, taps - 1)] / Float.BYTES;
    }

    /** dy rows [firstRow, firstRow + rows) of image into the band layout: rows paddedWidth apart, zeros elsewhere. */
    private static void copyIn(Geometry g, Operand dy, int image, int firstRow, int rows, float[] band) {
        int rowLength = g.bandTiles() * TILE_WIDTH;
        int outWidth = g.outWidth();
        Arrays.fill(band, 0, g.filters() * rowLength, 0f);
        Operand target = Operand.of(MemorySegment.ofArray(band));
        for (int k = 0; k < g.filters(); k++) {
            long from = (((long) image * g.filters() + k) * g.outHeight() + firstRow) * outWidth;
            for (int i = 0; i < rows; i++, from += outWidth) {
                copy(dy, from, target, (long) k * rowLength + (long) i * g.paddedWidth(), outWidth);
            }
        }
    }

    /** Byte offsets of each tap (c, r, s) in a band's padded input. */
    private static int[] tapOffsets(Geometry g) {
        int[] offsets = new int[g.taps()];
        int tap = 0;
        for (int c = 0; c < g.channels(); c++) {
            for (int r = 0; r < g.kernelH(); r++) {
                for (int s = 0; s < g.kernelW(); s++) {
                    long floats = c * g.bandPlane() + (long) r * g.dilationH() * g.paddedWidth() + (long) s * g.dilationW();
                    offsets[tap++] = (int) (floats * Float.BYTES);
                }
            }
        }
        return offsets;
    }

    /** Copies the input rows that output rows [firstRow, firstRow + rows) read, zero-padded, into the band's planes. */
    private static void padBand(Geometry g, MemorySegment in, int image, int firstRow, int rows, MemorySegment band) {
        band.asSlice(0, g.bandInputFloats() * Float.BYTES).fill((byte) 0);
        Operand source = Operand.of(in);
        Operand target = Operand.of(band);
        int inputRows = rows + g.dilationH() * (g.kernelH() - 1);
        for (int c = 0; c < g.channels(); c++) {
            long plane = ((long) image * g.channels() + c) * g.height() * g.width();
            for (int i = 0; i < inputRows; i++) {
                int ih = firstRow + i - g.padH();
                if (ih < 0 || ih >= g.height()) {
                    continue;
                }
                long to = c * g.bandPlane() + (long) i * g.paddedWidth() + g.padW();
                copy(source, plane + (long) ih * g.width(), target, to, g.width());
            }
        }
    }

    /**
     * {@code length} floats from src to dst, either on a float[] or off-heap: whole vectors, the last
     * ending at the row's end (overlapping its neighbour, rewritten with the same values), so no
     * mask and no scalar tail; single floats only below one vector. Rows are short (a layer's
     * width): a bulk {@code MemorySegment.copy} costs more in checks than it moves.
     */
    static void copy(Operand src, long from, Operand dst, long to, int length) {
        if (length < V) {
            for (int j = 0; j < length; j++) {
                dst.segment().setAtIndex(FLOAT, to + j, src.segment().getAtIndex(FLOAT, from + j));
            }
            return;
        }
        int last = length - V;
        for (int j = 0; ; j = Math.min(j + V, last)) {
            FloatVector v = src.onArray() ? FloatVector.fromArray(S, src.array(), (int) (src.base() + from + j))
                    : FloatVector.fromMemorySegment(S, src.segment(), (from + j) * Float.BYTES, ORDER);
            if (dst.onArray()) {
                v.intoArray(dst.array(), (int) (dst.base() + to + j));
            } else {
                v.intoMemorySegment(dst.segment(), (to + j) * Float.BYTES, ORDER);
            }
            if (j == last) {
                return;
            }
        }
    }

    /**
     * Every tile of the band. For each tile and chunk of taps, the inputs its taps read are first
     * gathered into a contiguous panel (TILE_WIDTH floats a tap, in L1), then every block of
     * filters streams through it: read in place at a different offset per tap, the loads cannot
     * have their bounds checks hoisted, and cost the kernel 3× (10 against 30 GFLOP/s, measured).
     */
    private static void computeBand(Geometry g, MemorySegment band, MemorySegment weights, int[] tapOffsets,
                                    float[] bias, MemorySegment panel, float[] output) {
        int taps = g.taps();
        int tiles = g.bandTiles();
        int rowLength = tiles * TILE_WIDTH;
        for (int t = 0; t < tiles; t++) {
            long position = (long) t * TILE_WIDTH * Float.BYTES;
            for (int firstTap = 0; firstTap < taps; firstTap += TAP_CHUNK) {
                int chunk = Math.min(TAP_CHUNK, taps - firstTap);
                gatherPanel(band, position, tapOffsets, firstTap, chunk, panel);
                for (int k = 0; k < g.paddedFilters(); k += TILE_ROWS) {
                    long weightBase = ((long) k * taps + (long) firstTap * TILE_ROWS) * Float.BYTES;
                    microKernel(chunk, weights, weightBase, panel, firstTap > 0, bias[k], bias[k + 1], bias[k + 2],
                            bias[k + 3], output, k * rowLength + t * TILE_WIDTH, rowLength);
                }
            }
        }
    }

    /** panel[tap − firstTap] = the TILE_WIDTH inputs from {@code position} that tap reads. */
    private static void gatherPanel(MemorySegment band, long position, int[] tapOffsets, int firstTap, int chunk,
                                    MemorySegment panel) {
        long vectorBytes = (long) V * Float.BYTES;
        long to = 0;
        for (int tap = firstTap; tap < firstTap + chunk; tap++, to += 3 * vectorBytes) {
            long from = position + tapOffsets[tap];
            FloatVector.fromMemorySegment(S, band, from, ORDER).intoMemorySegment(panel, to, ORDER);
            FloatVector.fromMemorySegment(S, band, from + vectorBytes, ORDER).intoMemorySegment(panel, to + vectorBytes, ORDER);
            FloatVector.fromMemorySegment(S, band, from + 2 * vectorBytes, ORDER)
                    .intoMemorySegment(panel, to + 2 * vectorBytes, ORDER);
        }
    }

    /**
     * out[k0..k0+3][TILE_WIDTH positions] = (accumulate ? out : bias) + Σ_tap w[k][tap]·panel[tap],
     * rows {@code rowLength} floats apart. Nothing else, so that it stays one compiled body (a vector that
     * meets a call C2 leaves out is boxed).
     */
    static void microKernel(int taps, MemorySegment w, long wBase, MemorySegment panel, boolean accumulate,
                            float bias0, float bias1, float bias2, float bias3,
                            float[] out, int outBase, int rowLength) {
        long vectorBytes = (long) V * Float.BYTES;
        FloatVector c00, c01, c02, c10, c11, c12, c20, c21, c22, c30, c31, c32;
        if (accumulate) {
            c00 = FloatVector.fromArray(S, out, outBase);
            c01 = FloatVector.fromArray(S, out, outBase + V);
            c02 = FloatVector.fromArray(S, out, outBase + 2 * V);
            c10 = FloatVector.fromArray(S, out, outBase + rowLength);
            c11 = FloatVector.fromArray(S, out, outBase + rowLength + V);
            c12 = FloatVector.fromArray(S, out, outBase + rowLength + 2 * V);
            c20 = FloatVector.fromArray(S, out, outBase + 2 * rowLength);
            c21 = FloatVector.fromArray(S, out, outBase + 2 * rowLength + V);
            c22 = FloatVector.fromArray(S, out, outBase + 2 * rowLength + 2 * V);
            c30 = FloatVector.fromArray(S, out, outBase + 3 * rowLength);
            c31 = FloatVector.fromArray(S, out, outBase + 3 * rowLength + V);
            c32 = FloatVector.fromArray(S, out, outBase + 3 * rowLength + 2 * V);
        } else {
            c00 = FloatVector.broadcast(S, bias0);
            c01 = c00;
            c02 = c00;
            c10 = FloatVector.broadcast(S, bias1);
            c11 = c10;
            c12 = c10;
            c20 = FloatVector.broadcast(S, bias2);
            c21 = c20;
            c22 = c20;
            c30 = FloatVector.broadcast(S, bias3);
            c31 = c30;
            c32 = c30;
        }
        long wi = wBase;
        long bi = 0;
        long bEnd = (long) taps * 3 * vectorBytes;
        for (; bi < bEnd; bi += 3 * vectorBytes, wi += TILE_ROWS * Float.BYTES) {
            FloatVector b0 = FloatVector.fromMemorySegment(S, panel, bi, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(S, panel, bi + vectorBytes, ORDER);
            FloatVector b2 = FloatVector.fromMemorySegment(S, panel, bi + 2 * vectorBytes, ORDER);
            FloatVector a = FloatVector.broadcast(S, w.get(FLOAT, wi));
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            c02 = a.fma(b2, c02);
            a = FloatVector.broadcast(S, w.get(FLOAT, wi + 4));
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            c12 = a.fma(b2, c12);
            a = FloatVector.broadcast(S, w.get(FLOAT, wi + 8));
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            c22 = a.fma(b2, c22);
            a = FloatVector.broadcast(S, w.get(FLOAT, wi + 12));
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            c32 = a.fma(b2, c32);
        }
        c00.intoArray(out, outBase);
        c01.intoArray(out, outBase + V);
        c02.intoArray(out, outBase + 2 * V);
        c10.intoArray(out, outBase + rowLength);
        c11.intoArray(out, outBase + rowLength + V);
        c12.intoArray(out, outBase + rowLength + 2 * V);
        c20.intoArray(out, outBase + 2 * rowLength);
        c21.intoArray(out, outBase + 2 * rowLength + V);
        c22.intoArray(out, outBase + 2 * rowLength + 2 * V);
        c30.intoArray(out, outBase + 3 * rowLength);
        c31.intoArray(out, outBase + 3 * rowLength + V);
        c32.intoArray(out, outBase + 3 * rowLength + 2 * V);
    }

    /** Copies the band's valid outputs (not the padding columns, not the padded filters) into out. */
    private static void copyOut(Geometry g, float[] band, int image, int firstRow, int rows, MemorySegment out) {
        Operand source = Operand.of(MemorySegment.ofArray(band));
        Operand target = Operand.of(out);
        int outWidth = g.outWidth();
        int rowLength = g.bandTiles() * TILE_WIDTH;
        for (int k = 0; k < g.filters(); k++) {
            long to = (((long) image * g.filters() + k) * g.outHeight() + firstRow) * outWidth;
            long from = (long) k * rowLength;
            for (int i = 0; i < rows; i++, to += outWidth, from += g.paddedWidth()) {
                copy(source, from, target, to, outWidth);
            }
        }
    }
}
