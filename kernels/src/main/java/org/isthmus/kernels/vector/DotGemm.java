package org.isthmus.kernels.vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.isthmus.kernels.Parallelism;

/**
 * The path for narrow products whose width would leave NR-wide vectors half empty, such as a
 * classifier's 10 outputs: each element of C is the dot product of a row of op(A) and a column of
 * op(B), both laid out along k, so the vectors run along k and no lane is padding. The packed
 * and {@link NarrowGemm} paths run their vectors along n: n = 10 fills 10 of 16 lanes and wastes
 * 37% of the multiply-adds, where 2×4 tiles of dot products compute 12 columns for 10 (n rounded
 * up to a multiple of {@link #COLUMNS}) plus a reduction per element at the end of k.
 *
 * <p>Both operands are read in place: op(A)'s rows are A's rows (A untransposed) and op(B)'s
 * columns are B's rows (B transposed), both in float[]s: a linear layer's forward pass, x·Wᵀ.
 * An untransposed B would first have to be copied transposed (n·k floats), which measured as
 * slow as the lanes it saves at 128×10×256, so that case stays on {@link NarrowGemm}.
 */
final class DotGemm {

    private static final VectorSpecies<Float> S = Species.FLOAT;
    private static final int V = S.length();
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Tile: 2 rows × 4 columns of C, 8 accumulators (two FMA pipes × four cycles of FMA latency). */
    static final int ROWS = 2;
    static final int COLUMNS = 4;
    /**
     * Least depth: each tile ends with 8 reductions and a scalar merge, about as many instructions
     * as 32 steps of {@link NarrowGemm}'s kernel; shallower products stay on that path.
     */
    static final int MIN_DEPTH = 8 * V;

    private final int m;
    private final int n;
    private final int k;
    private final float alpha;
    private final float beta;
    private final float[] a;
    private final int aStart;
    private final int lda;
    private final Operand c;
    private final long cOffset;
    private final int ldc;
    private final VectorGemm.Workspace workspace;
    private final int parts;
    /** op(B)'s column j is B's row j, at {@code bStart + j·ldb} in {@code b}. */
    private final float[] b;
    private final int bStart;
    private final int ldb;

    /**
     * Whether this path takes the product: A untransposed and B transposed, both in float[]s, C at
     * most {@link NarrowGemm#MAX_WIDTH} wide, k deep enough to repay the reductions, and n a width
     * whose NR-wide vectors would compute at least 9/8 of the columns the dot tiles compute (the
     * reductions cost about an eighth more).
     */
    static boolean suits(boolean transA, boolean transB, Operand a, Operand b, int n, int k) {
        int dotColumns = Math.ceilDiv(n, COLUMNS) * COLUMNS;
        int vectorColumns = Math.ceilDiv(n, VectorGemm.NR) * VectorGemm.NR;
        return !transA && transB && a.onArray() && b.onArray() && n <= NarrowGemm.MAX_WIDTH && k >= MIN_DEPTH
                && 9L * dotColumns < 8L * vectorColumns;
    }

    DotGemm(int m, int n, int k, float alpha, Operand a, long aOffset, int lda,
            Operand b, long bOffset, int ldb, float beta, Operand c, long cOffset, int ldc,
            VectorGemm.Workspace workspace, int threads) {
        this.m = m;
        this.n = n;
        this.k = k;
        this.alpha = alpha;
        this.beta = beta;
        this.a = a.array();
        this.aStart = (int) (a.base() + aOffset);
        this.lda = lda;
        this.c = c;
        this.cOffset = cOffset;
        this.ldc = ldc;
        this.workspace = workspace;
        this.parts = threads == 1 ? 1 : Math.min(Math.ceilDiv(m, ROWS), threads * VectorGemm.PARTS_PER_THREAD);
        this.b = b.array();
        this.bStart = (int) (b.base() + bOffset);
        this.ldb = ldb;
    }

    void run() {
        Parallelism.run(parts, this::computePart);
    }

    private void computePart(int part) {
        int rowPairs = Math.ceilDiv(m, ROWS);
        int first = (int) ((long) part * rowPairs / parts);
        int last = (int) ((long) (part + 1) * rowPairs / parts);
        float[] sums = workspace.dotSums;
        int at = part * VectorGemm.DOT_SUMS_STRIDE;
        for (int pair = first; pair < last; pair++) {
            int row = pair * ROWS;
            // A row or column past the end repeats the last one: valid memory, never merged into C.
            int a0 = aStart + row * lda;
            int a1 = aStart + Math.min(row + 1, m - 1) * lda;
            for (int col = 0; col < n; col += COLUMNS) {
                dotTile(k, a, a0, a1, b, column(col), column(col + 1), column(col + 2), column(col + 3), sums, at);
                merge(sums, at, row, col);
            }
        }
    }

