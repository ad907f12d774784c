// SPDX-License-Identifier: MIT
/* gomemtrace record: trace a Go process and write the profiles. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <elf.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "aggregate.h"
#include "commands.h"
#include "elf_file.h"
#include "gc_session.h"
#include "gobin.h"
#include "hookplan.h"
#include "log.h"
#include "memrate.h"
#include "options.h"
#include "outputs.h"
#include "preflight.h"
#include "procsym.h"
#include "ratestate.h"
#include "recorder.h"
#include "runinfo.h"
#include "sampled.h"
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
	"  inuse_bytes.folded                      live heap per stack (sampled mode)\n"
	"  report.txt                              top stacks, sizes, types, GC, drops\n"
	"  summary.json                            the totals, machine-readable\n"
	"  gc.txt                                  one gctrace-like line per GC cycle, pauses\n"
	"  gc.json                                 GC/STW timeline (Perfetto, chrome://tracing)\n"
	"\n"
	"Options:\n"
	"  -p, --pid PID          trace this running process\n"
	"  -d, --duration SECS    stop after SECS seconds (default: until Ctrl-C or exit)\n"
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
	"      --umask MASK       octal mask for the outputs' modes (default 077: files\n"
	"                         0600, directories 0700)\n"
	"      --btf FILE         kernel BTF to relocate the BPF programs against (default\n"
	"                         $GMT_BTF_PATH, else /sys/kernel/btf/vmlinux)\n"
	"  -v, --verbose          debug output (libbpf's too)\n"
	"  -q, --quiet            only errors\n"
	"  -h, --help             show this help\n"
	"\n"
	"Needs root (or CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE) and a kernel with BTF.\n"
	"Nothing is written into the target process in exact mode.  Sampled mode writes\n"
	"runtime.MemProfileRate only when it is 0 (binaries that do not link the heap\n"
	"profiler), says so, and restores it when tracing ends; what it wrote is kept in\n"
	"/run/gomemtrace until then, for 'gomemtrace restore' if gomemtrace is killed.\n";

enum record_mode { MODE_EXACT, MODE_SAMPLED };

struct record_opts {
	int pid;
	enum record_mode mode;
	uint64_t rate;
	bool no_write_target;
	double duration_s; /* 0: unlimited */
	const char *outdir;
	uint32_t max_depth, ringbuf_mb, agg_entries;
	bool no_gc;
	const char *btf;
	char **cmd;
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/*
	 * libbpf's own chatter is demoted one level: its warnings are our debug output.
	 * Every failure it warns about comes back to us as an error, which we report in one
	 * line (pointing at -v where libbpf's detail helps, as with the verifier log).
	 */
	if (gmt_log_level() < GMT_LOG_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

struct session {
	struct gmt_agg *agg;
	struct gmt_sampled *sampled; /* sampled mode */
	struct gmt_gc_session *gc;
	uint64_t bad_records;
	uint64_t sampler_records; /* heap-sampler records received (all three kinds) */
};

/* Every ring-buffer record lands here: one switch on the kind tag. */
static int on_record(void *ctx, const void *data, size_t size)
{
	struct session *s = ctx;
	const struct gmt_rec_hdr *h = data;

	if (size < sizeof(*h)) {
		s->bad_records++;
		return 0;
	}
	if (s->gc) {
		int err = gmt_gc_session__on_record(s->gc, data, size);

		if (err != -ENOENT)
			return err == -ENOMEM ? err : 0;
	}
	switch (h->kind) {
	case GMT_REC_STACK: {
		const struct gmt_rec_stack *r = data;
		int err;

		if (size < sizeof(*r) || r->depth > GMT_MAX_STACK) {
			s->bad_records++;
			return 0;
		}
		if (s->sampled) {
			err = gmt_sampled__add_stack(s->sampled, r->stack_id,
						     (const uint64_t *)r->pcs, r->depth,
						     r->flags & GMT_STACK_TRUNCATED);
			if (err == -EINVAL)
				s->bad_records++;
			return err == -ENOMEM ? err : 0;
		}
		if (gmt_agg__add_stack(s->agg, r->stack_id, (const uint64_t *)r->pcs, r->depth,
				       r->flags & GMT_STACK_TRUNCATED) == -EINVAL)
			s->bad_records++;
		return 0;
	}
	case GMT_REC_ALLOC: {
		const struct gmt_rec_alloc *r = data;

		if (size < sizeof(*r)) {
			s->bad_records++;
			return 0;
		}
		/* Only -ENOMEM can fail here; stop polling then. */
		return gmt_agg__add_allocs(s->agg, r->key.stack_id, r->key.typ, r->key.size, 1);
	}
	case GMT_REC_MPROF_MALLOC:
	case GMT_REC_MPROF_BUCKET:
	case GMT_REC_MPROF_FREE: {
		const struct gmt_rec_mprof *r = data;

		if (size < sizeof(*r) || !s->sampled) {
			s->bad_records++;
			return 0;
		}
		s->sampler_records++;
		/* Only -ENOMEM can fail here; stop polling then. */
		if (h->kind == GMT_REC_MPROF_MALLOC)
			return gmt_sampled__malloc(s->sampled, r->stack_id, r->p, r->size);
		if (h->kind == GMT_REC_MPROF_BUCKET)
			return gmt_sampled__bucket(s->sampled, r->p, r->b);
		return gmt_sampled__free_obj(s->sampled, r->b);
	}
	default:
		s->bad_records++;
		return 0;
	}
}

/* Cumulative allocations so far: exact counts, or in sampled mode the estimates. */
static void add_rate_point(struct gmt_tracer *tr, struct session *s, uint64_t now)
{
	uint64_t c[GMT_CNT__MAX];

	if (s->sampled) {
		struct gmt_sampled_stats st;

		gmt_sampled__stats(s->sampled, &st);
		gmt_agg__add_rate_point(s->agg, now, (uint64_t)llround(st.est_alloc_objects),
					(uint64_t)llround(st.est_alloc_bytes));
		return;
	}
	gmt_tracer__counters(tr, c);
	gmt_agg__add_rate_point(s->agg, now, c[GMT_CNT_ALLOCS], c[GMT_CNT_BYTES]);
}

static int add_alloc_row(void *ctx, const struct gmt_alloc_key *k, uint64_t n)
{
	return gmt_agg__add_allocs(ctx, k->stack_id, k->typ, k->size, n);
}

static int parse_args(int argc, char **argv, struct record_opts *o)
{
	enum { OPT_MODE = 256, OPT_DEPTH, OPT_RB, OPT_AGG, OPT_NO_GC, OPT_RATE, OPT_NO_WRITE,
	       OPT_UMASK, OPT_BTF };
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "duration", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "max-depth", required_argument, NULL, OPT_DEPTH },
		{ "ringbuf-mb", required_argument, NULL, OPT_RB },
		{ "agg-entries", required_argument, NULL, OPT_AGG },
		{ "no-gc", no_argument, NULL, OPT_NO_GC },
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "no-write-target", no_argument, NULL, OPT_NO_WRITE },
		{ "umask", required_argument, NULL, OPT_UMASK },
		{ "btf", required_argument, NULL, OPT_BTF },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	uint64_t v;
	char *end;
	int c;

	*o = (struct record_opts){ .mode = MODE_SAMPLED, .rate = GMT_MEMRATE_DEFAULT,
				   .max_depth = GMT_MAX_STACK, .ringbuf_mb = 16,
				   .agg_entries = 1 << 17 };
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
			errno = 0;
			o->duration_s = strtod(optarg, &end);
			if (errno || *end || !(o->duration_s > 0) || o->duration_s > 1e9) {
				pr_err("invalid duration '%s' (seconds, > 0)\n", optarg);
				return 2;
			}
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
		case OPT_RATE:
			/* 1 samples every allocation; past 2^40 hardly anything is sampled. */
			if (gmt_parse_u64(optarg, 1, 1ULL << 40, &v)) {
				pr_err("--rate takes bytes from 1 to 2^40\n");
				return 2;
			}
			o->rate = v;
			break;
		case OPT_NO_WRITE:
			o->no_write_target = true;
			break;
		case OPT_DEPTH:
			if (gmt_parse_u64(optarg, 1, GMT_MAX_STACK, &v)) {
				pr_err("--max-depth takes 1 to %d\n", GMT_MAX_STACK);
				return 2;
			}
			o->max_depth = v;
			break;
		case OPT_RB:
			if (gmt_parse_u64(optarg, 1, 1024, &v) || (v & (v - 1))) {
				pr_err("--ringbuf-mb takes a power of two from 1 to 1024\n");
				return 2;
			}
			o->ringbuf_mb = v;
			break;
		case OPT_AGG:
			if (gmt_parse_u64(optarg, 1024, 1 << 24, &v)) {
				pr_err("--agg-entries takes 1024 to 16777216\n");
				return 2;
			}
			o->agg_entries = v;
			break;
		case OPT_NO_GC:
			o->no_gc = true;
			break;
		case OPT_UMASK:
			errno = 0;
			v = strtoull(optarg, &end, 8);
			if (errno || end == optarg || *end || v > 0777) {
				pr_err("--umask takes an octal mask from 0 to 0777\n");
				return 2;
			}
			gmt_recorder_set_umask((mode_t)v);
			break;
		case OPT_BTF:
			o->btf = optarg;
			break;
		case 'v':
			gmt_log_set_level(GMT_LOG_DEBUG);
			break;
		case 'q':
			gmt_log_set_level(GMT_LOG_ERROR);
			break;
		case 'h':
			fputs(record_usage, stdout);
			return 0;
		default:
			fputs(record_usage, stderr);
			return 2;
		}
	}
	if (optind < argc)
		o->cmd = &argv[optind];
	if ((o->pid > 0) == (o->cmd != NULL)) {
		pr_err("record needs -p PID or -- COMMAND (try 'gomemtrace record --help')\n");
		return 2;
	}
	return -1;
}

