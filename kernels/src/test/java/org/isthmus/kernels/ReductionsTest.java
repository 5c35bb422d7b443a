package org.isthmus.kernels;

import static org.isthmus.kernels.KernelChecks.assertClose;
import static org.isthmus.kernels.KernelChecks.assertGradient;
import static org.isthmus.kernels.KernelChecks.heap;
import static org.isthmus.kernels.KernelChecks.numericGradient;
import static org.isthmus.kernels.KernelChecks.toArray;
import static org.isthmus.kernels.KernelChecks.uniform;
import static org.isthmus.kernels.KernelChecks.weightedSum;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Reductions over outer×size×inner: every optimized backend against the scalar reference, with
 * inner = 1 (contiguous runs, vector tails in size) and inner > 1 (tails in inner, more than one
 * column chunk), heap and native, and shapes large enough to be split over threads; gradients
 * against central differences on every backend; NaN; bad arguments.
 */
class ReductionsTest {

    /** outer, size, inner. */
    private static final int[][] SHAPES = {{1, 1, 1}, {3, 15, 1}, {2, 17, 1}, {5, 1031, 1}, {1, 207, 16},
        {4, 16, 17}, {2, 15, 1031}, {3, 1, 207}, {1, 3, 2100}, {2, 300, 3}, {70, 1031, 1}, {1, 67, 1031}};

    static Stream<Arguments> cases() {
        return KernelData.acrossOptimized(backend -> Stream.of(SHAPES).flatMap(shape ->
                Stream.of(TestMemory.values()).map(memory ->
                        Arguments.of(backend, shape[0], shape[1], shape[2], memory))));
    }

    static Stream<Named<Backend>> allBackends() {
        return KernelChecks.backends().map(backend -> Named.of(backend.name(), backend));
    }

