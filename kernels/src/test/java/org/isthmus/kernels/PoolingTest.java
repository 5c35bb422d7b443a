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
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * 2-D max and average pooling: every optimized backend against the scalar reference on square and
 * rectangular windows, strides and paddings, heap and native, one input large enough to be split
 * over threads; gradients against central differences on every backend; NaN; bad arguments.
 */
class PoolingTest {

    private static final List<Pool2dShape> SHAPES = List.of(
            Pool2dShape.of(2, 3, 5, 5, 2),
            Pool2dShape.of(1, 1, 1, 1, 1),
            new Pool2dShape(1, 2, 7, 9, 3, 3, 2, 2, 1, 1),
            new Pool2dShape(2, 2, 6, 6, 3, 3, 1, 1, 1, 1),
            new Pool2dShape(1, 3, 17, 15, 2, 2, 2, 2, 1, 1),
            new Pool2dShape(1, 1, 4, 7, 4, 3, 1, 2, 2, 1),
            new Pool2dShape(2, 1, 9, 8, 3, 2, 3, 1, 0, 1),
            // Rows of 18 outputs: the SIMD path of 2-wide, stride-2 windows, and its tail.
            Pool2dShape.of(1, 2, 6, 37, 2),
            // Rows shorter than a vector of outputs (masked), exactly one vector, odd sizes left over.
            Pool2dShape.of(2, 3, 14, 14, 2),
            Pool2dShape.of(1, 2, 9, 15, 2),
            Pool2dShape.of(1, 1, 4, 32, 2),
            new Pool2dShape(1, 2, 7, 10, 3, 2, 3, 2, 0, 0),
            new Pool2dShape(1, 1, 5, 36, 3, 2, 1, 2, 1, 0),
            // 100k inputs: split over threads by plane.
            Pool2dShape.of(8, 16, 28, 28, 2));

    static Stream<Arguments> cases() {
        return KernelData.acrossOptimized(backend -> SHAPES.stream().flatMap(shape ->
                Stream.of(TestMemory.values()).map(memory -> Arguments.of(backend, shape, memory))));
    }

    static Stream<Arguments> gradientCases() {
        return KernelChecks.backends().flatMap(backend -> SHAPES.subList(0, SHAPES.size() - 1).stream()
                .map(shape -> Arguments.of(Named.of(backend.name(), backend), shape)));
    }

