package org.isthmus.bench;

import java.lang.foreign.MemorySegment;
import org.isthmus.kernels.Parallelism;

/**
 * The bandwidth ceiling the memory-bound benchmarks show their kernels next to: a copy of the
 * same floats split over the library pool's {@code -Disthmus.threads} threads, as the kernels are.
 */
final class ThreadedCopy {

    private ThreadedCopy() {
    }

    /** Elements [from, to) of a copy. */
    @FunctionalInterface
    interface Range {
        void run(int from, int to);
    }

    /** {@code floats} floats of {@code from} into {@code to} with the JVM's intrinsic bulk copy, heap or native. */
    static void copy(MemorySegment from, MemorySegment to, int floats) {
        overThreads(floats, (start, end) -> MemorySegment.copy(from, (long) start * Float.BYTES, to,
                (long) start * Float.BYTES, (long) (end - start) * Float.BYTES));
    }

    /** Runs range over [0, size) cut into one equal slice per thread of the library pool. */
    static void overThreads(int size, Range range) {
        int threads = Parallelism.threads();
        if (threads == 1) {
            range.run(0, size);
            return;
        }
        Parallelism.run(threads, p -> range.run((int) ((long) size * p / threads),
                (int) ((long) size * (p + 1) / threads)));
    }
}
