#!/bin/sh
# Regenerates the CUDA runtime + cuBLAS bindings in org.isthmus.ffi.cublas.bindings. The build never
# runs this: the generated sources are committed. Run it after changing the lists below.
#
#   native/src/main/jextract/regenerate-cublas.sh
#
# With CUDA_HOME set, the headers are CUDA's own ($CUDA_HOME/include/cuda_runtime_api.h and
# cublas_api.h); without it, the stand-in cuda_subset.h beside this script, which holds exactly the
# prototypes, types and enum values below, copied from the CUDA 12 headers. jextract is $JEXTRACT,
# else the one on PATH.
# Generated with jextract built from openjdk/jextract@f9866df (libclang 16) from cuda_subset.h. For
# every runtime function the output is identical to what CUDA 13.0's own cuda_runtime_api.h gives
# (compared when this was written); the cuBLAS part was not compared (no cublas_api.h here).
set -eu

JEXTRACT=${JEXTRACT:-jextract}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT="$HERE/../java"
PACKAGE=org.isthmus.ffi.cublas.bindings

if [ -n "${CUDA_HOME:-}" ]; then
  for header in cuda_runtime_api.h cublas_api.h; do
    if [ ! -f "$CUDA_HOME/include/$header" ]; then
      echo "$CUDA_HOME/include/$header is missing (a full toolkit has both headers); unset CUDA_HOME to use cuda_subset.h" >&2
      exit 1
    fi
  done
  INCLUDE="-I $CUDA_HOME/include"
  HEADERS="$CUDA_HOME/include/cuda_runtime_api.h $CUDA_HOME/include/cublas_api.h"
else
  INCLUDE=""
  HEADERS="$HERE/cuda_subset.h"
fi

rm -rf "$OUT/$(echo $PACKAGE | tr . /)"

# No --library: CudaLibrary loads libcudart, libcublasLt and libcublas itself (System.load), so that a
# missing library is a clean "unavailable", and the generated lookup (the class loader's libraries)
# finds the symbols.
# shellcheck disable=SC2086
"$JEXTRACT" --output "$OUT" --target-package "$PACKAGE" --header-class-name cuda_h $INCLUDE \
  --include-function cudaRuntimeGetVersion \
  --include-function cudaDriverGetVersion \
  --include-function cudaGetDeviceCount \
  --include-function cudaSetDevice \
  --include-function cudaGetErrorName \
  --include-function cudaGetErrorString \
  --include-function cudaMalloc \
  --include-function cudaFree \
  --include-function cudaMallocHost \
  --include-function cudaFreeHost \
  --include-function cudaMemcpyAsync \
  --include-function cudaStreamCreate \
  --include-function cudaStreamDestroy \
  --include-function cudaStreamSynchronize \
  --include-function cudaEventCreate \
  --include-function cudaEventRecord \
  --include-function cudaEventSynchronize \
  --include-function cudaEventElapsedTime \
  --include-function cudaEventDestroy \
  --include-function cublasCreate_v2 \
  --include-function cublasDestroy_v2 \
  --include-function cublasSetStream_v2 \
  --include-function cublasSetMathMode \
  --include-function cublasGetStatusName \
  --include-function cublasGetStatusString \
  --include-function cublasSgemm_v2 \
  --include-function cublasSgemmStridedBatched \
  --include-constant cudaSuccess \
  --include-constant cudaErrorMemoryAllocation \
  --include-constant cudaMemcpyHostToDevice \
  --include-constant cudaMemcpyDeviceToHost \
  --include-constant CUBLAS_STATUS_SUCCESS \
  --include-constant CUBLAS_STATUS_ALLOC_FAILED \
  --include-constant CUBLAS_OP_N \
  --include-constant CUBLAS_OP_T \
  --include-constant CUBLAS_DEFAULT_MATH \
  --include-constant CUBLAS_TF32_TENSOR_OP_MATH \
  --include-typedef cudaStream_t \
  --include-typedef cudaEvent_t \
  --include-typedef cublasHandle_t \
  $HEADERS