    private int column(int j) {
        return bStart + Math.min(j, n - 1) * ldb;
    }

    /** C = alpha·sums + beta·C over the part of the tile at (row, col) that lies inside C. */
    private void merge(float[] sums, int at, int row, int col) {
        int height = Math.min(ROWS, m - row);
        int width = Math.min(COLUMNS, n - col);
        for (int r = 0; r < height; r++) {
            long start = cOffset + (long) (row + r) * ldc + col;
            int from = at + r * COLUMNS;
            if (c.onArray()) {
                float[] out = c.array();
                int to = (int) (c.base() + start);
                for (int j = 0; j < width; j++) {
                    out[to + j] = beta == 0f ? alpha * sums[from + j] : Math.fma(beta, out[to + j], alpha * sums[from + j]);
                }
            } else {
                MemorySegment out = c.segment();
                for (int j = 0; j < width; j++) {
                    float value = alpha * sums[from + j];
                    out.setAtIndex(FLOAT, start + j, beta == 0f ? value : Math.fma(beta, out.getAtIndex(FLOAT, start + j), value));
                }
            }
        }
    }

    /**
     * sums[at + r·4 + j] = Σ_p a[a_r + p]·b[b_j + p] over p in [0, k): two rows of A against four rows
     * of B, 8 vector accumulators along k, each reduced once at the end; the last k mod V steps
     * in scalar.
     */
    static void dotTile(int k, float[] a, int a0, int a1, float[] b, int b0, int b1, int b2, int b3,
                        float[] sums, int at) {
        FloatVector s00 = FloatVector.zero(S), s01 = FloatVector.zero(S), s02 = FloatVector.zero(S), s03 = FloatVector.zero(S);
        FloatVector s10 = FloatVector.zero(S), s11 = FloatVector.zero(S), s12 = FloatVector.zero(S), s13 = FloatVector.zero(S);
        int whole = k - k % V;
        for (int p = 0; p < whole; p += V) {
            FloatVector x0 = FloatVector.fromArray(S, a, a0 + p);
            FloatVector x1 = FloatVector.fromArray(S, a, a1 + p);
            FloatVector y = FloatVector.fromArray(S, b, b0 + p);
            s00 = x0.fma(y, s00);
            s10 = x1.fma(y, s10);
            y = FloatVector.fromArray(S, b, b1 + p);
            s01 = x0.fma(y, s01);
            s11 = x1.fma(y, s11);
            y = FloatVector.fromArray(S, b, b2 + p);
            s02 = x0.fma(y, s02);
            s12 = x1.fma(y, s12);
            y = FloatVector.fromArray(S, b, b3 + p);
            s03 = x0.fma(y, s03);
            s13 = x1.fma(y, s13);
        }
        float t00 = s00.reduceLanes(VectorOperators.ADD), t01 = s01.reduceLanes(VectorOperators.ADD);
        float t02 = s02.reduceLanes(VectorOperators.ADD), t03 = s03.reduceLanes(VectorOperators.ADD);
        float t10 = s10.reduceLanes(VectorOperators.ADD), t11 = s11.reduceLanes(VectorOperators.ADD);
        float t12 = s12.reduceLanes(VectorOperators.ADD), t13 = s13.reduceLanes(VectorOperators.ADD);
        for (int p = whole; p < k; p++) {
            float x0 = a[a0 + p];
            float x1 = a[a1 + p];
            t00 = Math.fma(x0, b[b0 + p], t00);
            t01 = Math.fma(x0, b[b1 + p], t01);
            t02 = Math.fma(x0, b[b2 + p], t02);
            t03 = Math.fma(x0, b[b3 + p], t03);
            t10 = Math.fma(x1, b[b0 + p], t10);
            t11 = Math.fma(x1, b[b1 + p], t11);
            t12 = Math.fma(x1, b[b2 + p], t12);
            t13 = Math.fma(x1, b[b3 + p], t13);
        }
        sums[at + 0] = t00;
        sums[at + 1] = t01;
        sums[at + 2] = t02;
        sums[at + 3] = t03;
        sums[at + 4] = t10;
        sums[at + 5] = t11;
        sums[at + 6] = t12;
        sums[at + 7] = t13;
    }
}
