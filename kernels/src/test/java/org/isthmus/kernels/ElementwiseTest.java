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
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Elementwise kernels: every optimized backend against the scalar reference on sizes with every
 * vector tail, heap and native, and one size large enough to be split over threads; every
 * backend's gradients against central differences; NaN, dropout's mask, bad arguments.
 */
class ElementwiseTest {

    /** Big enough that the vector kernels split it over the pool (Staging.MIN_PARALLEL_WORK = 65,536). */
    private static final int LARGE = 66_001;
    private static final List<UnaryOp> UNARY_OPS = List.of(UnaryOp.RELU, new UnaryOp.LeakyRelu(0.1f), UnaryOp.GELU,
            UnaryOp.SIGMOID, UnaryOp.TANH, UnaryOp.EXP, UnaryOp.LOG, UnaryOp.SQRT, UnaryOp.ABS,
            new UnaryOp.Clamp(-0.5f, 0.7f), new UnaryOp.Scale(-1.5f));
    private static final int[][] MATRICES = {{1, 1}, {1, 17}, {3, 15}, {16, 16}, {17, 207}, {5, 1031}, {207, 17},
        {67, 1031}};

    private static IntStream sizes() {
        return IntStream.concat(IntStream.of(KernelChecks.TAIL_SIZES), IntStream.of(LARGE));
    }

    static Stream<Arguments> unaryCases() {
        return KernelData.acrossOptimized(backend -> UNARY_OPS.stream().flatMap(op -> sizes().boxed()
                .flatMap(n -> Stream.of(TestMemory.values()).map(memory ->
                        Arguments.of(backend, op, n, memory)))));
    }

    static Stream<Arguments> binaryCases() {
        return KernelData.acrossOptimized(backend -> Stream.of(BinaryOp.values())
                .flatMap(op -> Stream.of(Broadcast.values()).flatMap(shape -> Stream.of(MATRICES)
                        .flatMap(rc -> Stream.of(TestMemory.values()).map(memory ->
                                Arguments.of(backend, op, shape, rc[0], rc[1], memory))))));
    }

    static Stream<Arguments> streamCases() {
        return KernelData.acrossOptimized(backend -> sizes().boxed()
                .flatMap(n -> Stream.of(TestMemory.values()).map(memory ->
                        Arguments.of(backend, n, memory))));
    }

    static Stream<Arguments> unaryGradientCases() {
        return KernelChecks.backends().flatMap(backend -> UNARY_OPS.stream()
                .map(op -> Arguments.of(Named.of(backend.name(), backend), op)));
    }

    static Stream<Arguments> binaryGradientCases() {
        return KernelChecks.backends().flatMap(backend -> Stream.of(BinaryOp.values())
                .flatMap(op -> Stream.of(Broadcast.values())
                        .map(shape -> Arguments.of(Named.of(backend.name(), backend), op, shape))));
    }

    static Stream<Named<Backend>> allBackends() {
        return KernelChecks.backends().map(backend -> Named.of(backend.name(), backend));
    }

