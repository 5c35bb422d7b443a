package org.isthmus.kernels;

import java.lang.foreign.MemorySegment;

/**
 * The front door every backend shares: arguments are validated once here, then handed to
 * the backend's kernel, which may assume them valid (so no native code ever reads out of
 * bounds).
 */
public abstract class CheckedBackend implements Backend {

    @Override
    public final void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb,
                            float beta, MemorySegment c, long cOffset, int ldc) {
        GemmArguments.check(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
        if (m == 0 || n == 0) {
            return;
        }
        gemm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
    }

    /** {@link #sgemm} on validated arguments with m, n ≥ 1. */
    protected abstract void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                 MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb,
                                 float beta, MemorySegment c, long cOffset, int ldc);

    @Override
    public String toString() {
        return description();
    }
}
