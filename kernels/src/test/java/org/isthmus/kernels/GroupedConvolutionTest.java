package org.isthmus.kernels;

import static org.isthmus.kernels.KernelChecks.assertClose;
import static org.isthmus.kernels.KernelChecks.heap;
import static org.isthmus.kernels.KernelChecks.nativeCopy;
import static org.isthmus.kernels.KernelChecks.toArray;
import static org.isthmus.kernels.KernelChecks.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Grouped and depthwise conv2d with both backward passes: the scalar reference against the dense
 * reference on block-diagonal weights (a grouped convolution is one whose filters are zero outside
 * their group), every optimized backend against the reference on shapes that reach each branch of
 * the depthwise kernels (stride phases, dilation, padding beyond the kernel, a channel multiplier,
 * rows narrower than a vector and wider than four), heap and native segments, central differences,
 * an infinite input no output reads, and bad group counts.
 */
class GroupedConvolutionTest {

    /** As for dense convolutions (ConvolutionTest): a depthwise output sums only kH·kW products. */
    private static final double MATCH_TOLERANCE = 1e-5;

    record GroupedCase(String name, Conv2dShape shape, int groups) {
        @Override
        public String toString() {
            return name + " " + shape + ", groups " + groups;
        }
    }

    private static GroupedCase depthwise(String name, Conv2dShape shape) {
        return new GroupedCase(name, shape, shape.inChannels());
    }

    static Stream<GroupedCase> cases() {
        return Stream.of(
                depthwise("3x3 pad 1, odd plane", new Conv2dShape(3, 5, 13, 17, 5, 3, 3, 1, 1, 1, 1, 1, 1)),
                depthwise("stride 2", new Conv2dShape(2, 4, 15, 15, 4, 3, 3, 2, 2, 1, 1, 1, 1)),
                depthwise("stride 2, rows of odd length over two vectors", new Conv2dShape(2, 3, 9, 37, 3, 3, 3, 2, 2, 1, 1, 1, 1)),
                depthwise("stride 2, unpadded rows of even length", new Conv2dShape(1, 2, 8, 34, 2, 3, 3, 2, 2, 0, 0, 1, 1)),
                depthwise("stride 2x1", new Conv2dShape(2, 3, 11, 10, 3, 3, 3, 2, 1, 1, 1, 1, 1)),
                depthwise("stride 3x2, 5x3 kernel", new Conv2dShape(2, 3, 17, 19, 3, 5, 3, 3, 2, 2, 1, 1, 1)),
                depthwise("dilation 2, padding 2", new Conv2dShape(2, 3, 12, 11, 3, 3, 3, 1, 1, 2, 2, 2, 2)),
                depthwise("padding beyond the kernel", new Conv2dShape(1, 2, 6, 7, 2, 3, 3, 1, 1, 3, 3, 1, 1)),
                depthwise("channel multiplier 2", new Conv2dShape(2, 3, 9, 10, 6, 3, 3, 1, 1, 1, 1, 1, 1)),
                depthwise("multiplier 3, stride 2, dilation 2", new Conv2dShape(2, 2, 14, 13, 6, 3, 3, 2, 2, 2, 2, 2, 2)),
                depthwise("rows narrower than a vector", new Conv2dShape(3, 4, 5, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1)),
                depthwise("rows of several blocks and a tail", new Conv2dShape(1, 3, 6, 75, 3, 3, 3, 1, 1, 1, 1, 1, 1)),
                depthwise("1x1 kernel", new Conv2dShape(2, 6, 7, 9, 6, 1, 1, 1, 1, 0, 0, 1, 1)),
                depthwise("enough planes for two threads", new Conv2dShape(8, 32, 28, 28, 32, 3, 3, 1, 1, 1, 1, 1, 1)),
                new GroupedCase("two groups of three channels", new Conv2dShape(2, 6, 9, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1), 2),
                new GroupedCase("four groups, stride 2", new Conv2dShape(2, 8, 11, 11, 12, 3, 3, 2, 2, 1, 1, 1, 1), 4),
                new GroupedCase("three groups, 1x1", new Conv2dShape(3, 9, 5, 6, 6, 1, 1, 1, 1, 0, 0, 1, 1), 3));
    }

    private static List<Backend> optimized() {
        List<Backend> backends = KernelChecks.optimizedBackends().toList();
        assumeTrue(!backends.isEmpty(), "no backend besides the scalar reference is available");
        return backends;
    }

