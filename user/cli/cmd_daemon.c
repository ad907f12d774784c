// SPDX-License-Identifier: MIT
/*
 * gomemtrace daemon: its options, its preflight and its signals; the engine that traces
 * the processes and writes their intervals is daemon/engine.c.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bpfobj.h"
#include "commands.h"
#include "engine.h"
#include "grow.h"
#include "log.h"
#include "memrate.h"
#include "options.h"
#include "preflight.h"
#include "otlp_opts.h"
#include "trace_opts.h"
#include "tracer.h"

static const char daemon_usage[] =
	"Usage: gomemtrace daemon [OPTIONS] (-p PID | --exe PATH | --comm NAME)...\n"
	"\n"
	"Traces Go processes continuously, in sampled mode (Go's own heap sampler, cheap\n"
	"enough to leave on), and writes a profile set per process every interval:\n"
	"  OUTDIR/<comm>-<pid>/<timestamp>/   named after the interval's END, in UTC (e.g.\n"
	"                         20260131T142500.123Z); the interval began at the previous\n"
	"                         folder's time, or when tracing the process began\n"
	"    alloc.pb.gz          allocations of the interval (pprof), with the live heap\n"
	"                         as inuse_* sample types\n"
	"    inuse.pb.gz          the live heap at the interval's end (cumulative: the\n"
	"                         objects allocated since the daemon attached)\n"
	"    alloc_bytes.folded, alloc_count.folded, inuse_bytes.folded   flame graphs\n"
	"    report.txt, summary.json   totals, drops, table bounds, GC of the interval\n"
	"    gc.txt, gc.json      GC cycles and stop-the-world pauses of the interval\n"
	"    goroutines.folded    --goroutines: live goroutines by creation stack\n"
	"    heap.pb.gz           the runtime's own heap profile, read with no probe\n"
	"                         (cumulative since the process started; when it has\n"
	"                         buckets), as `gomemtrace snapshot` writes it\n"
	"    goroutines.txt, goroutines.pb.gz   every goroutine, read with no probe\n"
	"                         (see `snapshot`); report.txt and summary.json flag the\n"
	"                         groups that look leaked (count and oldest wait growing\n"
	"                         over the last 4 reads)\n"
	"  OUTDIR/gomemtrace.prom   metrics in Prometheus' text format, for node_exporter's\n"
	"                         textfile collector (mode 0644)\n"
	"Each file is written through a temporary file and a rename, and each interval in a\n"
	"hidden .partial directory renamed when complete: a crash never leaves half a profile.\n"
	"\n"
	"Targets (any number, combined):\n"
	"  -p, --pid PID          this process (the daemon exits once no -p target is left\n"
	"                         and there is no --exe/--comm)\n"
	"      --exe PATH         every process running this executable, also ones started\n"
	"                         later (found within a second; a replaced file is followed)\n"
	"      --comm NAME        every process with this name (/proc/PID/comm, 15 chars)\n"
	"A -p target that cannot be traced is said in one line and skipped, and the others\n"
	"are served; only when there is nothing at all to trace (no -p target can be traced\n"
	"and there is no --exe/--comm) does the daemon exit 1.\n"
	"\n"
	"Output:\n"
	"  -o, --output-dir DIR   where the profile sets go (default ./gomemtrace-daemon)\n"
	"  -i, --interval DUR     time per profile set (default 60s, 1s to 168h)\n"
	"      --keep N           keep the newest N intervals per process (default: all)\n"
	"      --max-disk BYTES   keep OUTDIR's intervals under BYTES in all, oldest removed\n"
	"                         first; the newest interval always stays (K/M/G suffixes)\n"
	"      --metrics FILE     the metrics file (default OUTDIR/gomemtrace.prom);\n"
	"                         'none' to write none\n"
	"\n"
	"Thresholds (each writes a marked profile set, <timestamp>-alert-<what>, and logs):\n"
	"      --alert-heap BYTES   the heap above BYTES: the runtime's own HeapAlloc (as\n"
	"                           runtime.ReadMemStats gives it), read from outside once\n"
	"                           a second; when it cannot be read (said once), the\n"
	"                           sampled estimate of what was allocated since attach\n"
	"      --alert-rss-pct N    the RSS (VmRSS) above N % (0-100] of the memory limit\n"
	"                           of the target's cgroup (cgroup v2 memory.max, else the\n"
	"                           v1 memory controller's memory.limit_in_bytes), read once\n"
	"                           a second; without a limit it cannot fire (said once)\n"
	"      --alert-for DUR      ... for DUR in a row (default 0: at once); each fires\n"
	"                           once, re-armed when the figure falls below\n"
	"      --alert-pause DUR    a stop-the-world pause longer than DUR (e.g. 5ms,\n"
	"                           200us); once per interval at most\n"
	"A marked set ends the interval early: the next one starts at the alert.\n"
	"Durations (DUR) are written as Go writes them: 300ms, 30s, 1m30s, 1.5h, 2h45m\n"
	"(units ns, us, ms, s, m, h); a bare number is seconds.\n"
	"\n"
	"Tracing:\n"
	"      --rate BYTES       the MemProfileRate to set in targets whose rate is 0\n"
	"                         (default 524288)\n"
	"      --no-write-target  never write into a target (those with rate 0 are skipped)\n"
	"      --max-stacks N     (stack, size) rows kept per process, 1024-4194304 (default\n"
	"                         65536); stacks with nothing live that did not allocate in\n"
	"                         an interval are evicted at its end; samples beyond are\n"
	"                         dropped and counted (summary.json: samples_dropped)\n"
	"      --max-depth N      stack frames to walk, 1-127 (default 127)\n"
	"      --ringbuf-mb N     ring buffer per process in MiB, a power of two (default 8)\n"
	"      --no-gc            do not trace GC cycles and pauses\n"
	"      --runtime-frames   keep the allocator's own leading frames in the profiles\n"
	"                         and folded stacks (left out by default, as runtime/pprof\n"
	"                         does)\n"
	"      --folded-max-mb N  bound each .folded file to N MiB (default 16, 0: none);\n"
	"                         the lightest stacks merge into '[other stacks];LEAF' lines\n"
	"      --umask MASK       octal mask for the outputs' modes (default 077: files\n"
	"                         0600, directories 0700)\n"
	"      --btf FILE         kernel BTF to relocate the BPF programs against (default\n"
	"                         $GMT_BTF_PATH, else /sys/kernel/btf/vmlinux)\n"
	"      --no-snapshot      no snapshot per interval (heap.pb.gz, goroutines.txt,\n"
	"                         goroutines.pb.gz) and no probe-less leak flags\n"
	"      --goroutines       also track goroutines: every interval's goroutines.folded\n"
	"                         (live ones by creation stack), the sites and their growth\n"
	"                         since the daemon attached (report.txt, summary.json), and\n"
	"                         a live-goroutine track in gc.json\n"
	"      --otlp-endpoint URL  also send every interval's metrics and profiles to an\n"
	"                         OpenTelemetry Collector's OTLP/HTTP receiver (as record\n"
	"                         does; a Collector that is away is not an error).  What it\n"
	"                         has not taken waits, in order, in OUTDIR/.otlp-queue (a\n"
	"                         restart sends it first); tries again after 1 s doubling\n"
	"                         to 60 s, or its Retry-After\n"
	"      --otlp-queue N     at most N requests wait (default 256, two per interval\n"
	"                         and target); beyond, the oldest are dropped and counted\n"
	"      --otlp-header K=V, --otlp-timeout DUR, --otlp-ca FILE, --service-name NAME\n"
	"                         as for record (OTEL_EXPORTER_OTLP_HEADERS too)\n"
	"      --no-local         with --otlp-endpoint: send only; no interval or alert set\n"
	"                         and no metrics file (unless --metrics names one);\n"
	"                         OUTDIR keeps only the requests not yet sent\n"
	"  -v, --verbose          debug output\n"
	"  -q, --quiet            only errors\n"
	"  -h, --help             show this help\n"
	"\n"
	"Signals: SIGHUP writes the current interval of every process now; SIGTERM and\n"
	"SIGINT write the last interval, restore every target's MemProfileRate, detach and\n"
	"exit 0.  A target that exits gets its last interval written and is dropped; a PID\n"
	"reused by another program, or a target that exec'd another binary, is recognized\n"
	"(start time and executable) and treated as a new process.  A target that cannot\n"
	"be traced, at attach or later, is let go of (probes off, rate restored) and\n"
	"logged; the daemon goes on with the others.\n"
	"\n"
	"Never harms the targets: nothing is written into them except runtime.MemProfileRate,\n"
	"and only when it is 0 (binaries that do not link the heap profiler): announced,\n"
	"and restored when the daemon lets go of the process, on every exit path but\n"
	"SIGKILL.  Logs go to stderr with timestamps and levels.\n"
	"\n"
	"Needs a kernel with BTF, root or CAP_SYS_ADMIN, CAP_SYS_PTRACE and CAP_DAC_OVERRIDE\n"
	"(what each is for: 'gomemtrace record --help'), and a writable /run/gomemtrace\n"
	"($GMT_STATE_DIR) for the MemProfileRate state files, checked at start unless\n"
	"--no-write-target.  scripts/gomemtrace.service runs it under systemd.\n";

static volatile sig_atomic_t stop_signal, hup;

static void on_stop(int sig)
{
	stop_signal = sig;
}

static void on_hup(int sig)
{
	(void)sig;
	hup = 1;
}

/* "512M", "2G", "1000" -> bytes. */
static int parse_bytes(const char *s, uint64_t *out)
{
	char *end;
	double v;
	double mul = 1;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !(v >= 1))
		return -EINVAL;
	if (*end == 'K' || *end == 'k')
		mul = 1024.0, end++;
	else if (*end == 'M')
		mul = 1024.0 * 1024, end++;
	else if (*end == 'G')
		mul = 1024.0 * 1024 * 1024, end++;
	else if (*end == 'T')
		mul = 1024.0 * 1024 * 1024 * 1024, end++;
	if (*end == 'i' && mul > 1)
		end++;
	if (*end == 'B')
		end++;
	if (*end || v * mul > 1e18)
		return -EINVAL;
	*out = (uint64_t)(v * mul);
	return 0;
}

