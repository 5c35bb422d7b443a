package org.isthmus.ffi.onednn;

import org.isthmus.ffi.onednn.bindings.dnnl_h;
import org.isthmus.kernels.GemmKernel;

import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * sgemm through {@code dnnl_sgemm} (row-major, BLAS semantics), one downcall per call. The call is
 * self-contained (oneDNN keeps no pointer past it and joins its OpenMP threads before returning),
 * so it is linked as a critical downcall: heap segments are passed in place, zero-copy. The GC
 * cannot move the arrays while the call runs (the thread never reaches a safepoint inside it), so
 * oneDNN's worker threads read them safely; the price is that a long call delays other threads'
 * GC safepoints for its duration.
 */
final class OneDnnGemm implements GemmKernel {

    private static final byte NO_TRANSPOSE = 'N';
    private static final byte TRANSPOSE = 'T';
    private static final MethodHandle SGEMM = Linker.nativeLinker().downcallHandle(dnnl_h.dnnl_sgemm$address(),
            dnnl_h.dnnl_sgemm$descriptor(), Linker.Option.critical(true));

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
        OpenMp.useConfiguredThreads();
        int status;
        try {
            status = (int) SGEMM.invokeExact(transA ? TRANSPOSE : NO_TRANSPOSE, transB ? TRANSPOSE : NO_TRANSPOSE,
                    (long) m, (long) n, (long) k, alpha,
                    a.asSlice(aOffset * Float.BYTES), (long) lda, b.asSlice(bOffset * Float.BYTES), (long) ldb,
                    beta, c.asSlice(cOffset * Float.BYTES), (long) ldc);
        } catch (Throwable e) {
            throw new IllegalStateException("dnnl_sgemm downcall failed", e);
        }
        OneDnn.check(status, "dnnl_sgemm");
    }
}