    /** Inputs inside f's domain and, for functions with a kink, at least 0.05 away from it. */
    private static float[] inputs(UnaryOp f, SplittableRandom random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = switch (f) {
                case UnaryOp.Log _, UnaryOp.Sqrt _ -> (float) random.nextDouble(0.2, 4);
                case UnaryOp.Relu _, UnaryOp.LeakyRelu _, UnaryOp.Abs _ ->
                        (float) (random.nextDouble(0.05, 4) * (random.nextBoolean() ? 1 : -1));
                case UnaryOp.Clamp clamp -> awayFrom(random, clamp.min(), clamp.max());
                default -> (float) random.nextDouble(-4, 4);
            };
        }
        return x;
    }

    private static float awayFrom(SplittableRandom random, float first, float second) {
        while (true) {
            float x = (float) random.nextDouble(-2, 2);
            if (Math.abs(x - first) > 0.05 && Math.abs(x - second) > 0.05) {
                return x;
            }
        }
    }

    @ParameterizedTest(name = "{0} {1} n={2} {3}")
    @MethodSource("unaryCases")
    void unaryMatchesReference(Backend backend, UnaryOp f, int n, TestMemory memory) {
        assumeTrue(backend != null, "only the scalar reference is available");
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase(List.of("unary", f, n, memory)));
        float[] x = inputs(f, random, n);
        float[] expected = new float[n];
        KernelChecks.reference().unary(f, heap(x), heap(expected), n);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment y = memory.zeros(arena, n);
            backend.unary(f, memory.floats(arena, x), y, n);
            // Vector EXP/LOG/TANH are within a few float ulps of the double reference. Measured against
            // max(|y|, |x|), not |y|: gelu's 1 + tanh cancels for negative x, leaving ε·|x| of absolute error in
            // a tiny y.
            float[] magnitude = largerMagnitude(expected, x);
            ErrorBounds.assertWithinMagnitude(expected, toArray(y, n), magnitude, 4e-6, f + " n=" + n);
            // In place: y is x.
            MemorySegment inPlace = memory.floats(arena, x);
            backend.unary(f, inPlace, inPlace, n);
            ErrorBounds.assertWithinMagnitude(expected, toArray(inPlace, n), magnitude, 4e-6, f + " in place");
        }
    }

    @ParameterizedTest(name = "{0} {1} n={2} {3}")
    @MethodSource("unaryCases")
    void unaryBackwardMatchesReference(Backend backend, UnaryOp f, int n, TestMemory memory) {
        assumeTrue(backend != null, "only the scalar reference is available");
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase(List.of("unaryBackward", f, n, memory)));
        float[] x = inputs(f, random, n);
        float[] y = new float[n];
        float[] dy = uniform(random, n, -1, 1);
        float[] expected = new float[n];
        Backend reference = KernelChecks.reference();
        reference.unary(f, heap(x), heap(y), n);
        reference.unaryBackward(f, heap(x), heap(y), heap(dy), heap(expected), n);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment dx = memory.zeros(arena, n);
            backend.unaryBackward(f, memory.floats(arena, x), memory.floats(arena, y), memory.floats(arena, dy), dx, n);
            // A few float roundings in each derivative (gelu's has eight operations) against double, measured
            // against max(|dx|, |dy|) for the same cancellation as in the forward pass.
            ErrorBounds.assertWithinMagnitude(expected, toArray(dx, n), largerMagnitude(expected, dy), 1e-5,
                    f + " backward n=" + n);
        }
    }

    @ParameterizedTest(name = "{0} {1} b {2} {3}x{4} {5}")
    @MethodSource("binaryCases")
    void binaryMatchesReference(Backend backend, BinaryOp op, Broadcast shape, int rows, int cols, TestMemory memory) {
        assumeTrue(backend != null, "only the scalar reference is available");
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase(List.of("binary", op, shape, rows, cols, memory)));
        int n = rows * cols;
        int bSize = (int) shape.size(rows, cols);
        float[] a = uniform(random, n, -2, 2);
        float[] b = signed(uniform(random, bSize, 0.5, 2), random);
        float[] expected = new float[n];
        KernelChecks.reference().binary(op, heap(a), heap(b), shape, heap(expected), rows, cols);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment y = memory.zeros(arena, n);
            backend.binary(op, memory.floats(arena, a), memory.floats(arena, b), shape, y, rows, cols);
            // + − × ÷ of two floats are correctly rounded in float and in double-then-float alike: exact.
            assertClose(expected, toArray(y, n), 0, op + " " + shape);
            MemorySegment inPlace = memory.floats(arena, a);
            backend.binary(op, inPlace, memory.floats(arena, b), shape, inPlace, rows, cols);
            assertClose(expected, toArray(inPlace, n), 0, op + " " + shape + " in place");
        }
    }

    @ParameterizedTest(name = "{0} {1} b {2} {3}x{4} {5}")
    @MethodSource("binaryCases")
    void binaryBackwardMatchesReference(Backend backend, BinaryOp op, Broadcast shape, int rows, int cols,
                                        TestMemory memory) {
        assumeTrue(backend != null, "only the scalar reference is available");
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase(List.of("binaryBackward", op, shape, rows, cols,
                memory)));
        int n = rows * cols;
        int bSize = (int) shape.size(rows, cols);
        float[] a = uniform(random, n, -2, 2);
        float[] b = signed(uniform(random, bSize, 0.5, 2), random);
        float[] dy = uniform(random, n, -1, 1);
        float[] expectedA = new float[n];
        float[] expectedB = new float[bSize];
        KernelChecks.reference().binaryBackward(op, heap(a), heap(b), shape, heap(dy), heap(expectedA),
                heap(expectedB), rows, cols);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment dA = memory.zeros(arena, n);
            MemorySegment dB = memory.zeros(arena, bSize);
            backend.binaryBackward(op, memory.floats(arena, a), memory.floats(arena, b), shape, memory.floats(arena, dy),
                    dA, dB, rows, cols);
            // dA: one rounding, as in binary (DIV's dy/b) or none.
            assertClose(expectedA, toArray(dA, n), 1e-6, op + " " + shape + " dA");
            // dB: float sums of up to 69k terms in 32 lanes against double, and DIV's −dy·a/b² in three
            // roundings: a few hundred ε of the magnitude Σ|term| at most, far below 1e-5.
            float[] magnitude = new float[bSize];
            KernelChecks.reference().binaryBackward(op, heap(KernelData.absolute(a)), heap(KernelData.absolute(b)),
                    shape, heap(KernelData.absolute(dy)), null, heap(magnitude), rows, cols);
            ErrorBounds.assertWithinMagnitude(expectedB, toArray(dB, bSize), magnitude, 1e-5, op + " " + shape + " dB");
            // Each alone, the other null.
            MemorySegment onlyA = memory.zeros(arena, n);
            backend.binaryBackward(op, memory.floats(arena, a), memory.floats(arena, b), shape, memory.floats(arena, dy),
                    onlyA, null, rows, cols);
            assertClose(expectedA, toArray(onlyA, n), 1e-6, op + " " + shape + " dA alone");
            MemorySegment onlyB = memory.zeros(arena, bSize);
            backend.binaryBackward(op, memory.floats(arena, a), memory.floats(arena, b), shape, memory.floats(arena, dy),
                    null, onlyB, rows, cols);
            ErrorBounds.assertWithinMagnitude(expectedB, toArray(onlyB, bSize), magnitude, 1e-5,
                    op + " " + shape + " dB alone");
        }
    }

    @ParameterizedTest(name = "{0} n={1} {2}")
    @MethodSource("streamCases")
    void axpyMatchesReference(Backend backend, int n, TestMemory memory) {
        assumeTrue(backend != null, "only the scalar reference is available");
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase(List.of("axpy", n, memory)));
        float[] x = uniform(random, n, -1, 1);
        float[] y = uniform(random, n, -1, 1);
        float[] expected = y.clone();
        KernelChecks.reference().axpy(n, -0.75f, heap(x), heap(expected));
        try (Arena arena = Arena.ofShared()) {
            MemorySegment result = memory.floats(arena, y);
            backend.axpy(n, -0.75f, memory.floats(arena, x), result);
            // A fused multiply-add (one rounding) against double then float (at most one more).
            assertClose(expected, toArray(result, n), 1e-7, "axpy n=" + n);
        }
    }

    /** Adam with L2 decay, then AdamW (decoupled decay), at step 3, on random moments. */
    @ParameterizedTest(name = "{0} n={1} {2}")
    @MethodSource("streamCases")
    void adamUpdateMatchesReference(Backend backend, int n, TestMemory memory) {
        assumeTrue(backend != null, "only the scalar reference is available");
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase(List.of("adam", n, memory)));
        float[] p = uniform(random, n, -1, 1);
        float[] g = uniform(random, n, -1, 1);
        float[] m = uniform(random, n, -0.1f, 0.1f);
        float[] v = uniform(random, n, 0, 0.01f);
        double lr = 1e-3;
        double correction1 = 1 - Math.pow(0.9, 3);
        float root2 = (float) Math.sqrt(1 - Math.pow(0.999, 3));
        for (AdamCoefficients c : List.of(
                new AdamCoefficients(0.9f, 0.999f, (float) (lr / correction1), root2, 1e-8f, 1f, 0.01f),
                new AdamCoefficients(0.9f, 0.999f, (float) (lr / correction1), root2, 1e-8f, (float) (1 - lr * 0.01), 0f))) {
            float[] expectedM = m.clone();
            float[] expectedV = v.clone();
            KernelChecks.reference().adamUpdate(n, c, heap(p.clone()), heap(g), heap(expectedM), heap(expectedV));
            try (Arena arena = Arena.ofShared()) {
                MemorySegment ps = memory.floats(arena, p);
                MemorySegment gs = memory.floats(arena, g);
                MemorySegment ms = memory.floats(arena, m);
                MemorySegment vs = memory.floats(arena, v);
                backend.adamUpdate(n, c, ps, gs, ms, vs);
                float[] actualM = toArray(ms, n);
                float[] actualV = toArray(vs, n);
                // β₁·m + (1−β₁)·d cancels where m and d have opposite signs, so one element's error is
                // measured against the magnitude of its terms: at most ten float roundings (ε = 6e-8) of
                // it, with the error of d = g + l2·p carried along, below the 1e-6 asked.
                AdamMagnitudes magnitudes = AdamMagnitudes.of(c, p, g, m, v);
                ErrorBounds.assertWithinMagnitude(expectedM, actualM, magnitudes.m(), 1e-6, "m n=" + n + " " + c);
                ErrorBounds.assertWithinMagnitude(expectedV, actualV, magnitudes.v(), 1e-6, "v n=" + n + " " + c);
                // The parameter from the kernel's own moments, so that their rounding is not counted twice:
                // p·decay − step·m/(√v/c₂ + eps) in six roundings of |p·decay| + |step·m/(√v/c₂ + eps)|.
                float[] stepFromOwnMoments = new float[n];
                float[] stepMagnitude = new float[n];
                for (int i = 0; i < n; i++) {
                    double value = (double) p[i] * c.decay();
                    double update = c.stepSize() * (double) actualM[i]
                            / (Math.sqrt(actualV[i]) / c.rootCorrection2() + c.eps());
                    stepFromOwnMoments[i] = (float) (value - update);
                    stepMagnitude[i] = (float) (Math.abs(value) + Math.abs(update));
                }
                ErrorBounds.assertWithinMagnitude(stepFromOwnMoments, toArray(ps, n), stepMagnitude, 1e-6,
                        "p n=" + n + " " + c);
                assertArrayEquals(g, toArray(gs, n), "the gradient is only read");
            }
        }
    }

    /**
     * The sums of absolute terms of Adam's new moments, for each element: with d = g + l2·p·decay and
     * |d|' = |g| + |l2·p·decay|, β₁·|m| + (1−β₁)·|d|' and β₂·v + (1−β₂)·|d|'².
     */
    private record AdamMagnitudes(float[] m, float[] v) {

        static AdamMagnitudes of(AdamCoefficients c, float[] p, float[] g, float[] m, float[] v) {
            float[] firstMoment = new float[p.length];
            float[] secondMoment = new float[p.length];
            for (int i = 0; i < p.length; i++) {
                double d = Math.abs((double) g[i]) + Math.abs((double) c.l2() * p[i] * c.decay());
                firstMoment[i] = (float) (c.beta1() * Math.abs((double) m[i]) + (1 - (double) c.beta1()) * d);
                secondMoment[i] = (float) (c.beta2() * (double) v[i] + (1 - (double) c.beta2()) * d * d);
            }
            return new AdamMagnitudes(firstMoment, secondMoment);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allBackends")
    void adamUpdateNamesAShortSegment(Backend backend) {
        AdamCoefficients c = new AdamCoefficients(0.9f, 0.999f, 1e-3f, 1f, 1e-8f, 1f, 0f);
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> backend.adamUpdate(10, c,
                heap(new float[10]), heap(new float[10]), heap(new float[10]), heap(new float[9])));
        assertTrue(error.getMessage().contains("v") && error.getMessage().contains("n=10"), error.getMessage());
    }

    @ParameterizedTest(name = "{0} n={1} {2}")
    @MethodSource("streamCases")
    void dropoutDrawsTheReferenceMask(Backend backend, int n, TestMemory memory) {
        assumeTrue(backend != null, "only the scalar reference is available");
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase(List.of("dropout", n, memory)));
        float[] x = uniform(random, n, -1, 1);
        long seed = random.nextLong();
        float[] expectedY = new float[n];
        float[] expectedMask = new float[n];
        KernelChecks.reference().dropout(heap(x), heap(expectedY), heap(expectedMask), n, 0.3f, seed);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment y = memory.zeros(arena, n);
            MemorySegment mask = memory.zeros(arena, n);
            backend.dropout(memory.floats(arena, x), y, mask, n, 0.3f, seed);
            // The same hash and the same product x·mask: bit for bit.
            assertArrayEquals(expectedMask, toArray(mask, n), "mask n=" + n);
            assertArrayEquals(expectedY, toArray(y, n), "y n=" + n);
        }
    }

    /**
     * One thread and several draw the same mask: a confined native segment keeps a kernel on the calling
     * thread, a heap one is split over the pool ({@value #LARGE} elements, parts over both threads).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("allBackends")
    void dropoutMaskIsTheSameOnOneThreadAndOnSeveral(Backend backend) {
        float[] x = new float[LARGE];
        Arrays.fill(x, 1f);
        MemorySegment parallelMask = heap(new float[LARGE]);
        backend.dropout(heap(x), heap(new float[LARGE]), parallelMask, LARGE, 0.5f, 1234L);
        try (Arena confined = Arena.ofConfined()) {
            MemorySegment singleMask = confined.allocate(4L * LARGE);
            backend.dropout(KernelChecks.nativeCopy(confined, x), confined.allocate(4L * LARGE), singleMask, LARGE, 0.5f,
                    1234L);
            assertArrayEquals(toArray(parallelMask, LARGE), toArray(singleMask, LARGE));
        }
        float[] reference = new float[LARGE];
        KernelChecks.reference().dropout(heap(x), heap(new float[LARGE]), heap(reference), LARGE, 0.5f, 1234L);
        assertArrayEquals(reference, toArray(parallelMask, LARGE));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allBackends")
    void dropoutKeepsAboutOneMinusP(Backend backend) {
        int n = 100_000;
        float[] x = new float[n];
        Arrays.fill(x, 2f);
        for (float p : new float[] {0.1f, 0.3f, 0.5f, 0.9f}) {
            float[] y = new float[n];
            float[] mask = new float[n];
            backend.dropout(heap(x), heap(y), heap(mask), n, p, TestSeeds.forCase(List.of("dropoutRate", p)));
            float scale = (float) (1.0 / (1.0 - p));
            int kept = 0;
            for (int i = 0; i < n; i++) {
                assertTrue(mask[i] == 0f || mask[i] == scale, "mask[" + i + "] = " + mask[i]);
                assertEquals(2f * mask[i], y[i]);
                kept += mask[i] == 0f ? 0 : 1;
            }
            // Binomial(n, 1 − p): six standard deviations, a false alarm about once in 10⁹ runs.
            double sigma = Math.sqrt(n * p * (1.0 - p));
            assertTrue(Math.abs(kept - n * (1.0 - p)) <= 6 * sigma, "p=" + p + ": kept " + kept + " of " + n);
        }
        float[] y = new float[n];
        float[] mask = new float[n];
        backend.dropout(heap(x), heap(y), heap(mask), n, 0f, 7L);
        assertArrayEquals(x, y, "p = 0 keeps everything unscaled");
        backend.dropout(heap(x), heap(y), heap(mask), n, 1f, 7L);
        assertArrayEquals(new float[n], y, "p = 1 drops everything (and no 0·∞ NaN)");
        assertArrayEquals(new float[n], mask);
    }

    /** NaN in, NaN out, for every function (relu(NaN) = NaN as in PyTorch), at body and tail positions. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("allBackends")
    void nanPropagates(Backend backend) {
        int n = 37;
        for (UnaryOp f : UNARY_OPS) {
            float[] x = new float[n];
            Arrays.fill(x, 0.5f);
            x[3] = Float.NaN;
            x[n - 1] = Float.NaN;
            float[] y = new float[n];
            backend.unary(f, heap(x), heap(y), n);
            assertTrue(Float.isNaN(y[3]) && Float.isNaN(y[n - 1]), f + " of NaN: " + y[3] + ", " + y[n - 1]);
            assertTrue(!Float.isNaN(y[0]), f + " of 0.5");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("unaryGradientCases")
    void unaryGradientMatchesFiniteDifferences(Backend backend, UnaryOp f) {
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase(List.of("unaryGradient", f)));
        int n = 45;
        float[] x = inputs(f, random, n);
        float[] r = uniform(random, n, -1, 1);
        double[] numeric = numericGradient(x, values -> {
            float[] y = new float[n];
            backend.unary(f, heap(values), heap(y), n);
            return weightedSum(y, r);
        }, 1e-3);
        float[] y = new float[n];
        float[] dx = new float[n];
        backend.unary(f, heap(x), heap(y), n);
        backend.unaryBackward(f, heap(x), heap(y), heap(r), heap(dx), n);
        // Float outputs differenced over 2h = 2e-3: about 1e-4 of noise, plus O(h²) truncation.
        assertGradient(numeric, dx, 1e-3, f.toString());
    }

    @ParameterizedTest(name = "{0} {1} b {2}")
    @MethodSource("binaryGradientCases")
    void binaryGradientsMatchFiniteDifferences(Backend backend, BinaryOp op, Broadcast shape) {
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase(List.of("binaryGradient", op, shape)));
        int rows = 5;
        int cols = 7;
        int n = rows * cols;
        int bSize = (int) shape.size(rows, cols);
        float[] a = uniform(random, n, -2, 2);
        float[] b = signed(uniform(random, bSize, 0.5, 2), random);
        // Positive weights: dB sums up to 35 of them, and signed ones could cancel to a gradient far smaller
        // than the rounding noise of the outputs it is differenced from (one CI-like run: ADD SCALAR dB at
        // 1.15e-3 against 1e-3). dA, one weight per element, checks the sign handling anyway.
        float[] r = uniform(random, n, 0.25, 1);
        double[] numericA = numericGradient(a, values -> {
            float[] y = new float[n];
            backend.binary(op, heap(values), heap(b), shape, heap(y), rows, cols);
            return weightedSum(y, r);
        }, 1e-3);
        double[] numericB = numericGradient(b, values -> {
            float[] y = new float[n];
            backend.binary(op, heap(a), heap(values), shape, heap(y), rows, cols);
            return weightedSum(y, r);
        }, 1e-2);
        float[] dA = new float[n];
        float[] dB = new float[bSize];
        backend.binaryBackward(op, heap(a), heap(b), shape, heap(r), heap(dA), heap(dB), rows, cols);
        // As for unary: float outputs differenced over 2h = 2e-3 for dA. dB sums up to 35 outputs whose rounding
        // noise does not cancel while the sum itself may: a step of 1e-2 keeps that noise near 1e-4 of the
        // gradient (with 1e-3 it reached 1.1e-3 on one seed); the truncation error of DIV stays O(h²) = 1e-4.
        assertGradient(numericA, dA, 1e-3, op + " " + shape + " dA");
        assertGradient(numericB, dB, 1e-3, op + " " + shape + " dB");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allBackends")
    void badArgumentsNameTheShapes(Backend backend) {
        MemorySegment twenty = heap(new float[20]);
        IllegalArgumentException shortB = assertThrows(IllegalArgumentException.class,
                () -> backend.binary(BinaryOp.ADD, twenty, heap(new float[4]), Broadcast.ROW, twenty, 4, 5));
        assertTrue(shortB.getMessage().contains("b needs 5 floats") && shortB.getMessage().contains("rows=4, cols=5"),
                shortB.getMessage());
        IllegalArgumentException shortDx = assertThrows(IllegalArgumentException.class,
                () -> backend.unaryBackward(UnaryOp.TANH, twenty, twenty, twenty, heap(new float[19]), 20));
        assertTrue(shortDx.getMessage().contains("dx needs 20 floats") && shortDx.getMessage().contains("n=20"),
                shortDx.getMessage());
        IllegalArgumentException badP = assertThrows(IllegalArgumentException.class,
                () -> backend.dropout(twenty, twenty, heap(new float[20]), 20, 1.5f, 1L));
        assertTrue(badP.getMessage().contains("p must lie in [0, 1]"), badP.getMessage());
    }

    private static float[] largerMagnitude(float[] a, float[] b) {
        float[] result = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            result[i] = Math.max(Math.abs(a[i]), Math.abs(b[i]));
        }
        return result;
    }

    private static float[] signed(float[] values, SplittableRandom random) {
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextBoolean() ? values[i] : -values[i];
        }
        return values;
    }
}