static int parse_args(int argc, char **argv, struct gmt_daemon_opts *o)
{
	enum { OPT_EXE = 256, OPT_COMM, OPT_KEEP, OPT_DISK, OPT_METRICS, OPT_AHEAP, OPT_AFOR,
	       OPT_APAUSE, OPT_ARSS, OPT_STACKS, OPT_NOSNAP, OPT_OTLP_QUEUE };
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "exe", required_argument, NULL, OPT_EXE },
		{ "comm", required_argument, NULL, OPT_COMM },
		{ "output-dir", required_argument, NULL, 'o' },
		{ "interval", required_argument, NULL, 'i' },
		{ "keep", required_argument, NULL, OPT_KEEP },
		{ "max-disk", required_argument, NULL, OPT_DISK },
		{ "metrics", required_argument, NULL, OPT_METRICS },
		{ "alert-heap", required_argument, NULL, OPT_AHEAP },
		{ "alert-rss-pct", required_argument, NULL, OPT_ARSS },
		{ "alert-for", required_argument, NULL, OPT_AFOR },
		{ "alert-pause", required_argument, NULL, OPT_APAUSE },
		{ "max-stacks", required_argument, NULL, OPT_STACKS },
		{ "no-snapshot", no_argument, NULL, OPT_NOSNAP },
		{ "otlp-queue", required_argument, NULL, OPT_OTLP_QUEUE },
		GMT_OTLP_LONG_OPTS,
		GMT_TRACE_LONG_OPTS,
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	size_t cp = 0, ce = 0, cc = 0;
	uint64_t v;
	int c, pid;

	/* Sampled mode, intervals; the exact-mode table unused, at its minimum. */
	*o = (struct gmt_daemon_opts){ .outdir = "gomemtrace-daemon", .interval_s = 60,
				       .so = { .sampled = true, .intervals = true,
					       .rate = GMT_MEMRATE_DEFAULT, .max_depth = GMT_MAX_STACK,
					       .ringbuf_mb = 8, .agg_entries = 1024,
					       .max_rows = 1 << 16, .snapshots = true,
					       .folded_max_mb = GMT_FOLDED_MAX_MB },
				       /* one try per send: the queue's thread waits between them */
				       .otlp = { .timeout_s = 10, .max_tries = 1, .backoff_s = 1,
						 .max_wait_s = 600 },
				       .otlp_queue = 256 };
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:o:i:vqh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (gmt_parse_pid(optarg, &pid)) {
				pr_err("invalid PID '%s'\n", optarg);
				return 2;
			}
			if (GMT_GROW(&o->pids, &cp, o->npids + 1))
				return 1;
			o->pids[o->npids++] = pid;
			break;
		case OPT_EXE:
			if (GMT_GROW(&o->exes, &ce, o->nexes + 1))
				return 1;
			o->exes[o->nexes++] = optarg;
			break;
		case OPT_COMM:
			if (!*optarg || strlen(optarg) > 15) {
				pr_err("--comm takes a process name of 1 to 15 characters\n");
				return 2;
			}
			if (GMT_GROW(&o->comms, &cc, o->ncomms + 1))
				return 1;
			o->comms[o->ncomms++] = optarg;
			break;
		case 'o':
			o->outdir = optarg;
			break;
		case 'i':
			if (gmt_parse_duration(optarg, GMT_NS_PER_S, 7 * 86400 * GMT_NS_PER_S,
					       &v)) {
				pr_err("invalid interval '%s' (1s to 168h, e.g. 60, 30s, 5m, "
				       "1h30m)\n", optarg);
				return 2;
			}
			o->interval_s = v / 1e9;
			break;
		case OPT_KEEP:
			if (gmt_parse_u64(optarg, 1, 1 << 30, &o->keep)) {
				pr_err("--keep takes a number of intervals, at least 1\n");
				return 2;
			}
			break;
		case OPT_DISK:
			if (parse_bytes(optarg, &o->max_disk)) {
				pr_err("invalid --max-disk '%s' (bytes, K/M/G/T suffixes)\n", optarg);
				return 2;
			}
			break;
		case OPT_METRICS:
			o->metrics = optarg;
			break;
		case OPT_AHEAP:
			if (parse_bytes(optarg, &o->alert_heap)) {
				pr_err("invalid --alert-heap '%s' (bytes, K/M/G/T suffixes)\n",
				       optarg);
				return 2;
			}
			break;
		case OPT_ARSS: {
			char *end;

			errno = 0;
			o->alert_rss_pct = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o->alert_rss_pct > 0) ||
			    o->alert_rss_pct > 100) {
				pr_err("invalid --alert-rss-pct '%s' (a percentage of the cgroup's "
				       "memory limit, above 0 and at most 100)\n", optarg);
				return 2;
			}
			break;
		}
		case OPT_AFOR:
			if (gmt_parse_duration(optarg, 0, 10000000 * GMT_NS_PER_S, &v)) {
				pr_err("invalid --alert-for '%s' (e.g. 300, 5m, 1h; up to "
				       "10000000s)\n", optarg);
				return 2;
			}
			o->alert_for_s = v / 1e9;
			break;
		case OPT_APAUSE:
			if (gmt_parse_duration(optarg, 1, 1000000 * GMT_NS_PER_S,
					       &o->alert_pause_ns)) {
				pr_err("invalid --alert-pause '%s' (e.g. 5ms, 200us, 1s)\n", optarg);
				return 2;
			}
			break;
		case OPT_STACKS:
			if (gmt_parse_u64(optarg, 1024, 1 << 22, &v)) {
				pr_err("--max-stacks takes 1024 to 4194304\n");
				return 2;
			}
			o->so.max_rows = v;
			break;
		case OPT_NOSNAP:
			o->so.snapshots = false;
			break;
		case OPT_OTLP_QUEUE:
			if (gmt_parse_u64(optarg, 2, 1 << 20, &v)) {
				pr_err("--otlp-queue takes 2 to 1048576 requests\n");
				return 2;
			}
			o->otlp_queue = v;
			break;
		case 'h':
			fputs(daemon_usage, stdout);
			return 0;
		default: {
			int r = gmt_otlp_parse_opt(c, optarg, &o->otlp, &o->service_name,
						   &o->no_local);

			if (r == 2 || (r == 1 && gmt_trace_parse_opt(c, optarg, &o->so, daemon_usage)))
				return 2;
			break;
		}
		}
	}
	if (optind < argc) {
		pr_err("unexpected argument '%s' (try 'gomemtrace daemon --help')\n", argv[optind]);
		return 2;
	}
	if (!o->npids && !o->nexes && !o->ncomms) {
		pr_err("daemon needs targets: -p PID, --exe PATH or --comm NAME (try 'gomemtrace "
		       "daemon --help')\n");
		return 2;
	}
	if (gmt_otlp_check_opts(&o->otlp, o->service_name, o->no_local))
		return 2;
	if (o->alert_for_s > 0 && !o->alert_heap && !o->alert_rss_pct) {
		pr_err("--alert-for needs --alert-heap or --alert-rss-pct\n");
		return 2;
	}
	for (size_t i = 0; i < o->nexes; i++) {
		struct stat st;

		if (stat(o->exes[i], &st) < 0 || !S_ISREG(st.st_mode)) {
			pr_err("--exe %s: %s\n", o->exes[i],
			       errno ? strerror(errno) : "not a regular file");
			return 2;
		}
	}
	return -1;
}

