package org.isthmus.kernels;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The library's one thread pool: {@code -Disthmus.threads} threads in all (default: every core),
 * the calling thread and {@code threads − 1} daemon workers.
 *
 * <p>A kernel splits its output into parts; every participant, the caller included, claims the
 * next unclaimed part until none is left. So a call never waits for a part nobody has started,
 * and many callers at once (or a part that itself calls {@link #run}) cannot deadlock the pool.
 * A worker that runs out of work keeps looking for about {@value #SPIN_MICROS} µs before it
 * sleeps: kernels come in quick succession, and waking a sleeping thread costs tens of µs.
 */
public final class Parallelism {

    static final long SPIN_MICROS = 100;
    private static final int THREADS = configuredThreads();
    private static final ConcurrentLinkedQueue<Job> JOBS = new ConcurrentLinkedQueue<>();
    private static final Worker[] WORKERS = startWorkers(THREADS - 1);

    private Parallelism() {
    }

    /** How many threads a kernel may use. */
    public static int threads() {
        return THREADS;
    }

    /**
     * Runs {@code part.accept(p)} for every p in [0, parts), spread over the pool and the calling
     * thread, and returns when all are done. The first exception thrown by a part is rethrown
     * (the others are added to it as suppressed) once every part has finished.
     */
    public static void run(int parts, IntConsumer part) {
        if (parts <= 1 || WORKERS.length == 0) {
            for (int p = 0; p < parts; p++) {
                part.accept(p);
            }
            return;
        }
        Job job = new Job(parts, part, Thread.currentThread());
        JOBS.offer(job);
        int helpers = Math.min(parts - 1, WORKERS.length);
        for (Worker worker : WORKERS) {
            if (helpers-- == 0) {
                break;
            }
            worker.wake();
        }
        job.work();
        JOBS.remove(job);
        job.awaitCompletion();
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

    private static Worker[] startWorkers(int count) {
        Worker[] workers = new Worker[count];
        for (int i = 0; i < count; i++) {
            workers[i] = new Worker();
            Thread thread = Thread.ofPlatform().daemon().name("isthmus-worker-" + (i + 1)).unstarted(workers[i]);
            workers[i].thread = thread;
            thread.start();
        }
        return workers;
    }

    /** One call of {@link #run}: its parts, claimed one at a time by whoever comes. */
    private static final class Job {
        private final int parts;
        private final IntConsumer body;
        private final Thread caller;
        private final AtomicInteger nextPart = new AtomicInteger();
        private final AtomicInteger finishedParts = new AtomicInteger();
        private volatile Throwable failure;

        Job(int parts, IntConsumer body, Thread caller) {
            this.parts = parts;
            this.body = body;
            this.caller = caller;
        }

        boolean exhausted() {
            return nextPart.get() >= parts;
        }

        void work() {
            for (int p = nextPart.getAndIncrement(); p < parts; p = nextPart.getAndIncrement()) {
                try {
                    body.accept(p);
                } catch (RuntimeException | Error e) {
                    record(e);
                } finally {
                    if (finishedParts.incrementAndGet() == parts) {
                        LockSupport.unpark(caller);
                    }
                }
            }
        }

        private synchronized void record(Throwable e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }

        void awaitCompletion() {
            long spinUntil = System.nanoTime() + TimeUnit.MICROSECONDS.toNanos(SPIN_MICROS);
            while (finishedParts.get() < parts) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            Throwable thrown = failure;
            if (thrown instanceof RuntimeException e) {
                throw e;
            }
            if (thrown instanceof Error e) {
                throw e;
            }
        }
    }

    /** A pool thread: works on queued jobs, spins a little when there are none, then sleeps. */
    private static final class Worker implements Runnable {
        private Thread thread;
        private volatile boolean sleeping;

        void wake() {
            if (sleeping) {
                LockSupport.unpark(thread);
            }
        }

        @Override
        public void run() {
            long idleSince = System.nanoTime();
            long spinNanos = TimeUnit.MICROSECONDS.toNanos(SPIN_MICROS);
            while (true) {
                Job job = JOBS.peek();
                if (job != null) {
                    if (job.exhausted()) {
                        JOBS.remove(job);
                    } else {
                        job.work();
                    }
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince < spinNanos) {
                    Thread.onSpinWait();
                } else {
                    sleeping = true;
                    // Checked again after announcing sleep: a job queued in between is not missed.
                    if (JOBS.isEmpty()) {
                        LockSupport.park(this);
                    }
                    sleeping = false;
                    idleSince = System.nanoTime();
                }
            }
        }
    }
}
