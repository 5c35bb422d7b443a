package org.isthmus.kernels.vector;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import org.isthmus.kernels.Parallelism;

/**
 * The path for narrow products whose width would leave NR-wide vectors half empty, such as a
 * classifier's 10 outputs: each element of C is the dot product of a row of op(A) and a column of
 * op(B), both laid out along k, so the vectors run along k and no lane is padding. The packed
 * and {@link NarrowGemm} paths run their vectors along n: n = 10 fills 10 of 16 lanes and wastes
 * 37% of the multiply-adds, where 4×4 tiles of dot products compute 12 columns for 10 (n rounded
 * up to a multiple of {@link #COLUMNS}) plus a reduction per element at the end of k.
 *
 * <p>op(A)'s rows are A's rows (A untransposed, in a float[]), read in place (copied with zeros
 * to a whole number of V-float pieces where k is not a multiple of V). op(B)'s columns are packed
 * once a block of k, times alpha, into V-float pieces along k, four columns' pieces of one step
 * side by side (piece c of column 4g + i at {@code ((g·pieces + c)·4 + i)·V}), so that a tile
 * reads one stream at a constant stride, whose range C2 checks once for the loop. For a
 * transposed B that is a copy of its rows; for an untransposed B, a transpose (see
 * {@link #packColumns}).
 */
final class DotGemm {

    private static final VectorSpecies<Float> S = Species.FLOAT;
    private static final int V = S.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /** Tile: 4 rows × 4 columns of C, 16 accumulators (two FMA pipes × four cycles of latency, twice over). */
    static final int ROWS = 4;
    static final int COLUMNS = 4;
    /** Floats of a block's packed columns and four rows of A: 32 KiB, two thirds of a 48 KiB L1. */
    static final int L1_BLOCK_FLOATS = 8192;
    /**
     * Least depth: each tile ends with a reduction of its 16 accumulators, about as many
     * instructions as 8 of its steps; shallower products stay on {@link NarrowGemm}'s path.
     */
    static final int MIN_DEPTH = 8 * V;
    // The reduction's rounds (see dotTile): round h adds lanes l and l ^ h, of one accumulator
    // where bit h of l is clear and of the next where it is set.
    private static final VectorMask<Float> BIT_1 = GemmPacking.lanesWithBit(1);
    private static final VectorMask<Float> BIT_2 = GemmPacking.lanesWithBit(2);
    private static final VectorMask<Float> BIT_4 = GemmPacking.lanesWithBit(4);
    private static final VectorMask<Float> BIT_8 = GemmPacking.lanesWithBit(8);
    private static final VectorShuffle<Float> SWAP_1 = swap(1);
    private static final VectorShuffle<Float> SWAP_2 = swap(2);
    private static final VectorShuffle<Float> SWAP_4 = swap(4);
    private static final VectorShuffle<Float> SWAP_8 = swap(8);
    // Lanes 4·r … 4·r + 3, where the reduction leaves row r's sums (at V = 8 and 16).
    private static final VectorMask<Float> ROW_0 = rowLanes(0);
    private static final VectorMask<Float> ROW_1 = rowLanes(1);
    private static final VectorMask<Float> ROW_2 = rowLanes(2);
    private static final VectorMask<Float> ROW_3 = rowLanes(3);

    private final boolean transB;
    private final int m;
    private final int n;
    private final int k;
    private final float alpha;
    private final float beta;
    private final float[] a;
    private final int aStart;
    private final int lda;
    private final Operand b;
    private final long bOffset;
    private final int ldb;
    private final Operand c;
    private final long cOffset;
    private final int ldc;
    private final VectorGemm.Workspace workspace;
    private final int parts;
    /** n rounded up to whole tiles: the columns packed, those past n zero. */
    private final int width;
    /** V-float pieces along k per column: the last one zero-padded. */
    private final int pieces;
    private float[] packedB;

