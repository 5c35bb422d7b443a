#!/bin/sh
# Builds the bench module (and what it needs) and runs BenchReport, passing this script's arguments
# through: e.g. bench/report.sh --quick, or bench/report.sh --only gemm --param shape=1024 --threads 1,2.
# Writes bench/results/<date>-<machine>[-quick].{json,md} and one PNG per op family. Works from any
# directory. Arguments must not contain spaces: Maven hands them over as one property.
set -eu
repo_root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
cd "$repo_root"
# Build and install first, then run exec in the bench module alone: with -am, exec:exec would also run
# the api module's main job.
./mvnw -q -B -pl bench -am -DskipTests install
exec ./mvnw -q -B -pl bench exec:exec@report -Dreport.args="$*"
