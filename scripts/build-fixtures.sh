#!/usr/bin/env bash
# Builds the Go test fixtures for every Go version and build flavour the tests cover.
#
#   scripts/build-fixtures.sh OUTDIR [STAMPFILE]
#
# Output: OUTDIR/<fixture>-<goversion>-<flavour> for every release and flavour of the test
# matrix (tests/fixtures/matrix.txt: exe, stripped, pie, nosh, nover),
# OUTDIR/<fixture>-go126-exp (GOEXPERIMENT=sizespecializedmalloc),
# OUTDIR/cgo-<goversion>-exe, and OUTDIR/MANIFEST listing what was built.
# "nosh" is the stripped build with its section headers removed, as some real stripped
# binaries ship: the reader must then find everything without section names.  "nover"
# is the stripped build with no Go version left in it (scripts/remove-go-version.py): the
# release must then be inferred.
#
# Toolchains: the release table's (user/goruntime/go_releases.gen.c): each row says
# which toolchain it was read from.  go1.19 comes from Debian's golang-1.19-go
# (toolchain downloads exist only from 1.21 on); the others through GOTOOLCHAIN, i.e.
# the Go module proxy, cached in the module cache.  The fixtures themselves are rebuilt
# only when their sources, the matrix, the table or this script change (a hash in
# OUTDIR/.stamp).
set -euo pipefail

out=${1:?usage: build-fixtures.sh OUTDIR [STAMPFILE]}
stampfile=${2:-}
[ -z "$stampfile" ] || case "$stampfile" in /*) ;; *) stampfile=$PWD/$stampfile ;; esac
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../tests/fixtures" && pwd)
table=$here/../user/goruntime/go_releases.gen.c
mkdir -p "$out"
out=$(cd "$out" && pwd)

fixtures=(symbols demo alloc gcwork memrate sampled heapprof goleak churn pprofsvc allocrate snapshot)

# The toolchain of a release: the version its row in the release table was read from.
toolchain() { # go1.N -> 1.N.M
	local v
	v=$(grep -o "\.version = \"$1\.[0-9]*\"" "$table" | grep -o 'go1\.[0-9.]*' || true)
	[ -n "$v" ] || { echo "fixtures: $1 is not in the release table ($table)" >&2; exit 1; }
	echo "${v#go}"
}
# The matrix: "release flavours..." lines.
mapfile -t matrix < <(grep -v '^[[:space:]]*\(#\|$\)' "$src/matrix.txt")
host_version=$(toolchain go1.26)

stamp=$( (cat "$0" "$here/remove-go-version.py" "$table"; find "$src" -type f | sort | xargs cat) |
	sha256sum | cut -d' ' -f1)
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
for line in "${matrix[@]}"; do
	read -r release flavours <<<"$line"
	v=$(toolchain "$release")
	[ "$release" != go1.19 ] || v=1.19
	tag=go$(echo "$v" | cut -d. -f1-2 | tr -d .)
	for f in "${fixtures[@]}"; do
		base="$out/$f-$tag"
		stripped=0
		for fl in $flavours; do
			case $fl in
			exe) CGO_ENABLED=0 gobuild "$v" -o "$base-exe" "./$f" ;;
			pie) CGO_ENABLED=0 gobuild "$v" -buildmode=pie -o "$base-pie" "./$f" ;;
			stripped | nosh | nover)
				if [ $stripped = 0 ]; then
					CGO_ENABLED=0 gobuild "$v" -ldflags='-s -w' -o "$base-stripped.tmp" "./$f"
					stripped=1
				fi
				case $fl in
				stripped) cp "$base-stripped.tmp" "$base-stripped" ;;
				nosh)
					cp "$base-stripped.tmp" "$base-nosh"
					strip_section_headers "$base-nosh"
					;;
				nover) python3 "$here/remove-go-version.py" "$base-stripped.tmp" "$base-nover" 2>/dev/null ;;
				esac
				;;
			*)
				echo "fixtures: unknown flavour $fl in matrix.txt" >&2
				exit 1
				;;
			esac
			echo "$f-$tag-$fl" >> "$out/MANIFEST.tmp"
		done
		rm -f "$base-stripped.tmp"
	done
	echo "fixtures: built go$v ($flavours)"
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
mv "$out/MANIFEST.tmp" "$out/MANIFEST"
echo "$stamp" > "$out/.stamp"
echo "fixtures: $(wc -l < "$out/MANIFEST") binaries in $out"
[ -z "$stampfile" ] || touch "$stampfile"
