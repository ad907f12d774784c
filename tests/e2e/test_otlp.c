// SPDX-License-Identifier: MIT
/*
 * End to end: `record --otlp-endpoint` to a real OpenTelemetry Collector
 * (tests/collector/: built once into BUILDDIR/collector and cached, started here on
 * 127.0.0.1 with a generated config whose file exporter writes what it received).  What
 * the Collector decoded (tests/collector/decode.py) must equal the recording's own
 * summary.json and memory_end.json, computed independently by tests/e2e/otlp_compare.py,
 * under the right resource attributes (sampled mode, GC traced: the estimates, the GC
 * figures and the pause histograms by reason are sent; with --goroutines, the goroutine
 * count and the leak suspects).  A Collector that is away, or refuses the token,
 * is a warning and the recording's files are still written; a malformed URL is exit 2.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/*
 * The opening of a tu_script(): the Collector built (or found up to date), $col its path,
 * $work a directory removed at the end, with the Collector killed (SIGTERM: it flushes).
 * col_start [TOKEN [CONFIG ARGS...]] starts one on a free port ($port; its Prometheus
 * exporter on $promport), writing $work/col/metrics.jsonl, and waits for its receiver
 * ($scheme: http unless set; with https, --tls CERT KEY among the config args); col_stop
 * stops it (and waits, so the file is complete); col_restart starts it again on the same
 * port and config.
 */
#define OTLP_START                                                                          \
	"work=$(mktemp -d)\n"                                                               \
	"trap 'kill $P $colpid 2>/dev/null; wait $colpid 2>/dev/null; rm -rf \"$work\"' EXIT\n" \
	"col=$(nice -n 19 $GMT_SOURCE_ROOT/tests/collector/build.sh "                         \
	"$(dirname $GMT)/collector 2>$work/build.log | tail -1)\n"                          \
	"[ -x \"$col\" ] || { echo collector_built=0; cat $work/build.log; exit 0; }\n"     \
	"echo collector_built=1\n"                                                          \
	"freeport() { /usr/bin/python3 -c 'import socket; s = socket.socket(); "            \
	"s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])'; }\n"                       \
	"col_start() {\n"                                                                   \
	"  port=$(freeport) promport=$(freeport)\n"                                         \
	"  $GMT_SOURCE_ROOT/tests/collector/config.sh --otlp-port $port "                   \
	"--prom-port $promport --out $work/col ${1:+--token $1} \"${@:2}\" > $work/col.yaml\n" \
	"  $col --config $work/col.yaml --feature-gates=service.profilesSupport "           \
	">$work/col.log 2>&1 &\n"                                                           \
	"  colpid=$!\n"                                                                     \
	"  for i in $(seq 1 300); do\n"                                                     \
	"    c=$(curl -sk -o /dev/null -w '%%{http_code}' "                                 \
	"${scheme:-http}://127.0.0.1:$port/v1/metrics)\n"                                   \
	"    [ \"$c\" = 405 ] || [ \"$c\" = 401 ] && break; sleep 0.2; done\n"               \
	"  echo collector_ready=$([ \"$c\" = 405 ] || [ \"$c\" = 401 ] && echo 1 || echo 0)\n" \
	"}\n"                                                                               \
	"col_stop() { kill $colpid; wait $colpid; colpid=; }\n"                              \
	"col_restart() {\n"                                                                 \
	"  $col --config $work/col.yaml --feature-gates=service.profilesSupport "           \
	">>$work/col.log 2>&1 &\n"                                                          \
	"  colpid=$!\n"                                                                     \
	"  for i in $(seq 1 300); do c=$(curl -s -o /dev/null -w '%%{http_code}' "          \
	"http://127.0.0.1:$port/v1/metrics); [ \"$c\" = 405 ] && break; sleep 0.2; done\n" \
	"}\n"

/* The alloc fixture allocating for 60 s (under timeout), attached to: $P. */
#define ALLOC_TARGET                                                                        \
	"timeout 90 %s -spin 60 >$work/fx.log 2>&1 &\n"                                     \
	"tpid=$!\n"                                                                         \
	"for i in $(seq 1 100); do P=$(pgrep -P $tpid); [ -n \"$P\" ] && break; sleep 0.1; done\n" \
	"sleep 0.5\n"

/* After a record whose stderr went to $work/err.txt: its status, its lines as comments. */
#define RECORD_SAID "echo rc=$?\nsed 's/^/# /' $work/err.txt\n"
/* The recording's files were written all the same. */
#define FILES_WRITTEN                                                                       \
	"echo summary=$([ -s $work/rec/summary.json ] && echo 1 || echo 0)\n"               \
	"echo alloc=$([ -s $work/rec/alloc.pb.gz ] && echo 1 || echo 0)\n"

/* The Collector built and started, and record ran to its end. */
static void assert_collector_and_record(const char *out)
{
	cr_assert_eq(tu_field(out, "collector_built"), 1, "the Collector builds:\n%s", out);
	cr_assert_eq(tu_field(out, "collector_ready"), 1, "the Collector starts:\n%s", out);
	cr_assert_eq(tu_field(out, "rc"), 0, "record succeeds:\n%s", out);
}

static void assert_files_written(const char *out)
{
	cr_assert_eq(tu_field(out, "rc"), 0, "the recording succeeds:\n%s", out);
	cr_assert_eq(tu_field(out, "summary"), 1, "summary.json written");
	cr_assert_eq(tu_field(out, "alloc"), 1, "alloc.pb.gz written");
}