    /**
     * Whether this path takes the product: A untransposed in a float[], C at most
     * {@link NarrowGemm#MAX_WIDTH} wide, k deep enough to repay the reductions, and n a width
     * where the dot tiles compute enough fewer columns than {@link NarrowGemm}'s vectors would. A
     * transposed B is packed by copies, and 8/9 of the columns repay the reductions (an eighth
     * more work). An untransposed B must be transposed, which needs 4/5: at 50×25×225 (28 columns
     * for NarrowGemm's 32) the dot path took 6.4–9.7 µs against 5.1–6.5.
     */
    static boolean suits(boolean transA, boolean transB, Operand a, int n, int k) {
        if (transA || !a.onArray() || n > NarrowGemm.MAX_WIDTH || k < MIN_DEPTH) {
            return false;
        }
        int dotColumns = Math.ceilDiv(n, COLUMNS) * COLUMNS;
        if (transB) {
            return 9 * dotColumns < 8 * Math.ceilDiv(n, VectorGemm.NR) * VectorGemm.NR;
        }
        int narrowColumns = n <= V ? V : Math.ceilDiv(n, VectorGemm.NR) * VectorGemm.NR;
        return 5 * dotColumns <= 4 * narrowColumns;
    }

    /**
     * C = alpha·op(A)·op(B) + beta·C, k cut into blocks whose packed columns and four rows of A stay
     * in L1 together ({@link #L1_BLOCK_FLOATS}): each block after the first adds its sums to C.
     * At 1000×10×784 the whole depth at once (37 KiB of packed columns) ran 2× slower, its columns
     * streaming from L2 for every row of tiles.
     */
    static void run(boolean transB, int m, int n, int k, float alpha, Operand a, long aOffset, int lda,
                    Operand b, long bOffset, int ldb, float beta, Operand c, long cOffset, int ldc,
                    VectorGemm.Workspace workspace, int threads) {
        int width = Math.ceilDiv(n, COLUMNS) * COLUMNS;
        int widest = Math.max(MIN_DEPTH, L1_BLOCK_FLOATS / (width + ROWS) / V * V);
        int blocks = Math.ceilDiv(k, widest);
        int depth = Math.ceilDiv(Math.ceilDiv(k, blocks), V) * V;
        for (int start = 0; start < k; start += depth) {
            long bStart = bOffset + (transB ? start : (long) start * ldb);
            new DotGemm(transB, m, n, Math.min(depth, k - start), alpha, a, aOffset + start, lda, b, bStart, ldb,
                    start == 0 ? beta : 1f, c, cOffset, ldc, workspace, threads).run();
        }
    }

    private DotGemm(boolean transB, int m, int n, int k, float alpha, Operand a, long aOffset, int lda,
            Operand b, long bOffset, int ldb, float beta, Operand c, long cOffset, int ldc,
            VectorGemm.Workspace workspace, int threads) {
        this.transB = transB;
        this.m = m;
        this.n = n;
        this.k = k;
        this.alpha = alpha;
        this.beta = beta;
        this.a = a.array();
        this.aStart = (int) (a.base() + aOffset);
        this.lda = lda;
        this.b = b;
        this.bOffset = bOffset;
        this.ldb = ldb;
        this.c = c;
        this.cOffset = cOffset;
        this.ldc = ldc;
        this.workspace = workspace;
        this.parts = threads == 1 ? 1 : Math.min(Math.ceilDiv(m, ROWS), threads * VectorGemm.PARTS_PER_THREAD);
        this.width = Math.ceilDiv(n, COLUMNS) * COLUMNS;
        this.pieces = Math.ceilDiv(k, V);
    }

    private void run() {
        int floats = width * pieces * V;
        packedB = workspace.dotPackedB(floats);
        Arrays.fill(packedB, 0, floats, 0f);
        if (transB) {
            packRows();
        } else {
            packColumns();
        }
        Parallelism.run(parts, this::computePart);
    }

