package org.isthmus.kernels;

import static org.isthmus.kernels.KernelChecks.assertClose;
import static org.isthmus.kernels.KernelChecks.assertGradient;
import static org.isthmus.kernels.KernelChecks.heap;
import static org.isthmus.kernels.KernelChecks.nativeCopy;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * conv2d and its two backward passes: every optimized backend against the scalar reference on
 * shapes that take each of the vector backend's paths (direct stride-1 kernel, im2col + sgemm,
 * padding beyond the dilated kernel, tails of the tile in channels and positions), with heap and
 * native segments and with and without bias; every backend's backward passes against central
 * differences; the worked examples; bad arguments.
 */
class ConvolutionTest {

    /**
     * Vector against scalar, relative error (norm-wise): each output sums C·kH·kW (or K·kH·kW)
     * float products, so rounding grows like √terms·ε/2 ≈ 1e-6 at 576 terms; 1e-5 leaves room and
     * still catches a single wrong tap.
     */
    private static final double MATCH_TOLERANCE = 1e-5;
    /**
     * Finite differences of a loss computed from float outputs: the convolution is linear, so the
     * step (1e-2) adds no truncation error, only the loss's float rounding ≈ ε·|L| / step ≈ 1e-5
     * relative; 1e-3 separates that from a wrong gradient (errors of order 1).
     */
    private static final double GRADIENT_TOLERANCE = 1e-3;
    private static final double STEP = 1e-2;

    /** A named shape: N, C, H, W, K, kH, kW, stride, padding, dilation (height, width). */
    record ConvCase(String name, Conv2dShape shape) {
        @Override
        public String toString() {
            return name + " " + shape;
        }
    }

    private static ConvCase square(String name, int n, int c, int size, int k, int kernel, int stride, int pad,
                                   int dilation) {
        return new ConvCase(name, new Conv2dShape(n, c, size, size, k, kernel, kernel, stride, stride, pad, pad,
                dilation, dilation));
    }

    static Stream<ConvCase> cases() {
        return Stream.of(
                square("3x3 pad 1", 2, 3, 7, 5, 3, 1, 1, 1),
                square("first layer C=1, batch 1", 1, 1, 28, 32, 3, 1, 1, 1),
                square("C=1, no padding, 25 filters", 2, 1, 28, 25, 3, 1, 0, 1),
                square("stride 2", 2, 3, 9, 4, 3, 2, 1, 1),
                square("stride 2, 16 channels", 2, 16, 15, 20, 3, 2, 1, 1),
                square("dilation 2", 1, 2, 11, 3, 3, 1, 2, 2),
                square("padding beyond the dilated kernel", 1, 2, 5, 3, 3, 1, 3, 1),
                square("1x1 kernel", 2, 16, 5, 17, 1, 1, 0, 1),
                square("wide channels", 2, 32, 14, 64, 3, 1, 1, 1),
                new ConvCase("rectangular, mixed stride and dilation", new Conv2dShape(2, 3, 10, 7, 4, 3, 2, 2, 1, 1, 0, 1, 3)),
                new ConvCase("odd sizes, 5x3 kernel", new Conv2dShape(3, 5, 13, 17, 7, 5, 3, 1, 1, 2, 1, 1, 1)),
                new ConvCase("stride 3x1, dilation 1x2", new Conv2dShape(2, 4, 12, 11, 6, 2, 3, 3, 1, 0, 2, 1, 2)),
                new ConvCase("kernel as large as the padded input", new Conv2dShape(2, 3, 4, 5, 2, 6, 5, 1, 1, 1, 0, 1, 1)),
                // The 4-filter tile with rows sharing their padding: taps that reach past a row's end
                // read the next row's leading zeros (padding 2 and 3, dilation 2, rows wider than the
                // image plus its left padding when the padding exceeds the kernel).
                new ConvCase("tile: 5x5 kernel, padding 2", new Conv2dShape(2, 13, 14, 11, 9, 5, 5, 1, 1, 2, 2, 1, 1)),
                new ConvCase("tile: padding 3 beyond a 3x3 kernel", new Conv2dShape(2, 12, 9, 9, 8, 3, 3, 1, 1, 3, 3, 1, 1)),
                new ConvCase("tile: dilation 2, padding 2", new Conv2dShape(1, 12, 10, 8, 9, 3, 3, 1, 1, 2, 2, 2, 2)),
                // Row kernels (few taps or few filters): output rows of one vector and a tail, odd
                // filter counts, padding 0/1/2, dilation, and rows narrower than a vector (other paths).
                new ConvCase("rows: one filter, 5x7 padded 2", new Conv2dShape(1, 1, 5, 7, 1, 3, 3, 1, 1, 2, 2, 1, 1)),
                new ConvCase("rows: 5x7 padded 1, narrower than a vector", new Conv2dShape(1, 1, 5, 7, 3, 3, 3, 1, 1, 1, 1, 1, 1)),
                new ConvCase("rows: C=2, 17x13, 33 filters", new Conv2dShape(3, 2, 17, 13, 33, 3, 3, 1, 1, 1, 1, 1, 1)),
                new ConvCase("rows: C=3, 13x17, dilation 2, padding 2", new Conv2dShape(2, 3, 13, 17, 3, 3, 3, 1, 1, 2, 2, 2, 2)),
                new ConvCase("rows: C=1, 9x12, 2x3 kernel, no padding, dilation 2x1",
                        new Conv2dShape(2, 1, 9, 12, 5, 2, 3, 1, 1, 0, 0, 2, 1)),
                new ConvCase("3x2x17x13, stride 2, 3 filters", new Conv2dShape(3, 2, 17, 13, 3, 3, 3, 2, 2, 1, 1, 1, 1)),
                new ConvCase("rows: C=2, 20x20, 35 filters, enough work for two threads",
                        new Conv2dShape(9, 2, 20, 20, 35, 3, 3, 1, 1, 1, 1, 1, 1)));
    }

