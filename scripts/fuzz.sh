#!/usr/bin/env bash
# Fuzzes the Go binary reader with libFuzzer (ASan + UBSan).  The targets are meson's
# (tests/fuzz/meson.build, option -Dfuzz=true) against the layer libraries, in a clang build
# directory build-fuzz/ that this script configures.  Seeds come from the Go fixtures
# (scripts/build-fixtures.sh).
#
#   scripts/fuzz.sh [SECONDS]   replay tests/fuzz/regress/, then fuzz each target SECONDS
#                               (default 60); prints execs/s and coverage per target
#   scripts/fuzz.sh --replay    only replay the saved regression inputs
#
# Exits non-zero when any target crashes, leaks, times out or fails to build.  Crashing
# inputs are left in build-fuzz/artifacts/; copy them to tests/fuzz/regress/TARGET/ once
# fixed.  FUZZ_TARGETS="fuzz_x86 fuzz_elf" restricts the run.
#
# Each run starts from a fresh corpus: the seeds (rebuilt from the fixtures every run)
# and the regression inputs, plus what this run finds, in a temporary directory that is
# removed at the end, so that repeated runs (CI) never pile up inputs on disk.  Set
# FUZZ_KEEP_CORPUS=DIR to keep what a run found in DIR/TARGET instead.
set -uo pipefail
cd "$(dirname "$0")/.."

OUT=build-fuzz
BIN=$OUT/tests/fuzz
FIXTURES=${FUZZ_FIXTURES:-build/tests/fixtures} # the fixtures of build/ (-Dfixtures=DIR: set FUZZ_FIXTURES=DIR)
TARGETS=${FUZZ_TARGETS:-"fuzz_elf fuzz_pclntab fuzz_gobin fuzz_x86 fuzz_typename fuzz_mprof fuzz_gsnap fuzz_otlp_status fuzz_otlp_metrics"}
# Functions whose code seeds the x86 target: the ones the hook plan probes.
X86_FUNCS='^(runtime\.(mallocgc|newproc1?|gcStart|mProf_Malloc|gdestroy|goexit0|memmove)|main\.main)'
# Whole binaries are seeds: inputs may be as large as them.
MAX_LEN=$((4 << 20))

replay_only=0
secs=60
case "${1:-}" in
--replay) replay_only=1 ;;
'') ;;
*[!0-9]* | 0)
	echo "usage: $0 [SECONDS | --replay]" >&2
	exit 2
	;;
*) secs=$1 ;;
esac

die() {
	echo "fuzz.sh: $*" >&2
	exit 1
}

build() {
	local t

	mkdir -p "$OUT/artifacts"
	if [ ! -f "$OUT/build.ninja" ]; then
		CC=${CC:-clang} meson setup "$OUT" -Dfuzz=true -Dtests=disabled \
			-Db_sanitize=address,undefined -Db_lundef=false -Doptimization=1 -Ddebug=true \
			-Dc_args='-fno-omit-frame-pointer -fno-sanitize-recover=undefined' \
			>"$OUT/setup.log" 2>&1 || die "cannot configure $OUT (see $OUT/setup.log)"
	fi
	nice ninja -C "$OUT" $(for t in $TARGETS; do echo "tests/fuzz/$t"; done) ||
		die "cannot build $TARGETS"
}

# Bytes [start, start+len) of file into out.
chunk() {
	dd if="$1" of="$2" bs=64K skip="$3" count="$4" status=none iflag=skip_bytes,count_bytes
}

