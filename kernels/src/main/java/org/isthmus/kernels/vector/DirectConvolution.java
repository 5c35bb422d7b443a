package org.isthmus.kernels.vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.isthmus.kernels.Parallelism;

/**
 * Stride-1 convolution without im2col ("implicit GEMM"). Each image's input is copied, padded,
 * into planes of {@code paddedWidth = W + 2·padW} floats a row; output pixel (oh, ow) is then
 * flat position q = oh·paddedWidth + ow, and tap (c, r, s) reads the padded input at
 * q + c·plane + r·dilH·paddedWidth + s·dilW. So out[k][q] = Σ_taps w[k][tap]·in[q + offset(tap)]:
 * a GEMM whose B panel is the padded input itself, read at a fixed offset per tap, with no
 * packing. The micro-kernel computes {@value #TILE_ROWS} output channels × {@link #TILE_WIDTH}
 * consecutive positions; the positions that fall in the padding columns (paddedWidth − outWidth
 * a row) are computed and dropped when the band is copied out.
 *
 * <p>Work is cut into bands of output rows of one image, spread over the threads. The forward
 * pass runs it on x with w; the backward-data pass runs it on dy with w transposed and flipped.
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

        int paddedWidth() {
            return width + 2 * padW;
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
        workspace.reserveBands(parts, g.bandInputFloats(), g.bandOutputFloats());
        Parallelism.run(parts, part -> {
            int first = (int) ((long) part * units / parts);
            int last = (int) ((long) (part + 1) * units / parts);
            MemorySegment paddedInput = workspace.bandInput(part);
            MemorySegment bandOutput = workspace.bandOutput(part);
            for (int unit = first; unit < last; unit++) {
                int image = unit / g.bands();
                int firstRow = unit % g.bands() * g.bandRows();
                int rows = Math.min(g.bandRows(), g.outHeight() - firstRow);
                padBand(g, in, image, firstRow, rows, paddedInput);
                computeBand(g, paddedInput, packedWeights, tapOffsets, bias, bandOutput);
                copyOut(g, bandOutput, image, firstRow, rows, out);
            }
        });
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
        int inputRows = rows + g.dilationH() * (g.kernelH() - 1);
        for (int c = 0; c < g.channels(); c++) {
            long plane = ((long) image * g.channels() + c) * g.height() * g.width();
            for (int i = 0; i < inputRows; i++) {
                int ih = firstRow + i - g.padH();
                if (ih < 0 || ih >= g.height()) {
                    continue;
                }
                long to = c * g.bandPlane() + (long) i * g.paddedWidth() + g.padW();
                MemorySegment.copy(in, FLOAT, (plane + (long) ih * g.width()) * Float.BYTES,
                        band, FLOAT, to * Float.BYTES, g.width());
            }
        }
    }

    /**
     * Every tile of the band: positions outside, channel by channel inside, so that the input a
     * tile's taps read stays in L1 while the blocks of weights stream from L2.
     */
    private static void computeBand(Geometry g, MemorySegment band, MemorySegment weights, int[] tapOffsets,
                                    float[] bias, MemorySegment output) {
        int taps = g.taps();
        int tiles = g.bandTiles();
        long rowBytes = (long) tiles * TILE_WIDTH * Float.BYTES;
        for (int t = 0; t < tiles; t++) {
            long position = (long) t * TILE_WIDTH * Float.BYTES;
            for (int k = 0; k < g.paddedFilters(); k += TILE_ROWS) {
                microKernel(taps, weights, (long) k * taps * Float.BYTES, band, position, tapOffsets,
                        bias[k], bias[k + 1], bias[k + 2], bias[k + 3], output, k * rowBytes + position, rowBytes);
            }
        }
    }

    /**
     * out[k0..k0+3][TILE_WIDTH positions] = bias + Σ_tap w[k][tap]·in[position + offset(tap)], each
     * row stored {@code rowBytes} apart. Nothing else, so that it stays one compiled body (a vector
     * that meets a call C2 leaves out is boxed).
     */
    static void microKernel(int taps, MemorySegment w, long wBase, MemorySegment in, long position, int[] tapOffsets,
                            float bias0, float bias1, float bias2, float bias3,
                            MemorySegment out, long outBase, long rowBytes) {
        FloatVector c00 = FloatVector.broadcast(S, bias0), c01 = c00, c02 = c00;
        FloatVector c10 = FloatVector.broadcast(S, bias1), c11 = c10, c12 = c10;
        FloatVector c20 = FloatVector.broadcast(S, bias2), c21 = c20, c22 = c20;
        FloatVector c30 = FloatVector.broadcast(S, bias3), c31 = c30, c32 = c30;
        long vectorBytes = (long) V * Float.BYTES;
        long wi = wBase;
        for (int tap = 0; tap < taps; tap++, wi += TILE_ROWS * Float.BYTES) {
            long at = position + tapOffsets[tap];
            FloatVector b0 = FloatVector.fromMemorySegment(S, in, at, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(S, in, at + vectorBytes, ORDER);
            FloatVector b2 = FloatVector.fromMemorySegment(S, in, at + 2 * vectorBytes, ORDER);
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
        c00.intoMemorySegment(out, outBase, ORDER);
        c01.intoMemorySegment(out, outBase + vectorBytes, ORDER);
        c02.intoMemorySegment(out, outBase + 2 * vectorBytes, ORDER);
        c10.intoMemorySegment(out, outBase + rowBytes, ORDER);
        c11.intoMemorySegment(out, outBase + rowBytes + vectorBytes, ORDER);
        c12.intoMemorySegment(out, outBase + rowBytes + 2 * vectorBytes, ORDER);
        c20.intoMemorySegment(out, outBase + 2 * rowBytes, ORDER);
        c21.intoMemorySegment(out, outBase + 2 * rowBytes + vectorBytes, ORDER);
        c22.intoMemorySegment(out, outBase + 2 * rowBytes + 2 * vectorBytes, ORDER);
        c30.intoMemorySegment(out, outBase + 3 * rowBytes, ORDER);
        c31.intoMemorySegment(out, outBase + 3 * rowBytes + vectorBytes, ORDER);
        c32.intoMemorySegment(out, outBase + 3 * rowBytes + 2 * vectorBytes, ORDER);
    }

    /** Copies the band's valid outputs (not the padding columns, not the padded filters) into out. */
    private static void copyOut(Geometry g, MemorySegment band, int image, int firstRow, int rows, MemorySegment out) {
        Operand target = Operand.of(out);
        int outWidth = g.outWidth();
        long rowBytes = (long) g.bandTiles() * TILE_WIDTH * Float.BYTES;
        for (int k = 0; k < g.filters(); k++) {
            long to = (((long) image * g.filters() + k) * g.outHeight() + firstRow) * outWidth;
            long from = k * rowBytes;
            for (int i = 0; i < rows; i++, to += outWidth, from += (long) g.paddedWidth() * Float.BYTES) {
                copyRow(band, from, target, to, outWidth);
            }
        }
    }

    /** {@code length} floats from the band buffer to out: whole vectors, then single floats. */
    private static void copyRow(MemorySegment band, long fromByte, Operand out, long to, int length) {
        int whole = S.loopBound(length);
        int j = 0;
        if (out.onArray()) {
            float[] array = out.array();
            int at = (int) (out.base() + to);
            for (; j < whole; j += V) {
                FloatVector.fromMemorySegment(S, band, fromByte + (long) j * Float.BYTES, ORDER).intoArray(array, at + j);
            }
            for (; j < length; j++) {
                array[at + j] = band.get(FLOAT, fromByte + (long) j * Float.BYTES);
            }
        } else {
            MemorySegment segment = out.segment();
            for (; j < whole; j += V) {
                FloatVector.fromMemorySegment(S, band, fromByte + (long) j * Float.BYTES, ORDER)
                        .intoMemorySegment(segment, (to + j) * Float.BYTES, ORDER);
            }
            for (; j < length; j++) {
                segment.setAtIndex(FLOAT, to + j, band.get(FLOAT, fromByte + (long) j * Float.BYTES));
            }
        }
    }
}
