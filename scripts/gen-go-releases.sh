#!/usr/bin/env bash
# Generates user/goruntime/go_releases.gen.c, the table of Go releases, from the DWARF of
# a reference program built with each release's toolchain, and from the same DWARF
# user/gobin/moduledata_layouts.gen.c, the distinct layouts of runtime.moduledata that the
# binary reader (below the release table) tries:
#
#   scripts/gen-go-releases.sh            rewrite the table
#   scripts/gen-go-releases.sh --check    regenerate into temporary files; fail with a
#                                         diff if the committed ones differ
#
# What goes into a row is scripts/gooffsets/spec.txt; the row's C struct is
# user/goruntime/go_release.h; the extractor is scripts/gooffsets (standard library
# only).  The reference program scripts/gooffsets/ref is built unstripped, without cgo,
# for linux/amd64.  Toolchains: go1.19 is Debian's golang-1.19-go, as for the fixtures;
# the others come through GOTOOLCHAIN, i.e. the Go module proxy, cached in the module
# cache that scripts/build-fixtures.sh fills too, and every build goes through the same
# Go build cache: with both warm this takes seconds.
#
# Adding a Go release: append it to `releases` below, run this script, commit the table.
set -euo pipefail

check=0
case "${1:-}" in
--check) check=1 ;;
"") ;;
*)
	echo "usage: gen-go-releases.sh [--check]" >&2
	exit 2
	;;
esac

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
table=$root/user/goruntime/go_releases.gen.c
mdtable=$root/user/gobin/moduledata_layouts.gen.c
header=$root/user/goruntime/go_release.h
spec=$here/gooffsets/spec.txt

# One row per release; the patch level is part of the row.
releases=(1.19 1.20.14 1.21.13 1.22.12 1.23.12 1.24.13 1.25.14 1.26.8 1.27.0)
go119=/usr/lib/go-1.19/bin/go
host_go=${GO:-/usr/local/go/bin/go}

export PATH=$(dirname "$host_go"):$PATH
# Nothing from the caller's environment may change what is built.
export CGO_ENABLED=0 GOOS=linux GOARCH=amd64 GOEXPERIMENT= GOFLAGS=-mod=mod GOWORK=off

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gmt-releases.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

bins=()
toolchains=()
for v in "${releases[@]}"; do
	out=$tmp/ref-go$v
	if [ "$v" = 1.19 ]; then
		if [ ! -x "$go119" ]; then
			echo "gen-go-releases: $go119 missing: apt-get install golang-1.19-go" >&2
			exit 1
		fi
		(cd "$here/gooffsets" && GOTOOLCHAIN=local nice -n 10 "$go119" build -o "$out" ./ref)
		toolchains+=("$("$go119" env GOVERSION): $go119 (Debian golang-1.19-go)")
	else
		(cd "$here/gooffsets" && GOTOOLCHAIN=go$v nice -n 10 go build -o "$out" ./ref)
		toolchains+=("go$v: GOTOOLCHAIN=go$v (module proxy)")
	fi
	bins+=("$out")
done

joined=$(printf '%s;' "${toolchains[@]}")
gen=$tmp/go_releases.gen.c
mdgen=$tmp/moduledata_layouts.gen.c
(cd "$here/gooffsets" && GOTOOLCHAIN=local nice -n 10 go run . -spec "$spec" -header "$header" \
	-toolchains "$joined" -o "$gen" -mdlayouts "$mdgen" "${bins[@]}")

if [ $check = 1 ]; then
	for pair in "$table:$gen" "$mdtable:$mdgen"; do
		committed=${pair%%:*} fresh=${pair#*:}
		if ! diff -u --label "committed ${committed#"$root"/}" --label "from DWARF" \
			"$committed" "$fresh" >"$tmp/diff"; then
			echo "gen-go-releases: ${committed#"$root"/} is not what the toolchains' DWARF" \
				"says (run scripts/gen-go-releases.sh and commit the result):" >&2
			cat "$tmp/diff" >&2
			exit 1
		fi
	done
	echo "gen-go-releases: ${table#"$root"/} and ${mdtable#"$root"/} match" \
		"${#releases[@]} releases"
	exit 0
fi
mv "$gen" "$table"
mv "$mdgen" "$mdtable"
echo "gen-go-releases: wrote ${table#"$root"/} and ${mdtable#"$root"/} (${#releases[@]} releases)"
