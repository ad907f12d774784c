#!/usr/bin/env bash
# The scenario of tests/e2e/test_deploy.c's systemd unit test (issue 13), kept as a script
# so that it can be run by hand too:
#   GMT=build/gomemtrace tests/e2e/unit_scenario.sh UNIT FIXTURE WORKDIR
# UNIT is scripts/gomemtrace.service; FIXTURE the sampled fixture, whose MemProfileRate
# is 0, so that the daemon must write it down in its RuntimeDirectory before it raises
# it.  No systemd runs here: tests/e2e/unit_sandbox.sh emulates the unit's restrictions.
# Phases, each printing key=value lines and the daemon's log:
#   check   the sandbox itself: capabilities, what is writable and what is not;
#   old     the unit without RuntimeDirectory= (as it was): the daemon cannot start;
#   new     the unit as shipped, on a fixture run as root: traced, rate raised, state
#           file written, SIGHUP (ExecReload) and SIGTERM (stop) intervals, rate restored;
#   crash   the daemon SIGKILLed: the state file stays (RuntimeDirectoryPreserve=yes),
#           and `gomemtrace restore`, run under the same restrictions, restores the rate.
set -euo pipefail
gmt=${GMT:?} unit=${1:?} fx=${2:?} d=${3:?}
here=$(cd "$(dirname "$0")" && pwd)
sandbox=$here/unit_sandbox.sh
export GMT=$gmt
mkdir -p "$d"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

. "$(dirname "${BASH_SOURCE[0]}")/scenario_lib.sh" # wait_for

# start TAG: a copy of the fixture, as root, waiting for SIGUSR1; its PID in $fxpid
start() {
	"$fx" -wait > "$d/$1.fx" 2>&1 &
	fxpid=$!
	pids+=($fxpid)
	wait_for "$d/$1.fx" ready
}

# finish TAG PID: lets it allocate, end, and prints its output
finish() {
	kill -USR1 "$2"
	wait_for "$d/$1.fx" done 300
	kill -USR2 "$2"
	wait "$2" || true
	sed "s/^/$1: /" "$d/$1.fx"
}

echo "== check"
"$sandbox" "$unit" "$d/check" 1 --check 2> "$d/check.err" | sed 's/^/check: /'

echo "== old"
start old
rc=0
timeout 120 "$sandbox" "$unit" "$d/old" $fxpid --skip RuntimeDirectory \
	--skip RuntimeDirectoryMode --skip RuntimeDirectoryPreserve 2> "$d/old.err" || rc=$?
echo "old rc=$rc"
grep -v '^unit:' "$d/old.err" | sed 's/^/old err: /'
finish old $fxpid

echo "== new"
start new
p=$fxpid
"$sandbox" "$unit" "$d/new" $p 2> "$d/new.err" &
g=$!
pids+=($g)
wait_for "$d/new.err" "tracing PID $p "
echo "new capeff=$(sed -n 's/^CapEff:\t*//p' /proc/$g/status)"
echo "new state_files_while_tracing=$(ls "$d/new/runtime" | wc -l)"
echo "new state_file_mode=$(stat -c %a "$d/new/runtime/$p-"*.json)"
kill -USR1 $p
wait_for "$d/new.fx" done 300
kill -HUP $g # ExecReload
for ((i = 0; i < 1200; i++)); do
	[ -n "$(ls "$d/new/state/"*"-$p/" 2>/dev/null)" ] && break
	sleep 0.05
done
kill -TERM $g # systemctl stop
rc=0 && wait $g || rc=$?
echo "new rc=$rc"
echo "new state_files_after=$(ls "$d/new/runtime" | wc -l)"
kill -USR2 $p
wait $p || true
sed 's/^/new: /' "$d/new.fx"
for s in "$d/new/state/"*"-$p/"*; do echo "new set=$s"; done
echo "new metrics_mode=$(stat -c %a "$d/new/rw-1/gomemtrace.prom")"
promtool check metrics < "$d/new/rw-1/gomemtrace.prom" 2>&1 | sed 's/^/new promtool: /'
echo "new promtool_rc=${PIPESTATUS[0]}"
grep -v '^unit:' "$d/new.err" | sed 's/^/new err: /'

echo "== crash"
start crash
p=$fxpid
"$sandbox" "$unit" "$d/crash" $p 2> "$d/crash.err" &
g=$!
pids+=($g)
wait_for "$d/crash.err" "tracing PID $p "
kill -KILL $g
{ wait $g; } 2>/dev/null || true
echo "crash state_files_after_kill=$(ls "$d/crash/runtime" | wc -l)"
rc=0
"$sandbox" "$unit" "$d/crash" $p --instead restore 2> "$d/restore.err" || rc=$?
echo "crash restore_rc=$rc"
grep -v '^unit:' "$d/restore.err" | sed 's/^/crash restore: /'
echo "crash state_files_after_restore=$(ls "$d/crash/runtime" | wc -l)"
finish crash $p
