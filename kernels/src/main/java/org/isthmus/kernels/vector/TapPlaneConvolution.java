package org.isthmus.kernels.vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;
import org.isthmus.kernels.Parallelism;

/**
 * Stride-1 "same"-width convolution with few filters over many channels, as the backward-data
 * pass of a first layer is (its "filters" are the image's 1–3 channels, its channels dy's 32 or
 * more). Known as kn2row: per image, first the <em>tap planes</em>
 * P[f, t] = Σ_c w[f][c][t]·in[c], one plane of the input's size per filter and tap (a GEMM over
 * the channels: rows filter × tap, depth channels, columns the input's positions), then each
 * output plane as the sum of its taps' planes, each shifted by its tap's offset.
 *
 * <p>Every input float is read once from memory and feeds all of a row block's multiply-adds from
 * L1 and L2: {@link RowConvolution}, which this replaces for such layers, copies the input into kW
 * crops and reads ten vectors per nine multiply-adds. The shifted sums cost one add per tap and
 * output, against C multiply-adds. Each image is first copied, in order, into a staged float[]:
 * read in place, a block's loads visit the channels a plane apart and missed the cache in turn
 * (14–35 GFLOP/s against 48–81 with the image in L2).
 *
 * <p>With outWidth = width (padding dilW·(kW − 1) / 2 on each side) output (oh, ow) and input
 * position (oh − padH + r·dilH, ow − padW + s·dilW) are a fixed flat distance apart for each tap.
 * So a tap plane is stored flat, with padH zero rows above and below (taps reaching past the top
 * or the bottom read zeros) and zero slack at either end, and the output is swept in whole vectors;
 * a tap reaching past the left or right edge reads the neighbouring row, and a lane mask per
 * column shift drops those lanes.
 */
final class TapPlaneConvolution {

    private static final VectorSpecies<Float> S = Species.FLOAT;
    private static final int V = S.length();
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /**
     * Fewest channels: the tap planes cost a write and a read of filters × taps planes per image,
     * which the multiply-adds over the channels must repay. Against {@link RowConvolution} on a first
     * layer's backward data (one image channel, 3×3, 28×28): level at 8 channels, 1.2× at 16, 1.4×
     * at 32.
     */
    static final int MIN_CHANNELS = 8;
    /** Rows (filter, tap) of one kernel block: 3 broadcasts and 3 loads feed 9 multiply-adds. */
    private static final int BLOCK_ROWS = 3;
    /** Positions of one kernel block: three vectors. */
    private static final int BLOCK_WIDTH = 3 * V;
    /** Parts per thread, claimed one by one, so that a late thread takes fewer. */
    private static final int PARTS_PER_THREAD = 4;

    private TapPlaneConvolution() {
    }

    /** Whether this path computes g (stride 1 being the caller's to check). */
    static boolean serves(DirectConvolution.Geometry g) {
        return g.filters() < DirectConvolution.TILE_ROWS
                && g.channels() >= MIN_CHANNELS
                && g.outWidth() == g.width()
                && (long) g.height() * g.width() >= V
                && (long) g.channels() * g.height() * g.width() <= Integer.MAX_VALUE
                && blockedRows(g) * ((g.height() + 2L * g.padH()) * g.width() + 2L * g.padW() + V) <= Integer.MAX_VALUE
                && (long) g.filters() * g.outHeight() * g.outWidth() + V <= Integer.MAX_VALUE;
    }

