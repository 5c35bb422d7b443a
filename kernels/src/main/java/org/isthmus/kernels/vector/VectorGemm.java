package org.isthmus.kernels.vector;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.isthmus.kernels.Parallelism;
import org.isthmus.kernels.Segments;

/**
 * sgemm on the Vector API, after BLIS: op(B) is packed into KC×NR slivers and op(A) (scaled by
 * alpha) into MC×KC blocks of MR-row slivers, both zero-padded to whole tiles and to an even
 * depth, and one register-blocked micro-kernel computes each MR×NR tile of C with MR·NR/V
 * accumulators held in registers. The packed B panel is shared by all threads; each part of the
 * compute phase packs the A blocks of its own rows. Narrow products (n ≤ 2·NR) take
 * {@link NarrowGemm}'s direct path, or where n would leave its vectors partly empty
 * {@link DotGemm}'s (A untransposed: vectors along k) or {@link ColumnGemm}'s (A transposed:
 * vectors along m).
 */
final class VectorGemm {

    private static final VectorSpecies<Float> S = Species.FLOAT;
    private static final int V = S.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** Register tile: MR rows × NR columns = 12 accumulators, which with 2 B vectors and 1 broadcast fits AVX2's 16 registers. */
    static final int MR = 6;
    static final int NR = 2 * V;
    /**
     * Greatest depth of one packed block. Each block sweeps all of C once (load, add, store), so
     * deeper blocks cost less C traffic; a KC×NR sliver of B (32 KiB at V = 8, 128 KiB at V = 16)
     * streams from L2. k is cut into equal blocks of at most KC (784 = 2 × 392 at V = 8, not
     * 512 + 272). With 16-lane vectors each pass over C costs more against the faster arithmetic:
     * on an AVX-512 host, 512 → 1024 took n = 1024 from 0.83 to 0.97 of OpenBLAS (bench/NOTES.md,
     * "Session 25").
     */
    static final int KC = V >= 16 ? 1024 : 512;
    /**
     * Rows of one packed A block, which stays in L2 beside a B sliver: MC×KC floats are 288 KiB at
     * V = 8 (144 rows) and 384 KiB at V = 16 (96 rows, for a 1 MiB L2).
     */
    static final int MC = (V >= 16 ? 16 : 24) * MR;
    /**
     * Floats left free after each MR-row sliver of a packed A block: one cache line, so that the
     * slivers do not start in the same L1 sets. A transposed A is packed a row at a time into every
     * sliver of the block at once, and at kc = 1024 slivers 24 KiB apart sent all of those stores
     * to one set (bench/NOTES.md, "Session 28").
     */
    static final int A_SLIVER_GAP = 16;
    /**
     * Most floats in one packed block of B (4 MiB), which every MC-row block of A streams from L3:
     * n is cut into equal panels as wide as that allows at the call's depth (1024 columns at depth
     * 1024). At V = 16, 8 MiB blocks (2048 columns) fed the micro-kernel at 217 GFLOP/s against 239
     * for 4 MiB, and 2048³ went from 0.90 to 0.96 of OpenBLAS once A's packing was cheap enough to
     * be done once a panel (bench/NOTES.md, "Session 28").
     */
    static final int B_BLOCK_FLOATS = 1 << 20;
    /** Widest C, in NR-wide slivers, for which the packed path reads A in place. */
    static final int IN_PLACE_SLIVERS = 16;
    /**
     * Widest span of memory, in bytes, that a sliver of a transposed A read in place may cover (one
     * line a step, lda apart): past it the lines collide in the caches' sets and the TLB
     * (2048×512×2048 TN took 1.85× NN's time in place, 1.16× packed; 128×256×784's 400 KiB is fine).
     */
    private static final long IN_PLACE_TRANSPOSED_SPAN = 512 * 1024;
    /** Packed B of one group of KC blocks: 16 MiB at most, within L3. */
    static final long B_GROUP_FLOATS = 1L << 22;
    /**
     * Each parallel phase is cut into this many parts per thread, claimed one by one: a thread
     * that starts late (descheduled, waking) takes fewer parts instead of holding up the call.
     */
    static final int PARTS_PER_THREAD = 4;
    /**
     * Floats between two parts' {@link DotGemm} sums: a row of tiles (4 rows of at most 64 columns),
     * a vector's slack, then 64 bytes, so that no two parts share a cache line.
     */
    static final int DOT_SUMS_STRIDE = DotGemm.ROWS * NarrowGemm.MAX_WIDTH + V + 16;
    /** Below this many multiply-adds per thread, a second thread costs more than it saves. */
    private static final long MIN_WORK_PER_THREAD = 1L << 21;