    @ParameterizedTest(name = "{0} {1}x{2}x{3} {4}")
    @MethodSource("cases")
    void sumAndMeanMatchReference(Backend backend, int outer, int size, int inner, TestMemory memory) {
        assumeTrue(backend != null, "only the scalar reference is available");
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase(List.of("sum", outer, size, inner, memory)));
        float[] x = uniform(random, outer * size * inner, -1, 1);
        int n = outer * inner;
        Backend reference = KernelChecks.reference();
        float[] expectedSum = new float[n];
        float[] expectedMean = new float[n];
        float[] magnitude = new float[n];
        reference.sum(heap(x), heap(expectedSum), outer, size, inner);
        reference.mean(heap(x), heap(expectedMean), outer, size, inner);
        reference.sum(heap(KernelData.absolute(x)), heap(magnitude), outer, size, inner);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment in = memory.floats(arena, x);
            MemorySegment sum = memory.zeros(arena, n);
            MemorySegment mean = memory.zeros(arena, n);
            backend.sum(in, sum, outer, size, inner);
            backend.mean(in, mean, outer, size, inner);
            // Float sums (32 lanes, then chunk by chunk) against double: within 1e-5 of Σ|x| (terms cancel,
            // so not of the sum itself); the mean's divisor adds one rounding.
            ErrorBounds.assertWithinMagnitude(expectedSum, toArray(sum, n), magnitude, 1e-5, "sum");
            for (int i = 0; i < n; i++) {
                magnitude[i] /= size;
            }
            ErrorBounds.assertWithinMagnitude(expectedMean, toArray(mean, n), magnitude, 1e-5, "mean");
        }
    }

    @ParameterizedTest(name = "{0} {1}x{2}x{3} {4}")
    @MethodSource("cases")
    void maxMatchesReference(Backend backend, int outer, int size, int inner, TestMemory memory) {
        assumeTrue(backend != null, "only the scalar reference is available");
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase(List.of("max", outer, size, inner, memory)));
        // Coarse values, so that runs hold ties and the first index must win.
        float[] x = new float[outer * size * inner];
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextInt(-50, 50) / 8f;
        }
        int n = outer * inner;
        float[] expected = new float[n];
        int[] expectedIndices = new int[n];
        KernelChecks.reference().max(heap(x), heap(expected), heap(expectedIndices), outer, size, inner);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment y = memory.zeros(arena, n);
            MemorySegment indices = memory.intZeros(arena, n);
            backend.max(memory.floats(arena, x), y, indices, outer, size, inner);
            // A max is one of the inputs: exact, and so is the first index reaching it.
            assertArrayEquals(expected, toArray(y, n));
            assertArrayEquals(expectedIndices, TestMemory.intArray(indices, n));
            MemorySegment valuesOnly = memory.zeros(arena, n);
            backend.max(memory.floats(arena, x), valuesOnly, null, outer, size, inner);
            assertArrayEquals(expected, toArray(valuesOnly, n));
        }
    }

    @ParameterizedTest(name = "{0} {1}x{2}x{3} {4}")
    @MethodSource("cases")
    void varianceMatchesReference(Backend backend, int outer, int size, int inner, TestMemory memory) {
        assumeTrue(backend != null, "only the scalar reference is available");
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase(List.of("variance", outer, size, inner, memory)));
        float[] x = uniform(random, outer * size * inner, 1, 3);
        int n = outer * inner;
        for (int correction = 0; correction <= 1 && correction < size; correction++) {
            float[] expected = new float[n];
            KernelChecks.reference().variance(heap(x), heap(expected), outer, size, inner, correction);
            try (Arena arena = Arena.ofShared()) {
                MemorySegment y = memory.zeros(arena, n);
                backend.variance(memory.floats(arena, x), y, outer, size, inner, correction);
                // Two passes in float (mean, then squared deviations: no cancellation) against double.
                assertClose(expected, toArray(y, n), 1e-5, "variance correction=" + correction);
            }
        }
    }

    @ParameterizedTest(name = "{0} {1}x{2}x{3} {4}")
    @MethodSource("cases")
    void backwardPassesMatchReference(Backend backend, int outer, int size, int inner, TestMemory memory) {
        assumeTrue(backend != null, "only the scalar reference is available");
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase(List.of("backward", outer, size, inner, memory)));
        int total = outer * size * inner;
        int n = outer * inner;
        float[] x = uniform(random, total, -1, 1);
        float[] dy = uniform(random, n, -1, 1);
        int[] indices = new int[n];
        for (int i = 0; i < n; i++) {
            indices[i] = random.nextInt(size);
        }
        Backend reference = KernelChecks.reference();
        float[] expectedExpand = new float[total];
        float[] expectedMax = new float[total];
        float[] expectedVariance = new float[total];
        reference.expand(heap(dy), heap(expectedExpand), outer, size, inner, 0.25f);
        reference.maxBackward(heap(dy), heap(indices), heap(expectedMax), outer, size, inner);
        int correction = size > 1 ? 1 : 0;
        reference.varianceBackward(heap(x), heap(dy), heap(expectedVariance), outer, size, inner, correction);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment expand = memory.zeros(arena, total);
            MemorySegment max = memory.floats(arena, uniform(random, total, -1, 1)); // overwritten, not added to
            MemorySegment variance = memory.zeros(arena, total);
            backend.expand(memory.floats(arena, dy), expand, outer, size, inner, 0.25f);
            backend.maxBackward(memory.floats(arena, dy), memory.ints(arena, indices), max, outer, size, inner);
            backend.varianceBackward(memory.floats(arena, x), memory.floats(arena, dy), variance, outer, size, inner,
                    correction);
            // expand: one product, correctly rounded on both sides; maxBackward: copies. Exact.
            assertArrayEquals(expectedExpand, toArray(expand, total));
            assertArrayEquals(expectedMax, toArray(max, total));
            // (x − mean)·2dy/(size − c): the float mean and three roundings against double; x − mean cancels
            // near the mean, so norm-wise.
            assertClose(expectedVariance, toArray(variance, total), 1e-5, "varianceBackward");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allBackends")
    void gradientsMatchFiniteDifferences(Backend backend) {
        for (int[] shape : new int[][] {{3, 5, 4}, {4, 6, 1}, {2, 9, 3}}) {
            int outer = shape[0];
            int size = shape[1];
            int inner = shape[2];
            String what = outer + "x" + size + "x" + inner;
            SplittableRandom random = new SplittableRandom(TestSeeds.forCase(List.of("gradients", what)));
            int n = outer * inner;
            float[] r = uniform(random, n, -1, 1);
            float[] x = KernelData.distinct(random, outer * size * inner);
            float[] dx = new float[x.length];
            for (int correction = 0; correction <= 1; correction++) {
                int c = correction;
                double[] numeric = numericGradient(x, values -> {
                    float[] y = new float[n];
                    backend.variance(heap(values), heap(y), outer, size, inner, c);
                    return weightedSum(y, r);
                }, 1e-3);
                backend.varianceBackward(heap(x), heap(r), heap(dx), outer, size, inner, c);
                // Float outputs differenced over 2h: about 1e-4 of noise.
                assertGradient(numeric, dx, 1e-3, "variance " + what + " correction=" + c);
            }
            double[] numericMax = numericGradient(x, values -> {
                float[] y = new float[n];
                backend.max(heap(values), heap(y), null, outer, size, inner);
                return weightedSum(y, r);
            }, 1e-3);
            int[] indices = new int[n];
            backend.max(heap(x), heap(new float[n]), heap(indices), outer, size, inner);
            backend.maxBackward(heap(r), heap(indices), heap(dx), outer, size, inner);
            assertGradient(numericMax, dx, 1e-3, "max " + what);
            double[] numericMean = numericGradient(x, values -> {
                float[] y = new float[n];
                backend.mean(heap(values), heap(y), outer, size, inner);
                return weightedSum(y, r);
            }, 1e-3);
            backend.expand(heap(r), heap(dx), outer, size, inner, 1f / size);
            assertGradient(numericMean, dx, 1e-3, "mean " + what);
        }
    }

    /** A NaN is the max of any run holding one, and its index is the first NaN's. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("allBackends")
    void nanIsTheMax(Backend backend) {
        int size = 37;
        for (int inner : new int[] {1, 19}) {
            float[] x = new float[2 * size * inner];
            for (int i = 0; i < x.length; i++) {
                x[i] = i % 7;
            }
            // outer 0, column 0: NaN at s = 5 and s = 36 (a tail position); outer 1: no NaN.
            x[5 * inner] = Float.NaN;
            x[36 * inner] = Float.NaN;
            float[] y = new float[2 * inner];
            int[] indices = new int[2 * inner];
            backend.max(heap(x), heap(y), heap(indices), 2, size, inner);
            assertTrue(Float.isNaN(y[0]), "inner=" + inner + ": max " + y[0]);
            assertEquals(5, indices[0], "inner=" + inner + ": index of the first NaN");
            assertEquals(6f, y[inner], "inner=" + inner + ": the run without NaN");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allBackends")
    void badArgumentsNameTheShapes(Backend backend) {
        MemorySegment six = heap(new float[6]);
        IllegalArgumentException correction = assertThrows(IllegalArgumentException.class,
                () -> backend.variance(six, six, 6, 1, 1, 1));
        assertTrue(correction.getMessage().contains("correction=1")
                && correction.getMessage().contains("variance(outer=6, size=1, inner=1)"), correction.getMessage());
        IllegalArgumentException index = assertThrows(IllegalArgumentException.class,
                () -> backend.maxBackward(heap(new float[2]), heap(new int[] {0, 3}), six, 2, 3, 1));
        assertTrue(index.getMessage().contains("indices[1]=3 is outside [0, 3)")
                && index.getMessage().contains("maxBackward(outer=2, size=3, inner=1)"), index.getMessage());
        IllegalArgumentException shortY = assertThrows(IllegalArgumentException.class,
                () -> backend.sum(six, heap(new float[2]), 1, 2, 3));
        assertTrue(shortY.getMessage().contains("y needs 3 floats"), shortY.getMessage());
    }
}
