package org.isthmus.kernels.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.isthmus.kernels.Backend;
import org.isthmus.kernels.Backends;
import org.isthmus.kernels.TestSeeds;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The narrow products that go to {@link DotGemm} (A untransposed in a float[], n a width that
 * would leave vectors partly empty, k ≥ {@link DotGemm#MIN_DEPTH}) and to {@link ColumnGemm} (A
 * transposed in a float[], n within a vector, m at least one tile; none at 128 bits), B transposed or not, on the
 * heap or in native memory, against the scalar reference (double sums), at every vector width the
 * build tests (widths on the path at each). DotGemm: widths that end with a partial 4-column tile,
 * row counts that end with a partial 4-row tile, depths with a partial piece after the last whole
 * vector, depths cut into several blocks (the later ones added to C). ColumnGemm: row counts that
 * end with a partial tile (read from a padded copy), widths that end with a partial sliver, depths
 * of 1. Both: offsets and leading dimensions wider than the rows, C on the heap or in native memory,
 * beta = 0 over a C full of NaN, and enough rows for every thread. Each case first asserts that the
 * path takes it.
 */
class NarrowPathsTest {

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final Backend SCALAR = Backends.get("scalar");
    /** An A in a float[], to ask the paths whether they take a shape. */
    private static final Operand ON_ARRAY = Operand.of(MemorySegment.ofArray(new float[1]));

    /**
     * Norm-wise relative error ‖C − C_ref‖ / ‖|alpha|·|A|·|B| + |beta|·|C₀|‖: k float products
     * summed in V lanes and then across them stay near √k·ε/2 ≈ 1e-6 at k = 300; 1e-5 still fails
     * on any wrong row, column, tail element or merge (errors of order 1).
     */
    private static final double TOLERANCE = 1e-5;

    /** C = alpha·op(A)·op(B) + beta·C with A m×k or k×m (transposed), B n×k (transposed) or k×n. */
    record Case(int m, int n, int k, boolean transA, boolean transB, float alpha, float beta, int pad, int offset,
                boolean nativeB, boolean nativeC) {

        int lda() {
            return (transA ? m : k) + pad;
        }

        int aFloats() {
            return offset + (transA ? k : m) * lda();
        }

        int ldb() {
            return (transB ? k : n) + pad;
        }

        long bFloats() {
            return offset + (long) (transB ? n : k) * ldb();
        }

        int ldc() {
            return n + pad;
        }
    }

    static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        float[][] alphaBeta = {{1f, 0f}, {1f, 1f}, {-0.5f, 2f}, {2.5f, -1f}};
        int variant = 0;
        for (boolean transB : new boolean[] {true, false}) {
            for (int m : new int[] {1, 2, 5, 67, 128}) {
                // Widths on the path at every vector width (an untransposed B needs a larger saving).
                for (int n : transB ? new int[] {1, 3, 9, 10} : new int[] {9, 10, 12}) {
                    for (int k : new int[] {DotGemm.MIN_DEPTH, DotGemm.MIN_DEPTH + 7, 300}) {
                        float[] ab = alphaBeta[variant % alphaBeta.length];
                        boolean padded = variant++ % 3 == 0;
                        cases.add(new Case(m, n, k, false, transB, ab[0], ab[1], padded ? 3 : 0, padded ? 5 : 0,
                                variant % 4 < 2, variant % 2 == 0));
                    }
                }
            }
            // A classifier's output layer, enough rows for every thread's parts, and depths of two
            // and three blocks (the last with a partial piece).
            cases.add(new Case(128, 10, 256, false, transB, 1f, 0f, 0, 0, false, false));
            cases.add(new Case(1001, 10, 130, false, transB, 1f, 1f, 1, 2, true, true));
            cases.add(new Case(37, 10, 1201, false, transB, 0.5f, 0f, 2, 1, false, false));
            cases.add(new Case(6, transB ? 3 : 9, 2 * 1024 + 17, false, transB, 1f, -1f, 0, 0, true, false));

            int tile = VectorGemm.NR;
            for (int m : new int[] {tile, tile + 1, 3 * tile - 1, 131}) {
                for (int n : new int[] {1, 4, 7, 10, 16}) {
                    for (int k : new int[] {1, 17, 256}) {
                        if (ColumnGemm.suits(true, ON_ARRAY, m, n)) {
                            float[] ab = alphaBeta[variant % alphaBeta.length];
                            boolean padded = variant++ % 3 == 0;
                            cases.add(new Case(m, n, k, true, transB, ab[0], ab[1], padded ? 3 : 0, padded ? 5 : 0,
                                    variant % 4 < 2, variant % 2 == 0));
                        }
                    }
                }
            }
            if (ColumnGemm.suits(true, ON_ARRAY, 1001, 4)) {
                cases.add(new Case(1001, 4, 130, true, transB, 1f, 1f, 1, 2, true, true));
            }
        }
        return cases;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesTheReference(Case gemm) {
        try (Arena arena = Arena.ofShared()) {
            SplittableRandom random = new SplittableRandom(TestSeeds.forCase(gemm));
            float[] a = new float[gemm.aFloats()];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) random.nextDouble(-1, 1);
            }
            MemorySegment aSegment = MemorySegment.ofArray(a);
            MemorySegment b = filled(arena, gemm.bFloats(), gemm.nativeB(), random);
            MemorySegment c = filled(arena, gemm.offset() + (long) gemm.m() * gemm.ldc(), gemm.nativeC(), random);
            if (gemm.beta() == 0f) {
                c.fill((byte) 0xff); // NaN everywhere: beta = 0 must not read C
            }
            Operand aOperand = Operand.of(aSegment);
            assertTrue(gemm.transA() ? ColumnGemm.suits(true, aOperand, gemm.m(), gemm.n())
                    : DotGemm.suits(false, gemm.transB(), aOperand, gemm.n(), gemm.k()), gemm + " is not on its path");

            MemorySegment expected = arena.allocate(c.byteSize());
            expected.copyFrom(c);
            SCALAR.sgemm(gemm.transA(), gemm.transB(), gemm.m(), gemm.n(), gemm.k(), gemm.alpha(), aSegment, gemm.offset(),
                    gemm.lda(), b, gemm.offset(), gemm.ldb(), gemm.beta(), expected, gemm.offset(), gemm.ldc());
            MemorySegment scale = gemm.beta() == 0f ? arena.allocate(c.byteSize()) : absolute(arena, c);
            SCALAR.sgemm(gemm.transA(), gemm.transB(), gemm.m(), gemm.n(), gemm.k(), Math.abs(gemm.alpha()), absolute(arena, aSegment),
                    gemm.offset(), gemm.lda(), absolute(arena, b), gemm.offset(), gemm.ldb(), Math.abs(gemm.beta()),
                    scale, gemm.offset(), gemm.ldc());
            VectorGemm.sgemm(gemm.transA(), gemm.transB(), gemm.m(), gemm.n(), gemm.k(), gemm.alpha(), aSegment, gemm.offset(),
                    gemm.lda(), b, gemm.offset(), gemm.ldb(), gemm.beta(), c, gemm.offset(), gemm.ldc());

            double diff = 0;
            double norm = 0;
            for (long i = 0; i < c.byteSize() / Float.BYTES; i++) {
                long inMatrix = i - gemm.offset();
                boolean result = inMatrix >= 0 && inMatrix % gemm.ldc() < gemm.n();
                float got = c.getAtIndex(FLOAT, i);
                float want = expected.getAtIndex(FLOAT, i);
                if (!result) {
                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got), gemm + ": element " + i + " outside C changed");
                    continue;
                }
                diff += (got - (double) want) * (got - (double) want);
                norm += Math.pow(scale.getAtIndex(FLOAT, i), 2);
            }
            double error = Math.sqrt(diff / norm);
            assertTrue(error <= TOLERANCE, gemm + ": relative error " + error + " (replay with the printed -Disthmus.test.seed)");
        }
    }

    private static MemorySegment filled(Arena arena, long floats, boolean nativeMemory, SplittableRandom random) {
        MemorySegment segment = nativeMemory ? arena.allocate(floats * Float.BYTES) : MemorySegment.ofArray(new float[(int) floats]);
        for (long i = 0; i < floats; i++) {
            segment.setAtIndex(FLOAT, i, (float) random.nextDouble(-1, 1));
        }
        return segment;
    }

    private static MemorySegment absolute(Arena arena, MemorySegment source) {
        MemorySegment copy = arena.allocate(source.byteSize());
        for (long i = 0; i < source.byteSize() / Float.BYTES; i++) {
            copy.setAtIndex(FLOAT, i, Math.abs(source.getAtIndex(FLOAT, i)));
        }
        return copy;
    }
}
