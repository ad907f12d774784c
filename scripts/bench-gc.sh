#!/usr/bin/env bash
# Benchmark of GC tracing (README "Performance", issue 5): what the GC and
# stop-the-world probes cost a GC-bound program.  The gcwork fixture's "churn" mode runs
# a GC cycle every few allocations (about a thousand cycles a second here) with few
# allocations, so that exact allocation tracing, which every recording does, adds little.
# Three ways, interleaved over several rounds so that machine noise hits all alike:
#   untraced              the fixture alone
#   no-gc                 gomemtrace record --mode exact --no-gc (allocation probes only)
#   gc                    gomemtrace record --mode exact (allocation and GC probes)
# The fixture times its own work (elapsed_s), so gomemtrace's start-up is not counted.
# Reports the median of each and gc / no-gc: the cost of GC tracing alone.
#   [MODE=steady] scripts/bench-gc.sh [GOVERSION] [SCALE] [ROUNDS]   (default go126 1 9)
# MODE picks another gcwork mode (default churn, the worst case for GC tracing).
set -euo pipefail
cd "$(dirname "$0")/.."
ver=${1:-go126}
scale=${2:-1}
rounds=${3:-9}
mode=${MODE:-churn}
ninja -C build gomemtrace tests/fixtures.stamp >/dev/null
fx=build/tests/fixtures/gcwork-$ver-exe
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

secs() { sed -n 's/^elapsed_s=//p'; }
declare -A runs
for r in $(seq "$rounds"); do
	runs[untraced]+=" $("$fx" -mode "$mode" -scale "$scale" | secs)"
	runs[nogc]+=" $(build/gomemtrace record --mode exact --no-gc -q -o "$tmp/a" -- \
		"$fx" -mode "$mode" -scale "$scale" | secs)"
	runs[gc]+=" $(build/gomemtrace record --mode exact -q -o "$tmp/b" -- "$fx" -mode "$mode" -scale "$scale" |
		secs)"
	echo "round $r done" >&2
done
cycles=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["gc_cycles"])' \
	"$tmp/b/summary.json")

python3 - "$ver" "$rounds" "$cycles" "${runs[untraced]}" "${runs[nogc]}" "${runs[gc]}" "$mode" <<'PY'
import statistics, sys
ver, rounds, cycles = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
med = {k: statistics.median(float(x) for x in v.split())
       for k, v in zip(("untraced", "no-gc", "gc"), sys.argv[4:7])}
print(f"{ver}: gcwork -mode {sys.argv[7]}, {cycles} GC cycles per run, median of {rounds} rounds")
for k, v in med.items():
    print(f"  {k:10s} {v:7.3f} s  x{v / med['untraced']:.3f}")
print(f"GC tracing alone (gc / no-gc): x{med['gc'] / med['no-gc']:.3f}, "
      f"{(med['gc'] - med['no-gc']) / cycles * 1e6:+.1f} us per cycle")
PY