    /** op(B)'s columns are B's rows: each V-float piece of a row is one (masked) vector copy. */
    private void packRows() {
        for (int j = 0; j < n; j++) {
            long row = bOffset + (long) j * ldb;
            for (int piece = 0; piece < pieces; piece++) {
                int p = piece * V;
                VectorMask<Float> inside = S.indexInRange(p, k);
                FloatVector values = b.onArray()
                        ? FloatVector.fromArray(S, b.array(), b.base() + (int) row + p, inside)
                        : FloatVector.fromMemorySegment(S, b.segment(), (row + p) * Float.BYTES, ORDER, inside);
                values.mul(alpha).intoArray(packedB, packedIndex(piece, j));
            }
        }
    }

    /**
     * op(B)'s columns are B's columns. With 16-float vectors and B in a float[], each piece of 16
     * columns is transposed in registers ({@link GemmPacking#transposeBlock}, into the workspace's
     * first tile) and copied a column at a time (10×256 in about 0.25 µs, where one element at a
     * time took 0.75). Otherwise, and for a piece whose last row's vector would pass the end of B,
     * one element at a time.
     */
    private void packColumns() {
        boolean byBlocks = V == GemmPacking.TRANSPOSE_LINES && b.onArray();
        MemorySegment block = workspace.tiles[0];
        long rowBytes = (long) V * Float.BYTES;
        for (int first = 0; first < n; first += V) {
            int columns = Math.min(V, n - first);
            for (int piece = 0; piece < pieces; piece++) {
                int p = piece * V;
                int lines = Math.min(V, k - p);
                long from = bOffset + (long) p * ldb + first;
                if (byBlocks && b.base() + from + (long) (lines - 1) * ldb + V <= b.array().length) {
                    GemmPacking.transposeBlock(b.array(), b.base() + (int) from, ldb, lines, block, 0, rowBytes, alpha);
                    for (int j = 0; j < columns; j++) {
                        FloatVector.fromMemorySegment(S, block, j * rowBytes, ORDER).intoArray(packedB, packedIndex(piece, first + j));
                    }
                } else {
                    for (int j = 0; j < columns; j++) {
                        int to = packedIndex(piece, first + j);
                        for (int l = 0; l < lines; l++) {
                            packedB[to + l] = alpha * b.get(from + (long) l * ldb + j);
                        }
                    }
                }
            }
        }
    }

    /** Where piece {@code piece} of column {@code column} starts in the packed op(B). */
    private int packedIndex(int piece, int column) {
        return ((column / COLUMNS * pieces + piece) * COLUMNS + column % COLUMNS) * V;
    }

    private void computePart(int part) {
        int rowTiles = Math.ceilDiv(m, ROWS);
        int first = (int) ((long) part * rowTiles / parts);
        int last = (int) ((long) (part + 1) * rowTiles / parts);
        float[] sums = workspace.dotSums;
        int rowSums = part * VectorGemm.DOT_SUMS_STRIDE;
        // Where k is not a multiple of V, each tile's rows are copied into whole, zero-padded
        // pieces first (the packed columns are zero there too), so that the kernel has no partial step.
        int depth = pieces * V;
        float[] padded = depth == k ? null : workspace.scratch(part, ROWS * depth);
        for (int tile = first; tile < last; tile++) {
            int row = tile * ROWS;
            // A row past the end repeats the last one: valid memory, never merged into C.
            int a0 = aStart + row * lda;
            int a1 = aStart + Math.min(row + 1, m - 1) * lda;
            int a2 = aStart + Math.min(row + 2, m - 1) * lda;
            int a3 = aStart + Math.min(row + 3, m - 1) * lda;
            float[] rows = a;
            if (padded != null) {
                copyPadded(a0, padded, 0);
                copyPadded(a1, padded, depth);
                copyPadded(a2, padded, 2 * depth);
                copyPadded(a3, padded, 3 * depth);
                rows = padded;
                a0 = 0;
                a1 = depth;
                a2 = 2 * depth;
                a3 = 3 * depth;
            }
            for (int col = 0; col < n; col += COLUMNS) {
                dotTile(depth, rows, a0, a1, a2, a3, packedB, packedIndex(0, col), sums, rowSums + col, width);
            }
            merge(sums, rowSums, row);
        }
    }

