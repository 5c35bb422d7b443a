package org.isthmus.ffi.onednn;

import org.isthmus.kernels.Backend;
import org.isthmus.kernels.Conv2dShape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.SplittableRandom;

/**
 * conv2d forward, backward data and backward weights on oneDNN against the scalar reference and
 * vector, on odd shapes with stride, padding, dilation, groups (depthwise, with a channel multiplier),
 * with and without bias, heap and native.
 * Tolerance 2e-5 of the output's scale: float32 sums of at most C·kh·kw (or N·OH·OW for dw) terms,
 * oneDNN summing in a different order (blocked, Winograd-free) than the double reference.
 */
class OneDnnConvolutionTest {

    record Case(Conv2dShape shape, int groups, boolean bias, boolean nativeMemory) {
        Case(Conv2dShape shape, boolean bias, boolean nativeMemory) {
            this(shape, 1, bias, nativeMemory);
        }

        @Override
        public String toString() {
            return shape + (groups == 1 ? "" : " groups " + groups) + (bias ? " +bias" : "")
                    + (nativeMemory ? " native" : " heap");
        }
    }

    static List<Case> cases() {
        return List.of(
                new Case(new Conv2dShape(1, 1, 5, 5, 1, 3, 3, 1, 1, 0, 0, 1, 1), false, false),
                new Case(new Conv2dShape(2, 3, 7, 9, 5, 3, 3, 1, 1, 1, 1, 1, 1), true, false),
                new Case(new Conv2dShape(3, 5, 11, 10, 7, 3, 2, 2, 1, 1, 0, 1, 1), true, true),
                new Case(new Conv2dShape(2, 4, 13, 13, 6, 3, 3, 2, 2, 2, 2, 2, 2), false, true),
                new Case(new Conv2dShape(1, 16, 9, 9, 24, 1, 1, 1, 1, 0, 0, 1, 1), true, false),
                new Case(new Conv2dShape(4, 1, 28, 28, 8, 3, 3, 1, 1, 1, 1, 1, 1), true, true),
                new Case(new Conv2dShape(2, 17, 14, 14, 33, 5, 5, 1, 1, 2, 2, 1, 1), true, false),
                new Case(new Conv2dShape(1, 3, 6, 6, 2, 3, 3, 2, 2, 0, 0, 1, 1), false, false),
                new Case(new Conv2dShape(2, 8, 9, 11, 8, 3, 3, 1, 1, 1, 1, 1, 1), 8, true, false),
                new Case(new Conv2dShape(2, 4, 13, 12, 8, 3, 3, 2, 2, 1, 1, 1, 1), 4, false, true),
                new Case(new Conv2dShape(1, 3, 10, 10, 3, 3, 3, 1, 1, 2, 2, 2, 2), 3, true, true),
                new Case(new Conv2dShape(2, 6, 7, 7, 4, 3, 3, 1, 1, 1, 1, 1, 1), 2, true, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void forward(Case c) {
        SplittableRandom random = NativeChecks.random(c);
        Conv2dShape s = c.shape;
        float[] x = NativeChecks.uniform(random, s.inputSize());
        float[] w = NativeChecks.uniform(random, s.weightSize(c.groups));
        float[] bias = c.bias ? NativeChecks.uniform(random, s.outChannels()) : null;
        float[] expected = forward(NativeChecks.reference(), s, c.groups, x, w, bias, null);
        try (Arena arena = Arena.ofConfined()) {
            NativeChecks.assertClose(expected, forward(NativeChecks.oneDnn(), s, c.groups, x, w, bias,
                    c.nativeMemory ? arena : null), 2e-5, "onednn conv2d " + c);
        }
        for (Backend peer : NativeChecks.peers()) {
            NativeChecks.assertClose(expected, forward(peer, s, c.groups, x, w, bias, null), 2e-5,
                    peer.name() + " conv2d " + c);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void backwardData(Case c) {
        SplittableRandom random = NativeChecks.random(c);
        Conv2dShape s = c.shape;
        float[] dy = NativeChecks.uniform(random, s.outputSize());
        float[] w = NativeChecks.uniform(random, s.weightSize(c.groups));
        float[] expected = backwardData(NativeChecks.reference(), s, c.groups, dy, w, null);
        try (Arena arena = Arena.ofConfined()) {
            NativeChecks.assertClose(expected, backwardData(NativeChecks.oneDnn(), s, c.groups, dy, w,
                    c.nativeMemory ? arena : null), 2e-5, "onednn conv2dBackwardData " + c);
        }
        for (Backend peer : NativeChecks.peers()) {
            NativeChecks.assertClose(expected, backwardData(peer, s, c.groups, dy, w, null), 2e-5,
                    peer.name() + " conv2dBackwardData " + c);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void backwardWeights(Case c) {
        SplittableRandom random = NativeChecks.random(c);
        Conv2dShape s = c.shape;
        float[] x = NativeChecks.uniform(random, s.inputSize());
        float[] dy = NativeChecks.uniform(random, s.outputSize());
        float[][] expected = backwardWeights(NativeChecks.reference(), s, c.groups, x, dy, c.bias, null);
        try (Arena arena = Arena.ofConfined()) {
            float[][] actual = backwardWeights(NativeChecks.oneDnn(), s, c.groups, x, dy, c.bias,
                    c.nativeMemory ? arena : null);
            NativeChecks.assertClose(expected[0], actual[0], 2e-5, "onednn dw " + c);
            if (c.bias) {
                NativeChecks.assertClose(expected[1], actual[1], 2e-5, "onednn dBias " + c);
            }
        }
        for (Backend peer : NativeChecks.peers()) {
            float[][] actual = backwardWeights(peer, s, c.groups, x, dy, c.bias, null);
            NativeChecks.assertClose(expected[0], actual[0], 2e-5, peer.name() + " dw " + c);
        }
    }

    private static float[] forward(Backend backend, Conv2dShape s, int groups, float[] x, float[] w, float[] bias,
                                   Arena arena) {
        MemorySegment y = NativeChecks.segment(new float[Math.toIntExact(s.outputSize())], arena);
        backend.conv2d(s, groups, NativeChecks.segment(x, arena), NativeChecks.segment(w, arena),
                bias == null ? null : NativeChecks.segment(bias, arena), y);
        return NativeChecks.toArray(y);
    }

    private static float[] backwardData(Backend backend, Conv2dShape s, int groups, float[] dy, float[] w,
                                        Arena arena) {
        MemorySegment dx = NativeChecks.segment(new float[Math.toIntExact(s.inputSize())], arena);
        backend.conv2dBackwardData(s, groups, NativeChecks.segment(dy, arena), NativeChecks.segment(w, arena), dx);
        return NativeChecks.toArray(dx);
    }

    private static float[][] backwardWeights(Backend backend, Conv2dShape s, int groups, float[] x, float[] dy,
                                             boolean bias, Arena arena) {
        MemorySegment dw = NativeChecks.segment(new float[Math.toIntExact(s.weightSize(groups))], arena);
        MemorySegment dBias = bias ? NativeChecks.segment(new float[s.outChannels()], arena) : null;
        backend.conv2dBackwardWeights(s, groups, NativeChecks.segment(x, arena), NativeChecks.segment(dy, arena), dw,
                dBias);
        return new float[][] {NativeChecks.toArray(dw), bias ? NativeChecks.toArray(dBias) : null};
    }
}
