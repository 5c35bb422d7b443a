/*
 * Stand-in for the CUDA 12/13 headers (cuda_runtime_api.h, driver_types.h, cublas_api.h), used by
 * regenerate-cublas.sh when CUDA_HOME is not set: exactly the prototypes, types and enum values
 * the cublas backend calls, copied by hand from the CUDA 12 headers (CUDA 13 keeps them). It is
 * never compiled into anything; jextract reads it to generate org.isthmus.ffi.cublas.bindings.
 */
#ifndef ISTHMUS_CUDA_SUBSET_H
#define ISTHMUS_CUDA_SUBSET_H

#include <stddef.h>

/* ---- CUDA runtime (driver_types.h, cuda_runtime_api.h) ---- */

enum cudaError {
    cudaSuccess = 0,
    cudaErrorInvalidValue = 1,
    cudaErrorMemoryAllocation = 2,
    cudaErrorInitializationError = 3,
    cudaErrorCudartUnloading = 4,
    cudaErrorInsufficientDriver = 35,
    cudaErrorNoDevice = 100,
    cudaErrorInvalidDevice = 101
};
typedef enum cudaError cudaError_t;

enum cudaMemcpyKind {
    cudaMemcpyHostToHost = 0,
    cudaMemcpyHostToDevice = 1,
    cudaMemcpyDeviceToHost = 2,
    cudaMemcpyDeviceToDevice = 3,
    cudaMemcpyDefault = 4
};

typedef struct CUstream_st *cudaStream_t;
typedef struct CUevent_st *cudaEvent_t;

extern cudaError_t cudaRuntimeGetVersion(int *runtimeVersion);
extern cudaError_t cudaDriverGetVersion(int *driverVersion);
extern cudaError_t cudaGetDeviceCount(int *count);
extern cudaError_t cudaSetDevice(int device);
extern const char *cudaGetErrorName(cudaError_t error);
extern const char *cudaGetErrorString(cudaError_t error);
extern cudaError_t cudaMalloc(void **devPtr, size_t size);
extern cudaError_t cudaFree(void *devPtr);
extern cudaError_t cudaMallocHost(void **ptr, size_t size);
extern cudaError_t cudaFreeHost(void *ptr);
extern cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind,
                                   cudaStream_t stream);
extern cudaError_t cudaStreamCreate(cudaStream_t *pStream);
extern cudaError_t cudaStreamDestroy(cudaStream_t stream);
extern cudaError_t cudaStreamSynchronize(cudaStream_t stream);
extern cudaError_t cudaEventCreate(cudaEvent_t *event);
extern cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream);
extern cudaError_t cudaEventSynchronize(cudaEvent_t event);
extern cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t start, cudaEvent_t end);
extern cudaError_t cudaEventDestroy(cudaEvent_t event);

/* ---- cuBLAS (cublas_api.h; the library exports the _v2 names) ---- */

typedef enum {
    CUBLAS_STATUS_SUCCESS = 0,
    CUBLAS_STATUS_NOT_INITIALIZED = 1,
    CUBLAS_STATUS_ALLOC_FAILED = 3,
    CUBLAS_STATUS_INVALID_VALUE = 7,
    CUBLAS_STATUS_ARCH_MISMATCH = 8,
    CUBLAS_STATUS_MAPPING_ERROR = 11,
    CUBLAS_STATUS_EXECUTION_FAILED = 13,
    CUBLAS_STATUS_INTERNAL_ERROR = 14,
    CUBLAS_STATUS_NOT_SUPPORTED = 15,
    CUBLAS_STATUS_LICENSE_ERROR = 16
} cublasStatus_t;

typedef enum {
    CUBLAS_OP_N = 0,
    CUBLAS_OP_T = 1,
    CUBLAS_OP_C = 2
} cublasOperation_t;

typedef enum {
    CUBLAS_DEFAULT_MATH = 0,
    CUBLAS_TENSOR_OP_MATH = 1,
    CUBLAS_PEDANTIC_MATH = 2,
    CUBLAS_TF32_TENSOR_OP_MATH = 3,
    CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION = 16
} cublasMath_t;

struct cublasContext;
typedef struct cublasContext *cublasHandle_t;

extern cublasStatus_t cublasCreate_v2(cublasHandle_t *handle);
extern cublasStatus_t cublasDestroy_v2(cublasHandle_t handle);
extern cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t streamId);
extern cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode);
extern const char *cublasGetStatusName(cublasStatus_t status);
extern const char *cublasGetStatusString(cublasStatus_t status);
extern cublasStatus_t cublasSgemm_v2(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
                                     int m, int n, int k, const float *alpha, const float *A, int lda,
                                     const float *B, int ldb, const float *beta, float *C, int ldc);
extern cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t handle, cublasOperation_t transa,
                                                cublasOperation_t transb, int m, int n, int k, const float *alpha,
                                                const float *A, int lda, long long int strideA,
                                                const float *B, int ldb, long long int strideB,
                                                const float *beta, float *C, int ldc, long long int strideC,
                                                int batchCount);

#endif
