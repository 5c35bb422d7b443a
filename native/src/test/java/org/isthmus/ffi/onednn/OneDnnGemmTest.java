package org.isthmus.ffi.onednn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.isthmus.kernels.Backend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * dnnl_sgemm through the critical downcall against the scalar reference and vector: every
 * transpose, alpha/beta, odd shapes, leading dimensions wider than a row, offsets, heap and native.
 * Tolerance 1e-5 of the output's scale: float32 accumulation over k ≤ 300 terms of size ≤ 1.
 */
class OneDnnGemmTest {

    record Case(boolean transA, boolean transB, int m, int n, int k, float alpha, float beta, int pad, int offset,
                boolean nativeMemory) {
    }

    static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        // The last two are above OneDnnGemm.CRITICAL_MULTIPLY_ADDS: plain downcalls, heap operands staged.
        int[][] shapes = {{1, 1, 1}, {4, 4, 4}, {17, 31, 13}, {64, 1, 200}, {1, 77, 45}, {127, 129, 131}, {300, 33, 257},
            {150, 140, 130}, {201, 160, 90}};
        float[][] scalars = {{1f, 0f}, {0.5f, 1f}, {-1.5f, 0.25f}};
        int i = 0;
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                float[] ab = scalars[i % scalars.length];
                cases.add(new Case((t & 1) != 0, (t & 2) != 0, s[0], s[1], s[2], ab[0], ab[1], i % 3, 7 * (i % 2),
                        i % 2 == 1));
                i++;
            }
        }
        return cases;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTheReferenceAndVector(Case c) {
        SplittableRandom random = NativeChecks.random(c);
        int aRows = c.transA ? c.k : c.m, aCols = c.transA ? c.m : c.k;
        int bRows = c.transB ? c.n : c.k, bCols = c.transB ? c.k : c.n;
        int lda = aCols + c.pad, ldb = bCols + c.pad, ldc = c.n + c.pad;
        float[] a = NativeChecks.uniform(random, c.offset + (long) aRows * lda);
        float[] b = NativeChecks.uniform(random, c.offset + (long) bRows * ldb);
        float[] c0 = NativeChecks.uniform(random, c.offset + (long) c.m * ldc);
        float[] expected = run(NativeChecks.reference(), c, a, b, c0, lda, ldb, ldc, null);
        try (Arena arena = Arena.ofConfined()) {
            float[] actual = run(NativeChecks.oneDnn(), c, a, b, c0, lda, ldb, ldc, c.nativeMemory ? arena : null);
            NativeChecks.assertClose(expected, actual, 1e-5, "onednn " + c);
            for (int i = 0; i < c.offset; i++) {
                assertEquals(c0[i], actual[i], "C before its offset must be untouched");
            }
        }
        for (Backend peer : NativeChecks.peers()) {
            NativeChecks.assertClose(expected, run(peer, c, a, b, c0, lda, ldb, ldc, null), 1e-5, peer.name() + " " + c);
        }
    }

    /** BLAS semantics: beta = 0 ignores C's NaNs; k = 0 or alpha = 0 leaves beta·C and reads neither A nor B. */
    @Test
    void betaZeroIgnoresNaNAndKZeroScalesC() {
        Backend oneDnn = NativeChecks.oneDnn();
        float[] c = {Float.NaN, Float.NaN, Float.NaN, Float.NaN};
        MemorySegment out = MemorySegment.ofArray(c);
        oneDnn.sgemm(false, true, 2, 2, 3, 1f, MemorySegment.ofArray(new float[] {1, 2, 3, 4, 5, 6}), 0, 3,
                MemorySegment.ofArray(new float[] {1, 0, 0, 0, 1, 0}), 0, 3, 0f, out, 0, 2);
        assertArrayEquals(new float[] {1, 2, 4, 5}, c);
        oneDnn.sgemm(false, false, 2, 2, 0, 1f, MemorySegment.ofArray(new float[0]), 0, 1,
                MemorySegment.ofArray(new float[0]), 0, 2, 0.5f, out, 0, 2);
        assertArrayEquals(new float[] {0.5f, 1, 2, 2.5f}, c);
    }

    /** A staged call (heap C with wide rows, beta = 0) ignores C's NaNs and leaves the gaps between rows alone. */
    @Test
    void stagedCallIgnoresNaNAndKeepsTheGapsBetweenRows() {
        int m = 130, n = 129, k = 131, ldc = n + 3;
        assertTrue((long) m * n * k > OneDnnGemm.CRITICAL_MULTIPLY_ADDS);
        SplittableRandom random = new SplittableRandom(7);
        float[] a = NativeChecks.uniform(random, (long) m * k);
        float[] b = NativeChecks.uniform(random, (long) k * n);
        float[] expected = new float[m * ldc];
        NativeChecks.reference().sgemm(false, false, m, n, k, 1f, MemorySegment.ofArray(a), 0, k,
                MemorySegment.ofArray(b), 0, n, 0f, MemorySegment.ofArray(expected), 0, ldc);
        float[] c = new float[m * ldc];
        java.util.Arrays.fill(c, Float.NaN);
        for (int row = 0; row < m; row++) {
            for (int gap = n; gap < ldc; gap++) {
                c[row * ldc + gap] = -row;
                expected[row * ldc + gap] = -row;
            }
        }
        NativeChecks.oneDnn().sgemm(false, false, m, n, k, 1f, MemorySegment.ofArray(a), 0, k,
                MemorySegment.ofArray(b), 0, n, 0f, MemorySegment.ofArray(c), 0, ldc);
        NativeChecks.assertClose(expected, c, 1e-5, "staged sgemm");
    }

    /**
     * Long sgemm calls while a JFR recording samples the calling thread, in a fresh JVM on one OpenMP
     * thread. JFR's execution sampler signals threads it sees in Java state, and oneDNN's sgemm kernel
     * runs with its stack pointer in a malloc'd workspace: without {@link AsyncSignals}, a signal
     * taken there wrote its frame into the C heap, and this child aborted in 4 of 10 runs (within
     * seconds, with long critical downcalls). The test fails on a crash, a hang (60 s) or a wrong sum.
     */
    @Test
    void longCallsSurviveJfrSampling() throws IOException, InterruptedException {
        NativeChecks.oneDnn(); // skips with the reason when oneDNN is unavailable
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path recording = Files.createTempFile("isthmus-jfr-", ".jfr");
        try {
            Process process = new ProcessBuilder(java.toString(), "--add-modules", "jdk.incubator.vector",
                    "--enable-native-access=ALL-UNNAMED", "-Disthmus.threads=1",
                    "-XX:StartFlightRecording=settings=profile,filename=" + recording,
                    "-cp", System.getProperty("java.class.path"), LongCalls.class.getName())
                    .redirectErrorStream(true).start();
            boolean finished = process.waitFor(60, TimeUnit.SECONDS);
            if (!finished) {
                process.destroyForcibly().waitFor();
            }
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(finished, "the JVM hung:\n" + output);
            assertEquals(0, process.exitValue(), output);
            assertTrue(output.contains("long calls done"), output);
        } finally {
            Files.deleteIfExists(recording);
        }
    }

    /** Runs in the forked JVM: 512³ sgemm on fresh heap arrays for four seconds, checking one element. */
    static final class LongCalls {
        public static void main(String[] args) {
            Backend oneDnn = org.isthmus.kernels.Backends.get("onednn");
            int size = 512;
            long end = System.nanoTime() + 4_000_000_000L;
            int calls = 0;
            while (System.nanoTime() < end || calls < 3) {
                float[] a = new float[size * size];
                float[] b = new float[size * size];
                java.util.Arrays.fill(a, 1f);
                java.util.Arrays.fill(b, 0.5f);
                float[] c = new float[size * size];
                oneDnn.sgemm(false, calls % 2 == 1, size, size, size, 1f, MemorySegment.ofArray(a), 0, size,
                        MemorySegment.ofArray(b), 0, size, 0f, MemorySegment.ofArray(c), 0, size);
                if (c[calls % c.length] != size * 0.5f) {
                    throw new AssertionError("call " + calls + ": " + c[calls % c.length]);
                }
                calls++;
            }
            System.out.println("long calls done: " + calls);
        }
    }

    private static float[] run(Backend backend, Case c, float[] a, float[] b, float[] c0, int lda, int ldb, int ldc,
                               Arena arena) {
        MemorySegment out = NativeChecks.segment(c0, arena);
        backend.sgemm(c.transA, c.transB, c.m, c.n, c.k, c.alpha, NativeChecks.segment(a, arena), c.offset, lda,
                NativeChecks.segment(b, arena), c.offset, ldb, c.beta, out, c.offset, ldc);
        return NativeChecks.toArray(out);
    }
}