seed_corpus() {
	local f name sec t sym addr size textaddr textoff n=0
	local whole=() exes=()

	[ -d "$FIXTURES" ] || die "no fixtures in $FIXTURES: run scripts/build-fixtures.sh"
	for t in $TARGETS; do
		rm -rf "$OUT/seed/$t"
		mkdir -p "$OUT/seed/$t"
	done
	# A few small whole binaries across versions and layouts (PIE, stripped, no sections).
	for name in alloc-go119-stripped alloc-go122-pie alloc-go124-exe alloc-go126-nosh \
		alloc-go127-pie memrate-go126-exp; do
		[ -f "$FIXTURES/$name" ] && whole+=("$FIXTURES/$name")
	done
	[ ${#whole[@]} -gt 0 ] || die "none of the seed fixtures exist in $FIXTURES"
	for f in "${whole[@]}"; do
		for t in fuzz_elf fuzz_pclntab fuzz_gobin; do
			[ -d "$OUT/seed/$t" ] && cp "$f" "$OUT/seed/$t/"
		done
	done
	# Truncated heads (headers, no tables): small inputs the fuzzer mutates quickly.
	f=${whole[0]}
	for n in 4096 65536; do
		for t in fuzz_elf fuzz_pclntab fuzz_gobin; do
			[ -d "$OUT/seed/$t" ] && head -c $n "$f" >"$OUT/seed/$t/head$n-$(basename "$f")"
		done
	done
	# Raw pclntab sections, every Go version of the fixtures.
	if [ -d "$OUT/seed/fuzz_pclntab" ]; then
		for f in "$FIXTURES"/alloc-go1*-exe "$FIXTURES"/alloc-go1*-pie; do
			for sec in .gopclntab .data.rel.ro.gopclntab; do
				objcopy --dump-section "$sec=$OUT/seed/fuzz_pclntab/pcln-$(basename "$f")" \
					"$f" /dev/null 2>/dev/null && break
			done
		done
	fi
	# Runtime type descriptors: 16 KiB slices of [runtime.types, runtime.etypes) of each
	# version, after the 8 bytes that choose etypes (0: the slice's end).
	if [ -d "$OUT/seed/fuzz_typename" ]; then
		for f in "$FIXTURES"/alloc-go1{19,22,24,26,27}-exe; do
			[ -f "$f" ] || continue
			read -r textaddr textoff < <(readelf -SW "$f" | sed 's/^ *\[ *[0-9]*\]//' |
				awk '$1 == ".rodata" { print "0x" $3, "0x" $4 }')
			addr=$(nm "$f" | awk '$3 == "runtime.types" { print $1 }')
			[ -n "${textaddr:-}" ] && [ -n "$addr" ] || continue
			for n in 0 16384 65536; do
				out="$OUT/seed/fuzz_typename/$(basename "$f")-types$n"
				head -c 8 /dev/zero >"$out"
				chunk "$f" "$out.body" $((0x$addr - textaddr + textoff + n)) 16384
				cat "$out.body" >>"$out"
				rm -f "$out.body"
			done
		done
	fi
	# Function bodies from .text (stack checks, RETs), prefixed with the offset byte.
	if [ -d "$OUT/seed/fuzz_x86" ]; then
		for f in "$FIXTURES"/alloc-go1{19,22,26,27}-exe; do
			[ -f "$f" ] || continue
			read -r textaddr textoff < <(readelf -SW "$f" | sed 's/^ *\[ *[0-9]*\]//' |
				awk '$1 == ".text" { print "0x" $3, "0x" $4 }')
			[ -n "${textaddr:-}" ] || continue
			nm -S --defined-only "$f" 2>/dev/null |
				awk -v re="$X86_FUNCS" '$3 ~ /^[tT]$/ && $4 ~ re { print $1, $2, $4 }' |
				while read -r addr size sym; do
					out="$OUT/seed/fuzz_x86/$(basename "$f")-$sym"
					printf '\0' >"$out"
					chunk "$f" "$out.body" $((0x$addr - textaddr + textoff)) \
						$((0x$size > 8192 ? 8192 : 0x$size))
					cat "$out.body" >>"$out"
					rm -f "$out.body"
				done
			# And plain 4 KiB slices of .text, which start mid-instruction.
			for n in 0 65536 200000; do
				out="$OUT/seed/fuzz_x86/$(basename "$f")-text$n"
				printf '\003' >"$out"
				chunk "$f" "$out.body" $((textoff + n)) 4096
				cat "$out.body" >>"$out"
				rm -f "$out.body"
			done
		done
	fi
}

replay() {
	local t dir files rc=0 n=0

	for t in $TARGETS; do
		dir=tests/fuzz/regress/$t
		files=("$dir"/*)
		[ -e "${files[0]}" ] || continue
		if "$BIN/$t" -rss_limit_mb=4096 -timeout=60 "${files[@]}" >"$OUT/$t.replay.log" 2>&1; then
			echo "$t: ${#files[@]} regression inputs pass"
			n=$((n + ${#files[@]}))
		else
			echo "$t: REGRESSION (see $OUT/$t.replay.log)"
			tail -n 30 "$OUT/$t.replay.log"
			rc=1
		fi
	done
	[ $n -gt 0 ] || [ $rc -ne 0 ] || echo "no regression inputs in tests/fuzz/regress/"
	return $rc
}

fuzz() {
	local t=$1 log=$OUT/$1.log rc line execs max_len=$MAX_LEN corpus regress=()

	# Code is fuzzed in function-sized pieces; longer inputs only slow it down.
	[ "$t" = fuzz_x86 ] && max_len=1024
	[ "$t" = fuzz_typename ] && max_len=$((16384 + 8))
	[ "$t" = fuzz_otlp_status ] && max_len=4096 # curl keeps 512 bytes of an answer
	if [ -n "${FUZZ_KEEP_CORPUS:-}" ]; then
		corpus=$FUZZ_KEEP_CORPUS/$t
		mkdir -p "$corpus"
	else
		corpus=$(mktemp -d "${TMPDIR:-/tmp}/gmt-fuzz-$t.XXXXXX") || die "mktemp"
	fi
	[ -d "tests/fuzz/regress/$t" ] && regress=("tests/fuzz/regress/$t")
	"$BIN/$t" "$corpus" "$OUT/seed/$t" "${regress[@]}" -max_total_time="$secs" \
		-max_len=$max_len -rss_limit_mb=4096 -timeout=30 -print_final_stats=1 \
		-artifact_prefix="$OUT/artifacts/$t-" >"$log" 2>&1
	rc=$?
	[ -n "${FUZZ_KEEP_CORPUS:-}" ] || rm -rf "$corpus"
	line=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -n 1)
	execs=$(grep -E '^stat::average_exec_per_sec:' "$log" | awk '{ print $2 }')
	if [ $rc -ne 0 ]; then
		echo "$t: CRASH (exit $rc), log $log, input in $OUT/artifacts/"
		grep -E 'ERROR:|runtime error|oracle failed|SUMMARY' "$log" | head -n 5
		return 1
	fi
	printf '%-14s execs/s %-7s %s\n' "$t:" "${execs:-?}" \
		"$(echo "$line" | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*')"
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

build
if [ $replay_only = 1 ]; then
	replay
	exit $?
fi
seed_corpus
failed=0
replay || failed=1
for t in $TARGETS; do
	fuzz "$t" || failed=1
done
exit $failed