Test(otlp, record_sends_what_its_files_say, .timeout = 1800)
{
	const char *fx = tu_fixture("alloc", "go126", "exe");
	char *out = tu_script(
		OTLP_START ALLOC_TARGET
		"col_start s3cret-token\n"
		"$GMT record -d 3 -o $work/rec -p $P --service-name shop --goroutines "
		"--otlp-endpoint http://127.0.0.1:$port/ "
		"--otlp-header 'Authorization=Bearer s3cret-token' 2>$work/err.txt\n"
		RECORD_SAID
		"col_stop\n"
		"echo token_logged=$(grep -c s3cret $work/err.txt)\n"
		"echo sent=$(grep -c 'OTLP: metrics sent' $work/err.txt)\n"
		"d=$GMT_SOURCE_ROOT/tests/collector/decode.py\n"
		"/usr/bin/python3 $d metrics $work/col/metrics.jsonl > $work/m.txt; echo dm_rc=$?\n"
		"/usr/bin/python3 $d resource $work/col/metrics.jsonl > $work/r.txt; echo dr_rc=$?\n"
		"echo requests=$(grep -c . $work/col/metrics.jsonl)\n"
		"sed 's/^/# /' $work/m.txt\n"
		"/usr/bin/python3 $GMT_SOURCE_ROOT/tests/e2e/otlp_compare.py $work/m.txt $work/r.txt "
		"$work/rec/summary.json $work/rec/memory_end.json $P %s shop $work/rec/gc.json "
		"$work/rec/goroutines.txt\n",
		fx, fx);

	assert_collector_and_record(out);
	cr_assert_eq(tu_field(out, "sent"), 1, "record says it sent:\n%s", out);
	cr_assert_eq(tu_field(out, "token_logged"), 0, "the token is never printed:\n%s", out);
	cr_assert_eq(tu_field(out, "dm_rc"), 0, "the Collector wrote metrics:\n%s", out);
	cr_assert_eq(tu_field(out, "dr_rc"), 0);
	cr_assert_eq(tu_field(out, "requests"), 1, "one request, sent once:\n%s", out);
	/* No GOMEMLIMIT: no go.memory.limit; the rest of memory_end.json and summary.json;
	 * the goroutine count and leak suspects; one pause histogram per reason in gc.json. */
	cr_assert_geq(tu_field(out, "pause_reasons"), 1, "pauses, by reason:\n%s", out);
	cr_assert_eq(tu_field(out, "checked"), 16 + 3 + tu_field(out, "pause_reasons"),
		     "the memory figures and the recording's:\n%s", out);
	cr_assert_gt(tu_field(out, "summary_alloc_bytes"), 0, "something allocated");
	cr_assert_gt(tu_field(out, "summary_gc_cycles"), 0, "some GC cycles while traced");
	cr_assert_eq(tu_field(out, "missing"), 0, "every metric arrived:\n%s", out);
	cr_assert_eq(tu_field(out, "differ"), 0, "values equal summary.json / memory_end.json:\n%s",
		     out);
	cr_assert_eq(tu_field(out, "extra"), 0, "nothing else:\n%s", out);
	cr_assert_eq(tu_field(out, "duplicates"), 0);
	cr_assert_eq(tu_field(out, "resource_bad"), 0, "resource attributes:\n%s", out);
	free(out);
}

/*
 * The profiles: the demo fixture (several stacks, inlined frames) recorded in sampled
 * mode, so that all four sample types go.  What the Collector wrote, decoded and checked
 * against the profiles spec's dictionary rules by decode.py, must equal alloc.pb.gz as
 * `go tool pprof -raw` reads it: totals per sample type and every stack by function
 * names (inlined frames expanded), tests/e2e/otlp_profiles_compare.py; the mapping's
 * build IDs are the executable's (go tool buildid; the GNU note and the htlhash read and
 * computed by the script).
 */
Test(otlp, record_sends_alloc_profiles, .timeout = 1800)
{
	const char *fx = tu_fixture("demo", "go126", "exe");
	char *out = tu_script(
		OTLP_START
		"timeout 90 %s -seconds 60 >$work/fx.log 2>&1 &\n"
		"tpid=$!\n"
		"for i in $(seq 1 100); do P=$(pgrep -P $tpid); [ -n \"$P\" ] && break; sleep 0.1; done\n"
		"col_start\n"
		"$GMT record -d 2 -o $work/rec -p $P --service-name shop "
		"--otlp-endpoint http://127.0.0.1:$port 2>$work/err.txt\n"
		RECORD_SAID
		"col_stop\n"
		"echo sent=$(grep -c 'OTLP: profiles sent' $work/err.txt)\n"
		"echo requests=$(grep -c . $work/col/profiles.jsonl)\n"
		"d=$GMT_SOURCE_ROOT/tests/collector/decode.py\n"
		"/usr/bin/python3 $d profiles --service shop $work/col/profiles.jsonl > $work/p.txt; "
		"echo dp_rc=$?\n"
		"/usr/bin/python3 $d profiles --service shop --folded $work/col/profiles.jsonl "
		"> $work/f.txt; echo df_rc=$?\n"
		"/usr/bin/python3 $d mappings $work/col/profiles.jsonl > $work/m.txt; echo dmap_rc=$?\n"
		"sed 's/^/# /' $work/p.txt\n"
		"$GMT_GO tool pprof -raw $work/rec/alloc.pb.gz > $work/raw.txt 2>&1; echo raw_rc=$?\n"
		"/usr/bin/python3 $GMT_SOURCE_ROOT/tests/e2e/otlp_profiles_compare.py $work/p.txt "
		"$work/f.txt $work/m.txt $work/raw.txt %s \"$($GMT_GO tool buildid %s)\"\n",
		fx, fx, fx);

	assert_collector_and_record(out);
	cr_assert_eq(tu_field(out, "sent"), 1, "record says it sent the profiles:\n%s", out);
	cr_assert_eq(tu_field(out, "requests"), 1, "one profiles request:\n%s", out);
	cr_assert_eq(tu_field(out, "dp_rc"), 0, "profiles decode, dictionary rules hold:\n%s", out);
	cr_assert_eq(tu_field(out, "df_rc"), 0);
	cr_assert_eq(tu_field(out, "dmap_rc"), 0, "a mapping:\n%s", out);
	cr_assert_eq(tu_field(out, "raw_rc"), 0, "go tool pprof reads alloc.pb.gz:\n%s", out);
	cr_assert_eq(tu_field(out, "types"), 4, "sampled mode: alloc_* and inuse_*:\n%s", out);
	cr_assert_eq(tu_field(out, "profiles"), 4, "one OTLP profile per sample type:\n%s", out);
	cr_assert_gt(tu_field(out, "total_alloc_space"), 0, "something allocated");
	cr_assert_gt(tu_field(out, "total_inuse_space"), 0, "something live");
	cr_assert_gt(tu_field(out, "stacks"), 2, "several stacks:\n%s", out);
	cr_assert_gt(tu_field(out, "inlined_locations"), 0, "inlined frames in play:\n%s", out);
	cr_assert_eq(tu_field(out, "totals_differ"), 0, "totals equal alloc.pb.gz's:\n%s", out);
	cr_assert_eq(tu_field(out, "stacks_differ"), 0, "every stack equals alloc.pb.gz's:\n%s",
		     out);
	cr_assert_eq(tu_field(out, "gnu_present"), 1, "go1.26 links a GNU build ID");
	cr_assert_eq(tu_field(out, "build_ids_ok"), 1, "the build IDs are the binary's:\n%s", out);
	free(out);
}