/* A --btf file libbpf cannot read: one line here rather than its CO-RE failure log. */
static int check_btf(const char *path, struct gmt_diag *d)
{
	libbpf_print_fn_t print;
	struct btf *btf;
	int err;

	if (!path)
		return 0;
	print = libbpf_set_print(NULL);

	btf = btf__parse(path, NULL);
	err = libbpf_get_error(btf);
	libbpf_set_print(print);
	if (err)
		return gmt_diag_set(d, -EINVAL, "%s is not a kernel BTF file (libbpf: %s)", path,
				    strerror(err < 0 ? -err : EINVAL));
	btf__free(btf);
	return 0;
}

/* Messages about /proc/PID/exe name the program the user knows instead. */
static void name_exe(const struct gmt_target *t, struct gmt_diag *d)
{
	size_t n = strlen(t->exe);
	char msg[sizeof(d->msg)];

	if (strncmp(d->msg, t->exe, n) != 0 || !strcmp(t->path, t->exe))
		return;
	snprintf(msg, sizeof(msg), "%.128s (PID %d)%s", t->path, (int)t->pid, d->msg + n);
	memcpy(d->msg, msg, sizeof(msg));
}

/* The lowest-offset PT_LOAD: the mapping /proc/PID/maps shows at that offset. */
static int target_bias(const struct gmt_gobin *gb, pid_t pid, uint64_t *bias, struct gmt_diag *d)
{
	const struct gmt_elf_seg *first = NULL;

	for (size_t i = 0; i < gmt_elf__nsegs(gb->elf); i++) {
		const struct gmt_elf_seg *s = gmt_elf__seg(gb->elf, i);

		if (s->type == PT_LOAD && (!first || s->off < first->off))
			first = s;
	}
	if (!first)
		return gmt_diag_set(d, -ENOEXEC, "no loadable segment");
	if (!gb->pie) {
		*bias = 0;
		return 0;
	}
	return gmt_target__load_bias(pid, first->vaddr, first->off, bias, d);
}

