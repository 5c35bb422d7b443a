package org.isthmus.ffi.onednn;

import org.isthmus.ffi.onednn.OneDnn.Slot;
import org.isthmus.ffi.onednn.bindings.dnnl_h;
import org.isthmus.kernels.GemmKernel;

import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * sgemm through {@code dnnl_sgemm} (row-major, BLAS semantics), one downcall per call, with
 * asynchronous signals blocked on the calling thread for its duration ({@link AsyncSignals} says why).
 *
 * <p>Short calls (up to {@value #CRITICAL_MULTIPLY_ADDS} multiply-adds, tens of microseconds) are
 * critical downcalls: heap segments go in place, zero-copy, and the call skips the thread-state
 * transition, which is most of a small call's cost. Longer calls must not be critical: the JDK
 * allows it only for functions "with an extremely short running time", since a thread in a critical
 * call holds off every safepoint, so a garbage collection would wait milliseconds for it. So a long
 * call is a plain downcall: native operands go in place, heap operands are staged through this
 * thread's native scratch (O(m·k + k·n + m·n) copies against O(m·n·k) work).
 */
final class OneDnnGemm implements GemmKernel {

    /** 128³: about 30 µs on this machine's two cores, short enough to hold off a safepoint. */
    static final long CRITICAL_MULTIPLY_ADDS = 1L << 21;
    private static final byte NO_TRANSPOSE = 'N';
    private static final byte TRANSPOSE = 'T';
    private static final MethodHandle SGEMM_CRITICAL = Linker.nativeLinker().downcallHandle(
            dnnl_h.dnnl_sgemm$address(), dnnl_h.dnnl_sgemm$descriptor(), Linker.Option.critical(true));
    private static final MethodHandle SGEMM = Linker.nativeLinker().downcallHandle(
            dnnl_h.dnnl_sgemm$address(), dnnl_h.dnnl_sgemm$descriptor());

    /** For k = 0 or alpha = 0, where A and B may be shorter than the shape and C = beta·C is all there is to do. */
    private final GemmKernel fallback;

    OneDnnGemm(GemmKernel fallback) {
        this.fallback = fallback;
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb,
                      float beta, MemorySegment c, long cOffset, int ldc) {
        if (k == 0 || alpha == 0f) {
            fallback.sgemm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
            return;
        }
        MemorySegment aData = a.asSlice(aOffset * Float.BYTES);
        MemorySegment bData = b.asSlice(bOffset * Float.BYTES);
        MemorySegment cData = c.asSlice(cOffset * Float.BYTES);
        if ((long) m * n * k <= CRITICAL_MULTIPLY_ADDS) {
            call(SGEMM_CRITICAL, transA, transB, m, n, k, alpha, aData, lda, bData, ldb, beta, cData, ldc);
            return;
        }
        OneDnn.PerThread scratch = OneDnn.perThread();
        MemorySegment aNative = staged(scratch, Slot.SOURCE, aData, transA ? k : m, transA ? m : k, lda);
        MemorySegment bNative = staged(scratch, Slot.WEIGHTS, bData, transB ? n : k, transB ? k : n, ldb);
        MemorySegment cNative = cData;
        if (!c.isNative()) {
            cNative = scratch.buffer(Slot.DESTINATION, span(m, n, ldc) * Float.BYTES);
            if (beta != 0f) {
                copyRows(cData, cNative, m, n, ldc);
            }
        }
        call(SGEMM, transA, transB, m, n, k, alpha, aNative, lda, bNative, ldb, beta, cNative, ldc);
        if (!c.isNative()) {
            // Row by row: the gaps between C's rows (ldc > n) may belong to another caller.
            copyRows(cNative, cData, m, n, ldc);
        }
    }

    private static void call(MethodHandle sgemm, boolean transA, boolean transB, int m, int n, int k, float alpha,
                             MemorySegment a, int lda, MemorySegment b, int ldb, float beta, MemorySegment c, int ldc) {
        OpenMp.useConfiguredThreads();
        int status;
        MemorySegment savedMask = AsyncSignals.block();
        try {
            status = (int) sgemm.invokeExact(transA ? TRANSPOSE : NO_TRANSPOSE, transB ? TRANSPOSE : NO_TRANSPOSE,
                    (long) m, (long) n, (long) k, alpha, a, (long) lda, b, (long) ldb, beta, c, (long) ldc);
        } catch (Throwable e) {
            throw new IllegalStateException("dnnl_sgemm downcall failed", e);
        } finally {
            AsyncSignals.restore(savedMask);
        }
        OneDnn.check(status, "dnnl_sgemm");
    }

    /** A row-major operand of {@code rows} rows of {@code cols} (leading dimension ld), in native memory. */
    private static MemorySegment staged(OneDnn.PerThread scratch, Slot slot, MemorySegment data, int rows, int cols,
                                        int ld) {
        if (data.isNative()) {
            return data;
        }
        long bytes = span(rows, cols, ld) * Float.BYTES;
        MemorySegment copy = scratch.buffer(slot, bytes);
        MemorySegment.copy(data, 0, copy, 0, bytes);
        return copy;
    }

    private static void copyRows(MemorySegment from, MemorySegment to, int rows, int cols, int ld) {
        if (ld == cols) {
            MemorySegment.copy(from, 0, to, 0, (long) rows * cols * Float.BYTES);
            return;
        }
        for (int row = 0; row < rows; row++) {
            long at = (long) row * ld * Float.BYTES;
            MemorySegment.copy(from, at, to, at, (long) cols * Float.BYTES);
        }
    }

    /** Elements from a matrix's first to its last element. */
    private static long span(int rows, int cols, int ld) {
        return (long) (rows - 1) * ld + cols;
    }
}