/*
 * A target in a container: the alloc fixture moved into a cgroup v2 named as Docker's
 * systemd driver names a container's (docker-ID.scope, made here under the cgroup2
 * mount and removed after).  container.id in the resource the Collector received, and
 * memory_end.json's container_id, are that ID; /proc/PID/cgroup, read by the script, is
 * the oracle that the process was in it.
 */
Test(otlp, record_names_the_container, .timeout = 1800)
{
	const char *fx = tu_fixture("alloc", "go126", "exe");
	char *out = tu_script(
		OTLP_START ALLOC_TARGET
		"cid=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n')\n"
		"cg2=$(awk '$3 == \"cgroup2\" {print $2; exit}' /proc/mounts)\n"
		"cg=$cg2/docker-$cid.scope\n"
		"trap 'kill $P $colpid 2>/dev/null; wait $tpid $colpid 2>/dev/null; "
		"rmdir $cg 2>/dev/null; rm -rf \"$work\"' EXIT\n"
		"mkdir $cg && echo $P > $cg/cgroup.procs; echo moved_rc=$?\n"
		"echo in_cgroup=$(grep -c \"docker-$cid.scope\" /proc/$P/cgroup)\n"
		"col_start\n"
		"$GMT record -d 2 -o $work/rec -p $P --otlp-endpoint http://127.0.0.1:$port "
		"2>$work/err.txt\n"
		RECORD_SAID
		"col_stop\n"
		"/usr/bin/python3 $GMT_SOURCE_ROOT/tests/collector/decode.py resource "
		"$work/col/metrics.jsonl > $work/r.txt\n"
		"sed 's/^/# /' $work/r.txt\n"
		"echo resource_id=$(grep -c \"^container.id=$cid$\" $work/r.txt)\n"
		"echo resource_any=$(grep -c '^container.id=' $work/r.txt)\n"
		"echo memory_id=$(/usr/bin/python3 -c 'import json, sys; "
		"print(int(json.load(open(sys.argv[1]))[\"process\"][\"container_id\"] == sys.argv[2]))' "
		"$work/rec/memory_end.json $cid)\n",
		fx);

	cr_assert_eq(tu_field(out, "moved_rc"), 0, "the fixture moved into a new cgroup:\n%s", out);
	cr_assert_eq(tu_field(out, "in_cgroup"), 1, "/proc/PID/cgroup names it:\n%s", out);
	assert_collector_and_record(out);
	cr_expect_eq(tu_field(out, "resource_id"), 1, "container.id is the cgroup's:\n%s", out);
	cr_expect_eq(tu_field(out, "resource_any"), 1, "one container.id:\n%s", out);
	cr_expect_eq(tu_field(out, "memory_id"), 1, "memory_end.json's container_id too:\n%s",
		     out);
	free(out);
}

/*
 * The whole chain, eBPF to Prometheus: record sends to the Collector, whose Prometheus
 * exporter Debian's Prometheus scrapes every second (tests/collector/prometheus.sh); a
 * PromQL query over Prometheus's HTTP API returns the target's heap and allocated
 * bytes under its service.name, equal to memory_end.json's HeapAlloc and TotalAlloc.
 */
Test(otlp, record_reaches_prometheus, .timeout = 1800)
{
	const char *fx = tu_fixture("alloc", "go126", "exe");
	char *out = tu_script(
		OTLP_START ALLOC_TARGET
		"trap 'kill $P $colpid $prompid 2>/dev/null; wait $colpid $prompid 2>/dev/null; "
		"rm -rf \"$work\"' EXIT\n"
		"prom=$GMT_SOURCE_ROOT/tests/collector/prometheus.sh\n"
		"col_start\n"
		"pp=$(freeport)\n"
		"$prom run $work/prom $pp 127.0.0.1:$promport >$work/prom.log 2>&1 &\n"
		"prompid=$!\n"
		"$prom wait $pp 120; echo prom_ready=$((1 - $?))\n"
		"$GMT record -d 2 -o $work/rec -p $P --service-name shop-$$ "
		"--otlp-endpoint http://127.0.0.1:$port 2>$work/err.txt\n"
		RECORD_SAID
		"q() { for i in $(seq 1 120); do v=$($prom value $pp \"$1{service_name=\\\"shop-$$\\\"}\") "
		"&& { echo $v; return; }; sleep 0.5; done; echo none; }\n"
		"heap=$(q gomemtrace_memory_heap_alloc_bytes)\n"
		"total=$(q go_memory_allocated_bytes_total)\n"
		"echo \"# PromQL: heap $heap allocated $total\"\n"
		"$prom query $pp \"gomemtrace_memory_heap_alloc_bytes{service_name=\\\"shop-$$\\\"}\" "
		"| sed 's/^/# /'\n"
		"/usr/bin/python3 - $work/rec/memory_end.json \"$heap\" \"$total\" <<'EOF'\n"
		"import json, sys\n"
		"r = json.load(open(sys.argv[1]))['runtime']\n"
		"print('# memory_end.json: HeapAlloc', r['HeapAlloc'], 'TotalAlloc', r['TotalAlloc'])\n"
		"ok = lambda v, w: int(v != 'none' and w is not None and float(v) == float(w))\n"
		"print('heap_ok=%%d' %% ok(sys.argv[2], r['HeapAlloc']))\n"
		"print('total_ok=%%d' %% ok(sys.argv[3], r['TotalAlloc']))\n"
		"EOF\n",
		fx);

	cr_assert_eq(tu_field(out, "prom_ready"), 1, "Prometheus starts:\n%s", out);
	assert_collector_and_record(out);
	cr_expect_eq(tu_field(out, "heap_ok"), 1, "PromQL gives HeapAlloc:\n%s", out);
	cr_expect_eq(tu_field(out, "total_ok"), 1, "PromQL gives TotalAlloc:\n%s", out);
	free(out);
}

