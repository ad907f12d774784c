#!/usr/bin/env bash
# Folded files of a workload with very many distinct, deep stacks, bounded and not:
# their sizes, the time to write them, and that their values still add up.
#
#   scripts/bench-folded.sh [SECONDS] [MBPS] [DEPTH] [BOUNDS...]   (default 20 20 60 0 16)
#
# The workload is scripts/soak (a third of its allocations come from a random path of
# DEPTH calls through eight functions: a new stack almost every time), traced in exact
# mode for SECONDS at MBPS MB/s, once per --folded-max-mb bound (0: no bound).  The
# times are gomemtrace's own (its -v line per folded file).
set -euo pipefail

secs=${1:-20}
mbps=${2:-20}
depth=${3:-60}
shift $(($# < 3 ? $# : 3))
bounds=("$@")
[ ${#bounds[@]} -gt 0 ] || bounds=(0 16)
cd "$(dirname "$0")/.."
tmp=$(mktemp -d /tmp/gmt-folded-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
(cd scripts/soak && GO111MODULE=off go build -o "$tmp/soakload" main.go)

printf '%-8s %-20s %9s %9s %12s %12s %9s %s\n' bound file stacks lines bytes sum seconds summary
for b in "${bounds[@]}"; do
	out=$tmp/out-$b
	"$tmp/soakload" -mbps "$mbps" -depth "$depth" > /dev/null &
	load=$!
	build/gomemtrace record --mode exact --no-gc -v -d "$secs" --folded-max-mb "$b" -o "$out" \
		-p "$load" 2> "$tmp/err-$b" || true
	kill "$load"
	wait "$load" 2> /dev/null || true
	for f in alloc_bytes alloc_count; do
		line=$(grep -E "$f.folded: [0-9]+ stacks, [0-9]+ lines" "$tmp/err-$b" | tail -1)
		stacks=$(sed -E 's/.*: ([0-9]+) stacks.*/\1/' <<< "$line")
		lines=$(sed -E 's/.* ([0-9]+) lines.*/\1/' <<< "$line")
		t=$(sed -E 's/.* in ([0-9.]+) s.*/\1/' <<< "$line")
		sum=$(awk '{s += $NF} END {printf "%d", s}' "$out/$f.folded")
		key=$([ $f = alloc_bytes ] && echo bytes || echo allocs)
		want=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" \
			"$out/summary.json" "$key")
		printf '%-8s %-20s %9s %9s %12s %12s %9s %s\n' "$b" "$f.folded" "$stacks" "$lines" \
			"$(stat -c %s "$out/$f.folded")" "$sum" "$t" "$key=$want"
	done
	echo "         alloc.pb.gz $(stat -c %s "$out/alloc.pb.gz") bytes"
done
