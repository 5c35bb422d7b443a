#!/bin/sh
# The oneDNN bar (bench/NOTES.md, "oneDNN"): builds bench/src/main/c/onednn_reference.c against the
# headers and libdnnl.so.3 of the org.bytedeco:dnnl artifact, then alternates it with OneDnnBar (the
# same calls through Isthmus's FFM backend), ROUNDS times per thread count, under the bench lock.
#   bench/onednn-bar.sh [rounds, default 3] [thread counts, default "1 2"]
# Both sides run with the OpenMP wait policy the backend uses (passive) unless OMP_WAIT_POLICY is set.
set -eu
ROUNDS=${1:-3}
THREAD_COUNTS=${2:-1 2}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
./mvnw -q -B -o -pl bench -am -DskipTests install
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
./mvnw -q -B -o -pl bench dependency:build-classpath -Dmdep.outputFile="$WORK/classpath"
CP=bench/target/classes:$(cat "$WORK/classpath")
# The dnnl jar the bench runs with, from whichever local repository Maven uses (MAVEN_OPTS may move it).
JAR=$(tr ':' '\n' < "$WORK/classpath" | grep '/dnnl-[^/]*-linux-x86_64\.jar$')
unzip -q "$JAR" 'org/bytedeco/dnnl/linux-x86_64/*' -d "$WORK"
DNNL=$WORK/org/bytedeco/dnnl/linux-x86_64
cc -O2 -o "$WORK/onednn_reference" bench/src/main/c/onednn_reference.c -I"$DNNL/include" -L"$DNNL" -l:libdnnl.so.3 -Wl,-rpath,"$DNNL"
JAVA=$(./mvnw -v | sed -n 's/.*runtime: //p')/bin/java # the JDK >= 25 that mvnw found
for THREADS in $THREAD_COUNTS; do
  for ROUND in $(seq "$ROUNDS"); do
    echo "== threads $THREADS, round $ROUND: C"
    OMP_NUM_THREADS=$THREADS flock /tmp/isthmus-bench.lock "$WORK/onednn_reference"
    echo "== threads $THREADS, round $ROUND: Java (FFM)"
    OMP_NUM_THREADS=$THREADS flock /tmp/isthmus-bench.lock "$JAVA" --add-modules jdk.incubator.vector \
      --enable-native-access=ALL-UNNAMED -Disthmus.threads="$THREADS" -cp "$CP" org.isthmus.bench.OneDnnBar 2>/dev/null
  done
done