    private record Data(float[] x, float[] w, float[] bias, float[] dy) {
        static Data random(GroupedCase c, String pass) {
            Conv2dShape shape = c.shape();
            SplittableRandom random = new SplittableRandom(TestSeeds.forCase(c.name() + " " + pass));
            return new Data(uniform(random, (int) shape.inputSize(), -1, 1),
                    uniform(random, (int) shape.weightSize(c.groups()), -1, 1),
                    uniform(random, shape.outChannels(), -1, 1), uniform(random, (int) shape.outputSize(), -1, 1));
        }
    }

    /** The dense weights [K, C, kH, kW] equal to grouped weights w: zero outside each filter's group. */
    private static float[] blockDiagonal(Conv2dShape shape, int groups, float[] w) {
        int taps = shape.kernelHeight() * shape.kernelWidth();
        int channels = shape.inChannels() / groups;
        int filters = shape.outChannels() / groups;
        float[] dense = new float[(int) shape.weightSize()];
        for (int k = 0; k < shape.outChannels(); k++) {
            int firstChannel = k / filters * channels;
            System.arraycopy(w, k * channels * taps, dense, (k * shape.inChannels() + firstChannel) * taps,
                    channels * taps);
        }
        return dense;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void referenceEqualsTheDenseReferenceOnBlockDiagonalWeights(GroupedCase c) {
        Conv2dShape shape = c.shape();
        int groups = c.groups();
        Data data = Data.random(c, "block diagonal");
        float[] dense = blockDiagonal(shape, groups, data.w());
        Backend reference = KernelChecks.reference();

        float[] grouped = new float[(int) shape.outputSize()];
        float[] expected = new float[grouped.length];
        reference.conv2d(shape, groups, heap(data.x()), heap(data.w()), heap(data.bias()), heap(grouped));
        reference.conv2d(shape, heap(data.x()), heap(dense), heap(data.bias()), heap(expected));
        assertClose(expected, grouped, 1e-7, "forward");

        float[] groupedDx = new float[(int) shape.inputSize()];
        float[] expectedDx = new float[groupedDx.length];
        reference.conv2dBackwardData(shape, groups, heap(data.dy()), heap(data.w()), heap(groupedDx));
        reference.conv2dBackwardData(shape, heap(data.dy()), heap(dense), heap(expectedDx));
        assertClose(expectedDx, groupedDx, 1e-7, "backward data");

        float[] groupedDw = new float[data.w().length];
        float[] denseDw = new float[dense.length];
        float[] groupedDBias = new float[shape.outChannels()];
        float[] expectedDBias = new float[shape.outChannels()];
        reference.conv2dBackwardWeights(shape, groups, heap(data.x()), heap(data.dy()), heap(groupedDw),
                heap(groupedDBias));
        reference.conv2dBackwardWeights(shape, heap(data.x()), heap(data.dy()), heap(denseDw), heap(expectedDBias));
        // The dense gradient restricted to each filter's group is the grouped one.
        float[] expectedDw = new float[groupedDw.length];
        int taps = shape.kernelHeight() * shape.kernelWidth();
        int channels = shape.inChannels() / groups;
        int filters = shape.outChannels() / groups;
        for (int k = 0; k < shape.outChannels(); k++) {
            System.arraycopy(denseDw, (k * shape.inChannels() + k / filters * channels) * taps, expectedDw,
                    k * channels * taps, channels * taps);
        }
        assertClose(expectedDw, groupedDw, 1e-7, "backward weights");
        assertClose(expectedDBias, groupedDBias, 1e-7, "bias gradient");
    }

    @ParameterizedTest
    @MethodSource("cases")
    void forwardMatchesReference(GroupedCase c) {
        Conv2dShape shape = c.shape();
        Data data = Data.random(c, "forward");
        for (boolean withBias : new boolean[] {false, true}) {
            MemorySegment bias = withBias ? heap(data.bias()) : null;
            float[] expected = new float[(int) shape.outputSize()];
            KernelChecks.reference().conv2d(shape, c.groups(), heap(data.x()), heap(data.w()), bias, heap(expected));
            for (Backend backend : optimized()) {
                float[] onHeap = new float[expected.length];
                Arrays.fill(onHeap, Float.NaN);
                backend.conv2d(shape, c.groups(), heap(data.x()), heap(data.w()), bias, heap(onHeap));
                assertClose(expected, onHeap, MATCH_TOLERANCE, backend.name() + " grouped conv2d, heap, bias " + withBias);
                try (Arena arena = Arena.ofShared()) {
                    MemorySegment y = arena.allocate((long) expected.length * Float.BYTES);
                    backend.conv2d(shape, c.groups(), nativeCopy(arena, data.x()), nativeCopy(arena, data.w()),
                            withBias ? nativeCopy(arena, data.bias()) : null, y);
                    assertClose(expected, toArray(y, expected.length), MATCH_TOLERANCE,
                            backend.name() + " grouped conv2d, native, bias " + withBias);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void backwardDataMatchesReference(GroupedCase c) {
        Conv2dShape shape = c.shape();
        Data data = Data.random(c, "backward data");
        float[] expected = new float[(int) shape.inputSize()];
        KernelChecks.reference().conv2dBackwardData(shape, c.groups(), heap(data.dy()), heap(data.w()), heap(expected));
        for (Backend backend : optimized()) {
            float[] onHeap = new float[expected.length];
            Arrays.fill(onHeap, Float.NaN); // overwritten, not accumulated
            backend.conv2dBackwardData(shape, c.groups(), heap(data.dy()), heap(data.w()), heap(onHeap));
            assertClose(expected, onHeap, MATCH_TOLERANCE, backend.name() + " grouped conv2dBackwardData, heap");
            try (Arena arena = Arena.ofShared()) {
                MemorySegment dx = arena.allocate((long) expected.length * Float.BYTES);
                backend.conv2dBackwardData(shape, c.groups(), nativeCopy(arena, data.dy()), nativeCopy(arena, data.w()),
                        dx);
                assertClose(expected, toArray(dx, expected.length), MATCH_TOLERANCE,
                        backend.name() + " grouped conv2dBackwardData, native");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void backwardWeightsMatchesReference(GroupedCase c) {
        Conv2dShape shape = c.shape();
        Data data = Data.random(c, "backward weights");
        float[] expectedW = new float[data.w().length];
        float[] expectedBias = new float[shape.outChannels()];
        KernelChecks.reference().conv2dBackwardWeights(shape, c.groups(), heap(data.x()), heap(data.dy()),
                heap(expectedW), heap(expectedBias));
        for (Backend backend : optimized()) {
            float[] dw = new float[expectedW.length];
            float[] dBias = new float[expectedBias.length];
            Arrays.fill(dw, Float.NaN);
            Arrays.fill(dBias, Float.NaN);
            backend.conv2dBackwardWeights(shape, c.groups(), heap(data.x()), heap(data.dy()), heap(dw), heap(dBias));
            assertClose(expectedW, dw, MATCH_TOLERANCE, backend.name() + " grouped dw, heap");
            assertClose(expectedBias, dBias, MATCH_TOLERANCE, backend.name() + " grouped dBias, heap");
            float[] withoutBias = new float[expectedW.length];
            backend.conv2dBackwardWeights(shape, c.groups(), heap(data.x()), heap(data.dy()), heap(withoutBias), null);
            assertClose(expectedW, withoutBias, MATCH_TOLERANCE, backend.name() + " grouped dw without dBias");
            try (Arena arena = Arena.ofShared()) {
                MemorySegment dwNative = arena.allocate((long) expectedW.length * Float.BYTES);
                MemorySegment dBiasNative = arena.allocate((long) expectedBias.length * Float.BYTES);
                backend.conv2dBackwardWeights(shape, c.groups(), nativeCopy(arena, data.x()), nativeCopy(arena, data.dy()),
                        dwNative, dBiasNative);
                assertClose(expectedW, toArray(dwNative, expectedW.length), MATCH_TOLERANCE,
                        backend.name() + " grouped dw, native");
                assertClose(expectedBias, toArray(dBiasNative, expectedBias.length), MATCH_TOLERANCE,
                        backend.name() + " grouped dBias, native");
            }
        }
    }

    static Stream<Arguments> gradientCases() {
        List<GroupedCase> small = List.of(
                depthwise("depthwise 3x3 pad 1", new Conv2dShape(2, 2, 5, 6, 2, 3, 3, 1, 1, 1, 1, 1, 1)),
                depthwise("depthwise stride 2, multiplier 2", new Conv2dShape(1, 2, 7, 6, 4, 3, 3, 2, 2, 1, 1, 1, 1)),
                depthwise("depthwise dilation 2, padding beyond", new Conv2dShape(1, 2, 5, 5, 2, 2, 3, 1, 1, 3, 2, 2, 1)),
                new GroupedCase("two groups", new Conv2dShape(1, 4, 5, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1), 2));
        return KernelChecks.backends().flatMap(backend -> small.stream()
                .map(c -> Arguments.of(Named.of(backend.name(), backend), c)));
    }

    @ParameterizedTest
    @MethodSource("gradientCases")
    void backwardPassesMatchFiniteDifferences(Backend backend, GroupedCase c) {
        ConvolutionTest.assertGradientsMatchFiniteDifferences(backend, c.shape(), c.groups(), c.name());
    }

    static Stream<Backend> allBackends() {
        return KernelChecks.backends();
    }

    /**
     * Stride 2 over 6 columns with a 3-wide kernel reads columns 0–4: an infinite last column
     * reaches no output, so no gradient may become infinite or NaN through it.
     */
    @ParameterizedTest
    @MethodSource("allBackends")
    void anInfiniteInputNoOutputReadsLeavesTheGradientsFinite(Backend backend) {
        Conv2dShape shape = new Conv2dShape(2, 3, 6, 6, 3, 3, 3, 2, 2, 0, 0, 1, 1);
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase("unread infinity " + backend.name()));
        float[] x = uniform(random, (int) shape.inputSize(), -1, 1);
        for (int row = 0; row < x.length / 6; row++) {
            x[row * 6 + 5] = Float.POSITIVE_INFINITY;
        }
        float[] w = uniform(random, (int) shape.weightSize(3), -1, 1);
        float[] dy = uniform(random, (int) shape.outputSize(), -1, 1);
        float[] y = new float[(int) shape.outputSize()];
        float[] dw = new float[w.length];
        backend.conv2d(shape, 3, heap(x), heap(w), null, heap(y));
        backend.conv2dBackwardWeights(shape, 3, heap(x), heap(dy), heap(dw), null);
        float[] expectedY = new float[y.length];
        float[] expectedDw = new float[dw.length];
        KernelChecks.reference().conv2d(shape, 3, heap(x), heap(w), null, heap(expectedY));
        KernelChecks.reference().conv2dBackwardWeights(shape, 3, heap(x), heap(dy), heap(expectedDw), null);
        assertClose(expectedY, y, MATCH_TOLERANCE, backend.name() + " y");
        assertClose(expectedDw, dw, MATCH_TOLERANCE, backend.name() + " dw");
    }

    /** Depthwise by hand: each channel's 3×3 box filter of ones, no padding, times the channel's scale. */
    @ParameterizedTest
    @MethodSource("allBackends")
    void eachChannelSeesOnlyItsOwnPlane(Backend backend) {
        Conv2dShape shape = new Conv2dShape(1, 2, 4, 4, 2, 3, 3, 1, 1, 0, 0, 1, 1);
        float[] x = new float[32];
        Arrays.fill(x, 0, 16, 1f);
        Arrays.fill(x, 16, 32, 10f);
        float[] w = new float[18];
        Arrays.fill(w, 0, 9, 1f);
        Arrays.fill(w, 9, 18, 2f);
        float[] y = new float[8];
        backend.conv2d(shape, 2, heap(x), heap(w), heap(new float[] {0.5f, -1f}), heap(y));
        for (int i = 0; i < 4; i++) {
            assertEquals(9.5f, y[i], backend.name() + " channel 0, output " + i);
            assertEquals(179f, y[4 + i], backend.name() + " channel 1, output " + i);
        }
    }

    @ParameterizedTest
    @MethodSource("allBackends")
    void groupsThatDoNotDivideTheChannelsAreRefused(Backend backend) {
        Conv2dShape shape = new Conv2dShape(1, 6, 5, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1);
        MemorySegment x = heap(new float[(int) shape.inputSize()]);
        MemorySegment w = heap(new float[(int) shape.weightSize()]);
        MemorySegment y = heap(new float[(int) shape.outputSize()]);
        for (int groups : new int[] {0, -2, 3, 4}) {
            IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                    () -> backend.conv2d(shape, groups, x, w, null, y));
            assertTrue(error.getMessage().contains("groups=" + groups) && error.getMessage().contains("inChannels (6)")
                    && error.getMessage().contains("outChannels (4)"), error.getMessage());
        }
        MemorySegment shortW = heap(new float[(int) shape.weightSize(2) - 1]);
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> backend.conv2dBackwardData(shape, 2, y, shortW, x));
        assertTrue(error.getMessage().contains("w needs 108 floats") && error.getMessage().contains("groups=2"),
                error.getMessage());
        MemorySegment shortDw = heap(new float[(int) shape.weightSize(2) - 1]);
        error = assertThrows(IllegalArgumentException.class,
                () -> backend.conv2dBackwardWeights(shape, 2, x, y, shortDw, null));
        assertTrue(error.getMessage().contains("dw"), error.getMessage());
    }

    @Test
    void groupedWeightsHoldOnlyEachGroupsChannels() {
        Conv2dShape shape = new Conv2dShape(1, 32, 8, 8, 64, 3, 3, 1, 1, 1, 1, 1, 1);
        assertEquals(64L * 32 * 9, shape.weightSize(1));
        assertEquals(64L * 8 * 9, shape.weightSize(4));
        assertEquals(64L * 9, shape.weightSize(32));
    }
}
