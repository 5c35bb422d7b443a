package org.isthmus.cli;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.isthmus.kernels.Backend;

/**
 * A short look at sgemm speed on this machine: median GFLOP/s of repeated square products after
 * a warm-up. A quick indication only; the JMH suite in bench/ measures properly, with OpenBLAS
 * in the same run.
 */
final class GemmTiming {

    private static final long WARM_UP_NANOS = 1_500_000_000L;
    private static final long MEASURE_NANOS = 3_000_000_000L;
    private static final int MOST_RUNS = 15;

    private GemmTiming() {
    }

    static void run(Backend backend, int[] sizes, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (int n : sizes) {
            MemorySegment a = MemorySegment.ofArray(GemmCheck.randomArray(n * n, random));
            MemorySegment b = MemorySegment.ofArray(GemmCheck.randomArray(n * n, random));
            MemorySegment c = MemorySegment.ofArray(new float[n * n]);
            Runnable multiply = () -> backend.sgemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
            long warmUpEnd = System.nanoTime() + WARM_UP_NANOS;
            do {
                multiply.run();
            } while (System.nanoTime() < warmUpEnd);
            double[] gflops = new double[MOST_RUNS];
            int runs = 0;
            long measureEnd = System.nanoTime() + MEASURE_NANOS;
            do {
                long start = System.nanoTime();
                multiply.run();
                gflops[runs++] = 2.0 * n * n * n / (System.nanoTime() - start);
            } while (runs < MOST_RUNS && System.nanoTime() < measureEnd);
            Arrays.sort(gflops, 0, runs);
            System.out.printf("  %s sgemm %4d x %4d x %4d: %6.1f GFLOP/s (median of %d)%n",
                    backend.name(), n, n, n, gflops[runs / 2], runs);
            if (runs < 3) {
                System.out.println("  (larger sizes skipped: too slow on this backend)");
                return;
            }
        }
    }
}
