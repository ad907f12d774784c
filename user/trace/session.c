// SPDX-License-Identifier: MIT
/*
 * One traced process (session.h): the binary and its hook plan, the allocation and GC
 * probes on one ring buffer, the sampler's rate guard, the aggregation, the outputs.
 */
#include "session.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "aggregate.h"
#include "analysis.h"
#include "calltype.h"
#include "elf_file.h"
#include "gc_session.h"
#include "gc_timeline.h"
#include "gobin.h"
#include "gor_session.h"
#include "goroutines.h"
#include "hookplan.h"
#include "log.h"
#include "memrate.h"
#include "options.h"
#include "outputs.h"
#include "preflight.h"
#include "procsym.h"
#include "ratebins.h"
#include "ratestate.h"
#include "recorder.h"
#include "runinfo.h"
#include "sampled.h"
#include "target.h"
#include "tracer.h"

struct gmt_session {
	struct gmt_session_opts o;
	struct gmt_target *t;
	struct gmt_analysis *an;	/* a reference */
	const struct gmt_gobin *gb;	/* an->gb */
	const struct gmt_hookplan *plan; /* &an->plan */
	const struct gmt_go_release *row; /* an->rel.row */
	uint64_t bias;
	struct gmt_memrate_vars mv;
	struct gmt_memrate_guard *guard;
	struct gmt_ratestate state_buf, *state; /* what was written, for 'restore' */
	struct gmt_pc_range *strip;
	size_t nstrip;
	struct gmt_tracer *tr;
	struct gmt_gc_session *gc;
	struct gmt_gor_session *gor; /* --goroutines */
	struct gmt_agg *agg;	   /* record: the whole recording */
	struct gmt_agg *inuse_agg; /* record, sampled mode: the live heap at the end */
	struct gmt_sampled *sampled;
	uint64_t rate;
	bool rate_written;
	bool stopped;
	bool closing; /* being freed: records are no one's any more (gmt_session__free) */
	uint64_t bad_records;
	uint64_t sampler_records; /* heap-sampler records received (all three kinds) */
	uint64_t start_ns, start_wall_ns, end_ns, last_rate, last_point;
	uint64_t attach_ns, attach_wall_ns; /* when the allocation probes were in */
	struct gmt_ratebins bins; /* sampled: estimates by sampling time, this recording or
				   * interval */
	struct gmt_procsym ps;
	struct gmt_symbolizer sym;

	/* Interval mode */
	uint64_t iv_start_ns, iv_start_wall_ns;
	uint64_t cnt_mark[GMT_CNT__MAX];
	size_t stw_seen; /* pauses of the GC timeline already looked at (thresholds) */
};

