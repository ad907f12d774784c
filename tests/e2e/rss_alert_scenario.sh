#!/usr/bin/env bash
# The scenario of tests/e2e/test_daemon.c's rss_alert_in_a_memory_cgroup (issue 15:
# --alert-rss-pct, and --alert-heap on the runtime's HeapAlloc), kept as a script so that
# it can be run by hand too (as root):
#   GMT=build/gomemtrace GO=go tests/e2e/rss_alert_scenario.sh WORKDIR
# It builds a small Go program that holds 96 MiB, every page written (so that its RSS is
# ~100 MiB and its HeapAlloc 96 MiB), creates a memory cgroup with a 256 MiB limit and
# runs the program in it three times under the daemon:
#   hi  --alert-rss-pct 25 (64 MiB) --alert-heap 64M --alert-for 2: both must fire
#   lo  --alert-rss-pct 60 (153.6 MiB) --alert-heap 1G --alert-for 2: neither may
#   nl  the limit removed ("max"), --alert-rss-pct 1: cannot fire, said once
# The cgroup: a child of the cgroup2 root when the memory controller is on cgroup2
# (enabled in its subtree_control if it is not), else a child of this shell's own v1
# memory cgroup (hybrid hosts: it stays under whatever limits this shell has).  It is
# removed on every exit.  The oracle, read here and not by gomemtrace: VmRSS of
# /proc/PID/status, the cgroup's memory.current (v1: memory.usage_in_bytes), and the
# program's own runtime.ReadMemStats HeapAlloc.  Prints key=value lines.
set -euo pipefail
gmt=${GMT:?} go=${GO:-go}
d=${1:?}
mkdir -p "$d/src"
limit=$((256 << 20))

cat > "$d/src/main.go" <<'EOF'
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

var hold [][]byte

func main() {
	mib, _ := strconv.Atoi(os.Args[1])
	for i := 0; i < mib; i++ {
		b := make([]byte, 1<<20)
		for j := 0; j < len(b); j += 4096 {
			b[j] = 1 // every page resident
		}
		hold = append(hold, b)
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fmt.Printf("held heapalloc=%d\n", m.HeapAlloc)
	for {
		time.Sleep(time.Hour)
	}
}
EOF
(cd "$d/src" && GOTOOLCHAIN=local GOFLAGS= GO111MODULE=off CGO_ENABLED=0 "$go" build -o "$d/hold" main.go)

cg= p= g=
cleanup() {
	local i
	[ -z "$g" ] || kill -9 "$g" 2>/dev/null || true
	[ -z "$p" ] || kill -9 "$p" 2>/dev/null || true
	wait 2>/dev/null || true
	if [ -n "$cg" ] && [ -d "$cg" ]; then
		for i in $(seq 1 100); do rmdir "$cg" 2>/dev/null && break; sleep 0.1; done
	fi
	if [ -n "$cg" ] && [ ! -d "$cg" ]; then echo "cg_removed=1"; else echo "cg_removed=0"; fi
}
trap cleanup EXIT

v2=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
if [ -n "$v2" ] && grep -qw memory "$v2/cgroup.controllers" 2>/dev/null; then
	grep -qw memory "$v2/cgroup.subtree_control" || echo +memory > "$v2/cgroup.subtree_control"
	cg=$v2/gmt-test-$$-$RANDOM
	mkdir "$cg"
	ver=2 cur_file=memory.current max_file=memory.max unlimited=max
else
	v1=$(awk '$3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/ {print $2; exit}' /proc/mounts)
	own=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3; exit}' /proc/self/cgroup)
	[ -n "$v1" ] && [ -n "$own" ] || { echo "cg_version=0 (no memory cgroup, v2 or v1)"; exit 1; }
	cg=$v1${own%/}/gmt-test-$$-$RANDOM
	mkdir "$cg"
	ver=1 cur_file=memory.usage_in_bytes max_file=memory.limit_in_bytes unlimited=-1
fi
echo "cg_version=$ver cg_limit=$limit"
echo "cg_dir=$cg"

. "$(dirname "${BASH_SOURCE[0]}")/scenario_lib.sh" # wait_for
# reads FILE N: until the daemon's log has N memory reads of the target
reads() { grep -c "PID $p: memory read:" "$1" 2>/dev/null || true; }
oracle() { # tag
	echo "$c.rss_kb_$1=$(awk '/^VmRSS:/ {print $2}' /proc/$p/status) $c.cg_current_$1=$(cat "$cg/$cur_file")"
}

# case TAG LIMIT DAEMON-OPTIONS...
case_run() {
	c=$1 lim=$2
	shift 2
	echo "$lim" > "$cg/$max_file"
	bash -c 'echo $$ > "$1/cgroup.procs"; exec "$2" 96' _ "$cg" "$d/hold" > "$d/$c.out" 2>&1 &
	p=$!
	wait_for "$d/$c.out" held
	echo "$c.in_cgroup=$(grep -c "$(basename "$cg")\$" /proc/$p/cgroup)"
	echo "$c.heapalloc=$(sed -n 's/^held heapalloc=//p' "$d/$c.out")"
	oracle before
	"$gmt" daemon -v -p $p -o "$d/out-$c" -i 3600 --metrics none "$@" 2> "$d/$c.err" &
	g=$!
	wait_for "$d/$c.err" "tracing PID $p "
	case $c in
	hi)
		wait_for "$d/$c.err" "ALERT PID $p .*RSS"
		wait_for "$d/$c.err" "ALERT PID $p .*HeapAlloc"
		;;
	*)
		# the daemon read the figures for longer than --alert-for (2 s) plus a read
		local i
		for ((i = 0; i < 1200; i++)); do
			[ "$(reads "$d/$c.err")" -ge 5 ] && break
			sleep 0.05
		done
		;;
	esac
	oracle after
	echo "$c.reads=$(reads "$d/$c.err")"
	kill -TERM $g
	rc=0
	wait $g || rc=$?
	g=
	echo "$c.daemon_rc=$rc"
	kill -9 $p
	wait $p 2>/dev/null || true
	p=
	echo "$c.alerts=$(grep -c ALERT "$d/$c.err" || true) $c.cannot=$(grep -c 'alert-rss-pct cannot fire' "$d/$c.err" || true)"
	echo "$c.rss_sets=$(ls -d "$d/out-$c"/*/*-alert-rss 2>/dev/null | wc -l) $c.heap_sets=$(ls -d "$d/out-$c"/*/*-alert-heap 2>/dev/null | wc -l)"
	grep -h 'ALERT\|cannot fire' "$d/$c.err" | sed "s/^/$c.log: /" || true
	local set
	set=$(ls -d "$d/out-$c"/*/*-alert-rss 2>/dev/null | head -n 1 || true)
	if [ -n "$set" ]; then
		echo "$c.set_files=$(ls "$set" | grep -c -x -e memory.json -e heap.pb.gz -e goroutines.txt -e goroutines.pb.gz -e summary.json || true)"
		python3 -c 'import json, sys; p = json.load(open(sys.argv[1]))["process"]
print(sys.argv[2] + ".json_rss=%d %s.json_max=%s %s.json_ver=%s" % (p["rss_bytes"], sys.argv[2],
      p["cgroup_memory_max"], sys.argv[2], p["memory_cgroup_version"]))' "$set/memory.json" "$c"
	fi
}

case_run hi $limit --alert-rss-pct 25 --alert-heap 64M --alert-for 2
case_run lo $limit --alert-rss-pct 60 --alert-heap 1G --alert-for 2
case_run nl $unlimited --alert-rss-pct 1 --alert-for 2
echo "scenario_done=1"