    /** The k floats of A from {@code a[from]} into {@code padded[to]}, then zeros up to the next whole piece. */
    private void copyPadded(int from, float[] padded, int to) {
        int whole = k - k % V;
        System.arraycopy(a, from, padded, to, whole);
        FloatVector.fromArray(S, a, from + whole, S.indexInRange(whole, k)).intoArray(padded, to + whole);
    }

    /**
     * C = sums + beta·C for the rows of the tile at {@code row} that lie inside C, from their sums
     * at {@code sums[from + r·width]} (alpha is in the packed B): whole vectors along the row, the
     * last one masked.
     */
    private void merge(float[] sums, int from, int row) {
        int height = Math.min(ROWS, m - row);
        FloatVector betas = FloatVector.broadcast(S, beta);
        for (int r = 0; r < height; r++) {
            long start = cOffset + (long) (row + r) * ldc;
            int rowFrom = from + r * width;
            for (int j = 0; j < n; j += V) {
                VectorMask<Float> inside = S.indexInRange(j, n);
                FloatVector value = FloatVector.fromArray(S, sums, rowFrom + j);
                if (c.onArray()) {
                    float[] out = c.array();
                    int to = c.base() + (int) (start + j);
                    if (beta != 0f) {
                        value = FloatVector.fromArray(S, out, to, inside).fma(betas, value);
                    }
                    value.intoArray(out, to, inside);
                } else {
                    long to = (start + j) * Float.BYTES;
                    if (beta != 0f) {
                        value = FloatVector.fromMemorySegment(S, c.segment(), to, ORDER, inside).fma(betas, value);
                    }
                    value.intoMemorySegment(c.segment(), to, ORDER, inside);
                }
            }
        }
    }