/* The executable's text as the process maps it, for the profile's Mapping. */
static void exe_mapping(const struct gmt_gobin *gb, uint64_t bias, const struct gmt_target *t,
			struct gmt_pprof_mapping *m)
{
	for (size_t i = 0; i < gmt_elf__nsegs(gb->elf); i++) {
		const struct gmt_elf_seg *s = gmt_elf__seg(gb->elf, i);

		if (s->type == PT_LOAD && (s->flags & PF_X)) {
			m->memory_start = s->vaddr + bias;
			m->memory_limit = s->vaddr + s->memsz + bias;
			m->file_offset = s->off;
			break;
		}
	}
	m->filename = t->path;
}

/* What sampled mode adds to summary.json. */
struct sampled_info {
	const struct gmt_sampled *sampled;
	bool rate_written; /* gomemtrace wrote MemProfileRate into the target */
	uint64_t sampler_records; /* records received */
};

struct out_ctx {
	const struct gmt_agg *agg;
	const struct gmt_agg *inuse_agg; /* sampled mode: estimated live objects */
	const struct sampled_info *si;	 /* sampled mode */
	const struct gmt_symbolizer *sym;
	const struct gmt_run_info *ri;
	const struct gmt_gc_session *gc; /* NULL with --no-gc */
	const struct gmt_pprof_opts *pprof;
	enum gmt_folded_value value;
};