    /**
     * out = conv(in, w) + bias: w holds {@code filters × channels × kH × kW} floats (OIHW) from
     * {@code wBase}, bias {@code filters} floats (null: none).
     */
    static void run(DirectConvolution.Geometry g, MemorySegment in, float[] w, int wBase, float[] bias,
                    MemorySegment out, ConvolutionWorkspace workspace, int threads) {
        int rows = blockedRows(g);
        float[] packed = packWeights(g, w, wBase, rows, workspace);
        int[] offsets = tapOffsets(g);
        boolean[][] kept = columnsKept(g);
        int inPlane = g.height() * g.width();
        int outPlane = g.outHeight() * g.outWidth();
        int roundedOut = Math.ceilDiv(outPlane, V) * V;
        int planeFloats = planeFloats(g);
        int parts = threads == 1 ? 1 : Math.min(g.batch(), threads * PARTS_PER_THREAD);
        int imageFloats = g.channels() * inPlane;
        Operand input = Operand.of(in);
        Operand output = Operand.of(out);
        workspace.reserveTapPlanes(parts, rows * planeFloats, g.filters() * roundedOut, imageFloats);
        Parallelism.run(parts, part -> {
            // The planes' padding rows and slack stay zero: the kernels write only their interiors.
            float[] planes = workspace.tapPlanes(part);
            Arrays.fill(planes, 0, rows * planeFloats, 0f);
            float[] sums = workspace.tapSums(part);
            Operand target = Operand.of(MemorySegment.ofArray(sums));
            int firstImage = (int) ((long) part * g.batch() / parts);
            int endImage = (int) ((long) (part + 1) * g.batch() / parts);
            float[] staged = workspace.stagedImage(part);
            for (int image = firstImage; image < endImage; image++) {
                stage(input, (long) image * imageFloats, staged, imageFloats);
                tapPlanes(g, staged, packed, rows, planes);
                for (int f = 0; f < g.filters(); f++) {
                    shiftedSum(g, planes, f, offsets, kept, bias == null ? 0f : bias[f], sums, f * roundedOut);
                    DirectConvolution.copy(target, (long) f * roundedOut, output,
                            ((long) image * g.filters() + f) * outPlane, outPlane);
                }
            }
        });
    }

    /** {@code length} floats of the input from float {@code from} into {@code to}. */
    private static void stage(Operand input, long from, float[] to, int length) {
        if (input.onArray()) {
            System.arraycopy(input.array(), (int) (input.base() + from), to, 0, length);
        } else {
            MemorySegment.copy(input.segment(), FLOAT, from * Float.BYTES, to, 0, length);
        }
    }

    /** Rows of the tap-plane GEMM, filters × taps, rounded up to whole kernel blocks. */
    private static int blockedRows(DirectConvolution.Geometry g) {
        return Math.ceilDiv(g.filters() * g.kernelH() * g.kernelW(), BLOCK_ROWS) * BLOCK_ROWS;
    }

    /** Where a plane's input positions start: after padW floats of slack and padH zero rows. */
    private static int interior(DirectConvolution.Geometry g) {
        return g.padW() + g.padH() * g.width();
    }

    /**
     * Floats of one stored tap plane: slack, padH zero rows, the input's rows, padH zero rows, and
     * slack for the taps reaching right of the last row and for the last output vector's overrun.
     */
    private static int planeFloats(DirectConvolution.Geometry g) {
        return interior(g) + g.height() * g.width() + g.padH() * g.width() + g.padW() + V;
    }

    /**
     * w as the kernel reads it: for each block of BLOCK_ROWS rows (filter, tap), for each channel,
     * the block's rows' weights side by side; rows past the last are zero.
     */
    private static float[] packWeights(DirectConvolution.Geometry g, float[] w, int wBase, int rows,
                                       ConvolutionWorkspace workspace) {
        int channels = g.channels();
        int kernelTaps = g.kernelH() * g.kernelW();
        float[] packed = workspace.tapWeights(rows * channels);
        Arrays.fill(packed, 0, rows * channels, 0f);
        for (int row = 0; row < g.filters() * kernelTaps; row++) {
            int f = row / kernelTaps;
            int t = row % kernelTaps;
            int to = row / BLOCK_ROWS * BLOCK_ROWS * channels + row % BLOCK_ROWS;
            for (int c = 0; c < channels; c++) {
                packed[to + c * BLOCK_ROWS] = w[wBase + (f * channels + c) * kernelTaps + t];
            }
        }
        return packed;
    }

