#!/usr/bin/env bash
# The README's first command: sets the machine up (packages, build), then traces the
# bundled demo workload (tests/fixtures/demo) end to end and shows what it found.
#   scripts/demo.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}

bash scripts/setup.sh
go=/usr/local/go/bin/go
[ -x "$go" ] || go=$(command -v go)
mkdir -p build/demo
(cd tests/fixtures && CGO_ENABLED=0 GOTOOLCHAIN=local "$go" build -o ../../build/demo/demo ./demo)

out=gomemtrace-demo
rm -rf "$out"
echo
echo "demo: tracing the demo workload for ${secs}s (exact mode: every allocation)"
build/gomemtrace record --mode exact -o "$out" -- build/demo/demo -seconds "$secs"
echo
echo "demo: outputs in $out/:"
ls -l "$out"
echo
sed -n '1,/^Top 20 stacks by count/p' "$out/report.txt" | head -60
echo "..."
echo "demo: flame graph input: $out/alloc_bytes.folded (flamegraph.pl, inferno, speedscope)"
echo "demo: everything on one page: $out/report.html (open it in a browser, e.g."
echo "      xdg-open $out/report.html; or copy it to a laptop: it loads nothing from the network)"