static int w_pprof(FILE *f, void *ctx)
{
	struct out_ctx *c = ctx;

	return gmt_write_pprof(c->agg, c->sym, f, c->ri, c->pprof);
}

static int w_folded(FILE *f, void *ctx)
{
	struct out_ctx *c = ctx;

	return gmt_write_folded(c->agg, c->sym, f, c->value);
}

static int w_inuse_folded(FILE *f, void *ctx)
{
	struct out_ctx *c = ctx;

	return gmt_write_folded(c->inuse_agg, c->sym, f, GMT_FOLDED_BYTES);
}

static int pprof_inuse(void *ctx, const struct gmt_agg_stack *s, uint64_t *objects,
		       uint64_t *bytes)
{
	gmt_sampled__inuse(ctx, s->id, objects, bytes);
	return 0;
}

static int w_report(FILE *f, void *ctx)
{
	struct out_ctx *c = ctx;
	int err = gmt_write_report(c->agg, c->sym, f, c->ri);

	if (!err && c->gc)
		gmt_gc_session__report(c->gc, f);
	return err;
}

static int w_summary(FILE *f, void *ctx)
{
	struct out_ctx *c = ctx;
	struct gmt_json *j = gmt_summary__begin(f);
	int err;

	if (!j)
		return -ENOMEM;
	err = gmt_summary__alloc_fields(j, c->agg, c->sym, c->ri);
	if (c->si) {
		struct gmt_sampled_stats st;

		gmt_sampled__stats(c->si->sampled, &st);
		gmt_json__kuint(j, "rate", gmt_sampled__rate(c->si->sampled));
		gmt_json__kuint(j, "samples", st.samples);
		gmt_json__kuint(j, "est_alloc_objects", (uint64_t)llround(st.est_alloc_objects));
		gmt_json__kuint(j, "est_alloc_bytes", (uint64_t)llround(st.est_alloc_bytes));
		gmt_json__kuint(j, "est_inuse_objects", (uint64_t)llround(st.est_inuse_objects));
		gmt_json__kuint(j, "est_inuse_bytes", (uint64_t)llround(st.est_inuse_bytes));
		gmt_json__kuint(j, "sampled_frees", st.frees);
		gmt_json__kuint(j, "sampler_unmatched", st.unmatched);
		/* With the sampler hits and the drops in "counters":
		 * alloc_hits = alloc_morestack + sampler_records + mprof_rb_drops. */
		gmt_json__kuint(j, "sampler_records", c->si->sampler_records);
		gmt_json__kbool(j, "target_rate_written", c->si->rate_written);
	}
	if (c->gc)
		gmt_gc_session__summary_fields(c->gc, j);
	return gmt_summary__end(j) ?: err;
}

/* The allocation rate as the GC timeline's counter track wants it. */
static int write_gc(struct gmt_gc_session *gc, const char *dir, const struct gmt_agg *agg,
		    const struct gmt_run_info *ri, struct gmt_diag *d)
{
	struct gmt_rate_interval *iv = NULL;
	int n = gmt_rate_intervals(agg, ri, &iv), err;
	uint64_t *ts = calloc(n > 0 ? n : 1, sizeof(*ts));
	double *rate = calloc(n > 0 ? n : 1, sizeof(*rate));

	if (n < 0 || !ts || !rate) {
		err = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		ts[i] = ri->start_ns + (uint64_t)(iv[i].t_s * 1e9);
		rate[i] = iv[i].bytes_per_s;
	}
	err = gmt_gc_session__write(gc, dir, ri, ts, rate, n, d);
out:
	free(iv);
	free(ts);
	free(rate);
	return err;
}


static int write_outputs(const char *dir, const struct gmt_agg *agg,
			 const struct gmt_agg *inuse_agg, const struct sampled_info *si,
			 const struct gmt_symbolizer *sym, const struct gmt_run_info *ri,
			 struct gmt_gc_session *gc, const struct gmt_pprof_opts *pprof,
			 struct gmt_diag *d)
{
	struct out_ctx c = { agg, inuse_agg, si, sym, ri, gc, pprof, GMT_FOLDED_BYTES };
	int err;

