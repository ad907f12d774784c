#!/usr/bin/env bash
# Benchmark of the daemon's overhead (README "Performance", issue 7): the allocation-heavy
# workload (alloc -bench: 24-byte allocations on one goroutine, timed by the fixture
# itself) untraced and traced by one `gomemtrace daemon` at the default rate (524288)
# and interval (60 s), interleaved over several rounds.  Two copies of the fixture: the
# daemon follows one by --exe, the other is the untraced baseline (the daemon keeps
# running meanwhile, as on a host where it is installed).  A traced run is found by the
# daemon's /proc scan after it started: the script reports how long each run ran before
# the daemon traced it (from the daemon's log), and the ratio over the traced part.
#   scripts/bench-daemon.sh [GOVERSION] [ALLOCS] [ROUNDS]   (default go126 1000000000 3)
set -euo pipefail
cd "$(dirname "$0")/.."
ver=${1:-go126}
n=${2:-1000000000}
rounds=${3:-3}
ninja -C build gomemtrace tests/fixtures.stamp >/dev/null
tmp=$(mktemp -d /tmp/gmt-bench-daemon-XXXXXX)
cp "build/tests/fixtures/alloc-$ver-exe" "$tmp/traced"
cp "build/tests/fixtures/alloc-$ver-exe" "$tmp/plain"
build/gomemtrace daemon --exe "$tmp/traced" -o "$tmp/out" 2>"$tmp/daemon.err" &
dpid=$!
trap 'kill -TERM $dpid 2>/dev/null; wait $dpid 2>/dev/null; rm -rf "$tmp"' EXIT
until grep -qs "daemon:" "$tmp/daemon.err"; do sleep 0.1; done

ns() { sed -n 's/^bench allocs=[0-9]* ns=\([0-9]*\)$/\1/p'; }
sum_u=0 sum_d=0 sum_late=0
for r in $(seq "$rounds"); do
	t=$("$tmp/plain" -bench "$n" | ns)
	sum_u=$((sum_u + t))
	t0=$(date +%s%N)
	"$tmp/traced" -bench "$n" >"$tmp/run.out" &
	p=$!
	wait $p
	t=$(ns <"$tmp/run.out")
	sum_d=$((sum_d + t))
	# When the daemon had the probes in: its log line's wall-clock time.
	ts=$(grep "tracing PID $p " "$tmp/daemon.err" | cut -d' ' -f1)
	[ -n "$ts" ] || { echo "round $r: the daemon did not trace PID $p" >&2; exit 1; }
	late=$(( $(date -d "${ts/T/ }" +%s%N) - t0 ))
	sum_late=$((sum_late + late))
	echo "round $r: untraced $((sum_u / r)) ns avg, traced $t ns, traced after $((late / 1000000)) ms" >&2
done
kill -TERM $dpid
wait $dpid
printf '%s: %d allocations x %d rounds (%s), daemon at the default rate and interval\n' \
	"$ver" "$n" "$rounds" "$(uname -r)"
awk -v u="$sum_u" -v d="$sum_d" -v l="$sum_late" -v n="$n" -v r="$rounds" 'BEGIN {
	pu = u / (r * n); pd = d / (r * n)
	printf "untraced %.2f ns/alloc, daemon %.2f ns/alloc: throughput ratio %.4f\n", pu, pd, pu / pd
	f = 1 - l / d
	printf "untraced for the first %.0f ms of %.1f s on average: over the traced %.1f%%,\n", l / r / 1e6, d / r / 1e9, 100 * f
	printf "the ratio is %.4f\n", 1 / (1 + (pd / pu - 1) / f)
}'
grep -E "warning|error" "$tmp/daemon.err" | grep -v MemProfileRate || true
