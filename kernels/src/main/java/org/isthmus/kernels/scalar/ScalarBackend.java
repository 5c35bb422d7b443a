package org.isthmus.kernels.scalar;

import java.lang.foreign.MemorySegment;
import org.isthmus.kernels.CheckedBackend;

/**
 * Plain loops accumulating in double: the reference every other backend is checked against,
 * and the fallback when {@code jdk.incubator.vector} is not resolved.
 */
public final class ScalarBackend extends CheckedBackend {

    public static final String NAME = "scalar";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "reference loops, double accumulation, one thread";
    }

    @Override
    protected void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                        MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb,
                        float beta, MemorySegment c, long cOffset, int ldc) {
        ScalarGemm.sgemm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
    }
}
