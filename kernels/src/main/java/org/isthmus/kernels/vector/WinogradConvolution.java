package org.isthmus.kernels.vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import org.isthmus.kernels.Parallelism;

/**
 * 3×3 stride-1 convolution by Winograd's F(2×2, 3×3): each 2×2 block of outputs ("tile") of a
 * filter and a channel takes 16 multiplies instead of 36. Per tile, the 4×4 input window d
 * (tiles 2 apart, so windows overlap by 2) becomes V = Bᵀ·d·B and each 3×3 filter g becomes
 * U = G·g·Gᵀ; then for each of the 16 positions ξ, M[ξ] = U[ξ]·V[ξ] is a product of filters ×
 * channels by channels × tiles, and the outputs are Aᵀ·M·A + bias.
 *
 * <p>Work is cut into chunks of tile rows (a tile row: the tiles of two output rows of one image)
 * from the whole batch, sized so that a chunk's V and M stay in L2/L3; threads claim chunks one by
 * one, each with its own buffers. Both transforms run a vector of tiles at a time: the tiles of one
 * tile row sit in the lanes; the input rows are split into even and odd columns by two-vector
 * rearranges, so that the 4 columns of a window across the lanes are 4 plain loads; the outputs
 * are interleaved back the same way. A vector that runs past the tile row's end computes garbage
 * tiles that the next tile row overwrites (V) or that are never copied out (y). The products run
 * sgemm's register tile (MR filters × NR tiles) on U packed once per call and V read in place,
 * stored straight into M: with a depth of only C, sgemm's own packing and tile merging cost more
 * than the multiply-adds (41 against 52 GFLOP/s on C = 32, single runs on a loaded machine).
 */
final class WinogradConvolution {