	err = gmt_outdir_prepare(dir, d);
	if (!err)
		err = gmt_write_file_atomic(dir, "alloc.pb.gz", w_pprof, &c, d);
	if (!err)
		err = gmt_write_file_atomic(dir, "alloc_bytes.folded", w_folded, &c, d);
	c.value = GMT_FOLDED_COUNT;
	if (!err)
		err = gmt_write_file_atomic(dir, "alloc_count.folded", w_folded, &c, d);
	if (!err && inuse_agg)
		err = gmt_write_file_atomic(dir, "inuse_bytes.folded", w_inuse_folded, &c, d);
	if (!err)
		err = gmt_write_file_atomic(dir, "report.txt", w_report, &c, d);
	if (!err)
		err = gmt_write_file_atomic(dir, "summary.json", w_summary, &c, d);
	if (!err && gc)
		err = write_gc(gc, dir, agg, ri, d);
	return err;
}

/* runtime.mallocgc and the size-specialized allocators: sampled stacks lose these frames
 * and everything below them, so that the leaf is mallocgc's caller (sampled.h). */
static int strip_ranges(const struct gmt_hookplan *plan, uint64_t bias,
			struct gmt_pc_range **out, size_t *n)
{
	*n = 0;
	*out = calloc(plan->nhooks + 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < plan->nhooks; i++) {
		const struct gmt_hook *h = &plan->hooks[i];

		if (h->id == GMT_HOOK_MALLOCGC || h->id == GMT_HOOK_MALLOC_SC)
			(*out)[(*n)++] = (struct gmt_pc_range){ h->entry + bias, h->end + bias };
	}
	return 0;
}

/*
 * Sampled mode: the rate the target samples at once tracing runs.  A launched target
 * gives its rate its start-up value first (memrate.h), so the rate is read, and written,
 * only after that.  A rate of 0 is set to --rate through *guard, which the caller
 * restores on every way out; with --no-write-target it is an error: nothing would be
 * sampled.
 */
static int setup_rate(const struct record_opts *o, const struct gmt_target *t,
		      const struct gmt_memrate_vars *mv, uint64_t bias,
		      struct gmt_memrate_guard **guard, uint64_t *rate, bool *written,
		      struct gmt_ratestate *state_buf, struct gmt_ratestate **state,
		      struct gmt_diag *d)
{
	uint64_t addr = mv->rate + bias;
	struct gmt_ratestate st = { .addr = addr, .written = (int64_t)o->rate };
	int64_t cur = 0;
	int err, r;

	*written = false;
	*state = NULL;
	/* What a gomemtrace that was killed left in this process, undone first. */
	if (gmt_proc_id(t->pid, &st.target) < 0)
		return gmt_diag_set(d, -ESRCH, "PID %d exited", (int)t->pid);
	err = gmt_ratestate__check(&st.target, state_buf, &r, d);
	if (err)
		return err;
	if (r == GMT_MEMRATE_WROTE)
		pr_warn("runtime.MemProfileRate of PID %d restored to %lld: a gomemtrace that "
			"was killed (PID %d) had left it at %lld\n",
			(int)t->pid, (long long)state_buf->original, state_buf->tracer.pid,
			(long long)state_buf->written);
	if (t->launched) {
		err = gmt_memrate_wait_startup(t->pid, mv, bias, 5000, &cur, d);
		if (err == -ETIMEDOUT || err == -ENOENT) {
			/* -ENOENT: go1.19 without its inittask; the rate read now may still be
			 * overwritten by runtime.init, which the end-of-run restore reports. */
			pr_debug("start-up of the rate not observed (%s); using its value now\n",
				 d->msg);
			d->msg[0] = 0;
			err = gmt_memrate_read(t->pid, addr, &cur, d);
		}
	} else {
		err = gmt_memrate_read(t->pid, addr, &cur, d);
	}
	if (err)
		return err;
	if (cur > 0) {
		*rate = (uint64_t)cur;
		pr_debug("runtime.MemProfileRate is %lld: sampling at the target's own rate\n",
			 (long long)cur);
		return 0;
	}
	if (o->no_write_target)
		return gmt_diag_set(d, -ENODATA,
				    "runtime.MemProfileRate is %lld in PID %d (the binary does not "
				    "link the heap profiler): Go samples nothing, and "
				    "--no-write-target forbids setting it; nothing to trace "
				    "(drop --no-write-target, or use --mode exact)",
				    (long long)cur, (int)t->pid);
	/* Written down before the target is touched; O_EXCL makes it the lock too. */
	st.original = cur;
	gmt_proc_id(getpid(), &st.tracer);
	err = gmt_ratestate__create(&st, d);
	if (err == -EEXIST)
		return gmt_diag_set(d, -EBUSY,
				    "PID %d is already traced in sampled mode by another "
				    "gomemtrace, which sets its MemProfileRate: stop that one "
				    "first, or use --mode exact",
				    (int)t->pid);
	if (err)
		return err;
	*state_buf = st;
	*state = state_buf;
	pr_warn("runtime.MemProfileRate is %lld in PID %d: gomemtrace sets it to %llu while "
		"tracing and restores it afterwards (--no-write-target forbids this)\n",
		(long long)cur, (int)t->pid, (unsigned long long)o->rate);
	err = gmt_memrate_guard__set(t->pid, addr, (int64_t)o->rate, guard, d);
	if (err < 0)
		return err;
	*written = err == GMT_MEMRATE_WROTE;
	if (!*written) {
		gmt_ratestate__remove(*state);
		*state = NULL;
	}
	*rate = o->rate;
	return 0;
}

