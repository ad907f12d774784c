#!/usr/bin/env bash
# Soak test of `gomemtrace daemon` (issue 7, README "Running as a service"): the daemon
# traces a workload that keeps producing new call stacks (scripts/soak/main.go) for
# MINUTES minutes at the default rate and interval; every 10 s it samples the daemon's
# RSS (/proc/PID/status VmRSS) and, once per interval shortly before it ends (when the
# tables are fullest: eviction runs at the end), the entries of its BPF maps (found
# through /proc/PID/fdinfo, counted with bpftool map dump).  At the end: RSS at minute 5
# and at the end, growth, the tables' figures from the last summary.json, crashes.
#   scripts/soak-daemon.sh [MINUTES] [MBPS] [EXTRA DAEMON OPTIONS...]  (default 30 200)
# Environment: TARGETS=N runs N copies of the workload (MBPS shared between them, default
# 1); OTLP=1 also starts the test OpenTelemetry Collector (tests/collector, built into
# build/collector) and gives the daemon --otlp-endpoint, then counts what it received.
# The daemon's CPU time (user + system, /proc/PID/stat) over the run is reported too.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-30}
mbps=${2:-200}
shift $(($# > 2 ? 2 : $#))
ninja -C build gomemtrace >/dev/null
tmp=$(mktemp -d /tmp/gmt-soak-XXXXXX)
export PATH=/usr/local/go/bin:$PATH
(cd scripts/soak && GO111MODULE=off go build -o "$tmp/soakload" main.go)
log=$tmp/soak.csv
echo "soak: $minutes min, workload $mbps MB/s, files in $tmp" >&2

targets=${TARGETS:-1}
colpid= otlp=()
if [ "${OTLP:-0}" = 1 ]; then
	col=$(tests/collector/build.sh build/collector | tail -1)
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	pport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	tests/collector/config.sh --otlp-port "$port" --prom-port "$pport" --out "$tmp/col" --flush 1s >"$tmp/col.yaml"
	"$col" --config "$tmp/col.yaml" --feature-gates=service.profilesSupport >"$tmp/col.log" 2>&1 &
	colpid=$!
	otlp=(--otlp-endpoint "http://127.0.0.1:$port")
fi

build/gomemtrace daemon --exe "$tmp/soakload" -o "$tmp/out" --keep 10 "${otlp[@]}" "$@" 2>"$tmp/daemon.err" &
dpid=$!
lpids=()
for ((i = 0; i < targets; i++)); do
	"$tmp/soakload" -mbps $((mbps / targets)) >"$tmp/load$i.out" &
	lpids+=($!)
done
lpid="${lpids[*]}"
cleanup() { kill $lpid $colpid 2>/dev/null || true; kill -TERM "$dpid" 2>/dev/null || true; }
trap cleanup EXIT
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$dpid/stat"; }
cpu0=$(cpu_ticks)

maps() { # "name=entries/max ..." of the daemon's BPF maps
	local f id
	for f in /proc/$dpid/fdinfo/*; do
		id=$(sed -n 's/^map_id:\s*//p' "$f" 2>/dev/null) || continue
		[ -n "$id" ] || continue
		local name max n
		name=$(bpftool map show id "$id" 2>/dev/null | sed -n 's/^[0-9]*: [a-z_]*  name \([^ ]*\).*/\1/p')
		max=$(sed -n 's/^max_entries:\s*//p' "$f")
		case "$name" in
		stacks_seen|allocs)
			n=$(bpftool -j map dump id "$id" 2>/dev/null |
				python3 -c 'import json, sys; print(len(json.load(sys.stdin)))' || echo '?')
			printf '%s=%s/%s ' "$name" "$n" "$max" ;;
		esac
	done
}

echo "t_s,rss_kb,maps" >"$log"
t0=$(date +%s)
last_maps=""
while :; do
	now=$(( $(date +%s) - t0 ))
	[ "$now" -ge $((minutes * 60)) ] && break
	if ! kill -0 "$dpid" 2>/dev/null; then
		echo "daemon died" >&2
		cat "$tmp/daemon.err" >&2
		exit 1
	fi
	rss=$(sed -n 's/^VmRSS:\s*\([0-9]*\) kB/\1/p' /proc/$dpid/status)
	if [ $((now % 60)) -ge 45 ] && [ $((now % 60)) -lt 55 ]; then last_maps=$(maps); fi
	echo "$now,$rss,$last_maps" >>"$log"
	sleep 10
done
cpu1=$(cpu_ticks)
kill -TERM "$dpid"
rc=0
wait "$dpid" || rc=$?
kill $lpid 2>/dev/null || true
if [ -n "$colpid" ]; then kill "$colpid"; wait "$colpid" || true; fi
trap - EXIT
echo "targets: $targets x $((mbps / targets)) MB/s; daemon CPU over the run: $(awk -v t=$((cpu1 - cpu0)) -v hz="$(getconf CLK_TCK)" -v s=$((minutes * 60)) 'BEGIN { printf "%.1f s, %.2f%% of one core", t / hz, 100 * t / hz / s }')"
if [ -n "$colpid" ]; then
	echo "OTLP: the Collector received $(grep -c . "$tmp/col/metrics.jsonl" 2>/dev/null || echo 0) metrics and $(grep -c . "$tmp/col/profiles.jsonl" 2>/dev/null || echo 0) profiles requests; the daemon says: $(grep -o 'OTLP: [0-9]* requests sent.*' "$tmp/daemon.err" | sed 's/ in \/.*//')"
fi

rss_at() { awk -F, -v t="$1" 'NR > 1 && $1 >= t { print $2; exit }' "$log"; }
r5=$(rss_at 300)
rend=$(tail -n 1 "$log" | cut -d, -f2)
last=$(ls -d "$tmp"/out/*/*/ | sort -t/ -k6 | tail -n 1)
echo "daemon exit status: $rc"
echo "RSS: minute 5 ${r5:-?} kB, end (minute $minutes) $rend kB, growth $(awk -v a="${r5:-0}" -v b="$rend" 'BEGIN { if (a > 0) printf "%.1f%%", 100 * (b - a) / a; else print "n/a" }')"
echo "RSS min/max after minute 5: $(awk -F, 'NR > 1 && $1 >= 300 { if (!m || $2 < m) m = $2; if ($2 > M) M = $2 } END { print m " / " M " kB" }' "$log")"
# The RSS swings within an interval (its tables fill, then are freed): compare the
# same phase, each minute's lowest and highest sample, at minute 5 and at the last one.
awk -F, -v last=$((minutes - 1)) 'NR > 1 { m = int($1 / 60); if ($2 > hi[m]) hi[m] = $2
		if (!lo[m] || $2 < lo[m]) lo[m] = $2 }
	END { printf "RSS per minute (low/high): minute 5 %d/%d kB, minute %d %d/%d kB: " \
		"low %+.1f%%, high %+.1f%%\n", lo[5], hi[5], last, lo[last], hi[last],
		100 * (lo[last] - lo[5]) / lo[5], 100 * (hi[last] - hi[5]) / hi[5] }' "$log"
echo "BPF maps (last sample): $(tail -n 1 "$log" | cut -d, -f3)"
echo "last interval: $last"
python3 - "$last/summary.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
keys = ["duration_s", "samples", "est_alloc_bytes", "table_rows", "table_stacks", "table_max_rows",
        "rows_peak", "rows_evicted", "stacks_evicted", "samples_dropped", "stacks_dropped"]
print(" ".join(f"{k}={j.get(k)}" for k in keys))
print("counters:", {k: v for k, v in j.get("counters", {}).items() if v})
PY
grep -c "error" "$tmp/daemon.err" | sed 's/^/daemon log errors: /'
echo "intervals written: $(find "$tmp/out" -mindepth 2 -maxdepth 2 -type d | wc -l) kept (--keep 10 per process)"
echo "log: $log"
