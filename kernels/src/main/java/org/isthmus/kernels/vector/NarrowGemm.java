package org.isthmus.kernels.vector;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.isthmus.kernels.Parallelism;

/**
 * The direct path for narrow products, n ≤ 2·NR (a classifier's output layer, a thin matrix):
 * op(B) is packed once (k×n is small), A (transposed or not) is not packed at all. Packing A costs as much as the
 * product when each element of A meets only n columns, so the micro-kernel broadcasts straight
 * from six rows of op(A) in A's float[], over all of k at once (no blocking over k, one merge per tile).
 * Measured 85–90 GFLOP/s for the kernel, like the packed one.
 */
final class NarrowGemm {

    private static final VectorSpecies<Float> S = Species.FLOAT;
    private static final int V = S.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final int MR = VectorGemm.MR;
    private static final int NR = VectorGemm.NR;
    /** Widest C this path takes: at most two column slivers, so A is read at most twice. */
    static final int MAX_WIDTH = 2 * NR;

    private final boolean transA;
    private final boolean transB;
    private final int m;
    private final int n;
    private final int k;
    private final float alpha;
    private final float beta;
    private final Operand a;
    private final Operand b;
    private final Operand c;
    private final long aOffset;
    private final long bOffset;
    private final long cOffset;
    private final int lda;
    private final int ldb;
    private final int ldc;
    private final VectorGemm.Workspace workspace;
    /** Parts of row slivers, claimed by the threads one by one. */
    private final int parts;
    private MemorySegment packedB;

    /** Whether this path takes the product: A held in a float[], C narrow. */
    static boolean suits(Operand a, int n) {
        return a.onArray() && n <= MAX_WIDTH;
    }

    NarrowGemm(boolean transA, boolean transB, int m, int n, int k, float alpha, Operand a, long aOffset, int lda,
               Operand b, long bOffset, int ldb, float beta, Operand c, long cOffset, int ldc,
               VectorGemm.Workspace workspace, int threads) {
        this.transA = transA;
        this.transB = transB;
        this.m = m;
        this.n = n;
        this.k = k;
        this.alpha = alpha;
        this.beta = beta;
        this.a = a;
        this.b = b;
        this.c = c;
        this.aOffset = aOffset;
        this.bOffset = bOffset;
        this.cOffset = cOffset;
        this.lda = lda;
        this.ldb = ldb;
        this.ldc = ldc;
        this.workspace = workspace;
        this.parts = threads == 1 ? 1 : Math.min(Math.ceilDiv(m, MR), threads * VectorGemm.PARTS_PER_THREAD);
    }

    void run() {
        int slivers = Math.ceilDiv(n, NR);
        packedB = workspace.packedB((long) slivers * NR * k);
        for (int s = 0; s < slivers; s++) {
            int col = s * NR;
            int width = Math.min(NR, n - col);
            long base = (long) s * k * NR;
            if (transB) {
                GemmPacking.transposed(b, bOffset + (long) col * ldb, ldb, width, k, packedB, base, NR, alpha);
            } else {
                GemmPacking.rows(b, bOffset + col, ldb, k, width, packedB, base, NR, alpha);
            }
        }
        Parallelism.run(parts, this::computePart);
    }

    private void computePart(int part) {
        int rowSlivers = Math.ceilDiv(m, MR);
        int first = (int) ((long) part * rowSlivers / parts);
        int last = (int) ((long) (part + 1) * rowSlivers / parts);
        MemorySegment tile = workspace.tiles[part];
        float[] array = a.array();
        long segmentEnd = a.base() + a.segment().byteSize() / Float.BYTES;
        for (int rs = first; rs < last; rs++) {
            int row = rs * MR;
            int height = Math.min(MR, m - row);
            // Rows past the end of A repeat its last row: valid memory, and never merged into C.
            int a0 = rowStart(row);
            int a1 = rowStart(Math.min(row + 1, m - 1));
            int a2 = rowStart(Math.min(row + 2, m - 1));
            int a3 = rowStart(Math.min(row + 3, m - 1));
            int a4 = rowStart(Math.min(row + 4, m - 1));
            int a5 = rowStart(Math.min(row + 5, m - 1));
            for (int col = 0; col < n; col += NR) {
                boolean oneVector = n - col <= V;
                if (transA && a0 + (long) (k - 1) * lda + MR <= segmentEnd) {
                    // The rows of op(A) are six adjacent columns of A, read from one base; rows
                    // past the last read the elements after it, inside A's segment, never merged.
                    if (oneVector) {
                        microKernelOneVectorAdjacentColumns(k, array, a0, lda, packedB, (long) col * k, tile);
                    } else {
                        microKernelAdjacentColumns(k, array, a0, lda, packedB, (long) col * k, tile);
                    }
                } else if (transA) {
                    // A last, partial sliver at the very end of A's segment: each row from its own (clamped)
                    // base. At most once a call, so a one-vector sliver takes the two-vector kernel here (the
                    // same sums, lane for lane).
                    microKernelStrided(k, array, a0, a1, a2, a3, a4, a5, lda, packedB, (long) col * k, tile);
                } else if (oneVector) {
                    microKernelOneVector(k, array, a0, a1, a2, a3, a4, a5, packedB, (long) col * k, tile);
                } else {
                    microKernel(k, array, a0, a1, a2, a3, a4, a5, packedB, (long) col * k, tile);
                }
                VectorGemm.mergeTile(tile, 0, height, Math.min(NR, n - col), c, cOffset + (long) row * ldc + col, ldc, beta);
            }
        }
    }

