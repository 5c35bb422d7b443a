package org.isthmus.kernels.vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.ConcurrentLinkedQueue;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.isthmus.kernels.Parallelism;
import org.isthmus.kernels.Segments;

/**
 * sgemm on the Vector API, after BLIS: op(B) is packed into KC×NR slivers and op(A) (scaled by
 * alpha) into MC×KC blocks of MR-row slivers, both zero-padded to whole tiles, and one
 * register-blocked micro-kernel computes each MR×NR tile of C with MR·NR/V accumulators held in
 * registers. The B panel is shared by all threads; each thread packs its own A blocks.
 */
final class VectorGemm {

    private static final VectorSpecies<Float> S = Species.FLOAT;
    private static final int V = S.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** Register tile: MR rows × NR columns = 12 accumulators, which with 2 B vectors and 1 broadcast fits AVX2's 16 registers. */
    static final int MR = 6;
    static final int NR = 2 * V;
    /** Depth of one packed block: a KC×NR sliver of B (16 KiB at V = 8) stays in L1. */
    static final int KC = 256;
    /** Rows of one packed A block: MC×KC floats (144 KiB) stay in L2. */
    static final int MC = 24 * MR;
    /** Columns of one packed B panel: KC×NC floats (2 MiB) stay in L3. */
    static final int NC = 2048;
    /** Below this many multiply-adds per thread, a second thread costs more than it saves. */
    private static final long MIN_WORK_PER_THREAD = 1L << 21;

    private static final ConcurrentLinkedQueue<Workspace> WORKSPACES = new ConcurrentLinkedQueue<>();

    private VectorGemm() {
    }

