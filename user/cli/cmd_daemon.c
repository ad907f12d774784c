// SPDX-License-Identifier: MIT
/* gomemtrace daemon: continuous sampled tracing of several processes, a profile set per
 * process every interval. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analysis.h"
#include "bincache.h"
#include "commands.h"
#include "goroutines.h"
#include "grow.h"
#include "log.h"
#include "memrate.h"
#include "metrics.h"
#include "options.h"
#include "preflight.h"
#include "procscan.h"
#include "recorder.h"
#include "retention.h"
#include "session.h"
#include "target.h"
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
	"      --alert-heap BYTES   estimated live heap above BYTES ...\n"
	"      --alert-for DUR      ... for DUR in a row (default 0: at once);\n"
	"                           fires once, re-armed when the heap falls below\n"
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
	"      --goroutines       also track goroutines: every interval's goroutines.folded\n"
	"                         (live ones by creation stack), the sites and their growth\n"
	"                         since the daemon attached (report.txt, summary.json), and\n"
	"                         a live-goroutine track in gc.json\n"
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

struct daemon_opts {
	pid_t *pids;
	size_t npids;
	const char **exes;
	size_t nexes;
	const char **comms;
	size_t ncomms;
	const char *outdir;
	const char *metrics;
	double interval_s;
	uint64_t keep, max_disk;
	uint64_t alert_heap;
	double alert_for_s;
	uint64_t alert_pause_ns;
	struct gmt_session_opts so; /* the tracing options */
};

struct dtarget {
	struct gmt_target t;
	struct gmt_proc_id id;
	struct gmt_session *s;
	char dir[4096]; /* OUTDIR/<comm>-<pid> */
	uint64_t heap_since_ns; /* live heap above --alert-heap since, 0 below */
	bool heap_alerted;
	bool pause_alerted; /* one pause alert per interval at most */
	struct gmt_metrics_target m;
};

/* Processes that could not be traced: not retried while they live. */
struct skip {
	struct gmt_proc_id id;
};

struct daemon {
	struct daemon_opts o;
	struct dtarget **t;
	size_t nt, cap;
	struct skip *skip;
	size_t nskip, capskip;
	int epfd;
	bool only_pids;
	bool starting; /* attaching the -p targets: a failure is the user's error */
	struct gmt_bincache *bins; /* one analysis per executable, shared by its processes */
	uint64_t last_ts_ms; /* last directory timestamp, to keep names unique */
	char metrics_path[4096];
};

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

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
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

static int push(void **arr, size_t *n, size_t *cap, size_t elem, const void *v)
{
	if (gmt_grow(arr, cap, *n + 1, elem))
		return -ENOMEM;
	memcpy((char *)*arr + *n * elem, v, elem);
	(*n)++;
	return 0;
}