    /**
     * For tap (r, s), where in a stored plane the input of output position q lies: at
     * q + r·dilH·W + s·dilW (the slack and the zero rows in front of the input cancel −padW and −padH).
     */
    private static int[] tapOffsets(DirectConvolution.Geometry g) {
        int[] offsets = new int[g.kernelH() * g.kernelW()];
        for (int r = 0; r < g.kernelH(); r++) {
            for (int s = 0; s < g.kernelW(); s++) {
                offsets[r * g.kernelW() + s] = r * g.dilationH() * g.width() + s * g.dilationW();
            }
        }
        return offsets;
    }

    /**
     * For each column shift s and output position q (rounded up to whole vectors): whether
     * column q mod W + s·dilW − padW lies inside the row; positions past the plane are dropped.
     */
    private static boolean[][] columnsKept(DirectConvolution.Geometry g) {
        int outPlane = g.outHeight() * g.outWidth();
        boolean[][] kept = new boolean[g.kernelW()][Math.ceilDiv(outPlane, V) * V];
        for (int s = 0; s < g.kernelW(); s++) {
            int shift = s * g.dilationW() - g.padW();
            for (int q = 0; q < outPlane; q++) {
                int column = q % g.width() + shift;
                kept[s][q] = column >= 0 && column < g.width();
            }
        }
        return kept;
    }

    /**
     * The tap planes of one staged image: blocks of three vectors, then single vectors, then the
     * last positions one by one.
     */
    private static void tapPlanes(DirectConvolution.Geometry g, float[] in, float[] packed, int rows,
                                  float[] planes) {
        int channels = g.channels();
        int inPlane = g.height() * g.width();
        int planeFloats = planeFloats(g);
        int interior = interior(g);
        int wide = inPlane - inPlane % BLOCK_WIDTH;
        int whole = inPlane - inPlane % V;
        for (int q = 0; q < wide; q += BLOCK_WIDTH) {
            for (int row = 0; row < rows; row += BLOCK_ROWS) {
                int to = row * planeFloats + interior + q;
                blockKernel(channels, in, q, inPlane, packed, row * channels, planes, to, to + planeFloats,
                        to + 2 * planeFloats);
            }
        }
        for (int q = wide; q < whole; q += V) {
            for (int row = 0; row < rows; row += BLOCK_ROWS) {
                int to = row * planeFloats + interior + q;
                vectorKernel(channels, in, q, inPlane, packed, row * channels, planes, to, to + planeFloats,
                        to + 2 * planeFloats);
            }
        }
        for (int q = whole; q < inPlane; q++) {
            for (int row = 0; row < rows; row++) {
                int weights = row / BLOCK_ROWS * BLOCK_ROWS * channels + row % BLOCK_ROWS;
                float sum = 0f;
                for (int c = 0; c < channels; c++) {
                    sum = Math.fma(packed[weights + c * BLOCK_ROWS], in[c * inPlane + q], sum);
                }
                planes[row * planeFloats + interior + q] = sum;
            }
        }
    }

