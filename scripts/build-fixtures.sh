#!/usr/bin/env bash
# Builds the Go test fixtures for every Go version and build flavour the tests cover.
#
#   scripts/build-fixtures.sh OUTDIR [STAMPFILE]
#
# Output: OUTDIR/<fixture>-<goversion>-<flavour> (flavour: exe, stripped, pie, nosh),
# OUTDIR/<fixture>-go126-exp (GOEXPERIMENT=sizespecializedmalloc),
# OUTDIR/cgo-<goversion>-exe, and OUTDIR/MANIFEST listing what was built.
# "nosh" is the stripped build with its section headers removed, as some real stripped
# binaries ship: the reader must then find everything without section names.
#
# Toolchains: go1.19 comes from Debian's golang-1.19-go (toolchain downloads exist only
# from 1.21 on); the others through GOTOOLCHAIN, i.e. the Go module proxy, cached in the
# module cache.  The fixtures themselves are rebuilt only when their sources or this
# script change (a hash in OUTDIR/.stamp).
set -euo pipefail

out=${1:?usage: build-fixtures.sh OUTDIR [STAMPFILE]}
stampfile=${2:-}
[ -z "$stampfile" ] || case "$stampfile" in /*) ;; *) stampfile=$PWD/$stampfile ;; esac
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../tests/fixtures" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)

# The version matrix: keep in step with tests/fixtures.h.
versions=(1.19 1.22.12 1.24.13 1.26.8 1.27.0)
host_version=1.26.8
unknown_g_version=1.25.14
fixtures=(symbols demo alloc gcwork memrate sampled heapprof goleak churn pprofsvc allocrate snapshot)

stamp=$( (cat "$0"; find "$src" -type f | sort | xargs cat) | sha256sum | cut -d' ' -f1)
if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$stamp" ]; then
	echo "fixtures: up to date in $out"
	[ -z "$stampfile" ] || touch "$stampfile"
	exit 0
fi

export PATH=/usr/local/go/bin:$PATH
export GOFLAGS=-mod=mod

gobuild() { # version args...
	local v=$1
	shift
	if [ "$v" = 1.19 ]; then
		[ -x /usr/lib/go-1.19/bin/go ] || { echo "fixtures: go1.19 missing: apt-get install golang-1.19-go" >&2; exit 1; }
		GOTOOLCHAIN=local /usr/lib/go-1.19/bin/go build "$@"
	else
		GOTOOLCHAIN=go$v go build "$@"
	fi
}

# Removes the section header table, keeping everything the loader uses.
strip_section_headers() {
	python3 - "$1" <<'PY'
import struct, sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
# e_shoff (u64 @0x28), e_shnum (u16 @0x3c), e_shstrndx (u16 @0x3e)
struct.pack_into('<Q', b, 0x28, 0)
struct.pack_into('<HH', b, 0x3c, 0, 0)
open(p, 'wb').write(b)
PY
}

cd "$src"
: > "$out/MANIFEST.tmp"
for v in "${versions[@]}"; do
	tag=go$(echo "$v" | cut -d. -f1-2 | tr -d .)
	for f in "${fixtures[@]}"; do
		base="$out/$f-$tag"
		CGO_ENABLED=0 gobuild "$v" -o "$base-exe" "./$f"
		CGO_ENABLED=0 gobuild "$v" -ldflags='-s -w' -o "$base-stripped" "./$f"
		CGO_ENABLED=0 gobuild "$v" -buildmode=pie -o "$base-pie" "./$f"
		cp "$base-stripped" "$base-nosh"
		strip_section_headers "$base-nosh"
		printf '%s\n' "$f-$tag-exe" "$f-$tag-stripped" "$f-$tag-pie" "$f-$tag-nosh" >> "$out/MANIFEST.tmp"
	done
	echo "fixtures: built go$v"
done
tag=go$(echo "$host_version" | cut -d. -f1-2 | tr -d .)
for f in "${fixtures[@]}"; do
	GOEXPERIMENT=sizespecializedmalloc CGO_ENABLED=0 gobuild "$host_version" -o "$out/$f-$tag-exp" "./$f"
	echo "$f-$tag-exp" >> "$out/MANIFEST.tmp"
done
CGO_ENABLED=1 gobuild "$host_version" -o "$out/cgo-$tag-exe" ./cgo
echo "cgo-$tag-exe" >> "$out/MANIFEST.tmp"
CGO_ENABLED=1 gobuild "$host_version" -o "$out/snapshot-$tag-cgo" ./snapshot
echo "snapshot-$tag-cgo" >> "$out/MANIFEST.tmp"
# A release whose runtime.g layout gomemtrace does not know: goroutine tracking must
# refuse it in one line while the other modes work (tests/test_faults.c, `info`).
CGO_ENABLED=0 gobuild "$unknown_g_version" -o "$out/gcwork-go125-exe" ./gcwork
echo "gcwork-go125-exe" >> "$out/MANIFEST.tmp"
mv "$out/MANIFEST.tmp" "$out/MANIFEST"
echo "$stamp" > "$out/.stamp"
echo "fixtures: $(wc -l < "$out/MANIFEST") binaries in $out"
[ -z "$stampfile" ] || touch "$stampfile"
