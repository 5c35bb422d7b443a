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
 * seed, and the error measure (GpuCheck's, so the tests and the GPU script judge alike). (The oneDNN tests' NativeChecks is package-private to their package.)
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
        return GpuCheck.uniform(random, n);
    }

    static float[] toArray(MemorySegment segment) {
        return segment.toArray(ValueLayout.JAVA_FLOAT);
    }

    static void assertClose(float[] expected, float[] actual, double tolerance, String what) {
        double error = GpuCheck.relativeError(actual, expected);
        assertTrue(error <= tolerance, () -> what + ": relative error " + error + " > " + tolerance + " (seed " + SEED + ")");
    }
}