    /** The optimized backends, or an assumption failure when only the reference is available. */
    private static List<Backend> optimized() {
        List<Backend> backends = KernelChecks.optimizedBackends().toList();
        assumeTrue(!backends.isEmpty(), "no backend besides the scalar reference is available");
        return backends;
    }

    /** Random data for one case: x, w, bias, dy. */
    private record Data(float[] x, float[] w, float[] bias, float[] dy) {
        static Data random(Conv2dShape shape, long seed) {
            SplittableRandom random = new SplittableRandom(seed);
            return new Data(uniform(random, (int) shape.inputSize(), -1, 1), uniform(random, (int) shape.weightSize(), -1, 1),
                    uniform(random, shape.outChannels(), -1, 1), uniform(random, (int) shape.outputSize(), -1, 1));
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void forwardMatchesReference(ConvCase c) {
        Conv2dShape shape = c.shape();
        Data data = Data.random(shape, TestSeeds.forCase(c.name() + " forward"));
        for (boolean withBias : new boolean[] {false, true}) {
            float[] expected = new float[(int) shape.outputSize()];
            KernelChecks.reference().conv2d(shape, heap(data.x()), heap(data.w()), withBias ? heap(data.bias()) : null,
                    heap(expected));
            for (Backend backend : optimized()) {
                float[] onHeap = new float[expected.length];
                backend.conv2d(shape, heap(data.x()), heap(data.w()), withBias ? heap(data.bias()) : null, heap(onHeap));
                assertClose(expected, onHeap, MATCH_TOLERANCE, backend.name() + " conv2d, heap, bias " + withBias);
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment y = arena.allocate((long) expected.length * Float.BYTES);
                    backend.conv2d(shape, nativeCopy(arena, data.x()), nativeCopy(arena, data.w()),
                            withBias ? nativeCopy(arena, data.bias()) : null, y);
                    assertClose(expected, toArray(y, expected.length), MATCH_TOLERANCE,
                            backend.name() + " conv2d, native, bias " + withBias);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void backwardDataMatchesReference(ConvCase c) {
        Conv2dShape shape = c.shape();
        Data data = Data.random(shape, TestSeeds.forCase(c.name() + " backward data"));
        float[] expected = new float[(int) shape.inputSize()];
        KernelChecks.reference().conv2dBackwardData(shape, heap(data.dy()), heap(data.w()), heap(expected));
        for (Backend backend : optimized()) {
            float[] onHeap = new float[expected.length];
            java.util.Arrays.fill(onHeap, Float.NaN); // overwritten, not accumulated
            backend.conv2dBackwardData(shape, heap(data.dy()), heap(data.w()), heap(onHeap));
            assertClose(expected, onHeap, MATCH_TOLERANCE, backend.name() + " conv2dBackwardData, heap");
            try (Arena arena = Arena.ofShared()) {
                MemorySegment dx = arena.allocate((long) expected.length * Float.BYTES);
                backend.conv2dBackwardData(shape, nativeCopy(arena, data.dy()), nativeCopy(arena, data.w()), dx);
                assertClose(expected, toArray(dx, expected.length), MATCH_TOLERANCE,
                        backend.name() + " conv2dBackwardData, native");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void backwardWeightsMatchesReference(ConvCase c) {
        Conv2dShape shape = c.shape();
        Data data = Data.random(shape, TestSeeds.forCase(c.name() + " backward weights"));
        float[] expectedW = new float[(int) shape.weightSize()];
        float[] expectedBias = new float[shape.outChannels()];
        KernelChecks.reference().conv2dBackwardWeights(shape, heap(data.x()), heap(data.dy()), heap(expectedW),
                heap(expectedBias));
        for (Backend backend : optimized()) {
            float[] dw = new float[expectedW.length];
            float[] dBias = new float[expectedBias.length];
            java.util.Arrays.fill(dw, Float.NaN); // overwritten, not accumulated
            java.util.Arrays.fill(dBias, Float.NaN);
            backend.conv2dBackwardWeights(shape, heap(data.x()), heap(data.dy()), heap(dw), heap(dBias));
            // dw sums N·OH·OW products (up to 6272 here): √terms·ε/2 ≈ 5e-6, within the same bound.
            assertClose(expectedW, dw, MATCH_TOLERANCE, backend.name() + " conv2dBackwardWeights dw, heap");
            assertClose(expectedBias, dBias, MATCH_TOLERANCE, backend.name() + " conv2dBackwardWeights dBias, heap");
            float[] withoutBias = new float[expectedW.length];
            backend.conv2dBackwardWeights(shape, heap(data.x()), heap(data.dy()), heap(withoutBias), null);
            assertArrayEquals(dw, withoutBias, backend.name() + " dw must not depend on whether dBias is asked for");
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment dwNative = arena.allocate((long) expectedW.length * Float.BYTES);
                MemorySegment dBiasNative = arena.allocate((long) expectedBias.length * Float.BYTES);
                backend.conv2dBackwardWeights(shape, nativeCopy(arena, data.x()), nativeCopy(arena, data.dy()),
                        dwNative, dBiasNative);
                assertClose(expectedW, toArray(dwNative, expectedW.length), MATCH_TOLERANCE,
                        backend.name() + " conv2dBackwardWeights dw, native");
                assertClose(expectedBias, toArray(dBiasNative, expectedBias.length), MATCH_TOLERANCE,
                        backend.name() + " conv2dBackwardWeights dBias, native");
            }
        }
    }

    /**
     * A training step's order of calls on two layers, as the CNN makes them: the workspaces the passes share
     * grow for one pass and must still fit the next (a backward-data pass once grew only its own buffers).
     */
    @Test
    void aTrainingStepsSequenceOfPassesMatchesTheReference() {
        Conv2dShape first = new Conv2dShape(64, 1, 28, 28, 8, 3, 3, 1, 1, 1, 1, 1, 1);
        Conv2dShape second = new Conv2dShape(64, 8, 14, 14, 16, 3, 3, 1, 1, 1, 1, 1, 1);
        Data one = Data.random(first, TestSeeds.forCase("sequence first"));
        Data two = Data.random(second, TestSeeds.forCase("sequence second"));
        for (Backend backend : optimized()) {
            for (int step = 0; step < 2; step++) {
                for (Conv2dShape shape : List.of(first, second)) {
                    Data data = shape == first ? one : two;
                    float[] expected = new float[(int) shape.outputSize()];
                    KernelChecks.reference().conv2d(shape, heap(data.x()), heap(data.w()), heap(data.bias()), heap(expected));
                    float[] y = new float[expected.length];
                    backend.conv2d(shape, heap(data.x()), heap(data.w()), heap(data.bias()), heap(y));
                    assertClose(expected, y, MATCH_TOLERANCE, backend.name() + " forward, step " + step);
                }
                for (Conv2dShape shape : List.of(second, first)) {
                    Data data = shape == first ? one : two;
                    if (shape == second) {
                        float[] expectedX = new float[(int) shape.inputSize()];
                        KernelChecks.reference().conv2dBackwardData(shape, heap(data.dy()), heap(data.w()), heap(expectedX));
                        float[] dx = new float[expectedX.length];
                        backend.conv2dBackwardData(shape, heap(data.dy()), heap(data.w()), heap(dx));
                        assertClose(expectedX, dx, MATCH_TOLERANCE, backend.name() + " backward data, step " + step);
                    }
                    float[] expectedW = new float[(int) shape.weightSize()];
                    KernelChecks.reference().conv2dBackwardWeights(shape, heap(data.x()), heap(data.dy()), heap(expectedW), null);
                    float[] dw = new float[expectedW.length];
                    backend.conv2dBackwardWeights(shape, heap(data.x()), heap(data.dy()), heap(dw), null);
                    assertClose(expectedW, dw, MATCH_TOLERANCE, backend.name() + " backward weights, step " + step);
                }
            }
        }
    }

    /** Small shapes for finite differences: stride 1 (direct paths), stride 2, dilation, padding beyond the kernel. */
    static Stream<Arguments> gradientCases() {
        List<ConvCase> small = List.of(
                square("3x3 pad 1", 2, 2, 5, 3, 3, 1, 1, 1),
                square("stride 2", 1, 2, 6, 2, 3, 2, 1, 1),
                new ConvCase("rectangular, dilation 2", new Conv2dShape(1, 2, 6, 7, 3, 2, 3, 1, 1, 1, 1, 2, 2)),
                square("padding beyond the kernel", 1, 1, 3, 2, 2, 1, 2, 1),
                square("rows: C=1, 8x8", 1, 1, 8, 3, 3, 1, 1, 1));
        return KernelChecks.backends().flatMap(backend -> small.stream()
                .map(c -> Arguments.of(Named.of(backend.name(), backend), c)));
    }

    @ParameterizedTest
    @MethodSource("gradientCases")
    void backwardPassesMatchFiniteDifferences(Backend backend, ConvCase c) {
        assertGradientsMatchFiniteDifferences(backend, c.shape(), 1, c.name());
    }

    /**
     * dx, dw and dBias of a convolution in {@code groups} groups against central differences of
     * Σ y·r (r random), on heap operands.
     */
    static void assertGradientsMatchFiniteDifferences(Backend backend, Conv2dShape shape, int groups, String name) {
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase(name + " gradient " + backend.name()));
        float[] x = uniform(random, (int) shape.inputSize(), -1, 1);
        float[] w = uniform(random, (int) shape.weightSize(groups), -1, 1);
        float[] bias = uniform(random, shape.outChannels(), -1, 1);
        float[] r = uniform(random, (int) shape.outputSize(), -1, 1);
        float[] y = new float[(int) shape.outputSize()];

        double[] numericX = numericGradient(x, xs -> {
            backend.conv2d(shape, groups, heap(xs), heap(w), heap(bias), heap(y));
            return weightedSum(y, r);
        }, STEP);
        double[] numericW = numericGradient(w, ws -> {
            backend.conv2d(shape, groups, heap(x), heap(ws), heap(bias), heap(y));
            return weightedSum(y, r);
        }, STEP);
        double[] numericBias = numericGradient(bias, bs -> {
            backend.conv2d(shape, groups, heap(x), heap(w), heap(bs), heap(y));
            return weightedSum(y, r);
        }, STEP);

        float[] dx = new float[x.length];
        float[] dw = new float[w.length];
        float[] dBias = new float[bias.length];
        backend.conv2dBackwardData(shape, groups, heap(r), heap(w), heap(dx));
        backend.conv2dBackwardWeights(shape, groups, heap(x), heap(r), heap(dw), heap(dBias));
        assertGradient(numericX, dx, GRADIENT_TOLERANCE, backend.name() + " dx");
        assertGradient(numericW, dw, GRADIENT_TOLERANCE, backend.name() + " dw");
        assertGradient(numericBias, dBias, GRADIENT_TOLERANCE, backend.name() + " dBias");
    }

    static Stream<Backend> allBackends() {
        return KernelChecks.backends();
    }

    /** The example: a 6×6 input and a 3×3 filter, stride 1, give a 4×4 output. */
    @ParameterizedTest
    @MethodSource("allBackends")
    void sixBySixWithThreeByThreeGivesFourByFour(Backend backend) {
        Conv2dShape shape = new Conv2dShape(1, 1, 6, 6, 1, 3, 3, 1, 1, 0, 0, 1, 1);
        assertEquals(4, shape.outHeight());
        assertEquals(4, shape.outWidth());
        float[] x = new float[36];
        for (int i = 0; i < x.length; i++) {
            x[i] = i;
        }
        float[] ones = {1, 1, 1, 1, 1, 1, 1, 1, 1};
        float[] y = new float[16];
        backend.conv2d(shape, heap(x), heap(ones), heap(new float[] {0.5f}), heap(y));
        // y[oh][ow] = Σ of the 3×3 window = 9·(centre value) = 9·(6·(oh+1) + ow+1), plus the bias.
        for (int oh = 0; oh < 4; oh++) {
            for (int ow = 0; ow < 4; ow++) {
                assertEquals(9 * (6 * (oh + 1) + ow + 1) + 0.5f, y[oh * 4 + ow], backend.name() + " y[" + oh + "][" + ow + "]");
            }
        }
    }

    /** The CNN: 1×28×28 → conv3x3(25) → pool2 → conv3x3(50) → pool2 gives 50×5×5. */
    @Test
    void cnnShapeChain() {
        Conv2dShape first = new Conv2dShape(1, 1, 28, 28, 25, 3, 3, 1, 1, 0, 0, 1, 1);
        assertEquals(List.of(25, 26, 26), List.of(first.outChannels(), first.outHeight(), first.outWidth()));
        Pool2dShape firstPool = Pool2dShape.of(1, 25, first.outHeight(), first.outWidth(), 2);
        assertEquals(List.of(13, 13), List.of(firstPool.outHeight(), firstPool.outWidth()));
        Conv2dShape second = new Conv2dShape(1, 25, firstPool.outHeight(), firstPool.outWidth(), 50, 3, 3, 1, 1, 0, 0, 1, 1);
        assertEquals(List.of(50, 11, 11), List.of(second.outChannels(), second.outHeight(), second.outWidth()));
        Pool2dShape secondPool = Pool2dShape.of(1, 50, second.outHeight(), second.outWidth(), 2);
        assertEquals(List.of(5, 5), List.of(secondPool.outHeight(), secondPool.outWidth()));
        assertEquals(50 * 5 * 5, secondPool.outputSize());
    }

    /** The example: 4 filters of 3×3 over 2 channels hold 72 weights. */
    @Test
    void fourFiltersOfThreeByThreeOnTwoChannelsHave72Weights() {
        assertEquals(72, new Conv2dShape(1, 2, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1).weightSize());
    }

    @Test
    void kernelLargerThanThePaddedInputIsRefused() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> new Conv2dShape(1, 3, 4, 4, 8, 7, 7, 1, 1, 1, 1, 1, 1));
        assertTrue(error.getMessage().contains("input 1x3x4x4") && error.getMessage().contains("weights 8x3x7x7"),
                error.getMessage());
    }

    @ParameterizedTest
    @MethodSource("allBackends")
    void segmentsTooSmallForTheShapeAreRefused(Backend backend) {
        Conv2dShape shape = new Conv2dShape(2, 2, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1);
        MemorySegment x = heap(new float[(int) shape.inputSize()]);
        MemorySegment y = heap(new float[(int) shape.outputSize()]);
        MemorySegment shortW = heap(new float[(int) shape.weightSize() - 1]);
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> backend.conv2d(shape, x, shortW, null, y));
        assertTrue(error.getMessage().contains("w needs 72 floats") && error.getMessage().contains("inChannels=2"),
                error.getMessage());
        MemorySegment shortBias = heap(new float[3]);
        MemorySegment w = heap(new float[(int) shape.weightSize()]);
        error = assertThrows(IllegalArgumentException.class, () -> backend.conv2d(shape, x, w, shortBias, y));
        assertTrue(error.getMessage().contains("bias"), error.getMessage());
        MemorySegment shortDx = heap(new float[(int) shape.inputSize() - 1]);
        error = assertThrows(IllegalArgumentException.class, () -> backend.conv2dBackwardData(shape, y, w, shortDx));
        assertTrue(error.getMessage().contains("dx"), error.getMessage());
        MemorySegment shortDy = heap(new float[(int) shape.outputSize() - 1]);
        error = assertThrows(IllegalArgumentException.class,
                () -> backend.conv2dBackwardWeights(shape, x, shortDy, w, null));
        assertTrue(error.getMessage().contains("dy"), error.getMessage());
    }
}
