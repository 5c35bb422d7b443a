package org.isthmus.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Layer and batch normalization: every optimized backend against the scalar reference on shapes
 * with vector tails, heap, native and mixed, with and without the affine parameters; every backward
 * pass against central differences; the running statistics by hand; argument checks.
 */
class NormalizationTest {

    private static final float EPS = 1e-5f;

    /**
     * Against the double reference: the float mean and variance carry relative errors of order
     * 1e-7·√(terms per accumulator), and each output a few roundings more: 1e-5 leaves margin.
     * (cols = 1 normalizes to exactly 0 everywhere; the error norm is then absolute.)
     */
    private static final double TOLERANCE = 1e-5;

    /**
     * batch, channels, spatial: 2-D input (spatial 1), planes with every tail, several channels, planes
     * on either side of the vector backend's switch from rows of channels to planes (256). At least
     * 5 values per channel: with 2, x̂ = ±1 whatever x is, and dx is a rounding residue of eps.
     */
    private static final int[][] BATCH_SHAPES = {
        {5, 3, 1}, {16, 5, 1}, {207, 17, 1}, {4, 3, 15}, {2, 17, 16}, {3, 2, 17}, {2, 4, 207}, {1, 3, 1031},
        {8, 16, 49}, {4, 64, 1031},
        // Parallel parts: 2-D input wider than one chunk of channels, and planes of 196 (chunks of two channels).
        {130, 1100, 1}, {40, 24, 196}, {3, 5, 256}, {3, 5, 257},
    };

    static Stream<Arguments> shapes() {
        return RowwiseRuns.shapes();
    }

    static Stream<Arguments> batchShapes() {
        return Stream.of(BATCH_SHAPES).map(s -> Arguments.of(s[0], s[1], s[2]));
    }

    static Stream<Backend> backends() {
        return KernelChecks.backends();
    }

    // ---------------------------------------------------------------- against the reference

    @ParameterizedTest(name = "{0}x{1}")
    @MethodSource("shapes")
    void layerNormMatchesReference(int rows, int cols) {
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase("layerNorm " + rows + "x" + cols));
        int size = rows * cols;
        // An offset mean: the variance must not cancel away. The float mean's rounding (half an ulp of 100, about
        // 4e-6) over a row's standard deviation (about 1.7) stays below the tolerance.
        float[] x = KernelChecks.uniform(random, size, 97, 103);
        float[] gamma = KernelChecks.uniform(random, cols, 0.5, 1.5);
        float[] beta = KernelChecks.uniform(random, cols, -1, 1);
        // Around 1, not 0: dBeta is a float sum of dy over the rows, and a sum that cancels to near 0 has a large
        // relative error however well it is added (130 rows of dy in [-1, 1] summing to 0.06 missed by 5.6e-5).
        float[] dy = KernelChecks.uniform(random, size, 0, 2);
        String shape = rows + "x" + cols;
        RowwiseRuns.assertMatchesReference("layerNorm affine " + shape, TOLERANCE,
                (b, in, out) -> b.layerNorm(in[0], in[1], in[2], out[0], out[1], out[2], rows, cols, EPS),
                new float[][] {x, gamma, beta}, size, rows, rows);
        RowwiseRuns.assertMatchesReference("layerNorm plain, in place " + shape, TOLERANCE,
                (b, in, out) -> {
                    b.layerNorm(in[0], null, null, in[0], null, null, rows, cols, EPS);
                    MemorySegment.copy(in[0], 0, out[0], 0, (long) size * Float.BYTES);
                }, new float[][] {x}, size);