    static Stream<Named<Backend>> allBackends() {
        return KernelChecks.backends().map(backend -> Named.of(backend.name(), backend));
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void maxPoolMatchesReference(Backend backend, Pool2dShape shape, TestMemory memory) {
        assumeTrue(backend != null, "only the scalar reference is available");
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase(List.of("maxPool", shape, memory)));
        int in = (int) shape.inputSize();
        int out = (int) shape.outputSize();
        // Coarse values, so that windows hold ties and the first must win.
        float[] x = new float[in];
        for (int i = 0; i < in; i++) {
            x[i] = random.nextInt(-20, 20) / 4f;
        }
        float[] dy = uniform(random, out, -1, 1);
        Backend reference = KernelChecks.reference();
        float[] expected = new float[out];
        int[] expectedArgmax = new int[out];
        float[] expectedDx = new float[in];
        reference.maxPool2d(shape, heap(x), heap(expected), heap(expectedArgmax));
        reference.maxPool2dBackward(shape, heap(dy), heap(expectedArgmax), heap(expectedDx));
        try (Arena arena = Arena.ofShared()) {
            MemorySegment y = memory.zeros(arena, out);
            MemorySegment argmax = memory.intZeros(arena, out);
            backend.maxPool2d(shape, memory.floats(arena, x), y, argmax);
            // A max is one of its inputs, and the first index reaching it is unique: exact.
            assertArrayEquals(expected, toArray(y, out));
            assertArrayEquals(expectedArgmax, TestMemory.intArray(argmax, out));
            MemorySegment dx = memory.floats(arena, uniform(random, in, -1, 1)); // overwritten, not added to
            backend.maxPool2dBackward(shape, memory.floats(arena, dy), memory.ints(arena, expectedArgmax), dx);
            // Where windows overlap, a few dy are summed: float against double.
            assertClose(expectedDx, toArray(dx, in), 1e-6, "maxPool2dBackward");
        }
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void avgPoolMatchesReference(Backend backend, Pool2dShape shape, TestMemory memory) {
        assumeTrue(backend != null, "only the scalar reference is available");
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase(List.of("avgPool", shape, memory)));
        int in = (int) shape.inputSize();
        int out = (int) shape.outputSize();
        float[] x = uniform(random, in, -1, 1);
        float[] dy = uniform(random, out, -1, 1);
        Backend reference = KernelChecks.reference();
        float[] expected = new float[out];
        float[] expectedDx = new float[in];
        reference.avgPool2d(shape, heap(x), heap(expected));
        reference.avgPool2dBackward(shape, heap(dy), heap(expectedDx));
        try (Arena arena = Arena.ofShared()) {
            MemorySegment y = memory.zeros(arena, out);
            backend.avgPool2d(shape, memory.floats(arena, x), y);
            // At most 12 terms summed in float against double: norm-wise a few ε.
            assertClose(expected, toArray(y, out), 1e-6, "avgPool2d");
            MemorySegment dx = memory.floats(arena, uniform(random, in, -1, 1)); // overwritten, not added to
            backend.avgPool2dBackward(shape, memory.floats(arena, dy), dx);
            assertClose(expectedDx, toArray(dx, in), 1e-6, "avgPool2dBackward");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("gradientCases")
    void gradientsMatchFiniteDifferences(Backend backend, Pool2dShape shape) {
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase(List.of("poolGradients", shape)));
        int in = (int) shape.inputSize();
        int out = (int) shape.outputSize();
        float[] x = KernelData.distinct(random, in);
        float[] r = uniform(random, out, -1, 1);
        double[] numericMax = numericGradient(x, values -> {
            float[] y = new float[out];
            backend.maxPool2d(shape, heap(values), heap(y), heap(new int[out]));
            return weightedSum(y, r);
        }, 1e-3);
        int[] argmax = new int[out];
        float[] dx = new float[in];
        backend.maxPool2d(shape, heap(x), heap(new float[out]), heap(argmax));
        backend.maxPool2dBackward(shape, heap(r), heap(argmax), heap(dx));
        // Float outputs differenced over 2h = 2e-3: about 1e-4 of noise.
        assertGradient(numericMax, dx, 1e-3, "maxPool2d " + shape);
        double[] numericAvg = numericGradient(x, values -> {
            float[] y = new float[out];
            backend.avgPool2d(shape, heap(values), heap(y));
            return weightedSum(y, r);
        }, 1e-3);
        backend.avgPool2dBackward(shape, heap(r), heap(dx));
        assertGradient(numericAvg, dx, 1e-3, "avgPool2d " + shape);
    }

    /** A window holding NaN pools to NaN, pointing at the first NaN; padding (−∞) never wins. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("allBackends")
    void nanWinsAndPaddingNeverDoes(Backend backend) {
        Pool2dShape shape = new Pool2dShape(1, 1, 4, 4, 2, 2, 2, 2, 1, 1);
        float[] x = new float[16];
        Arrays.fill(x, -5f);
        x[5] = Float.NaN; // (1, 1): the window of output (1, 1) covers rows 1-2, columns 1-2
        x[10] = Float.NaN; // (2, 2): same window, later
        float[] y = new float[9];
        int[] argmax = new int[9];
        backend.maxPool2d(shape, heap(x), heap(y), heap(argmax));
        assertTrue(Float.isNaN(y[4]), "window with NaN: " + y[4]);
        assertEquals(5, argmax[4], "the first NaN");
        assertEquals(-5f, y[0], "corner window: one input and three of padding");
        assertEquals(0, argmax[0]);
        float[] average = new float[9];
        backend.avgPool2d(shape, heap(new float[] {4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4}), heap(average));
        assertEquals(1f, average[0], "corner window: 4 / 4 (padding counted as zeros)");
        assertEquals(2f, average[1], "edge window: 8 / 4");
        assertEquals(4f, average[4], "inner window");
    }

    /**
     * An argmax this forward pass did not write (every output pointing at input 0, outside most
     * windows) still scatters every gradient: the disjoint-window path falls back, nothing is dropped.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("allBackends")
    void argmaxOutsideItsWindowStillScatters(Backend backend) {
        Pool2dShape shape = Pool2dShape.of(1, 1, 6, 20, 2);
        int in = (int) shape.inputSize();
        int out = (int) shape.outputSize();
        float[] dy = new float[out];
        for (int o = 0; o < out; o++) {
            dy[o] = o + 1;
        }
        float[] dx = new float[in];
        Arrays.fill(dx, 7f); // overwritten, not added to
        backend.maxPool2dBackward(shape, heap(dy), heap(new int[out]), heap(dx));
        float[] expected = new float[in];
        expected[0] = out * (out + 1) / 2f;
        assertArrayEquals(expected, dx);
    }

    /** NaN and ties in the paths for 2-wide stride-2 windows (SIMD on even and odd columns) and its tail. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("allBackends")
    void nanAndTiesInPairedColumns(Backend backend) {
        Pool2dShape shape = Pool2dShape.of(1, 1, 4, 38, 2);
        float[] x = tiesAndNans(shape, 1, 38, 40, 41, 42 + 38, 43, 36, 37 + 38, 76 + 5, 114 + 5, 114 + 36);
        int out = (int) shape.outputSize();
        float[] expected = new float[out];
        int[] expectedArgmax = new int[out];
        KernelChecks.reference().maxPool2d(shape, heap(x), heap(expected), heap(expectedArgmax));
        float[] y = new float[out];
        int[] argmax = new int[out];
        backend.maxPool2d(shape, heap(x), heap(y), heap(argmax));
        assertArrayEquals(expected, y);
        assertArrayEquals(expectedArgmax, argmax);
        assertTrue(Float.isNaN(y[0]) && argmax[0] == 1, "the first NaN of window 0: " + argmax[0]);
    }

    /** Rows of 7 outputs, shorter than a vector: the plane's last row runs on a copy of its input rows. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("allBackends")
    void nanAndTiesInTheLastShortRow(Backend backend) {
        Pool2dShape shape = Pool2dShape.of(2, 1, 4, 14, 2);
        float[] x = tiesAndNans(shape, 28 + 3, 42 + 2, 42 + 8, 42 + 13, 56 + 42 + 12, 56 + 28 + 13);
        int out = (int) shape.outputSize();
        MemorySegment nativeX = Arena.ofAuto().allocate((long) x.length * Float.BYTES);
        MemorySegment.copy(x, 0, nativeX, ValueLayout.JAVA_FLOAT, 0, x.length);
        for (MemorySegment input : new MemorySegment[] {heap(x), nativeX}) {
            float[] expected = new float[out];
            int[] expectedArgmax = new int[out];
            KernelChecks.reference().maxPool2d(shape, input, heap(expected), heap(expectedArgmax));
            float[] y = new float[out];
            int[] argmax = new int[out];
            backend.maxPool2d(shape, input, heap(y), heap(argmax));
            assertArrayEquals(expected, y);
            assertArrayEquals(expectedArgmax, argmax);
            float[] average = new float[out];
            float[] expectedAverage = new float[out];
            KernelChecks.reference().avgPool2d(shape, input, heap(expectedAverage));
            backend.avgPool2d(shape, input, heap(average));
            assertArrayEquals(expectedAverage, average, 1e-6f);
        }
        assertTrue(Float.isNaN(y(backend, shape, x)[8]), "window (2..3, 2..3) holds the NaN at row 2, column 3");
    }

    private static float[] y(Backend backend, Pool2dShape shape, float[] x) {
        float[] y = new float[(int) shape.outputSize()];
        backend.maxPool2d(shape, heap(x), heap(y), heap(new int[y.length]));
        return y;
    }

    /** x[i] = i mod 3 (ties in every window), NaN at the given flat indices. */
    private static float[] tiesAndNans(Pool2dShape shape, int... nans) {
        float[] x = new float[(int) shape.inputSize()];
        for (int i = 0; i < x.length; i++) {
            x[i] = i % 3;
        }
        for (int at : nans) {
            x[at] = Float.NaN;
        }
        return x;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allBackends")
    void badArgumentsNameTheShapes(Backend backend) {
        Pool2dShape shape = Pool2dShape.of(2, 3, 5, 5, 2);
        IllegalArgumentException shortX = assertThrows(IllegalArgumentException.class,
                () -> backend.maxPool2d(shape, heap(new float[149]), heap(new float[24]), heap(new int[24])));
        assertTrue(shortX.getMessage().contains("x needs 150 floats")
                && shortX.getMessage().contains("batch=2, channels=3, inHeight=5, inWidth=5, kernelHeight=2"), shortX.getMessage());
        int[] argmax = new int[24];
        argmax[7] = 25;
        IllegalArgumentException outside = assertThrows(IllegalArgumentException.class,
                () -> backend.maxPool2dBackward(shape, heap(new float[24]), heap(argmax), heap(new float[150])));
        assertTrue(outside.getMessage().contains("argmax[7]=25 is outside [0, 25)")
                && outside.getMessage().contains("batch=2, channels=3, inHeight=5, inWidth=5"), outside.getMessage());
        IllegalArgumentException shortDx = assertThrows(IllegalArgumentException.class,
                () -> backend.avgPool2dBackward(shape, heap(new float[24]), heap(new float[100])));
        assertTrue(shortDx.getMessage().contains("dx needs 150 floats"), shortDx.getMessage());
    }

    /**
     * The argmax check reads exactly the segment it is given: a slice of a larger int[] (valid indices
     * around it must not hide a bad one in it, bad ones around it must not be blamed), a slice at an odd
     * byte offset (refused, not read as shifted ints) and a native segment.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("allBackends")
    void argmaxIsCheckedWhereverItLies(Backend backend) {
        Pool2dShape shape = Pool2dShape.of(2, 3, 5, 5, 2);
        int[] around = new int[24 + 10];
        Arrays.fill(around, 0, 5, -1);
        Arrays.fill(around, 29, 34, 99);
        MemorySegment slice = MemorySegment.ofArray(around).asSlice(5L * Integer.BYTES, 24L * Integer.BYTES);
        backend.maxPool2dBackward(shape, heap(new float[24]), slice, heap(new float[150]));

        around[5 + 23] = -3;
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> backend.maxPool2dBackward(shape, heap(new float[24]), slice, heap(new float[150])));
        assertTrue(negative.getMessage().contains("argmax[23]=-3 is outside [0, 25)"), negative.getMessage());

        MemorySegment misaligned = MemorySegment.ofArray(new int[25]).asSlice(2, 24L * Integer.BYTES);
        assertThrows(IllegalArgumentException.class,
                () -> backend.maxPool2dBackward(shape, heap(new float[24]), misaligned, heap(new float[150])));

        try (Arena arena = Arena.ofConfined()) {
            MemorySegment indices = arena.allocate(ValueLayout.JAVA_INT, 24);
            indices.setAtIndex(ValueLayout.JAVA_INT, 11, 25);
            IllegalArgumentException nativeOutside = assertThrows(IllegalArgumentException.class,
                    () -> backend.maxPool2dBackward(shape, heap(new float[24]), indices, heap(new float[150])));
            assertTrue(nativeOutside.getMessage().contains("argmax[11]=25 is outside [0, 25)"), nativeOutside.getMessage());
        }
    }
}