    private static final VectorSpecies<Float> S = Species.FLOAT;
    private static final int V = S.length();
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Lanes 0, 2, 4, … and 1, 3, 5, … of two vectors side by side (the second's are exceptional indices). */
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(S, i -> 2 * i);
    private static final VectorShuffle<Float> ODD = VectorShuffle.fromOp(S, i -> 2 * i + 1);
    /** a0 b0 a1 b1 … from the first halves of a and b, then the same from their second halves. */
    private static final VectorShuffle<Float> INTERLEAVE_LOW = VectorShuffle.fromOp(S, i -> i % 2 == 0 ? i / 2 : V + i / 2);
    private static final VectorShuffle<Float> INTERLEAVE_HIGH =
            VectorShuffle.fromOp(S, i -> i % 2 == 0 ? V / 2 + i / 2 : V + V / 2 + i / 2);
    /** Register tile of the products: MR filters × NR tiles, as sgemm's. */
    private static final int MR = VectorGemm.MR;
    private static final int NR = VectorGemm.NR;
    /** Positions of the transformed tile: 4 × 4. */
    private static final int XI = 16;
    /**
     * Fewest channels and filters that repay the transforms. Per 14×14 image, the transforms cost
     * about 0.6 µs a channel and 0.3 µs a filter, the products 16·49·K·C multiply-adds at 55
     * GFLOP/s, against 9·196·K·C at {@link DirectConvolution}'s 25–50: even at K = C ≈ 10–25.
     * At C = 8 or 16 (K = 16 or 32) both measured within the noise of each other (bench/NOTES.md).
     */
    static final int MIN_CHANNELS = 16;
    static final int MIN_FILTERS = 16;
    /**
     * Floats of one chunk's V and M together (1 MiB, in L2/L3 beside the other thread's); chunks of
     * ¼ to 2× this size measured the same within the noise.
     */
    private static final int CHUNK_FLOATS = 1 << 18;

    private WinogradConvolution() {
    }

    /**
     * Whether this class computes g: 3×3, dilation 1, the same padding 0..2 on both axes, enough
     * channels and filters, and a chunk's V and M addressable with int indices.
     */
    static boolean serves(DirectConvolution.Geometry g) {
        return g.kernelH() == 3 && g.kernelW() == 3 && g.dilationH() == 1 && g.dilationW() == 1
                && g.padH() == g.padW() && g.padH() >= 0 && g.padH() <= 2
                && g.channels() >= MIN_CHANNELS && g.filters() >= MIN_FILTERS
                && g.outHeight() >= 1 && g.outWidth() >= 1
                && (long) XI * Math.max(g.channels(), Math.ceilDiv(g.filters(), MR) * MR) * new Chunks(g).paddedTiles()
                < Integer.MAX_VALUE;
    }

    /** How the batch's tile rows are cut into chunks, and the lengths of one chunk's buffers. */
    private record Chunks(int tileRows, int tileColumns, int rowsPerChunk) {

        Chunks(DirectConvolution.Geometry g) {
            this(Math.ceilDiv(g.outHeight(), 2), Math.ceilDiv(g.outWidth(), 2), rowsPerChunk(g));
        }

        private static int rowsPerChunk(DirectConvolution.Geometry g) {
            long perRow = (long) XI * (g.channels() + g.filters()) * Math.ceilDiv(g.outWidth(), 2);
            long allRows = (long) g.batch() * Math.ceilDiv(g.outHeight(), 2);
            return (int) Math.max(1, Math.min(allRows, CHUNK_FLOATS / perRow));
        }

        int count(int batch) {
            return (int) Math.ceilDiv((long) batch * tileRows, rowsPerChunk);
        }

        /** A chunk's tiles rounded up to whole NR-wide slivers, plus one vector for the garbage lanes past the last. */
        int paddedTiles() {
            return Math.ceilDiv(rowsPerChunk * tileColumns, NR) * NR + V;
        }

        /** Tile columns rounded up to whole vectors. */
        int vectorColumns() {
            return Math.ceilDiv(tileColumns, V) * V;
        }

        /** Floats of one deinterleaved row, even or odd columns: a vector's loads from column index 1 stay inside. */
        int halfRow() {
            return vectorColumns() + V;
        }

        /** Floats of the zero-padded input row that is split into even and odd halves. */
        int paddedRow() {
            return 2 * halfRow() + V;
        }

        /** Where the output block starts in a part's row scratch: after a padded row and 4 split rows (even and odd). */
        int outputBase() {
            return paddedRow() + 8 * halfRow();
        }

        /**
         * Floats of a part's row scratch: the rows before {@link #outputBase}, then the output rows of
         * one image's tile rows in a chunk (rows outWidth apart) and the last vector's spill.
         */
        int rowFloats(int outWidth) {
            return outputBase() + 2 * Math.min(tileRows, rowsPerChunk) * outWidth + 2 * vectorColumns();
        }
    }

    /**
     * out = conv(in, w) + bias for a 3×3 geometry that {@link #serves}. {@code w} is OIHW as
     * conv2d takes it; with {@code flipped}, it is the forward weights of the transposed
     * convolution (K_w × C_w × 3 × 3 with K_w = g.channels(), C_w = g.filters()), read
     * transposed and rotated by 180°, as the backward-data pass needs. {@code bias} holds
     * g.filters() floats or is null.
     */
    static void run(DirectConvolution.Geometry g, MemorySegment in, MemorySegment w, boolean flipped, float[] bias,
                    MemorySegment out, ConvolutionWorkspace workspace, int threads) {
        Chunks chunks = new Chunks(g);
        int count = chunks.count(g.batch());
        int parts = threads == 1 ? 1 : Math.min(threads, count);
        int channels = g.channels();
        int filters = g.filters();
        int paddedFilters = Math.ceilDiv(filters, MR) * MR;
        int padded = chunks.paddedTiles();
        workspace.reserveWinograd(parts, XI * channels * padded, XI * paddedFilters * padded, chunks.rowFloats(g.outWidth()));
        MemorySegment u = workspace.packedWeights((long) XI * paddedFilters * channels);
        transformWeights(g, w, flipped, u, paddedFilters);
        Operand input = Operand.of(in);
        Operand output = Operand.of(out);
        AtomicInteger next = new AtomicInteger();
        Parallelism.run(parts, part -> {
            float[] transformed = workspace.winogradInput(part);
            float[] products = workspace.winogradProducts(part);
            float[] rows = workspace.winogradRows(part);
            Arrays.fill(rows, 0f);
            Operand rowOperand = Operand.of(MemorySegment.ofArray(rows));
            for (int chunk = next.getAndIncrement(); chunk < count; chunk = next.getAndIncrement()) {
                int firstRow = chunk * chunks.rowsPerChunk();
                int lastRow = (int) Math.min((long) g.batch() * chunks.tileRows(), firstRow + (long) chunks.rowsPerChunk());
                int tiles = (lastRow - firstRow) * chunks.tileColumns();
                for (int c = 0; c < channels; c++) {
                    transformInput(g, chunks, input, c, firstRow, lastRow, rows, rowOperand, transformed, padded);
                }
                for (int xi = 0; xi < XI; xi++) {
                    for (int t = 0; t < tiles; t += NR) {
                        for (int k = 0; k < paddedFilters; k += MR) {
                            microKernel(channels, u, ((long) xi * paddedFilters + k) * channels * Float.BYTES,
                                    transformed, xi * channels * padded + t, padded, products,
                                    (xi * paddedFilters + k) * padded + t, padded);
                        }
                    }
                }
                for (int k = 0; k < filters; k++) {
                    transformOutput(g, chunks, products, paddedFilters * padded, k, k * padded, bias == null ? 0f : bias[k],
                            firstRow, lastRow, rows, rowOperand, output);
                }
            }
        });
    }

    /**
     * m[6 rows × NR tiles] = Σ_c u[c][6 filters] · v[c][NR tiles]: the packed transformed weights of
     * MR filters ({@code channels × MR} floats from aBase, bytes) broadcast against NR tiles of V
     * read in place (rows ldv apart), stored straight into M's rows (ldm apart). Nothing else, so
     * that it stays one compiled body.
     */
    static void microKernel(int channels, MemorySegment a, long aBase, float[] v, int vBase, int ldv,
                            float[] m, int mBase, int ldm) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        long ai = aBase;
        int bi = vBase;
        for (int c = 0; c < channels; c++, ai += MR * Float.BYTES, bi += ldv) {
            FloatVector b0 = FloatVector.fromArray(S, v, bi);
            FloatVector b1 = FloatVector.fromArray(S, v, bi + V);
            FloatVector av = FloatVector.broadcast(S, a.get(FLOAT, ai));
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, a.get(FLOAT, ai + 4));
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, a.get(FLOAT, ai + 8));
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, a.get(FLOAT, ai + 12));
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, a.get(FLOAT, ai + 16));
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, a.get(FLOAT, ai + 20));
            c50 = av.fma(b0, c50);
            c51 = av.fma(b1, c51);
        }
        c00.intoArray(m, mBase);
        c01.intoArray(m, mBase + V);
        c10.intoArray(m, mBase + ldm);
        c11.intoArray(m, mBase + ldm + V);
        c20.intoArray(m, mBase + 2 * ldm);
        c21.intoArray(m, mBase + 2 * ldm + V);
        c30.intoArray(m, mBase + 3 * ldm);
        c31.intoArray(m, mBase + 3 * ldm + V);
        c40.intoArray(m, mBase + 4 * ldm);
        c41.intoArray(m, mBase + 4 * ldm + V);
        c50.intoArray(m, mBase + 5 * ldm);
        c51.intoArray(m, mBase + 5 * ldm + V);
    }

    /**
     * U[ξ][k][c] = (G·g·Gᵀ)[ξ] for each filter k and channel c, G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
     * computed in double and rounded once.
     */
    private static void transformWeights(DirectConvolution.Geometry g, MemorySegment w, boolean flipped, MemorySegment u,
                                         int paddedFilters) {
        int channels = g.channels();
        int filters = g.filters();
        u.asSlice(0, (long) XI * paddedFilters * channels * Float.BYTES).fill((byte) 0);
        Operand weights = Operand.of(w);
        double[] tap = new double[9];
        double[] half = new double[12];
        for (int k = 0; k < filters; k++) {
            for (int c = 0; c < channels; c++) {
                long base = flipped ? ((long) c * filters + k) * 9 : ((long) k * channels + c) * 9;
                for (int t = 0; t < 9; t++) {
                    long at = base + (flipped ? 8 - t : t);
                    tap[t] = weights.onArray() ? weights.array()[(int) (weights.base() + at)] : w.getAtIndex(FLOAT, at);
                }
                // G·g: 4 rows of 3.
                for (int s = 0; s < 3; s++) {
                    double g0 = tap[s];
                    double g1 = tap[3 + s];
                    double g2 = tap[6 + s];
                    half[s] = g0;
                    half[3 + s] = 0.5 * (g0 + g1 + g2);
                    half[6 + s] = 0.5 * (g0 - g1 + g2);
                    half[9 + s] = g2;
                }
                // (G·g)·Gᵀ: each row of 3 to 4.
                for (int r = 0; r < 4; r++) {
                    double h0 = half[3 * r];
                    double h1 = half[3 * r + 1];
                    double h2 = half[3 * r + 2];
                    long at = ((long) (k / MR) * channels + c) * MR + k % MR;
                    long stride = (long) paddedFilters * channels;
                    u.setAtIndex(FLOAT, (4 * r) * stride + at, (float) h0);
                    u.setAtIndex(FLOAT, (4 * r + 1) * stride + at, (float) (0.5 * (h0 + h1 + h2)));
                    u.setAtIndex(FLOAT, (4 * r + 2) * stride + at, (float) (0.5 * (h0 - h1 + h2)));
                    u.setAtIndex(FLOAT, (4 * r + 3) * stride + at, (float) h2);
                }
            }
        }
    }

    /**
     * V[ξ][c][tile] for channel c of the chunk's tile rows [firstRow, lastRow): for each tile row
     * the four padded input rows it reads, split into even and odd columns (the two lower rows
     * carried over from the tile row above when it is of the same image), then the transform
     * a vector of tiles at a time.
     */
    private static void transformInput(DirectConvolution.Geometry g, Chunks chunks, Operand input, int c,
                                       int firstRow, int lastRow, float[] rows, Operand rowOperand, float[] v,
                                       int padded) {
        int half = chunks.halfRow();
        int splitBase = chunks.paddedRow();
        int columns = chunks.tileColumns();
        int pad = g.padH();
        // Slot of padded row 2·th + i, i = 0..3: each slot holds an even half then an odd half.
        int slot0 = 0;
        int slot1 = 1;
        int slot2 = 2;
        int slot3 = 3;
        int previous = -2;
        long planeFloats = (long) g.height() * g.width();
        for (int row = firstRow; row < lastRow; row++) {
            int image = row / chunks.tileRows();
            int th = row % chunks.tileRows();
            long plane = ((long) image * g.channels() + c) * planeFloats;
            int first = 0;
            if (row == previous + 1 && th > 0) {
                int spare0 = slot0;
                int spare1 = slot1;
                slot0 = slot2;
                slot1 = slot3;
                slot2 = spare0;
                slot3 = spare1;
                first = 2;
            }
            for (int i = first; i < 4; i++) {
                int slot = i == 0 ? slot0 : i == 1 ? slot1 : i == 2 ? slot2 : slot3;
                splitRow(g, input, plane, 2 * th + i - pad, rows, rowOperand, splitBase + 2 * slot * half, half);
            }
            previous = row;
            transformTileRow(rows, splitBase + 2 * slot0 * half, splitBase + 2 * slot1 * half,
                    splitBase + 2 * slot2 * half, splitBase + 2 * slot3 * half, half, columns, v,
                    c * padded + (row - firstRow) * columns, g.channels() * padded);
        }
    }

    /**
     * Input row ih of the plane (zeros outside the image), padded left by padW, into rows[to …]
     * as its even columns then ({@code half} floats on) its odd columns.
     */
    private static void splitRow(DirectConvolution.Geometry g, Operand input, long plane, int ih, float[] rows,
                                 Operand rowOperand, int to, int half) {
        if (ih < 0 || ih >= g.height()) {
            Arrays.fill(rows, to, to + 2 * half, 0f);
            return;
        }
        // rows[0 … paddedRow) is the padded row: zeros but for the input at [padW, padW + W).
        DirectConvolution.copy(input, plane + (long) ih * g.width(), rowOperand, g.padW(), g.width());
        for (int i = 0; i < half; i += V) {
            FloatVector lo = FloatVector.fromArray(S, rows, 2 * i);
            FloatVector hi = FloatVector.fromArray(S, rows, 2 * i + V);
            lo.rearrange(EVEN, hi).intoArray(rows, to + i);
            lo.rearrange(ODD, hi).intoArray(rows, to + half + i);
        }
    }

    /**
     * Bᵀ·d·B for the tiles of one tile row, Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]: window
     * row i of the tiles in lanes is the even half of split row i from the tile column (window
     * column 0), the odd half (1), the even half one further (2), the odd half one further (3).
     * V[ξ] for the tiles goes to v[to + ξ·xiStride …].
     */
    private static void transformTileRow(float[] rows, int row0, int row1, int row2, int row3, int half, int columns,
                                         float[] v, int to, int xiStride) {
        for (int tw = 0; tw < columns; tw += V) {
            // Columns: t·0 = d·0 − d·2 … applied down each window column, then along the rows.
            FloatVector d00 = FloatVector.fromArray(S, rows, row0 + tw);
            FloatVector d01 = FloatVector.fromArray(S, rows, row0 + half + tw);
            FloatVector d02 = FloatVector.fromArray(S, rows, row0 + tw + 1);
            FloatVector d03 = FloatVector.fromArray(S, rows, row0 + half + tw + 1);
            FloatVector d10 = FloatVector.fromArray(S, rows, row1 + tw);
            FloatVector d11 = FloatVector.fromArray(S, rows, row1 + half + tw);
            FloatVector d12 = FloatVector.fromArray(S, rows, row1 + tw + 1);
            FloatVector d13 = FloatVector.fromArray(S, rows, row1 + half + tw + 1);
            FloatVector d20 = FloatVector.fromArray(S, rows, row2 + tw);
            FloatVector d21 = FloatVector.fromArray(S, rows, row2 + half + tw);
            FloatVector d22 = FloatVector.fromArray(S, rows, row2 + tw + 1);
            FloatVector d23 = FloatVector.fromArray(S, rows, row2 + half + tw + 1);
            FloatVector d30 = FloatVector.fromArray(S, rows, row3 + tw);
            FloatVector d31 = FloatVector.fromArray(S, rows, row3 + half + tw);
            FloatVector d32 = FloatVector.fromArray(S, rows, row3 + tw + 1);
            FloatVector d33 = FloatVector.fromArray(S, rows, row3 + half + tw + 1);
            // Bᵀ·d, row by row of the result.
            FloatVector t00 = d00.sub(d20), t01 = d01.sub(d21), t02 = d02.sub(d22), t03 = d03.sub(d23);
            FloatVector t10 = d10.add(d20), t11 = d11.add(d21), t12 = d12.add(d22), t13 = d13.add(d23);
            FloatVector t20 = d20.sub(d10), t21 = d21.sub(d11), t22 = d22.sub(d12), t23 = d23.sub(d13);
            FloatVector t30 = d10.sub(d30), t31 = d11.sub(d31), t32 = d12.sub(d32), t33 = d13.sub(d33);
            // (Bᵀ·d)·B, column by column of the result.
            int at = to + tw;
            t00.sub(t02).intoArray(v, at);
            t01.add(t02).intoArray(v, at + xiStride);
            t02.sub(t01).intoArray(v, at + 2 * xiStride);
            t01.sub(t03).intoArray(v, at + 3 * xiStride);
            t10.sub(t12).intoArray(v, at + 4 * xiStride);
            t11.add(t12).intoArray(v, at + 5 * xiStride);
            t12.sub(t11).intoArray(v, at + 6 * xiStride);
            t11.sub(t13).intoArray(v, at + 7 * xiStride);
            t20.sub(t22).intoArray(v, at + 8 * xiStride);
            t21.add(t22).intoArray(v, at + 9 * xiStride);
            t22.sub(t21).intoArray(v, at + 10 * xiStride);
            t21.sub(t23).intoArray(v, at + 11 * xiStride);
            t30.sub(t32).intoArray(v, at + 12 * xiStride);
            t31.add(t32).intoArray(v, at + 13 * xiStride);
            t32.sub(t31).intoArray(v, at + 14 * xiStride);
            t31.sub(t33).intoArray(v, at + 15 * xiStride);
        }
    }

    /**
     * y for filter k of the chunk's tile rows, image by image: the outputs of the image's tile rows
     * go to the output scratch as a block of whole output rows, then into y with one copy.
     */
    private static void transformOutput(DirectConvolution.Geometry g, Chunks chunks, float[] m, int xiStride,
                                        int k, int filterBase, float bias, int firstRow, int lastRow, float[] rows,
                                        Operand rowOperand, Operand output) {
        int columns = chunks.tileColumns();
        int plane = chunks.outputBase();
        int outHeight = g.outHeight();
        int outWidth = g.outWidth();
        for (int row = firstRow; row < lastRow; ) {
            int image = row / chunks.tileRows();
            int firstTh = row % chunks.tileRows();
            int end = Math.min(lastRow, (image + 1) * chunks.tileRows());
            for (int r = row; r < end; r++) {
                int from = filterBase + (r - firstRow) * columns;
                int to = plane + 2 * (r - row) * outWidth;
                // Top rows first, then bottom: each pass's last vector spills past its row into
                // the next one, which the following pass overwrites.
                outputTop(m, from, xiStride, columns, bias, rows, to);
                outputBottom(m, from, xiStride, columns, bias, rows, to + outWidth);
            }
            int outRows = Math.min(outHeight, 2 * (end - image * chunks.tileRows())) - 2 * firstTh;
            long at = (((long) image * g.filters() + k) * outHeight + 2L * firstTh) * outWidth;
            DirectConvolution.copy(rowOperand, plane, output, at, outRows * outWidth);
            row = end;
        }
    }

    /**
     * The top output row of each tile of a tile row, (Aᵀ·M·A)[0] + bias with Aᵀ = [1 1 1 0; 0 1 −1 −1],
     * from m[from + ξ·xiStride …], columns interleaved into out[to …].
     */
    private static void outputTop(float[] m, int from, int xiStride, int columns, float bias, float[] out, int to) {
        FloatVector b = FloatVector.broadcast(S, bias);
        for (int tw = 0; tw < columns; tw += V) {
            int at = from + tw;
            FloatVector s0 = FloatVector.fromArray(S, m, at)
                    .add(FloatVector.fromArray(S, m, at + 4 * xiStride)).add(FloatVector.fromArray(S, m, at + 8 * xiStride));
            FloatVector s1 = FloatVector.fromArray(S, m, at + xiStride)
                    .add(FloatVector.fromArray(S, m, at + 5 * xiStride)).add(FloatVector.fromArray(S, m, at + 9 * xiStride));
            FloatVector s2 = FloatVector.fromArray(S, m, at + 2 * xiStride)
                    .add(FloatVector.fromArray(S, m, at + 6 * xiStride)).add(FloatVector.fromArray(S, m, at + 10 * xiStride));
            FloatVector s3 = FloatVector.fromArray(S, m, at + 3 * xiStride)
                    .add(FloatVector.fromArray(S, m, at + 7 * xiStride)).add(FloatVector.fromArray(S, m, at + 11 * xiStride));
            FloatVector even = s0.add(s1).add(s2).add(b);
            FloatVector odd = s1.sub(s2).sub(s3).add(b);
            even.rearrange(INTERLEAVE_LOW, odd).intoArray(out, to + 2 * tw);
            even.rearrange(INTERLEAVE_HIGH, odd).intoArray(out, to + 2 * tw + V);
        }
    }

    /** The bottom output row of each tile, (Aᵀ·M·A)[1] + bias, as {@link #outputTop}. */
    private static void outputBottom(float[] m, int from, int xiStride, int columns, float bias, float[] out, int to) {
        FloatVector b = FloatVector.broadcast(S, bias);
        for (int tw = 0; tw < columns; tw += V) {
            int at = from + tw;
            FloatVector r0 = FloatVector.fromArray(S, m, at + 4 * xiStride)
                    .sub(FloatVector.fromArray(S, m, at + 8 * xiStride)).sub(FloatVector.fromArray(S, m, at + 12 * xiStride));
            FloatVector r1 = FloatVector.fromArray(S, m, at + 5 * xiStride)
                    .sub(FloatVector.fromArray(S, m, at + 9 * xiStride)).sub(FloatVector.fromArray(S, m, at + 13 * xiStride));
            FloatVector r2 = FloatVector.fromArray(S, m, at + 6 * xiStride)
                    .sub(FloatVector.fromArray(S, m, at + 10 * xiStride)).sub(FloatVector.fromArray(S, m, at + 14 * xiStride));
            FloatVector r3 = FloatVector.fromArray(S, m, at + 7 * xiStride)
                    .sub(FloatVector.fromArray(S, m, at + 11 * xiStride)).sub(FloatVector.fromArray(S, m, at + 15 * xiStride));
            FloatVector even = r0.add(r1).add(r2).add(b);
            FloatVector odd = r1.sub(r2).sub(r3).add(b);
            even.rearrange(INTERLEAVE_LOW, odd).intoArray(out, to + 2 * tw);
            even.rearrange(INTERLEAVE_HIGH, odd).intoArray(out, to + 2 * tw + V);
        }
    }
}
