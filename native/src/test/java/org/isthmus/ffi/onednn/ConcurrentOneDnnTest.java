package org.isthmus.ffi.onednn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.isthmus.kernels.Backend;
import org.isthmus.kernels.Conv2dShape;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * Eight threads calling the oneDNN backend at once, each on its own op and shape (so primitives are
 * created, cached and executed concurrently, each thread on its own stream and scratch), each
 * getting the reference's answer, three rounds each.
 */
class ConcurrentOneDnnTest {

    @Test
    void eightCallersAtOnce() throws Exception {
        Backend oneDnn = NativeChecks.oneDnn();
        int callers = 8;
        CyclicBarrier start = new CyclicBarrier(callers);
        List<Future<String>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(callers)) {
            for (int t = 0; t < callers; t++) {
                Function<Backend, float[]> op = op(t, NativeChecks.random("concurrent " + t));
                float[] expected = op.apply(NativeChecks.reference());
                int caller = t;
                results.add(pool.submit(() -> {
                    start.await();
                    for (int round = 0; round < 3; round++) {
                        float[] actual = op.apply(oneDnn);
                        double error = NativeChecks.relativeError(actual, expected);
                        if (!(error <= 2e-5)) {
                            return "caller " + caller + " round " + round + ": relative error " + error;
                        }
                    }
                    return null;
                }));
            }
            for (Future<String> result : results) {
                String failure = result.get();
                assertTrue(failure == null, () -> failure + " (seed " + NativeChecks.SEED + ")");
            }
        }
    }

    /** Caller t's op: sgemm, conv2d, softmax or layerNorm by t % 4, on a shape of its own. */
    private static Function<Backend, float[]> op(int t, SplittableRandom random) {
        return switch (t % 4) {
            case 0 -> {
                int m = 150 + 37 * t, n = m + 5, k = m - 3;
                float[] a = NativeChecks.uniform(random, (long) m * k);
                float[] b = NativeChecks.uniform(random, (long) k * n);
                yield backend -> {
                    MemorySegment c = MemorySegment.ofArray(new float[m * n]);
                    backend.sgemm(t % 8 == 0, false, m, n, k, 1f, MemorySegment.ofArray(a), 0, t % 8 == 0 ? m : k,
                            MemorySegment.ofArray(b), 0, n, 0f, c, 0, n);
                    return NativeChecks.toArray(c);
                };
            }
            case 1 -> {
                Conv2dShape s = new Conv2dShape(2, 3 + t, 12 + t, 11, 8 + t, 3, 3, 1, 1, 1, 1, 1, 1);
                float[] x = NativeChecks.uniform(random, s.inputSize());
                float[] w = NativeChecks.uniform(random, s.weightSize());
                yield backend -> {
                    MemorySegment y = MemorySegment.ofArray(new float[(int) s.outputSize()]);
                    backend.conv2d(s, MemorySegment.ofArray(x), MemorySegment.ofArray(w), null, y);
                    return NativeChecks.toArray(y);
                };
            }
            case 2 -> {
                int rows = 30 + t, cols = 257 + t;
                float[] x = NativeChecks.uniform(random, (long) rows * cols);
                yield backend -> {
                    MemorySegment y = MemorySegment.ofArray(new float[rows * cols]);
                    backend.softmax(MemorySegment.ofArray(x), y, rows, cols);
                    return NativeChecks.toArray(y);
                };
            }
            default -> {
                int rows = 20 + t, cols = 300 + t;
                float[] x = NativeChecks.uniform(random, (long) rows * cols);
                float[] gamma = NativeChecks.uniform(random, cols);
                yield backend -> {
                    MemorySegment y = MemorySegment.ofArray(new float[rows * cols]);
                    backend.layerNorm(MemorySegment.ofArray(x), MemorySegment.ofArray(gamma), null, y, null, null,
                            rows, cols, 1e-5f);
                    return NativeChecks.toArray(y);
                };
            }
        };
    }
}
