package org.isthmus.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * One sgemm problem with its operands laid out as a caller would: element offsets, leading
 * dimensions wider than the rows, heap or native segments. Runs it on a backend and measures
 * the relative error ‖C − C_ref‖ / ‖C_ref‖ against the scalar reference on the same inputs.
 */
record GemmCase(boolean transA, boolean transB, int m, int n, int k, float alpha, float beta,
                int pad, long offset, boolean nativeMemory) {

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** A tight layout on heap memory. */
    static GemmCase plain(boolean transA, boolean transB, int m, int n, int k, float alpha, float beta) {
        return new GemmCase(transA, transB, m, n, k, alpha, beta, 0, 0, false);
    }

    int lda() {
        return Math.max(1, transA ? m : k) + pad;
    }

    int ldb() {
        return Math.max(1, transB ? k : n) + pad;
    }

    int ldc() {
        return Math.max(1, n) + pad;
    }

    /**
     * Runs on {@code backend} and on the scalar reference; returns ‖C − C_ref‖ / ‖M‖, where
     * M = |alpha|·|A|·|B| + |beta|·|C₀| is the scale a float32 GEMM's rounding error is
     * proportional to. M equals |C_ref| when nothing cancels; where terms cancel (k = 1 with
     * beta = 1, say) ‖C_ref‖ alone can be arbitrarily small and would flag correct results.
     */
    double relativeError(Backend backend, long seed) {
        // Shared, so that the backend's worker threads may read it; confined memory has its own test.
        try (Arena arena = Arena.ofShared()) {
            SplittableRandom random = new SplittableRandom(seed);
            MemorySegment a = filled(arena, offset + (long) (transA ? k : m) * lda(), random);
            MemorySegment b = filled(arena, offset + (long) (transB ? n : k) * ldb(), random);
            MemorySegment c = filled(arena, offset + (long) m * ldc(), random);
            if (beta == 0f) {
                // beta = 0 must ignore C entirely, NaN included.
                for (long i = 0; i < c.byteSize() / Float.BYTES; i++) {
                    c.setAtIndex(FLOAT, i, Float.NaN);
                }
            }
            Backend reference = Backends.get("scalar");
            MemorySegment expected = copy(arena, c);
            reference.sgemm(transA, transB, m, n, k, alpha, a, offset, lda(), b, offset, ldb(),
                    beta, expected, offset, ldc());
            MemorySegment magnitude = absolute(arena, c);
            reference.sgemm(transA, transB, m, n, k, Math.abs(alpha), absolute(arena, a), offset, lda(),
                    absolute(arena, b), offset, ldb(), Math.abs(beta), magnitude, offset, ldc());
            backend.sgemm(transA, transB, m, n, k, alpha, a, offset, lda(), b, offset, ldb(), beta, c, offset, ldc());
            return compare(c, expected, magnitude);
        }
    }

    /** The error over the m×n result; padding and the prefix before the offset must be untouched. */
    private double compare(MemorySegment actual, MemorySegment expected, MemorySegment magnitude) {
        double diff = 0;
        double norm = 0;
        for (long i = 0; i < actual.byteSize() / Float.BYTES; i++) {
            float got = actual.getAtIndex(FLOAT, i);
            float want = expected.getAtIndex(FLOAT, i);
            long inMatrix = i - offset;
            boolean result = inMatrix >= 0 && inMatrix / ldc() < m && inMatrix % ldc() < n;
            if (!result) {
                if (Float.floatToRawIntBits(got) != Float.floatToRawIntBits(want)) {
                    throw new AssertionError(this + ": element " + i + " outside C was overwritten");
                }
                continue;
            }
            if (!Float.isFinite(got)) {
                throw new AssertionError(this + ": C[" + inMatrix / ldc() + "," + inMatrix % ldc() + "] = " + got);
            }
            double scale = magnitude.getAtIndex(FLOAT, i);
            diff += ((double) got - want) * ((double) got - want);
            norm += scale * scale;
        }
        return norm == 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
    }

    private MemorySegment absolute(Arena arena, MemorySegment source) {
        MemorySegment target = copy(arena, source);
        for (long i = 0; i < target.byteSize() / Float.BYTES; i++) {
            float value = target.getAtIndex(FLOAT, i);
            // NaN in C (beta = 0) stays NaN and is ignored by beta = 0 again.
            target.setAtIndex(FLOAT, i, Math.abs(value));
        }
        return target;
    }

    private MemorySegment filled(Arena arena, long floats, SplittableRandom random) {
        MemorySegment segment = nativeMemory
                ? arena.allocate(Math.max(1, floats) * Float.BYTES, 64)
                : MemorySegment.ofArray(new float[(int) Math.max(1, floats)]);
        for (long i = 0; i < segment.byteSize() / Float.BYTES; i++) {
            segment.setAtIndex(FLOAT, i, (float) (random.nextDouble() * 2 - 1));
        }
        return segment;
    }

    private MemorySegment copy(Arena arena, MemorySegment source) {
        MemorySegment target = nativeMemory
                ? arena.allocate(source.byteSize(), 64)
                : MemorySegment.ofArray(new float[(int) (source.byteSize() / Float.BYTES)]);
        return target.copyFrom(source);
    }

    /**
     * The bound every backend must meet: float32 rounding grows like √k on random data; 8·ε·√k
     * (ε = 2⁻²⁴) leaves room for blocked summation orders while catching any wrong element.
     */
    double tolerance() {
        return 8 * Math.ulp(1f) / 2 * Math.sqrt(Math.max(1, k));
    }
}
