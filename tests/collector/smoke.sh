#!/usr/bin/env bash
# Proves the test chain works without gomemtrace: OTLP/HTTP -> the test Collector -> its
# file exporter and its Prometheus exporter -> Debian's Prometheus -> PromQL.
#
#   tests/collector/smoke.sh [BUILDDIR]
#
# BUILDDIR caches the Collector (build.sh; default build/collector).  Everything else lives
# in a temporary directory, removed at the end (kept with KEEP=1).  Only 127.0.0.1 is used.
# Exits non-zero on any failure and ends with "smoke: N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
builddir=${1:-$root/build/collector}

t0=${EPOCHREALTIME/./}
elapsed() { local us=$((${EPOCHREALTIME/./} - t0)); printf '%3d.%02ds' $((us / 1000000)) $((us % 1000000 / 10000)); }
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "[$(elapsed)] ok    $*"; }
fail() { failed=$((failed + 1)); echo "[$(elapsed)] FAIL  $*"; }
check() { # description command...
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; return 1; fi
}
# Polls a command until it succeeds or SECONDS pass: conditions, not sleeps.
until_ok() { # seconds command...
	local end
	end=$(($(date +%s) + $1))
	shift
	while ! "$@" 2>/dev/null; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.2
	done
}

# Debian's python3 (a python3 earlier in PATH, e.g. a version manager's shim, can take
# seconds per start on a loaded machine); PYTHON overrides.
py=${PYTHON:-/usr/bin/python3}
[ -x "$py" ] || py=$(command -v python3)
export PYTHON=$py
for c in curl "$py" prometheus promtool; do
	command -v "$c" >/dev/null || { echo "smoke: $c missing (apt-get install curl python3 prometheus)" >&2; exit 1; }
done

bin=$("$here/build.sh" "$builddir" | tail -n 1) || { echo "smoke: collector build failed" >&2; exit 1; }
echo "[$(elapsed)] collector: $bin"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gmt-smoke.XXXXXX")
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	if [ "${KEEP:-0}" = 1 ]; then echo "smoke: kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

# Free ports, chosen by the kernel (a small race with other processes; the Collector
# would then fail to start and the test says so).
read -r p_otlp p_prom p_promsrv p_auth p_authprom < <("$py" -c '
import socket
ss = [socket.socket() for _ in range(5)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')

# send ARGS: otlpsend.py; sendv: the same with its one line indented, for the log.
send() { "$py" "$here/otlpsend.py" "$@"; }
sendv() {
	"$py" "$here/otlpsend.py" "$@" | sed 's/^/    | /'
	return "${PIPESTATUS[0]}"
}

# status_is URL CODE: URL answers CODE (a GET on an OTLP path: 405, or 401 with auth).
status_is() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = "$2" ]; }

start_collector() { # name config -> pid in $colpid
	"$bin" --config "$2" --feature-gates=service.profilesSupport > "$tmp/$1.log" 2>&1 &
	colpid=$!
	pids+=("$colpid")
}

# ---- collector without auth, Prometheus scraping it --------------------------------
"$here/config.sh" --otlp-port "$p_otlp" --prom-port "$p_prom" --out "$tmp/out" > "$tmp/col.yaml"
start_collector col "$tmp/col.yaml"
col=$colpid
base=http://127.0.0.1:$p_otlp
# GET on an OTLP path answers 405 once the receiver listens.
check "collector listens (GET /v1/metrics -> 405)" until_ok 30 status_is "$base/v1/metrics" 405 ||
	{ tail -n 20 "$tmp/col.log"; exit 1; }

"$here/prometheus.sh" run "$tmp/prom" "$p_promsrv" "127.0.0.1:$p_prom" > "$tmp/prom.log" 2>&1 &
pids+=($!)
check "prometheus ready" "$here/prometheus.sh" wait "$p_promsrv" 60

# ---- metrics: OTLP/JSON with curl, OTLP/protobuf+gzip -----------------------------
"$py" - "$tmp/m.json" <<'PY'
import json, sys, time
t = str(time.time_ns())
kv = lambda k, v: {"key": k, "value": {"stringValue": v}}
json.dump({"resourceMetrics": [{
    "resource": {"attributes": [kv("service.name", "smoke")]},
    "scopeMetrics": [{"scope": {"name": "smoke"}, "metrics": [
        {"name": "smoke.heap", "unit": "By",
         "gauge": {"dataPoints": [{"timeUnixNano": t, "asInt": "4242"}]}}]}]}]},
    open(sys.argv[1], "w"))
PY
code=$(curl -s -o "$tmp/m.resp" -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary @"$tmp/m.json" "$base/v1/metrics")
check "curl OTLP/JSON metrics -> 200 ($code $(cat "$tmp/m.resp"))" [ "$code" = 200 ]
check "otlpsend metrics protobuf+gzip -> 200" \
	sendv metrics "$base" --encoding proto --gzip --service smoke-pb --value 777

