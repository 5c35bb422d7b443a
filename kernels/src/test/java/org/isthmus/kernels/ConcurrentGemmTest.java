package org.isthmus.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Many threads calling sgemm at once, on different shapes, each get their own right answer. */
class ConcurrentGemmTest {

    static List<Backend> backends() {
        return GemmTest.backends();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void eightCallersAtOnce(Backend backend) throws Exception {
        int callers = 8;
        CyclicBarrier start = new CyclicBarrier(callers);
        List<Future<String>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(callers)) {
            for (int t = 0; t < callers; t++) {
                int size = 150 + 37 * t; // large enough to use the backend's own threads
                GemmCase gemm = GemmCase.plain(t % 2 == 0, t % 3 == 0, size, size + 5, size - 3, 1f, t % 2);
                results.add(pool.submit(() -> {
                    start.await();
                    double worst = 0;
                    for (int round = 0; round < 3; round++) {
                        worst = Math.max(worst, gemm.relativeError(backend, TestSeeds.forCase(gemm) + round));
                    }
                    return worst <= gemm.tolerance() ? null : gemm + ": relative error " + worst;
                }));
            }
            for (Future<String> result : results) {
                String failure = result.get();
                assertTrue(failure == null, () -> failure + " (seed " + TestSeeds.BASE + ")");
            }
        }
    }

    /** Memory of a confined arena may only be touched by its owner: the backend must not hand it to its pool. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void confinedMemoryStaysOnTheCallingThread(Backend backend) {
        try (Arena arena = Arena.ofConfined()) {
            int n = 300;
            var a = arena.allocate((long) n * n * Float.BYTES);
            var b = arena.allocate((long) n * n * Float.BYTES);
            var c = arena.allocate((long) n * n * Float.BYTES);
            for (long i = 0; i < (long) n * n; i++) {
                a.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, (i % 7) - 3);
                b.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, (i % 5) - 2);
            }
            var expected = arena.allocate(c.byteSize());
            Backends.get("scalar").sgemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, expected, 0, n);
            backend.sgemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
            // Small integers: every product and sum is exact in float32.
            assertTrue(c.mismatch(expected) == -1, "confined-memory result differs from the reference");
        }
    }
}