    /**
     * Workspaces kept between calls, one per concurrent caller up to a bound: a burst of callers
     * does not pin its buffers (up to 16 MiB each) for the life of the JVM.
     */
    private static final BlockingQueue<Workspace> WORKSPACES = new ArrayBlockingQueue<>(Math.max(4, Parallelism.threads()));

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
            Operand aOperand = Operand.of(a);
            Operand bOperand = Operand.of(b);
            Operand cOperand = Operand.of(c);
            if (DotGemm.suits(transA, transB, aOperand, n, k)) {
                DotGemm.run(transB, m, n, k, alpha, aOperand, aOffset, lda, bOperand, bOffset, ldb,
                        beta, cOperand, cOffset, ldc, workspace, threads);
            } else if (ColumnGemm.suits(transA, aOperand, m, n)) {
                new ColumnGemm(transB, m, n, k, alpha, aOperand, aOffset, lda, bOperand, bOffset, ldb,
                        beta, cOperand, cOffset, ldc, workspace, threads).run();
            } else if (NarrowGemm.suits(aOperand, n)) {
                new NarrowGemm(transA, transB, m, n, k, alpha, aOperand, aOffset, lda, bOperand, bOffset, ldb,
                        beta, cOperand, cOffset, ldc, workspace, threads).run();
            } else {
                new Call(transA, transB, m, n, k, alpha, aOperand, aOffset, lda, bOperand, bOffset, ldb,
                        beta, cOperand, cOffset, ldc, workspace, threads).run();
            }
        } finally {
            // A full pool drops the workspace; its automatic arena frees the memory.
            WORKSPACES.offer(workspace);
        }
    }

    private static int threadsFor(int m, int n, int k) {
        long work = (long) m * n * k;
        long byWork = Math.max(1, work / MIN_WORK_PER_THREAD);
        return (int) Math.min(Parallelism.threads(), byWork);
    }

    private static Workspace acquire(int threads) {
        int parts = threads * PARTS_PER_THREAD;
        Workspace workspace = WORKSPACES.poll();
        if (workspace == null || workspace.packedA.length < parts) {
            workspace = new Workspace(Math.max(parts, Parallelism.threads() * PARTS_PER_THREAD));
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

    /**
     * Packing buffers, reused across calls (one per concurrent call). Off-heap: the micro-kernel
     * runs at about twice the speed reading packed panels from native segments than from
     * float[] (measured, bench/NOTES.md). An automatic arena frees them with the workspace.
     */
    static final class Workspace {
        final MemorySegment[] packedA;
        final MemorySegment[] tiles;
        /** {@link DotGemm}'s sums: part i uses the floats from i·{@link #DOT_SUMS_STRIDE}. */
        final float[] dotSums;
        private MemorySegment packedB = MemorySegment.NULL;
        private float[] dotPackedB = new float[0];
        private final float[][] scratch;

        /**
         * Buffers for {@code parts} parts of a parallel phase; part i uses packedA[i] and tiles[i],
         * which holds the MC/MR tiles of one sliver of C before they are merged.
         */
        Workspace(int parts) {
            Arena arena = Arena.ofAuto();
            packedA = new MemorySegment[parts];
            tiles = new MemorySegment[parts];
            dotSums = new float[parts * DOT_SUMS_STRIDE];
            scratch = new float[parts][0];
            for (int t = 0; t < parts; t++) {
                packedA[t] = arena.allocate((MC / MR) * aSliverFloats(KC) * Float.BYTES, 64);
                tiles[t] = arena.allocate((long) MC * NR * Float.BYTES, 64);
            }
        }

        /**
         * Part {@code part}'s buffer for the narrow paths' copies of A (zero-padded) and tiles, grown
         * to hold at least {@code floats}.
         */
        float[] scratch(int part, int floats) {
            if (scratch[part].length < floats) {
                scratch[part] = new float[floats];
            }
            return scratch[part];
        }

        /** {@link DotGemm}'s and {@link ColumnGemm}'s packed op(B), grown to hold at least {@code floats}. */
        float[] dotPackedB(int floats) {
            if (dotPackedB.length < floats) {
                dotPackedB = new float[floats];
            }
            return dotPackedB;
        }

        /** The packed-B buffer, grown (in its own arena, so the old one can be freed) to hold {@code floats}. */
        MemorySegment packedB(long floats) {
            if (packedB.byteSize() < floats * Float.BYTES) {
                packedB = Arena.ofAuto().allocate(floats * Float.BYTES, 64);
            }
            return packedB;
        }
    }

    /** One sgemm call: the loops over blocks of B, with packing and compute split over threads. */
    private static final class Call {
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
        private final Workspace workspace;
        private final int threads;
        /** The depth of every packed block but perhaps the last: k split evenly into blocks of at most KC. */
        private final int depth;
        /** The width of every panel of B but perhaps the last: n split evenly into panels of at most {@link #B_BLOCK_FLOATS}. */
        private final int panelWidth;
        /**
         * A in a float[] and C at most {@link #IN_PLACE_SLIVERS} slivers wide: the micro-kernel
         * broadcasts from A where it lies (six rows, or for a transposed A six adjacent columns) and
         * A is not packed, since so few slivers would not repay the packing (128×256×784: 0.72–0.81×
         * → 0.93× OpenBLAS; transposed, 302 → 273 µs against NN's 253). Wider products pack: six
         * rows of a wide A read in place cost cache-set conflicts (n = 2048: 0.80× → 0.68×).
         */
        private final boolean readsAInPlace;

        // The current group of KC blocks, written by the calling thread between parallel phases.
        private int jc;
        private int nc;
        private int groupStart;
        private int groupEnd;
        private long blockFloats;
        private boolean splitRows;
        /** Parts of the compute phase: row ranges, or (each repacking A) column ranges, one per thread. */
        private int computeParts;
        private int packParts;
        private MemorySegment packedB;

        Call(boolean transA, boolean transB, int m, int n, int k, float alpha,
             Operand a, long aOffset, int lda, Operand b, long bOffset, int ldb,
             float beta, Operand c, long cOffset, int ldc, Workspace workspace, int threads) {
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
            this.depth = ceilDiv(k, ceilDiv(k, KC));
            int widest = Math.max(NR, B_BLOCK_FLOATS / packedDepth(depth) / NR * NR);
            this.panelWidth = ceilDiv(ceilDiv(n, ceilDiv(n, widest)), NR) * NR;
            this.readsAInPlace = a.onArray() && ceilDiv(n, NR) <= IN_PLACE_SLIVERS
                    && (!transA || (long) depth * lda * Float.BYTES <= IN_PLACE_TRANSPOSED_SPAN);
        }

        /**
         * For each panel of B: pack a group of KC blocks of it (as many as fit
         * {@link #B_GROUP_FLOATS}), then compute them, each phase split into parts over the
         * threads. Two synchronisations per group, not per block.
         */
        void run() {
            int rowSlivers = ceilDiv(m, MR);
            for (jc = 0; jc < n; jc += panelWidth) {
                nc = Math.min(panelWidth, n - jc);
                splitRows = balance(rowSlivers) >= balance(ceilDiv(nc, NR));
                computeParts = threads == 1 ? 1 : splitRows ? Math.min(rowSlivers, threads * PARTS_PER_THREAD) : threads;
                blockFloats = (long) ceilDiv(nc, NR) * NR * packedDepth(depth);
                int blocksPerGroup = (int) Math.max(1, Math.min(ceilDiv(k, depth), B_GROUP_FLOATS / blockFloats));
                packedB = workspace.packedB(blocksPerGroup * blockFloats);
                for (groupStart = 0; groupStart < k; groupStart = groupEnd) {
                    groupEnd = (int) Math.min(k, groupStart + (long) blocksPerGroup * depth);
                    packParts = threads == 1 ? 1
                            : Math.min(ceilDiv(groupEnd - groupStart, depth) * ceilDiv(nc, NR), threads * PARTS_PER_THREAD);
                    Parallelism.run(packParts, this::packGroupB);
                    Parallelism.run(computeParts, this::computeGroup);
                }
            }
        }

        /** The share of the work the busiest thread does not waste when {@code units} are split evenly. */
        private double balance(int units) {
            return (double) units / (ceilDiv(units, threads) * threads);
        }

        /**
         * Packs this thread's share of the group's blocks of op(B) into NR-wide slivers: its units
         * (a block's sliver each) are taken as runs of adjacent slivers of one block.
         */
        private void packGroupB(int part) {
            int slivers = ceilDiv(nc, NR);
            int units = ceilDiv(groupEnd - groupStart, depth) * slivers;
            int first = (int) ((long) part * units / packParts);
            int last = (int) ((long) (part + 1) * units / packParts);
            for (int unit = first; unit < last; ) {
                int block = unit / slivers;
                int s = unit % slivers;
                int run = Math.min(last - unit, slivers - s);
                int pc = groupStart + block * depth;
                int kc = Math.min(depth, k - pc);
                int col = jc + s * NR;
                int width = Math.min(run * NR, n - col);
                long sliverFloats = (long) packedDepth(kc) * NR;
                long base = block * blockFloats + s * sliverFloats;
                // Alpha rides on A when A is packed, on B when the kernel reads A in place.
                float scale = readsAInPlace ? alpha : 1f;
                if (transB) {
                    for (int i = 0; i < run; i++) {
                        int sliverCol = col + i * NR;
                        GemmPacking.transposed(b, bOffset + (long) sliverCol * ldb + pc, ldb, Math.min(NR, n - sliverCol), kc,
                                packedB, base + i * sliverFloats, NR, scale);
                    }
                } else {
                    GemmPacking.slivers(b, bOffset + (long) pc * ldb + col, ldb, kc, width, packedB, base, sliverFloats, scale);
                }
                for (int i = 0; i < run; i++) {
                    zeroPaddingStep(packedB, base + i * sliverFloats, kc, NR);
                }
                unit += run;
            }
        }

        /** This thread's rows (or column slivers) of C, over every block of the group. */
        private void computeGroup(int part) {
            int rowSlivers = ceilDiv(m, MR);
            int colSlivers = ceilDiv(nc, NR);
            int rowStart = 0;
            int rowEnd = m;
            int sliverStart = 0;
            int sliverEnd = colSlivers;
            if (splitRows) {
                rowStart = (int) ((long) part * rowSlivers / computeParts) * MR;
                rowEnd = Math.min(m, (int) ((long) (part + 1) * rowSlivers / computeParts) * MR);
            } else {
                sliverStart = (int) ((long) part * colSlivers / computeParts);
                sliverEnd = (int) ((long) (part + 1) * colSlivers / computeParts);
            }
            MemorySegment packedA = workspace.packedA[part];
            MemorySegment tile = workspace.tiles[part];
            for (int pc = groupStart; pc < groupEnd; pc += depth) {
                int kc = Math.min(depth, k - pc);
                float blockBeta = pc == 0 ? beta : 1f;
                long blockBase = (pc - groupStart) / depth * blockFloats;
                for (int ic = rowStart; ic < rowEnd; ic += MC) {
                    int mc = Math.min(MC, rowEnd - ic);
                    if (!readsAInPlace) {
                        packBlockA(ic, mc, pc, kc, packedA);
                    }
                    for (int s = sliverStart; s < sliverEnd; s++) {
                        int col = jc + s * NR;
                        int width = Math.min(NR, n - col);
                        long bBase = blockBase + (long) s * packedDepth(kc) * NR;
                        if (readsAInPlace) {
                            for (int ir = 0; ir < mc; ir += MR) {
                                int row = ic + ir;
                                if (transA) {
                                    multiplyTransposedInPlace(row, pc, kc, bBase, tile);
                                } else {
                                    NarrowGemm.microKernel(kc, a.array(), rowStart(row, pc), rowStart(row + 1, pc),
                                            rowStart(row + 2, pc), rowStart(row + 3, pc), rowStart(row + 4, pc),
                                            rowStart(row + 5, pc), packedB, bBase, tile);
                                }
                                mergeTile(tile, 0, Math.min(MR, mc - ir), width, c, cOffset + (long) row * ldc + col, ldc, blockBeta);
                            }
                        } else {
                            // The sliver's tiles first, then their merges together: the misses on C's rows
                            // overlap (2048³ on two threads: 404 → 416 GFLOP/s, bench/NOTES.md, "Session 28").
                            for (int ir = 0; ir < mc; ir += MR) {
                                microKernel(packedDepth(kc), packedA, ir / MR * aSliverFloats(kc), packedB, bBase,
                                        tile, (long) ir * NR * Float.BYTES);
                            }
                            for (int ir = 0; ir < mc; ir += MR) {
                                mergeTile(tile, (long) ir * NR * Float.BYTES, Math.min(MR, mc - ir), width, c,
                                        cOffset + (long) (ic + ir) * ldc + col, ldc, blockBeta);
                            }
                        }
                    }
                }
            }
        }

        /**
         * The tile of rows [row, row + MR) of a transposed A read in place, depth [pc, pc + kc): op(A)'s
         * rows are adjacent columns of A, read from one base, as {@link NarrowGemm} does; rows past
         * the last read the elements after it, never merged, unless that would pass the end of A's
         * segment (at most the last sliver), where each row reads its own clamped column.
         */
        private void multiplyTransposedInPlace(int row, int pc, int kc, long bBase, MemorySegment tile) {
            float[] array = a.array();
            int first = (int) (a.base() + aOffset + (long) pc * lda);
            if (first + row + (long) (kc - 1) * lda + MR <= a.base() + a.segment().byteSize() / Float.BYTES) {
                NarrowGemm.microKernelAdjacentColumns(kc, array, first + row, lda, packedB, bBase, tile);
            } else {
                NarrowGemm.microKernelStrided(kc, array, first + row, first + Math.min(row + 1, m - 1),
                        first + Math.min(row + 2, m - 1), first + Math.min(row + 3, m - 1),
                        first + Math.min(row + 4, m - 1), first + Math.min(row + 5, m - 1), lda, packedB, bBase, tile);
            }
        }

        /** Where row {@code row} of A (the last row for rows past the end, never merged) starts, from column pc. */
        private int rowStart(int row, int pc) {
            return (int) (a.base() + aOffset + (long) Math.min(row, m - 1) * lda + pc);
        }

        /**
         * Packs rows [ic, ic+mc) of op(A), columns [pc, pc+kc), times alpha, into MR-row slivers
         * {@link #aSliverFloats} apart. A transposed A from a float[] is read a row at a time into
         * every whole sliver at once: sliver by sliver, each step visited a new row of A (its own
         * 4 KiB page at lda = 1024) once per sliver.
         */
        private void packBlockA(int ic, int mc, int pc, int kc, MemorySegment packed) {
            long sliverFloats = aSliverFloats(kc);
            int wholeSlivers = MR == 6 && a.onArray() ? mc / MR : 0;
            if (transA && wholeSlivers > 0) {
                GemmPacking.rowsOfSix(a.array(), (int) (a.base() + aOffset + (long) pc * lda + ic), lda, kc, wholeSlivers,
                        packed, 0, sliverFloats, alpha);
            }
            for (int ir = 0; ir < mc; ir += MR) {
                int height = Math.min(MR, mc - ir);
                int row = ic + ir;
                long base = ir / MR * sliverFloats;
                if (ir / MR < wholeSlivers) {
                    if (!transA) {
                        GemmPacking.transposeSixLines(a.array(), (int) (a.base() + aOffset + (long) row * lda + pc), lda, kc,
                                packed, base, alpha);
                    }
                } else if (transA) {
                    GemmPacking.rows(a, aOffset + (long) pc * lda + row, lda, kc, height, packed, base, MR, alpha);
                } else {
                    GemmPacking.transposed(a, aOffset + (long) row * lda + pc, lda, height, kc, packed, base, MR, alpha);
                }
                zeroPaddingStep(packed, base, kc, MR);
            }
        }
    }

    /** Floats from one MR-row sliver of a packed A block of kc steps to the next. */
    static long aSliverFloats(int kc) {
        return (long) MR * packedDepth(kc) + A_SLIVER_GAP;
    }

    /**
     * The MR×NR register tile: tile = Σ_p A[p]·B[p] over kc packed steps, written row by row
     * (NR floats each) to the off-heap {@code tile} from byte {@code tileAt}. It does nothing else: a larger method
     * crosses C2's inlining node limit, and a vector that meets a call left out is boxed.
     * {@code kc} is even ({@link #packedDepth}): the loop takes two steps a pass, which C2 does
     * not unroll by itself, so the loop's own instructions (counter, B's bounds checks, address
     * arithmetic) are paid once per 24 FMAs instead of once per 12.
     */
    static void microKernel(int kc, MemorySegment a, long aBase, MemorySegment b, long bBase, MemorySegment tile, long tileAt) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        // Byte offsets stepped by addition, and unaligned loads (no alignment check): measured
        // 20% faster than indexing from p with an aligned layout.
        long half = (long) V * Float.BYTES;
        long nextA = (long) MR * Float.BYTES;
        long nextB = (long) NR * Float.BYTES;
        long ai = aBase * Float.BYTES;
        long bi = bBase * Float.BYTES;
        long aEnd = ai + (long) kc * MR * Float.BYTES;
        for (; ai < aEnd; ai += 2 * nextA, bi += 2 * nextB) {
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, bi, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(S, b, bi + half, ORDER);
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
            // The pair's second step.
            b0 = FloatVector.fromMemorySegment(S, b, bi + nextB, ORDER);
            b1 = FloatVector.fromMemorySegment(S, b, bi + nextB + half, ORDER);
            av = FloatVector.broadcast(S, a.get(FLOAT, ai + nextA));
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, a.get(FLOAT, ai + nextA + 4));
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, a.get(FLOAT, ai + nextA + 8));
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, a.get(FLOAT, ai + nextA + 12));
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, a.get(FLOAT, ai + nextA + 16));
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, a.get(FLOAT, ai + nextA + 20));
            c50 = av.fma(b0, c50);
            c51 = av.fma(b1, c51);
        }
        long row = nextB;
        c00.intoMemorySegment(tile, tileAt, ORDER);
        c01.intoMemorySegment(tile, tileAt + half, ORDER);
        c10.intoMemorySegment(tile, tileAt + row, ORDER);
        c11.intoMemorySegment(tile, tileAt + row + half, ORDER);
        c20.intoMemorySegment(tile, tileAt + 2 * row, ORDER);
        c21.intoMemorySegment(tile, tileAt + 2 * row + half, ORDER);
        c30.intoMemorySegment(tile, tileAt + 3 * row, ORDER);
        c31.intoMemorySegment(tile, tileAt + 3 * row + half, ORDER);
        c40.intoMemorySegment(tile, tileAt + 4 * row, ORDER);
        c41.intoMemorySegment(tile, tileAt + 4 * row + half, ORDER);
        c50.intoMemorySegment(tile, tileAt + 5 * row, ORDER);
        c51.intoMemorySegment(tile, tileAt + 5 * row + half, ORDER);
    }

    /** The depth of a packed block of kc steps: kc rounded up to even, the extra step zeros in A and in B. */
    static int packedDepth(int kc) {
        return kc + (kc & 1);
    }

    /** Zeros the step after the {@code kc} packed steps of {@code width} floats at {@code base}, if kc is odd. */
    private static void zeroPaddingStep(MemorySegment packed, long base, int kc, int width) {
        if (packedDepth(kc) != kc) {
            packed.asSlice((base + (long) kc * width) * Float.BYTES, (long) width * Float.BYTES).fill((byte) 0);
        }
    }

    /**
     * C = beta·C + the tile at byte {@code tileAt}, for the {@code height × width} part of an edge
     * tile that lies inside C: whole vectors where they fit, then single floats.
     */
    static void mergeEdgeTile(MemorySegment tile, long tileAt, int height, int width, Operand c, long cIndex, int ldc, float beta) {
        int whole = width - width % V;
        FloatVector betaV = FloatVector.broadcast(S, beta);
        for (int i = 0; i < height; i++) {
            long row = cIndex + (long) i * ldc;
            int j = 0;
            for (; j < whole; j += V) {
                FloatVector value = FloatVector.fromMemorySegment(S, tile, tileAt + (long) (i * NR + j) * Float.BYTES, ORDER);
                if (c.onArray()) {
                    int at = (int) (c.base() + row + j);
                    if (beta != 0f) {
                        value = FloatVector.fromArray(S, c.array(), at).fma(betaV, value);
                    }
                    value.intoArray(c.array(), at);
                } else {
                    long at = (row + j) * Float.BYTES;
                    if (beta != 0f) {
                        value = FloatVector.fromMemorySegment(S, c.segment(), at, ORDER).fma(betaV, value);
                    }
                    value.intoMemorySegment(c.segment(), at, ORDER);
                }
            }
            for (; j < width; j++) {
                float value = tile.getAtIndex(FLOAT, tileAt / Float.BYTES + i * NR + j);
                if (beta != 0f) {
                    value = Math.fma(beta, c.segment().getAtIndex(FLOAT, row + j), value);
                }
                c.segment().setAtIndex(FLOAT, row + j, value);
            }
        }
    }

    /** C[MR×NR at cIndex] = beta·C + the tile at byte {@code tileAt}, or its part inside C at the edges. */
    static void mergeTile(MemorySegment tile, long tileAt, int height, int width, Operand c, long cIndex, int ldc, float beta) {
        if (height < MR || width < NR) {
            mergeEdgeTile(tile, tileAt, height, width, c, cIndex, ldc, beta);
        } else if (c.onArray()) {
            mergeTile(tile, tileAt, c.array(), (int) (c.base() + cIndex), ldc, beta);
        } else {
            mergeTile(tile, tileAt, c.segment(), cIndex, ldc, beta);
        }
    }

    /** C[MR×NR at cIndex] = beta·C + tile, C as a float[] (the Vector API boxes on heap segments). */
    private static void mergeTile(MemorySegment tile, long tileAt, float[] c, int cIndex, int ldc, float beta) {
        FloatVector betaV = FloatVector.broadcast(S, beta);
        for (int r = 0; r < MR; r++) {
            int at = cIndex + r * ldc;
            long from = tileAt + (long) r * NR * Float.BYTES;
            FloatVector t0 = FloatVector.fromMemorySegment(S, tile, from, ORDER);
            FloatVector t1 = FloatVector.fromMemorySegment(S, tile, from + (long) V * Float.BYTES, ORDER);
            if (beta != 0f) {
                t0 = FloatVector.fromArray(S, c, at).fma(betaV, t0);
                t1 = FloatVector.fromArray(S, c, at + V).fma(betaV, t1);
            }
            t0.intoArray(c, at);
            t1.intoArray(c, at + V);
        }
    }

    /** C[MR×NR at cIndex] = beta·C + tile, C in a native segment. */
    private static void mergeTile(MemorySegment tile, long tileAt, MemorySegment c, long cIndex, int ldc, float beta) {
        FloatVector betaV = FloatVector.broadcast(S, beta);
        for (int r = 0; r < MR; r++) {
            long at = (cIndex + (long) r * ldc) * Float.BYTES;
            long from = tileAt + (long) r * NR * Float.BYTES;
            long half = (long) V * Float.BYTES;
            FloatVector t0 = FloatVector.fromMemorySegment(S, tile, from, ORDER);
            FloatVector t1 = FloatVector.fromMemorySegment(S, tile, from + half, ORDER);
            if (beta != 0f) {
                t0 = FloatVector.fromMemorySegment(S, c, at, ORDER).fma(betaV, t0);
                t1 = FloatVector.fromMemorySegment(S, c, at + half, ORDER).fma(betaV, t1);
            }
            t0.intoMemorySegment(c, at, ORDER);
            t1.intoMemorySegment(c, at + half, ORDER);
        }
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }
}
