#!/bin/sh
# Runs the cublas backend's GPU tests (and, with --check, native/gpu-check.sh) against a fake CUDA
# runtime and cuBLAS built here from fake_cudart.c and fake_cublas.c: device memory is tracked host
# memory and sgemm a double-accumulating reference, so this proves the Java side (library loading,
# the per-thread handle, stream and buffers, the staging, spans, offsets, the operand swap, batched
# and device-resident calls, events, out-of-memory fallback) without a GPU, and nothing about the
# real cuBLAS, its numerics or its speed.
#
#   native/src/test/fake-cuda/run.sh [--check]      (needs cc; run from anywhere in the checkout)
set -eu

ROOT=$(cd "$(dirname "$0")/../../../.." && pwd)
OUT="$ROOT/native/target/fake-cuda"
HERE="$ROOT/native/src/test/fake-cuda"
mkdir -p "$OUT"
cc -O2 -shared -fPIC -Wall -Wextra -Werror -Wl,-soname,libcudart.so.12 -o "$OUT/libcudart.so.12" "$HERE/fake_cudart.c" -lpthread
cc -O2 -shared -fPIC -Wl,-soname,libcublasLt.so.12 -o "$OUT/libcublasLt.so.12" -x c /dev/null
cc -O2 -shared -fPIC -Wall -Wextra -Werror -Wl,-soname,libcublas.so.12 -Wl,-rpath,'$ORIGIN' -o "$OUT/libcublas.so.12" \
  "$HERE/fake_cublas.c" "$OUT/libcublasLt.so.12" "$OUT/libcudart.so.12"

cd "$ROOT"
export ISTHMUS_CUDA_LIB_DIR="$OUT"
export FAKE_CUDA_MEMORY=$((64 * 1024 * 1024))
if [ "${1:-}" = "--check" ]; then
  ./mvnw -q -B -o -pl native -am -DskipTests package
  exec sh native/gpu-check.sh 64 256
fi
exec ./mvnw -q -B -o -pl native -am test -Dtest='CublasGemmTest,FakeCudaTest' -Dsurefire.failIfNoSpecifiedTests=false
