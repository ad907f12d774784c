#!/usr/bin/env bash
# Builds the test Collector (main.go + go.mod/go.sum beside this script) once and caches it.
#
#   tests/collector/build.sh OUTDIR [STAMPFILE]
#
# Prints the binary's absolute path as its last line of standard output
# (OUTDIR/gmt-otelcol).  The build is skipped when OUTDIR/.stamp holds the hash of this
# script, go.mod, go.sum, main.go and the Go version, like scripts/build-fixtures.sh.
#
# Modules come from the Go module proxy (GOFLAGS=-mod=mod; the module cache keeps them).
# A cold build downloads ~200 modules and compiles for several minutes on 2 cores: the
# e2e tests call this from their setup, never per test.  The sources are copied to
# OUTDIR/src first, so that the go command never touches the checkout.
set -euo pipefail

out=${1:?usage: build.sh OUTDIR [STAMPFILE]}
stampfile=${2:-}
[ -z "$stampfile" ] || case "$stampfile" in /*) ;; *) stampfile=$PWD/$stampfile ;; esac
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
bin=$out/gmt-otelcol

export PATH=/usr/local/go/bin:$PATH
export GOFLAGS=-mod=mod
command -v go >/dev/null || { echo "collector: go not found (expected /usr/local/go/bin/go)" >&2; exit 1; }

# One build at a time per OUTDIR: scripts/test.sh starts one in the background while the
# other suites run, and the OTLP test's own call waits here for it, then finds it done.
exec 9>"$out/.lock"
flock 9

stamp=$( (cat "$0" "$here/go.mod" "$here/go.sum" "$here/main.go"; go version) | sha256sum | cut -d' ' -f1)
if [ -x "$bin" ] && [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$stamp" ]; then
	echo "collector: up to date" >&2
	[ -z "$stampfile" ] || touch "$stampfile"
	echo "$bin"
	exit 0
fi

rm -rf "$out/src"
mkdir -p "$out/src"
cp "$here/go.mod" "$here/go.sum" "$here/main.go" "$out/src/"
start=$(date +%s)
echo "collector: building in $out/src (a cold build takes several minutes)" >&2
(cd "$out/src" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$bin.tmp" .)
mv "$bin.tmp" "$bin"
# A build that had to add a module to go.mod or go.sum means the committed ones are
# incomplete: say so, since the next machine may not reach the same versions.
if ! cmp -s "$here/go.mod" "$out/src/go.mod" || ! cmp -s "$here/go.sum" "$out/src/go.sum"; then
	echo "collector: warning: the build changed go.mod/go.sum (see $out/src); commit them" >&2
fi
echo "$stamp" > "$out/.stamp"
echo "collector: built in $(($(date +%s) - start)) s, $(stat -c %s "$bin") bytes" >&2
[ -z "$stampfile" ] || touch "$stampfile"
echo "$bin"
