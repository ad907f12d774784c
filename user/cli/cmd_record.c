// SPDX-License-Identifier: MIT
/* gomemtrace record: trace a Go process and write the profiles. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analysis.h"
#include "buildid.h"
#include "gobin.h"
#include "bpfobj.h"
#include "commands.h"
#include "leakflag.h"
#include "log.h"
#include "memsnap.h"
#include "memusage.h"
#include "memrate.h"
#include "options.h"
#include "otlp_opts.h"
#include "otlp_profiles.h"
#include "otlp_export.h"
#include "recorder.h"
#include "profile_set.h"
#include "session.h"
#include "trace_opts.h"
#include "target.h"
#include "tracer.h"

static const char record_usage[] =
	"Usage: gomemtrace record [OPTIONS] (-p PID | -- COMMAND [ARGS...])\n"
	"\n"
	"Traces the heap allocations of a running Go process (-p) or of a command it starts\n"
	"(traced from its first allocation; gomemtrace then exits with the command's exit\n"
	"status).  Tracing ends on Ctrl-C, SIGTERM, when the -d duration expires or when the\n"
	"target exits; then the outputs are written:\n"
	"  alloc.pb.gz                             pprof profile (go tool pprof)\n"
	"  alloc_bytes.folded, alloc_count.folded  folded stacks for flame graphs\n"
	"  heap.pb.gz, inuse_space.folded          the runtime's heap profile read at the\n"
	"                                          end (as of its last GC; since the start,\n"
	"                                          or since gomemtrace raised the rate):\n"
	"                                          sampled mode's live heap; in exact mode\n"
	"                                          when the target's MemProfileRate is not 0\n"
	"  goroutines.txt, goroutines.pb.gz        every goroutine at the end, as snapshot\n"
	"                                          writes them (no probe; not when the\n"
	"                                          target exited)\n"
	"  inuse_bytes.folded                      probe-based live heap per stack (sampled\n"
	"                                          mode; objects sampled while tracing)\n"
	"  report.txt                              top stacks, sizes, types, allocation\n"
	"                                          rate over time, GC, drops; '~' marks\n"
	"                                          sampled mode's estimates\n"
	"  summary.json                            the totals, machine-readable\n"
	"  gc.txt                                  one gctrace-like line per GC cycle, pauses\n"
	"  gc.json                                 GC/STW timeline (Perfetto, chrome://tracing)\n"
	"  goroutines.folded                       --goroutines: live goroutines by creation\n"
	"                                          stack at the end\n"
	"  memory_start.json, memory_end.json      the process's memory figures when\n"
	"                                          tracing began and ended (as snapshot's\n"
	"                                          memory.json; no start file for a command\n"
	"                                          gomemtrace starts, no end file when the\n"
	"                                          target exited)\n"	"\n"
	"Options:\n"
	"  -p, --pid PID          trace this running process\n"
	"  -d, --duration DUR     stop after DUR: 30s, 1m30s, 1.5h, 300ms (Go's units ns,\n"
	"                         us, ms, s, m, h; a bare number is seconds; default: until\n"
	"                         Ctrl-C or the target's exit)\n"
	"  -o, --output DIR       output directory (default gomemtrace-COMM-PID-TIMESTAMP)\n"
	"      --mode MODE        sampled (default): probe Go's own heap sampler (a few\n"
	"                         thousand hits a second), estimates like pprof, plus the\n"
	"                         live heap; exact: probe every allocation (one trap each,\n"
	"                         ~1-2 us), exact counts and types\n"
	"      --rate BYTES       sampled: the MemProfileRate to set when the target's is 0\n"
	"                         (default 524288)\n"
	"      --no-write-target  sampled: never write into the target; with its rate 0\n"
	"                         there is then nothing to trace\n"
	"      --max-depth N      stack frames to walk, 1-127 (default 127)\n"
	"      --ringbuf-mb N     ring buffer size in MiB, a power of two (default 16)\n"
	"      --agg-entries N    in-kernel (stack, type, size) table rows (default 131072)\n"
	"      --no-gc            do not trace GC cycles and stop-the-world pauses\n"
	"      --runtime-frames   keep the allocator's own leading frames (runtime.newobject,\n"
	"                         makeslice, growslice...) in alloc.pb.gz and the folded\n"
	"                         stacks; by default they are left out as runtime/pprof\n"
	"                         does, so that the leaf is the function that allocated\n"
	"      --folded-max-mb N  bound each .folded file to N MiB (default 16, 0: none):\n"
	"                         the heaviest stacks stay as they are, the others become\n"
	"                         one '[other stacks];LEAF' line per leaf function (and,\n"
	"                         past the bound, one '[other stacks]' line); the values\n"
	"                         still add up to the totals\n"
	"      --umask MASK       octal mask for the outputs' modes (default 077: files\n"
	"                         0600, directories 0700)\n"
	"      --btf FILE         kernel BTF to relocate the BPF programs against (default\n"
	"                         $GMT_BTF_PATH, else /sys/kernel/btf/vmlinux)\n"
	"      --goroutines       also track goroutines: live ones by go statement and the\n"
	"                         function it runs at the end, sites whose live count only\n"
	"                         grows (probable leaks) in report.txt, a live-goroutine\n"
	"                         track in gc.json; three emulated probe hits per\n"
	"                         goroutine (~4 us of CPU).  And, with no probe, every\n"
	"                         goroutine is read at the start, every 10 s (a quarter\n"
	"                         of -d when shorter) and at the end: groups (creation\n"
	"                         site, wait site, wait reason) that keep growing over 4\n"
	"                         reads are flagged in report.txt and summary.json\n"
	"                         (README: Goroutine leaks without probes)\n"
	"      --otlp-endpoint URL  at the end, also send the recording's metrics and then\n"
	"                         its profiles (alloc.pb.gz's) to an OpenTelemetry\n"
	"                         Collector's OTLP/HTTP receiver (URL + /v1/metrics and\n"
	"                         /v1development/profiles, protobuf, gzip; http:// or\n"
	"                         https:// with the system CAs); up to 3 tries, honouring\n"
	"                         Retry-After; a Collector that cannot be reached is a\n"
	"                         warning, not a failure of the recording\n"
	"      --otlp-header K=V  an HTTP header for every OTLP request (repeatable, e.g.\n"
	"                         Authorization=\"Bearer TOKEN\"); never logged.  Secrets\n"
	"                         are better in OTEL_EXPORTER_OTLP_HEADERS (k1=v1,k2=v2,\n"
	"                         percent-encoded), out of the command line others see\n"
	"      --otlp-timeout DUR  each OTLP try's timeout (default 10s)\n"
	"      --otlp-ca FILE     verify an https:// Collector against these CAs (PEM)\n"
	"                         instead of the system's\n"
	"      --service-name NAME  OTLP service.name (default: the executable's name)\n"
	"      --no-local         with --otlp-endpoint: send only, write no file (no -o)\n"
	"  -v, --verbose          debug output (libbpf's too)\n"
	"  -q, --quiet            only errors\n"
	"  -h, --help             show this help\n"
	"\n"
	"Needs a kernel with BTF, and root or these capabilities (README: Requirements):\n"
	"  CAP_SYS_ADMIN      to attach uprobes: Linux 6.16 and later (and the stable\n"
	"                     kernels with the CVE-2025-38466 fix) accept nothing less,\n"
	"                     whatever perf_event_paranoid says; it also stands for\n"
	"                     CAP_BPF and CAP_PERFMON, which load the BPF programs\n"
	"  CAP_SYS_PTRACE     a process of another user (its /proc/PID/exe and maps)\n"
	"  CAP_DAC_OVERRIDE   ... and its memory: sampled mode reads its MemProfileRate\n"
	"                     and, when 0, writes it (reading alone: CAP_DAC_READ_SEARCH);\n"
	"                     also to create /run/gomemtrace as another user than root\n"
	"Nothing is written into the target process in exact mode.  Sampled mode writes\n"
	"runtime.MemProfileRate only when it is 0 (binaries that do not link the heap\n"
	"profiler), says so, and restores it when tracing ends; what it wrote is kept in\n"
	"/run/gomemtrace ($GMT_STATE_DIR) until then, for 'gomemtrace restore' if\n"
	"gomemtrace is killed.\n";

enum record_mode { MODE_EXACT, MODE_SAMPLED };

struct record_opts {
	int pid;
	enum record_mode mode;
	double duration_s; /* 0: unlimited */
	const char *outdir;
	struct gmt_session_opts so; /* the tracing options (sampled from mode) */
	char **cmd;
	struct gmt_otlp_opts otlp;  /* url NULL: no OTLP export */
	const char *service_name;
	bool no_local;		    /* --no-local: the export only, no file */
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static int parse_args(int argc, char **argv, struct record_opts *o)
{
	enum { OPT_MODE = 256, OPT_AGG };
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "duration", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "agg-entries", required_argument, NULL, OPT_AGG },
		GMT_OTLP_LONG_OPTS,
		GMT_TRACE_LONG_OPTS,
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	uint64_t v;
	int c, r;

	*o = (struct record_opts){ .mode = MODE_SAMPLED,
				   .so = { .rate = GMT_MEMRATE_DEFAULT, .max_depth = GMT_MAX_STACK,
					   .ringbuf_mb = 16, .agg_entries = 1 << 17,
					   .folded_max_mb = GMT_FOLDED_MAX_MB },
				   /* record sends once, at its end: a few tries, bounded waits. */
				   .otlp = { .timeout_s = 10, .max_tries = 3, .backoff_s = 1,
					     .max_wait_s = 30 } };
	optind = 1;
	/* '+': stop at the first non-option, so the command's own options stay its own. */
	while ((c = getopt_long(argc, argv, "+p:d:o:vqh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (gmt_parse_pid(optarg, &o->pid)) {
				pr_err("invalid PID '%s'\n", optarg);
				return 2;
			}
			break;
		case 'd':
			if (gmt_parse_duration(optarg, 1, 1000000000 * GMT_NS_PER_S, &v)) {
				pr_err("invalid duration '%s' (e.g. 30s, 1m30s, 1.5h, 300ms; a "
				       "bare number is seconds)\n", optarg);
				return 2;
			}
			o->duration_s = v / 1e9;
			break;
		case 'o':
			o->outdir = optarg;
			break;
		case OPT_MODE:
			if (strcmp(optarg, "exact") == 0) {
				o->mode = MODE_EXACT;
			} else if (strcmp(optarg, "sampled") == 0) {
				o->mode = MODE_SAMPLED;
			} else {
				pr_err("unknown mode '%s' (available: exact, sampled)\n", optarg);
				return 2;
			}
			break;
		case OPT_AGG:
			if (gmt_parse_u64(optarg, 1024, 1 << 24, &v)) {
				pr_err("--agg-entries takes 1024 to 16777216\n");
				return 2;
			}
			o->so.agg_entries = v;
			break;
		case 'h':
			fputs(record_usage, stdout);
			return 0;
		default:
			r = gmt_otlp_parse_opt(c, optarg, &o->otlp, &o->service_name,
					       &o->no_local);
			if (r == 1 && gmt_trace_parse_opt(c, optarg, &o->so, record_usage))
				return 2;
			if (r == 2)
				return 2;
			break;
		}
	}
	if (optind < argc)
		o->cmd = &argv[optind];
	if (gmt_otlp_check_opts(&o->otlp, o->service_name, o->no_local))
		return 2;
	if (o->no_local && o->outdir) {
		pr_err("--no-local writes no file: not with -o\n");
		return 2;
	}
	if ((o->pid > 0) == (o->cmd != NULL)) {
		pr_err("record needs -p PID or -- COMMAND (try 'gomemtrace record --help')\n");
		return 2;
	}
	return -1;
}