    static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb,
                      float beta, MemorySegment c, long cOffset, int ldc) {
        if (k == 0 || alpha == 0f) {
            scale(m, n, beta, c, cOffset, ldc);
            return;
        }
        int threads = Segments.shareable(a, b, c) ? threadsFor(m, n, k) : 1;
        Workspace workspace = acquire(threads);
        try {
            Call call = new Call(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb,
                    beta, c, cOffset, ldc, workspace, threads);
            call.run();
        } finally {
            WORKSPACES.offer(workspace);
        }
    }

    private static int threadsFor(int m, int n, int k) {
        long work = (long) m * n * k;
        long byWork = Math.max(1, work / MIN_WORK_PER_THREAD);
        return (int) Math.min(Parallelism.threads(), byWork);
    }

    private static Workspace acquire(int threads) {
        Workspace workspace = WORKSPACES.poll();
        if (workspace == null || workspace.packedA.length < threads) {
            workspace = new Workspace(Math.max(threads, Parallelism.threads()));
        }
        return workspace;
    }

    /** C = beta·C (beta = 0 writes zeros, ignoring NaN in C). */
    private static void scale(int m, int n, float beta, MemorySegment c, long cOffset, int ldc) {
        if (beta == 1f) {
            return;
        }
        for (int i = 0; i < m; i++) {
            long row = cOffset + (long) i * ldc;
            if (beta == 0f) {
                c.asSlice(row * Float.BYTES, (long) n * Float.BYTES).fill((byte) 0);
                continue;
            }
            for (int j = 0; j < n; j++) {
                c.setAtIndex(FLOAT, row + j, beta * c.getAtIndex(FLOAT, row + j));
            }
        }
    }

    /** Packing buffers, reused across calls (one per concurrent call). */
    private static final class Workspace {
        final float[] packedB = new float[KC * NC];
        final float[][] packedA;
        final float[][] edgeTiles;
        final MemorySegment[] edgeTileSegments;

        Workspace(int threads) {
            packedA = new float[threads][MC * KC];
            edgeTiles = new float[threads][MR * NR];
            edgeTileSegments = new MemorySegment[threads];
            for (int t = 0; t < threads; t++) {
                edgeTileSegments[t] = MemorySegment.ofArray(edgeTiles[t]);
            }
        }
    }

    /** One sgemm call: the loops over KC×NC blocks, with packing and compute split over threads. */
    private static final class Call {
        private final boolean transA;
        private final boolean transB;
        private final int m;
        private final int n;
        private final int k;
        private final float alpha;
        private final float beta;
        private final MemorySegment a;
        private final MemorySegment b;
        private final MemorySegment c;
        private final long aOffset;
        private final long bOffset;
        private final long cOffset;
        private final int lda;
        private final int ldb;
        private final int ldc;
        private final Workspace workspace;
        private final int threads;

        // The current block, written by the calling thread between parallel phases.
        private int jc;
        private int nc;
        private int pc;
        private int kc;
        private float blockBeta;
        private boolean splitRows;

        Call(boolean transA, boolean transB, int m, int n, int k, float alpha,
             MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb,
             float beta, MemorySegment c, long cOffset, int ldc, Workspace workspace, int threads) {
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
            this.threads = threads;
        }

        void run() {
            int rowSlivers = ceilDiv(m, MR);
            for (jc = 0; jc < n; jc += NC) {
                nc = Math.min(NC, n - jc);
                splitRows = balance(rowSlivers) >= balance(ceilDiv(nc, NR));
                for (pc = 0; pc < k; pc += KC) {
                    kc = Math.min(KC, k - pc);
                    blockBeta = pc == 0 ? beta : 1f;
                    Parallelism.run(threads, this::packPanelB);
                    Parallelism.run(threads, this::computePart);
                }
            }
        }

        /** The share of the work the busiest thread does not waste when {@code units} are split evenly. */
        private double balance(int units) {
            return (double) units / (ceilDiv(units, threads) * threads);
        }

        /** Packs this thread's share of the KC×NC panel of op(B) into NR-wide slivers. */
        private void packPanelB(int part) {
            int slivers = ceilDiv(nc, NR);
            int first = (int) ((long) part * slivers / threads);
            int last = (int) ((long) (part + 1) * slivers / threads);
            float[] packed = workspace.packedB;
            for (int s = first; s < last; s++) {
                int col = jc + s * NR;
                int width = Math.min(NR, n - col);
                int base = s * kc * NR;
                if (transB) {
                    packTransposed(b, bOffset + (long) col * ldb + pc, ldb, width, kc, packed, base, NR, 1f);
                } else {
                    packRows(b, bOffset + (long) pc * ldb + col, ldb, kc, width, packed, base, NR);
                }
            }
        }

        private void computePart(int part) {
            int rowSlivers = ceilDiv(m, MR);
            int colSlivers = ceilDiv(nc, NR);
            int rowStart = 0;
            int rowEnd = m;
            int sliverStart = 0;
            int sliverEnd = colSlivers;
            if (splitRows) {
                rowStart = (int) ((long) part * rowSlivers / threads) * MR;
                rowEnd = Math.min(m, (int) ((long) (part + 1) * rowSlivers / threads) * MR);
            } else {
                sliverStart = (int) ((long) part * colSlivers / threads);
                sliverEnd = (int) ((long) (part + 1) * colSlivers / threads);
            }
            float[] packedA = workspace.packedA[part];
            float[] packedB = workspace.packedB;
            for (int ic = rowStart; ic < rowEnd; ic += MC) {
                int mc = Math.min(MC, rowEnd - ic);
                packBlockA(ic, mc, packedA);
                for (int s = sliverStart; s < sliverEnd; s++) {
                    int col = jc + s * NR;
                    int width = Math.min(NR, n - col);
                    int bBase = s * kc * NR;
                    for (int ir = 0; ir < mc; ir += MR) {
                        int height = Math.min(MR, mc - ir);
                        int aBase = ir * kc;
                        long cIndex = cOffset + (long) (ic + ir) * ldc + col;
                        if (height == MR && width == NR) {
                            microKernel(kc, packedA, aBase, packedB, bBase, c, cIndex, ldc, blockBeta);
                        } else {
                            microKernel(kc, packedA, aBase, packedB, bBase, workspace.edgeTileSegments[part], 0, NR, 0f);
                            mergeEdgeTile(workspace.edgeTiles[part], height, width, cIndex);
                        }
                    }
                }
            }
        }

        /** Packs rows [ic, ic+mc) of op(A), columns [pc, pc+kc), times alpha, into MR-row slivers. */
        private void packBlockA(int ic, int mc, float[] packed) {
            for (int ir = 0; ir < mc; ir += MR) {
                int height = Math.min(MR, mc - ir);
                int row = ic + ir;
                int base = ir * kc;
                if (transA) {
                    packRowsScaled(a, aOffset + (long) pc * lda + row, lda, kc, height, packed, base, MR, alpha);
                } else {
                    packTransposed(a, aOffset + (long) row * lda + pc, lda, height, kc, packed, base, MR, alpha);
                }
            }
        }

        /** C tile += (or = beta·C +) the edge tile computed into a buffer, for the part inside C. */
        private void mergeEdgeTile(float[] tile, int height, int width, long cIndex) {
            for (int i = 0; i < height; i++) {
                long row = cIndex + (long) i * ldc;
                for (int j = 0; j < width; j++) {
                    float value = tile[i * NR + j];
                    if (blockBeta != 0f) {
                        value = Math.fma(blockBeta, c.getAtIndex(FLOAT, row + j), value);
                    }
                    c.setAtIndex(FLOAT, row + j, value);
                }
            }
        }
    }

    /**
     * Copies {@code rows} rows of {@code width} floats (source rows {@code ld} apart) into
     * {@code packed}, each row padded with zeros to {@code stride}.
     */
    private static void packRows(MemorySegment src, long index, int ld, int rows, int width,
                                 float[] packed, int base, int stride) {
        for (int r = 0; r < rows; r++) {
            long from = index + (long) r * ld;
            int to = base + r * stride;
            if (width == stride && stride == NR) {
                FloatVector.fromMemorySegment(S, src, from * Float.BYTES, ORDER).intoArray(packed, to);
                FloatVector.fromMemorySegment(S, src, (from + V) * Float.BYTES, ORDER).intoArray(packed, to + V);
                continue;
            }
            for (int j = 0; j < width; j++) {
                packed[to + j] = src.getAtIndex(FLOAT, from + j);
            }
            for (int j = width; j < stride; j++) {
                packed[to + j] = 0f;
            }
        }
    }

    /** {@link #packRows} with every value multiplied by {@code scale}. */
    private static void packRowsScaled(MemorySegment src, long index, int ld, int rows, int width,
                                       float[] packed, int base, int stride, float scale) {
        for (int r = 0; r < rows; r++) {
            long from = index + (long) r * ld;
            int to = base + r * stride;
            for (int j = 0; j < width; j++) {
                packed[to + j] = scale * src.getAtIndex(FLOAT, from + j);
            }
            for (int j = width; j < stride; j++) {
                packed[to + j] = 0f;
            }
        }
    }

    /**
     * Packs the transpose: source rows become packed columns. {@code lines} source rows of
     * {@code length} floats each ({@code ld} apart) land as columns 0..lines-1 of a
     * {@code length × stride} packed block; columns lines..stride-1 are zero.
     */
    private static void packTransposed(MemorySegment src, long index, int ld, int lines, int length,
                                       float[] packed, int base, int stride, float scale) {
        for (int line = 0; line < lines; line++) {
            long from = index + (long) line * ld;
            for (int p = 0; p < length; p++) {
                packed[base + p * stride + line] = scale * src.getAtIndex(FLOAT, from + p);
            }
        }
        for (int line = lines; line < stride; line++) {
            for (int p = 0; p < length; p++) {
                packed[base + p * stride + line] = 0f;
            }
        }
    }

    /**
     * The MR×NR register tile: C[0..MR, 0..NR] (rows ldc apart from element cIndex) =
     * beta·C + Σ_p A[p]·B[p] over kc packed steps; beta = 0 ignores C's contents.
     */
    static void microKernel(int kc, float[] a, int aBase, float[] b, int bBase,
                            MemorySegment c, long cIndex, int ldc, float beta) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int bi = bBase + p * NR;
            int ai = aBase + p * MR;
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + V);
            FloatVector av = FloatVector.broadcast(S, a[ai]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, a[ai + 1]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, a[ai + 2]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, a[ai + 3]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, a[ai + 4]);
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, a[ai + 5]);
            c50 = av.fma(b0, c50);
            c51 = av.fma(b1, c51);
        }
        long rowBytes = (long) ldc * Float.BYTES;
        long at = cIndex * Float.BYTES;
        storeRow(c, at, c00, c01, beta);
        storeRow(c, at + rowBytes, c10, c11, beta);
        storeRow(c, at + 2 * rowBytes, c20, c21, beta);
        storeRow(c, at + 3 * rowBytes, c30, c31, beta);
        storeRow(c, at + 4 * rowBytes, c40, c41, beta);
        storeRow(c, at + 5 * rowBytes, c50, c51, beta);
    }

    private static void storeRow(MemorySegment c, long at, FloatVector x0, FloatVector x1, float beta) {
        if (beta != 0f) {
            FloatVector betaV = FloatVector.broadcast(S, beta);
            x0 = FloatVector.fromMemorySegment(S, c, at, ORDER).fma(betaV, x0);
            x1 = FloatVector.fromMemorySegment(S, c, at + (long) V * Float.BYTES, ORDER).fma(betaV, x1);
        }
        x0.intoMemorySegment(c, at, ORDER);
        x1.intoMemorySegment(c, at + (long) V * Float.BYTES, ORDER);
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }
}
