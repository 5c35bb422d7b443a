package org.isthmus.ffi.cublas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.isthmus.kernels.Backend;
import org.isthmus.kernels.Backends;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The row-major to column-major mapping, run without a GPU: the mapped call is executed by a
 * column-major reference sgemm written here (the BLAS definition, as cuBLAS implements it) on the
 * very arrays the row-major call reads, and must give the row-major reference backend's result.
 */
class ColumnMajorGemmTest {

    static List<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        int[][] shapes = {{1, 1, 1}, {1, 7, 3}, {5, 1, 9}, {7, 13, 5}, {17, 15, 16}, {33, 31, 1}};
        for (boolean transA : new boolean[] {false, true}) {
            for (boolean transB : new boolean[] {false, true}) {
                for (int[] shape : shapes) {
                    cases.add(Arguments.of(transA, transB, shape[0], shape[1], shape[2], 0));
                    cases.add(Arguments.of(transA, transB, shape[0], shape[1], shape[2], 3));
                }
            }
        }
        return cases;
    }

    @ParameterizedTest(name = "transA={0} transB={1} m={2} n={3} k={4} ldPadding={5}")
    @MethodSource("cases")
    void theColumnMajorCallComputesTheRowMajorProduct(boolean transA, boolean transB, int m, int n, int k, int pad) {
        int lda = (transA ? m : k) + pad;
        int ldb = (transB ? k : n) + pad;
        int ldc = n + pad;
        SplittableRandom random = GpuChecks.random(List.of(transA, transB, m, n, k, pad));
        float[] a = GpuChecks.uniform(random, (long) (transA ? k : m) * lda);
        float[] b = GpuChecks.uniform(random, (long) (transB ? n : k) * ldb);
        float[] c = GpuChecks.uniform(random, (long) m * ldc);
        float alpha = 0.75f;
        float beta = -1.25f;

        Backend reference = Backends.get("scalar");
        MemorySegment expected = MemorySegment.ofArray(c.clone());
        reference.sgemm(transA, transB, m, n, k, alpha, MemorySegment.ofArray(a), 0, lda, MemorySegment.ofArray(b), 0,
                ldb, beta, expected, 0, ldc);

        ColumnMajorGemm call = ColumnMajorGemm.of(transA, transB, m, n, k, lda, ldb, ldc);
        float[] actual = c.clone();
        // cuBLAS's A is the caller's B and its B the caller's A.
        columnMajorSgemm(call.transa(), call.transb(), call.m(), call.n(), call.k(), alpha, b, call.lda(), a,
                call.ldb(), beta, actual, call.ldc());

        // Both sum the same k products in double and round once: equal to a few ulps.
        GpuChecks.assertClose(GpuChecks.toArray(expected), actual, 1e-6, "mapped call");
        for (int row = 0; row < m; row++) {
            for (int col = n; col < ldc; col++) {
                assertEquals(c[row * ldc + col], actual[row * ldc + col], "padding of C is untouched");
            }
        }
    }

    @ParameterizedTest(name = "rows={0} cols={1} ld={2}")
    @MethodSource("spans")
    void theSpanEndsAtTheLastElementOfTheLastRow(int rows, int cols, int ld, long span) {
        assertEquals(span, ColumnMajorGemm.span(rows, cols, ld));
    }

    static List<Arguments> spans() {
        return List.of(Arguments.of(1, 1, 1, 1L), Arguments.of(1, 5, 9, 5L), Arguments.of(3, 5, 5, 15L),
                Arguments.of(3, 5, 8, 21L), Arguments.of(65536, 65536, 65536, 65536L * 65536));
    }

    @ParameterizedTest(name = "transA={0} transB={1}")
    @MethodSource("transposes")
    void operandsAndDimensionsAreSwapped(boolean transA, boolean transB) {
        ColumnMajorGemm call = ColumnMajorGemm.of(transA, transB, 2, 3, 4, 10, 20, 30);
        assertArrayEquals(new Object[] {transB, transA, 3, 2, 4, 20, 10, 30},
                new Object[] {call.transa(), call.transb(), call.m(), call.n(), call.k(), call.lda(), call.ldb(),
                        call.ldc()});
    }

    static List<Arguments> transposes() {
        return List.of(Arguments.of(false, false), Arguments.of(false, true), Arguments.of(true, false),
                Arguments.of(true, true));
    }

    /**
     * Column-major C = alpha·op(A)·op(B) + beta·C (reference BLAS sgemm), element (i, j) of a matrix
     * at i + j·ld; accumulates in double.
     */
    private static void columnMajorSgemm(boolean transa, boolean transb, int m, int n, int k, float alpha,
                                         float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc) {
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                double sum = 0;
                for (int p = 0; p < k; p++) {
                    float left = transa ? a[p + i * lda] : a[i + p * lda];
                    float right = transb ? b[j + p * ldb] : b[p + j * ldb];
                    sum += (double) left * right;
                }
                double old = beta == 0f ? 0 : (double) beta * c[i + j * ldc];
                c[i + j * ldc] = (float) (alpha * sum + old);
            }
        }
    }
}