static void default_outdir(char *buf, size_t len, const struct gmt_target *t)
{
	time_t now = time(NULL);
	struct tm tm;
	char ts[32];

	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y%m%d-%H%M%S", &tm);
	snprintf(buf, len, "gomemtrace-%s-%d-%s", t->comm, (int)t->pid, ts);
	for (char *p = buf; *p; p++)
		if (*p == '/' || *p == ' ')
			*p = '_';
}

/*
 * memory.json of the target at the start or end of the recording (trace/memsnap.h), into
 * dir (NULL: --no-local, read only).  The recording goes on without it: a warning says
 * why.  What was read is returned (to free) for the OTLP export, NULL when nothing was.
 */
static struct gmt_memsnap *write_memory(const struct gmt_target *t,
					const struct gmt_analysis *an, const char *dir,
					const char *name)
{
	struct gmt_memsnap *s = malloc(sizeof(*s));
	struct gmt_diag d = {};

	if (!s)
		gmt_diag_set(&d, -ENOMEM, "out of memory");
	if (!s || gmt_memsnap_read(t->pid, an, s, &d) ||
	    (dir && gmt_memsnap_write(s, dir, name, NULL, &d))) {
		pr_warn("no %s: %s\n", name, d.msg);
		free(s);
		return NULL;
	}
	return s;
}

