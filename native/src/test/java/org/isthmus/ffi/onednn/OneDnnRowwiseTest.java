package org.isthmus.ffi.onednn;

import org.isthmus.kernels.Backend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * softmax, logSoftmax and layerNorm, forward and backward, on oneDNN against the scalar reference
 * and vector, on odd shapes (tails of every vector width), heap and native, with and without the
 * affine parameters. Tolerances: 1e-5 of the output's scale for softmax forward (exp and one float32 sum
 * per row), 1e-5 of the terms' scale for its backward pass (see BACKWARD_TOLERANCE), 1e-4 for layerNorm
 * and its gradients (rstd amplifies the float32 mean/variance error; dGamma and dBeta sum over rows).
 */
class OneDnnRowwiseTest {

    /**
     * dx = y ⊙ (dy − Σ dy·y) cancels where a row's softmax is nearly one-hot: dx can be far smaller than
     * the terms float32 rounds (seed 2950645784044: 9.4e-6 from terms near 0.9, which oneDNN got 1% off
     * while every term was within an ulp). So the backward passes' error is judged against the size of
     * those terms ({@link #backwardTermScale}), as a backward error, not against dx itself.
     */
    private static final double BACKWARD_TOLERANCE = 1e-5;


    record Case(int rows, int cols, boolean affine, boolean nativeMemory) {
    }