    /** Where row {@code row} of op(A) starts in A's array. */
    private int rowStart(int row) {
        return (int) (a.base() + aOffset + (transA ? row : (long) row * lda));
    }

    /**
     * tile = Σ_p A[rows, p]·B[p] for p in [0, k): six rows of A read where they lie, element p
     * of row r at {@code a_r + p}; B from its packed NR-wide sliver.
     */
    static void microKernel(int k, float[] a, int a0, int a1, int a2, int a3, int a4, int a5,
                            MemorySegment b, long bBase, MemorySegment tile) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        long bi = bBase * Float.BYTES;
        for (int p = 0; p < k; p++, bi += NR * Float.BYTES) {
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, bi, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(S, b, bi + (long) V * Float.BYTES, ORDER);
            FloatVector av = FloatVector.broadcast(S, a[a0 + p]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, a[a1 + p]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, a[a2 + p]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, a[a3 + p]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, a[a4 + p]);
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, a[a5 + p]);
            c50 = av.fma(b0, c50);
            c51 = av.fma(b1, c51);
        }
        // Stored here, not through a helper: twelve vectors passed to a call C2 leaves out are boxed.
        long row = (long) NR * Float.BYTES;
        long half = (long) V * Float.BYTES;
        c00.intoMemorySegment(tile, 0, ORDER);
        c01.intoMemorySegment(tile, half, ORDER);
        c10.intoMemorySegment(tile, row, ORDER);
        c11.intoMemorySegment(tile, row + half, ORDER);
        c20.intoMemorySegment(tile, 2 * row, ORDER);
        c21.intoMemorySegment(tile, 2 * row + half, ORDER);
        c30.intoMemorySegment(tile, 3 * row, ORDER);
        c31.intoMemorySegment(tile, 3 * row + half, ORDER);
        c40.intoMemorySegment(tile, 4 * row, ORDER);
        c41.intoMemorySegment(tile, 4 * row + half, ORDER);
        c50.intoMemorySegment(tile, 5 * row, ORDER);
        c51.intoMemorySegment(tile, 5 * row + half, ORDER);
    }

    /**
     * {@link #microKernel} for a transposed A: element p of row r of op(A) is at
     * {@code a_r + p·step}. A kernel of its own because C2 removes the array range checks only
     * for a constant stride: one kernel for both costs the untransposed case about 20%.
     */
    static void microKernelStrided(int k, float[] a, int a0, int a1, int a2, int a3, int a4, int a5, int step,
                            MemorySegment b, long bBase, MemorySegment tile) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        long bi = bBase * Float.BYTES;
        for (int p = 0, ap = 0; p < k; p++, ap += step, bi += NR * Float.BYTES) {
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, bi, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(S, b, bi + (long) V * Float.BYTES, ORDER);
            FloatVector av = FloatVector.broadcast(S, a[a0 + ap]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, a[a1 + ap]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, a[a2 + ap]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, a[a3 + ap]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, a[a4 + ap]);
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, a[a5 + ap]);
            c50 = av.fma(b0, c50);
            c51 = av.fma(b1, c51);
        }
        // Stored here, not through a helper: twelve vectors passed to a call C2 leaves out are boxed.
        long row = (long) NR * Float.BYTES;
        long half = (long) V * Float.BYTES;
        c00.intoMemorySegment(tile, 0, ORDER);
        c01.intoMemorySegment(tile, half, ORDER);
        c10.intoMemorySegment(tile, row, ORDER);
        c11.intoMemorySegment(tile, row + half, ORDER);
        c20.intoMemorySegment(tile, 2 * row, ORDER);
        c21.intoMemorySegment(tile, 2 * row + half, ORDER);
        c30.intoMemorySegment(tile, 3 * row, ORDER);
        c31.intoMemorySegment(tile, 3 * row + half, ORDER);
        c40.intoMemorySegment(tile, 4 * row, ORDER);
        c41.intoMemorySegment(tile, 4 * row + half, ORDER);
        c50.intoMemorySegment(tile, 5 * row, ORDER);
        c51.intoMemorySegment(tile, 5 * row + half, ORDER);
    }

    /**
     * {@link #microKernel} for a transposed A whose six rows of op(A) are six adjacent columns of
     * A: element p of row r at {@code a0 + p·step + r}. From one base C2 checks the six loads of a
     * step as one range, 2 checks a step instead of 7 (37 instructions per 12 FMAs against 53 for
     * {@link #microKernelStrided}, 1.3× its speed on L1 data).
     */
    static void microKernelAdjacentColumns(int k, float[] a, int a0, int step,
                            MemorySegment b, long bBase, MemorySegment tile) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        long bi = bBase * Float.BYTES;
        for (int p = 0, ap = 0; p < k; p++, ap += step, bi += NR * Float.BYTES) {
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, bi, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(S, b, bi + (long) V * Float.BYTES, ORDER);
            FloatVector av = FloatVector.broadcast(S, a[a0 + ap]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, a[a0 + ap + 1]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, a[a0 + ap + 2]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, a[a0 + ap + 3]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, a[a0 + ap + 4]);
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, a[a0 + ap + 5]);
            c50 = av.fma(b0, c50);
            c51 = av.fma(b1, c51);
        }
        // Stored here, not through a helper: twelve vectors passed to a call C2 leaves out are boxed.
        long row = (long) NR * Float.BYTES;
        long half = (long) V * Float.BYTES;
        c00.intoMemorySegment(tile, 0, ORDER);
        c01.intoMemorySegment(tile, half, ORDER);
        c10.intoMemorySegment(tile, row, ORDER);
        c11.intoMemorySegment(tile, row + half, ORDER);
        c20.intoMemorySegment(tile, 2 * row, ORDER);
        c21.intoMemorySegment(tile, 2 * row + half, ORDER);
        c30.intoMemorySegment(tile, 3 * row, ORDER);
        c31.intoMemorySegment(tile, 3 * row + half, ORDER);
        c40.intoMemorySegment(tile, 4 * row, ORDER);
        c41.intoMemorySegment(tile, 4 * row + half, ORDER);
        c50.intoMemorySegment(tile, 5 * row, ORDER);
        c51.intoMemorySegment(tile, 5 * row + half, ORDER);
    }

    /**
     * {@link #microKernel} for a sliver at most one vector wide (n ≤ V, or the last columns): one
     * vector per row, so that no FMA works on a second vector of padding (with 16-float vectors,
     * 128×10×256 ran at half of OpenBLAS). Each lane is summed over p in the same order as in the
     * two-vector kernel, so a column's result does not depend on which kernel took its sliver (a
     * convolution's weight gradient with and without the bias column must agree bit for bit).
     */
    static void microKernelOneVector(int k, float[] a, int a0, int a1, int a2, int a3, int a4, int a5,
                            MemorySegment b, long bBase, MemorySegment tile) {
        FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
        long row = (long) NR * Float.BYTES;
        long bi = bBase * Float.BYTES;
        for (int p = 0; p < k; p++, bi += row) {
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, bi, ORDER);
            c0 = FloatVector.broadcast(S, a[a0 + p]).fma(b0, c0);
            c1 = FloatVector.broadcast(S, a[a1 + p]).fma(b0, c1);
            c2 = FloatVector.broadcast(S, a[a2 + p]).fma(b0, c2);
            c3 = FloatVector.broadcast(S, a[a3 + p]).fma(b0, c3);
            c4 = FloatVector.broadcast(S, a[a4 + p]).fma(b0, c4);
            c5 = FloatVector.broadcast(S, a[a5 + p]).fma(b0, c5);
        }
        // Stored here, not through a helper: vectors passed to a call C2 leaves out are boxed.
        c0.intoMemorySegment(tile, 0, ORDER);
        c1.intoMemorySegment(tile, row, ORDER);
        c2.intoMemorySegment(tile, 2 * row, ORDER);
        c3.intoMemorySegment(tile, 3 * row, ORDER);
        c4.intoMemorySegment(tile, 4 * row, ORDER);
        c5.intoMemorySegment(tile, 5 * row, ORDER);
    }

    /** {@link #microKernelOneVector} for six adjacent columns of A, as {@link #microKernelAdjacentColumns}. */
    static void microKernelOneVectorAdjacentColumns(int k, float[] a, int a0, int step,
                            MemorySegment b, long bBase, MemorySegment tile) {
        FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
        long row = (long) NR * Float.BYTES;
        long bi = bBase * Float.BYTES;
        for (int p = 0, ap = 0; p < k; p++, ap += step, bi += row) {
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, bi, ORDER);
            c0 = FloatVector.broadcast(S, a[a0 + ap]).fma(b0, c0);
            c1 = FloatVector.broadcast(S, a[a0 + ap + 1]).fma(b0, c1);
            c2 = FloatVector.broadcast(S, a[a0 + ap + 2]).fma(b0, c2);
            c3 = FloatVector.broadcast(S, a[a0 + ap + 3]).fma(b0, c3);
            c4 = FloatVector.broadcast(S, a[a0 + ap + 4]).fma(b0, c4);
            c5 = FloatVector.broadcast(S, a[a0 + ap + 5]).fma(b0, c5);
        }
        // Stored here, not through a helper: vectors passed to a call C2 leaves out are boxed.
        c0.intoMemorySegment(tile, 0, ORDER);
        c1.intoMemorySegment(tile, row, ORDER);
        c2.intoMemorySegment(tile, 2 * row, ORDER);
        c3.intoMemorySegment(tile, 3 * row, ORDER);
        c4.intoMemorySegment(tile, 4 * row, ORDER);
        c5.intoMemorySegment(tile, 5 * row, ORDER);
    }
}