/*
 * record --goroutines: every goroutine is read (no probe) at the start, every
 * GOR_READ_PERIOD_S or a quarter of -d when that is shorter, and at the end, for the
 * probe-less leak flags (agg/leakflag.h: a flag needs GMT_LEAK_READS = 4 reads, so that
 * a -d run has 5).  A read that would come less than half a period before -d's end is
 * left to the end's.
 */
#define GOR_READ_PERIOD_S 10.0
#define GOR_READ_MIN_PERIOD_S 0.25

struct gor_reads {
	double period_s, next_s;
	unsigned reads, failed;
	char why[256]; /* the last failure's line */
};

static double gor_read_period(double duration_s)
{
	double p = GOR_READ_PERIOD_S;

	if (duration_s > 0 && duration_s / GMT_LEAK_READS < p)
		p = duration_s / GMT_LEAK_READS;
	return p < GOR_READ_MIN_PERIOD_S ? GOR_READ_MIN_PERIOD_S : p;
}

static void read_goroutines(struct gmt_session *sess, struct gor_reads *g,
			    const struct record_opts *o, double elapsed_s)
{
	struct gmt_diag d = {};
	int err;

	if (elapsed_s < g->next_s)
		return;
	while (g->next_s <= elapsed_s)
		g->next_s += g->period_s;
	if (o->duration_s > 0 && o->duration_s - elapsed_s < g->period_s / 2)
		return;
	err = gmt_session__read_goroutines(sess, &d);
	if (!err) {
		g->reads++;
		return;
	}
	if (err == -ESRCH)
		return; /* the target went: the recording ends with it */
	g->failed++;
	snprintf(g->why, sizeof(g->why), "%s", gmt_diag_msg(&d, err));
	pr_debug("goroutine read: %s\n", g->why);
}

