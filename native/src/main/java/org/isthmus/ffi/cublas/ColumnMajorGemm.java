package org.isthmus.ffi.cublas;

/**
 * The column-major cuBLAS call that computes a row-major sgemm, with no transposing copy.
 *
 * <p>A row-major matrix with leading dimension ld is, read column-major with the same ld, its
 * transpose. So row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ: cuBLAS is called with
 * the operands swapped (its A is the caller's B, its B the caller's A), each keeping its own
 * transpose flag and leading dimension, and m and n swapped.
 *
 * @param transa cuBLAS's transa: the caller's transB
 * @param transb cuBLAS's transb: the caller's transA
 * @param m      cuBLAS's m (rows of its column-major C): the caller's n
 * @param n      cuBLAS's n: the caller's m
 * @param k      unchanged
 * @param lda    leading dimension of cuBLAS's A, the caller's B: ldb
 * @param ldb    leading dimension of cuBLAS's B, the caller's A: lda
 * @param ldc    unchanged
 */
record ColumnMajorGemm(boolean transa, boolean transb, int m, int n, int k, int lda, int ldb, int ldc) {

    /** The call for the row-major {@code sgemm(transA, transB, m, n, k, …, lda, …, ldb, …, ldc)}. */
    static ColumnMajorGemm of(boolean transA, boolean transB, int m, int n, int k, int lda, int ldb, int ldc) {
        return new ColumnMajorGemm(transB, transA, n, m, k, ldb, lda, ldc);
    }

    /**
     * The elements a row-major matrix of {@code rows}×{@code cols} with leading dimension {@code ld}
     * spans from its first element: what is copied to the device (rows keep their padding, so the
     * device copy has the same ld).
     */
    static long span(int rows, int cols, int ld) {
        return (long) (rows - 1) * ld + cols;
    }
}
