#!/usr/bin/env bash
# The scenario of tests/e2e/test_daemon.c (issue 7's acceptance), kept as a script so that
# it can be run by hand too:
#   GMT=build/gomemtrace GO=go tests/e2e/daemon_scenario.sh FIXTURE_A FIXTURE_B WORKDIR
# One daemon follows two executables (copies of the sampled fixture, so that nothing
# else runs them): A is started, run to its end and restarted twice; B starts later.
# Every run waits until the daemon traces it before it allocates, and the last A and B
# stay alive across the daemon's SIGTERM, to print their MemProfileRate afterwards.
# Prints key=value lines for the test; the daemon's log is in WORKDIR/daemon.err.
set -euo pipefail
gmt=${GMT:?} go=${GO:-go}
fa=${1:?} fb=${2:?} d=${3:?}
mkdir -p "$d"
cp "$fa" "$d/appA"
cp "$fb" "$d/appB"
out=$d/out
STAGES=$d/stages.log # where it got to, kept with the daemon's log for a post-mortem

. "$(dirname "${BASH_SOURCE[0]}")/scenario_lib.sh" # wait_for, wait_gone, stage

"$gmt" daemon --exe "$d/appA" --exe "$d/appB" -o "$out" -i 2 --rate 65536 \
	2>"$d/daemon.err" &
gpid=$!
# Whatever stops the scenario, nothing it started outlives it.
trap 'kill -9 $gpid $(jobs -p) 2>/dev/null || true' EXIT
wait_for "$d/daemon.err" "daemon:"
stage "daemon $gpid started"

# run NAME TAG: starts it, waits until traced, lets it allocate; leaves it waiting for USR2
run() {
	"$d/$1" -wait >"$d/$2.out" 2>&1 &
	local p=$!
	echo "pid $2=$p"
	wait_for "$d/$2.out" ready
	stage "$2 ($p) ready"
	wait_for "$d/daemon.err" "tracing PID $p "
	stage "$2 traced"
	kill -USR1 $p
	wait_for "$d/$2.out" done
	stage "$2 done"
	eval "pid_$2=$p"
}

for i in 1 2 3; do
	run appA A$i
	if [ $i -lt 3 ]; then
		# restarted: this one ends (traced to its exit), the next one starts
		kill -USR2 "$(eval echo \$pid_A$i)"
		wait_gone "$(eval echo \$pid_A$i)"
		[ "$gone" != timeout ] || { stage "A$i did not exit"; exit 1; }
		wait_for "$d/daemon.err" "PID $(eval echo \$pid_A$i) (appA) exited"
		stage "A$i exit seen"
	fi
done
run appB B1
sleep 2.5 # at least one interval boundary with A3 and B1 alive and done
kill -TERM $gpid
stage "daemon sent TERM"
wait_gone $gpid 120
echo "daemon_rc=$gone"
stage "daemon gone"
# The daemon let go of them: they print the rate they have now.
kill -USR2 "$pid_A3" "$pid_B1"
wait_gone "$pid_A3"
wait_gone "$pid_B1"
stage "A3, B1 gone"

# Every profile go tool pprof must read.
n=0 bad=0
while IFS= read -r f; do
	n=$((n + 1))
	"$go" tool pprof -top "$f" >/dev/null 2>&1 || { bad=$((bad + 1)); echo "unreadable $f"; }
done < <(find "$out" -name '*.pb.gz')
echo "pprof_files=$n pprof_bad=$bad"
echo "hidden=$(find "$out" -name '.*' | wc -l)"
echo "dir=$d"
