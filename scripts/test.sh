#!/usr/bin/env bash
# Runs every test and fails if any of them fails:
#   1. build/       the unit suites through meson; builds the Go fixtures first
#                   (cached in build/tests/fixtures);
#   2. build-asan/  every suite, unit and end to end, built with
#                   -fsanitize=address,undefined, gomemtrace included (the end-to-end
#                   tests run that gomemtrace: GMT_BIN); any sanitizer report fails
#                   the run, even from a command whose failure a test expected.  The
#                   end-to-end suites run only here: they take most of the time, and
#                   the sanitized gomemtrace is the stricter one to run them on;
#   3. scripts/fuzz.sh, each libFuzzer target for FUZZ_SECONDS (default 60) from a
#                   fresh corpus seeded with the fixtures;
#   4. scripts/gen-go-releases.sh --check: the committed table of Go releases is what
#                   the toolchains' DWARF says (the fixtures' toolchains, cached).
# The OTLP tests' Collector (tests/collector) builds in the background from the start, at
# the lowest priority; the e2e test 'collector' just before the otlp suite waits for it.
# Prints each suite's Criterion synthesis and a final "N passed, N failed" line.
# Arguments go to both meson test runs (e.g. a suite name).  For development only:
# GMT_NO_ASAN=1 skips 2 and runs every suite in 1 instead, FUZZ_SECONDS=0 skips 3.
set -uo pipefail
cd "$(dirname "$0")/.."

start=$(date +%s)
[ -f build/build.ninja ] || scripts/setup.sh || exit 1
ninja -C build || exit 1
rc=0
# The OTLP tests' Collector, a Go build of many minutes from a cold cache, in the
# background at the lowest priority while the suites before it run: the otlp test's own
# call of tests/collector/build.sh waits for it (flock) and then finds it built.  Into the
# build directory whose gomemtrace runs the end-to-end suites (its tests look beside it).
coldir=build-asan/collector
[ "${GMT_NO_ASAN:-0}" != 1 ] || coldir=build/collector
mkdir -p "$coldir"
nice -n 19 tests/collector/build.sh "$coldir" >"$coldir/build.log" 2>&1 &
rc=0
first=(--suite unit)
[ "${GMT_NO_ASAN:-0}" != 1 ] || first=()
[ $# = 0 ] || first=()
meson test -C build --print-errorlogs --num-processes 1 -v "${first[@]}" "$@" || rc=1
logs=(build/meson-logs/testlog.txt)

if [ "${GMT_NO_ASAN:-0}" != 1 ]; then
	# Shares build/'s fixtures: they take minutes to build and are the same binaries.
	if [ ! -f build-asan/build.ninja ]; then
		go=${GO:-/usr/local/go/bin/go}
		[ -x "$go" ] || go=$(command -v go)
		meson setup build-asan -Dgo="$go" \
			-Db_sanitize=address,undefined -Db_lundef=false \
			-Dfixtures="$PWD/build/tests/fixtures" || exit 1
	fi
	ninja -C build-asan || exit 1
	# Reports go to files, so that one in a process whose exit status a test expected
	# to be non-zero (bad inputs) is still seen.  Leaks are not checked: the tests
	# keep what they read to the end, on purpose.
	san=$(mktemp -d "${TMPDIR:-/tmp}/gmt-san.XXXXXX")
	export ASAN_OPTIONS="log_path=$san/asan:halt_on_error=1:detect_leaks=0:exitcode=86"
	export UBSAN_OPTIONS="log_path=$san/ubsan:halt_on_error=1:print_stacktrace=1:exitcode=87"
	meson test -C build-asan --print-errorlogs --num-processes 1 -v "$@" || rc=1
	unset ASAN_OPTIONS UBSAN_OPTIONS
	logs+=(build-asan/meson-logs/testlog.txt)
	if compgen -G "$san/*" >/dev/null; then
		echo "SANITIZER REPORTS ($(ls "$san" | wc -l)):"
		for f in "$san"/*; do
			echo "== $f"
			head -n 40 "$f"
		done
		rc=1
	else
		echo "sanitizer build: no ASan/UBSan report"
	fi
	rm -rf "$san"
fi

table_start=$(date +%s)
scripts/gen-go-releases.sh --check || rc=1
echo "release table check: $(($(date +%s) - table_start)) s"

fuzz_rc=0
if [ "${FUZZ_SECONDS:-60}" != 0 ]; then
	bash scripts/fuzz.sh "${FUZZ_SECONDS:-60}" || fuzz_rc=1
	[ $fuzz_rc = 0 ] || rc=1
fi

# Criterion's own totals, from each suite's log.
passed=$(cat "${logs[@]}" | grep -o 'Synthesis: Tested: [0-9]* | Passing: [0-9]*' |
	awk '{s += $NF} END {print s + 0}')
failed=$(cat "${logs[@]}" | grep -o 'Failing: [0-9]* | Crashing: [0-9]*' |
	awk '{s += $2 + $NF} END {print s + 0}')
[ "$rc" = 0 ] || [ "$failed" -gt 0 ] || failed=1
# What failed, once more at the very end: a CI log is often read from its tail.
if [ "$failed" -gt 0 ]; then
	echo "FAILED TESTS (from ${logs[*]}):"
	grep -h -A6 -E '^\[----\] .*(Assertion Failed|Unexpected signal|Timed out)|^\[FAIL\]|^\[----\] .*: (Test|Timeout)' \
		"${logs[@]}" | cut -c1-400 | head -n 120
fi
echo "$passed passed, $failed failed (fuzzing: $([ $fuzz_rc = 0 ] && echo ok || echo FAILED)), $(($(date +%s) - start)) s"
exit $rc
