#!/usr/bin/env bash
# Benchmark of sampled mode (README "Performance", issue 6): the same allocation-heavy
# workload three ways, interleaved over several rounds so that machine noise hits all of
# them alike:
#   untraced              the fixture alone (it does not link the heap profiler: its
#                         MemProfileRate is 0, Go's sampler is off)
#   sampled               gomemtrace record --mode sampled at the default rate (gomemtrace
#                         turns Go's sampler on: its cost is part of what is measured)
#   exact                 gomemtrace record --mode exact
# The fixture times its own allocations (bench ... ns=), so start-up is not counted.
# Reports ns per allocation and the traced / untraced throughput ratio.
#   scripts/bench-sampled.sh [GOVERSION] [ALLOCS] [ROUNDS]   (default go126 5000000 5)
set -euo pipefail
cd "$(dirname "$0")/.."
ver=${1:-go126}
n=${2:-5000000}
rounds=${3:-5}
ninja -C build gomemtrace tests/fixtures.stamp >/dev/null
fx=build/tests/fixtures/alloc-$ver-exe
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ns() { sed -n 's/^bench allocs=[0-9]* ns=\([0-9]*\)$/\1/p'; }
declare -A sum
for mode in untraced sampled exact; do sum[$mode]=0; done
for r in $(seq "$rounds"); do
	t=$("$fx" -bench "$n" | ns); sum[untraced]=$((sum[untraced] + t))
	t=$(build/gomemtrace record --mode sampled -q -o "$tmp/s" -- "$fx" -bench "$n" | ns)
	sum[sampled]=$((sum[sampled] + t))
	t=$(build/gomemtrace record --mode exact -q -o "$tmp/e" -- "$fx" -bench "$n" | ns)
	sum[exact]=$((sum[exact] + t))
	echo "round $r done" >&2
done

base=$(echo "${sum[untraced]} / ($rounds * $n)" | bc -l)
printf '%s: %d allocations x %d rounds (%s)\n' "$ver" "$n" "$rounds" "$(uname -r)"
printf '%-10s %10s %22s\n' mode ns/alloc 'throughput vs untraced'
for mode in untraced sampled exact; do
	per=$(echo "${sum[$mode]} / ($rounds * $n)" | bc -l)
	printf '%-10s %10.1f %22.3f\n' "$mode" "$per" "$(echo "$base / $per" | bc -l)"
done
