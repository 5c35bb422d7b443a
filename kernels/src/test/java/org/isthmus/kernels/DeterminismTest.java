package org.isthmus.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The same call on the same data gives the same bits every time, while the JIT moves the kernel
 * from the interpreter through C1 to C2 (a few thousand calls): a seeded training run must be
 * reproducible. Float sums of vector lanes were not: {@code reduceLanes(ADD)} adds lanes in an
 * order that differs between tiers, and a 100,000-element sum alternated between two values.
 */
class DeterminismTest {

    private static final int CALLS = 3_000;

    static Stream<Arguments> reductions() {
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase(java.util.List.of("determinism")));
        float[] row = KernelChecks.uniform(random, 100_003, -1, 1);
        float[] matrix = KernelChecks.uniform(random, 64 * 257, -1, 1);
        return KernelChecks.backends().flatMap(backend -> Stream.of(
                Arguments.of(Named.of(backend.name(), backend), Named.of("sum of one long row", (Function<Backend, float[]>) b -> {
                    float[] y = new float[1];
                    b.sum(MemorySegment.ofArray(row), MemorySegment.ofArray(y), 1, row.length, 1);
                    return y;
                })),
                Arguments.of(Named.of(backend.name(), backend), Named.of("mean of 64 rows", (Function<Backend, float[]>) b -> {
                    float[] y = new float[64];
                    b.mean(MemorySegment.ofArray(matrix), MemorySegment.ofArray(y), 64, 257, 1);
                    return y;
                })),
                Arguments.of(Named.of(backend.name(), backend), Named.of("variance of 64 rows", (Function<Backend, float[]>) b -> {
                    float[] y = new float[64];
                    b.variance(MemorySegment.ofArray(matrix), MemorySegment.ofArray(y), 64, 257, 1, 1);
                    return y;
                }))));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("reductions")
    void sameBitsOnEveryCall(Backend backend, Function<Backend, float[]> call) {
        Set<String> distinct = new HashSet<>();
        for (int i = 0; i < CALLS; i++) {
            distinct.add(Arrays.toString(call.apply(backend)));
        }
        assertEquals(1, distinct.size(), "distinct results over " + CALLS + " calls: " + distinct.size());
    }
}