/*
 * https: a Collector whose receiver has a certificate from a CA made here (openssl, for
 * 127.0.0.1).  With --otlp-ca that CA, the metrics go; with the system's CAs the
 * certificate is refused, once (not retried), said in a warning, and the files are
 * written.  A --otlp-ca that cannot be read is exit 2 before anything starts.
 */
Test(otlp, https_with_otlp_ca, .timeout = 1800)
{
	const char *fx = tu_fixture("alloc", "go126", "exe");
	char *out = tu_script(
		OTLP_START ALLOC_TARGET
		"cd $work\n"
		"openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=gmt-test-ca "
		"-keyout ca.key -out ca.pem 2>/dev/null\n"
		"openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout srv.key "
		"-out srv.csr 2>/dev/null\n"
		"printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext\n"
		"openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
		"-extfile san.ext -out srv.pem 2>/dev/null; echo certs_rc=$?\n"
		"cd - >/dev/null\n"
		"scheme=https\n"
		"col_start '' --tls $work/srv.pem $work/srv.key\n"
		"$GMT record -d 1 -o $work/rec -p $P --otlp-endpoint https://127.0.0.1:$port "
		"--otlp-ca $work/ca.pem 2>$work/err.txt\n"
		RECORD_SAID
		"echo sent=$(grep -c 'OTLP: metrics sent' $work/err.txt)\n"
		"$GMT record -d 1 -o $work/rec2 -p $P --otlp-endpoint https://127.0.0.1:$port "
		"2>$work/err2.txt\n"
		"echo rc2=$?\n"
		"sed 's/^/# /' $work/err2.txt\n"
		"echo refused=$(grep -c 'warning: OTLP export failed after 1 try; the files are "
		"written: .*[Cc]ertificate' $work/err2.txt)\n"
		"echo summary2=$([ -s $work/rec2/summary.json ] && echo 1 || echo 0)\n"
		"col_stop\n"
		"echo requests=$(grep -c . $work/col/metrics.jsonl)\n"
		"$GMT record -d 1 -o $work/rec3 -p $P --otlp-endpoint https://127.0.0.1:$port "
		"--otlp-ca $work/nope.pem 2>$work/err3.txt\n"
		"echo rc3=$?\n"
		"echo said3=$(grep -c -- '--otlp-ca .*nope.pem: No such file' $work/err3.txt)\n"
		"echo rec3=$([ -e $work/rec3 ] && echo 1 || echo 0)\n",
		fx);

	cr_assert_eq(tu_field(out, "certs_rc"), 0, "openssl made the certificates:\n%s", out);
	assert_collector_and_record(out);
	cr_expect_eq(tu_field(out, "sent"), 1, "sent over https with --otlp-ca:\n%s", out);
	cr_expect_eq(tu_field(out, "rc2"), 0, "without it the recording still succeeds:\n%s",
		     out);
	cr_expect_eq(tu_field(out, "refused"), 1, "the certificate refused, once:\n%s", out);
	cr_expect_eq(tu_field(out, "summary2"), 1, "and its files written");
	cr_expect_eq(tu_field(out, "requests"), 1, "the Collector got the first only:\n%s", out);
	cr_expect_eq(tu_field(out, "rc3"), 2, "an unreadable --otlp-ca is exit 2:\n%s", out);
	cr_expect_eq(tu_field(out, "said3"), 1, "in one line naming it:\n%s", out);
	cr_expect_eq(tu_field(out, "rec3"), 0, "before anything is written");
	free(out);
}

Test(otlp, collector_away_is_a_warning, .timeout = 600)
{
	const char *fx = tu_fixture("alloc", "go126", "exe");
	char *out = tu_script(
		OTLP_START ALLOC_TARGET
		"port=$(freeport)\n"
		"$GMT record --mode exact -d 1 -o $work/rec -p $P "
		"--otlp-endpoint http://127.0.0.1:$port --otlp-timeout 2s 2>$work/err.txt\n"
		RECORD_SAID FILES_WRITTEN
		"echo warned=$(grep -c 'warning: OTLP export failed after 3 tries; the files are "
		"written: .*127.0.0.1:'$port $work/err.txt)\n",
		fx);

	assert_files_written(out);
	cr_assert_eq(tu_field(out, "warned"), 1, "one warning after 3 tries:\n%s", out);
	free(out);
}

Test(otlp, wrong_token_is_a_clear_error_and_not_retried, .timeout = 1800)
{
	const char *fx = tu_fixture("alloc", "go126", "exe");
	char *out = tu_script(
		OTLP_START ALLOC_TARGET
		"col_start right-token\n"
		"$GMT record --mode exact -d 1 -o $work/rec -p $P "
		"--otlp-endpoint http://127.0.0.1:$port "
		"--otlp-header 'Authorization=Bearer wrong-token' 2>$work/err.txt\n"
		RECORD_SAID FILES_WRITTEN
		"col_stop\n"
		"echo warned=$(grep -c 'OTLP export failed after 1 try; .*HTTP 401: provided "
		"authorization does not match expected scheme or token' $work/err.txt)\n"
		"echo token_logged=$(grep -c wrong-token $work/err.txt)\n"
		"echo written=$(cat $work/col/metrics.jsonl 2>/dev/null | grep -c .)\n",
		fx);

	cr_assert_eq(tu_field(out, "collector_ready"), 1, "the Collector starts:\n%s", out);
	assert_files_written(out);
	cr_assert_eq(tu_field(out, "warned"), 1, "401 and the Collector's message, 1 try:\n%s",
		     out);
	cr_assert_eq(tu_field(out, "token_logged"), 0, "the token is never printed");
	cr_assert_eq(tu_field(out, "written"), 0, "the Collector wrote nothing");
	free(out);
}

