#!/usr/bin/env bash
# Runs every test: builds, builds the Go fixtures (cached in build/tests/fixtures),
# then runs the Criterion suites through meson.  Prints each suite's Criterion
# synthesis and a final "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."

[ -f build/build.ninja ] || scripts/setup.sh || exit 1
ninja -C build || exit 1
meson test -C build --print-errorlogs --num-processes 1 -v "$@"
rc=$?
# Criterion's own totals, from each suite's log.
log=build/meson-logs/testlog.txt
passed=$(grep -ho 'Synthesis: Tested: [0-9]* | Passing: [0-9]*' "$log" | awk '{s += $NF} END {print s + 0}')
failed=$(grep -ho 'Failing: [0-9]* | Crashing: [0-9]*' "$log" | awk '{s += $2 + $NF} END {print s + 0}')
[ "$rc" = 0 ] || [ "$failed" -gt 0 ] || failed=1
echo "$passed passed, $failed failed"
exit $rc
