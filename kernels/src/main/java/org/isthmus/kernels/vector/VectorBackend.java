package org.isthmus.kernels.vector;

import java.lang.foreign.MemorySegment;
import org.isthmus.kernels.CheckedBackend;
import org.isthmus.kernels.Parallelism;

/** The Vector API backend: SIMD kernels in pure Java, on the library's thread pool. */
public final class VectorBackend extends CheckedBackend {

    @Override
    public String name() {
        return VectorBackendProvider.NAME;
    }

    @Override
    public String description() {
        return "Vector API, " + Species.FLOAT.vectorBitSize() + "-bit species (" + Species.FLOAT.length()
                + " floats), gemm tile " + VectorGemm.MR + "x" + VectorGemm.NR + ", "
                + Parallelism.threads() + " thread(s)";
    }

    @Override
    protected void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                        MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb,
                        float beta, MemorySegment c, long cOffset, int ldc) {
        VectorGemm.sgemm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
    }
}
