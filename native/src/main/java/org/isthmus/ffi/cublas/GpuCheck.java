package org.isthmus.ffi.cublas;

import org.isthmus.kernels.Backend;
import org.isthmus.kernels.BackendUnavailableException;
import org.isthmus.kernels.Backends;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The proof on a machine with a GPU, run by {@code native/gpu-check.sh}: cross-checks cublas against
 * scalar and vector on odd shapes and every transpose, then measures sgemm at the given sizes
 * (default 1024, 4096, 8192) in GFLOP/s (2·n³ flops per call, median of the repetitions) two ways:
 * from and to heap arrays (transfers included) and on device buffers (transfers excluded, timed with
 * CUDA events), and the crossover against vector with transfers included. Exits 1 when a check fails,
 * 2 when no GPU is usable. Lines starting with {@code RESULT} are for the script.
 */
public final class GpuCheck {

    private static final double TOLERANCE = 1e-5;

    private GpuCheck() {
    }

    public static void main(String[] args) {
        List<Integer> sizes = args.length == 0 ? List.of(1024, 4096, 8192)
                : Arrays.stream(args).map(Integer::parseInt).toList();
        System.out.println(Backends.describe());
        CublasBackend cublas;
        try {
            cublas = (CublasBackend) Backends.get(CublasBackend.NAME);
        } catch (BackendUnavailableException e) {
            System.out.println("RESULT unavailable " + e.getMessage());
            System.exit(2);
            return;
        }
        Backend scalar = Backends.get("scalar");
        Backend vector = Backends.get("vector");
        int failures = crossCheck(cublas, scalar, vector);
        System.out.println("RESULT cross-check failures=" + failures);
        for (int n : sizes) {
            benchmark(cublas, n);
        }
        crossover(cublas, vector, sizes.stream().mapToInt(Integer::intValue).max().orElse(1024));
        System.exit(failures == 0 ? 0 : 1);
    }

    private static int crossCheck(Backend cublas, Backend scalar, Backend vector) {
        int[][] shapes = {{1, 1, 1}, {1, 33, 7}, {17, 15, 16}, {207, 33, 129}, {513, 257, 1031}};
        float[][] scalars = {{1f, 0f}, {0.5f, -1.5f}};
        int failures = 0;
        int cases = 0;
        for (boolean transA : new boolean[] {false, true}) {
            for (boolean transB : new boolean[] {false, true}) {
                for (int[] shape : shapes) {
                    for (float[] s : scalars) {
                        for (boolean nativeMemory : new boolean[] {false, true}) {
                            int m = shape[0];
                            int n = shape[1];
                            int k = shape[2];
                            int lda = (transA ? m : k) + 1;
                            int ldb = (transB ? k : n) + 2;
                            int ldc = n + 3;
                            SplittableRandom random = new SplittableRandom(31L * cases + 7);
                            float[] a = uniform(random, (long) (transA ? k : m) * lda);
                            float[] b = uniform(random, (long) (transB ? n : k) * ldb);
                            float[] c = uniform(random, (long) m * ldc);
                            if (s[1] == 0f) {
                                c[0] = Float.NaN;
                            }
                            float[] reference = run(scalar, transA, transB, m, n, k, s[0], a, lda, b, ldb, s[1], c, ldc, false);
                            double gpuError = relativeError(run(cublas, transA, transB, m, n, k, s[0], a, lda, b, ldb,
                                    s[1], c, ldc, nativeMemory), reference);
                            double vectorError = relativeError(run(vector, transA, transB, m, n, k, s[0], a, lda, b,
                                    ldb, s[1], c, ldc, nativeMemory), reference);
                            boolean ok = gpuError <= TOLERANCE && vectorError <= TOLERANCE;
                            failures += ok ? 0 : 1;
                            cases++;
                            System.out.printf(Locale.ROOT, "%s transA=%-5b transB=%-5b m=%-4d n=%-4d k=%-4d alpha=%-4s beta=%-4s %-6s "
                                            + "cublas err %.1e, vector err %.1e%n", ok ? "ok  " : "FAIL", transA, transB,
                                    m, n, k, s[0], s[1], nativeMemory ? "native" : "heap", gpuError, vectorError);
                        }
                    }
                }
            }
        }
        System.out.println(cases + " cases, " + failures + " failed (tolerance " + TOLERANCE + " of the output's scale)");
        return failures;
    }

