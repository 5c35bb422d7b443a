package org.isthmus.ffi.onednn;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.isthmus.kernels.Backend;
import org.isthmus.kernels.BackendUnavailableException;
import org.isthmus.kernels.Backends;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * What the oneDNN cross-checks share: the backends compared, random data from a logged seed, heap
 * and native copies, and the error measure. (The kernels module's KernelChecks is package-private
 * to org.isthmus.kernels, so the few lines needed here are kept here.)
 */
final class NativeChecks {

    /** Logged once; replay a failure with -Disthmus.test.seed=N. */
    static final long SEED = Long.getLong("isthmus.test.seed", System.nanoTime());

    static {
        System.out.println("NativeChecks seed: -Disthmus.test.seed=" + SEED);
    }

    private NativeChecks() {
    }

    /** The oneDNN backend, or the test is skipped with the reason it is unavailable. */
    static Backend oneDnn() {
        try {
            return Backends.get(OneDnnBackend.NAME);
        } catch (BackendUnavailableException e) {
            assumeTrue(false, e.getMessage());
            throw e;
        }
    }

    static Backend reference() {
        return Backends.get("scalar");
    }

    /** The backends oneDNN is compared with besides the reference: vector, when this JVM resolves it. */
    static List<Backend> peers() {
        List<Backend> peers = new ArrayList<>();
        peers.add(reference());
        try {
            peers.add(Backends.get("vector"));
        } catch (BackendUnavailableException e) {
            System.out.println("NativeChecks: " + e.getMessage());
        }
        return peers;
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

    /** The data as a segment: on the heap, or copied into native memory of {@code arena}. */
    static MemorySegment segment(float[] values, Arena arena) {
        if (arena == null) {
            return MemorySegment.ofArray(values.clone());
        }
        MemorySegment copy = arena.allocate((long) values.length * Float.BYTES, 64);
        MemorySegment.copy(values, 0, copy, ValueLayout.JAVA_FLOAT, 0, values.length);
        return copy;
    }

    static float[] toArray(MemorySegment segment) {
        return segment.toArray(ValueLayout.JAVA_FLOAT);
    }

    /** max |a − e| / (max |e| + 1e-30): the error relative to the output's scale. */
    static double relativeError(float[] actual, float[] expected) {
        double scale = 1e-30;
        for (float value : expected) {
            scale = Math.max(scale, Math.abs(value));
        }
        return largestDifference(actual, expected) / scale;
    }

    /** max |a − e| over the elements, infinite where one is NaN and the other is not. */
    static double largestDifference(float[] actual, float[] expected) {
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            if (Float.isNaN(actual[i]) != Float.isNaN(expected[i])) {
                return Double.POSITIVE_INFINITY;
            }
            if (!Float.isNaN(expected[i])) {
                worst = Math.max(worst, Math.abs((double) actual[i] - expected[i]));
            }
        }
        return worst;
    }

    static void assertClose(float[] expected, float[] actual, double tolerance, String what) {
        double error = relativeError(actual, expected);
        assertTrue(error <= tolerance, () -> what + ": relative error " + error + " > " + tolerance
                + " (seed " + SEED + ")");
    }

    /** max |a − e| / scale ≤ tolerance, for outputs whose error is judged against the terms they come from. */
    static void assertClose(float[] expected, float[] actual, double scale, double tolerance, String what) {
        double error = largestDifference(actual, expected) / Math.max(scale, 1e-30);
        assertTrue(error <= tolerance, () -> what + ": error " + error + " of the terms' scale " + scale + " > "
                + tolerance + " (seed " + SEED + ")");
    }
}
