package org.isthmus.kernels;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * The library's one thread pool, sized by {@code -Disthmus.threads} (default: every core).
 * Kernels split their output into parts and run them here; parts never wait on each other,
 * so callers on many threads at once cannot deadlock the pool.
 */
public final class Parallelism {

    private static final int THREADS = configuredThreads();
    private static final ForkJoinPool POOL = THREADS > 1 ? createPool(THREADS) : null;

    private Parallelism() {
    }

    /** How many threads a kernel may use. */
    public static int threads() {
        return THREADS;
    }

    /**
     * Runs {@code part.accept(p)} for p in [0, parts): part 0 in the calling thread, the rest in
     * the pool, and returns when all are done. An exception in any part is rethrown.
     */
    public static void run(int parts, IntConsumer part) {
        if (parts <= 1 || POOL == null) {
            for (int p = 0; p < parts; p++) {
                part.accept(p);
            }
            return;
        }
        Part[] forked = new Part[parts - 1];
        for (int p = 1; p < parts; p++) {
            forked[p - 1] = new Part(part, p);
            if (Thread.currentThread() instanceof ForkJoinWorkerThread worker && worker.getPool() == POOL) {
                forked[p - 1].fork();
            } else {
                POOL.execute(forked[p - 1]);
            }
        }
        Throwable failure = null;
        try {
            part.accept(0);
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        for (Part task : forked) {
            try {
                task.join();
            } catch (RuntimeException | Error e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
    }

    private static int configuredThreads() {
        String configured = System.getProperty("isthmus.threads");
        if (configured == null || configured.isBlank()) {
            return Runtime.getRuntime().availableProcessors();
        }
        try {
            int threads = Integer.parseInt(configured.trim());
            if (threads >= 1) {
                return threads;
            }
        } catch (NumberFormatException ignored) {
            // reported below with the value
        }
        throw new IllegalArgumentException("-Disthmus.threads must be a whole number >= 1, got '" + configured + "'");
    }

    private static ForkJoinPool createPool(int threads) {
        AtomicInteger counter = new AtomicInteger();
        ForkJoinPool.ForkJoinWorkerThreadFactory factory = pool -> {
            ForkJoinWorkerThread thread = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
            thread.setName("isthmus-worker-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
        // The calling thread runs one part itself, so the pool needs one thread fewer than cores.
        return new ForkJoinPool(threads - 1, factory, null, false);
    }

    private static final class Part extends RecursiveAction {
        private static final long serialVersionUID = 1L;

        private final transient IntConsumer body;
        private final int index;

        Part(IntConsumer body, int index) {
            this.body = body;
            this.index = index;
        }

        @Override
        protected void compute() {
            body.accept(index);
        }
    }
}