/*
 * The token from OTEL_EXPORTER_OTLP_HEADERS (percent-encoded, as the SDKs read it), out
 * of the command line: a Collector requiring it accepts the metrics, and the token is
 * in no message.  A malformed variable is exit 2, naming the entry and not the value.
 */
Test(otlp, token_from_the_environment, .timeout = 1800)
{
	const char *fx = tu_fixture("alloc", "go126", "exe");
	char *out = tu_script(
		OTLP_START ALLOC_TARGET
		"col_start env-s3cret\n"
		"OTEL_EXPORTER_OTLP_HEADERS='Authorization=Bearer%%20env-s3cret' "
		"$GMT record -d 1 -o $work/rec -p $P --otlp-endpoint http://127.0.0.1:$port "
		"2>$work/err.txt\n"
		RECORD_SAID
		"echo sent=$(grep -c 'OTLP: metrics sent' $work/err.txt)\n"
		"echo token_logged=$(grep -c s3cret $work/err.txt)\n"
		"OTEL_EXPORTER_OTLP_HEADERS='Authorization=Bearer%%0Aenv-s3cret' "
		"$GMT record -d 1 -o $work/rec2 -p $P --otlp-endpoint http://127.0.0.1:$port "
		"2>$work/err2.txt\n"
		"echo rc2=$?\n"
		"sed 's/^/# /' $work/err2.txt\n"
		"echo said2=$(grep -c 'OTEL_EXPORTER_OTLP_HEADERS: entry 1 ' $work/err2.txt)\n"
		"echo token_logged2=$(grep -c s3cret $work/err2.txt)\n"
		"col_stop\n"
		"echo requests=$(grep -c . $work/col/metrics.jsonl)\n",
		fx);

	assert_collector_and_record(out);
	cr_expect_eq(tu_field(out, "sent"), 1, "the Collector took the token:\n%s", out);
	cr_expect_eq(tu_field(out, "requests"), 1, "one request:\n%s", out);
	cr_expect_eq(tu_field(out, "token_logged"), 0, "the token is never printed:\n%s", out);
	cr_expect_eq(tu_field(out, "rc2"), 2, "a malformed variable is exit 2:\n%s", out);
	cr_expect_eq(tu_field(out, "said2"), 1, "naming the entry:\n%s", out);
	cr_expect_eq(tu_field(out, "token_logged2"), 0, "not the value:\n%s", out);
	free(out);
}

/* The daemon ($g), the target and the Collector killed on every exit. */
#define DAEMON_TRAP                                                                         \
	"trap 'kill $P $colpid $g 2>/dev/null; wait $colpid $g 2>/dev/null; "               \
	"rm -rf \"$work\"' EXIT\n"

/*
 * The daemon on $P, every 2 s, sending to 127.0.0.1:PORT as service svc ($g; its log in
 * $work/d.err), with more options (ARGS); ivs counts its intervals so far.
 */
#define DAEMON_START_WITH(port, args)                                                       \
	"$GMT daemon -p $P -o $work/d -i 2 --service-name svc " args " "                    \
	"--otlp-endpoint http://127.0.0.1:" port " 2>$work/d.err &\n"                      \
	"g=$!\n"                                                                            \
	"ivs() { ls $work/d/alloc-go126-ex*-$P/ 2>/dev/null | grep -c .; }\n"
#define DAEMON_START(port) DAEMON_START_WITH(port, "")

/* What the Collector received against the daemon's intervals (otlp_daemon_compare.py),
 * and dp_rc: whether its profiles decode. */
#define DAEMON_COMPARE                                                                      \
	"d=$GMT_SOURCE_ROOT/tests/collector/decode.py\n"                                    \
	"/usr/bin/python3 $d metrics --service svc --name gomemtrace.alloc.bytes "          \
	"$work/col/metrics.jsonl > $work/a.txt\n"                                          \
	"/usr/bin/python3 $d metrics --service svc --last $work/col/metrics.jsonl "         \
	"> $work/last.txt\n"                                                               \
	"/usr/bin/python3 $d profiles --service svc $work/col/profiles.jsonl > $work/p.txt\n" \
	"echo dp_rc=$?\n"                                                                   \
	"/usr/bin/python3 $GMT_SOURCE_ROOT/tests/e2e/otlp_daemon_compare.py $work/a.txt "   \
	"$work/col/profiles.jsonl $work/d/alloc-go126-ex*-$P $work/last.txt\n"

/* Each interval's summary.json says how the export went; the last figures sent are the
 * pause histograms of all the intervals' gc.json, the goroutines of the last. */
static void assert_daemon_figures(const char *out)
{
	cr_expect_eq(tu_field(out, "export_in_summary"), tu_field(out, "intervals"),
		     "every summary.json has the export's counters:\n%s", out);
	cr_expect_eq(tu_field(out, "export_sent_monotonic"), 1, "%s", out);
	cr_expect_geq(tu_field(out, "last_reasons"), 1, "pauses by reason:\n%s", out);
	cr_expect_eq(tu_field(out, "last_bad"), 0,
		     "histograms, goroutine count, leak suspects as the files say:\n%s", out);
}

/*
 * The daemon: every interval's metrics and profiles, through a Collector killed for
 * 30 s mid-run and started again on the same port.  What it received decodes to one
 * gomemtrace.alloc.bytes point per interval, in order, each the sum of the intervals'
 * summary.json est_alloc_bytes so far (tests/e2e/otlp_daemon_compare.py), and one
 * profiles request per interval: nothing lost, nothing twice.  The daemon's log says the
 * export failed and then worked again; its queue directory is empty at the end.
 */
