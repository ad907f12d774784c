#!/usr/bin/env bash
# Benchmark of exact mode (README "Performance"): one run, the same allocation-heavy
# workload four ways, interleaved over several rounds so that machine noise hits all of
# them alike:
#   untraced              the fixture alone
#   floor                 an empty uprobe at gomemtrace's probe sites (the trap itself)
#   gomemtrace exact      gomemtrace record --mode exact
#   bpftrace              uprobe:BIN:runtime.mallocgc { @[ustack] = count(); }
# Reports ns per allocation, the overhead over untraced, and gomemtrace / floor.
#   scripts/bench-exact.sh [GOVERSION] [ALLOCS] [ROUNDS]   (default go126 2000000 3)
set -euo pipefail
cd "$(dirname "$0")/.."
ver=${1:-go126}
n=${2:-2000000}
rounds=${3:-3}
ninja -C build gomemtrace gmt-bench-floor tests/fixtures.stamp >/dev/null
fx=build/tests/fixtures/alloc-$ver-exe
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ns() { sed -n 's/^bench allocs=[0-9]* ns=\([0-9]*\)$/\1/p'; }
declare -A sum
for mode in untraced floor exact bpftrace; do sum[$mode]=0; done
for r in $(seq "$rounds"); do
	t=$("$fx" -bench "$n" | ns); sum[untraced]=$((sum[untraced] + t))
	t=$(build/gmt-bench-floor -- "$fx" -bench "$n" | ns); sum[floor]=$((sum[floor] + t))
	t=$(build/gomemtrace record --mode exact -q -o "$tmp/out" -- "$fx" -bench "$n" | ns)
	sum[exact]=$((sum[exact] + t))
	# bpftrace: it starts the command itself (-c), so its own start-up is not timed.
	t=$(bpftrace -q -e "uprobe:$fx:runtime.mallocgc { @[ustack] = count(); } END { clear(@); }" \
		-c "$fx -bench $n" 2>/dev/null | ns)
	sum[bpftrace]=$((sum[bpftrace] + t))
	echo "round $r done" >&2
done

base=$(echo "${sum[untraced]} / ($rounds * $n)" | bc -l)
floor=$(echo "${sum[floor]} / ($rounds * $n) - $base" | bc -l)
printf '%s: %d allocations x %d rounds (%s)\n' "$ver" "$n" "$rounds" "$(uname -r)"
printf '%-18s %10s %12s\n' mode ns/alloc overhead
for mode in untraced floor exact bpftrace; do
	per=$(echo "${sum[$mode]} / ($rounds * $n)" | bc -l)
	printf '%-18s %10.1f %12.1f\n' "$mode" "$per" "$(echo "$per - $base" | bc -l)"
done
exact=$(echo "${sum[exact]} / ($rounds * $n) - $base" | bc -l)
bt=$(echo "${sum[bpftrace]} / ($rounds * $n) - $base" | bc -l)
printf 'gomemtrace overhead / floor overhead: %.2f\n' "$(echo "$exact / $floor" | bc -l)"
printf 'bpftrace overhead / gomemtrace overhead: %.1f\n' "$(echo "$bt / $exact" | bc -l)"