    private static void benchmark(CublasBackend cublas, int n) {
        int repetitions = n >= 8192 ? 5 : 10;
        double flops = 2.0 * n * n * n;
        SplittableRandom random = new SplittableRandom(n);
        float[] a = uniform(random, (long) n * n);
        float[] b = uniform(random, (long) n * n);
        MemorySegment heapA = MemorySegment.ofArray(a);
        MemorySegment heapB = MemorySegment.ofArray(b);
        MemorySegment heapC = MemorySegment.ofArray(new float[n * n]);
        double[] withTransfers = new double[repetitions];
        for (int i = -2; i < repetitions; i++) {
            long start = System.nanoTime();
            cublas.sgemm(false, false, n, n, n, 1f, heapA, 0, n, heapB, 0, n, 0f, heapC, 0, n);
            if (i >= 0) {
                withTransfers[i] = (System.nanoTime() - start) / 1e6;
            }
        }
        double[] onDevice = new double[repetitions];
        try (DeviceBuffer da = cublas.allocate((long) n * n); DeviceBuffer db = cublas.allocate((long) n * n);
             DeviceBuffer dc = cublas.allocate((long) n * n)) {
            da.upload(heapA, 0, 0, (long) n * n);
            db.upload(heapB, 0, 0, (long) n * n);
            for (int i = -2; i < repetitions; i++) {
                float millis = cublas.deviceMillis(() -> cublas.sgemmOnDevice(false, false, n, n, n, 1f, da, 0, n, db,
                        0, n, 0f, dc, 0, n));
                if (i >= 0) {
                    onDevice[i] = millis;
                }
            }
        }
        double including = flops / median(withTransfers) / 1e6;
        double excluding = flops / median(onDevice) / 1e6;
        System.out.printf(Locale.ROOT, "RESULT sgemm n=%d including-transfers GFLOP/s=%.1f (median %.2f ms) "
                        + "device-resident GFLOP/s=%.1f (median %.3f ms)%n", n, including, median(withTransfers),
                excluding, median(onDevice));
    }

    /**
     * The crossover against vector, transfers included: the smallest square n (powers of two and
     * halfway, up to 1024 or the largest size asked for) from which cublas is faster at every larger n
     * measured too. A first pass over every size warms both up (JIT, buffers) and is not counted.
     */
    private static void crossover(CublasBackend cublas, Backend vector, int largest) {
        int limit = Math.min(1024, largest);
        int[] sizes = Arrays.stream(new int[] {32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024})
                .filter(n -> n <= limit).toArray();
        for (int n : sizes) {
            medianMillis(cublas, n);
            medianMillis(vector, n);
        }
        boolean[] gpuFaster = new boolean[sizes.length];
        for (int i = 0; i < sizes.length; i++) {
            double gpu = medianMillis(cublas, sizes[i]);
            double cpu = medianMillis(vector, sizes[i]);
            gpuFaster[i] = gpu < cpu;
            System.out.printf(Locale.ROOT, "n=%-5d cublas (transfers included) %.3f ms, vector %.3f ms%n", sizes[i], gpu,
                    cpu);
        }
        int found = -1;
        for (int i = sizes.length - 1; i >= 0 && gpuFaster[i]; i--) {
            found = sizes[i];
        }
        System.out.println(found < 0 ? "RESULT crossover none up to n=" + limit
                : "RESULT crossover n=" + found + " m*n*k=" + (long) found * found * found);
    }

    private static double medianMillis(Backend backend, int n) {
        SplittableRandom random = new SplittableRandom(n);
        MemorySegment a = MemorySegment.ofArray(uniform(random, (long) n * n));
        MemorySegment b = MemorySegment.ofArray(uniform(random, (long) n * n));
        MemorySegment c = MemorySegment.ofArray(new float[n * n]);
        double[] times = new double[15];
        for (int i = -5; i < times.length; i++) {
            long start = System.nanoTime();
            backend.sgemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
            if (i >= 0) {
                times[i] = (System.nanoTime() - start) / 1e6;
            }
        }
        return median(times);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static float[] run(Backend backend, boolean transA, boolean transB, int m, int n, int k, float alpha,
                               float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc,
                               boolean nativeMemory) {
        try (Arena arena = Arena.ofConfined()) {
            List<MemorySegment> segments = new ArrayList<>();
            for (float[] values : new float[][] {a, b, c}) {
                if (nativeMemory) {
                    MemorySegment copy = arena.allocate((long) values.length * Float.BYTES, 64);
                    MemorySegment.copy(values, 0, copy, ValueLayout.JAVA_FLOAT, 0, values.length);
                    segments.add(copy);
                } else {
                    segments.add(MemorySegment.ofArray(values.clone()));
                }
            }
            backend.sgemm(transA, transB, m, n, k, alpha, segments.get(0), 0, lda, segments.get(1), 0, ldb, beta,
                    segments.get(2), 0, ldc);
            return segments.get(2).toArray(ValueLayout.JAVA_FLOAT);
        }
    }

    static float[] uniform(SplittableRandom random, long n) {
        float[] values = new float[Math.toIntExact(n)];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextDouble(-1, 1);
        }
        return values;
    }

    /** max |a − e| / max |e| over the elements (NaN in one and not the other: infinite); also the tests' measure. */
    static double relativeError(float[] actual, float[] expected) {
        double worst = 0;
        double scale = 1e-30;
        for (int i = 0; i < expected.length; i++) {
            if (Float.isNaN(actual[i]) != Float.isNaN(expected[i])) {
                return Double.POSITIVE_INFINITY;
            }
            if (!Float.isNaN(expected[i])) {
                scale = Math.max(scale, Math.abs(expected[i]));
                worst = Math.max(worst, Math.abs((double) actual[i] - expected[i]));
            }
        }
        return worst / scale;
    }
}
