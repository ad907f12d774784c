#!/usr/bin/env bash
# Benchmark of `gomemtrace snapshot` (README "Performance", issue 15): what reading a
# large process from outside costs gomemtrace, and whether it slows the process down.
# The target is scripts/snapbench.go: G parked goroutines (default 100,000) and B
# heap-profile buckets (default 50,000; MemProfileRate 1), and a CPU-bound loop that
# prints its rate once a second, per second of wall time and per CPU-second of the
# process (which stays meaningful when other programs load the machine).
#   1. gomemtrace's CPU (user + system) for each of N full snapshots (heap and
#      goroutines), and for heap alone and goroutines alone: the median of each;
#   2. the target's rate in ROUNDS rounds, each SECS seconds untouched then SECS seconds
#      under back-to-back snapshots (interleaved so that machine noise hits both
#      alike): the medians and their ratio (under snapshots / untouched).
#   scripts/bench-snapshot.sh [G] [B] [N] [ROUNDS] [SECS]   (default 100000 50000 5 3 6)
set -euo pipefail
cd "$(dirname "$0")/.."
g=${1:-100000}
b=${2:-50000}
n=${3:-5}
rounds=${4:-3}
secs=${5:-6}
ninja -C build gomemtrace >/dev/null
go=/usr/local/go/bin/go
[ -x "$go" ] || go=go
mkdir -p build/bench
[ build/bench/snapbench -nt scripts/snapbench.go ] ||
	GOTOOLCHAIN=local "$go" build -o build/bench/snapbench scripts/snapbench.go
tmp=$(mktemp -d)
pid=
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

build/bench/snapbench -g "$g" -b "$b" > "$tmp/fx.out" &
pid=$!
until grep -qs '^ready' "$tmp/fx.out"; do
	kill -0 "$pid" || { echo "bench: the target died" >&2; exit 1; }
	sleep 0.2
done
sed -n 's/^ready /target: /p' "$tmp/fx.out"

median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# cpu OPTS...: gomemtrace's CPU seconds (user + system) for one snapshot.
cpu() {
	local t
	rm -rf "$tmp/snap"
	t=$( { TIMEFORMAT='%U %S'; time build/gomemtrace snapshot -p "$pid" -o "$tmp/snap" "$@" \
		> "$tmp/snap.out" 2> "$tmp/snap.err"; } 2>&1) ||
		{ cat "$tmp/snap.err" >&2; exit 1; }
	awk '{print $1 + $2}' <<< "$t"
}

for what in full heap goroutines; do
	case $what in
	full) opts=() ;;
	heap) opts=(--no-goroutines) ;;
	goroutines) opts=(--no-heap) ;;
	esac
	vals=$(for i in $(seq "$n"); do cpu "${opts[@]}"; done)
	echo "snapshot ($what): gomemtrace CPU median $(median <<< "$vals") s over $n runs (" $vals ")"
done
grep -E '^goroutines:|heap profile of' "$tmp/snap.out" "$tmp/snap.err" 2>/dev/null | sed 's/^[^:]*://' || true

# rates SINCE_LINE: the target's rate lines after that line of its output.
rates() { tail -n +"$(($1 + 1))" "$tmp/fx.out" | sed -n 's/^rate=\([0-9]*\) cpu_rate=\([0-9]*\).*/\1 \2/p'; }
quiet=() busy=()
for r in $(seq "$rounds"); do
	at=$(wc -l < "$tmp/fx.out")
	sleep "$secs"
	mapfile -t -O "${#quiet[@]}" quiet < <(rates "$at" | tail -n +2)
	at=$(wc -l < "$tmp/fx.out")
	end=$((SECONDS + secs))
	k=0
	while [ $SECONDS -lt $end ]; do
		build/gomemtrace snapshot -p "$pid" -o "$tmp/snap" > /dev/null 2>&1
		k=$((k + 1))
	done
	mapfile -t -O "${#busy[@]}" busy < <(rates "$at" | tail -n +2)
	echo "round $r: $k snapshots" >&2
done
q=$(printf '%s\n' "${quiet[@]}" | cut -d' ' -f1 | median)
qc=$(printf '%s\n' "${quiet[@]}" | cut -d' ' -f2 | median)
s=$(printf '%s\n' "${busy[@]}" | cut -d' ' -f1 | median)
sc=$(printf '%s\n' "${busy[@]}" | cut -d' ' -f2 | median)
echo "target rate, untouched:        $q/s wall, $qc per CPU-second (${#quiet[@]} samples)"
echo "target rate, under snapshots:  $s/s wall, $sc per CPU-second (${#busy[@]} samples)"
awk -v q="$q" -v s="$s" -v qc="$qc" -v sc="$sc" \
	'BEGIN {printf "ratio under snapshots / untouched: %.3f (wall), %.3f (per CPU-second)\n", s / q, sc / qc}'