static int parse_args(int argc, char **argv, struct daemon_opts *o)
{
	enum { OPT_EXE = 256, OPT_COMM, OPT_KEEP, OPT_DISK, OPT_METRICS, OPT_AHEAP, OPT_AFOR,
	       OPT_APAUSE, OPT_STACKS };
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
		{ "alert-for", required_argument, NULL, OPT_AFOR },
		{ "alert-pause", required_argument, NULL, OPT_APAUSE },
		{ "max-stacks", required_argument, NULL, OPT_STACKS },
		GMT_SESSION_LONG_OPTS,
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	size_t cp = 0, ce = 0, cc = 0;
	uint64_t v;
	int c, pid;

	/* Sampled mode, intervals; the exact-mode table unused, at its minimum. */
	*o = (struct daemon_opts){ .outdir = "gomemtrace-daemon", .interval_s = 60,
				   .so = { .sampled = true, .intervals = true,
					   .rate = GMT_MEMRATE_DEFAULT, .max_depth = GMT_MAX_STACK,
					   .ringbuf_mb = 8, .agg_entries = 1024,
					   .max_rows = 1 << 16,
					   .folded_max_mb = GMT_FOLDED_MAX_MB } };
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:o:i:vqh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (gmt_parse_pid(optarg, &pid)) {
				pr_err("invalid PID '%s'\n", optarg);
				return 2;
			}
			if (push((void **)&o->pids, &o->npids, &cp, sizeof(pid_t),
				 &(pid_t){ pid }))
				return 1;
			break;
		case OPT_EXE:
			if (push((void **)&o->exes, &o->nexes, &ce, sizeof(char *), &optarg))
				return 1;
			break;
		case OPT_COMM:
			if (!*optarg || strlen(optarg) > 15) {
				pr_err("--comm takes a process name of 1 to 15 characters\n");
				return 2;
			}
			if (push((void **)&o->comms, &o->ncomms, &cc, sizeof(char *), &optarg))
				return 1;
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
		case 'h':
			fputs(daemon_usage, stdout);
			return 0;
		default:
			if (gmt_session_parse_opt(c, optarg, &o->so, daemon_usage))
				return 2;
			break;
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
	if (o->alert_for_s > 0 && !o->alert_heap) {
		pr_err("--alert-for needs --alert-heap\n");
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

/* A directory name from the wall clock: sortable, unique within this daemon. */
static void interval_name(struct daemon *dm, char *buf, size_t len, const char *suffix)
{
	struct timespec ts;
	uint64_t ms;
	time_t sec;
	struct tm tm;
	char t[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (ms <= dm->last_ts_ms)
		ms = dm->last_ts_ms + 1;
	dm->last_ts_ms = ms;
	sec = (time_t)(ms / 1000);
	gmtime_r(&sec, &tm);
	strftime(t, sizeof(t), "%Y%m%dT%H%M%S", &tm);
	snprintf(buf, len, "%s.%03lluZ%s%s", t, (unsigned long long)(ms % 1000),
		 suffix ? "-" : "", suffix ? suffix : "");
}

static void metrics_add(struct dtarget *dt, const struct gmt_interval *iv)
{
	struct gmt_metrics_target *m = &dt->m;

	m->alloc_bytes_per_s = iv->duration_s > 0 ? iv->est_alloc_bytes / iv->duration_s : 0;
	m->inuse_bytes = iv->est_inuse_bytes;
	m->alloc_bytes_total += iv->est_alloc_bytes;
	m->gc_cycles_total += iv->gc_cycles;
	m->stw_pauses_total += iv->stw_pauses;
	m->stw_seconds_total += iv->stw_total_ns / 1e9;
	for (size_t b = 0; b < GMT_PAUSE_BUCKETS; b++)
		m->pause_hist[b] += iv->pause_hist[b];
	m->records_dropped_total += iv->drops;
	m->samples_dropped_total = iv->samples_dropped; /* cumulative already */
	m->intervals_total++;
	if (gmt_session__goroutines(dt->s)) {
		struct gmt_gor_stats gs;

		gmt_goroutines__stats(gmt_session__goroutines(dt->s), &gs);
		m->has_goroutines = true;
		m->goroutines = gs.live;
	}
}

/*
 * One profile set of a target into DIR/<name>: written into a hidden .partial directory
 * first and renamed when complete.
 */
static int write_interval(struct daemon *dm, struct dtarget *dt, const char *suffix)
{
	char name[64], part[4096 + 80], final[4096 + 80];
	struct gmt_interval iv;
	struct gmt_diag d = {};
	int err;

	interval_name(dm, name, sizeof(name), suffix);
	snprintf(part, sizeof(part), "%s/.%s.partial", dt->dir, name);
	snprintf(final, sizeof(final), "%s/%s", dt->dir, name);
	err = gmt_outdir_prepare(dt->dir, &d);
	if (!err)
		err = gmt_session__write_interval(dt->s, part, &iv, &d);
	if (!err && rename(part, final) < 0)
		err = gmt_diag_set(&d, -errno, "cannot rename %s: %s", part, strerror(errno));
	if (err) {
		pr_err("PID %d: %s\n", (int)dt->t.pid, gmt_diag_msg(&d, err));
		gmt_remove_dir(part, NULL);
		return err;
	}
	metrics_add(dt, &iv);
	pr_debug("PID %d: %s: %.1f s, %llu samples, ~%.0f bytes allocated, ~%.0f live, %u GC "
		 "cycles, %llu rows\n", (int)dt->t.pid, final, iv.duration_s,
		 (unsigned long long)iv.samples, iv.est_alloc_bytes, iv.est_inuse_bytes,
		 iv.gc_cycles, (unsigned long long)iv.rows);
	if (iv.drops || iv.samples_dropped)
		pr_warn("PID %d: %llu records lost (ring buffer full: --ringbuf-mb), %llu samples "
			"dropped in all (tables full: --max-stacks)\n", (int)dt->t.pid,
			(unsigned long long)iv.drops, (unsigned long long)iv.samples_dropped);
	return 0;
}

static int w_metrics(FILE *f, void *ctx)
{
	struct daemon *dm = ctx;
	struct gmt_metrics_target *m = calloc(dm->nt + 1, sizeof(*m));
	int err;

	if (!m)
		return -ENOMEM;
	for (size_t i = 0; i < dm->nt; i++)
		m[i] = dm->t[i]->m;
	err = gmt_write_metrics(f, m, dm->nt);
	free(m);
	return err;
}

static void write_metrics(struct daemon *dm)
{
	char dir[4096], *slash;
	struct gmt_diag d = {};

	if (!dm->metrics_path[0])
		return;
	snprintf(dir, sizeof(dir), "%s", dm->metrics_path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	if (gmt_write_file_atomic_mode(slash ? dir : ".", slash ? slash + 1 : dm->metrics_path,
				       GMT_METRICS_MODE, w_metrics, dm, &d))
		pr_warn("metrics: %s\n", d.msg);
}

static void apply_retention(struct daemon *dm)
{
	struct gmt_retention_stats st;
	int err;

	if (!dm->o.keep && !dm->o.max_disk)
		return;
	err = gmt_retention_apply(dm->o.outdir, dm->o.keep, dm->o.max_disk, &st);
	if (err)
		pr_warn("retention: cannot list %s: %s\n", dm->o.outdir, strerror(-err));
	else if (st.removed)
		pr_info("retention: removed %llu old intervals (%llu bytes); %llu kept, %llu "
			"bytes\n", (unsigned long long)st.removed,
			(unsigned long long)st.removed_bytes, (unsigned long long)st.intervals,
			(unsigned long long)st.bytes);
}

static bool skipped(const struct daemon *dm, const struct gmt_proc_id *id)
{
	for (size_t i = 0; i < dm->nskip; i++)
		if (gmt_proc_same(&dm->skip[i].id, id))
			return true;
	return false;
}

static struct dtarget *find_target(const struct daemon *dm, pid_t pid)
{
	for (size_t i = 0; i < dm->nt; i++)
		if (dm->t[i]->t.pid == pid)
			return dm->t[i];
	return NULL;
}

static void free_target(struct dtarget *dt)
{
	gmt_session__free(dt->s);
	gmt_target__close(&dt->t);
	free(dt);
}

/* Attaches to a new process; one that cannot be traced is remembered and not retried. */
static int add_target(void *ctx, const struct gmt_proc_id *id)
{
	struct daemon *dm = ctx;
	struct epoll_event ev = { .events = EPOLLIN };
	struct dtarget *dt, *old = find_target(dm, id->pid);
	struct gmt_session_opts so = dm->o.so;
	struct gmt_diag d = {};
	int err;

	if (old || skipped(dm, id))
		return 0;
	dt = calloc(1, sizeof(*dt));
	if (!dt)
		return -ENOMEM;
	dt->id = *id;
	err = gmt_target__attach(id->pid, &dt->t, &d);
	if (!err) {
		struct gmt_bincache_stats before = gmt_bincache__stats(dm->bins);

		err = gmt_bincache__get(dm->bins, dt->t.exe, &so.an, &d);
		if (err)
			gmt_target__name_exe(&dt->t, &d);
		else
			pr_debug("PID %d (%s): %s analysis of %s\n", (int)id->pid, id->comm,
				 gmt_bincache__stats(dm->bins).hits > before.hits ? "shared"
										  : "new",
				 dt->t.path);
	}
	if (!err)
		err = gmt_session__open(&so, &dt->t, &dt->s, &d);
	gmt_analysis__put(so.an); /* the session holds its own */
	if (!err)
		err = gmt_session__start(dt->s, &d);
	if (!err && epoll_ctl(dm->epfd, EPOLL_CTL_ADD, gmt_session__epoll_fd(dt->s), &ev) < 0)
		err = gmt_diag_set(&d, -errno, "epoll: %s", strerror(errno));
	if (!err)
		err = push((void **)&dm->t, &dm->nt, &dm->cap, sizeof(dt), &dt);
	if (err) {
		/*
		 * One target that cannot be traced never stops the others: it is said in one
		 * line (an error for a -p target, which the user named) and skipped.  Its
		 * session is gone, probes and rate included, before anything else happens.
		 */
		if (dm->starting)
			pr_err("PID %d (%s) cannot be traced: %s; skipped\n", (int)id->pid, id->comm,
			       gmt_diag_msg(&d, err));
		else
			pr_warn("PID %d (%s): not traced: %s\n", (int)id->pid, id->comm,
				gmt_diag_msg(&d, err));
		free_target(dt);
		if (push((void **)&dm->skip, &dm->nskip, &dm->capskip, sizeof(struct skip), id))
			return -ENOMEM;
		return err == -ENOMEM ? err : 0;
	}
	snprintf(dt->dir, sizeof(dt->dir), "%s/%s-%d", dm->o.outdir, dt->t.comm, (int)id->pid);
	for (char *p = dt->dir + strlen(dm->o.outdir) + 1; *p; p++)
		if (*p == '/' || *p == ' ')
			*p = '_';
	dt->m.comm = dt->t.comm;
	dt->m.pid = dt->t.pid;
	return 0;
}

/* A target leaves: probes off, rate restored, its last interval written. */
static void drop_target(struct daemon *dm, size_t i, const char *why)
{
	struct dtarget *dt = dm->t[i];

	pr_info("PID %d (%s) %s: writing its last interval\n", (int)dt->t.pid, dt->t.comm, why);
	epoll_ctl(dm->epfd, EPOLL_CTL_DEL, gmt_session__epoll_fd(dt->s), NULL);
	gmt_session__stop(dt->s);
	write_interval(dm, dt, NULL);
	free_target(dt);
	dm->t[i] = dm->t[--dm->nt];
}

/* Targets gone, PIDs reused; the skip list forgets processes that are gone. */
static void check_targets(struct daemon *dm)
{
	for (size_t i = 0; i < dm->nt;) {
		struct dtarget *dt = dm->t[i];
		struct gmt_proc_id now;
		int err = gmt_proc_identity(dt->t.pid, &now);

		if (err == -ESRCH || err == -ENOEXEC || gmt_target__poll_exit(&dt->t)) {
			drop_target(dm, i, "exited");
			continue;
		}
		if (!err && !gmt_proc_same(&now, &dt->id)) {
			drop_target(dm, i, now.start_time != dt->id.start_time
						   ? "exited (its PID now names another process)"
						   : "exec'd another program");
			continue;
		}
		i++;
	}
	for (size_t i = 0; i < dm->nskip;) {
		struct gmt_proc_id now;

		if (gmt_proc_identity(dm->skip[i].id.pid, &now) || !gmt_proc_same(&now, &dm->skip[i].id))
			dm->skip[i] = dm->skip[--dm->nskip];
		else
			i++;
	}
}

static int scan(struct daemon *dm)
{
	struct gmt_proc_match m = {
		.pids = dm->o.pids, .npids = dm->o.npids,
		.exes = dm->o.exes, .nexes = dm->o.nexes,
		.comms = dm->o.comms, .ncomms = dm->o.ncomms,
	};

	check_targets(dm);
	/* -p targets are taken once, at the start: a PID seen again later is another process. */
	if (dm->only_pids)
		return 0;
	m.npids = 0;
	return gmt_proc_scan(&m, getpid(), add_target, dm);
}

static void check_alerts(struct daemon *dm, uint64_t now)
{
	for (size_t i = 0; i < dm->nt; i++) {
		struct dtarget *dt = dm->t[i];

		if (dm->o.alert_pause_ns) {
			uint64_t p = gmt_session__new_max_pause(dt->s);

			if (p > dm->o.alert_pause_ns && !dt->pause_alerted) {
				dt->pause_alerted = true;
				pr_warn("ALERT PID %d (%s): stop-the-world pause of %.3f ms (above "
					"%.3f ms): writing a marked profile set\n",
					(int)dt->t.pid, dt->t.comm, p / 1e6,
					dm->o.alert_pause_ns / 1e6);
				write_interval(dm, dt, "alert-pause");
			}
		}
		if (!dm->o.alert_heap)
			continue;
		if (gmt_session__live_bytes(dt->s) <= (double)dm->o.alert_heap) {
			dt->heap_since_ns = 0;
			dt->heap_alerted = false;
			continue;
		}
		if (!dt->heap_since_ns)
			dt->heap_since_ns = now;
		if (!dt->heap_alerted && (now - dt->heap_since_ns) / 1e9 >= dm->o.alert_for_s) {
			dt->heap_alerted = true;
			pr_warn("ALERT PID %d (%s): live heap ~%.0f bytes, above %llu for %.1f s: "
				"writing a marked profile set\n", (int)dt->t.pid, dt->t.comm,
				gmt_session__live_bytes(dt->s),
				(unsigned long long)dm->o.alert_heap,
				(now - dt->heap_since_ns) / 1e9);
			write_interval(dm, dt, "alert-heap");
		}
	}
}

static void write_all(struct daemon *dm)
{
	if (dm->o.alert_pause_ns)
		check_alerts(dm, mono_ns()); /* pauses about to move into the interval */
	for (size_t i = 0; i < dm->nt; i++) {
		write_interval(dm, dm->t[i], NULL);
		dm->t[i]->pause_alerted = false;
	}
	apply_retention(dm);
	write_metrics(dm);
	/* What the interval's tables freed goes back to the system (see cmd_daemon()). */
	malloc_trim(0);
}

int cmd_daemon(int argc, char **argv)
{
	/* SA_RESTART: a signal in the middle of writing a profile must not fail the write. */
	struct sigaction sa_stop = { .sa_handler = on_stop, .sa_flags = SA_RESTART };
	struct sigaction sa_hup = { .sa_handler = on_hup, .sa_flags = SA_RESTART };
	struct daemon dm = { .epfd = -1 };
	struct gmt_diag d = {};
	uint64_t next_iv, next_scan = 0;
	int ret = 1, err;

	err = parse_args(argc, argv, &dm.o);
	if (err >= 0)
		goto out_opts;
	gmt_log_set_timestamps(1);
	gmt_tracer_set_log();
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
	dm.only_pids = !dm.o.nexes && !dm.o.ncomms;
	if (!dm.o.metrics)
		snprintf(dm.metrics_path, sizeof(dm.metrics_path), "%s/gomemtrace.prom",
			 dm.o.outdir);
	else if (strcmp(dm.o.metrics, "none") != 0)
		snprintf(dm.metrics_path, sizeof(dm.metrics_path), "%s", dm.o.metrics);
	/* What the kernel and our privileges must allow, said before anything is started. */
	err = gmt_session_preflight(&dm.o.so, &d);
	/* Without it, every target whose rate is 0 would be skipped, one log line each. */
	if (!err && !dm.o.so.no_write_target)
		err = gmt_preflight_state_dir(&d);
	if (!err)
		err = gmt_outdir_prepare(dm.o.outdir, &d);
	if (err) {
		pr_err("%s\n", d.msg);
		goto out;
	}
	err = gmt_retention_clean(dm.o.outdir);
	if (err > 0)
		pr_info("removed %d partial intervals a previous run left in %s\n", err,
			dm.o.outdir);
	dm.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (dm.epfd < 0) {
		pr_err("epoll: %s\n", strerror(errno));
		goto out;
	}
	dm.bins = gmt_bincache__new(8);
	if (!dm.bins) {
		pr_err("out of memory\n");
		goto out;
	}
	/* -p targets: one that cannot be traced is said and skipped; the others are served. */
	dm.starting = true;
	for (size_t i = 0; i < dm.o.npids; i++) {
		struct gmt_proc_id id;

		err = gmt_proc_check(dm.o.pids[i], &d);
		if (!err)
			err = gmt_proc_identity(dm.o.pids[i], &id);
		if (err) {
			pr_err("%s; skipped\n", gmt_diag_msg(&d, err));
			continue;
		}
		if (add_target(&dm, &id) == -ENOMEM) {
			pr_err("out of memory\n");
			goto out;
		}
	}
	dm.starting = false;
	if (dm.only_pids && !dm.nt) {
		pr_err("none of the -p targets can be traced, and there is no --exe or --comm: "
		       "nothing to do\n");
		goto out;
	}
	pr_info("daemon: %zu targets by PID, %zu executables, %zu names; a profile set every "
		"%g s into %s/\n", dm.o.npids, dm.o.nexes, dm.o.ncomms, dm.o.interval_s,
		dm.o.outdir);
	next_iv = mono_ns() + (uint64_t)(dm.o.interval_s * 1e9);
	while (!stop_signal) {
		struct epoll_event evs[16];
		uint64_t now = mono_ns();

		if (now >= next_scan) {
			err = scan(&dm);
			if (err == -ENOMEM) {
				pr_err("out of memory\n");
				break;
			}
			next_scan = now + 500000000ULL; /* new processes within a second */
			if (dm.only_pids && !dm.nt) {
				pr_info("no target left\n");
				break;
			}
		}
		epoll_wait(dm.epfd, evs, 16, 100);
		for (size_t i = 0; i < dm.nt; i++) {
			err = gmt_session__poll(dm.t[i]->s, 0);
			if (err < 0) {
				/* This target only: the others are served on. */
				pr_err("PID %d: %s\n", (int)dm.t[i]->t.pid,
				       err == -ENOMEM ? "out of memory" : strerror(-err));
				drop_target(&dm, i, "cannot be traced on");
				i--;
			}
		}
		now = mono_ns();
		if (dm.o.alert_heap || dm.o.alert_pause_ns)
			check_alerts(&dm, now);
		if (hup || now >= next_iv) {
			if (hup)
				pr_info("SIGHUP: writing the current intervals\n");
			hup = 0;
			write_all(&dm);
			next_iv = now + (uint64_t)(dm.o.interval_s * 1e9);
		}
	}
	if (stop_signal)
		pr_info("%s: writing the last intervals, restoring the targets and detaching\n",
			strsignal(stop_signal));
	/* Probes off and rates restored first, for every target, then the outputs. */
	for (size_t i = 0; i < dm.nt; i++)
		gmt_session__stop(dm.t[i]->s);
	write_all(&dm);
	ret = 0;
out:
	while (dm.nt)
		free_target(dm.t[--dm.nt]);
	free(dm.t);
	free(dm.skip);
	gmt_bincache__free(dm.bins);
	if (dm.epfd >= 0)
		close(dm.epfd);
	err = ret;
out_opts:
	free(dm.o.pids);
	free(dm.o.exes);
	free(dm.o.comms);
	return err;
}