Test(otlp, daemon_sends_every_interval_through_an_outage, .timeout = 1800)
{
	const char *fx = tu_fixture("alloc", "go126", "exe");
	char *out = tu_script(
		OTLP_START ALLOC_TARGET
		DAEMON_TRAP
		"col_start\n"
		DAEMON_START("$port")
		"for i in $(seq 1 300); do [ $(ivs) -ge 3 ] && break; sleep 0.1; done\n"
		"col_stop\n"
		"echo down_at=$(ivs)\n"
		"sleep 30\n"
		"col_restart\n"
		"echo up_at=$(ivs)\n"
		"sleep 3\n"
		"kill -TERM $g; wait $g; echo daemon_rc=$?\n"
		"col_stop\n"
		"sed 's/^/# /' $work/d.err | grep -i otlp\n"
		"echo failing_said=$(grep -c 'OTLP export failing, kept for later' $work/d.err)\n"
		"echo back_said=$(grep -c 'OTLP export works again' $work/d.err)\n"
		"echo left=$(ls $work/d/.otlp-queue | grep -c .)\n"
		"echo file_sent=$(sed -n 's/^gomemtrace_otlp_requests_sent_total //p' "
		"$work/d/gomemtrace.prom)\n"
		"echo file_queued=$(sed -n 's/^gomemtrace_otlp_requests_queued //p' "
		"$work/d/gomemtrace.prom)\n"
		DAEMON_COMPARE,
		fx);

	cr_assert_eq(tu_field(out, "collector_built"), 1, "the Collector builds:\n%s", out);
	cr_assert_eq(tu_field(out, "collector_ready"), 1, "the Collector starts:\n%s", out);
	cr_assert_eq(tu_field(out, "daemon_rc"), 0, "the daemon exits 0:\n%s", out);
	cr_assert_gt(tu_field(out, "up_at") - tu_field(out, "down_at"), 1,
		     "intervals were written while the Collector was away:\n%s", out);
	cr_expect_eq(tu_field(out, "failing_said"), 1, "the failure said once:\n%s", out);
	cr_expect_eq(tu_field(out, "back_said"), 1, "and the recovery:\n%s", out);
	cr_expect_eq(tu_field(out, "dp_rc"), 0, "the profiles decode:\n%s", out);
	cr_expect_eq(tu_field(out, "points"), tu_field(out, "intervals"),
		     "one metrics request per interval:\n%s", out);
	cr_expect_eq(tu_field(out, "profile_requests"), tu_field(out, "intervals"),
		     "one profiles request per interval:\n%s", out);
	cr_expect_eq(tu_field(out, "differ"), 0, "the sums of summary.json:\n%s", out);
	cr_expect_eq(tu_field(out, "in_order"), 1, "in order:\n%s", out);
	cr_expect_eq(tu_field(out, "left"), 0, "nothing left in the queue:\n%s", out);
	cr_expect_eq(tu_field(out, "file_sent"), 2 * tu_field(out, "intervals"),
		     "the metrics file counts the requests sent:\n%s", out);
	cr_expect_eq(tu_field(out, "file_queued"), 0, "and none waiting:\n%s", out);
	assert_daemon_figures(out);
	cr_expect_gt(tu_field(out, "export_failures_max"), 0,
		     "summary.json counted the failures:\n%s", out);
	cr_expect_gt(tu_field(out, "export_queued_max"), 0, "and the requests waiting:\n%s", out);
	free(out);
}

/*
 * A Collector that answers 503 with Retry-After: 3 twice (tests/collector/faultproxy.py in
 * front of it): the daemon's next tries come no sooner than 3 s after each (the proxy's
 * log has the times), and every interval still arrives once, in order.
 */
Test(otlp, daemon_honours_retry_after, .timeout = 1800)
{
	const char *fx = tu_fixture("alloc", "go126", "exe");
	char *out = tu_script(
		OTLP_START ALLOC_TARGET
		"trap 'kill $P $colpid $g $fp 2>/dev/null; wait $colpid $g $fp 2>/dev/null; "
		"rm -rf \"$work\"' EXIT\n"
		"col_start\n"
		"/usr/bin/python3 $GMT_SOURCE_ROOT/tests/collector/faultproxy.py "
		"--target http://127.0.0.1:$port --status 503 --count 2 --retry-after 3 "
		"--log $work/proxy.jsonl > $work/proxy.out 2>&1 &\n"
		"fp=$!\n"
		"for i in $(seq 1 100); do pp=$(head -1 $work/proxy.out); [ -n \"$pp\" ] && break; "
		"sleep 0.1; done\n"
		DAEMON_START("$pp")
		"for i in $(seq 1 300); do [ $(ivs) -ge 5 ] && break; sleep 0.1; done\n"
		"kill -TERM $g; wait $g; echo daemon_rc=$?\n"
		"col_stop\n"
		"/usr/bin/python3 - $work/proxy.jsonl <<'EOF'\n"
		"import json, sys\n"
		"r = [json.loads(l) for l in open(sys.argv[1])]\n"
		"inj = [i for i, x in enumerate(r) if x['injected']]\n"
		"print('# requests', [(round(x['t'] - r[0]['t'], 2), x['status']) for x in r])\n"
		"print('injected=%%d' %% len(inj))\n"
		"gaps = [r[i + 1]['t'] - r[i]['t'] for i in inj if i + 1 < len(r)]\n"
		"print('waited_ms=%%d' %% int(1000 * min(gaps)) if gaps else 'waited_ms=0')\n"
		"EOF\n"
		DAEMON_COMPARE,
		fx);

	cr_assert_eq(tu_field(out, "collector_ready"), 1, "the Collector starts:\n%s", out);
	cr_assert_eq(tu_field(out, "daemon_rc"), 0, "the daemon exits 0:\n%s", out);
	cr_assert_eq(tu_field(out, "injected"), 2, "two 503s answered:\n%s", out);
	cr_expect_geq(tu_field(out, "waited_ms"), 2900, "Retry-After: 3 honoured:\n%s", out);
	cr_expect_eq(tu_field(out, "points"), tu_field(out, "intervals"),
		     "every interval arrived:\n%s", out);
	cr_expect_eq(tu_field(out, "profile_requests"), tu_field(out, "intervals"), "%s", out);
	cr_expect_eq(tu_field(out, "differ"), 0, "%s", out);
	cr_expect_eq(tu_field(out, "in_order"), 1, "in order:\n%s", out);
	assert_daemon_figures(out);
	free(out);
}