dec() { "$py" "$here/decode.py" "$@"; }
has_line() { # file pattern command...
	local f=$1 pat=$2
	shift 2
	"$@" > "$f" && grep -qE "$pat" "$f"
}
check "file exporter: smoke.heap = 4242" until_ok 10 has_line "$tmp/d1" \
	$'^smoke\tsmoke.heap\tgauge\tBy\t-\t4242\t' dec metrics "$tmp/out/metrics.jsonl" --service smoke
check "file exporter: protobuf request decoded (go.memory.used = 777)" until_ok 10 has_line "$tmp/d2" \
	$'^smoke-pb\tgo.memory.used\tgauge\tBy\t-\t777\t' dec metrics "$tmp/out/metrics.jsonl" --service smoke-pb
check "file exporter: cumulative monotonic sum = 1554" grep -qE \
	$'^smoke-pb\tgo.memory.allocated\tsum/cumulative/monotonic\tBy\t-\t1554\t' "$tmp/d2"
check "file exporter: histogram" grep -qE \
	$'^smoke-pb\tgomemtrace.gc.pause.duration\thistogram/cumulative\ts\treason=GC\tcount=3 sum=0.006 bounds=0.001,0.01 counts=1,2,0\t' "$tmp/d2"
tr '\t' ' ' < "$tmp/d2" | sed 's/^/    | /'

curl -s "http://127.0.0.1:$p_prom/metrics" > "$tmp/exposition.txt"
check "exporter /metrics: smoke_heap_bytes{job=\"smoke\",service_name=\"smoke\"}" \
	grep -qE '^smoke_heap_bytes\{.*job="smoke".*service_name="smoke".*\} 4242$' "$tmp/exposition.txt"
check "exporter /metrics: go_memory_allocated_bytes_total, gomemtrace_gc_pause_duration_seconds_count" \
	grep -qE '^go_memory_allocated_bytes_total\{.*service_name="smoke-pb".*\} 1554$' "$tmp/exposition.txt"
grep -qE '^gomemtrace_gc_pause_duration_seconds_count\{.*service_name="smoke-pb".*\} 3$' "$tmp/exposition.txt" ||
	fail "exporter /metrics: histogram count"
# promtool lints the exposition (it flags the empty HELP texts); shown, not asserted.
promtool check metrics < "$tmp/exposition.txt" 2>&1 | head -n 5 | sed 's/^/    | promtool: /'

pq_is() { # PROMQL VALUE: equal within 1e-9 relative (float formatting)
	local v
	v=$("$here/prometheus.sh" value "$p_promsrv" "$1") || return 1
	"$py" -c 'import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); sys.exit(abs(a - b) > 1e-9 * max(1, abs(b)))' "$v" "$2"
}
check "PromQL smoke_heap_bytes{service_name=\"smoke\"} = 4242" until_ok 30 pq_is 'smoke_heap_bytes{service_name="smoke"}' 4242
check "PromQL go_memory_used_bytes{job=\"smoke-pb\"} = 777" until_ok 10 pq_is 'go_memory_used_bytes{job="smoke-pb"}' 777
check "PromQL histogram_quantile over gomemtrace_gc_pause_duration_seconds_bucket" until_ok 10 pq_is \
	'histogram_quantile(0.5, gomemtrace_gc_pause_duration_seconds_bucket{service_name="smoke-pb"})' 0.00325
"$here/prometheus.sh" query "$p_promsrv" 'smoke_heap_bytes{service_name="smoke"}' | sed 's/^/    | /'

# ---- profiles -----------------------------------------------------------------------
check "otlpsend profiles OTLP/JSON -> 200" \
	sendv profiles "$base" --encoding json --service smoke --value 4096
check "otlpsend profiles protobuf+gzip -> 200" \
	sendv profiles "$base" --encoding proto --gzip --service smoke-pb --value 8192
check "OTLP-Profiles-Development-Version: 1 -> 200" \
	sendv profiles "$base" --service smoke-v1 --value 1 --header OTLP-Profiles-Development-Version=1
check "OTLP-Profiles-Development-Version: 2 -> 400" \
	sendv profiles "$base" --service smoke-v2 --value 1 --header OTLP-Profiles-Development-Version=2 --expect 400
check "file exporter: JSON profile total 4096" until_ok 10 has_line "$tmp/p1" \
	$'^smoke\talloc_space/bytes\tsamples=1\ttotal=4096\tperiod=524288\t' dec profiles "$tmp/out/profiles.jsonl" --service smoke
check "file exporter: protobuf profile total 8192" until_ok 10 has_line "$tmp/p2" \
	$'^smoke-pb\talloc_space/bytes\tsamples=1\ttotal=8192\tperiod=524288\t.*profile_id=0102030405060708090a0b0c0d0e0f10$' \
	dec profiles "$tmp/out/profiles.jsonl" --service smoke-pb
check "folded stack with the inlined frame: main.main;main.caller;main.leaf 8192" has_line "$tmp/p3" \
	$'^smoke-pb\talloc_space/bytes\tmain.main;main.caller;main.leaf\t8192$' dec profiles "$tmp/out/profiles.jsonl" --service smoke-pb --folded
