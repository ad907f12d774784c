#!/usr/bin/env bash
# Debian's Prometheus for the e2e tests: a private config and storage, on 127.0.0.1,
# scraping the test Collector's Prometheus exporter every second.  The Debian service
# unit is never used.
#
#   tests/collector/prometheus.sh run DIR PORT TARGET
#       writes DIR/prometheus.yml (scrape TARGET=host:port every 1 s, honor_labels so the
#       exporter's job=<service.name> stays) and execs prometheus in the foreground with
#       its TSDB in DIR/data and its UI/API on 127.0.0.1:PORT; run it with & and kill
#       the pid to stop it (exec: $! is prometheus itself).
#   tests/collector/prometheus.sh wait PORT [SECONDS]
#       waits until /-/ready answers 200 (default 30 s); exit 1 on timeout.
#   tests/collector/prometheus.sh query PORT PROMQL
#       instant query over the HTTP API (/api/v1/query), prints the JSON answer.
#   tests/collector/prometheus.sh value PORT PROMQL
#       the value of the first series of an instant query; exit 1 if it has none.
#
# Needs the Debian packages prometheus (prometheus, promtool), curl and python3.
set -euo pipefail

usage() {
	echo "usage: prometheus.sh run DIR PORT TARGET | wait PORT [S] | query PORT PROMQL | value PORT PROMQL" >&2
	exit 2
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
run)
	[ $# -eq 3 ] || usage
	dir=$1 port=$2 target=$3
	command -v prometheus >/dev/null || { echo "prometheus.sh: prometheus missing: apt-get install prometheus" >&2; exit 1; }
	mkdir -p "$dir/data"
	cat > "$dir/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: otelcol
    honor_labels: true
    static_configs:
      - targets: ['$target']
EOF
	promtool check config "$dir/prometheus.yml" >/dev/null
	exec prometheus --config.file="$dir/prometheus.yml" \
		--storage.tsdb.path="$dir/data" \
		--web.listen-address="127.0.0.1:$port" \
		--log.level=warn
	;;
wait)
	[ $# -ge 1 ] || usage
	port=$1 limit=${2:-30}
	end=$(($(date +%s) + limit))
	while [ "$(date +%s)" -le "$end" ]; do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/-/ready")" = 200 ] && exit 0
		sleep 0.2
	done
	echo "prometheus.sh: not ready on port $port after $limit s" >&2
	exit 1
	;;
query)
	[ $# -eq 2 ] || usage
	curl -sfG "http://127.0.0.1:$1/api/v1/query" --data-urlencode "query=$2"
	echo
	;;
value)
	[ $# -eq 2 ] || usage
	curl -sfG "http://127.0.0.1:$1/api/v1/query" --data-urlencode "query=$2" |
		"${PYTHON:-python3}" -c '
import json, sys
r = json.load(sys.stdin)
res = r.get("data", {}).get("result", [])
if r.get("status") != "success" or not res:
    sys.exit(1)
print(res[0]["value"][1])'
	;;
*) usage ;;
esac
