# SPDX-License-Identifier: MIT
# Shell functions the end-to-end scenario scripts share (sourced, never run):
#   . "$(dirname "${BASH_SOURCE[0]}")/scenario_lib.sh"

# wait_for FILE PATTERN [TIMEOUT_S]: until FILE has a line matching PATTERN (grep), at
# most TIMEOUT_S seconds (default 60); on timeout says so with FILE's text on stderr, 1.
wait_for() {
	local i
	for ((i = 0; i < ${3:-60} * 20; i++)); do
		grep -qs -- "$2" "$1" && return 0
		sleep 0.05
	done
	echo "timeout waiting for '$2' in $1" >&2
	cat "$1" >&2 || true
	return 1
}

# wait_gone PID [TIMEOUT_S]: until PID (a child of this shell) has exited, at most
# TIMEOUT_S seconds (default 60), then reaps it; sets $gone to its exit status, or to
# "timeout" (it is then left running for the caller's cleanup).  Not in a $(...): a
# subshell cannot reap its parent's child.  A bare `wait` would hang the scenario until
# the test's own timeout, which kills the shell and loses its output.
wait_gone() {
	local i
	gone=timeout
	for ((i = 0; i < ${2:-60} * 20; i++)); do
		if ! kill -0 "$1" 2>/dev/null; then
			gone=0
			wait "$1" || gone=$?
			return 0
		fi
		sleep 0.05
	done
}

# stage TEXT: where a scenario is, on stdout (for the test's message) and in $STAGES
# when set (a file that survives a test timeout).
stage() {
	echo "stage $(date +%T.%N | cut -c1-12) $*"
	[ -z "${STAGES:-}" ] || echo "$(date +%T.%N | cut -c1-12) $*" >>"$STAGES"
}
