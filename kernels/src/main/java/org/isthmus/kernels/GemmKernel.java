package org.isthmus.kernels;

import java.lang.foreign.MemorySegment;

/** A backend's sgemm, called by {@link CheckedBackend} with validated arguments and m, n ≥ 1. */
public interface GemmKernel {

    /** {@link Backend#sgemm}. */
    void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
               MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb,
               float beta, MemorySegment c, long cOffset, int ldc);
}
