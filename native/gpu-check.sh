#!/bin/sh
# The cuBLAS backend's proof on a machine with an NVIDIA GPU: cross-checks cublas against scalar and
# vector (odd shapes, every transpose, alpha/beta, heap and native), measures sgemm in GFLOP/s at
# n = 1024, 4096, 8192 with and without host-device transfers and the crossover against vector,
# then, when python3 with a CUDA build of torch is present, torch.mm in FP32 (TF32 off) on the same
# GPU, and prints the ratio device-resident Isthmus / torch (the bar: >= 0.95 at n = 8192).
#
#   native/gpu-check.sh [n ...]          (default sizes: 1024 4096 8192)
#
# Needs a JDK 25 runtime: $ISTHMUS_JAVA (a java home, e.g. a jlinked runtime), else $JAVA_HOME, else
# java on PATH; and the built jars: $ISTHMUS_JARS (class path), else kernels/target and native/target
# of this checkout. The CUDA libraries are found as the backend always finds them (ISTHMUS_CUDA_LIB_DIR,
# system path, CUDA_HOME/lib64, the nvidia-cublas-cu12 / nvidia-cuda-runtime-cu12 wheels of a Python).
#
# Building what to copy to the GPU machine, on the build machine:
#   ./mvnw -B -o -pl native -am -DskipTests package
#   jlink --add-modules java.base,jdk.incubator.vector --strip-debug --no-header-files --no-man-pages \
#         --output /tmp/isthmus-runtime          # jdeps --print-module-deps names exactly these two
#   tar czf /tmp/isthmus-gpu-check.tgz -C /tmp isthmus-runtime -C "$PWD" native/gpu-check.sh \
#       kernels/target/isthmus-kernels-0.1.0-SNAPSHOT.jar native/target/isthmus-native-0.1.0-SNAPSHOT.jar
# and on the GPU machine (x86-64 Linux, glibc):
#   tar xzf isthmus-gpu-check.tgz && ISTHMUS_JAVA=$PWD/isthmus-runtime sh native/gpu-check.sh
set -eu

HERE=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${ISTHMUS_JAVA:-}" ]; then
  JAVA="$ISTHMUS_JAVA/bin/java"
elif [ -n "${JAVA_HOME:-}" ]; then
  JAVA="$JAVA_HOME/bin/java"
else
  JAVA=java
fi
FEATURE=$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
if [ "${FEATURE:-0}" -lt 25 ] 2>/dev/null || [ -z "${FEATURE:-}" ]; then
  echo "$JAVA is Java ${FEATURE:-?}; Isthmus needs 25 or later: set ISTHMUS_JAVA or JAVA_HOME" >&2
  exit 1
fi
CLASS_PATH=${ISTHMUS_JARS:-"$(ls "$HERE"/kernels/target/isthmus-kernels-*.jar | head -n 1):$(ls "$HERE"/native/target/isthmus-native-*.jar | head -n 1)"}
SIZES=${*:-"1024 4096 8192"}
OUTPUT=$(mktemp)
trap 'rm -f "$OUTPUT"' EXIT

echo "== machine"
date -u
"$JAVA" -version 2>&1 | head -n 1
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader
else
  echo "nvidia-smi not found"
fi

echo "== Isthmus (GpuCheck)"
status=0
# shellcheck disable=SC2086
"$JAVA" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$CLASS_PATH" \
  org.isthmus.ffi.cublas.GpuCheck $SIZES 2>&1 | tee "$OUTPUT" || status=$?
# tee hides java's status: read it from what GpuCheck printed.
if grep -q '^RESULT unavailable' "$OUTPUT"; then
  echo "cuBLAS is unavailable here (the reason is above): nothing to check"
  exit 2
fi
if ! grep -q '^RESULT cross-check failures=0' "$OUTPUT"; then
  echo "CROSS-CHECK FAILED (or GpuCheck did not finish, status $status)"
  exit 1
fi

echo "== torch.mm, FP32, TF32 off"
if python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  # shellcheck disable=SC2086
  python3 - $SIZES <<'PYTHON' | tee -a "$OUTPUT"
import sys
import torch

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
torch.set_float32_matmul_precision("highest")
print("torch", torch.__version__, "CUDA", torch.version.cuda, "on", torch.cuda.get_device_name(0))
for n in map(int, sys.argv[1:]):
    a = torch.rand(n, n, device="cuda") * 2 - 1
    b = torch.rand(n, n, device="cuda") * 2 - 1
    c = torch.empty(n, n, device="cuda")
    repetitions = 5 if n >= 8192 else 10
    times = []
    for i in range(repetitions + 2):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        torch.mm(a, b, out=c)
        end.record()
        end.synchronize()
        if i >= 2:
            times.append(start.elapsed_time(end))
    median = sorted(times)[len(times) // 2]
    print(f"RESULT torch n={n} GFLOP/s={2 * n ** 3 / median / 1e6:.1f} (median {median:.3f} ms)")
PYTHON
  echo "== ratio device-resident Isthmus / torch.mm"
  awk '
    /^RESULT sgemm n=/ { split($3, n, "="); for (i = 1; i <= NF; i++) if ($i ~ /^GFLOP\/s=/ && $(i-1) ~ /device-resident/) { split($i, g, "="); ours[n[2]] = g[2] } }
    /^RESULT torch n=/ { split($3, n, "="); split($4, g, "="); torch[n[2]] = g[2] }
    END { for (k in ours) if (k in torch) printf "n=%s Isthmus %.1f GFLOP/s, torch.mm %.1f GFLOP/s, ratio %.3f\n", k, ours[k], torch[k], ours[k] / torch[k] }
  ' "$OUTPUT"
else
  echo "python3 with a CUDA build of torch not found: no cuBLAS reference figure"
fi