static uint64_t wall_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* What record sends to a Collector: who the target is, and its profiles, encoded. */
static void warn_failed(const struct gmt_otlp_result *r, struct gmt_diag *d, int err)
{
	pr_warn("OTLP export failed after %d tr%s; the files are written: %s\n", r->tries,
		r->tries == 1 ? "y" : "ies", gmt_diag_msg(d, err));
}

/*
 * --otlp-endpoint: the recording's metrics, then its profiles, once, to the Collector.
 * A Collector that cannot be reached or refuses them is a warning: the recording's
 * files are written.  When the metrics did not go, the profiles are not tried: the same
 * Collector would fail them the same way, after as many waits.  A second Ctrl-C ends
 * the waits between tries.
 */
static void export_otlp(struct record_opts *o, struct gmt_otlp_source *x,
			const struct gmt_session *sess, const struct gmt_memsnap *end)
{
	struct gmt_otlp_recording rec;
	struct gmt_otlp_result r;
	struct gmt_diag d = {};
	int err;

	if (gmt_session__recording(sess, &rec))
		return;
	stop_signal = 0;
	o->otlp.stop = &stop_signal;
	err = gmt_otlp_export_recording(&o->otlp, &x->ot, &rec, end ? &end->r : NULL,
					end ? end->r.time_unix_ns : wall_now_ns(), &r, &d);
	if (err) {
		warn_failed(&r, &d, err);
		return;
	}
	pr_info("OTLP: metrics sent to %s (HTTP %ld)\n", o->otlp.url, r.status);
	if (!x->profiles || x->profiles_err) {
		pr_warn("OTLP profiles not sent: encoding them failed: %s\n",
			strerror(x->profiles ? -x->profiles_err : EINVAL));
		return;
	}
	err = gmt_otlp_post(&o->otlp, GMT_OTLP_PROFILES_PATH, x->profiles, &r, &d);
	if (err)
		warn_failed(&r, &d, err);
	else
		pr_info("OTLP: profiles sent to %s (HTTP %ld)\n", o->otlp.url, r.status);
}