    /**
     * Three rows × three vectors of tap planes: Σ over the channels, the input read {@code stride}
     * floats a channel apart. Nine accumulators, three loads and three broadcasts fit AVX2's 16
     * registers; three rows × four vectors did not, and C2 kept four accumulators on the stack.
     */
    private static void blockKernel(int channels, float[] in, int at, int stride, float[] packed, int wAt,
                                    float[] planes, int to0, int to1, int to2) {
        FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s10 = s00, s11 = s00, s12 = s00,
                s20 = s00, s21 = s00, s22 = s00;
        for (int c = 0; c < channels; c++, at += stride, wAt += BLOCK_ROWS) {
            FloatVector x0 = FloatVector.fromArray(S, in, at);
            FloatVector x1 = FloatVector.fromArray(S, in, at + V);
            FloatVector x2 = FloatVector.fromArray(S, in, at + 2 * V);
            FloatVector a = FloatVector.broadcast(S, packed[wAt]);
            s00 = a.fma(x0, s00);
            s01 = a.fma(x1, s01);
            s02 = a.fma(x2, s02);
            a = FloatVector.broadcast(S, packed[wAt + 1]);
            s10 = a.fma(x0, s10);
            s11 = a.fma(x1, s11);
            s12 = a.fma(x2, s12);
            a = FloatVector.broadcast(S, packed[wAt + 2]);
            s20 = a.fma(x0, s20);
            s21 = a.fma(x1, s21);
            s22 = a.fma(x2, s22);
        }
        s00.intoArray(planes, to0);
        s01.intoArray(planes, to0 + V);
        s02.intoArray(planes, to0 + 2 * V);
        s10.intoArray(planes, to1);
        s11.intoArray(planes, to1 + V);
        s12.intoArray(planes, to1 + 2 * V);
        s20.intoArray(planes, to2);
        s21.intoArray(planes, to2 + V);
        s22.intoArray(planes, to2 + 2 * V);
    }

    /** Three rows × one vector of tap planes (the positions after the last three-vector block). */
    private static void vectorKernel(int channels, float[] in, int at, int stride, float[] packed, int wAt,
                                     float[] planes, int to0, int to1, int to2) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0;
        for (int c = 0; c < channels; c++, at += stride, wAt += BLOCK_ROWS) {
            FloatVector x = FloatVector.fromArray(S, in, at);
            s0 = FloatVector.broadcast(S, packed[wAt]).fma(x, s0);
            s1 = FloatVector.broadcast(S, packed[wAt + 1]).fma(x, s1);
            s2 = FloatVector.broadcast(S, packed[wAt + 2]).fma(x, s2);
        }
        s0.intoArray(planes, to0);
        s1.intoArray(planes, to1);
        s2.intoArray(planes, to2);
    }

    /**
     * sums[at..) = bias + Σ over taps of filter f's tap planes at the taps' offsets, over the output
     * plane rounded up to whole vectors: for each column shift, its taps' planes added (three rows
     * at a time), then added into the output where the shift stays inside the row.
     */
    private static void shiftedSum(DirectConvolution.Geometry g, float[] planes, int f, int[] offsets,
                                   boolean[][] kept, float bias, float[] sums, int at) {
        int length = kept[0].length;
        int kernelH = g.kernelH();
        int kernelW = g.kernelW();
        int planeFloats = planeFloats(g);
        int first = f * kernelH * kernelW;
        FloatVector start = FloatVector.broadcast(S, bias);
        for (int q = 0; q < length; q += V) {
            start.intoArray(sums, at + q);
        }
        for (int s = 0; s < kernelW; s++) {
            boolean[] keep = kept[s];
            int r = 0;
            for (; r + 3 <= kernelH; r += 3) {
                int t = r * kernelW + s;
                int from0 = (first + t) * planeFloats + offsets[t];
                int from1 = (first + t + kernelW) * planeFloats + offsets[t + kernelW];
                int from2 = (first + t + 2 * kernelW) * planeFloats + offsets[t + 2 * kernelW];
                for (int q = 0; q < length; q += V) {
                    FloatVector taps = FloatVector.fromArray(S, planes, from0 + q)
                            .add(FloatVector.fromArray(S, planes, from1 + q))
                            .add(FloatVector.fromArray(S, planes, from2 + q));
                    FloatVector.fromArray(S, sums, at + q).add(taps, VectorMask.fromArray(S, keep, q))
                            .intoArray(sums, at + q);
                }
            }
            for (; r < kernelH; r++) {
                int t = r * kernelW + s;
                int from = (first + t) * planeFloats + offsets[t];
                for (int q = 0; q < length; q += V) {
                    FloatVector.fromArray(S, sums, at + q)
                            .add(FloatVector.fromArray(S, planes, from + q), VectorMask.fromArray(S, keep, q))
                            .intoArray(sums, at + q);
                }
            }
        }
    }
}
