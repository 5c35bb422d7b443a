package org.isthmus.kernels.vector;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.isthmus.kernels.Conv2dShape;
import org.isthmus.kernels.TestSeeds;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The vector backend's 3×3 stride-1 convolutions that go to {@link WinogradConvolution}, forward
 * and backward data, against the scalar reference (double sums): sizes whose tiles have tails
 * (odd output sizes, tile rows narrower and wider than a vector, chunks that end mid-image),
 * channel and filter counts off the vector and register tiles, batch 1 and 3, padding 0, 1, 2,
 * heap and native segments, with and without bias. Each case first asserts that both passes take
 * the Winograd path, so a change of dispatch cannot leave it untested.
 */
class WinogradConvolutionTest {

    /**
     * Norm-wise relative error against the double-accumulated reference. Direct convolution in
     * float stays near √terms·ε/2 ≈ 1e-6 (ConvolutionTest's bound is 1e-5). Winograd adds the
     * transforms' rounding: V sums 4 inputs of either sign (|V| ≤ 4·max|d|), U carries factors ½,
     * and the output transform sums 9 products per output, so the error can grow by a small
     * factor; measured at most 2.7e-7 on these cases (C up to 64, uniform data in [−1, 1]). The
     * same 1e-5 leaves a factor 30 and still fails on any wrong tap, tile or coefficient (errors
     * of order 1).
     */
    private static final double TOLERANCE = 1e-5;

    record Case(String name, Conv2dShape shape) {
        @Override
        public String toString() {
            return name + " " + shape;
        }
    }

    private static Case of(int n, int c, int h, int w, int k, int pad) {
        return new Case("N" + n + " C" + c + " " + h + "x" + w + " K" + k + " pad " + pad,
                new Conv2dShape(n, c, h, w, k, 3, 3, 1, 1, pad, pad, 1, 1));
    }

    static Stream<Case> cases() {
        return Stream.of(
                of(1, 17, 3, 3, 16, 0),
                of(3, 16, 3, 4, 17, 1),
                of(1, 17, 4, 5, 20, 2),
                of(3, 20, 5, 7, 16, 1),
                of(1, 32, 7, 7, 33, 0),
                of(3, 33, 13, 13, 32, 1),
                of(1, 17, 14, 14, 33, 2),
                of(3, 32, 14, 14, 64, 1),
                of(1, 16, 15, 15, 17, 1),
                of(3, 17, 15, 13, 20, 0),
                of(1, 33, 28, 28, 17, 1),
                of(3, 20, 28, 15, 32, 2),
                of(3, 32, 28, 28, 64, 1),
                of(1, 64, 56, 56, 64, 1));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void forwardAndBackwardDataMatchTheReference(Case c) {
        Conv2dShape s = c.shape();
        int pad = s.padH();
        DirectConvolution.Geometry forward = new DirectConvolution.Geometry(s.batch(), s.inChannels(), s.inHeight(),
                s.inWidth(), s.outChannels(), 3, 3, pad, pad, 1, 1);
        DirectConvolution.Geometry transposed = new DirectConvolution.Geometry(s.batch(), s.outChannels(), s.outHeight(),
                s.outWidth(), s.inChannels(), 3, 3, 2 - pad, 2 - pad, 1, 1);
        // VectorConvolution asks TapPlaneConvolution first, then RowConvolution, then WinogradConvolution.
        for (DirectConvolution.Geometry g : new DirectConvolution.Geometry[] {forward, transposed}) {
            assertFalse(TapPlaneConvolution.serves(g), "tap planes take " + g);
            assertFalse(RowConvolution.serves(g), "row kernels take " + g);
            assertTrue(WinogradConvolution.serves(g), "the Winograd path takes " + g);
        }
        VectorConvolutionChecks.forwardAndBackwardDataMatchTheReference(s,
                TestSeeds.forCase(c.name() + " winograd"), TOLERANCE);
    }
}