        float[] mean = new float[rows];
        float[] rstd = new float[rows];
        KernelChecks.reference().layerNorm(KernelChecks.heap(x), null, null, KernelChecks.heap(new float[size]),
                KernelChecks.heap(mean), KernelChecks.heap(rstd), rows, cols, EPS);
        RowwiseRuns.assertMatchesReference("layerNormBackward affine " + shape, TOLERANCE,
                (b, in, out) -> b.layerNormBackward(in[0], in[1], in[2], in[3], in[4], out[0], out[1], out[2],
                        rows, cols), new float[][] {x, gamma, mean, rstd, dy}, size, cols, cols);
        RowwiseRuns.assertMatchesReference("layerNormBackward plain " + shape, TOLERANCE,
                (b, in, out) -> b.layerNormBackward(in[0], null, in[1], in[2], in[3], out[0], null, null,
                        rows, cols), new float[][] {x, mean, rstd, dy}, size);
    }

    /**
     * Rows take their variance from sums shifted by their first value where those keep their
     * digits, and from a second pass about the mean where the first value lies far out (here 40
     * standard deviations: the shifted sums would lose six digits of seven). Rows of both kinds, and a
     * constant row (variance 0), against the reference, mean and rstd included.
     */
    @ParameterizedTest(name = "{0} columns")
    @ValueSource(ints = {17, 207, 600, 1031})
    void layerNormOfRowsWhoseFirstValueLiesFarOut(int cols) {
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase("layerNorm far first value " + cols));
        int rows = 6;
        int size = rows * cols;
        float[] x = KernelChecks.uniform(random, size, 97, 103);
        x[0] = 170;
        x[2 * cols] = 30;
        x[3 * cols + 1] = 250;
        java.util.Arrays.fill(x, 4 * cols, 5 * cols, 42.5f);
        x[5 * cols] = 100;
        float[] gamma = KernelChecks.uniform(random, cols, 0.5, 1.5);
        float[] beta = KernelChecks.uniform(random, cols, -1, 1);
        RowwiseRuns.assertMatchesReference("layerNorm, first values far out, " + rows + "x" + cols, TOLERANCE,
                (b, in, out) -> b.layerNorm(in[0], in[1], in[2], out[0], out[1], out[2], rows, cols, EPS),
                new float[][] {x, gamma, beta}, size, rows, rows);
    }

    @ParameterizedTest(name = "{0}x{1}x{2}")
    @MethodSource("batchShapes")
    void batchNormMatchesReference(int batch, int channels, int spatial) {
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase("batchNorm " + batch + "x" + channels + "x" + spatial));
        int size = batch * channels * spatial;
        // An offset mean, smaller than layerNorm's: with 5 values per channel the deviations can be small, and the
        // float mean's rounding (half an ulp of 10) must stay small beside them.
        float[] x = KernelChecks.uniform(random, size, 7, 13);
        float[] gamma = KernelChecks.uniform(random, channels, 0.5, 1.5);
        float[] beta = KernelChecks.uniform(random, channels, -1, 1);
        float[] runningMean = KernelChecks.uniform(random, channels, -1, 1);
        float[] runningVar = KernelChecks.uniform(random, channels, 0.5, 2);
        float[] dy = KernelChecks.uniform(random, size, -1, 1);
        String shape = batch + "x" + channels + "x" + spatial;
        RowwiseRuns.assertMatchesReference("batchNormTraining affine " + shape, TOLERANCE,
                (b, in, out) -> {
                    MemorySegment.copy(in[3], 0, out[3], 0, (long) channels * Float.BYTES);
                    MemorySegment.copy(in[4], 0, out[4], 0, (long) channels * Float.BYTES);
                    b.batchNormTraining(in[0], in[1], in[2], out[0], out[1], out[2], out[3], out[4],
                            batch, channels, spatial, 0.1f, EPS);
                }, new float[][] {x, gamma, beta, runningMean, runningVar}, size, channels, channels, channels, channels);
        RowwiseRuns.assertMatchesReference("batchNormTraining plain, in place " + shape, TOLERANCE,
                (b, in, out) -> {
                    b.batchNormTraining(in[0], null, null, in[0], out[1], out[2], null, null,
                            batch, channels, spatial, 0.1f, EPS);
                    MemorySegment.copy(in[0], 0, out[0], 0, (long) size * Float.BYTES);
                }, new float[][] {x}, size, channels, channels);
        RowwiseRuns.assertMatchesReference("batchNormInference " + shape, TOLERANCE,
                (b, in, out) -> b.batchNormInference(in[0], in[1], in[2], in[3], in[4], out[0],
                        batch, channels, spatial, EPS), new float[][] {x, gamma, beta, runningMean, runningVar}, size);

        float[] mean = new float[channels];
        float[] rstd = new float[channels];
        KernelChecks.reference().batchNormTraining(KernelChecks.heap(x), null, null, KernelChecks.heap(new float[size]),
                KernelChecks.heap(mean), KernelChecks.heap(rstd), null, null, batch, channels, spatial, 0.1f, EPS);
        RowwiseRuns.assertMatchesReference("batchNormBackward " + shape, TOLERANCE,
                (b, in, out) -> b.batchNormBackward(in[0], in[1], in[2], in[3], in[4], out[0], out[1], out[2],
                        batch, channels, spatial), new float[][] {x, gamma, mean, rstd, dy}, size, channels, channels);
    }

    // ---------------------------------------------------------------- gradients by central differences

    /**
     * Finite differences of the reference's float outputs (rounding ~6e-8 relative, over a 2h = 1e-2
     * step) against the analytic gradients: 2e-3 covers the noise and the O(h²) truncation.
     */
    private static final double STEP = 5e-3;
    /**
     * The step for gamma and beta: the loss is linear in both (y = x̂·gamma + beta), so central differences
     * are exact at any step, and a unit step divides the float outputs' rounding by 200. With STEP, a
     * channel's dBeta (a sum of 33 weights in [−1, 1]) near 0 missed by 2.3e-3 relative (seed
     * 20191981291312).
     */
    private static final double AFFINE_STEP = 1;
    private static final double GRADIENT_TOLERANCE = 2e-3;

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void layerNormBackwardIsTheGradient(Backend backend) {
        int rows = 3;
        int cols = 19;
        int size = rows * cols;
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase("layerNorm gradient " + backend.name()));
        float[] x = KernelChecks.uniform(random, size, -2, 2);
        float[] gamma = KernelChecks.uniform(random, cols, 0.5, 1.5);
        float[] beta = KernelChecks.uniform(random, cols, -1, 1);
        float[] weights = KernelChecks.uniform(random, size, -1, 1);
        float[] mean = new float[rows];
        float[] rstd = new float[rows];
        backend.layerNorm(KernelChecks.heap(x), KernelChecks.heap(gamma), KernelChecks.heap(beta),
                KernelChecks.heap(new float[size]), KernelChecks.heap(mean), KernelChecks.heap(rstd), rows, cols, EPS);
        float[] dx = new float[size];
        float[] dGamma = new float[cols];
        float[] dBeta = new float[cols];
        backend.layerNormBackward(KernelChecks.heap(x), KernelChecks.heap(gamma), KernelChecks.heap(mean),
                KernelChecks.heap(rstd), KernelChecks.heap(weights), KernelChecks.heap(dx), KernelChecks.heap(dGamma),
                KernelChecks.heap(dBeta), rows, cols);
        LayerNormLoss loss = (xs, g, b) -> {
            float[] y = new float[size];
            KernelChecks.reference().layerNorm(KernelChecks.heap(xs), KernelChecks.heap(g), KernelChecks.heap(b),
                    KernelChecks.heap(y), null, null, rows, cols, EPS);
            return KernelChecks.weightedSum(y, weights);
        };
        String what = backend.name() + " layerNormBackward";
        KernelChecks.assertGradient(KernelChecks.numericGradient(x, p -> loss.of(p, gamma, beta), STEP), dx,
                GRADIENT_TOLERANCE, what + " dx");
        KernelChecks.assertGradient(KernelChecks.numericGradient(gamma, p -> loss.of(x, p, beta), AFFINE_STEP), dGamma,
                GRADIENT_TOLERANCE, what + " dGamma");
        KernelChecks.assertGradient(KernelChecks.numericGradient(beta, p -> loss.of(x, gamma, p), AFFINE_STEP), dBeta,
                GRADIENT_TOLERANCE, what + " dBeta");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void batchNormBackwardIsTheGradient(Backend backend) {
        int batch = 3;
        int channels = 2;
        int spatial = 11;
        int size = batch * channels * spatial;
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase("batchNorm gradient " + backend.name()));
        float[] x = KernelChecks.uniform(random, size, -2, 2);
        float[] gamma = KernelChecks.uniform(random, channels, 0.5, 1.5);
        float[] beta = KernelChecks.uniform(random, channels, -1, 1);
        float[] weights = KernelChecks.uniform(random, size, -1, 1);
        float[] mean = new float[channels];
        float[] rstd = new float[channels];
        backend.batchNormTraining(KernelChecks.heap(x), KernelChecks.heap(gamma), KernelChecks.heap(beta),
                KernelChecks.heap(new float[size]), KernelChecks.heap(mean), KernelChecks.heap(rstd), null, null,
                batch, channels, spatial, 0.1f, EPS);
        float[] dx = new float[size];
        float[] dGamma = new float[channels];
        float[] dBeta = new float[channels];
        backend.batchNormBackward(KernelChecks.heap(x), KernelChecks.heap(gamma), KernelChecks.heap(mean),
                KernelChecks.heap(rstd), KernelChecks.heap(weights), KernelChecks.heap(dx), KernelChecks.heap(dGamma),
                KernelChecks.heap(dBeta), batch, channels, spatial);
        LayerNormLoss loss = (xs, g, b) -> {
            float[] y = new float[size];
            KernelChecks.reference().batchNormTraining(KernelChecks.heap(xs), KernelChecks.heap(g), KernelChecks.heap(b),
                    KernelChecks.heap(y), KernelChecks.heap(new float[channels]), KernelChecks.heap(new float[channels]),
                    null, null, batch, channels, spatial, 0.1f, EPS);
            return KernelChecks.weightedSum(y, weights);
        };
        String what = backend.name() + " batchNormBackward";
        KernelChecks.assertGradient(KernelChecks.numericGradient(x, p -> loss.of(p, gamma, beta), STEP), dx,
                GRADIENT_TOLERANCE, what + " dx");
        KernelChecks.assertGradient(KernelChecks.numericGradient(gamma, p -> loss.of(x, p, beta), AFFINE_STEP), dGamma,
                GRADIENT_TOLERANCE, what + " dGamma");
        KernelChecks.assertGradient(KernelChecks.numericGradient(beta, p -> loss.of(x, gamma, p), AFFINE_STEP), dBeta,
                GRADIENT_TOLERANCE, what + " dBeta");
    }

    /** A normalization's weighted output as a function of its input and affine parameters. */
    @FunctionalInterface
    private interface LayerNormLoss {
        double of(float[] x, float[] gamma, float[] beta);
    }

    // ---------------------------------------------------------------- by hand

    /** [1, 2, 3, 4]: mean 2.5, biased variance 1.25; y = (x − 2.5)/√1.25·gamma + beta. Within 1e-6. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void layerNormByHand(Backend backend) {
        float[] y = new float[4];
        float[] mean = new float[1];
        float[] rstd = new float[1];
        backend.layerNorm(KernelChecks.heap(new float[] {1, 2, 3, 4}), KernelChecks.heap(new float[] {1, 2, 1, 1}),
                KernelChecks.heap(new float[] {0, 0, 0, 10}), KernelChecks.heap(y), KernelChecks.heap(mean),
                KernelChecks.heap(rstd), 1, 4, 0f);
        double r = 1 / Math.sqrt(1.25);
        assertEquals(2.5f, mean[0], 1e-6, backend.name());
        assertEquals(r, rstd[0], 1e-6, backend.name());
        double[] expected = {-1.5 * r, 2 * -0.5 * r, 0.5 * r, 1.5 * r + 10};
        for (int i = 0; i < 4; i++) {
            assertEquals(expected[i], y[i], 1e-6 * Math.max(1, Math.abs(expected[i])), backend.name() + " y[" + i + "]");
        }
    }

    /**
     * PyTorch's rule with momentum 0.1, two channels of x (batch 2, spatial 2):
     * channel 0 holds 1, 2, 5, 6: mean 3.5, biased variance 4.25, unbiased 17/3;
     * channel 1 holds 3, 3, 7, 7: mean 5, biased variance 4, unbiased 16/3.
     * Running mean (0, 1) → (0.35, 0.9 + 0.5 = 1.4); running variance (1, 2) →
     * (0.9 + 0.1·17/3 = 1.4666…, 1.8 + 0.1·16/3 = 2.3333…). The output uses the biased variance.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void runningStatisticsByHand(Backend backend) {
        float[] x = {1, 2, 3, 3, 5, 6, 7, 7};
        float[] runningMean = {0, 1};
        float[] runningVar = {1, 2};
        float[] mean = new float[2];
        float[] rstd = new float[2];
        float[] y = new float[8];
        backend.batchNormTraining(KernelChecks.heap(x), null, null, KernelChecks.heap(y), KernelChecks.heap(mean),
                KernelChecks.heap(rstd), KernelChecks.heap(runningMean), KernelChecks.heap(runningVar), 2, 2, 2, 0.1f, 0f);
        String name = backend.name();
        // Within 1e-6: a few float roundings of numbers near 1.
        assertEquals(3.5f, mean[0], 1e-6, name);
        assertEquals(5f, mean[1], 1e-6, name);
        assertEquals(1 / Math.sqrt(4.25), rstd[0], 1e-6, name);
        assertEquals(0.5, rstd[1], 1e-6, name);
        assertEquals(0.35, runningMean[0], 1e-6, name);
        assertEquals(1.4, runningMean[1], 1e-6, name);
        assertEquals(0.9 + 0.1 * 17 / 3.0, runningVar[0], 1e-6, name);
        assertEquals(1.8 + 0.1 * 16 / 3.0, runningVar[1], 1e-6, name);
        assertEquals((1 - 3.5) / Math.sqrt(4.25), y[0], 1e-6, name);
        assertEquals((7 - 5) * 0.5, y[7], 1e-6, name);
    }

    /** Inference uses the running statistics only: mean 1, variance 4 (eps 0) → y = (x − 1)/2·gamma + beta. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void inferenceByHand(Backend backend) {
        float[] y = new float[3];
        backend.batchNormInference(KernelChecks.heap(new float[] {1, 3, 9}), KernelChecks.heap(new float[] {2}),
                KernelChecks.heap(new float[] {0.5f}), KernelChecks.heap(new float[] {1}), KernelChecks.heap(new float[] {4}),
                KernelChecks.heap(y), 3, 1, 1, 0f);
        assertEquals(0.5f, y[0], 1e-6, backend.name());
        assertEquals(2.5f, y[1], 1e-6, backend.name());
        assertEquals(8.5f, y[2], 1e-6, backend.name());
    }

    // ---------------------------------------------------------------- argument checks

    @Test
    void shortParametersAreRejected() {
        Backend backend = KernelChecks.reference();
        MemorySegment x = KernelChecks.heap(new float[12]);
        MemorySegment y = KernelChecks.heap(new float[12]);
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> backend.layerNorm(
                x, KernelChecks.heap(new float[3]), null, y, null, null, 3, 4, EPS));
        assertTrue(error.getMessage().contains("gamma needs 4") && error.getMessage().contains("layerNorm(rows=3, cols=4)"),
                error.getMessage());
        error = assertThrows(IllegalArgumentException.class, () -> backend.layerNormBackward(x, null,
                KernelChecks.heap(new float[2]), KernelChecks.heap(new float[3]), y, y, null, null, 3, 4));
        assertTrue(error.getMessage().contains("mean needs 3"), error.getMessage());
        error = assertThrows(IllegalArgumentException.class, () -> backend.batchNormTraining(x, null,
                KernelChecks.heap(new float[2]), y, KernelChecks.heap(new float[3]), KernelChecks.heap(new float[3]),
                null, null, 2, 3, 2, 0.1f, EPS));
        assertTrue(error.getMessage().contains("beta needs 3")
                && error.getMessage().contains("batchNormTraining(batch=2, channels=3, spatial=2"), error.getMessage());
        error = assertThrows(IllegalArgumentException.class, () -> backend.batchNormTraining(x, null, null, y,
                KernelChecks.heap(new float[3]), KernelChecks.heap(new float[3]), KernelChecks.heap(new float[3]), null,
                2, 3, 2, 0.1f, EPS));
        assertTrue(error.getMessage().contains("runningMean and runningVar"), error.getMessage());
        error = assertThrows(IllegalArgumentException.class, () -> backend.batchNormInference(x, null, null,
                KernelChecks.heap(new float[3]), KernelChecks.heap(new float[2]), y, 2, 3, 2, EPS));
        assertTrue(error.getMessage().contains("runningVar needs 3"), error.getMessage());
    }
}
