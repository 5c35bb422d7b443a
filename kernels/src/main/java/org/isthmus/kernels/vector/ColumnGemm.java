package org.isthmus.kernels.vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.isthmus.kernels.Parallelism;

/**
 * The path for a transposed A and a C narrower than one vector (such as Aᵀ·B with a
 * classifier's 10 outputs): Cᵀ = op(B)ᵀ·A is computed with the vectors along m, where
 * the rows of the stored A lie, so that no lane is padding. {@link NarrowGemm} runs its vectors
 * along n, which fills 10 of 16 lanes, and its six broadcasts of A a step feed one vector each:
 * 128×10×256 TN took 10 µs there.
 *
 * <p>A tile is NR rows of C by MR columns: per step p, two vectors of row p of the stored A (read
 * in place) and MR broadcasts of op(B)'s row p, packed once (times alpha, zero past n) into
 * slivers of MR columns; 12 accumulators, stored as MR columns of NR floats and merged into C's
 * rows element by element. A last tile narrower than NR rows reads a zero-padded copy of A's
 * last columns.
 */
final class ColumnGemm {

    private static final VectorSpecies<Float> S = Species.FLOAT;
    private static final int V = S.length();
    private static final int MR = VectorGemm.MR;
    private static final int NR = VectorGemm.NR;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

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
    private float[] packedB;

    /**
     * Whether this path takes the product: A transposed in a float[], at least one whole tile of
     * rows, and n a width whose MR-column slivers compute fewer columns than the one vector of
     * {@link NarrowGemm}. At n = 16 (18 columns for 16) the two were even: 288×16×64 TN 5.9–6.0 µs
     * here against 4.9–7.0 there, 128×16×256 7.5–7.7 against 7.8–8.0.
     */
    static boolean suits(boolean transA, Operand a, int m, int n) {
        return transA && a.onArray() && m >= NR && Math.ceilDiv(n, MR) * MR < V;
    }

    ColumnGemm(boolean transB, int m, int n, int k, float alpha, Operand a, long aOffset, int lda,
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
        this.parts = threads == 1 ? 1 : Math.min(Math.ceilDiv(m, NR), threads * VectorGemm.PARTS_PER_THREAD);
    }

    void run() {
        int slivers = Math.ceilDiv(n, MR);
        packedB = workspace.dotPackedB(slivers * MR * k);
        if (n % MR != 0) {
            Arrays.fill(packedB, (slivers - 1) * MR * k, slivers * MR * k, 0f);
        }
        for (int j = 0; j < n; j++) {
            int to = j / MR * MR * k + j % MR;
            if (b.onArray() && transB) {
                float[] array = b.array();
                for (int p = 0, from = b.base() + (int) (bOffset + (long) j * ldb); p < k; p++, to += MR) {
                    packedB[to] = alpha * array[from + p];
                }
            } else if (b.onArray()) {
                float[] array = b.array();
                for (int p = 0, from = b.base() + (int) bOffset + j; p < k; p++, from += ldb, to += MR) {
                    packedB[to] = alpha * array[from];
                }
            } else {
                for (int p = 0; p < k; p++, to += MR) {
                    packedB[to] = alpha * b.get(bOffset + (transB ? (long) j * ldb + p : (long) p * ldb + j));
                }
            }
        }
        Parallelism.run(parts, this::computePart);
    }

    private void computePart(int part) {
        int tiles = Math.ceilDiv(m, NR);
        int first = (int) ((long) part * tiles / parts);
        int last = (int) ((long) (part + 1) * tiles / parts);
        // The tile, then (for a last tile short of NR rows) the copy of A's last columns.
        float[] tile = workspace.scratch(part, MR * NR + (m % NR == 0 ? 0 : k * NR));
        for (int t = first; t < last; t++) {
            int row = t * NR;
            int height = Math.min(NR, m - row);
            float[] rows = a;
            int from = aStart + row;
            int step = lda;
            if (height < NR) {
                // The last rows of C: A's last columns copied with zeros to NR floats a step, after the tile.
                for (int p = 0; p < k; p++) {
                    int to = MR * NR + p * NR;
                    System.arraycopy(a, from + p * lda, tile, to, height);
                    Arrays.fill(tile, to + height, to + NR, 0f);
                }
                rows = tile;
                from = MR * NR;
                step = NR;
            }
            for (int col = 0; col < n; col += MR) {
                kernel(k, rows, from, step, packedB, col * k, tile);
                merge(tile, row, height, col, Math.min(MR, n - col));
            }
        }
    }

    /**
     * tile[j·NR + i] = Σ_p a[from + p·step + i]·b[bAt + p·MR + j] over p in [0, k): NR floats of each
     * step's row of A (two vectors) against MR packed elements of op(B), 12 accumulators.
     */
    static void kernel(int k, float[] a, int from, int step, float[] b, int bAt, float[] tile) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        for (int p = 0, ap = from; p < k; p++, ap += step) {
            FloatVector x0 = FloatVector.fromArray(S, a, ap);
            FloatVector x1 = FloatVector.fromArray(S, a, ap + V);
            int bp = bAt + p * MR;
            FloatVector y = FloatVector.broadcast(S, b[bp]);
            c00 = x0.fma(y, c00);
            c01 = x1.fma(y, c01);
            y = FloatVector.broadcast(S, b[bp + 1]);
            c10 = x0.fma(y, c10);
            c11 = x1.fma(y, c11);
            y = FloatVector.broadcast(S, b[bp + 2]);
            c20 = x0.fma(y, c20);
            c21 = x1.fma(y, c21);
            y = FloatVector.broadcast(S, b[bp + 3]);
            c30 = x0.fma(y, c30);
            c31 = x1.fma(y, c31);
            y = FloatVector.broadcast(S, b[bp + 4]);
            c40 = x0.fma(y, c40);
            c41 = x1.fma(y, c41);
            y = FloatVector.broadcast(S, b[bp + 5]);
            c50 = x0.fma(y, c50);
            c51 = x1.fma(y, c51);
        }
        c00.intoArray(tile, 0);
        c01.intoArray(tile, V);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + V);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + V);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + V);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + V);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + V);
    }

    /** C[row + i, col + j] = tile[j·NR + i] + beta·C for the tile's part inside C (alpha is in the packed B). */
    private void merge(float[] tile, int row, int height, int col, int width) {
        for (int i = 0; i < height; i++) {
            long start = cOffset + (long) (row + i) * ldc + col;
            if (c.onArray()) {
                float[] out = c.array();
                int to = c.base() + (int) start;
                for (int j = 0; j < width; j++) {
                    float value = tile[j * NR + i];
                    out[to + j] = beta == 0f ? value : Math.fma(beta, out[to + j], value);
                }
            } else {
                MemorySegment out = c.segment();
                for (int j = 0; j < width; j++) {
                    float value = tile[j * NR + i];
                    out.setAtIndex(FLOAT, start + j, beta == 0f ? value : Math.fma(beta, out.getAtIndex(FLOAT, start + j), value));
                }
            }
        }
    }
}