/*
 * A Collector that wants a bearer token and a daemon that has the wrong one: every try is
 * refused (HTTP 401), said in the log (the token never), and every interval is kept in
 * OUTDIR/.otlp-queue.  The daemon started again with the right token (from
 * OTEL_EXPORTER_OTLP_HEADERS) sends them first: the Collector gets every interval of
 * both runs, once each, in order.
 */
Test(otlp, daemon_wrong_token_keeps_intervals, .timeout = 1800)
{
	const char *fx = tu_fixture("alloc", "go126", "exe");
	char *out = tu_script(
		OTLP_START ALLOC_TARGET
		DAEMON_TRAP
		"col_start right-token\n"
		DAEMON_START_WITH("$port", "--otlp-header 'Authorization=Bearer wrong-token'")
		"for i in $(seq 1 300); do [ $(ivs) -ge 3 ] && break; sleep 0.1; done\n"
		"kill -TERM $g; wait $g; echo daemon_rc=$?\n"
		"first=$(ivs); echo first=$first\n"
		"sed 's/^/# /' $work/d.err | grep -i otlp\n"
		"echo refused_said=$(grep -c 'HTTP 401' $work/d.err)\n"
		"echo token_logged=$(grep -c wrong-token $work/d.err)\n"
		"echo kept=$(ls $work/d/.otlp-queue | grep -c .)\n"
		"echo received_first=$(cat $work/col/metrics.jsonl 2>/dev/null | grep -c .)\n"
		"mv $work/d.err $work/d1.err\n"
		"export OTEL_EXPORTER_OTLP_HEADERS='Authorization=Bearer%%20right-token'\n"
		DAEMON_START("$port")
		"for i in $(seq 1 300); do [ $(ivs) -ge $((first + 2)) ] && break; sleep 0.1; done\n"
		"kill -TERM $g; wait $g; echo daemon2_rc=$?\n"
		"col_stop\n"
		"sed 's/^/# /' $work/d.err\n"
		"echo reloaded_said=$(grep -c 'a previous run could not send, sent first' "
		"$work/d.err)\n"
		"echo left=$(ls $work/d/.otlp-queue | grep -c .)\n"
		DAEMON_COMPARE,
		fx);

	cr_assert_eq(tu_field(out, "collector_ready"), 1, "the Collector starts:\n%s", out);
	cr_assert_eq(tu_field(out, "daemon_rc"), 0, "the daemon exits 0:\n%s", out);
	cr_assert_eq(tu_field(out, "daemon2_rc"), 0, "and again:\n%s", out);
	cr_expect_gt(tu_field(out, "refused_said"), 0, "the 401 is in the log:\n%s", out);
	cr_expect_eq(tu_field(out, "token_logged"), 0, "the token is not:\n%s", out);
	cr_expect_eq(tu_field(out, "received_first"), 0, "the Collector took nothing:\n%s", out);
	cr_expect_eq(tu_field(out, "kept"), 2 * tu_field(out, "first"),
		     "every interval's two requests kept on disk:\n%s", out);
	cr_expect_eq(tu_field(out, "reloaded_said"), 1, "%s", out);
	cr_expect_eq(tu_field(out, "points"), tu_field(out, "intervals"),
		     "every interval of both runs arrived:\n%s", out);
	cr_expect_eq(tu_field(out, "profile_requests"), tu_field(out, "intervals"), "%s", out);
	cr_expect_eq(tu_field(out, "in_order"), 1, "in order:\n%s", out);
	cr_expect_eq(tu_field(out, "left"), 0, "nothing left:\n%s", out);
	free(out);
}

/*
 * No Collector for the first intervals and a queue of 4 requests (two intervals): the
 * oldest are dropped and counted.  When the Collector comes, the newest two intervals
 * kept and all later ones arrive, in order, and sent + dropped is every request made.
 */
Test(otlp, daemon_queue_bound_drops_oldest, .timeout = 1800)
{
	const char *fx = tu_fixture("alloc", "go126", "exe");
	char *out = tu_script(
		OTLP_START ALLOC_TARGET
		DAEMON_TRAP
		"col_start\n"
		"col_stop\n"
		DAEMON_START_WITH("$port", "--otlp-queue 4")
		"for i in $(seq 1 300); do [ $(ivs) -ge 5 ] && break; sleep 0.1; done\n"
		"echo down_ivs=$(ivs)\n"
		"col_restart\n"
		/* the sender may be in a backoff of up to 16 s: wait until it sent 3 intervals */
		"sent() { s=$(sed -n 's/^gomemtrace_otlp_requests_sent_total //p' "
		"$work/d/gomemtrace.prom 2>/dev/null); echo ${s:-0}; }\n"
		"for i in $(seq 1 900); do [ $(sent) -ge 6 ] && break; sleep 0.1; done\n"
		"kill -TERM $g; wait $g; echo daemon_rc=$?\n"
		"col_stop\n"
		"sed 's/^/# /' $work/d.err | grep -i otlp\n"
		"echo file_sent=$(sed -n 's/^gomemtrace_otlp_requests_sent_total //p' "
		"$work/d/gomemtrace.prom)\n"
		"echo file_dropped=$(sed -n 's/^gomemtrace_otlp_requests_dropped_total //p' "
		"$work/d/gomemtrace.prom)\n"
		"echo received=$(( $(grep -c . $work/col/metrics.jsonl) + "
		"$(grep -c . $work/col/profiles.jsonl) ))\n"
		DAEMON_COMPARE,
		fx);

	cr_assert_eq(tu_field(out, "collector_ready"), 1, "the Collector starts:\n%s", out);
	cr_assert_eq(tu_field(out, "daemon_rc"), 0, "the daemon exits 0:\n%s", out);
	cr_assert_geq(tu_field(out, "down_ivs"), 5, "%s", out);
	cr_expect_geq(tu_field(out, "file_dropped"), 2 * (tu_field(out, "down_ivs") - 2),
		      "the oldest dropped, counted:\n%s", out);
	cr_expect_eq(tu_field(out, "file_sent") + tu_field(out, "file_dropped"),
		     2 * tu_field(out, "intervals"), "each request sent or dropped:\n%s", out);
	cr_expect_eq(tu_field(out, "received"), tu_field(out, "file_sent"),
		     "the Collector has what was sent:\n%s", out);
	cr_expect_eq(tu_field(out, "suffix_match"), 1,
		     "what arrived is the newest intervals, in order:\n%s", out);
	cr_expect_eq(tu_field(out, "in_order"), 1, "%s", out);
	free(out);
}

