package org.isthmus.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase(List.of("determinism")));
        float[] row = KernelChecks.uniform(random, 100_003, -1, 1);
        float[] matrix = KernelChecks.uniform(random, 64 * 257, -1, 1);
        Map<String, Function<Backend, float[]>> calls = new LinkedHashMap<>();
        calls.put("sum of one long row", b -> {
            float[] y = new float[1];
            b.sum(MemorySegment.ofArray(row), MemorySegment.ofArray(y), 1, row.length, 1);
            return y;
        });
        calls.put("mean of 64 rows", b -> {
            float[] y = new float[64];
            b.mean(MemorySegment.ofArray(matrix), MemorySegment.ofArray(y), 64, 257, 1);
            return y;
        });
        calls.put("variance of 64 rows", b -> {
            float[] y = new float[64];
            b.variance(MemorySegment.ofArray(matrix), MemorySegment.ofArray(y), 64, 257, 1, 1);
            return y;
        });
        calls.put("softmax of 64 rows", b -> {
            float[] y = new float[matrix.length];
            b.softmax(MemorySegment.ofArray(matrix), MemorySegment.ofArray(y), 64, 257);
            return y;
        });
        calls.put("logSoftmax of 64 rows", b -> {
            float[] y = new float[matrix.length];
            b.logSoftmax(MemorySegment.ofArray(matrix), MemorySegment.ofArray(y), 64, 257);
            return y;
        });
        float[] gamma = KernelChecks.uniform(random, 257, 0.5, 1.5);
        float[] beta = KernelChecks.uniform(random, 257, -0.5, 0.5);
        calls.put("layerNorm of 64 rows", b -> {
            float[] y = new float[matrix.length + 128];
            MemorySegment out = MemorySegment.ofArray(y);
            b.layerNorm(MemorySegment.ofArray(matrix), MemorySegment.ofArray(gamma), MemorySegment.ofArray(beta),
                    out.asSlice(0, matrix.length * 4L), out.asSlice(matrix.length * 4L, 256),
                    out.asSlice(matrix.length * 4L + 256), 64, 257, 1e-5f);
            return y;
        });
        calls.put("batchNorm forward and backward, 32 rows of 257 channels", b -> {
            // y feeds the backward pass as dy; dx, dGamma and dBeta come back (their string is what each call costs).
            long rowsBytes = 32 * 257 * 4L;
            MemorySegment x = MemorySegment.ofArray(matrix).asSlice(0, rowsBytes);
            MemorySegment g = MemorySegment.ofArray(gamma);
            MemorySegment statistics = MemorySegment.ofArray(new float[2 * 257]);
            MemorySegment mean = statistics.asSlice(0, 257 * 4L);
            MemorySegment rstd = statistics.asSlice(257 * 4L);
            MemorySegment y = MemorySegment.ofArray(new float[32 * 257]);
            b.batchNormTraining(x, g, MemorySegment.ofArray(beta), y, mean, rstd, null, null, 32, 257, 1, 0.1f, 1e-5f);
            float[] gradients = new float[32 * 257 + 2 * 257];
            MemorySegment out = MemorySegment.ofArray(gradients);
            b.batchNormBackward(x, g, mean, rstd, y, out.asSlice(0, rowsBytes), out.asSlice(rowsBytes, 257 * 4L),
                    out.asSlice(rowsBytes + 257 * 4L), 32, 257, 1);
            return gradients;
        });
        // Not on the reference, which accumulates in double in a fixed order: its convolutions only cost time.
        Map<String, Function<Backend, float[]>> optimizedOnly = new LinkedHashMap<>();
        optimizedOnly.put("conv2d weight gradient, C = 1",
                weightGradient(new Conv2dShape(4, 1, 28, 28, 8, 3, 3, 1, 1, 1, 1, 1, 1), random));
        optimizedOnly.put("conv2d weight gradient, C = 8",
                weightGradient(new Conv2dShape(2, 8, 14, 14, 16, 3, 3, 1, 1, 1, 1, 1, 1), random));
        return KernelChecks.backends().flatMap(backend -> {
            Map<String, Function<Backend, float[]>> chosen = new LinkedHashMap<>(calls);
            if (!backend.name().equals("scalar")) {
                chosen.putAll(optimizedOnly);
            }
            return chosen.entrySet().stream().map(call -> Arguments.of(Named.of(backend.name(), backend),
                    Named.of(call.getKey(), call.getValue())));
        });
    }

    private static Function<Backend, float[]> weightGradient(Conv2dShape shape, SplittableRandom random) {
        float[] x = KernelChecks.uniform(random, (int) shape.inputSize(), -1, 1);
        float[] dy = KernelChecks.uniform(random, (int) shape.outputSize(), -1, 1);
        return b -> {
            float[] dw = new float[(int) shape.weightSize() + shape.outChannels()];
            MemorySegment all = MemorySegment.ofArray(dw);
            b.conv2dBackwardWeights(shape, MemorySegment.ofArray(x), MemorySegment.ofArray(dy),
                    all.asSlice(0, shape.weightSize() * Float.BYTES), all.asSlice(shape.weightSize() * Float.BYTES));
            return dw;
        };
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
