package org.isthmus.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The softmax family: every optimized backend against the scalar reference on shapes with
 * vector tails, heap, native and mixed; every backward pass against central differences; the numerical
 * edge cases (large logits, −∞ masks, NaN) on every backend; argument checks.
 */
class SoftmaxTest {


    /**
     * Forward and backward outputs against the double reference: a handful of float roundings per
     * element (exp is within a few ulp) and float sums over at most 1031 terms stay far below 1e-5.
     */
    private static final double TOLERANCE = 1e-5;

    static Stream<Arguments> shapes() {
        return RowwiseRuns.shapes();
    }

    static Stream<Backend> backends() {
        return KernelChecks.backends();
    }

    @ParameterizedTest(name = "{0}x{1}")
    @MethodSource("shapes")
    void forwardMatchesReference(int rows, int cols) {
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase("softmax forward " + rows + "x" + cols));
        float[] x = KernelChecks.uniform(random, rows * cols, -8, 8);
        int size = rows * cols;
        RowwiseRuns.assertMatchesReference("softmax " + rows + "x" + cols, TOLERANCE,
                (b, in, out) -> b.softmax(in[0], out[0], rows, cols), new float[][] {x}, size);
        RowwiseRuns.assertMatchesReference("logSoftmax " + rows + "x" + cols, TOLERANCE,
                (b, in, out) -> b.logSoftmax(in[0], out[0], rows, cols), new float[][] {x}, size);
        RowwiseRuns.assertMatchesReference("logSumExp " + rows + "x" + cols, TOLERANCE,
                (b, in, out) -> b.logSumExp(in[0], out[0], rows, cols), new float[][] {x}, rows);
        // In place: y is x.
        RowwiseRuns.assertMatchesReference("softmax in place " + rows + "x" + cols, TOLERANCE,
                (b, in, out) -> {
                    b.softmax(in[0], in[0], rows, cols);
                    MemorySegment.copy(in[0], 0, out[0], 0, (long) size * Float.BYTES);
                }, new float[][] {x}, size);
        RowwiseRuns.assertMatchesReference("logSoftmax in place " + rows + "x" + cols, TOLERANCE,
                (b, in, out) -> {
                    b.logSoftmax(in[0], in[0], rows, cols);
                    MemorySegment.copy(in[0], 0, out[0], 0, (long) size * Float.BYTES);
                }, new float[][] {x}, size);
    }

    @ParameterizedTest(name = "{0}x{1}")
    @MethodSource("shapes")
    void backwardMatchesReference(int rows, int cols) {
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase("softmax backward " + rows + "x" + cols));
        int size = rows * cols;
        float[] x = KernelChecks.uniform(random, size, -4, 4);
        float[] dy = KernelChecks.uniform(random, size, -1, 1);
        float[] dLse = KernelChecks.uniform(random, rows, -1, 1);
        Backend reference = KernelChecks.reference();
        float[] softmax = new float[size];
        float[] logSoftmax = new float[size];
        float[] lse = new float[rows];
        reference.softmax(KernelChecks.heap(x), KernelChecks.heap(softmax), rows, cols);
        reference.logSoftmax(KernelChecks.heap(x), KernelChecks.heap(logSoftmax), rows, cols);
        reference.logSumExp(KernelChecks.heap(x), KernelChecks.heap(lse), rows, cols);
        RowwiseRuns.assertMatchesReference("softmaxBackward " + rows + "x" + cols, TOLERANCE,
                (b, in, out) -> b.softmaxBackward(in[0], in[1], out[0], rows, cols),
                new float[][] {softmax, dy}, size);
        RowwiseRuns.assertMatchesReference("logSoftmaxBackward " + rows + "x" + cols, TOLERANCE,
                (b, in, out) -> b.logSoftmaxBackward(in[0], in[1], out[0], rows, cols),
                new float[][] {logSoftmax, dy}, size);
        RowwiseRuns.assertMatchesReference("logSumExpBackward " + rows + "x" + cols, TOLERANCE,
                (b, in, out) -> b.logSumExpBackward(in[0], in[1], in[2], out[0], rows, cols),
                new float[][] {x, lse, dLse}, size);
    }

    @ParameterizedTest(name = "{0}x{1}")
    @MethodSource("shapes")
    void crossEntropyMatchesReference(int rows, int cols) {
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase("cross entropy " + rows + "x" + cols));
        float[] logits = KernelChecks.uniform(random, rows * cols, -8, 8);
        MemorySegment targets = KernelChecks.heap(random.ints(rows, 0, cols).toArray());
        for (float smoothing : new float[] {0f, 0.1f}) {
            String what = "softmaxCrossEntropy s=" + smoothing + " " + rows + "x" + cols;
            RowwiseRuns.assertMatchesReference(what, TOLERANCE,
                    (b, in, out) -> b.softmaxCrossEntropy(in[0], targets, smoothing, out[0], out[1], rows, cols),
                    new float[][] {logits}, rows, rows * cols);
            RowwiseRuns.assertMatchesReference(what + " without gradient", TOLERANCE,
                    (b, in, out) -> b.softmaxCrossEntropy(in[0], targets, smoothing, out[0], null, rows, cols),
                    new float[][] {logits}, rows);
            RowwiseRuns.assertMatchesReference(what + " gradient in place", TOLERANCE,
                    (b, in, out) -> {
                        b.softmaxCrossEntropy(in[0], targets, smoothing, out[0], in[0], rows, cols);
                        MemorySegment.copy(in[0], 0, out[1], 0, (long) rows * cols * Float.BYTES);
                    }, new float[][] {logits}, rows, rows * cols);
        }
    }

    /** A call on a confined arena's memory runs on the calling thread only, and still right. */
    @Test
    void confinedNativeMemoryStaysOnTheCallingThread() {
        int rows = 300;
        int cols = 1031;
        float[] x = KernelChecks.uniform(new SplittableRandom(TestSeeds.forCase("confined")), rows * cols, -8, 8);
        float[] expected = new float[rows * cols];
        KernelChecks.reference().softmax(KernelChecks.heap(x), KernelChecks.heap(expected), rows, cols);
        KernelChecks.optimizedBackends().forEach(backend -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment segment = KernelChecks.nativeCopy(arena, x);
                backend.softmax(segment, segment, rows, cols);
                KernelChecks.assertClose(expected, KernelChecks.toArray(segment, rows * cols), TOLERANCE,
                        backend.name() + " softmax on confined memory");
            }
        });
    }

    // ---------------------------------------------------------------- gradients by central differences

    /**
     * Finite differences of the reference's float outputs: their rounding (~6e-8 relative)
     * divided by the 2h = 1e-2 step and the O(h²) truncation error stay below 1e-3.
     */
    private static final double STEP = 5e-3;
    private static final double GRADIENT_TOLERANCE = 1e-3;
    private static final int GRADIENT_ROWS = 3;
    private static final int GRADIENT_COLS = 19;

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void softmaxBackwardIsTheGradient(Backend backend) {
        int rows = GRADIENT_ROWS;
        int cols = GRADIENT_COLS;
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase("softmax gradient " + backend.name()));
        float[] x = KernelChecks.uniform(random, rows * cols, -2, 2);
        float[] weights = KernelChecks.uniform(random, rows * cols, -1, 1);
        float[] y = new float[rows * cols];
        float[] dx = new float[rows * cols];
        backend.softmax(KernelChecks.heap(x), KernelChecks.heap(y), rows, cols);
        backend.softmaxBackward(KernelChecks.heap(y), KernelChecks.heap(weights), KernelChecks.heap(dx), rows, cols);
        double[] numeric = KernelChecks.numericGradient(x, point -> {
            float[] out = new float[rows * cols];
            KernelChecks.reference().softmax(KernelChecks.heap(point), KernelChecks.heap(out), rows, cols);
            return KernelChecks.weightedSum(out, weights);
        }, STEP);
        KernelChecks.assertGradient(numeric, dx, GRADIENT_TOLERANCE, backend.name() + " softmaxBackward");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void logSoftmaxBackwardIsTheGradient(Backend backend) {
        int rows = GRADIENT_ROWS;
        int cols = GRADIENT_COLS;
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase("logSoftmax gradient " + backend.name()));
        float[] x = KernelChecks.uniform(random, rows * cols, -2, 2);
        float[] weights = KernelChecks.uniform(random, rows * cols, -1, 1);
        float[] y = new float[rows * cols];
        float[] dx = new float[rows * cols];
        backend.logSoftmax(KernelChecks.heap(x), KernelChecks.heap(y), rows, cols);
        backend.logSoftmaxBackward(KernelChecks.heap(y), KernelChecks.heap(weights), KernelChecks.heap(dx), rows, cols);
        double[] numeric = KernelChecks.numericGradient(x, point -> {
            float[] out = new float[rows * cols];
            KernelChecks.reference().logSoftmax(KernelChecks.heap(point), KernelChecks.heap(out), rows, cols);
            return KernelChecks.weightedSum(out, weights);
        }, STEP);
        KernelChecks.assertGradient(numeric, dx, GRADIENT_TOLERANCE, backend.name() + " logSoftmaxBackward");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void logSumExpBackwardIsTheGradient(Backend backend) {
        int rows = GRADIENT_ROWS;
        int cols = GRADIENT_COLS;
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase("logSumExp gradient " + backend.name()));
        float[] x = KernelChecks.uniform(random, rows * cols, -2, 2);
        float[] weights = KernelChecks.uniform(random, rows, -1, 1);
        float[] lse = new float[rows];
        float[] dx = new float[rows * cols];
        backend.logSumExp(KernelChecks.heap(x), KernelChecks.heap(lse), rows, cols);
        backend.logSumExpBackward(KernelChecks.heap(x), KernelChecks.heap(lse), KernelChecks.heap(weights),
                KernelChecks.heap(dx), rows, cols);
        double[] numeric = KernelChecks.numericGradient(x, point -> {
            float[] out = new float[rows];
            KernelChecks.reference().logSumExp(KernelChecks.heap(point), KernelChecks.heap(out), rows, cols);
            return KernelChecks.weightedSum(out, weights);
        }, STEP);
        KernelChecks.assertGradient(numeric, dx, GRADIENT_TOLERANCE, backend.name() + " logSumExpBackward");
    }

    /** dLogits is the gradient of each row's loss: weighted by w[r], of Σ w·losses. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void crossEntropyGradientIsTheGradient(Backend backend) {
        int rows = GRADIENT_ROWS;
        int cols = GRADIENT_COLS;
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase("cross entropy gradient " + backend.name()));
        float[] logits = KernelChecks.uniform(random, rows * cols, -2, 2);
        float[] weights = KernelChecks.uniform(random, rows, -1, 1);
        MemorySegment targets = KernelChecks.heap(random.ints(rows, 0, cols).toArray());
        for (float smoothing : new float[] {0f, 0.2f}) {
            float[] losses = new float[rows];
            float[] gradient = new float[rows * cols];
            backend.softmaxCrossEntropy(KernelChecks.heap(logits), targets, smoothing, KernelChecks.heap(losses),
                    KernelChecks.heap(gradient), rows, cols);
            for (int i = 0; i < gradient.length; i++) {
                gradient[i] *= weights[i / cols];
            }
            double[] numeric = KernelChecks.numericGradient(logits, point -> {
                float[] out = new float[rows];
                KernelChecks.reference().softmaxCrossEntropy(KernelChecks.heap(point), targets, smoothing,
                        KernelChecks.heap(out), null, rows, cols);
                return KernelChecks.weightedSum(out, weights);
            }, STEP);
            KernelChecks.assertGradient(numeric, gradient, GRADIENT_TOLERANCE,
                    backend.name() + " softmaxCrossEntropy s=" + smoothing);
        }
    }

    // ---------------------------------------------------------------- numerical edge cases, every backend

    /** Without the max subtracted, exp(100) would overflow float. Expected values in double; within 1e-6 relative. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void largeLogitsStayFinite(Backend backend) {
        float[] y = new float[3];
        backend.softmax(KernelChecks.heap(new float[] {100, 10, 1}), KernelChecks.heap(y), 1, 3);
        double sum = 1 + Math.exp(-90) + Math.exp(-99);
        double[] expected = {1 / sum, Math.exp(-90) / sum, Math.exp(-99) / sum};
        for (int i = 0; i < 3; i++) {
            assertTrue(Float.isFinite(y[i]), backend.name() + ": y[" + i + "] = " + y[i]);
            // 1e-40 absolute: e⁻⁹⁹ ≈ 1e-43 is a float denormal, holding only a few digits.
            assertEquals(expected[i], y[i], 1e-6 * expected[i] + 1e-40, backend.name() + ": y[" + i + "]");
        }
        float[] lse = new float[1];
        backend.logSumExp(KernelChecks.heap(new float[] {100, 10, 1}), KernelChecks.heap(lse), 1, 3);
        assertEquals(100f, lse[0], backend.name() + ": logsumexp of [100, 10, 1] rounds to 100 in float");
    }

    /** 5 + ln 3 to within one float ulp (the exp of 0 is exact, ln 3 rounds once, the add once). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void logSumExpOfEqualValues(Backend backend) {
        float[] lse = new float[1];
        backend.logSumExp(KernelChecks.heap(new float[] {5, 5, 5}), KernelChecks.heap(lse), 1, 3);
        double expected = 5 + Math.log(3);
        assertEquals(expected, lse[0], Math.ulp((float) expected), backend.name());
    }

    /**
     * max < logsumexp ≤ max + ln n on random rows with n ≥ 2 values in [−1, 1]: each term is at
     * least e⁻², so log Σ ≥ ln(1 + e⁻²) ≈ 0.13, far above the float ulp of max, and the strict '<'
     * holds in float. (For n = 1, or when the other terms are below max's ulp, logsumexp equals
     * max in float: n = 1 is checked for equality below.) The upper bound gets one ulp of slack
     * for the final rounding.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void logSumExpLiesBetweenTheMaxAndTheMaxPlusLogN(Backend backend) {
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase("lse bounds " + backend.name()));
        for (int cols : new int[] {2, 3, 8, 17, 33, 1031}) {
            int rows = 20;
            float[] x = KernelChecks.uniform(random, rows * cols, -1, 1);
            float[] lse = new float[rows];
            backend.logSumExp(KernelChecks.heap(x), KernelChecks.heap(lse), rows, cols);
            for (int r = 0; r < rows; r++) {
                float max = Float.NEGATIVE_INFINITY;
                for (int c = 0; c < cols; c++) {
                    max = Math.max(max, x[r * cols + c]);
                }
                String where = backend.name() + " " + rows + "x" + cols + " row " + r + ": lse " + lse[r] + ", max " + max;
                assertTrue(max < lse[r], where);
                assertTrue(lse[r] <= max + Math.log(cols) + Math.ulp(lse[r]), where);
            }
        }
        float[] single = new float[1];
        backend.logSumExp(KernelChecks.heap(new float[] {-3.25f}), KernelChecks.heap(single), 1, 1);
        assertEquals(-3.25f, single[0], backend.name() + ": logsumexp of one value is that value");
    }

    /**
     * Masked entries (−∞) get probability 0, log-probability −∞. A row masked entirely has a softmax
     * of NaN and a logsumexp of −∞ (log 0), as in PyTorch.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void negativeInfinityMasks(Backend backend) {
        float inf = Float.POSITIVE_INFINITY;
        float[] y = new float[2];
        backend.softmax(KernelChecks.heap(new float[] {-inf, 0}), KernelChecks.heap(y), 1, 2);
        assertEquals(0f, y[0], backend.name());
        assertEquals(1f, y[1], backend.name());
        backend.logSoftmax(KernelChecks.heap(new float[] {-inf, 0}), KernelChecks.heap(y), 1, 2);
        assertEquals(-inf, y[0], backend.name());
        assertEquals(0f, y[1], backend.name());

        // A long masked row, so that the vector loops and their tails meet −∞ too: every other entry masked.
        int cols = 37;
        float[] x = KernelChecks.uniform(new SplittableRandom(TestSeeds.forCase("mask")), cols, -3, 3);
        float[] kept = new float[(cols + 1) / 2];
        for (int c = 0; c < cols; c++) {
            if (c % 2 == 1) {
                x[c] = -inf;
            } else {
                kept[c / 2] = x[c];
            }
        }
        float[] masked = new float[cols];
        float[] compact = new float[kept.length];
        backend.softmax(KernelChecks.heap(x), KernelChecks.heap(masked), 1, cols);
        KernelChecks.reference().softmax(KernelChecks.heap(kept), KernelChecks.heap(compact), 1, kept.length);
        for (int c = 0; c < cols; c++) {
            float expected = c % 2 == 1 ? 0f : compact[c / 2];
            assertEquals(expected, masked[c], 1e-6f * Math.max(expected, 1e-30f) + 1e-12f, backend.name() + " c=" + c);
        }
        float[] lse = new float[1];
        backend.logSumExp(KernelChecks.heap(new float[] {-inf, -inf}), KernelChecks.heap(lse), 1, 2);
        assertEquals(-inf, lse[0], backend.name() + ": logsumexp of a masked row");
        backend.softmax(KernelChecks.heap(new float[] {-inf, -inf}), KernelChecks.heap(y), 1, 2);
        assertTrue(Float.isNaN(y[0]) && Float.isNaN(y[1]), backend.name() + ": a row masked entirely");
    }

    /**
     * Rows whose max is ±∞ or NaN (masked entirely, holding +∞, all NaN, +∞ with NaN) next to
     * ordinary rows, long enough for the vector loops, in every position of the row pipeline:
     * the same logSumExp as the reference (−∞, +∞ or NaN), and softmax NaN or finite as there.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void infiniteAndNaNRowsMatchTheReference(Backend backend) {
        int cols = 37;
        float inf = Float.POSITIVE_INFINITY;
        float[][] special = new float[5][];
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase("infinite rows"));
        for (int r = 0; r < special.length; r++) {
            special[r] = KernelChecks.uniform(random, cols, -3, 3);
        }
        Arrays.fill(special[0], -inf);
        special[1][5] = inf;
        Arrays.fill(special[2], Float.NaN);
        special[3][7] = inf;
        special[3][20] = Float.NaN;
        int rows = 2 * special.length + 1;
        float[] x = new float[rows * cols];
        for (int r = 0; r < special.length; r++) {
            // Every other row special, so that each is a first, a middle and a next row somewhere.
            System.arraycopy(special[r], 0, x, (2 * r + 1) * cols, cols);
        }
        float[] lse = new float[rows];
        float[] expectedLse = new float[rows];
        backend.logSumExp(KernelChecks.heap(x), KernelChecks.heap(lse), rows, cols);
        KernelChecks.reference().logSumExp(KernelChecks.heap(x), KernelChecks.heap(expectedLse), rows, cols);
        float[] y = new float[rows * cols];
        float[] expectedY = new float[rows * cols];
        backend.softmax(KernelChecks.heap(x), KernelChecks.heap(y), rows, cols);
        KernelChecks.reference().softmax(KernelChecks.heap(x), KernelChecks.heap(expectedY), rows, cols);
        for (int r = 0; r < rows; r++) {
            if (Float.isNaN(expectedLse[r]) || Float.isInfinite(expectedLse[r])) {
                assertEquals(expectedLse[r], lse[r], backend.name() + " logSumExp row " + r);
            } else {
                assertEquals(expectedLse[r], lse[r], 1e-5f, backend.name() + " logSumExp row " + r);
            }
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                assertEquals(Float.isNaN(expectedY[i]), Float.isNaN(y[i]), backend.name() + " softmax [" + r + ", " + c + "]");
            }
        }
    }

    /**
     * The vector forward passes take a row's exponentials relative to a shift from its first value, and
     * take the row again, shifted by its max, where the max lands too far from that shift (or the values
     * are too large for the shifted reduction). Rows of each kind, with the max early, late or in the
     * first value, against the reference: every path gives the same answers as a plain max shift.
     */
    static Stream<Arguments> rowsAgainstTheirFirstValue() {
        float inf = Float.POSITIVE_INFINITY;
        return Stream.of(
                Arguments.of("first value far below the rest", -200f, 0f, 10f),
                Arguments.of("first value far above the rest", 50f, -30f, 0f),
                Arguments.of("first value 66 below the rest (exponentials up to 2^95)", -66f, -0.5f, 0f),
                Arguments.of("values near -1000", -995f, -1000f, -990f),
                Arguments.of("values near 60000 (beyond the shifted reduction)", 60_000f, 59_990f, 60_010f),
                Arguments.of("first value -inf, the rest near 0", -inf, -5f, 5f),
                Arguments.of("first value -inf, the rest near 200", -inf, 200f, 210f),
                Arguments.of("first value -inf, the rest near -2000", -inf, -2000f, -1990f),
                Arguments.of("values spread over [-100, 100]", Float.NaN, -100f, 100f))
                .flatMap(kind -> IntStream.of(17, 207, 600, 1031).mapToObj(cols -> Arguments.of(kind.get()[0],
                        kind.get()[1], kind.get()[2], kind.get()[3], cols)));
    }

    @ParameterizedTest(name = "{0}, {4} columns")
    @MethodSource("rowsAgainstTheirFirstValue")
    void rowsFarFromTheirFirstValueMatchTheReference(String kind, float first, float low, float high, int cols) {
        int rows = 6;
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase("shifted rows " + kind + " " + cols));
        float[] x = KernelChecks.uniform(random, rows * cols, low, high);
        for (int r = 0; r < rows; r++) {
            if (!Float.isNaN(first)) {
                x[r * cols] = first;
            }
            // The max late in some rows (past the first piece of 256 floats where there is one), early in others.
            int at = r % 2 == 0 ? cols - 1 - r : 1 + r;
            x[r * cols + at] = high;
        }
        String what = kind + ", " + rows + "x" + cols;
        RowwiseRuns.assertMatchesReference("softmax, " + what, TOLERANCE,
                (b, in, out) -> b.softmax(in[0], out[0], rows, cols), new float[][] {x}, rows * cols);
        // A −∞ first value has a log-probability of −∞ (in both): set to a finite mark so that the
        // relative error over the rows is defined.
        RowwiseRuns.assertMatchesReference("logSoftmax, " + what, TOLERANCE, (b, in, out) -> {
            b.logSoftmax(in[0], out[0], rows, cols);
            for (int r = 0; r < rows; r++) {
                if (out[0].getAtIndex(ValueLayout.JAVA_FLOAT, (long) r * cols) == Float.NEGATIVE_INFINITY) {
                    out[0].setAtIndex(ValueLayout.JAVA_FLOAT, (long) r * cols, -1e4f);
                }
            }
        }, new float[][] {x}, rows * cols);
        RowwiseRuns.assertMatchesReference("logSumExp, " + what, TOLERANCE,
                (b, in, out) -> b.logSumExp(in[0], out[0], rows, cols), new float[][] {x}, rows);
    }

    /** NaN in a row gives NaN in that row's outputs, and leaves the other rows alone. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void nanPoisonsOnlyItsRow(Backend backend) {
        int rows = 3;
        for (int cols : new int[] {3, 37}) {
            float[] x = KernelChecks.uniform(new SplittableRandom(TestSeeds.forCase("nan " + cols)), rows * cols, -3, 3);
            x[cols + cols / 2] = Float.NaN; // row 1
            float[] y = new float[rows * cols];
            float[] lse = new float[rows];
            float[] gradient = new float[rows * cols];
            MemorySegment targets = KernelChecks.heap(new int[] {0, 1, 2});
            backend.softmax(KernelChecks.heap(x), KernelChecks.heap(y), rows, cols);
            assertRowNaN(y, rows, cols, backend.name() + " softmax");
            backend.logSoftmax(KernelChecks.heap(x), KernelChecks.heap(y), rows, cols);
            assertRowNaN(y, rows, cols, backend.name() + " logSoftmax");
            backend.logSumExp(KernelChecks.heap(x), KernelChecks.heap(lse), rows, cols);
            assertRowNaN(lse, rows, 1, backend.name() + " logSumExp");
            backend.softmaxCrossEntropy(KernelChecks.heap(x), targets, 0.1f, KernelChecks.heap(lse),
                    KernelChecks.heap(gradient), rows, cols);
            assertRowNaN(lse, rows, 1, backend.name() + " softmaxCrossEntropy loss");
            assertRowNaN(gradient, rows, cols, backend.name() + " softmaxCrossEntropy gradient");
        }
    }

    private static void assertRowNaN(float[] values, int rows, int cols, String what) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                float v = values[r * cols + c];
                assertTrue(r == 1 ? Float.isNaN(v) : Float.isFinite(v), what + " [" + r + ", " + c + "] = " + v);
            }
        }
    }

    /** losses = −Σ q·log softmax(x), q = (1 − s)·onehot + s/n: by hand for [1, 2, 3], target 2. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void crossEntropyByHand(Backend backend) {
        double lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
        for (float s : new float[] {0f, 0.1f, 1f}) {
            float[] loss = new float[1];
            float[] gradient = new float[3];
            backend.softmaxCrossEntropy(KernelChecks.heap(new float[] {1, 2, 3}), KernelChecks.heap(new int[] {2}), s,
                    KernelChecks.heap(loss), KernelChecks.heap(gradient), 1, 3);
            double expected = 0;
            for (int c = 0; c < 3; c++) {
                double q = (c == 2 ? 1 - s : 0) + s / 3.0;
                expected -= q * (c + 1 - lse);
                double p = Math.exp(c + 1 - lse);
                assertEquals(p - q, gradient[c], 1e-6, backend.name() + " s=" + s + " gradient " + c);
            }
            assertEquals(expected, loss[0], 1e-6, backend.name() + " s=" + s + " loss");
        }
    }

    /**
     * The exp inside the kernels, seen through logSumExpBackward with lse = 0 and dLse = 1 (dx = e^x):
     * within 2 ulp of Math.exp from the smallest normal result to near overflow, on 100 000 points,
     * as one-element rows (scalar tails) and as one long row (vector loops).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void expIsWithinTwoUlp(Backend backend) {
        int n = 100_000;
        float[] x = KernelChecks.uniform(new SplittableRandom(TestSeeds.forCase("exp")), n, -87.3, 88.3);
        x[0] = 0f;
        x[1] = -87.3f;
        x[2] = 88.3f;
        float[] e = new float[n];
        backend.logSumExpBackward(KernelChecks.heap(x), KernelChecks.heap(new float[n]), KernelChecks.heap(fill(n, 1f)),
                KernelChecks.heap(e), n, 1);
        float[] row = new float[n];
        backend.logSumExpBackward(KernelChecks.heap(x), KernelChecks.heap(new float[1]), KernelChecks.heap(fill(1, 1f)),
                KernelChecks.heap(row), 1, n);
        for (int i = 0; i < n; i++) {
            float expected = (float) Math.exp(x[i]);
            assertEquals(expected, e[i], 2 * Math.ulp(expected), backend.name() + ": exp(" + x[i] + ") as one-element rows");
            assertEquals(expected, row[i], 2 * Math.ulp(expected), backend.name() + ": exp(" + x[i] + ") in one row");
        }
    }

    private static float[] fill(int n, float value) {
        float[] values = new float[n];
        Arrays.fill(values, value);
        return values;
    }

    // ---------------------------------------------------------------- argument checks

    @Test
    void targetsOutOfRangeAreRejected() {
        Backend backend = KernelChecks.reference();
        MemorySegment logits = KernelChecks.heap(new float[6]);
        MemorySegment losses = KernelChecks.heap(new float[2]);
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> backend.softmaxCrossEntropy(
                logits, KernelChecks.heap(new int[] {0, 3}), 0f, losses, null, 2, 3));
        assertTrue(error.getMessage().contains("targets[1]=3") && error.getMessage().contains("rows=2, cols=3"),
                error.getMessage());
        error = assertThrows(IllegalArgumentException.class, () -> backend.softmaxCrossEntropy(
                logits, KernelChecks.heap(new int[] {-1, 0}), 0f, losses, null, 2, 3));
        assertTrue(error.getMessage().contains("targets[0]=-1"), error.getMessage());
        error = assertThrows(IllegalArgumentException.class, () -> backend.softmaxCrossEntropy(
                logits, KernelChecks.heap(new int[] {0, 0}), 1.5f, losses, null, 2, 3));
        assertTrue(error.getMessage().contains("labelSmoothing"), error.getMessage());
    }

    @Test
    void shortSegmentsAreRejected() {
        Backend backend = KernelChecks.reference();
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> backend.softmax(KernelChecks.heap(new float[6]), KernelChecks.heap(new float[5]), 2, 3));
        assertTrue(error.getMessage().contains("y needs 6") && error.getMessage().contains("softmax(rows=2, cols=3)"),
                error.getMessage());
        error = assertThrows(IllegalArgumentException.class,
                () -> backend.logSumExp(KernelChecks.heap(new float[6]), KernelChecks.heap(new float[1]), 2, 3));
        assertTrue(error.getMessage().contains("y needs 2"), error.getMessage());
        error = assertThrows(IllegalArgumentException.class, () -> backend.logSumExpBackward(
                KernelChecks.heap(new float[6]), KernelChecks.heap(new float[1]), KernelChecks.heap(new float[2]),
                KernelChecks.heap(new float[6]), 2, 3));
        assertTrue(error.getMessage().contains("lse needs 2"), error.getMessage());
    }
}
