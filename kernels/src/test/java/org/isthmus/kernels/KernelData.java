package org.isthmus.kernels;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.Arguments;

/**
 * Test inputs and cases beyond {@link KernelChecks}: absolute values, values far enough apart,
 * comparisons across the optimized backends that still run where there are none.
 */
final class KernelData {

    private KernelData() {
    }

    /**
     * The cases for every optimized backend; where there is none (a JVM without the vector module) one
     * case with a null backend, which the test skips with assumeTrue: a parameterized test without
     * arguments fails.
     */
    static Stream<Arguments> acrossOptimized(Function<Named<Backend>, Stream<Arguments>> cases) {
        List<Backend> optimized = KernelChecks.optimizedBackends().toList();
        if (optimized.isEmpty()) {
            return cases.apply(Named.of("no optimized backend", null)).limit(1);
        }
        return optimized.stream().flatMap(backend -> cases.apply(Named.of(backend.name(), backend)));
    }

    static float[] absolute(float[] values) {
        float[] result = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            result[i] = Math.abs(values[i]);
        }
        return result;
    }

    /**
     * n values 0.01 apart, shuffled: finite-difference steps of 1e-3·max(1, |x|) never reorder
     * them, so no kink of a max is crossed.
     */
    static float[] distinct(SplittableRandom random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (i - n / 2) * 0.01f;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            float t = values[i];
            values[i] = values[j];
            values[j] = t;
        }
        return values;
    }
}
