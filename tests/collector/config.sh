#!/usr/bin/env bash
# Writes a config for the test Collector (build.sh) to standard output.
#
#   tests/collector/config.sh --otlp-port P --prom-port Q --out DIR [--token TOKEN]
#                             [--flush DURATION] [--format json|proto] [--tls CERT KEY]
#
#   --otlp-port   OTLP/HTTP receiver on 127.0.0.1:P (/v1/metrics, /v1development/profiles);
#                 no gRPC listener
#   --prom-port   Prometheus exporter on 127.0.0.1:Q/metrics
#   --out         the file exporter writes DIR/metrics.jsonl and DIR/profiles.jsonl
#                 (.pb with --format proto: 4-byte big-endian length + message), appending,
#                 so a restarted Collector adds to what an earlier one wrote
#   --token       requests must carry "Authorization: Bearer TOKEN" (else HTTP 401)
#   --tls         the receiver speaks https with this certificate and key (PEM files)
#   --flush       how often the file exporter flushes its buffer (default 100ms); data the
#                 Collector accepted but had not flushed is lost on SIGKILL, not on SIGTERM
#
# Run it with the profiles feature gate (else a profiles pipeline is a config error):
#   gmt-otelcol --config FILE --feature-gates=service.profilesSupport
set -euo pipefail

usage() {
	echo "usage: config.sh --otlp-port P --prom-port Q --out DIR [--token T] [--flush D] [--format json|proto] [--tls CERT KEY]" >&2
	exit 2
}
otlp_port= prom_port= outdir= token= flush=100ms format=json tls_cert= tls_key=
while [ $# -gt 0 ]; do
	case "$1" in
	--otlp-port) otlp_port=${2:?}; shift 2 ;;
	--prom-port) prom_port=${2:?}; shift 2 ;;
	--out) outdir=${2:?}; shift 2 ;;
	--token) token=${2:?}; shift 2 ;;
	--flush) flush=${2:?}; shift 2 ;;
	--format) format=${2:?}; shift 2 ;;
	--tls) tls_cert=${2:?} tls_key=${3:?}; shift 3 ;;
	*) usage ;;
	esac
done
[ -n "$otlp_port" ] && [ -n "$prom_port" ] && [ -n "$outdir" ] || usage
case "$otlp_port$prom_port" in *[!0-9]*) usage ;; esac
case "$format" in json) ext=jsonl ;; proto) ext=pb ;; *) usage ;; esac
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

# YAML double-quoted scalars: escape backslashes and quotes.
q() { local s=${1//\\/\\\\}; printf '"%s"' "${s//\"/\\\"}"; }

if [ -n "$token" ]; then
	cat <<EOF
extensions:
  bearertokenauth:
    token: $(q "$token")
EOF
fi
cat <<EOF
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:$otlp_port
EOF
if [ -n "$tls_cert" ]; then
	cat <<EOF
        tls:
          cert_file: $(q "$tls_cert")
          key_file: $(q "$tls_key")
EOF
fi
if [ -n "$token" ]; then
	cat <<EOF
        auth:
          authenticator: bearertokenauth
EOF
fi
cat <<EOF
exporters:
  file/metrics:
    path: $(q "$outdir/metrics.$ext")
    format: $format
    append: true
    flush_interval: $flush
  file/profiles:
    path: $(q "$outdir/profiles.$ext")
    format: $format
    append: true
    flush_interval: $flush
  prometheus:
    endpoint: 127.0.0.1:$prom_port
    # service.name becomes the label service_name on every series (and job, as always);
    # without this it is only on target_info.
    resource_constant_labels:
      included: [service.name, service.instance.id]
service:
EOF
if [ -n "$token" ]; then
	echo "  extensions: [bearertokenauth]"
fi
cat <<EOF
  telemetry:
    # The Collector's own metrics would listen on :8888, which parallel test
    # Collectors would fight over.
    metrics:
      level: none
    logs:
      level: info
  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [file/metrics, prometheus]
    profiles:
      receivers: [otlp]
      exporters: [file/profiles]
EOF
