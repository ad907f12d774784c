#!/usr/bin/env bash
# Benchmark of goroutine tracking (README "Performance", issue 8): what `record
# --goroutines` costs a program that creates goroutines at a high rate.  The goleak
# fixture's -bench mode creates goroutines that each do a little work (-work loop
# iterations; the default gives about 100k goroutines/s untraced on the development VM)
# for SECS seconds, in batches of 1000, and prints its own rate.  Three ways, interleaved
# over several rounds so that machine noise hits all alike:
#   untraced        the fixture alone
#   record          gomemtrace record (sampled mode, GC), attached with -p
#   goroutines      gomemtrace record --goroutines, attached with -p
# The fixture waits for SIGUSR1 before it starts, so gomemtrace's attach is not counted.
# The fixture reports goroutines per second of wall time and per CPU-second of its own
# (user + system: uprobe traps are system time of the thread that hits them), which
# stays meaningful when other programs load the machine.  Reports the median of each
# and the throughput ratios.
#   scripts/bench-goroutines.sh [GOVERSION] [SECS] [ROUNDS] [WORK]   (default go126 3 3 30000)
set -euo pipefail
cd "$(dirname "$0")/.."
ver=${1:-go126}
secs=${2:-3}
rounds=${3:-3}
work=${4:-30000}
ninja -C build gomemtrace tests/fixtures.stamp >/dev/null
fx=build/tests/fixtures/goleak-$ver-exe
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

rates() { sed -n 's/^rate=\([0-9]*\) cpu_rate=\([0-9]*\)$/\1:\2/p'; }

untraced() {
	"$fx" -bench "$secs" -work "$work" | rates
}

# traced OPTS...: the fixture's rate while gomemtrace record OPTS is attached.
traced() {
	rm -rf "$tmp/out" "$tmp/fx.out" "$tmp/gmt.err"
	"$fx" -wait -bench "$secs" -work "$work" > "$tmp/fx.out" &
	local p=$!
	until grep -qs ready "$tmp/fx.out"; do sleep 0.05; done
	build/gomemtrace record "$@" -o "$tmp/out" -p "$p" 2> "$tmp/gmt.err" &
	local g=$!
	until grep -qs "tracing PID" "$tmp/gmt.err"; do sleep 0.05; done
	kill -USR1 "$p"
	wait "$p"
	wait "$g" # ends by itself: the target exited
	rates < "$tmp/fx.out"
}

declare -A runs
for r in $(seq "$rounds"); do
	runs[untraced]+=" $(untraced)"
	runs[record]+=" $(traced)"
	runs[goroutines]+=" $(traced --goroutines)"
	echo "round $r done" >&2
done
created=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["goroutines_created"])' \
	"$tmp/out/summary.json")
drops=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["counters"]; print(c.get("go_rb_drops", 0))' \
	"$tmp/out/summary.json" 2>/dev/null || echo "?")

python3 - "$ver" "$rounds" "$secs" "$work" "$created" "$drops" \
	"${runs[untraced]}" "${runs[record]}" "${runs[goroutines]}" <<'PY'
import statistics, sys
ver, rounds, secs, work, created, drops = sys.argv[1:7]
names = ("untraced", "record", "goroutines")
wall = {k: statistics.median(float(x.split(":")[0]) for x in v.split())
        for k, v in zip(names, sys.argv[7:10])}
cpu = {k: statistics.median(float(x.split(":")[1]) for x in v.split())
       for k, v in zip(names, sys.argv[7:10])}
print(f"{ver}: goleak -bench {secs} -work {work}, median of {rounds} rounds "
      f"(last traced run: {created} goroutines seen created, {drops} records dropped)")
print(f"  {'':11s} {'goroutines/s':>14s} {'throughput':>10s} {'per CPU-s':>12s} {'throughput':>10s}")
for k in names:
    print(f"  {k:11s} {wall[k]:14.0f} {wall[k] / wall['untraced']:10.3f} "
          f"{cpu[k]:12.0f} {cpu[k] / cpu['untraced']:10.3f}")
print(f"goroutine tracking alone (goroutines / record): wall x{wall['goroutines'] / wall['record']:.3f}, "
      f"CPU x{cpu['goroutines'] / cpu['record']:.3f}, "
      f"{(1 / cpu['goroutines'] - 1 / cpu['record']) * 1e6:+.1f} us of CPU per goroutine")
PY
