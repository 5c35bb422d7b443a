package org.isthmus.ffi.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

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
        boolean suspendSignalBlockedBefore = AsyncSignals.isBlocked(SIGUSR2);
        boolean profilingSignalBlockedBefore = AsyncSignals.isBlocked(SIGPROF);
        AsyncSignals.block();
        try {
            assertTrue(AsyncSignals.isBlocked(SIGUSR2), "SIGUSR2");
            assertTrue(AsyncSignals.isBlocked(SIGPROF), "SIGPROF");
            assertTrue(AsyncSignals.isBlocked(SIGQUIT), "SIGQUIT");
            for (int synchronous : new int[] {SIGILL, SIGBUS, SIGFPE, SIGSEGV}) {
                assertFalse(AsyncSignals.isBlocked(synchronous), "signal " + synchronous);
            }
        } finally {
            AsyncSignals.restore();
        }
        assertEquals(suspendSignalBlockedBefore, AsyncSignals.isBlocked(SIGUSR2));
        assertEquals(profilingSignalBlockedBefore, AsyncSignals.isBlocked(SIGPROF));
    }

    @Test
    void oneDnnCallsLeaveTheThreadsMaskAsTheyFoundIt() {
        org.isthmus.kernels.Backend oneDnn = NativeChecks.oneDnn();
        boolean before = AsyncSignals.isBlocked(SIGUSR2);
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
        assertEquals(before, AsyncSignals.isBlocked(SIGUSR2));
    }
}