    static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        int[][] shapes = {{1, 1}, {1, 7}, {3, 16}, {5, 17}, {33, 100}, {7, 1031}, {64, 207}, {2, 4099}};
        int i = 0;
        for (int[] s : shapes) {
            cases.add(new Case(s[0], s[1], i % 2 == 0, i % 3 == 1));
            cases.add(new Case(s[0], s[1], i % 2 == 1, i % 3 != 1));
            i++;
        }
        return cases;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void softmaxAndLogSoftmax(Case c) {
        SplittableRandom random = NativeChecks.random(c);
        long size = (long) c.rows * c.cols;
        float[] x = scaled(NativeChecks.uniform(random, size), 8);
        float[] dy = NativeChecks.uniform(random, size);
        for (boolean log : new boolean[] {false, true}) {
            float[][] expected = softmax(NativeChecks.reference(), c, x, dy, log, null);
            try (Arena arena = Arena.ofConfined()) {
                float[][] actual = softmax(NativeChecks.oneDnn(), c, x, dy, log, c.nativeMemory ? arena : null);
                NativeChecks.assertClose(expected[0], actual[0], 1e-5, "onednn forward log=" + log + " " + c);
                NativeChecks.assertClose(expected[1], actual[1], backwardTermScale(expected[0], dy, c, log),
                        BACKWARD_TOLERANCE, "onednn backward log=" + log + " " + c);
            }
            for (Backend peer : NativeChecks.peers()) {
                float[][] actual = softmax(peer, c, x, dy, log, null);
                NativeChecks.assertClose(expected[0], actual[0], 1e-5, peer.name() + " forward log=" + log + " " + c);
                NativeChecks.assertClose(expected[1], actual[1], backwardTermScale(expected[0], dy, c, log),
                        BACKWARD_TOLERANCE, peer.name() + " backward log=" + log + " " + c);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void layerNorm(Case c) {
        SplittableRandom random = NativeChecks.random(c);
        long size = (long) c.rows * c.cols;
        float[] x = NativeChecks.uniform(random, size);
        for (int i = 0; i < x.length; i++) {
            x[i] = 3 + 2 * x[i]; // a mean far from 0, so that a one-pass variance would show
        }
        float[] gamma = c.affine ? NativeChecks.uniform(random, c.cols) : null;
        float[] beta = c.affine ? NativeChecks.uniform(random, c.cols) : null;
        float[] dy = NativeChecks.uniform(random, size);
        float[][] expected = layerNorm(NativeChecks.reference(), c, x, gamma, beta, dy, null);
        try (Arena arena = Arena.ofConfined()) {
            float[][] actual = layerNorm(NativeChecks.oneDnn(), c, x, gamma, beta, dy, c.nativeMemory ? arena : null);
            compare(expected, actual, "onednn " + c);
        }
        for (Backend peer : NativeChecks.peers()) {
            compare(expected, layerNorm(peer, c, x, gamma, beta, dy, null), peer.name() + " " + c);
        }
    }

    private static void compare(float[][] expected, float[][] actual, String what) {
        String[] names = {"y", "mean", "rstd", "dx", "dGamma", "dBeta"};
        for (int i = 0; i < names.length; i++) {
            NativeChecks.assertClose(expected[i], actual[i], 1e-4, what + " " + names[i]);
        }
    }

    /**
     * The largest term a backward pass combines into one element of dx: y·(|dy| + |Σ y·dy|) for
     * softmax, |dy| + exp(y)·|Σ dy| for logSoftmax (y the forward output), row by row.
     */
    private static double backwardTermScale(float[] y, float[] dy, Case c, boolean log) {
        double largest = 0;
        for (int r = 0; r < c.rows; r++) {
            int start = r * c.cols;
            double sum = 0;
            for (int i = start; i < start + c.cols; i++) {
                sum += log ? dy[i] : (double) y[i] * dy[i];
            }
            for (int i = start; i < start + c.cols; i++) {
                double term = log ? Math.abs(dy[i]) + Math.exp(y[i]) * Math.abs(sum)
                        : y[i] * (Math.abs(dy[i]) + Math.abs(sum));
                largest = Math.max(largest, term);
            }
        }
        return largest;
    }

    private static float[] scaled(float[] values, float factor) {
        for (int i = 0; i < values.length; i++) {
            values[i] *= factor;
        }
        return values;
    }

    private static float[][] softmax(Backend backend, Case c, float[] x, float[] dy, boolean log, Arena arena) {
        long size = (long) c.rows * c.cols;
        MemorySegment y = NativeChecks.segment(new float[(int) size], arena);
        MemorySegment dx = NativeChecks.segment(new float[(int) size], arena);
        if (log) {
            backend.logSoftmax(NativeChecks.segment(x, arena), y, c.rows, c.cols);
            backend.logSoftmaxBackward(y, NativeChecks.segment(dy, arena), dx, c.rows, c.cols);
        } else {
            backend.softmax(NativeChecks.segment(x, arena), y, c.rows, c.cols);
            backend.softmaxBackward(y, NativeChecks.segment(dy, arena), dx, c.rows, c.cols);
        }
        return new float[][] {NativeChecks.toArray(y), NativeChecks.toArray(dx)};
    }

    private static float[][] layerNorm(Backend backend, Case c, float[] x, float[] gamma, float[] beta, float[] dy,
                                       Arena arena) {
        long size = (long) c.rows * c.cols;
        MemorySegment xs = NativeChecks.segment(x, arena);
        MemorySegment gammaSegment = gamma == null ? null : NativeChecks.segment(gamma, arena);
        MemorySegment y = NativeChecks.segment(new float[(int) size], arena);
        MemorySegment mean = NativeChecks.segment(new float[c.rows], arena);
        MemorySegment rstd = NativeChecks.segment(new float[c.rows], arena);
        backend.layerNorm(xs, gammaSegment, beta == null ? null : NativeChecks.segment(beta, arena), y, mean, rstd,
                c.rows, c.cols, 1e-5f);
        MemorySegment dx = NativeChecks.segment(new float[(int) size], arena);
        MemorySegment dGamma = NativeChecks.segment(new float[c.cols], arena);
        MemorySegment dBeta = NativeChecks.segment(new float[c.cols], arena);
        backend.layerNormBackward(xs, gammaSegment, mean, rstd, NativeChecks.segment(dy, arena), dx, dGamma, dBeta,
                c.rows, c.cols);
        return new float[][] {NativeChecks.toArray(y), NativeChecks.toArray(mean), NativeChecks.toArray(rstd),
                NativeChecks.toArray(dx), NativeChecks.toArray(dGamma), NativeChecks.toArray(dBeta)};
    }
}