    /**
     * sums[to + r·stride + j] = Σ_p a[a_r + p]·op(B)[p, j] over p in [0, depth), a multiple of V:
     * four rows of A against four packed columns (from {@code b[bAt]}, each step's four pieces side
     * by side), 16 vector accumulators along k, then the lanes of each summed.
     *
     * <p>The lanes are summed in rounds that each halve the vectors, pairing neighbours x and y:
     * lanes l and l ^ h of x added where bit h of l is clear, of y where it is set, for h = 1, 2, …
     * V/2, until V sums lie in one vector, lane l holding accumulator l of its group of V. Both
     * operands of every addition come from one accumulator, so each accumulator's lanes are summed
     * in the same tree, whichever tile and slot it is in. Written out, without a helper for the
     * round, and with no separate step for a partial piece: either made C2 stop inlining at its
     * node cutoff and box the vectors handed to the calls it left (tens of microseconds a call).
     */
    static void dotTile(int depth, float[] a, int a0, int a1, int a2, int a3, float[] b, int bAt,
                        float[] sums, int to, int stride) {
        FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s03 = s00;
        FloatVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        FloatVector s20 = s00, s21 = s00, s22 = s00, s23 = s00;
        FloatVector s30 = s00, s31 = s00, s32 = s00, s33 = s00;
        for (int p = 0; p < depth; p += V) {
            int bi = bAt + COLUMNS * p;
            FloatVector x0 = FloatVector.fromArray(S, a, a0 + p);
            FloatVector x1 = FloatVector.fromArray(S, a, a1 + p);
            FloatVector x2 = FloatVector.fromArray(S, a, a2 + p);
            FloatVector x3 = FloatVector.fromArray(S, a, a3 + p);
            FloatVector y = FloatVector.fromArray(S, b, bi);
            s00 = x0.fma(y, s00);
            s10 = x1.fma(y, s10);
            s20 = x2.fma(y, s20);
            s30 = x3.fma(y, s30);
            y = FloatVector.fromArray(S, b, bi + V);
            s01 = x0.fma(y, s01);
            s11 = x1.fma(y, s11);
            s21 = x2.fma(y, s21);
            s31 = x3.fma(y, s31);
            y = FloatVector.fromArray(S, b, bi + 2 * V);
            s02 = x0.fma(y, s02);
            s12 = x1.fma(y, s12);
            s22 = x2.fma(y, s22);
            s32 = x3.fma(y, s32);
            y = FloatVector.fromArray(S, b, bi + 3 * V);
            s03 = x0.fma(y, s03);
            s13 = x1.fma(y, s13);
            s23 = x2.fma(y, s23);
            s33 = x3.fma(y, s33);
        }
        FloatVector t0 = s00.blend(s01, BIT_1).add(s01.blend(s00, BIT_1).rearrange(SWAP_1));
        FloatVector t1 = s02.blend(s03, BIT_1).add(s03.blend(s02, BIT_1).rearrange(SWAP_1));
        FloatVector t2 = s10.blend(s11, BIT_1).add(s11.blend(s10, BIT_1).rearrange(SWAP_1));
        FloatVector t3 = s12.blend(s13, BIT_1).add(s13.blend(s12, BIT_1).rearrange(SWAP_1));
        FloatVector t4 = s20.blend(s21, BIT_1).add(s21.blend(s20, BIT_1).rearrange(SWAP_1));
        FloatVector t5 = s22.blend(s23, BIT_1).add(s23.blend(s22, BIT_1).rearrange(SWAP_1));
        FloatVector t6 = s30.blend(s31, BIT_1).add(s31.blend(s30, BIT_1).rearrange(SWAP_1));
        FloatVector t7 = s32.blend(s33, BIT_1).add(s33.blend(s32, BIT_1).rearrange(SWAP_1));
        FloatVector u0 = t0.blend(t1, BIT_2).add(t1.blend(t0, BIT_2).rearrange(SWAP_2));
        FloatVector u1 = t2.blend(t3, BIT_2).add(t3.blend(t2, BIT_2).rearrange(SWAP_2));
        FloatVector u2 = t4.blend(t5, BIT_2).add(t5.blend(t4, BIT_2).rearrange(SWAP_2));
        FloatVector u3 = t6.blend(t7, BIT_2).add(t7.blend(t6, BIT_2).rearrange(SWAP_2));
        // Row r's four sums are lanes 4·r' … 4·r' + 3 (r' = r mod V/4) of the vector holding them:
        // each is stored shifted 4·r' floats back, under a mask for those lanes.
        if (V == 4) {
            u0.intoArray(sums, to);
            u1.intoArray(sums, to + stride);
            u2.intoArray(sums, to + 2 * stride);
            u3.intoArray(sums, to + 3 * stride);
            return;
        }
        FloatVector w0 = u0.blend(u1, BIT_4).add(u1.blend(u0, BIT_4).rearrange(SWAP_4));
        FloatVector w1 = u2.blend(u3, BIT_4).add(u3.blend(u2, BIT_4).rearrange(SWAP_4));
        if (V == 8) {
            w0.intoArray(sums, to, ROW_0);
            w0.intoArray(sums, to + stride - 4, ROW_1);
            w1.intoArray(sums, to + 2 * stride, ROW_0);
            w1.intoArray(sums, to + 3 * stride - 4, ROW_1);
            return;
        }
        FloatVector x = w0.blend(w1, BIT_8).add(w1.blend(w0, BIT_8).rearrange(SWAP_8));
        x.intoArray(sums, to, ROW_0);
        x.intoArray(sums, to + stride - 4, ROW_1);
        x.intoArray(sums, to + 2 * stride - 8, ROW_2);
        x.intoArray(sums, to + 3 * stride - 12, ROW_3);
    }

    /** Lanes l ^ h, for the rounds this width runs (h < V); the identity for the others, never used. */
    private static VectorShuffle<Float> swap(int h) {
        return VectorShuffle.fromOp(S, i -> h < V ? i ^ h : i);
    }

    private static VectorMask<Float> rowLanes(int r) {
        return VectorMask.fromLong(S, 4 * r < V ? 0xFL << 4 * r : 0);
    }
}