check "no profile with the rejected version header arrived" sh -c "! grep -q smoke-v2 '$tmp/out/profiles.jsonl'"
"$py" - "$tmp/out/profiles.jsonl" > "$tmp/buildid" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)["dictionary"]
    s = d["stringTable"]
    for m in d["mappingTable"][1:]:
        for i in m.get("attributeIndices", []):
            a = d["attributeTable"][i]
            print(s[m["filenameStrindex"]], s[a["keyStrindex"]], a["value"]["stringValue"])
PY
check "mapping keeps its build ID attribute" grep -q '^/bin/app process.executable.build_id.go smoke-build-id$' "$tmp/buildid"

# ---- bearer-token auth --------------------------------------------------------------
"$here/config.sh" --otlp-port "$p_auth" --prom-port "$p_authprom" --out "$tmp/out-auth" --token s3cret > "$tmp/auth.yaml"
start_collector auth "$tmp/auth.yaml"
abase=http://127.0.0.1:$p_auth
check "auth collector listens (GET -> 401 before the method check)" until_ok 30 status_is "$abase/v1/metrics" 401
send metrics "$abase" --token wrong --expect 401 > "$tmp/a1"
check "wrong token -> $(cat "$tmp/a1")" grep -q '^HTTP 401 .*does not match' "$tmp/a1"
send metrics "$abase" --expect 401 > "$tmp/a2"
check "no token -> $(cat "$tmp/a2")" grep -q '^HTTP 401 .*missing or empty authorization header' "$tmp/a2"
check "right token -> 200" sendv metrics "$abase" --token s3cret --service authed
check "only the authorized request arrived" until_ok 10 has_line "$tmp/a3" '^authed' dec metrics "$tmp/out-auth/metrics.jsonl"
check "... and nothing else" [ "$(cut -f1 "$tmp/a3" | sort -u)" = authed ]

# ---- 503 with Retry-After through the fault proxy ----------------------------------
exec 3< <(exec "$py" "$here/faultproxy.py" --target "$base" --status 503 --count 2 --retry-after 3 --log "$tmp/proxy.log")
pids+=($!)
read -r -t 10 p_proxy <&3 || p_proxy=
check "fault proxy up (port ${p_proxy:-none})" [ -n "$p_proxy" ]
pbase=http://127.0.0.1:$p_proxy
send metrics "$pbase" --service proxied --expect 503 > "$tmp/f1"
check "1st through proxy: $(cat "$tmp/f1")" grep -q '^HTTP 503 retry-after=3 ' "$tmp/f1"
send metrics "$pbase" --service proxied --encoding proto --expect 503 > "$tmp/f2"
check "2nd through proxy (protobuf Status body): $(cat "$tmp/f2")" grep -q '^HTTP 503 retry-after=3 080e12' "$tmp/f2"
check "3rd through proxy -> forwarded, 200" sendv metrics "$pbase" --service proxied --value 31
check "proxied request arrived once" until_ok 10 has_line "$tmp/f3" \
	$'^proxied\tgo.memory.used\tgauge\tBy\t-\t31\t' dec metrics "$tmp/out/metrics.jsonl" --service proxied
check "... exactly once" [ "$(grep -c $'\tgo.memory.used\t' "$tmp/f3")" = 1 ]
curl -s -X POST "$pbase/_fault?status=429&count=1&retry_after=1" > /dev/null
send metrics "$pbase" --service proxied --expect 429 > "$tmp/f4"
check "control endpoint: 429 injected at run time: $(cat "$tmp/f4")" grep -q '^HTTP 429 retry-after=1 ' "$tmp/f4"
check "proxy log: 4 requests, 3 injected" "$py" -c '
import json, sys
e = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(not (len(e) == 4 and [x["status"] for x in e] == [503, 503, 200, 429]
              and sum(x["injected"] for x in e) == 3 and e[2]["upstream"] == 200))' "$tmp/proxy.log"

# ---- Collector stopped and started again: nothing lost, appended ------------------
kill -TERM "$col"
wait "$col" 2>/dev/null
send metrics "$base" --service down > /dev/null 2> "$tmp/r00"
check "collector stopped: $(cat "$tmp/r00")" grep -q 'Connection refused' "$tmp/r00"
send metrics "$pbase" --service down --expect 502 > "$tmp/r0"
check "proxy answers 502 while the collector is down: $(cut -c1-60 "$tmp/r0")" grep -q '^HTTP 502 ' "$tmp/r0"
start_collector col2 "$tmp/col.yaml"
check "collector restarted on the same port" until_ok 30 status_is "$base/v1/metrics" 405
check "after restart: request accepted" sendv metrics "$base" --service restarted --value 99
check "after restart: old and new data in the same file (append)" until_ok 10 has_line "$tmp/r1" \
	$'^restarted\tgo.memory.used\tgauge\tBy\t-\t99\t' dec metrics "$tmp/out/metrics.jsonl" --last
check "... the data from before the restart is still there" grep -q $'^smoke\tsmoke.heap\t' "$tmp/r1"

echo "[$(elapsed)] done"
echo "smoke: $passed passed, $failed failed"
[ "$failed" = 0 ]
