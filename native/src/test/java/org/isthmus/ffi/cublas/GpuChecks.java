package org.isthmus.ffi.cublas;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.isthmus.kernels.BackendUnavailableException;
import org.isthmus.kernels.Backends;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * What the cuBLAS tests share: the backend or a skip with the reason, random data from a logged
 * seed, and the error measure. (The oneDNN tests' NativeChecks is package-private to their package.)
 */
final class GpuChecks {

    /** Logged once; replay a failure with -Disthmus.test.seed=N. */
    static final long SEED = Long.getLong("isthmus.test.seed", System.nanoTime());

    static {
        System.out.println("GpuChecks seed: -Disthmus.test.seed=" + SEED);
    }

    private GpuChecks() {
    }

    /** The cublas backend, or the test is skipped with the reason it is unavailable (no GPU, no library). */
    static CublasBackend cublas() {
        try {
            return (CublasBackend) Backends.get(CublasBackend.NAME);
        } catch (BackendUnavailableException e) {
            assumeTrue(false, e.getMessage());
            throw e;
        }
    }

    static SplittableRandom random(Object testCase) {
        return new SplittableRandom(SEED ^ testCase.toString().hashCode());
    }

    static float[] uniform(SplittableRandom random, long n) {
        float[] values = new float[Math.toIntExact(n)];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextDouble(-1, 1);
        }
        return values;
    }

    static float[] toArray(MemorySegment segment) {
        return segment.toArray(ValueLayout.JAVA_FLOAT);
    }

    /** max |a − e| / (max |e| + 1e-30): the error relative to the output's scale; NaN must match NaN. */
    static double relativeError(float[] actual, float[] expected) {
        double worst = 0;
        double scale = 1e-30;
        for (int i = 0; i < expected.length; i++) {
            if (Float.isNaN(actual[i]) != Float.isNaN(expected[i])) {
                return Double.POSITIVE_INFINITY;
            }
            if (!Float.isNaN(expected[i])) {
                scale = Math.max(scale, Math.abs(expected[i]));
                worst = Math.max(worst, Math.abs((double) actual[i] - expected[i]));
            }
        }
        return worst / scale;
    }

    static void assertClose(float[] expected, float[] actual, double tolerance, String what) {
        double error = relativeError(actual, expected);
        assertTrue(error <= tolerance, () -> what + ": relative error " + error + " > " + tolerance + " (seed " + SEED + ")");
    }
}
