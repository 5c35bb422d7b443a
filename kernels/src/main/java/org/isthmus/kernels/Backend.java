package org.isthmus.kernels;

import java.lang.foreign.MemorySegment;

/**
 * One compute path (scalar, vector, onednn, cublas). Every operation works on float32,
 * row-major, contiguous data held in {@link MemorySegment}s, heap or native, with offsets
 * counted in elements.
 *
 * <p>Implementations validate their arguments before any work (see {@link CheckedBackend}):
 * a negative size, a leading dimension shorter than a row, or a segment too small for the
 * shape is an {@link IllegalArgumentException} naming the argument and the shapes.
 */
public interface Backend {

    /** The name {@link Backends#get(String)} knows this backend by. */
    String name();

    /** One line for users and bug reports: what this backend runs on and how it is set up. */
    default String description() {
        return name();
    }

    /**
     * C = alpha·op(A)·op(B) + beta·C with BLAS semantics, row-major: op(A) is m×k, op(B) is
     * k×n, C is m×n. With beta = 0 the old contents of C are ignored, NaN included; with
     * alpha = 0 or k = 0, A and B are not read.
     *
     * @param transA use Aᵀ: A is stored k×m instead of m×k
     * @param lda    distance in elements between the starts of two stored rows of A
     */
    void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
               MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb,
               float beta, MemorySegment c, long cOffset, int ldc);
}