/*
 * After detach: the target's rate back as it was, and the user told if it was not.  The
 * state file goes once nothing is left to undo; on an error it stays for
 * 'gomemtrace restore'.
 */
static void restore_rate(struct gmt_memrate_guard *guard, struct gmt_ratestate **state,
			 const struct gmt_target *t)
{
	int r = gmt_memrate_guard__restore(guard);

	if (*state && (r >= 0 || r == -ESRCH)) {
		gmt_ratestate__remove(*state);
		*state = NULL;
	}

	if (r == GMT_MEMRATE_WROTE)
		pr_info("runtime.MemProfileRate of PID %d restored to %lld\n", (int)t->pid,
			(long long)gmt_memrate_guard__original(guard));
	else if (r == GMT_MEMRATE_LEFT)
		pr_warn("runtime.MemProfileRate of PID %d was changed by the program to %lld "
			"while tracing: left as it is\n",
			(int)t->pid, (long long)gmt_memrate_guard__seen(guard));
	else if (r < 0 && r != -ESRCH)
		pr_warn("cannot restore runtime.MemProfileRate of PID %d to %lld: %s\n",
			(int)t->pid, (long long)gmt_memrate_guard__original(guard),
			strerror(-r));
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

static void report_drops(const struct gmt_run_info *ri, uint64_t bad)
{
	const uint64_t *c = ri->counters;

	if (c[GMT_CNT_RB_DROPS])
		pr_warn("%llu records lost: the ring buffer was full (try --ringbuf-mb %u)\n",
			(unsigned long long)c[GMT_CNT_RB_DROPS], ri->ringbuf_mb * 4);
	if (c[GMT_CNT_MPROF_RB_DROPS])
		pr_warn("%llu heap-sampler records lost: the ring buffer was full; estimates "
			"are low (try --ringbuf-mb %u)\n",
			(unsigned long long)c[GMT_CNT_MPROF_RB_DROPS], ri->ringbuf_mb * 4);
	if (c[GMT_CNT_RB_DROPS_STACK])
		pr_warn("%llu stack records lost: the ring buffer was full; their allocations "
			"are under [unknown stack] (try --ringbuf-mb %u)\n",
			(unsigned long long)c[GMT_CNT_RB_DROPS_STACK], ri->ringbuf_mb * 4);
	if (c[GMT_CNT_STACK_TRUNC])
		pr_warn("%llu stack walks hit the depth limit and are marked [truncated] "
			"(--max-depth, up to %d)\n",
			(unsigned long long)c[GMT_CNT_STACK_TRUNC], GMT_MAX_STACK);
	if (c[GMT_CNT_STACK_ERR])
		pr_warn("%llu allocations had an unreadable stack\n",
			(unsigned long long)c[GMT_CNT_STACK_ERR]);
	if (bad)
		pr_warn("%llu malformed ring-buffer records ignored\n", (unsigned long long)bad);
}

int cmd_record(int argc, char **argv)
{
	struct gmt_tracer_opts to = {};
	struct gmt_run_info ri = { .mode = "exact" };
	struct gmt_pprof_opts pprof = { .period = 1 };
	struct gmt_memrate_vars mv = {};
	struct gmt_memrate_guard *guard = NULL;
	struct gmt_ratestate state_buf, *state = NULL;
	struct gmt_agg *inuse_agg = NULL;
	struct gmt_pc_range *strip = NULL;
	struct sampled_info si = {};
	size_t nstrip = 0;
	uint64_t rate = 0;
	struct gmt_symbolizer sym;
	struct gmt_procsym ps;
	struct gmt_hookplan plan = {};
	struct gmt_tracer *tr = NULL;
	struct gmt_gobin *gb = NULL;
	struct gmt_target t = { .pidfd = -1 };
	struct session s = {};
	struct record_opts o;
	struct gmt_diag d = {};
	struct sigaction sa = { .sa_handler = on_signal };
	char outdir[4096];
	uint64_t bias = 0, start, last_rate = 0;
	int ret = 1, err;

	err = parse_args(argc, argv, &o);
	if (err >= 0)
		return err;
	libbpf_set_print(libbpf_print);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	/* What the kernel and our privileges must allow, said before anything is started. */
	err = gmt_preflight_privileges(&d);
	if (!err)
		err = gmt_preflight_kernel(gmt_btf_path(o.btf), &d);
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
	err = gmt_outdir_prepare(outdir, &d);
	if (err)
		goto fail;
	err = gmt_gobin__open(t.exe, &gb, &d);
	if (!err)
		err = gmt_gobin__check_supported(gb, &d);
	if (err)
		name_exe(&t, &d);
	if (!err)
		err = gmt_hookplan_build(gb, &plan, &d);
	if (!err)
		err = target_bias(gb, t.pid, &bias, &d);
	if (err)
		goto fail;
	s.agg = gmt_agg__new(gmt_gobin__minor(gb));
	if (!s.agg) {
		err = gmt_diag_set(&d, -ENOMEM, "out of memory");
		goto fail;
	}
	if (o.mode == MODE_SAMPLED) {
		ri.mode = "sampled";
		/* Before anything is attached: a binary where it cannot be found is an error. */
		err = gmt_memrate_find(gb, 0, &mv, &d);
		if (err)
			goto fail;
		inuse_agg = gmt_agg__new(gmt_gobin__minor(gb));
		err = inuse_agg ? strip_ranges(&plan, bias, &strip, &nstrip) : -ENOMEM;
		if (err) {
			gmt_diag_set(&d, err, "out of memory");
			goto fail;
		}
	}
	err = check_btf(gmt_btf_path(o.btf), &d);
	if (err)
		goto fail;
	to = (struct gmt_tracer_opts){
		.pid = t.pid, .exe = t.exe, .bias = bias, .plan = &plan,
		.alloc = o.mode == MODE_EXACT, .sampled = o.mode == MODE_SAMPLED,
		.go_minor = gmt_gobin__minor(gb),
		.ringbuf_mb = o.ringbuf_mb, .max_depth = o.max_depth,
		.agg_entries = o.agg_entries, .on_record = on_record, .ctx = &s,
		.btf_path = gmt_btf_path(o.btf),
	};
	err = gmt_tracer__open(&to, &tr, &d);
	if (err)
		goto fail;
	if (!o.no_gc) {
		struct gmt_gc_session_opts go = {
			.pid = t.pid, .exe = t.exe, .bias = bias, .gb = gb, .plan = &plan,
			.ringbuf_fd = gmt_tracer__ringbuf_fd(tr),
			.counters_fd = gmt_tracer__counters_fd(tr),
			.btf_path = gmt_btf_path(o.btf),
		};

		err = gmt_gc_session__start(&go, &s.gc, &d);
		if (err == -ENOENT) {
			pr_warn("%s; tracing allocations only\n", d.msg);
			d.msg[0] = 0;
		} else if (err) {
			goto fail;
		}
	}
	start = now_ns();
	{
		struct timespec wall;

		clock_gettime(CLOCK_REALTIME, &wall);
		ri.start_wall_ns = (uint64_t)wall.tv_sec * 1000000000ULL + wall.tv_nsec;
	}
	err = gmt_target__release(&t, &d);
	if (err)
		goto fail;
	if (o.mode == MODE_SAMPLED) {
		/* From here every way out, fail: included, restores through the guard. */
		err = setup_rate(&o, &t, &mv, bias, &guard, &rate, &si.rate_written, &state_buf,
				 &state, &d);
		if (err)
			goto fail;
		s.sampled = gmt_sampled__new(s.agg, inuse_agg, rate, strip, nstrip);
		if (!s.sampled) {
			err = gmt_diag_set(&d, -ENOMEM, "out of memory");
			goto fail;
		}
		si.sampled = s.sampled;
		pprof.period = rate;
		pprof.inuse = true;
		pprof.inuse_fn = pprof_inuse;
		pprof.inuse_ctx = s.sampled;
	}
	pr_info("tracing PID %d (%s, %s%s) with %zu probes%s; Ctrl-C to stop\n", (int)t.pid,
		t.comm, gb->version, gb->stripped ? ", stripped" : "",
		gmt_tracer__nprobes(tr) + (s.gc ? gmt_gc_session__nprobes(s.gc) : 0),
		o.mode == MODE_SAMPLED	  ? " (sampled mode: Go's heap sampler)"
		: plan.size_specialized ? " (size-specialized allocators included)"
					: "");

	while (!stop_signal) {
		uint64_t now;

		err = gmt_tracer__poll(tr, 100);
		if (err < 0) {
			gmt_diag_set(&d, err, "ring buffer: %s", strerror(-err));
			goto fail;
		}
		now = now_ns();
		if (now - last_rate >= 250000000ULL) {
			add_rate_point(tr, &s, now);
			last_rate = now;
		}
		if (o.duration_s > 0 && (now - start) / 1e9 >= o.duration_s)
			break;
		if (gmt_target__poll_exit(&t) || gmt_target__execd(&t))
			break;
	}
	ri.end_ns = now_ns();
	/* GC probes first: the allocation side's detach drains the shared ring buffer. */
	if (s.gc)
		gmt_gc_session__stop(s.gc, ri.end_ns);
	gmt_tracer__detach(tr);
	restore_rate(guard, &state, &t);
	if (stop_signal && t.launched && !t.exited)
		kill(t.pid, stop_signal); /* the command was ours: pass the stop on */
	if (t.exited)
		pr_info("PID %d exited; writing the outputs\n", (int)t.pid);
	else if (t.execd)
		pr_info("PID %d exec'd another program; tracing ended, writing the outputs\n",
			(int)t.pid);

	ri.start_ns = start;
	ri.duration_s = (ri.end_ns - start) / 1e9;
	ri.go_version = gb->version;
	ri.binary = t.path;
	ri.comm = t.comm;
	ri.pid = t.pid;
	ri.ringbuf_mb = o.ringbuf_mb;
	gmt_tracer__counters(tr, ri.counters);
	add_rate_point(tr, &s, ri.end_ns);
	err = gmt_tracer__for_each_alloc(tr, add_alloc_row, s.agg);
	if (err) {
		gmt_diag_set(&d, err, "reading the allocation table: %s", strerror(-err));
		goto fail;
	}
	gmt_procsym_init(&ps, gb, bias, &sym);
	exe_mapping(gb, bias, &t, &pprof.mapping);
	if (s.sampled) {
		err = gmt_sampled__flush(s.sampled);
		if (!err)
			err = gmt_agg__finish(inuse_agg, &sym);
		if (err) {
			gmt_diag_set(&d, err, "aggregation: %s", strerror(-err));
			goto fail;
		}
	}
	err = gmt_agg__finish(s.agg, &sym);
	if (err) {
		gmt_diag_set(&d, err, "aggregation: %s", strerror(-err));
		goto fail;
	}
	si.sampler_records = s.sampler_records;
	err = write_outputs(outdir, s.agg, inuse_agg, s.sampled ? &si : NULL, &sym, &ri, s.gc,
			    &pprof, &d);
	if (err)
		goto fail;
	report_drops(&ri, s.bad_records);
	{
		const struct gmt_agg_totals *tot = gmt_agg__totals(s.agg);

		struct gmt_sampled_stats st;

		if (s.sampled) {
			gmt_sampled__stats(s.sampled, &st);
			pr_info("%llu samples at rate %llu: ~%.0f allocations, ~%.0f bytes, "
				"~%.0f bytes still live in %.1f s; outputs in %s/\n",
				(unsigned long long)st.samples, (unsigned long long)rate,
				st.est_alloc_objects, st.est_alloc_bytes, st.est_inuse_bytes,
				ri.duration_s, outdir);
		} else {
			pr_info("%llu allocations, %llu bytes in %.1f s; outputs in %s/\n",
				(unsigned long long)tot->allocs, (unsigned long long)tot->bytes,
				ri.duration_s, outdir);
		}
	}
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
	if (tr)
		gmt_tracer__detach(tr);
	restore_rate(guard, &state, &t);
	gmt_target__abort(&t);
	ret = 1;
out:
	gmt_memrate_guard__free(guard);
	gmt_sampled__free(s.sampled);
	gmt_agg__free(inuse_agg);
	free(strip);
	gmt_gc_session__free(s.gc);
	gmt_tracer__free(tr);
	gmt_agg__free(s.agg);
	gmt_hookplan_free(&plan);
	gmt_gobin__free(gb);
	gmt_target__close(&t);
	return ret;
}
