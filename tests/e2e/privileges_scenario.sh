#!/usr/bin/env bash
# The scenario of tests/e2e/test_deploy.c's capability test (issue 13), kept as a script so
# that it can be run by hand too:
#   GMT=build/gomemtrace tests/e2e/privileges_scenario.sh FIXTURE WORKDIR
# FIXTURE is the sampled fixture (rate 0: gomemtrace must write MemProfileRate).  Two
# copies run as root; gomemtrace runs as uid 65534 with exactly the capabilities of each
# case, set by setpriv (inheritable, ambient and bounding set), so that CapEff is that
# set and nothing else.  Each case prints "NAME rc=N lines=N" and its stderr as
# "NAME err: ..." lines; the two that must work leave their outputs in WORKDIR/NAME.
# Changes kernel.perf_event_paranoid for one case and puts it back on every exit.
set -euo pipefail
gmt=${GMT:?} fx=${1:?} d=${2:?}
mkdir -p "$d"
chown 65534:65534 "$d" # outputs of the runs that need no CAP_DAC_OVERRIDE
chmod 755 "$d"
export GMT_STATE_DIR=$d/state # a fresh one, owned by 65534 like /run/gomemtrace would be
mkdir -p "$GMT_STATE_DIR" && chown 65534:65534 "$GMT_STATE_DIR"

paranoid=/proc/sys/kernel/perf_event_paranoid
old_paranoid=$(cat $paranoid)
pids=()
g=
cleanup() {
	[ -z "$g" ] || kill -TERM "$g" 2>/dev/null || true
	echo "$old_paranoid" > $paranoid
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

. "$(dirname "${BASH_SOURCE[0]}")/scenario_lib.sh" # wait_for

# setpriv's options for uid/gid 65534 with exactly CAPS (e.g. sys_admin,sys_ptrace; none)
drop() {
	local c=-all
	[ "$1" = none ] || c="-all,+${1//,/,+}"
	echo "--reuid=65534 --regid=65534 --clear-groups --inh-caps=$c --ambient-caps=$c" \
		"--bounding-set=$c"
}
# as CAPS CMD...: CMD run that way (in the background: setpriv $(drop CAPS) CMD &, so
# that $! is the command's PID)
as() {
	local caps=$1
	shift
	setpriv $(drop "$caps") "$@"
}

# try NAME CAPS ARGS...: gomemtrace ARGS as that user, its status and stderr reported
try() {
	local n=$1 caps=$2 rc=0
	shift 2
	as "$caps" "$gmt" "$@" > "$d/$n.out" 2> "$d/$n.err" || rc=$?
	echo "$n rc=$rc lines=$(wc -l < "$d/$n.err")"
	sed "s/^/$n err: /" "$d/$n.err"
}

# start TAG: a copy of the fixture, as root, waiting for SIGUSR1
start() {
	"$fx" -wait > "$d/$1.fx" 2>&1 &
	pids+=($!)
	eval "pid_$1=$!"
	wait_for "$d/$1.fx" ready
}

start A
start B
echo "pid_A=$pid_A pid_B=$pid_B"
echo "capeff_three=$(as bpf,perfmon,sys_ptrace sed -n 's/^CapEff:\t*//p' /proc/self/status)"
echo "capeff_sufficient=$(as sys_admin,sys_ptrace,dac_override sed -n 's/^CapEff:\t*//p' \
	/proc/self/status)"

# What README and --help promised: not enough.  perf_event_paranoid does not change it:
# the uprobe PMU wants CAP_SYS_ADMIN whatever it says.
for v in 2 -1; do
	echo "$v" > $paranoid
	try three_paranoid$v bpf,perfmon,sys_ptrace record -o "$d/x" -p "$pid_A"
done
echo "$old_paranoid" > $paranoid
# Each capability of the sufficient set left out in turn.
try no_ptrace sys_admin,dac_override record -o "$d/x" -p "$pid_A"
try no_dac sys_admin,sys_ptrace record -o "$d/x" -p "$pid_A"
try dac_read_only sys_admin,sys_ptrace,dac_read_search record -o "$d/x" -p "$pid_A"
try no_admin bpf,perfmon,sys_ptrace,dac_override record -o "$d/x" -p "$pid_A"
# A /proc that hides other users' processes (hidepid=invisible, in a mount namespace of
# its own): the process exists, and gomemtrace must say so.
unshare -m --propagation private bash -c "mount -t proc -o hidepid=invisible proc /proc &&
	exec setpriv $(drop sys_admin,dac_override) $gmt record --mode exact -o $d/x -p $pid_A" \
	> "$d/hidden.out" 2> "$d/hidden.err" && rc=0 || rc=$?
echo "hidden rc=$rc lines=$(wc -l < "$d/hidden.err")"
sed "s/^/hidden err: /" "$d/hidden.err"

# The sufficient set, sampled mode: writes the rate of A (0), traces, restores it.
setpriv $(drop sys_admin,sys_ptrace,dac_override) "$gmt" record --rate 65536 \
	-o "$d/sampled" -p "$pid_A" 2> "$d/sampled.err" &
g=$!
wait_for "$d/sampled.err" "tracing PID $pid_A "
state_files=$(ls "$GMT_STATE_DIR" | wc -l)
kill -USR1 "$pid_A"
wait_for "$d/A.fx" done 300
kill -TERM $g
rc=0 && wait $g || rc=$?
echo "sampled rc=$rc state_files_while_tracing=$state_files"
sed "s/^/sampled err: /" "$d/sampled.err"
kill -USR2 "$pid_A"
wait "$pid_A" || true
sed 's/^/A: /' "$d/A.fx"

# Exact mode writes nothing into the target: CAP_SYS_ADMIN and CAP_SYS_PTRACE suffice.
setpriv $(drop sys_admin,sys_ptrace) "$gmt" record --mode exact -o "$d/exact" \
	-p "$pid_B" 2> "$d/exact.err" &
g=$!
wait_for "$d/exact.err" "tracing PID $pid_B "
kill -USR1 "$pid_B"
wait_for "$d/B.fx" done 300
kill -TERM $g
rc=0 && wait $g || rc=$?
echo "exact rc=$rc"
sed "s/^/exact err: /" "$d/exact.err"
kill -USR2 "$pid_B"
wait "$pid_B" || true
sed 's/^/B: /' "$d/B.fx"
echo "paranoid_after=$(cat $paranoid) paranoid_before=$old_paranoid"
