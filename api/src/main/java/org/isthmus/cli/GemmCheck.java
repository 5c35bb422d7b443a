package org.isthmus.cli;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.isthmus.kernels.Backend;
import org.isthmus.kernels.Backends;

/**
 * Cross-checks a backend's sgemm against the scalar reference (double accumulation) on a few
 * odd shapes in every transpose case: the same check the test suite runs, in miniature, so a
 * user sees on their own machine that the fast path computes the right thing.
 */
final class GemmCheck {

    /** ‖C − C_ref‖ / ‖C_ref‖ above this fails the check: float32 rounding on these shapes stays near 1e-7. */
    static final double TOLERANCE = 1e-5;
    private static final int[][] SHAPES = {{1, 1, 1}, {17, 33, 7}, {64, 48, 300}, {257, 129, 255}};

    private GemmCheck() {
    }

    /** Prints one line per case; returns whether all passed. */
    static boolean run(Backend backend, long seed) {
        Backend reference = Backends.get("scalar");
        SplittableRandom random = new SplittableRandom(seed);
        boolean passed = true;
        double worst = 0;
        int cases = 0;
        for (int[] shape : SHAPES) {
            for (int transpose = 0; transpose < 4; transpose++) {
                boolean transA = (transpose & 2) != 0;
                boolean transB = (transpose & 1) != 0;
                double error = relativeError(backend, reference, transA, transB, shape[0], shape[1], shape[2], random);
                worst = Math.max(worst, error);
                cases++;
                if (!(error <= TOLERANCE)) {
                    passed = false;
                    System.out.printf("  FAIL %s sgemm %dx%dx%d transA=%b transB=%b: relative error %.2e%n",
                            backend.name(), shape[0], shape[1], shape[2], transA, transB, error);
                }
            }
        }
        System.out.printf("  %s sgemm vs scalar reference: %d cases, worst relative error %.2e (bound %.0e): %s%n",
                backend.name(), cases, worst, TOLERANCE, passed ? "ok" : "FAILED");
        return passed;
    }

    private static double relativeError(Backend backend, Backend reference, boolean transA, boolean transB,
                                        int m, int n, int k, SplittableRandom random) {
        float[] a = randomArray(m * k, random);
        float[] b = randomArray(k * n, random);
        float[] c = randomArray(m * n, random);
        float[] expected = c.clone();
        int lda = transA ? m : k;
        int ldb = transB ? k : n;
        reference.sgemm(transA, transB, m, n, k, 1.5f, MemorySegment.ofArray(a), 0, lda, MemorySegment.ofArray(b), 0, ldb,
                0.5f, MemorySegment.ofArray(expected), 0, n);
        backend.sgemm(transA, transB, m, n, k, 1.5f, MemorySegment.ofArray(a), 0, lda, MemorySegment.ofArray(b), 0, ldb,
                0.5f, MemorySegment.ofArray(c), 0, n);
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < c.length; i++) {
            diff += ((double) c[i] - expected[i]) * ((double) c[i] - expected[i]);
            norm += (double) expected[i] * expected[i];
        }
        return Math.sqrt(diff / norm);
    }

    static float[] randomArray(int length, SplittableRandom random) {
        float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return values;
    }
}