int cmd_record(int argc, char **argv)
{
	struct gmt_session *sess = NULL;
	struct gmt_analysis *an = NULL;
	struct gmt_target t = { .pidfd = -1 };
	struct gmt_memsnap *mem_end = NULL;
	struct gmt_otlp_source *ox = NULL;
	struct record_opts o;
	struct gmt_diag d = {};
	struct sigaction sa = { .sa_handler = on_signal };
	struct timespec t0, t1;
	struct gor_reads gor = {};
	double elapsed = 0; /* seconds since tracing started */
	char outdir[4096];
	const char *dir = NULL; /* outdir, NULL with --no-local */
	int ret = 1, err;

	err = parse_args(argc, argv, &o);
	if (err >= 0)
		return err;
	gmt_bpfobj_set_log();
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	/* What the kernel and our privileges must allow, said before anything is started. */
	err = gmt_trace_preflight(&o.so, &d);
	if (err)
		goto fail;
	err = o.cmd ? gmt_target__launch(o.cmd, &t, &d) : gmt_target__attach(o.pid, &t, &d);
	if (err)
		goto fail;
	/* A recording whose outputs could not be written is refused before it starts. */
	if (o.outdir)
		snprintf(outdir, sizeof(outdir), "%s", o.outdir);
	else
		default_outdir(outdir, sizeof(outdir), &t);
	dir = o.no_local ? NULL : outdir;
	err = dir ? gmt_outdir_prepare(dir, &d) : 0;
	if (err)
		goto fail;
	o.so.sampled = o.mode == MODE_SAMPLED;
	/* One analysis for the session and the memory figures. */
	err = gmt_analysis__open(t.exe, &an, &d);
	if (err) {
		gmt_target__name_exe(&t, &d); /* as the session would say it */
		goto fail;
	}
	o.so.an = an;
	err = gmt_session__open(&o.so, &t, &sess, &d);
	if (!err)
		err = gmt_session__start(sess, &d);
	if (err)
		goto fail;
	/* A command we launched has no runtime yet: its figures would all read 0. */
	if (!t.launched && dir)
		free(write_memory(&t, an, dir, "memory_start.json"));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	gor.period_s = gor_read_period(o.duration_s);
	while (!stop_signal) {
		if (o.so.goroutines)
			read_goroutines(sess, &gor, &o, elapsed);
		err = gmt_session__poll(sess, 100);
		if (err < 0) {
			gmt_diag_set(&d, err, "ring buffer: %s", strerror(-err));
			goto fail;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		elapsed = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (o.duration_s > 0 && elapsed >= o.duration_s)
			break;
		if (gmt_target__poll_exit(&t) || gmt_target__execd(&t))
			break;
	}
	gmt_session__end(sess);
	if (!t.exited && !t.execd && !gmt_target__poll_exit(&t)) {
		struct gmt_diag sd = {};

		mem_end = write_memory(&t, an, dir, "memory_end.json");
		/* snapshot's files; with --goroutines the last read of the leak flags
		 * (--no-local: that read alone, for the goroutine count sent) */
		err = dir ? gmt_session__write_snapshot(sess, dir, &sd)
			  : gmt_session__read_goroutines(sess, &sd);
		if (err)
			pr_warn("%s: %s\n", dir ? "no goroutines.txt" : "goroutines not read",
				gmt_diag_msg(&sd, err));
		else if (o.so.goroutines)
			gor.reads++;
	}
	if (gor.failed)
		pr_warn("%u of %u goroutine reads failed (the leak flags use the others): %s\n",
			gor.failed, gor.failed + gor.reads, gor.why);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!t.exited && !t.execd)
		pr_info("tracing ended after %.1f s; removing the probes\n",
			(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	gmt_session__stop(sess);
	if (stop_signal && t.launched && !t.exited)
		kill(t.pid, stop_signal); /* the command was ours: pass the stop on */
	if (t.exited)
		pr_info("PID %d exited; writing the outputs\n", (int)t.pid);
	else if (t.execd)
		pr_info("PID %d exec'd another program; tracing ended, writing the outputs\n",
			(int)t.pid);
	if (o.otlp.url) {
		ox = malloc(sizeof(*ox));
		if (!ox) {
			err = gmt_diag_set(&d, -ENOMEM, "out of memory");
			goto fail;
		}
		gmt_otlp_source_init(ox, o.service_name, &t, an);
		gmt_profile_set_observe(gmt_otlp_source_encode_set, ox);
	}
	gmt_session__set_memory(sess, mem_end ? &mem_end->r : NULL);
	err = gmt_session__write(sess, dir, &d);
	gmt_profile_set_observe(NULL, NULL);
	if (err)
		goto fail;
	if (ox)
		export_otlp(&o, ox, sess, mem_end);
	ret = 0;
	if (t.launched) {
		/* Like time(1): our exit status is the command's. */
		while (!gmt_target__poll_exit(&t))
			usleep(20000);
		ret = t.exit_status;
	}
	goto out;
fail:
	pr_err("%s\n", gmt_diag_msg(&d, err));
	gmt_session__free(sess); /* probes off and the rate restored before the target goes */
	sess = NULL;
	gmt_target__abort(&t);
	ret = 1;
out:
	gmt_otlp_source_free(ox);
	free(mem_end);
	gmt_session__free(sess);
	gmt_analysis__put(an);
	gmt_target__close(&t);
	return ret;
}
