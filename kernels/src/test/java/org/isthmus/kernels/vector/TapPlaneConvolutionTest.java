package org.isthmus.kernels.vector;

import static org.isthmus.kernels.KernelChecks.heap;
import static org.isthmus.kernels.KernelChecks.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.isthmus.kernels.Backend;
import org.isthmus.kernels.Backends;
import org.isthmus.kernels.Conv2dShape;
import org.isthmus.kernels.KernelChecks;
import org.isthmus.kernels.TestSeeds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The vector backend's convolutions that go to {@link TapPlaneConvolution} (few filters over many
 * channels, outputs as wide as the input): backward data of layers with 1–3 input channels, and
 * forward passes with 1–3 filters, against the scalar reference (double sums). Sizes whose planes
 * end with a partial block, a partial vector or both, kernels of 1×3, 3×2 (dilated), 3×3 and 5×5,
 * padding and dilation 1 and 2, batches split over parts, heap and native segments, with and
 * without bias. Each case first asserts which pass takes the path, so a change of dispatch cannot
 * leave it untested.
 */
class TapPlaneConvolutionTest {

    /**
     * Norm-wise relative error against the double-accumulated reference: each output sums
     * channels × taps float products (up to 32·25 here), first per tap plane over the channels,
     * then over the taps, so rounding stays near √terms·ε/2 ≈ 2e-6; 1e-5, as for the other
     * convolution kernels, still fails on any wrong tap, shift or mask (errors of order 1).
     */
    private static final double TOLERANCE = 1e-5;

    private static final Backend VECTOR = Backends.get("vector");

    record Case(String name, Conv2dShape shape) {
        @Override
        public String toString() {
            return name + " " + shape;
        }
    }

    private static Case of(String name, int n, int c, int h, int w, int k, int kernelH, int kernelW, int padH,
                           int padW, int dilationH, int dilationW) {
        return new Case(name, new Conv2dShape(n, c, h, w, k, kernelH, kernelW, 1, 1, padH, padW, dilationH, dilationW));
    }

    static Stream<Case> cases() {
        return Stream.of(
                // Backward data: the geometry's filters are the layer's 1–3 input channels.
                of("first layer of the CNN", 3, 1, 28, 28, 32, 3, 3, 1, 1, 1, 1),
                of("221 positions: blocks, a 5-float tail", 1, 2, 13, 17, 17, 3, 3, 1, 1, 1, 1),
                of("35 positions: a block, a vector, a 3-float tail; 8 channels", 2, 3, 5, 7, 8, 3, 3, 1, 1, 1, 1),
                // 21 positions: a whole vector and a tail at every width up to 512 bits (the path needs one vector).
                of("21 positions: vectors and a tail", 1, 1, 3, 7, 9, 3, 3, 1, 1, 1, 1),
                of("dilation 2, padding 2", 2, 2, 11, 9, 12, 3, 3, 2, 2, 2, 2),
                of("5x5 kernel, padding 2", 1, 1, 10, 12, 16, 5, 5, 2, 2, 1, 1),
                of("1x3 kernel", 2, 3, 6, 10, 10, 1, 3, 0, 1, 1, 1),
                of("3x2 kernel dilated 2 across", 1, 1, 7, 9, 8, 3, 2, 1, 1, 1, 2),
                of("padding 2 on a 3x3 kernel in height only", 2, 1, 6, 11, 9, 3, 3, 2, 1, 1, 1),
                of("24 images, enough work for two threads", 24, 1, 28, 28, 32, 3, 3, 1, 1, 1, 1),
                // Forward: 1–3 filters over 8 or more channels.
                of("forward, one filter over 16 channels", 2, 16, 14, 14, 1, 3, 3, 1, 1, 1, 1),
                of("forward, 3 filters, 77 positions", 3, 9, 7, 11, 3, 3, 3, 1, 1, 1, 1),
                of("forward, 5x5 kernel", 1, 8, 8, 8, 2, 5, 5, 2, 2, 1, 1));
    }

    private static DirectConvolution.Geometry forward(Conv2dShape s) {
        return new DirectConvolution.Geometry(s.batch(), s.inChannels(), s.inHeight(), s.inWidth(), s.outChannels(),
                s.kernelHeight(), s.kernelWidth(), s.padH(), s.padW(), s.dilationH(), s.dilationW());
    }

    /** The backward-data pass as VectorConvolution sees it: dy convolved with the flipped weights. */
    private static DirectConvolution.Geometry transposed(Conv2dShape s) {
        return new DirectConvolution.Geometry(s.batch(), s.outChannels(), s.outHeight(), s.outWidth(), s.inChannels(),
                s.kernelHeight(), s.kernelWidth(), s.dilationH() * (s.kernelHeight() - 1) - s.padH(),
                s.dilationW() * (s.kernelWidth() - 1) - s.padW(), s.dilationH(), s.dilationW());
    }

    @ParameterizedTest
    @MethodSource("cases")
    void bothPassesMatchTheReference(Case c) {
        Conv2dShape s = c.shape();
        boolean forwardServed = TapPlaneConvolution.serves(forward(s));
        boolean backwardServed = TapPlaneConvolution.serves(transposed(s));
        assertTrue(forwardServed || backwardServed, "the tap-plane path takes neither pass of " + s);
        assertEquals(s.outChannels() < 4, forwardServed, "forward pass of " + s);
        assertEquals(s.inChannels() < 4, backwardServed, "backward-data pass of " + s);
        VectorConvolutionChecks.forwardAndBackwardDataMatchTheReference(s,
                TestSeeds.forCase(c.name() + " tap planes"), TOLERANCE);
    }

    /**
     * A tap past a row's edge reads the neighbouring row of a tap plane, and its lane is masked:
     * a NaN at the end of one of dy's rows must reach exactly the positions of dx whose taps touch
     * it (the reference's), not the start of the next row.
     */
    @Test
    void aNaNReachesOnlyTheInputsWhoseTapsTouchIt() {
        Conv2dShape s = new Conv2dShape(1, 1, 9, 10, 8, 3, 3, 1, 1, 1, 1, 1, 1);
        assertTrue(TapPlaneConvolution.serves(transposed(s)));
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase("tap planes NaN"));
        float[] dy = uniform(random, (int) s.outputSize(), -1, 1);
        float[] w = uniform(random, (int) s.weightSize(), -1, 1);
        dy[3 * 10 + 9] = Float.NaN; // channel 0, row 3, last column
        float[] expected = new float[(int) s.inputSize()];
        KernelChecks.reference().conv2dBackwardData(s, heap(dy), heap(w), heap(expected));
        float[] dx = new float[expected.length];
        VECTOR.conv2dBackwardData(s, heap(dy), heap(w), heap(dx));
        for (int i = 0; i < dx.length; i++) {
            assertEquals(Float.isNaN(expected[i]), Float.isNaN(dx[i]), "NaN at dx[" + i / 10 + "][" + i % 10 + "]");
        }
        int nans = 0;
        for (float value : dx) {
            nans += Float.isNaN(value) ? 1 : 0;
        }
        assertEquals(6, nans, "a 3x3 window of taps, clipped by the right edge");
    }
}
