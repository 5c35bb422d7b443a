package org.isthmus.ffi.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/** The signal mask oneDNN calls run under: asynchronous signals held back, synchronous ones deliverable, then the old mask back. */
class AsyncSignalsTest {

    private static final int SIGQUIT = 3;
    private static final int SIGILL = 4;
    private static final int SIGBUS = 7;
    private static final int SIGFPE = 8;
    private static final int SIGSEGV = 11;
    /** HotSpot's suspend signal, which JFR's execution sampler sends. */
    private static final int SIGUSR2 = 12;
    private static final int SIGPROF = 27;

    @Test
    void blocksAsynchronousSignalsOnlyUntilRestored() {
        boolean suspendSignalBlockedBefore = isBlocked(SIGUSR2);
        boolean profilingSignalBlockedBefore = isBlocked(SIGPROF);
        MemorySegment saved = AsyncSignals.block();
        try {
            assertTrue(isBlocked(SIGUSR2), "SIGUSR2");
            assertTrue(isBlocked(SIGPROF), "SIGPROF");
            assertTrue(isBlocked(SIGQUIT), "SIGQUIT");
            for (int synchronous : new int[] {SIGILL, SIGBUS, SIGFPE, SIGSEGV}) {
                assertFalse(isBlocked(synchronous), "signal " + synchronous);
            }
        } finally {
            AsyncSignals.restore(saved);
        }
        assertEquals(suspendSignalBlockedBefore, isBlocked(SIGUSR2));
        assertEquals(profilingSignalBlockedBefore, isBlocked(SIGPROF));
    }

    @Test
    void oneDnnCallsLeaveTheThreadsMaskAsTheyFoundIt() {
        org.isthmus.kernels.Backend oneDnn = NativeChecks.oneDnn();
        boolean before = isBlocked(SIGUSR2);
        int size = 200; // above the critical-downcall limit: the staged, plain downcall
        float[] a = new float[size * size];
        float[] b = new float[size * size];
        float[] c = new float[size * size];
        java.util.Arrays.fill(a, 1f);
        java.util.Arrays.fill(b, 2f);
        oneDnn.sgemm(false, false, size, size, size, 1f, MemorySegment.ofArray(a), 0, size, MemorySegment.ofArray(b), 0,
                size, 0f, MemorySegment.ofArray(c), 0, size);
        assertEquals(2f * size, c[size * size - 1]);
        oneDnn.sgemm(false, false, 4, 4, 4, 1f, MemorySegment.ofArray(a), 0, 4, MemorySegment.ofArray(b), 0, 4, 0f,
                MemorySegment.ofArray(c), 0, 4); // the critical downcall
        assertEquals(8f, c[15]);
        assertEquals(before, isBlocked(SIGUSR2));
    }

    /**
     * libgomp gives each thread that starts a parallel region its own workers, created inside that
     * first oneDNN call, named as it is (Linux's comm) and ended with it: so a fresh caller's
     * workers can be found in /proc while it lives, and must hold asynchronous signals blocked.
     */
    @Test
    void openMpWorkersStartedInsideACallKeepAsynchronousSignalsBlocked() throws Exception {
        org.isthmus.kernels.Backend oneDnn = NativeChecks.oneDnn();
        String openMp = OpenMp.describe();
        assumeTrue(openMp.startsWith("OpenMP") && !openMp.contains(" on 1 thread") && !openMp.contains("=1 thread"),
                "OpenMP starts no workers: " + openMp);
        String name = "omp-mask-probe";
        AtomicReference<String> callerTask = new AtomicReference<>();
        CountDownLatch called = new CountDownLatch(1);
        CountDownLatch inspected = new CountDownLatch(1);
        Thread caller = new Thread(() -> {
            int size = 512;
            float[] a = new float[size * size];
            oneDnn.sgemm(false, false, size, size, size, 1f, MemorySegment.ofArray(a), 0, size, MemorySegment.ofArray(a),
                    0, size, 0f, MemorySegment.ofArray(new float[size * size]), 0, size);
            try {
                callerTask.set(Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString());
                called.countDown();
                inspected.await(); // its workers end with it
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, name);
        caller.start();
        assertTrue(called.await(60, TimeUnit.SECONDS), "the sgemm did not return");
        List<Path> workers = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                if (!task.getFileName().toString().equals(callerTask.get())
                        && Files.readString(task.resolve("comm")).trim().equals(name)) {
                    workers.add(task);
                }
            }
        }
        List<Long> masks = new ArrayList<>();
        for (Path worker : workers) {
            masks.add(blockedSignals(worker));
        }
        inspected.countDown();
        caller.join();
        assertFalse(workers.isEmpty(), "no OpenMP worker named " + name + " in /proc/self/task");
        for (int i = 0; i < workers.size(); i++) {
            Path worker = workers.get(i);
            long blocked = masks.get(i);
            assertTrue((blocked >>> (SIGUSR2 - 1) & 1) != 0, worker + " takes SIGUSR2");
            assertTrue((blocked >>> (SIGPROF - 1) & 1) != 0, worker + " takes SIGPROF");
            assertTrue((blocked >>> (SIGQUIT - 1) & 1) != 0, worker + " takes SIGQUIT");
            assertEquals(0, blocked >>> (SIGSEGV - 1) & 1, worker + " blocks SIGSEGV");
        }
    }

    /** The SigBlk mask of a task, from its /proc status. */
    private static long blockedSignals(Path task) throws IOException {
        for (String line : Files.readAllLines(task.resolve("status"))) {
            if (line.startsWith("SigBlk:")) {
                return Long.parseUnsignedLong(line.substring("SigBlk:".length()).trim(), 16);
            }
        }
        throw new IllegalStateException("no SigBlk line in " + task.resolve("status"));
    }

    /** Whether {@code signal} is blocked on the calling thread, from its /proc status. */
    private static boolean isBlocked(int signal) {
        try {
            return (blockedSignals(Path.of("/proc/thread-self")) >>> (signal - 1) & 1) != 0;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
