package org.isthmus.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The library pool: every part runs once, failures surface, and callers never deadlock it. */
@Timeout(60)
class ParallelismTest {

    @Test
    void runsEveryPartExactlyOnce() {
        for (int parts : new int[] {0, 1, 2, 3, 17, 256}) {
            AtomicIntegerArray runs = new AtomicIntegerArray(Math.max(1, parts));
            Parallelism.run(parts, runs::incrementAndGet);
            for (int p = 0; p < parts; p++) {
                assertEquals(1, runs.get(p), "part " + p + " of " + parts);
            }
        }
    }

    @Test
    void rethrowsAPartsFailureAfterAllPartsFinished() {
        AtomicIntegerArray runs = new AtomicIntegerArray(8);
        IllegalStateException failure = new IllegalStateException("part 5 failed");
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> Parallelism.run(8, p -> {
            runs.incrementAndGet(p);
            if (p == 5) {
                throw failure;
            }
        }));
        assertSame(failure, thrown);
        for (int p = 0; p < 8; p++) {
            assertEquals(1, runs.get(p), "part " + p);
        }
    }

    @Test
    void partsMayRunParallelWorkThemselves() {
        AtomicIntegerArray runs = new AtomicIntegerArray(16);
        Parallelism.run(4, outer -> Parallelism.run(4, inner -> runs.incrementAndGet(outer * 4 + inner)));
        for (int i = 0; i < 16; i++) {
            assertEquals(1, runs.get(i));
        }
    }

    @Test
    void manyCallersAtOnceAllFinish() throws Exception {
        int callers = 16;
        List<Future<Integer>> sums = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(callers)) {
            for (int c = 0; c < callers; c++) {
                sums.add(pool.submit(() -> {
                    AtomicIntegerArray runs = new AtomicIntegerArray(64);
                    for (int round = 0; round < 200; round++) {
                        Parallelism.run(64, runs::incrementAndGet);
                    }
                    int total = 0;
                    for (int p = 0; p < 64; p++) {
                        total += runs.get(p);
                    }
                    return total;
                }));
            }
            for (Future<Integer> sum : sums) {
                assertEquals(64 * 200, sum.get());
            }
        }
    }
}