int cmd_daemon(int argc, char **argv)
{
	/* SA_RESTART: a signal in the middle of writing a profile must not fail the write. */
	struct sigaction sa_stop = { .sa_handler = on_stop, .sa_flags = SA_RESTART };
	struct sigaction sa_hup = { .sa_handler = on_hup, .sa_flags = SA_RESTART };
	struct gmt_daemon_opts o;
	struct gmt_daemon *dm = NULL;
	struct gmt_diag d = {};
	int ret = 1, err;

	err = parse_args(argc, argv, &o);
	if (err >= 0)
		goto out_opts;
	gmt_log_set_timestamps(1);
	gmt_bpfobj_set_log();
	/*
	 * Weeks of intervals allocate and free the same large tables (aggregators, hash
	 * tables rebuilt by the eviction) again and again.  glibc raises its mmap threshold
	 * each time a large mapped block is freed, after which those tables come from the
	 * heap and fragment it: the RSS creeps up.  A fixed threshold keeps them mapped and
	 * returned when freed.
	 */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	sigaction(SIGINT, &sa_stop, NULL);
	sigaction(SIGTERM, &sa_stop, NULL);
	sigaction(SIGHUP, &sa_hup, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* What the kernel and our privileges must allow, said before anything is started. */
	err = gmt_trace_preflight(&o.so, &d);
	/* Without it, every target whose rate is 0 would be skipped, one log line each. */
	if (!err && !o.so.no_write_target)
		err = gmt_preflight_state_dir(&d);
	if (!err)
		err = gmt_daemon__open(&o, &dm, &d);
	if (err) {
		pr_err("%s\n", gmt_diag_msg(&d, err));
		goto out;
	}
	while (!stop_signal && !gmt_daemon__step(dm, &hup, "SIGHUP"))
		;
	gmt_daemon__finish(dm, stop_signal ? strsignal(stop_signal) : NULL);
	ret = 0;
out:
	gmt_daemon__free(dm);
	err = ret;
out_opts:
	free(o.pids);
	free(o.exes);
	free(o.comms);
	return err;
}
