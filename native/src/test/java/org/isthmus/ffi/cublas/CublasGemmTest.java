package org.isthmus.ffi.cublas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.isthmus.kernels.Backend;
import org.isthmus.kernels.Backends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * cuBLAS against the reference (scalar) on a GPU; skipped with the reason elsewhere. Tolerance 1e-5
 * of the output's scale: FP32 accumulation (CUBLAS_DEFAULT_MATH, TF32 off) over k ≤ 300 terms of size ≤ 1,
 * as for oneDNN. Run with -Disthmus.cublas.tf32=true these would fail: TF32 keeps 10 mantissa bits.
 */
class CublasGemmTest {

    static List<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        int[][] shapes = {{1, 1, 1}, {1, 17, 5}, {31, 1, 7}, {15, 16, 17}, {207, 33, 129}, {64, 257, 300}};
        float[][] scalars = {{1f, 0f}, {-0.5f, 1.5f}};
        for (boolean transA : new boolean[] {false, true}) {
            for (boolean transB : new boolean[] {false, true}) {
                for (int[] shape : shapes) {
                    for (float[] s : scalars) {
                        for (boolean nativeMemory : new boolean[] {false, true}) {
                            cases.add(Arguments.of(transA, transB, shape[0], shape[1], shape[2], s[0], s[1], nativeMemory));
                        }
                    }
                }
            }
        }
        return cases;
    }

    @ParameterizedTest(name = "transA={0} transB={1} m={2} n={3} k={4} alpha={5} beta={6} native={7}")
    @MethodSource("cases")
    void matchesTheReference(boolean transA, boolean transB, int m, int n, int k, float alpha, float beta,
                             boolean nativeMemory) {
        CublasBackend cublas = GpuChecks.cublas();
        int pad = m % 3;
        int lda = (transA ? m : k) + pad;
        int ldb = (transB ? k : n) + pad;
        int ldc = n + pad;
        long offset = 5;
        SplittableRandom random = GpuChecks.random(List.of(transA, transB, m, n, k, alpha, beta, nativeMemory));
        float[] a = GpuChecks.uniform(random, offset + (long) (transA ? k : m) * lda);
        float[] b = GpuChecks.uniform(random, offset + (long) (transB ? n : k) * ldb);
        float[] c = GpuChecks.uniform(random, offset + (long) m * ldc);
        if (beta == 0f) {
            c[(int) offset] = Float.NaN; // BLAS: beta = 0 ignores C's old contents, NaN included
        }
        float[] expected = run(Backends.get("scalar"), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
                offset, false);
        float[] actual = run(cublas, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, offset,
                nativeMemory);
        GpuChecks.assertClose(expected, actual, 1e-5, "cublas");
        for (int i = 0; i < offset; i++) {
            assertEquals(c[i], actual[i], "before the offset");
        }
        for (int row = 0; row < m; row++) {
            for (int col = n; col < ldc; col++) {
                int i = (int) offset + row * ldc + col;
                assertEquals(c[i], actual[i], "padding of C at " + i);
            }
        }
    }

    @Test
    void vectorAgreesToo() {
        CublasBackend cublas = GpuChecks.cublas();
        SplittableRandom random = GpuChecks.random("vector");
        float[] a = GpuChecks.uniform(random, 129 * 257);
        float[] b = GpuChecks.uniform(random, 257 * 67);
        float[] c = new float[129 * 67];
        float[] onGpu = run(cublas, false, false, 129, 67, 257, 1f, a, 257, b, 67, 0f, c, 67, 0, false);
        Backend vector;
        try {
            vector = Backends.get("vector");
        } catch (org.isthmus.kernels.BackendUnavailableException e) {
            assumeTrue(false, e.getMessage());
            return;
        }
        float[] onVector = run(vector, false, false, 129, 67, 257, 1f, a, 257, b, 67, 0f, c, 67, 0,
                false);
        GpuChecks.assertClose(onVector, onGpu, 1e-5, "cublas vs vector");
    }

    @Test
    void operandsLargerThanOneStagingChunkArriveWhole() {
        CublasBackend cublas = GpuChecks.cublas();
        int m = 2;
        int k = 1031;
        int n = 3 * (int) (CublasGemm.STAGING_CHUNK / Float.BYTES / k) + 7; // B spans three chunks and a bit
        SplittableRandom random = GpuChecks.random("chunks");
        float[] a = GpuChecks.uniform(random, (long) m * k);
        float[] b = GpuChecks.uniform(random, (long) k * n);
        float[] c = GpuChecks.uniform(random, (long) m * n);
        float[] expected = run(Backends.get("scalar"), false, false, m, n, k, 1f, a, k, b, n, 1f, c, n, 0, false);
        float[] actual = run(cublas, false, false, m, n, k, 1f, a, k, b, n, 1f, c, n, 0, false);
        // k = 1031 terms of size ≤ 1 in FP32: 1e-5 of the scale still holds (errors grow like √k).
        GpuChecks.assertClose(expected, actual, 1e-5, "chunked upload");
    }

    @Test
    void stridedBatchedMatchesOneCallPerMatrix() {
        CublasBackend cublas = GpuChecks.cublas();
        int m = 13;
        int n = 9;
        int k = 21;
        int batch = 7;
        SplittableRandom random = GpuChecks.random("batched");
        float[] a = GpuChecks.uniform(random, (long) batch * m * k);
        float[] b = GpuChecks.uniform(random, (long) k * n); // stride 0: one B shared by every product
        float[] c = GpuChecks.uniform(random, (long) batch * m * n + 3);
        float[] expected = c.clone();
        Backend reference = Backends.get("scalar");
        for (int i = 0; i < batch; i++) {
            reference.sgemm(false, true, m, n, k, 2f, MemorySegment.ofArray(a), (long) i * m * k, k,
                    MemorySegment.ofArray(transpose(b, k, n)), 0, k, 0.5f, MemorySegment.ofArray(expected),
                    (long) i * m * n, n);
        }
        MemorySegment actual = MemorySegment.ofArray(c.clone());
        cublas.sgemmStridedBatched(false, true, m, n, k, 2f, MemorySegment.ofArray(a), 0, k, (long) m * k,
                MemorySegment.ofArray(transpose(b, k, n)), 0, k, 0, 0.5f, actual, 0, n, (long) m * n, batch);
        GpuChecks.assertClose(expected, GpuChecks.toArray(actual), 1e-5, "strided batched");
        assertThrows(IllegalArgumentException.class, () -> cublas.sgemmStridedBatched(false, false, m, n, k, 1f,
                MemorySegment.ofArray(a), 0, k, (long) m * k, MemorySegment.ofArray(b), 0, n, 0, 0f, actual, 0, n,
                (long) m * n - 1, batch), "overlapping outputs");
    }

    @Test
    void deviceResidentSgemmMatchesTheReference() {
        CublasBackend cublas = GpuChecks.cublas();
        int n = 97;
        SplittableRandom random = GpuChecks.random("device");
        float[] a = GpuChecks.uniform(random, n * n);
        float[] b = GpuChecks.uniform(random, n * n);
        float[] expected = run(Backends.get("scalar"), true, false, n, n, n, 1f, a, n, b, n, 0f, new float[n * n], n, 0,
                false);
        MemorySegment result = MemorySegment.ofArray(new float[n * n]);
        try (DeviceBuffer da = cublas.allocate(n * n); DeviceBuffer db = cublas.allocate(n * n);
             DeviceBuffer dc = cublas.allocate(n * n)) {
            da.upload(MemorySegment.ofArray(a), 0, 0, n * n);
            db.upload(MemorySegment.ofArray(b), 0, 0, n * n);
            float millis = cublas.deviceMillis(() -> cublas.sgemmOnDevice(true, false, n, n, n, 1f, da, 0, n, db, 0, n,
                    0f, dc, 0, n));
            assertTrue(millis >= 0, "event time " + millis);
            dc.download(0, result, 0, n * n);
        }
        GpuChecks.assertClose(expected, GpuChecks.toArray(result), 1e-5, "device-resident");
    }

    @Test
    void eightThreadsAtOnceEachGetTheirOwnHandleAndBuffers() throws Exception {
        CublasBackend cublas = GpuChecks.cublas();
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<?>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int size = 40 + 13 * t;
                results.add(pool.submit(() -> {
                    SplittableRandom random = GpuChecks.random("thread" + size);
                    float[] a = GpuChecks.uniform(random, size * size);
                    float[] b = GpuChecks.uniform(random, size * size);
                    for (int repeat = 0; repeat < 5; repeat++) {
                        float[] expected = run(Backends.get("scalar"), false, false, size, size, size, 1f, a, size, b,
                                size, 0f, new float[size * size], size, 0, false);
                        float[] actual = run(cublas, false, false, size, size, size, 1f, a, size, b, size, 0f,
                                new float[size * size], size, 0, false);
                        GpuChecks.assertClose(expected, actual, 1e-5, "thread with n=" + size);
                    }
                    return null;
                }));
            }
            for (Future<?> result : results) {
                result.get();
            }
        }
    }

    @Test
    void autoIsTheGpuCrossoverWhenAGpuIsUsable() {
        GpuChecks.cublas();
        assertEquals(GpuCrossoverBackend.NAME, Backends.get("auto").name());
    }

    private static float[] transpose(float[] matrix, int rows, int cols) {
        float[] transposed = new float[matrix.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                transposed[c * rows + r] = matrix[r * cols + c];
            }
        }
        return transposed;
    }

    private static float[] run(Backend backend, boolean transA, boolean transB, int m, int n, int k, float alpha,
                               float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc, long offset,
                               boolean nativeMemory) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = segment(a, nativeMemory ? arena : null);
            MemorySegment sb = segment(b, nativeMemory ? arena : null);
            MemorySegment sc = segment(c, nativeMemory ? arena : null);
            long aOffset = a.length - (long) (transA ? k : m) * lda;
            long bOffset = b.length - (long) (transB ? n : k) * ldb;
            backend.sgemm(transA, transB, m, n, k, alpha, sa, aOffset, lda, sb, bOffset, ldb, beta, sc, offset, ldc);
            return GpuChecks.toArray(sc);
        }
    }

    private static MemorySegment segment(float[] values, Arena arena) {
        if (arena == null) {
            return MemorySegment.ofArray(values.clone());
        }
        MemorySegment copy = arena.allocate((long) values.length * Float.BYTES, 64);
        MemorySegment.copy(values, 0, copy, ValueLayout.JAVA_FLOAT, 0, values.length);
        return copy;
    }
}
