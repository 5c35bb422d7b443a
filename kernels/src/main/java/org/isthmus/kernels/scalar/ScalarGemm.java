package org.isthmus.kernels.scalar;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** The reference sgemm: plain loops, each dot product accumulated in double. */
final class ScalarGemm {

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private ScalarGemm() {
    }

    static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb,
                      float beta, MemorySegment c, long cOffset, int ldc) {
        boolean readsInputs = k > 0 && alpha != 0f;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                if (readsInputs) {
                    for (int p = 0; p < k; p++) {
                        long aIndex = aOffset + (transA ? (long) p * lda + i : (long) i * lda + p);
                        long bIndex = bOffset + (transB ? (long) j * ldb + p : (long) p * ldb + j);
                        sum += (double) a.getAtIndex(FLOAT, aIndex) * b.getAtIndex(FLOAT, bIndex);
                    }
                }
                long cIndex = cOffset + (long) i * ldc + j;
                double result = alpha * sum;
                if (beta != 0f) {
                    result += (double) beta * c.getAtIndex(FLOAT, cIndex);
                }
                c.setAtIndex(FLOAT, cIndex, (float) result);
            }
        }
    }
}
