#!/usr/bin/env bash
# Benchmark: the aggregators, the string table and the pprof writer on synthetic input
# (README "Performance").  scripts/bench-tables.sh [SCALE [REPEAT [PART]]]
set -euo pipefail
cd "$(dirname "$0")/.."
ninja -C build gmt-bench-tables >/dev/null
build/gmt-bench-tables "$@"