int gmt_session_parse_opt(int c, const char *arg, struct gmt_session_opts *o,
			  const char *usage)
{
	uint64_t v;

	switch (c) {
	case GMT_OPT_RATE:
		/* 1 samples every allocation; past 2^40 hardly anything is sampled. */
		if (gmt_parse_u64(arg, 1, 1ULL << 40, &v)) {
			pr_err("--rate takes bytes from 1 to 2^40\n");
			return 2;
		}
		o->rate = v;
		return 0;
	case GMT_OPT_NO_WRITE:
		o->no_write_target = true;
		return 0;
	case GMT_OPT_DEPTH:
		if (gmt_parse_u64(arg, 1, GMT_MAX_STACK, &v)) {
			pr_err("--max-depth takes 1 to %d\n", GMT_MAX_STACK);
			return 2;
		}
		o->max_depth = v;
		return 0;
	case GMT_OPT_RINGBUF:
		if (gmt_parse_u64(arg, 1, 1024, &v) || (v & (v - 1))) {
			pr_err("--ringbuf-mb takes a power of two from 1 to 1024\n");
			return 2;
		}
		o->ringbuf_mb = v;
		return 0;
	case GMT_OPT_NO_GC:
		o->no_gc = true;
		return 0;
	case GMT_OPT_GOROUTINES:
		o->goroutines = true;
		return 0;
	case GMT_OPT_UMASK: {
		char *end;

		errno = 0;
		v = strtoull(arg, &end, 8);
		if (errno || end == arg || *end || v > 0777) {
			pr_err("--umask takes an octal mask from 0 to 0777\n");
			return 2;
		}
		gmt_recorder_set_umask((mode_t)v);
		return 0;
	}
	case GMT_OPT_BTF:
		o->btf = arg;
		return 0;
	case GMT_OPT_RUNTIME_FRAMES:
		o->runtime_frames = true;
		return 0;
	case GMT_OPT_FOLDED_MAX:
		if (gmt_parse_u64(arg, 0, 1 << 20, &v)) {
			pr_err("--folded-max-mb takes 0 (no bound) to 1048576\n");
			return 2;
		}
		o->folded_max_mb = v;
		return 0;
	case 'v':
		gmt_log_set_level(GMT_LOG_DEBUG);
		return 0;
	case 'q':
		gmt_log_set_level(GMT_LOG_ERROR);
		return 0;
	default:
		fputs(usage, stderr);
		return 2;
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * A heap-sampler sample: into the estimates, and what it added to them into the rate
 * bins at the moment it was sampled (records reach us in batches, long after).
 */
static int on_sample(struct gmt_session *s, const struct gmt_rec_mprof *r)
{
	struct gmt_sampled_stats before, after;
	int err;

	gmt_sampled__stats(s->sampled, &before);
	err = gmt_sampled__record(s->sampled, r);
	if (err)
		return err;
	gmt_sampled__stats(s->sampled, &after);
	if (after.est_alloc_bytes == before.est_alloc_bytes &&
	    after.est_alloc_objects == before.est_alloc_objects)
		return 0; /* not counted (a full table) */
	return gmt_ratebins__add(&s->bins, r->hdr.ts_ns,
				 after.est_alloc_objects - before.est_alloc_objects,
				 after.est_alloc_bytes - before.est_alloc_bytes);
}

/* Every ring-buffer record lands here: one switch on the kind tag. */
static int on_record(void *ctx, const void *data, size_t size)
{
	struct gmt_session *s = ctx;
	const struct gmt_rec_hdr *h = data;

	if (s->closing)
		return 0;
	if (size < sizeof(*h)) {
		s->bad_records++;
		return 0;
	}
	if (s->gc) {
		int err = gmt_gc_session__on_record(s->gc, data, size);

		if (err != -ENOENT)
			return err == -ENOMEM ? err : 0;
	}
	if (s->gor) {
		int err = gmt_gor_session__on_record(s->gor, data, size);

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

		if (size < sizeof(*r) || !s->agg) {
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
			return on_sample(s, r);
		return gmt_sampled__record(s->sampled, r);
	}
	default:
		s->bad_records++;
		return 0;
	}
}

/*
 * Exact mode's allocation rate over time: the kernel's counters, cumulative since the
 * probes went in, read every 250 ms and at the end.  They are current when read (every
 * allocation increments them in the probe), so a point is exact at its timestamp.
 */
static void add_rate_point(struct gmt_session *s, uint64_t now)
{
	uint64_t c[GMT_CNT__MAX];

	if (s->sampled || !s->agg || !s->tr || gmt_tracer__counters(s->tr, c))
		return;
	gmt_agg__add_rate_point(s->agg, now, c[GMT_CNT_ALLOCS], c[GMT_CNT_BYTES]);
}

static int add_alloc_row(void *ctx, const struct gmt_alloc_key *k, uint64_t n)
{
	return gmt_agg__add_allocs(ctx, k->stack_id, k->typ, k->size, n);
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

/* Sampled mode's typer: the type each allocation site's code passes (calltype.h). */
static uint64_t site_type(void *ctx, const uint64_t *pcs, uint32_t depth)
{
	const struct gmt_session *s = ctx;

	return gmt_calltype(s->gb, s->row, s->bias, pcs, depth);
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

int gmt_session_preflight(const struct gmt_session_opts *o, struct gmt_diag *d)
{
	int err = gmt_preflight_privileges(d);

	if (!err)
		err = gmt_preflight_kernel(gmt_btf_path(o->btf), d);
	if (!err)
		err = check_btf(gmt_btf_path(o->btf), d);
	return err;
}

/*
 * For tests only: GMT_FAULT=STEP[@PID][,STEP[@PID]...] makes the setup step STEP fail
 * as a real failure there would (in every target, or in PID only), so that the tests
 * reach every error path of a session while its probes deliver records.  The steps, in
 * the order they come: tracer (the allocation or sampler probes are in), gc (the GC
 * probes are in), goroutines (the goroutine probes are in), release (tracing starts:
 * a launched target runs), rate (sampled mode: the target's MemProfileRate was read,
 * and written if it was 0), sampler (sampled mode: the last step of the start); and
 * poll: the first poll that receives records fails as if out of memory.
 */
static int fault(const struct gmt_session *s, const char *step, struct gmt_diag *d)
{
	const char *f = getenv("GMT_FAULT");
	size_t n = strlen(step);

	while (f && *f) {
		const char *end = f + strcspn(f, ",");

		if ((size_t)(end - f) >= n && !strncmp(f, step, n) &&
		    (f + n == end || (f[n] == '@' && atoi(f + n + 1) == (int)s->t->pid)))
			return gmt_diag_set(d, -EIO, "GMT_FAULT: injected failure at step %s",
					    step);
		f = *end ? end + 1 : end;
	}
	return 0;
}

static void forget_stack(void *ctx, uint64_t id)
{
	struct gmt_session *s = ctx;

	if (s->tr)
		gmt_tracer__forget_stack(s->tr, id);
}

int gmt_session__open(const struct gmt_session_opts *o, struct gmt_target *t,
		      struct gmt_session **out, struct gmt_diag *d)
{
	struct gmt_tracer_opts to;
	struct gmt_session *s;
	int err = 0;

	*out = NULL;
	if (o->intervals && !o->sampled)
		return gmt_diag_set(d, -EINVAL, "interval profiles need sampled mode");
	s = calloc(1, sizeof(*s));
	if (!s)
		return gmt_diag_set(d, -ENOMEM, "out of memory");
	s->o = *o;
	s->o.an = NULL;
	s->t = t;
	if (o->an)
		s->an = gmt_analysis__get(o->an);
	else
		err = gmt_analysis__open(t->exe, &s->an, d);
	if (err) {
		gmt_target__name_exe(t, d);
		goto fail;
	}
	s->gb = s->an->gb;
	s->plan = &s->an->plan;
	s->row = gmt_analysis__row(s->an);
	/* The binary's part of the mode's checks: the analysis made them, `info` shows them. */
	err = gmt_analysis__check(s->an, o->sampled ? GMT_MODE_SAMPLED : GMT_MODE_EXACT, d);
	if (!err)
		err = target_bias(s->gb, t->pid, &s->bias, d);
	if (err)
		goto fail;
	if (!o->intervals) {
		s->agg = gmt_agg__new(s->row);
		if (!s->agg) {
			err = gmt_diag_set(d, -ENOMEM, "out of memory");
			goto fail;
		}
	}
	if (o->sampled) {
		s->mv = s->an->mr;
		if (!o->intervals) {
			s->inuse_agg = gmt_agg__new(s->row);
			if (!s->inuse_agg) {
				err = gmt_diag_set(d, -ENOMEM, "out of memory");
				goto fail;
			}
		}
		err = strip_ranges(s->plan, s->bias, &s->strip, &s->nstrip);
		if (err) {
			gmt_diag_set(d, err, "out of memory");
			goto fail;
		}
	}
	to = (struct gmt_tracer_opts){
		.pid = t->pid, .exe = t->exe, .bias = s->bias, .plan = s->plan,
		.alloc = !o->sampled, .sampled = o->sampled, .row = s->row,
		.ringbuf_mb = o->ringbuf_mb, .max_depth = o->max_depth,
		.agg_entries = o->agg_entries, .on_record = on_record, .ctx = s,
		.btf_path = gmt_btf_path(o->btf),
	};
	err = gmt_tracer__open(&to, &s->tr, d);
	if (!err)
		err = fault(s, "tracer", d);
	if (err)
		goto fail;
	/* The allocation probes are in (their attach takes milliseconds, the loading before
	 * it much longer): an exact recording of a running target counts from here. */
	s->attach_ns = now_ns();
	s->attach_wall_ns = wall_ns();
	if (!o->no_gc) {
		struct gmt_gc_session_opts go = {
			.pid = t->pid, .exe = t->exe, .bias = s->bias, .an = s->an,
			.ringbuf_fd = gmt_tracer__ringbuf_fd(s->tr),
			.counters_fd = gmt_tracer__counters_fd(s->tr),
			.btf_path = gmt_btf_path(o->btf),
		};

		err = gmt_gc_session__start(&go, &s->gc, d);
		if (err == -ENOENT) {
			pr_warn("%s; tracing allocations only\n", d->msg);
			d->msg[0] = 0;
		} else if (err || (err = fault(s, "gc", d))) {
			goto fail;
		}
	}
	if (o->goroutines) {
		struct gmt_gor_session_opts go = {
			.pid = t->pid, .exe = t->exe, .bias = s->bias, .an = s->an,
			.ringbuf_fd = gmt_tracer__ringbuf_fd(s->tr),
			.counters_fd = gmt_tracer__counters_fd(s->tr), .max_depth = o->max_depth,
			.btf_path = gmt_btf_path(o->btf),
		};

		err = gmt_gor_session__start(&go, &s->gor, d);
		if (!err)
			err = fault(s, "goroutines", d);
		if (err)
			goto fail;
	}
	gmt_procsym_init(&s->ps, s->gb, s->bias, &s->sym);
	*out = s;
	return 0;
fail:
	gmt_session__free(s);
	return err;
}

/*
 * Sampled mode: the rate the target samples at once tracing runs.  A launched target
 * gives its rate its start-up value first (memrate.h), so the rate is read, and written,
 * only after that.  A rate of 0 is set to the option's rate through the guard, which
 * __stop() and __free() restore; with no_write_target it is an error: nothing would be
 * sampled.
 */
static int setup_rate(struct gmt_session *s, struct gmt_diag *d)
{
	const struct gmt_target *t = s->t;
	uint64_t addr = s->mv.rate + s->bias;
	struct gmt_ratestate st = { .addr = addr, .written = (int64_t)s->o.rate };
	int64_t cur = 0;
	int err, r;

	s->rate_written = false;
	/* What a gomemtrace that was killed left in this process, undone first. */
	if (gmt_proc_id(t->pid, &st.target) < 0)
		return gmt_diag_set(d, -ESRCH, "PID %d exited", (int)t->pid);
	err = gmt_ratestate__check(&st.target, &s->state_buf, &r, d);
	if (err)
		return err;
	if (r == GMT_MEMRATE_WROTE)
		pr_warn("runtime.MemProfileRate of PID %d restored to %lld: a gomemtrace that "
			"was killed (PID %d) had left it at %lld\n",
			(int)t->pid, (long long)s->state_buf.original, s->state_buf.tracer.pid,
			(long long)s->state_buf.written);
	if (t->launched) {
		err = gmt_memrate_wait_startup(t->pid, &s->mv, s->bias, 5000, &cur, d);
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
		s->rate = (uint64_t)cur;
		pr_debug("runtime.MemProfileRate is %lld in PID %d: sampling at the target's own "
			 "rate\n", (long long)cur, (int)t->pid);
		return 0;
	}
	if (s->o.no_write_target)
		return gmt_diag_set(d, -ENODATA,
				    "runtime.MemProfileRate is %lld in PID %d (the binary does not "
				    "link the heap profiler): Go samples nothing, and "
				    "--no-write-target forbids setting it; nothing to trace "
				    "(drop --no-write-target, or use --mode exact)",
				    (long long)cur, (int)t->pid);
	/* Refused (privileges) before anything is announced or written down. */
	err = gmt_proc_open_mem(t->pid, O_RDWR, d);
	if (err < 0)
		return err;
	close(err);
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
	s->state_buf = st;
	s->state = &s->state_buf;
	pr_warn("runtime.MemProfileRate is %lld in PID %d: gomemtrace sets it to %llu while "
		"tracing and restores it afterwards (--no-write-target forbids this)\n",
		(long long)cur, (int)t->pid, (unsigned long long)s->o.rate);
	err = gmt_memrate_guard__set(t->pid, addr, (int64_t)s->o.rate, &s->guard, d);
	if (err < 0)
		return err;
	s->rate_written = err == GMT_MEMRATE_WROTE;
	if (!s->rate_written) {
		gmt_ratestate__remove(s->state);
		s->state = NULL;
	}
	s->rate = s->o.rate;
	return 0;
}

int gmt_session__start(struct gmt_session *s, struct gmt_diag *d)
{
	const struct gmt_target *t = s->t;
	int err;

	/*
	 * Exact mode counts from the first probe on: a running target's recording starts
	 * there, or the allocations made while the other probes went in would be counted
	 * in no time at all.  A launched target is held until released here.
	 */
	if (!s->o.sampled && !t->launched) {
		s->start_ns = s->attach_ns;
		s->start_wall_ns = s->attach_wall_ns;
	} else {
		s->start_ns = now_ns();
		s->start_wall_ns = wall_ns();
	}
	gmt_ratebins__init(&s->bins, s->start_ns, 0);
	s->iv_start_ns = s->start_ns;
	s->iv_start_wall_ns = s->start_wall_ns;
	err = gmt_target__release(s->t, d);
	if (!err)
		err = fault(s, "release", d);
	if (err)
		return err;
	if (s->o.sampled) {
		err = setup_rate(s, d);
		if (!err)
			err = fault(s, "rate", d);
		if (err)
			return err;
		if (s->o.intervals)
			s->sampled = gmt_sampled__new_intervals(s->rate, s->strip, s->nstrip,
								s->o.max_rows, forget_stack, s);
		else
			s->sampled = gmt_sampled__new(s->agg, s->inuse_agg, s->rate, s->strip,
						      s->nstrip);
		if (!s->sampled)
			return gmt_diag_set(d, -ENOMEM, "out of memory");
		gmt_sampled__set_typer(s->sampled, site_type, s);
		err = fault(s, "sampler", d);
		if (err)
			return err;
	}
	pr_info("tracing PID %d (%s, %s%s) with %zu probes%s%s\n", (int)t->pid, t->comm,
		s->an->rel.name, s->gb->stripped ? ", stripped" : "", gmt_session__nprobes(s),
		s->o.sampled		    ? " (sampled mode: Go's heap sampler)"
		: s->plan->size_specialized ? " (size-specialized allocators included)"
					   : "",
		s->o.intervals ? "" : "; Ctrl-C to stop");
	return 0;
}

int gmt_session__poll(struct gmt_session *s, int timeout_ms)
{
	int n = gmt_tracer__poll(s->tr, timeout_ms);
	uint64_t now = now_ns();

	if (n > 0 && fault(s, "poll", NULL))
		return -ENOMEM;

	/* Exact mode's rate points, 100 ms apart: the rate over time is interpolated
	 * between them, so a change of rate blurs over at most that much. */
	if (n >= 0 && now - s->last_point >= 100000000ULL) {
		add_rate_point(s, now);
		s->last_point = now;
	}
	if (n >= 0 && now - s->last_rate >= 250000000ULL) {
		/*
		 * GC and goroutine records do not wake the reader until a batch has piled
		 * up (shared.bpf.h): a wait on the ring buffer does not see them.  Read
		 * what is there first, or a sample counts what was true seconds ago.
		 */
		int m = timeout_ms ? gmt_tracer__poll(s->tr, 0) : 0;

		if (m < 0)
			return m;
		n += m;
		now = now_ns();
		s->last_rate = now;
		if (s->gor && gmt_gor_session__tick(s->gor, now))
			return -ENOMEM;
	}
	return n;
}

int gmt_session__epoll_fd(const struct gmt_session *s)
{
	return gmt_tracer__epoll_fd(s->tr);
}

/*
 * After detach: the target's rate back as it was, and the user told if it was not.  The
 * state file goes once nothing is left to undo; on an error it stays for
 * 'gomemtrace restore'.
 */
static void restore_rate(struct gmt_session *s)
{
	int r = gmt_memrate_guard__restore(s->guard);
	const struct gmt_target *t = s->t;

	if (s->state && (r >= 0 || r == -ESRCH)) {
		gmt_ratestate__remove(s->state);
		s->state = NULL;
	}

	if (r == GMT_MEMRATE_WROTE)
		pr_info("runtime.MemProfileRate of PID %d restored to %lld\n", (int)t->pid,
			(long long)gmt_memrate_guard__original(s->guard));
	else if (r == GMT_MEMRATE_LEFT)
		pr_warn("runtime.MemProfileRate of PID %d was changed by the program to %lld "
			"while tracing: left as it is\n",
			(int)t->pid, (long long)gmt_memrate_guard__seen(s->guard));
	else if (r < 0 && r != -ESRCH)
		pr_warn("cannot restore runtime.MemProfileRate of PID %d to %lld: %s\n",
			(int)t->pid, (long long)gmt_memrate_guard__original(s->guard),
			strerror(-r));
}

void gmt_session__end(struct gmt_session *s)
{
	if (!s || s->end_ns)
		return;
	s->end_ns = now_ns();
	/* The probes go only after this, and take a while: what they send meanwhile is
	 * stamped after the end and not applied, so the live heap is the one at the end. */
	if (s->sampled)
		gmt_sampled__end(s->sampled, s->end_ns);
}

void gmt_session__stop(struct gmt_session *s)
{
	if (!s || s->stopped)
		return;
	s->stopped = true;
	gmt_session__end(s);
	/* GC probes first: the allocation side's detach drains the shared ring buffer. */
	if (s->gc)
		gmt_gc_session__stop(s->gc, s->end_ns);
	gmt_gor_session__stop(s->gor);
	/*
	 * Exact mode counts in the kernel until its allocation probes go, and taking the
	 * GC probes out first takes a while (uprobes go one by one): its recording ends
	 * when the allocation probes start to go, so that the totals, the duration and the
	 * rate over time describe the same window.  The counters read after the detach are those of
	 * that moment.
	 */
	if (!s->o.sampled)
		s->end_ns = now_ns();
	if (s->tr)
		gmt_tracer__detach(s->tr);
	add_rate_point(s, s->end_ns);
	restore_rate(s);
}

/* ---- outputs ---- */

struct out_ctx {
	const struct gmt_session *s;
	const struct gmt_agg *agg;
	const struct gmt_agg *inuse_agg; /* sampled mode: estimated live objects */
	const struct gmt_run_info *ri;
	const struct gmt_pprof_opts *pprof;
	enum gmt_folded_value value;
	const struct gmt_sampled_stats *st;	  /* sampled mode */
	const struct gmt_gc_timeline *gc_tl;	  /* interval mode: the interval's GC */
	const struct gmt_sampled_bounds *bounds; /* interval mode */
};

static int w_pprof(FILE *f, void *ctx)
{
	struct out_ctx *c = ctx;

	return gmt_write_pprof(c->agg, &c->s->sym, f, c->ri, c->pprof);
}

static int w_inuse_pprof(FILE *f, void *ctx)
{
	struct out_ctx *c = ctx;
	struct gmt_pprof_opts o = *c->pprof;

	o.inuse_only = true;
	return gmt_write_pprof(c->inuse_agg, &c->s->sym, f, c->ri, &o);
}

/* A folded file within --folded-max-mb; how many stacks that merged is said once. */
static int folded(struct out_ctx *c, FILE *f, const struct gmt_agg *a, enum gmt_folded_value v,
		  const char *name)
{
	struct gmt_folded_opts o = {
		.runtime_frames = c->s->o.runtime_frames,
		.max_bytes = (uint64_t)c->s->o.folded_max_mb << 20,
	};
	uint64_t t0 = now_ns();
	int err = gmt_write_folded(a, &c->s->sym, f, v, &o);

	pr_debug("%s: %zu stacks, %zu lines, %ld bytes in %.3f s\n", name, o.stacks,
		 o.written_lines, ftell(f), (now_ns() - t0) / 1e9);
	if (!err && o.merged)
		gmt_log(c->bounds ? GMT_LOG_DEBUG : GMT_LOG_INFO,
			"%s: the %zu smallest of %zu stacks merged into [other stacks] lines "
			"to stay within %u MiB (--folded-max-mb)\n",
			name, o.merged, o.stacks, c->s->o.folded_max_mb);
	return err;
}

static int w_folded(FILE *f, void *ctx)
{
	struct out_ctx *c = ctx;

	return folded(c, f, c->agg, c->value,
		      c->value == GMT_FOLDED_COUNT ? "alloc_count.folded" : "alloc_bytes.folded");
}

static int w_inuse_folded(FILE *f, void *ctx)
{
	struct out_ctx *c = ctx;

	return folded(c, f, c->inuse_agg, GMT_FOLDED_BYTES, "inuse_bytes.folded");
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
	int err = gmt_write_report(c->agg, &c->s->sym, f, c->ri);

	if (!err && c->inuse_agg && c->st)
		err = gmt_write_report_inuse_scope(f, c->st->est_inuse_bytes,
						   c->st->est_inuse_objects, c->st->frees_ignored);
	if (!err && c->inuse_agg)
		err = gmt_write_report_inuse(c->inuse_agg, &c->s->sym, f);
	if (!err && c->s->gc && !c->gc_tl)
		gmt_gc_session__report(c->s->gc, f);
	if (!err && c->s->gor)
		err = gmt_goroutines__report(gmt_gor_session__agg(c->s->gor), f);
	return err;
}

static int w_summary(FILE *f, void *ctx)
{
	struct out_ctx *c = ctx;
	struct gmt_json *j = gmt_summary__begin(f);
	int err;

	if (!j)
		return -ENOMEM;
	err = gmt_summary__alloc_fields(j, c->agg, &c->s->sym, c->ri);
	if (c->st) {
		gmt_json__kuint(j, "rate", c->s->rate);
		gmt_json__kuint(j, "samples", c->st->samples);
		gmt_json__kuint(j, "est_alloc_objects", (uint64_t)llround(c->st->est_alloc_objects));
		gmt_json__kuint(j, "est_alloc_bytes", (uint64_t)llround(c->st->est_alloc_bytes));
		gmt_json__kuint(j, "est_inuse_objects", (uint64_t)llround(c->st->est_inuse_objects));
		gmt_json__kuint(j, "est_inuse_bytes", (uint64_t)llround(c->st->est_inuse_bytes));
		/* The live heap holds only what was sampled while tracing: say so. */
		gmt_json__kstr(j, "est_inuse_covers", GMT_INUSE_COVERS);
		gmt_json__kuint(j, "sampled_frees", c->st->frees);
		gmt_json__kuint(j, "sampled_frees_ignored", c->st->frees_ignored);
		gmt_json__kuint(j, "sampler_unmatched", c->st->unmatched);
		gmt_json__kuint(j, "sampler_after_end", c->st->after_end);
		/* With the sampler hits and the drops in "counters":
		 * alloc_hits = alloc_morestack + sampler_records + mprof_rb_drops. */
		gmt_json__kuint(j, "sampler_records", c->s->sampler_records);
		gmt_json__kbool(j, "target_rate_written", c->s->rate_written);
		if (c->inuse_agg)
			gmt_summary__inuse_types(j, c->inuse_agg);
	}
	if (c->bounds) {
		gmt_json__kuint(j, "table_rows", c->bounds->rows);
		gmt_json__kuint(j, "table_stacks", c->bounds->stacks);
		gmt_json__kuint(j, "table_max_rows", c->s->o.max_rows);
		gmt_json__kuint(j, "rows_peak", c->bounds->rows_peak);
		gmt_json__kuint(j, "rows_evicted", c->bounds->rows_evicted);
		gmt_json__kuint(j, "stacks_evicted", c->bounds->stacks_evicted);
		gmt_json__kuint(j, "samples_dropped", c->bounds->samples_dropped);
		gmt_json__kuint(j, "stacks_dropped", c->bounds->stacks_dropped);
	}
	if (c->s->gc && c->gc_tl)
		gmt_gc_session__interval_summary_fields(c->s->gc, c->gc_tl, j);
	else if (c->s->gc)
		gmt_gc_session__summary_fields(c->s->gc, j);
	if (c->s->gor)
		gmt_goroutines__summary_fields(gmt_gor_session__agg(c->s->gor), j);
	return gmt_summary__end(j) ?: err;
}

/* The allocation rate as the GC timeline's counter track wants it. */
static int write_gc(struct out_ctx *c, const char *dir, struct gmt_diag *d)
{
	struct gmt_rate_interval *iv = NULL;
	int n = gmt_rate_intervals(c->agg, c->ri, &iv), err;
	uint64_t *ts = calloc(n > 0 ? n : 1, sizeof(*ts));
	double *rate = calloc(n > 0 ? n : 1, sizeof(*rate));
	struct gmt_gc_session *gc = c->s->gc;

	if (n < 0 || !ts || !rate) {
		err = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		/* A counter track's value holds from its timestamp on: the bucket's start. */
		ts[i] = c->ri->start_ns + (uint64_t)((iv[i].t_s - iv[i].dt_s) * 1e9);
		rate[i] = iv[i].bytes_per_s;
	}
	if (c->gc_tl)
		err = gmt_gc_session__write_interval(gc, c->gc_tl, dir, c->ri, ts, rate, n, d);
	else
		err = gmt_gc_session__write(gc, dir, c->ri, ts, rate, n, d);
out:
	free(iv);
	free(ts);
	free(rate);
	return err;
}

/* Every file of a profile set, each atomically. */
static int write_set(struct out_ctx *c, const char *dir, struct gmt_diag *d)
{
	int err;

	err = gmt_outdir_prepare(dir, d);
	if (!err)
		err = gmt_write_file_atomic(dir, "alloc.pb.gz", w_pprof, c, d);
	if (!err && c->inuse_agg && c->gc_tl)
		err = gmt_write_file_atomic(dir, "inuse.pb.gz", w_inuse_pprof, c, d);
	c->value = GMT_FOLDED_BYTES;
	if (!err)
		err = gmt_write_file_atomic(dir, "alloc_bytes.folded", w_folded, c, d);
	c->value = GMT_FOLDED_COUNT;
	if (!err)
		err = gmt_write_file_atomic(dir, "alloc_count.folded", w_folded, c, d);
	if (!err && c->inuse_agg)
		err = gmt_write_file_atomic(dir, "inuse_bytes.folded", w_inuse_folded, c, d);
	if (!err)
		err = gmt_write_file_atomic(dir, "report.txt", w_report, c, d);
	if (!err)
		err = gmt_write_file_atomic(dir, "summary.json", w_summary, c, d);
	if (!err && c->s->gor)
		err = gmt_gor_session__write(c->s->gor, dir, &c->s->sym, d);
	if (!err && c->s->gc && c->s->gor) {
		struct gmt_counter_track live = { "goroutines live", "goroutines" };

		live.n = gmt_goroutines__track(gmt_gor_session__agg(c->s->gor), &live.ts, &live.v);
		err = gmt_gc_session__add_track(c->s->gc, &live);
		if (err)
			gmt_diag_set(d, err, "gc.json: %s", strerror(-err));
	}
	if (!err && c->s->gc)
		err = write_gc(c, dir, d);
	return err;
}

static void fill_run_info(const struct gmt_session *s, struct gmt_run_info *ri)
{
	ri->mode = s->o.sampled ? "sampled" : "exact";
	ri->go_version = s->an->rel.name;
	ri->binary = s->t->path;
	ri->comm = s->t->comm;
	ri->pid = s->t->pid;
	ri->ringbuf_mb = s->o.ringbuf_mb;
	ri->sampled = s->o.sampled;
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

int gmt_session__write(struct gmt_session *s, const char *dir, struct gmt_diag *d)
{
	struct gmt_run_info ri = {0};
	struct gmt_pprof_opts pprof = { .period = 1, .runtime_frames = s->o.runtime_frames };
	struct gmt_sampled_stats st;
	struct out_ctx c = { .s = s, .agg = s->agg, .inuse_agg = s->inuse_agg, .ri = &ri,
			     .pprof = &pprof };
	int err;

	if (s->o.intervals || !s->stopped)
		return gmt_diag_set(d, -EINVAL, "the outputs are written once tracing stopped");
	fill_run_info(s, &ri);
	ri.start_ns = s->start_ns;
	ri.start_wall_ns = s->start_wall_ns;
	ri.end_ns = s->end_ns;
	ri.duration_s = (ri.end_ns - ri.start_ns) / 1e9;
	gmt_tracer__counters(s->tr, ri.counters);
	err = gmt_tracer__for_each_alloc(s->tr, add_alloc_row, s->agg);
	if (err)
		return gmt_diag_set(d, err, "reading the allocation table: %s", strerror(-err));
	exe_mapping(s->gb, s->bias, s->t, &pprof.mapping);
	if (s->sampled) {
		err = gmt_sampled__flush(s->sampled);
		if (!err)
			err = gmt_agg__finish(s->inuse_agg, &s->sym);
		if (err)
			return gmt_diag_set(d, err, "aggregation: %s", strerror(-err));
		gmt_sampled__stats(s->sampled, &st);
		ri.samples = st.samples;
		err = gmt_ratebins__to_points(&s->bins, ri.end_ns, s->agg);
		if (err)
			return gmt_diag_set(d, err, "aggregation: %s", strerror(-err));
		c.st = &st;
		pprof.period = s->rate;
		pprof.inuse = true;
		pprof.inuse_fn = pprof_inuse;
		pprof.inuse_ctx = s->sampled;
	} else {
		c.inuse_agg = NULL;
	}
	err = gmt_agg__finish(s->agg, &s->sym);
	if (!err && s->gor)
		err = gmt_gor_session__finish(s->gor, &s->sym, s->start_ns, s->end_ns);
	if (err)
		return gmt_diag_set(d, err, "aggregation: %s", strerror(-err));
	err = write_set(&c, dir, d);
	if (err)
		return err;
	report_drops(&ri, s->bad_records);
	if (s->sampled) {
		pr_info("%llu samples at rate %llu: ~%.0f allocations, ~%.0f bytes, "
			"~%.0f bytes still live in %.1f s; outputs in %s/\n",
			(unsigned long long)st.samples, (unsigned long long)s->rate,
			st.est_alloc_objects, st.est_alloc_bytes, st.est_inuse_bytes,
			ri.duration_s, dir);
	} else {
		const struct gmt_agg_totals *tot = gmt_agg__totals(s->agg);

		pr_info("%llu allocations, %llu bytes in %.1f s; outputs in %s/\n",
			(unsigned long long)tot->allocs, (unsigned long long)tot->bytes,
			ri.duration_s, dir);
	}
	if (s->gor) {
		struct gmt_gor_stats gs;

		gmt_goroutines__stats(gmt_gor_session__agg(s->gor), &gs);
		pr_info("goroutines: %llu live at the end (+%llu of the runtime), %llu created, "
			"%llu exited; %llu probable leak site%s (report.txt)\n",
			(unsigned long long)gs.live, (unsigned long long)gs.live_runtime,
			(unsigned long long)gs.created, (unsigned long long)gs.exited,
			(unsigned long long)gs.leak_sites, gs.leak_sites == 1 ? "" : "s");
	}
	return 0;
}

static void interval_gc(const struct gmt_gc_timeline *tl, struct gmt_interval *iv)
{
	const struct gmt_stw *stws;
	size_t n = gmt_gc_timeline__stws(tl, &stws);
	struct gmt_gc_stats st;

	gmt_gc_timeline__stats(tl, &st);
	iv->gc_cycles = st.cycles;
	iv->stw_pauses = st.stw_pauses;
	iv->stw_total_ns = st.stw_total_ns;
	iv->stw_max_ns = st.stw_max_ns;
	for (size_t i = 0; i < n; i++) {
		if (stws[i].start && stws[i].end)
			iv->pause_hist[gmt_pause_bucket(stws[i].end - stws[i].start)]++;
	}
}

int gmt_session__write_interval(struct gmt_session *s, const char *dir, struct gmt_interval *iv,
				struct gmt_diag *d)
{
	struct gmt_run_info ri = {0};
	struct gmt_pprof_opts pprof = { .period = s->rate, .inuse = true, .inuse_fn = pprof_inuse,
					.inuse_ctx = s->sampled,
					.runtime_frames = s->o.runtime_frames };
	struct gmt_sampled_stats st;
	struct gmt_sampled_bounds bounds;
	struct gmt_gc_timeline *gc_tl = NULL;
	struct gmt_agg *alloc = NULL, *inuse = NULL;
	uint64_t cnt[GMT_CNT__MAX], now;
	struct out_ctx c = { .s = s, .ri = &ri, .pprof = &pprof, .st = &st, .bounds = &bounds };
	int err;

	memset(iv, 0, sizeof(*iv));
	if (!s->o.intervals || !s->sampled)
		return gmt_diag_set(d, -EINVAL, "not an interval session");
	/* What the ring buffer holds now belongs to this interval. */
	if (!s->stopped)
		gmt_tracer__poll(s->tr, 0);
	now = s->stopped ? s->end_ns : now_ns();
	fill_run_info(s, &ri);
	ri.start_ns = s->iv_start_ns;
	ri.start_wall_ns = s->iv_start_wall_ns;
	ri.end_ns = now;
	ri.duration_s = (now - s->iv_start_ns) / 1e9;
	gmt_tracer__counters(s->tr, cnt);
	for (int i = 0; i < GMT_CNT__MAX; i++)
		ri.counters[i] = cnt[i] - s->cnt_mark[i];
	exe_mapping(s->gb, s->bias, s->t, &pprof.mapping);

	alloc = gmt_agg__new(s->row);
	inuse = gmt_agg__new(s->row);
	if (!alloc || !inuse) {
		err = gmt_diag_set(d, -ENOMEM, "out of memory");
		goto out;
	}
	err = gmt_sampled__snapshot(s->sampled, alloc, inuse, &st);
	ri.samples = st.samples;
	if (!err)
		err = gmt_ratebins__to_points(&s->bins, now, alloc);
	if (!err)
		err = gmt_agg__finish(alloc, &s->sym);
	if (!err)
		err = gmt_agg__finish(inuse, &s->sym);
	/* Goroutines: the live ones now, growth since the start of the trace. */
	if (!err && s->gor)
		err = gmt_gor_session__finish(s->gor, &s->sym, s->start_ns, now);
	if (err) {
		gmt_diag_set(d, err, "aggregation: %s", strerror(-err));
		goto out;
	}
	if (s->gc) {
		const struct gmt_stw *left;

		gc_tl = gmt_gc_session__rotate(s->gc, now);
		if (!gc_tl) {
			err = gmt_diag_set(d, -ENOMEM, "out of memory");
			goto out;
		}
		/* What stays behind (the running cycle's pauses) was looked at already. */
		s->stw_seen = gmt_gc_session__stws(s->gc, &left);
		interval_gc(gc_tl, iv);
	}
	gmt_sampled__bounds(s->sampled, &bounds);
	c.agg = alloc;
	c.inuse_agg = inuse;
	c.gc_tl = gc_tl;
	err = write_set(&c, dir, d);

	iv->duration_s = ri.duration_s;
	iv->samples = st.samples;
	iv->est_alloc_bytes = st.est_alloc_bytes;
	iv->est_alloc_objects = st.est_alloc_objects;
	iv->est_inuse_bytes = st.est_inuse_bytes;
	iv->est_inuse_objects = st.est_inuse_objects;
	iv->drops = ri.counters[GMT_CNT_RB_DROPS] + ri.counters[GMT_CNT_RB_DROPS_STACK] +
		    ri.counters[GMT_CNT_MPROF_RB_DROPS] + ri.counters[GMT_CNT_GC_RB_DROPS];
	iv->samples_dropped = bounds.samples_dropped;

	/* The next interval starts now, whether or not this one could be written. */
	memcpy(s->cnt_mark, cnt, sizeof(cnt));
	s->iv_start_ns = now;
	s->iv_start_wall_ns = wall_ns();
	gmt_ratebins__reset(&s->bins, now);
	if (gmt_sampled__evict(s->sampled) == -ENOMEM && !err)
		err = gmt_diag_set(d, -ENOMEM, "out of memory");
	gmt_sampled__bounds(s->sampled, &bounds);
	iv->rows = bounds.rows;
	iv->stacks = bounds.stacks;
	iv->rows_evicted = bounds.rows_evicted;
out:
	gmt_gc_timeline__free(gc_tl);
	gmt_agg__free(alloc);
	gmt_agg__free(inuse);
	return err;
}

double gmt_session__live_bytes(const struct gmt_session *s)
{
	return s->sampled ? gmt_sampled__live_bytes(s->sampled) : 0;
}

uint64_t gmt_session__new_max_pause(struct gmt_session *s)
{
	const struct gmt_stw *stws;
	size_t n = s->gc ? gmt_gc_session__stws(s->gc, &stws) : 0;
	uint64_t max = 0;

	if (n < s->stw_seen)
		s->stw_seen = 0;
	for (size_t i = s->stw_seen; i < n; i++)
		if (stws[i].start && stws[i].end && stws[i].end - stws[i].start > max)
			max = stws[i].end - stws[i].start;
	s->stw_seen = n;
	return max;
}

const char *gmt_session__go_version(const struct gmt_session *s)
{
	return s->an->rel.name;
}

uint64_t gmt_session__rate(const struct gmt_session *s)
{
	return s->rate;
}

bool gmt_session__rate_written(const struct gmt_session *s)
{
	return s->rate_written;
}

size_t gmt_session__nprobes(const struct gmt_session *s)
{
	return (s->tr ? gmt_tracer__nprobes(s->tr) : 0) +
	       (s->gc ? gmt_gc_session__nprobes(s->gc) : 0) + gmt_gor_session__nprobes(s->gor);
}

const struct gmt_goroutines *gmt_session__goroutines(const struct gmt_session *s)
{
	return s->gor ? gmt_gor_session__agg(s->gor) : NULL;
}

void gmt_session__free(struct gmt_session *s)
{
	if (!s)
		return;
	/*
	 * Error paths come here without __stop().  Every probe goes first (GC, goroutines,
	 * allocations), then the ring buffer is drained while every consumer still lives,
	 * then the rate is restored.  A GC probe left in while the allocation probes go
	 * would go on writing records that reach the GC timeline after it is freed.
	 */
	if (!s->stopped) {
		gmt_gc_session__detach(s->gc);
		gmt_gor_session__stop(s->gor);
		if (s->tr)
			pr_debug("teardown: %d records drained after the probes went\n",
				 gmt_tracer__detach(s->tr));
		restore_rate(s);
	}
	/* Nothing that is still on its way reaches what goes below. */
	s->closing = true;
	/* In reverse order of creation: __start()'s, then __open()'s. */
	gmt_sampled__free(s->sampled);
	gmt_ratebins__free(&s->bins);
	gmt_memrate_guard__free(s->guard);
	gmt_gor_session__free(s->gor);
	gmt_gc_session__free(s->gc);
	gmt_tracer__free(s->tr);
	free(s->strip);
	gmt_agg__free(s->inuse_agg);
	gmt_agg__free(s->agg);
	gmt_analysis__put(s->an);
	free(s);
}
