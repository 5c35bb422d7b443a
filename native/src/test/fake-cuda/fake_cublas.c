/*
 * A fake cuBLAS over the fake CUDA runtime: column-major sgemm by the BLAS definition (double
 * accumulation), after checking that every operand lies inside one device allocation for the
 * dimensions given (else CUBLAS_STATUS_INVALID_VALUE), so a wrong span, offset or swapped operand in
 * the Java code fails loudly. beta = 0 never reads C, as in cuBLAS.
 */
#include <stdlib.h>

enum { SUCCESS = 0, NOT_INITIALIZED = 1, INVALID_VALUE = 7 };
enum { OP_N = 0, OP_T = 1 };

int fake_cuda_is_device_range(const void *ptr, size_t bytes);

typedef struct { void *stream; int math; } context;

int cublasCreate_v2(void **handle) { *handle = calloc(1, sizeof(context)); return SUCCESS; }
int cublasDestroy_v2(void *handle) { free(handle); return SUCCESS; }
int cublasSetStream_v2(void *handle, void *stream) { ((context *) handle)->stream = stream; return SUCCESS; }
int cublasSetMathMode(void *handle, int mode) {
    ((context *) handle)->math = mode;
    return mode == 0 || mode == 3 ? SUCCESS : INVALID_VALUE;
}

const char *cublasGetStatusName(int status) {
    return status == SUCCESS ? "CUBLAS_STATUS_SUCCESS" : status == INVALID_VALUE ? "CUBLAS_STATUS_INVALID_VALUE"
            : "CUBLAS_STATUS_INTERNAL_ERROR";
}
const char *cublasGetStatusString(int status) {
    return status == SUCCESS ? "success" : status == INVALID_VALUE ? "invalid value" : "fake error";
}

/* A column-major rows×cols matrix with leading dimension ld lies in device memory. */
static int fits(const float *m, int rows, int cols, int ld) {
    return ld >= (rows > 1 ? rows : 1) && fake_cuda_is_device_range(m, ((size_t) (cols - 1) * ld + rows) * sizeof(float));
}

static int gemm(int transa, int transb, int m, int n, int k, float alpha, const float *a, int lda,
                const float *b, int ldb, float beta, float *c, int ldc) {
    if (m <= 0 || n <= 0 || k <= 0 || (transa != OP_N && transa != OP_T) || (transb != OP_N && transb != OP_T)
            || !fits(a, transa == OP_N ? m : k, transa == OP_N ? k : m, lda)
            || !fits(b, transb == OP_N ? k : n, transb == OP_N ? n : k, ldb) || !fits(c, m, n, ldc)) {
        return INVALID_VALUE;
    }
    for (int j = 0; j < n; j++) {
        for (int i = 0; i < m; i++) {
            double sum = 0;
            for (int p = 0; p < k; p++) {
                float left = transa == OP_T ? a[p + (size_t) i * lda] : a[i + (size_t) p * lda];
                float right = transb == OP_T ? b[j + (size_t) p * ldb] : b[p + (size_t) j * ldb];
                sum += (double) left * right;
            }
            float *out = &c[i + (size_t) j * ldc];
            *out = (float) (alpha * sum + (beta == 0.0f ? 0.0 : (double) beta * *out));
        }
    }
    return SUCCESS;
}

int cublasSgemm_v2(void *handle, int transa, int transb, int m, int n, int k, const float *alpha, const float *a,
                   int lda, const float *b, int ldb, const float *beta, float *c, int ldc) {
    if (!handle) {
        return NOT_INITIALIZED;
    }
    return gemm(transa, transb, m, n, k, *alpha, a, lda, b, ldb, *beta, c, ldc);
}

int cublasSgemmStridedBatched(void *handle, int transa, int transb, int m, int n, int k, const float *alpha,
                              const float *a, int lda, long long strideA, const float *b, int ldb, long long strideB,
                              const float *beta, float *c, int ldc, long long strideC, int batch) {
    if (!handle || batch < 0) {
        return handle ? INVALID_VALUE : NOT_INITIALIZED;
    }
    for (int i = 0; i < batch; i++) {
        int status = gemm(transa, transb, m, n, k, *alpha, a + i * strideA, lda, b + i * strideB, ldb, *beta,
                          c + i * strideC, ldc);
        if (status != SUCCESS) {
            return status;
        }
    }
    return SUCCESS;
}
