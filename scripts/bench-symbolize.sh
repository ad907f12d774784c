#!/usr/bin/env bash
# Benchmark: index a large Go binary and resolve 1M random PCs (README "Performance").
#   scripts/bench-symbolize.sh [BINARY] [NPCS]   (default: the Go toolchain's own go binary)
set -euo pipefail
cd "$(dirname "$0")/.."
ninja -C build gmt-bench-symbolize >/dev/null
bin=${1:-$(readlink -f "$(command -v go || echo /usr/local/go/bin/go)")}
# The pclntab is the part the reader indexes: its size gives the per-10 MB figure.
size=$(readelf -SW "$bin" | sed 's/^ *\[ *[0-9]*\]//' | awk '$1 ~ /gopclntab$/ {print $5}')
[ -z "$size" ] || echo "pclntab size:      $(( 0x$size / 1000 )) kB"
build/gmt-bench-symbolize "$bin" "${2:-1000000}"