/*
 * --no-local: record and the daemon send, and write no file.  record's working directory
 * stays empty; the daemon's OUTDIR holds only the (empty) queue directory.  What arrived
 * is cumulative and in order.  --no-local without an endpoint, and with record's -o, is
 * exit 2.
 */
Test(otlp, no_local_writes_nothing, .timeout = 1800)
{
	const char *fx = tu_fixture("alloc", "go126", "exe");
	char *out = tu_script(
		OTLP_START ALLOC_TARGET
		DAEMON_TRAP
		"col_start\n"
		"mkdir $work/cwd\n"
		"(cd $work/cwd && $GMT record -d 2 -p $P --service-name rec --no-local "
		"--otlp-endpoint http://127.0.0.1:$port 2>$work/err.txt)\n"
		RECORD_SAID
		"echo cwd_files=$(ls -A $work/cwd | grep -c .)\n"
		"echo record_sent=$(grep -c 'OTLP: metrics sent' $work/err.txt)\n"
		DAEMON_START_WITH("$port", "--no-local")
		"sleep 7\n"
		"kill -TERM $g; wait $g; echo daemon_rc=$?\n"
		"col_stop\n"
		"sed 's/^/# /' $work/d.err\n"
		"echo outdir=$(cd $work/d && find . -mindepth 1 | grep -v '^./.otlp-queue$' | "
		"grep -c .)\n"
		"d=$GMT_SOURCE_ROOT/tests/collector/decode.py\n"
		"/usr/bin/python3 $d metrics --service svc --name gomemtrace.alloc.bytes "
		"$work/col/metrics.jsonl > $work/a.txt\n"
		"/usr/bin/python3 $d metrics --service rec --name gomemtrace.alloc.bytes "
		"$work/col/metrics.jsonl | sed 's/^/# /'\n"
		"echo record_points=$(/usr/bin/python3 $d metrics --service rec --name "
		"gomemtrace.alloc.bytes $work/col/metrics.jsonl | grep -c .)\n"
		"echo daemon_points=$(grep -c . $work/a.txt)\n"
		"echo growing=$(cut -f6 $work/a.txt | /usr/bin/python3 -c 'import sys; "
		"v = [float(x) for x in sys.stdin]; print(int(v == sorted(v) and v[-1] > 0))')\n"
		"$GMT record --no-local -d 1 -- /bin/true 2>/dev/null; echo no_endpoint=$?\n"
		"$GMT record --no-local -o $work/x --otlp-endpoint http://127.0.0.1:1 -d 1 -- "
		"/bin/true 2>/dev/null; echo with_o=$?\n"
		"$GMT daemon --no-local -p $P 2>/dev/null; echo daemon_no_endpoint=$?\n",
		fx);

	cr_assert_eq(tu_field(out, "collector_ready"), 1, "the Collector starts:\n%s", out);
	cr_assert_eq(tu_field(out, "rc"), 0, "record succeeds:\n%s", out);
	cr_expect_eq(tu_field(out, "cwd_files"), 0, "record wrote no file:\n%s", out);
	cr_expect_eq(tu_field(out, "record_sent"), 1, "and sent:\n%s", out);
	cr_expect_eq(tu_field(out, "record_points"), 1, "%s", out);
	cr_assert_eq(tu_field(out, "daemon_rc"), 0, "the daemon exits 0:\n%s", out);
	cr_expect_eq(tu_field(out, "outdir"), 0, "OUTDIR holds only .otlp-queue:\n%s", out);
	cr_expect_geq(tu_field(out, "daemon_points"), 3, "intervals sent:\n%s", out);
	cr_expect_eq(tu_field(out, "growing"), 1, "cumulative, in order:\n%s", out);
	cr_expect_eq(tu_field(out, "no_endpoint"), 2, "--no-local needs an endpoint");
	cr_expect_eq(tu_field(out, "with_o"), 2, "--no-local and -o");
	cr_expect_eq(tu_field(out, "daemon_no_endpoint"), 2);
	free(out);
}

Test(otlp, malformed_url_is_exit_2, .timeout = 120)
{
	char *out = tu_script(
		"ok=0\n"
		"for u in 127.0.0.1:4318 ftp://h:1 'http://h:4318/?q=1' http://; do\n"
		"  $GMT record --otlp-endpoint \"$u\" -d 1 -- /bin/true 2>/tmp/otlp-url.$$; rc=$?\n"
		"  echo \"# $u: rc=$rc $(cat /tmp/otlp-url.$$)\"\n"
		"  [ $rc = 2 ] && [ $(wc -l < /tmp/otlp-url.$$) = 1 ] && "
		"grep -q 'OTLP endpoint URL' /tmp/otlp-url.$$ && ok=$((ok + 1))\n"
		"done\n"
		"rm -f /tmp/otlp-url.$$\n"
		"echo ok=$ok\n"
		"$GMT record --otlp-header A=b -d 1 -- /bin/true 2>/dev/null; echo header_alone=$?\n"
		"$GMT record --otlp-endpoint http://h:1 --otlp-header 'A b=c' -d 1 -- /bin/true "
		"2>/dev/null; echo bad_header=$?\n");

	cr_assert_eq(tu_field(out, "ok"), 4, "each URL: exit 2, one line:\n%s", out);
	cr_assert_eq(tu_field(out, "header_alone"), 2, "--otlp-header without an endpoint");
	cr_assert_eq(tu_field(out, "bad_header"), 2, "a header name with a space");
	free(out);
}
