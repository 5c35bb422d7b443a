package org.isthmus.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

/** What the kernel tests share: the backends under test, random data, error norms, finite differences. */
public final class KernelChecks {

    /** Sizes that hit every tail of a 4-, 8- and 16-float vector loop. */
    static final int[] TAIL_SIZES = {1, 3, 15, 16, 17, 31, 33, 207, 1031};

    private KernelChecks() {
    }

    /** The reference, then every other available backend. */
    static Stream<Backend> backends() {
        return Backends.available().stream().filter(BackendStatus::available).map(s -> Backends.get(s.name()));
    }

    /** The backends checked against the scalar reference. */
    static Stream<Backend> optimizedBackends() {
        return backends().filter(b -> !b.name().equals("scalar"));
    }

    public static Backend reference() {
        return Backends.get("scalar");
    }

    public static float[] uniform(SplittableRandom random, int n, double low, double high) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextDouble(low, high);
        }
        return values;
    }

    public static MemorySegment heap(float[] values) {
        return MemorySegment.ofArray(values);
    }

    static MemorySegment heap(int[] values) {
        return MemorySegment.ofArray(values);
    }

    /** A native copy of values, in an arena the test closes. */
    public static MemorySegment nativeCopy(Arena arena, float[] values) {
        MemorySegment segment = arena.allocate(ValueLayout.JAVA_FLOAT, Math.max(1, values.length));
        MemorySegment.copy(values, 0, segment, ValueLayout.JAVA_FLOAT, 0, values.length);
        return segment;
    }

    public static float[] toArray(MemorySegment segment, int n) {
        float[] values = new float[n];
        MemorySegment.copy(segment, ValueLayout.JAVA_FLOAT, 0, values, 0, n);
        return values;
    }

    /** ‖actual − expected‖ / ‖expected‖ (the absolute norm when expected is zero). */
    public static double relativeError(float[] actual, float[] expected) {
        assertEquals(expected.length, actual.length, "lengths");
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = (double) actual[i] - expected[i];
            diff += d * d;
            norm += (double) expected[i] * expected[i];
        }
        return norm == 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
    }

    /** Fails unless relativeError(actual, expected) ≤ tolerance and actual is free of NaN where expected is. */
    public static void assertClose(float[] expected, float[] actual, double tolerance, String what) {
        for (int i = 0; i < expected.length; i++) {
            if (Float.isNaN(actual[i]) != Float.isNaN(expected[i])) {
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
            }
        }
        double error = relativeError(actual, expected);
        assertTrue(error <= tolerance, what + ": relative error " + error + " > " + tolerance);
    }

    /**
     * The gradient of a scalar loss by central differences in double: (L(x + h·eᵢ) − L(x − h·eᵢ)) / 2h for
     * each i, the step scaled to |xᵢ| so that float inputs still move. x is restored afterwards.
     */
    static double[] numericGradient(float[] x, ToDoubleFunction<float[]> loss, double h) {
        double[] gradient = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            float original = x[i];
            double step = h * Math.max(1.0, Math.abs(original));
            x[i] = (float) (original + step);
            double up = loss.applyAsDouble(x);
            double actualUp = x[i] - (double) original;
            x[i] = (float) (original - step);
            double down = loss.applyAsDouble(x);
            double actualDown = (double) original - x[i];
            x[i] = original;
            gradient[i] = (up - down) / (actualUp + actualDown);
        }
        return gradient;
    }

    /** Σ weights·values in double: a scalar loss whose gradient with respect to values is weights. */
    static double weightedSum(float[] values, float[] weights) {
        double sum = 0;
        for (int i = 0; i < values.length; i++) {
            sum += (double) values[i] * weights[i];
        }
        return sum;
    }

    /** Fails unless the analytic gradient matches the numeric one to the relative tolerance. */
    static void assertGradient(double[] numeric, float[] analytic, double tolerance, String what) {
        float[] expected = new float[numeric.length];
        for (int i = 0; i < numeric.length; i++) {
            expected[i] = (float) numeric[i];
        }
        assertClose(expected, analytic, tolerance, what + " against central differences");
    }
}
