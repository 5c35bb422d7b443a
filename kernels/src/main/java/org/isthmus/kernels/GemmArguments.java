package org.isthmus.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Validation of sgemm's arguments, with messages that name the argument and the shapes: what
 * {@link CheckedBackend} runs before every backend's kernel, and what any other sgemm entry
 * point (a benchmark's binding to a peer library) runs before a native call.
 */
public final class GemmArguments {

    private GemmArguments() {
    }

    /** Throws {@link IllegalArgumentException} unless the call is valid; A and B are only bounds-checked when read. */
    public static void check(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb,
                      MemorySegment c, long cOffset, int ldc) {
        String shape = "sgemm(transA=" + transA + ", transB=" + transB + ", m=" + m + ", n=" + n + ", k=" + k + ")";
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("sizes must be >= 0: " + shape);
        }
        boolean readsInputs = m > 0 && n > 0 && k > 0 && alpha != 0f;
        // A is stored rows×cols; op(A) is m×k.
        Segments.checkMatrix("a", a, aOffset, lda, transA ? k : m, transA ? m : k, readsInputs, shape);
        Segments.checkMatrix("b", b, bOffset, ldb, transB ? n : k, transB ? k : n, readsInputs, shape);
        Segments.checkMatrix("c", c, cOffset, ldc, m, n, m > 0 && n > 0, shape);
        if (c.isReadOnly()) {
            throw new IllegalArgumentException("c is a read-only segment: " + shape);
        }
    }
}
