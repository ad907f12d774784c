#!/usr/bin/env bash
# Sets up a Debian 12 machine for gomemtrace and builds it:
#   - installs the Debian packages it needs (only those missing; needs root then),
#   - configures the meson build directory (./build) and builds.
# Idempotent: a second run installs nothing and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(
	clang llvm            # BPF target compiler
	libclang-rt-14-dev    # libFuzzer and clang's sanitizer runtimes (scripts/fuzz.sh)
	libbpf-dev bpftool    # BPF loading, skeletons, vmlinux.h
	libelf-dev zlib1g-dev # libbpf's needs; zlib also writes pprof's gzip
	meson ninja-build pkg-config gcc
	libcriterion-dev      # unit tests
	libcurl4-openssl-dev  # OTLP export to an OpenTelemetry Collector (HTTP, TLS)
	curl                  # the OTLP tests poll the test Collector with it
	openssl               # the OTLP https test makes its CA and certificate
	binutils python3      # objdump (test oracle), fixture tooling
	golang-1.19-go        # go1.19 fixtures (toolchain downloads start at 1.21)
	bpftrace              # the baseline the benchmark compares with
	prometheus            # promtool lints the metrics file; PromQL over the Collector
	chromium chromium-driver python3-selenium  # report.html checked in a real browser
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "setup: missing packages: ${missing[*]}; run as root to install them" >&2
		exit 1
	fi
	echo "setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Go builds the demo workload and the test fixtures; other releases come through
# GOTOOLCHAIN, which needs go1.21 or later here.
go=${GO:-/usr/local/go/bin/go}
[ -x "$go" ] || go=$(command -v go || true)
if [ -z "$go" ]; then
	echo "setup: no Go toolchain found (expected /usr/local/go/bin/go); install Go 1.21 or later" >&2
	exit 1
fi

if [ ! -f build/build.ninja ]; then
	meson setup build -Dgo="$go"
fi
ninja -C build
echo "setup: built build/gomemtrace"
