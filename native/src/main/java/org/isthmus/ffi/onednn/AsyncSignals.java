package org.isthmus.ffi.onednn;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Blocks asynchronous signals on the calling thread while oneDNN computes.
 *
 * <p>oneDNN's JIT sgemm kernel (the AVX "nocopy" driver) runs with the stack pointer moved into a
 * workspace it allocates with malloc; primitive executions are masked too, as they may reach the
 * same code. A signal delivered
 * then has its frame, and its handler's frames, written below that pointer: into the C heap. In a
 * JVM, JFR's execution sampler sends HotSpot's suspend signal to threads it finds in Java state; a
 * thread inside a critical downcall, or one that entered a plain downcall between the check and the
 * signal, takes it inside the kernel, and glibc later aborts on the corrupted heap ("corrupted size
 * vs. prev_size") or HotSpot crashes walking a table that was overwritten. A C program whose signal
 * handler touches 2 KB of stack corrupts its heap the same way (bench/NOTES.md, "oneDNN under JFR",
 * has the evidence). Blocked, the signal waits until the call returns: HotSpot's
 * suspend protocol gives up after its short timeout and ignores the late signal, so JFR loses one
 * sample. Synchronous signals (SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV, SIGSYS) stay deliverable:
 * a thread that faults with them blocked is killed, and HotSpot needs SIGSEGV. OpenMP's worker
 * threads, created inside the first oneDNN call, inherit the blocked mask and so never take
 * asynchronous signals either.
 *
 * <p>Not re-entrant: oneDNN calls do not nest, so each thread keeps one saved mask.
 */
final class AsyncSignals {

    /** glibc's sigset_t. */
    private static final long SIGSET_BYTES = 128;
    private static final int SIG_BLOCK = 0;
    private static final int SIG_SETMASK = 2;
    /** Linux x86-64 numbers of SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV and SIGSYS. */
    private static final int[] SYNCHRONOUS = {4, 5, 7, 8, 11, 31};

    private static final MethodHandle PTHREAD_SIGMASK;
    /** Every signal but the synchronous ones. */
    private static final MemorySegment ASYNCHRONOUS;
    /** Each thread's mask from before its current oneDNN call. */
    private static final ThreadLocal<MemorySegment> SAVED =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(SIGSET_BYTES, Long.BYTES));

    static {
        Linker linker = Linker.nativeLinker();
        SymbolLookup libc = linker.defaultLookup();
        PTHREAD_SIGMASK = linker.downcallHandle(libc.findOrThrow("pthread_sigmask"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS),
                Linker.Option.critical(false));
        MethodHandle sigfillset = linker.downcallHandle(libc.findOrThrow("sigfillset"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        MethodHandle sigdelset = linker.downcallHandle(libc.findOrThrow("sigdelset"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        ASYNCHRONOUS = Arena.global().allocate(SIGSET_BYTES, Long.BYTES);
        try {
            check((int) sigfillset.invokeExact(ASYNCHRONOUS), "sigfillset");
            for (int signal : SYNCHRONOUS) {
                check((int) sigdelset.invokeExact(ASYNCHRONOUS, signal), "sigdelset");
            }
        } catch (Throwable e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private AsyncSignals() {
    }

    /** Blocks asynchronous signals on this thread; returns the mask it found, for {@link #restore}. */
    static MemorySegment block() {
        MemorySegment saved = SAVED.get();
        mask(SIG_BLOCK, ASYNCHRONOUS, saved);
        return saved;
    }

    /** Puts back the mask {@link #block()} returned; pending signals are delivered now. */
    static void restore(MemorySegment saved) {
        mask(SIG_SETMASK, saved, MemorySegment.NULL);
    }

    private static void mask(int how, MemorySegment set, MemorySegment previous) {
        int status;
        try {
            status = (int) PTHREAD_SIGMASK.invokeExact(how, set, previous);
        } catch (Throwable e) {
            throw new IllegalStateException("pthread_sigmask downcall failed", e);
        }
        if (status != 0) {
            throw new IllegalStateException("pthread_sigmask failed with error " + status);
        }
    }

    private static void check(int status, String function) {
        if (status != 0) {
            throw new IllegalStateException(function + " failed");
        }
    }
}
