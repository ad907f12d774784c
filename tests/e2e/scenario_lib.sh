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
