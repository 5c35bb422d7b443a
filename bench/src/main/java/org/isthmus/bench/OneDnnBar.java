package org.isthmus.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import org.isthmus.kernels.Backend;
import org.isthmus.kernels.Backends;
import org.isthmus.kernels.Conv2dShape;

/**
 * The Java side of {@code bench/src/main/c/onednn_reference.c}: the same shapes (and the same 4×4×4
 * sgemm for the cost of one downcall), timed the same way
 * (median of 7 samples of repeated calls, each sample at least 0.2 s), through Isthmus's {@code onednn}
 * backend, on native operands as the C program hands them (the bar's figure), and sgemm also on heap
 * operands: products above 128³ stage those through native scratch (a critical downcall may not run
 * that long), so that line adds the copies a heap-tensor user pays; OneDnnLayerBenchmark measures
 * the same for conv2d. bench/onednn-bar.sh alternates it with the C program, so each
 * Java/C ratio comes from neighbouring runs on this shared, noisy machine. Correctness is checked by
 * the native module's tests and by GemmBenchmark/OneDnnLayerBenchmark, not here.
 */
public final class OneDnnBar {

    private OneDnnBar() {
    }

    public static void main(String[] args) {
        Backend oneDnn = Backends.get("onednn");
        System.out.println(oneDnn.description());
        try (Arena arena = Arena.ofShared()) {
            for (int[] s : new int[][] {{512, 512, 512}, {1024, 1024, 1024}, {2048, 2048, 2048}, {128, 256, 784}}) {
                sgemm(oneDnn, arena, s[0], s[1], s[2]);
            }
            downcall(oneDnn, arena);
            conv(oneDnn, arena, new Conv2dShape(64, 1, 28, 28, 32, 3, 3, 1, 1, 1, 1, 1, 1));
            conv(oneDnn, arena, new Conv2dShape(64, 32, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1));
            conv(oneDnn, arena, new Conv2dShape(32, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1, 1, 1));
        }
    }

    private static void sgemm(Backend backend, Arena arena, int m, int n, int k) {
        SplittableRandom random = new SplittableRandom(1);
        float[] a = random(random, (long) m * k);
        float[] b = random(random, (long) k * n);
        double flops = 2.0 * m * n * k;
        MemorySegment aNative = offHeap(arena, a);
        MemorySegment bNative = offHeap(arena, b);
        MemorySegment cNative = arena.allocate((long) m * n * Float.BYTES, 64);
        double seconds = medianSeconds(() -> backend.sgemm(false, false, m, n, k, 1f, aNative, 0, k, bNative, 0, n, 0f,
                cNative, 0, n));
        MemorySegment aHeap = MemorySegment.ofArray(a);
        MemorySegment bHeap = MemorySegment.ofArray(b);
        MemorySegment cHeap = MemorySegment.ofArray(new float[m * n]);
        double heapSeconds = medianSeconds(() -> backend.sgemm(false, false, m, n, k, 1f, aHeap, 0, k, bHeap, 0, n, 0f,
                cHeap, 0, n));
        System.out.printf(Locale.ROOT, "sgemm %dx%dx%d NN: %.1f GFLOP/s (heap operands: %.1f)%n", m, n, k,
                flops / seconds * 1e-9, flops / heapSeconds * 1e-9);
    }

    /** One 4×4×4 sgemm through the backend: the cost of a downcall, its argument checks and signal mask. */
    private static void downcall(Backend backend, Arena arena) {
        SplittableRandom random = new SplittableRandom(3);
        float[] a = random(random, 16);
        float[] b = random(random, 16);
        MemorySegment aNative = offHeap(arena, a);
        MemorySegment bNative = offHeap(arena, b);
        MemorySegment cNative = arena.allocate(16 * Float.BYTES, 64);
        double seconds = medianSeconds(() -> backend.sgemm(false, false, 4, 4, 4, 1f, aNative, 0, 4, bNative, 0, 4, 0f,
                cNative, 0, 4));
        MemorySegment aHeap = MemorySegment.ofArray(a);
        MemorySegment bHeap = MemorySegment.ofArray(b);
        MemorySegment cHeap = MemorySegment.ofArray(new float[16]);
        double heapSeconds = medianSeconds(() -> backend.sgemm(false, false, 4, 4, 4, 1f, aHeap, 0, 4, bHeap, 0, 4, 0f,
                cHeap, 0, 4));
        System.out.printf(Locale.ROOT, "sgemm 4x4x4 NN: %.2f us a call (heap operands: %.2f us)%n", seconds * 1e6,
                heapSeconds * 1e6);
    }

    private static void conv(Backend backend, Arena arena, Conv2dShape s) {
        SplittableRandom random = new SplittableRandom(2);
        MemorySegment x = offHeap(arena, random(random, s.inputSize()));
        MemorySegment w = offHeap(arena, random(random, s.weightSize()));
        MemorySegment bias = offHeap(arena, random(random, s.outChannels()));
        MemorySegment y = arena.allocate(s.outputSize() * Float.BYTES, 64);
        double seconds = medianSeconds(() -> backend.conv2d(s, x, w, bias, y));
        double flops = 2.0 * s.outputSize() * s.inChannels() * s.kernelHeight() * s.kernelWidth();
        System.out.printf(Locale.ROOT, "conv N=%d,C=%d,%dx%d,K=%d,%dx%d,p%d: %.1f GFLOP/s%n", s.batch(), s.inChannels(),
                s.inHeight(), s.inWidth(), s.outChannels(), s.kernelHeight(), s.kernelWidth(), s.padH(),
                flops / seconds * 1e-9);
    }

    /** As the C program's TIME: double the repetitions until a sample lasts 0.2 s, then the median of 7 samples. */
    private static double medianSeconds(Runnable call) {
        int repetitions = 1;
        for (;;) {
            long start = System.nanoTime();
            for (int r = 0; r < repetitions; r++) {
                call.run();
            }
            if (System.nanoTime() - start > 200_000_000L) {
                break;
            }
            repetitions *= 2;
        }
        double[] samples = new double[7];
        for (int s = 0; s < samples.length; s++) {
            long start = System.nanoTime();
            for (int r = 0; r < repetitions; r++) {
                call.run();
            }
            samples[s] = (System.nanoTime() - start) * 1e-9 / repetitions;
        }
        Arrays.sort(samples);
        return samples[3];
    }

    private static float[] random(SplittableRandom random, long n) {
        float[] values = new float[Math.toIntExact(n)];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return values;
    }

    private static MemorySegment offHeap(Arena arena, float[] values) {
        MemorySegment segment = arena.allocate((long) values.length * Float.BYTES, 64);
        MemorySegment.copy(values, 0, segment, ValueLayout.JAVA_FLOAT, 0, values.length);
        return segment;
    }
}
