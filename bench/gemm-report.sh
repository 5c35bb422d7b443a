#!/bin/sh
# Builds the bench module (and what it needs) and runs GemmReport, passing this script's arguments
# through: e.g. bench/gemm-report.sh --quick --shapes 128,256 --threads 1. Works from any directory.
# Arguments must not contain spaces: Maven hands them over as one property.
set -eu
repo_root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
cd "$repo_root"
exec ./mvnw -q -B -pl bench -am -DskipTests package exec:exec@gemm-report -Dgemm.args="$*"
