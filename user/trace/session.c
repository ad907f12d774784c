// SPDX-License-Identifier: MIT
/*
 * One traced process (session.h), from open to free: the binary and its hook plan, the
 * allocation, GC and goroutine probes on one ring buffer, the records into the
 * aggregators, the sampler's rate (rateguard.h), and what a profile set is filled with
 * (profile_set.h).  What is not about one process's lifecycle lives elsewhere: the
 * options and the preflight in cli/, the fault injection in fault.c, what each mode can
 * do with a binary in the analysis (goruntime/analysis.h).
 */
#include "session.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aggregate.h"
#include "analysis.h"
#include "calltype.h"
#include "fault.h"
#include "gc_session.h"
#include "gsnap.h"
#include "gc_timeline.h"
#include "gobin.h"
#include "gor_session.h"
#include "goroutines.h"
#include "hookplan.h"
#include "leakflag.h"
#include "log.h"
#include "memrate.h"
#include "mprof.h"
#include "out_gc.h"
#include "outputs.h"
#include "preflight.h"
#include "procmaps.h"
#include "procsym.h"
#include "profile_set.h"
#include "ratebins.h"
#include "rateguard.h"
#include "runinfo.h"
#include "sampled.h"
#include "snapshot.h"
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
	struct gmt_rateguard *rg; /* sampled mode: the target's MemProfileRate */
	struct gmt_pc_range *strip;
	size_t nstrip;
	struct gmt_tracer *tr;
	struct gmt_gc_session *gc;
	struct gmt_gor_session *gor; /* --goroutines */
	struct gmt_agg *agg;	   /* record: the whole recording */
	struct gmt_agg *inuse_agg; /* record, sampled mode: the live heap at the end */
	struct gmt_sampled *sampled;
	uint64_t rate; /* sampled mode: the rate the target samples at */
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
	/* Sampled mode: the live heap, the runtime's buckets read at the end of the window. */
	struct gmt_mprof live_p;
	struct gmt_live_heap live;
	char live_why[256];

	/* Interval mode */
	uint64_t iv_start_ns, iv_start_wall_ns;
	/* o.snapshots: fed by every interval's snapshot; record: by its goroutine reads */
	struct gmt_leakflag *leaks;
	const struct gmt_memory_report *mem; /* for the next set's report.html, NULL: none */
	/* The goroutines of the last snapshot read, for the next set's report.html */
	struct gmt_gsnap gs;
	int64_t gs_now;
	uint64_t cnt_mark[GMT_CNT__MAX];
	size_t stw_seen; /* pauses of the GC timeline already looked at (thresholds) */

	/* record: summary.json's figures, for OTLP export (gmt_session__recording()) */
	struct gmt_otlp_recording rec;
	bool rec_valid;
};

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
		err = gmt_proc_exe_bias(s->gb, t->pid, &s->bias, d);
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
		err = gmt_fault("tracer", s->t->pid, d);
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
		} else if (err || (err = gmt_fault("gc", s->t->pid, d))) {
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
			err = gmt_fault("goroutines", s->t->pid, d);
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
		err = gmt_fault("release", s->t->pid, d);
	if (err)
		return err;
	if (s->o.sampled) {
		err = gmt_rateguard__start(t, &s->mv, s->bias, s->o.rate, s->o.no_write_target,
					   &s->rg, d);
		if (!err)
			err = gmt_fault("rate", s->t->pid, d);
		if (err)
			return err;
		s->rate = gmt_rateguard__rate(s->rg);
		if (s->o.intervals)
			s->sampled = gmt_sampled__new_intervals(s->rate, s->strip, s->nstrip,
								s->o.max_rows, forget_stack, s);
		else
			s->sampled = gmt_sampled__new(s->agg, s->inuse_agg, s->rate, s->strip,
						      s->nstrip);
		if (!s->sampled)
			return gmt_diag_set(d, -ENOMEM, "out of memory");
		gmt_sampled__set_typer(s->sampled, site_type, s);
		err = gmt_fault("sampler", s->t->pid, d);
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

	if (n > 0 && gmt_fault("poll", s->t->pid, NULL))
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
 * The live heap of the window that ends now: the runtime's own buckets (snapshot.h),
 * which hold every sampled object still live whether sampled before or after the
 * attach.  Read before the rate is restored, while the process is known to be the one
 * traced.  What could not be read is said in the outputs (and here when warn).
 */
static void read_live_heap(struct gmt_session *s, bool warn)
{
	struct gmt_snapshot_result r;
	struct gmt_diag d = {};
	int err;

	gmt_mprof_free(&s->live_p);
	memset(&s->live, 0, sizeof(s->live));
	s->live.rate_raised = gmt_rateguard__written(s->rg);
	if (s->t->exited || gmt_target__execd(s->t))
		err = gmt_diag_set(&d, -ESRCH, "PID %d was gone at the end of the window",
				   (int)s->t->pid);
	else
		err = gmt_snapshot_read_heap(s->t, s->an, &s->live_p, &r, &d);
	/* snapshot's line for this points to record and daemon: say it for what we are. */
	if (err == -ENODATA)
		gmt_diag_set(&d, err, "no heap-profile bucket in PID %d: nothing sampled yet at "
				      "MemProfileRate %lld", (int)s->t->pid, (long long)r.rate);
	if (err) {
		snprintf(s->live_why, sizeof(s->live_why), "%s", gmt_diag_msg(&d, err));
		s->live.why = s->live_why;
		if (warn)
			pr_warn("live heap: %s\n", s->live_why);
		return;
	}
	s->live.p = &s->live_p;
	s->live.rate = r.rate;
	s->live.alloc_objects = r.alloc_objects;
	s->live.alloc_space = r.alloc_space;
	s->live.inuse_objects = r.inuse_objects;
	s->live.inuse_space = r.inuse_space;
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
	if (s->sampled && !s->o.intervals)
		read_live_heap(s, true);
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
	gmt_rateguard__restore(s->rg);
}

/* ---- what the profile sets are filled with (profile_set.h) ---- */

static int pprof_inuse(void *ctx, const struct gmt_agg_stack *s, uint64_t *objects,
		       uint64_t *bytes)
{
	gmt_sampled__inuse(ctx, s->id, objects, bytes);
	return 0;
}

/* What every set of this session has: the process, its symbols, the options. */
static void set_init(const struct gmt_session *s, struct gmt_run_info *ri,
		     struct gmt_profile_set *ps)
{
	memset(ps, 0, sizeof(*ps));
	ps->ri = ri;
	ps->sym = &s->sym;
	ps->runtime_frames = s->o.runtime_frames;
	ps->folded_max_mb = s->o.folded_max_mb;
	ps->pprof.period = 1;
	ps->pprof.runtime_frames = s->o.runtime_frames;
	gmt_pprof_exe_mapping(s->gb, s->bias, s->t->path, &ps->pprof.mapping);
	if (s->o.sampled) {
		ps->pprof.period = s->rate;
		ps->pprof.inuse = true;
		ps->pprof.inuse_fn = pprof_inuse;
		ps->pprof.inuse_ctx = s->sampled;
		ps->rate = s->rate;
		ps->sampler_records = s->sampler_records;
		ps->rate_written = gmt_rateguard__written(s->rg);
	}
	ps->gor = s->gor ? gmt_gor_session__agg(s->gor) : NULL;
	ps->mem = s->mem;
}

/* The goroutines of the snapshot just read (none when it failed or was not taken). */
static void set_goroutines(const struct gmt_session *s, struct gmt_profile_set *ps)
{
	ps->gsnap = s->gs.gs ? &s->gs : NULL;
	ps->gsnap_row = s->row;
	ps->gsnap_now_ns = s->gs_now;
}

void gmt_session__set_memory(struct gmt_session *s, const struct gmt_memory_report *mem)
{
	s->mem = mem;
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

/* summary.json's figures, as it writes them, for gmt_session__recording(). */
/* The whole pauses of tl (seen from start to end), by reason. */
static void pauses_of(const struct gmt_gc_timeline *tl, struct gmt_pauses *p)
{
	const struct gmt_stw *stws;
	size_t n = gmt_gc_timeline__stws(tl, &stws);
	char name[GMT_PAUSE_REASON_LEN];

	*p = (struct gmt_pauses){0};
	for (size_t i = 0; i < n; i++) {
		if (!stws[i].start || !stws[i].end)
			continue;
		gmt_stw_name(&stws[i], name, sizeof(name));
		gmt_pauses_add(p, name, stws[i].end - stws[i].start);
	}
}

static void keep_recording(struct gmt_session *s, const struct gmt_run_info *ri,
			   const struct gmt_sampled_stats *st, const struct gmt_gc_timeline *tl)
{
	struct gmt_otlp_recording *r = &s->rec;

	*r = (struct gmt_otlp_recording){ .sampled = st != NULL,
					  .start_unix_ns = ri->start_wall_ns,
					  .dropped = gmt_dropped(ri) };
	if (st) {
		r->alloc_bytes = (uint64_t)llround(st->est_alloc_bytes);
		r->alloc_objects = (uint64_t)llround(st->est_alloc_objects);
		r->has_inuse = true;
		r->inuse_bytes = (uint64_t)llround(st->est_inuse_bytes);
	} else {
		const struct gmt_agg_totals *tot = gmt_agg__totals(s->agg);

		r->alloc_bytes = tot->bytes;
		r->alloc_objects = tot->allocs;
	}
	if (tl) {
		struct gmt_gc_stats gs;

		gmt_gc_timeline__stats(tl, &gs);
		r->has_gc = true;
		r->gc_cycles = gs.cycles;
		r->stw_pauses = gs.stw_pauses;
		r->stw_total_ns = gs.stw_total_ns;
		pauses_of(tl, &r->pauses);
	}
	s->rec_valid = true;
}

int gmt_session__recording(const struct gmt_session *s, struct gmt_otlp_recording *r)
{
	if (!s->rec_valid)
		return -EINVAL;
	*r = s->rec;
	/* The goroutines as of the last read (the end's snapshot, when it was taken). */
	if (s->leaks && gmt_leakflag__reads(s->leaks)) {
		r->has_goroutines = true;
		r->goroutines = gmt_leakflag__goroutines(s->leaks);
		r->has_leaks = true;
		r->leak_groups = gmt_leakflag__nflagged(s->leaks, &r->leak_goroutines);
	}
	return 0;
}

int gmt_session__write(struct gmt_session *s, const char *dir, struct gmt_diag *d)
{
	char where[4200];
	struct gmt_run_info ri = {0};
	struct gmt_sampled_stats st;
	struct gmt_profile_set ps;
	struct gmt_gc_out gc;
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
	set_init(s, &ri, &ps);
	ps.agg = s->agg;
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
		ps.st = &st;
		ps.inuse_agg = s->inuse_agg;
		ps.live = &s->live;
	}
	ps.leaks = s->leaks;
	err = gmt_agg__finish(s->agg, &s->sym);
	if (!err && s->gor)
		err = gmt_gor_session__finish(s->gor, &s->sym, s->start_ns, s->end_ns);
	if (err)
		return gmt_diag_set(d, err, "aggregation: %s", strerror(-err));
	if (s->gc) {
		gmt_gc_session__out(s->gc, NULL, &gc);
		ps.gc = &gc;
	}
	set_goroutines(s, &ps);
	err = gmt_profile_set_write(&ps, dir, d);
	if (err)
		return err;
	keep_recording(s, &ri, s->sampled ? &st : NULL, s->gc ? gc.tl : NULL);
	report_drops(&ri, s->bad_records);
	if (dir)
		snprintf(where, sizeof(where), "outputs in %s/", dir);
	else
		snprintf(where, sizeof(where), "no file written (--no-local)");
	if (s->sampled) {
		pr_info("%llu samples at rate %llu: ~%.0f allocations, ~%.0f bytes, "
			"~%.0f bytes still live in %.1f s; %s\n",
			(unsigned long long)st.samples, (unsigned long long)s->rate,
			st.est_alloc_objects, st.est_alloc_bytes, st.est_inuse_bytes,
			ri.duration_s, where);
	} else {
		const struct gmt_agg_totals *tot = gmt_agg__totals(s->agg);

		pr_info("%llu allocations, %llu bytes in %.1f s; %s\n",
			(unsigned long long)tot->allocs, (unsigned long long)tot->bytes,
			ri.duration_s, where);
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

static int target_gone(const struct gmt_session *s, struct gmt_diag *d)
{
	if (s->t->exited || gmt_target__execd(s->t))
		return gmt_diag_set(d, -ESRCH, "PID %d is gone", (int)s->t->pid);
	return 0;
}

int gmt_session__read_goroutines(struct gmt_session *s, struct gmt_diag *d)
{
	int err;

	if (!s->leaks)
		s->leaks = gmt_leakflag__new();
	if (!s->leaks)
		return gmt_diag_set(d, -ENOMEM, "out of memory");
	err = target_gone(s, d);
	return err ?: gmt_snapshot_read_leaks(s->t, s->an, s->leaks, d);
}

int gmt_session__write_snapshot(struct gmt_session *s, const char *dir, struct gmt_diag *d)
{
	/* Sampled mode's heap.pb.gz is the live heap (read_live_heap()): not read twice;
	 * memory_end.json is record's. */
	struct gmt_snapshot_opts so = { .dir = dir, .heap = !s->o.sampled, .goroutines = true,
					.no_memory = true, .heap_quiet = true, .leaks = s->leaks,
					.keep = &s->gs, .keep_now = &s->gs_now };
	struct gmt_snapshot_result r;
	int err = target_gone(s, d);

	gmt_gsnap_free(&s->gs);

	if (!err)
		err = gmt_snapshot_read(s->t, s->an, &so, &r, NULL, d);
	/* snapshot's own line would point to record: say it for exact mode. */
	if (!err && so.heap && !r.buckets)
		pr_info("no heap.pb.gz: PID %d has no heap-profile bucket (MemProfileRate %lld; "
			"sampled mode raises it)\n", (int)s->t->pid, (long long)r.rate);
	return err;
}

static void interval_gc(const struct gmt_gc_timeline *tl, struct gmt_interval *iv)
{
	struct gmt_gc_stats st;

	gmt_gc_timeline__stats(tl, &st);
	iv->gc_cycles = st.cycles;
	iv->stw_pauses = st.stw_pauses;
	iv->stw_total_ns = st.stw_total_ns;
	iv->stw_max_ns = st.stw_max_ns;
	pauses_of(tl, &iv->pauses);
}

/*
 * The interval's snapshot (snapshot.h) into its set: goroutines.txt, goroutines.pb.gz,
 * and memory.json as soon as the snapshot writes it.  heap.pb.gz is the set's live heap
 * (read_live_heap(), written by profile_set.c).  Its goroutines feed the leak flagger.
 * A snapshot that fails is said, and the set is written without it.
 */
static void interval_snapshot(struct gmt_session *s, const char *dir)
{
	/* The heap profile is the set's live heap (read_live_heap()): not read twice. */
	struct gmt_snapshot_opts so = { .dir = dir, .heap = false, .goroutines = true,
					.no_memory = !dir, .keep = &s->gs, .keep_now = &s->gs_now };
	struct gmt_snapshot_result r;
	struct gmt_diag d = {};
	int err;

	gmt_gsnap_free(&s->gs);

	if (!s->leaks)
		s->leaks = gmt_leakflag__new(); /* NULL: the files without the flags */
	so.leaks = s->leaks;
	err = gmt_snapshot_read(s->t, s->an, &so, &r, NULL, &d);
	if (err)
		pr_warn("PID %d: snapshot: %s\n", (int)s->t->pid, gmt_diag_msg(&d, err));
}

int gmt_session__write_interval(struct gmt_session *s, const char *dir,
				const struct gmt_metrics_export *ex, struct gmt_interval *iv,
				struct gmt_diag *d)
{
	struct gmt_run_info ri = {0};
	struct gmt_sampled_stats st;
	struct gmt_sampled_bounds bounds;
	struct gmt_gc_timeline *gc_tl = NULL;
	struct gmt_agg *alloc = NULL, *inuse = NULL;
	struct gmt_profile_set ps;
	struct gmt_gc_out gc;
	uint64_t cnt[GMT_CNT__MAX], now;
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
	set_init(s, &ri, &ps);

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
	ps.interval = true;
	ps.agg = alloc;
	ps.inuse_agg = inuse;
	ps.inuse_pprof = true;
	ps.st = &st;
	ps.bounds = &bounds;
	ps.max_rows = s->o.max_rows;
	ps.export = ex;
	/* --no-snapshot: the target's memory is not read, the live heap is the probes'. */
	if (s->o.snapshots) {
		read_live_heap(s, false);
		ps.live = &s->live;
	}
	if (gc_tl) {
		gmt_gc_session__out(s->gc, gc_tl, &gc);
		ps.gc = &gc;
	}
	/* A target that exited or exec'd has nothing left to read: its last set goes without. */
	gmt_gsnap_free(&s->gs); /* the last interval's */
	if (s->o.snapshots && !s->t->exited && !gmt_target__execd(s->t)) {
		interval_snapshot(s, dir);
		ps.leaks = s->leaks;
	}
	set_goroutines(s, &ps);
	err = gmt_profile_set_write(&ps, dir, d);

	if (s->leaks && gmt_leakflag__reads(s->leaks)) {
		iv->has_leaks = true;
		iv->leak_groups = gmt_leakflag__nflagged(s->leaks, &iv->leak_goroutines);
		iv->goroutines = gmt_leakflag__goroutines(s->leaks);
	}
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

const struct gmt_analysis *gmt_session__analysis(const struct gmt_session *s)
{
	return s->an;
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
	return gmt_rateguard__written(s->rg);
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
		gmt_rateguard__restore(s->rg);
	}
	/* Nothing that is still on its way reaches what goes below. */
	s->closing = true;
	/* In reverse order of creation: __start()'s, then __open()'s. */
	gmt_sampled__free(s->sampled);
	gmt_ratebins__free(&s->bins);
	gmt_rateguard__free(s->rg);
	gmt_gor_session__free(s->gor);
	gmt_gc_session__free(s->gc);
	gmt_leakflag__free(s->leaks);
	gmt_gsnap_free(&s->gs);
	gmt_procsym_free(&s->ps);
	gmt_mprof_free(&s->live_p);
	gmt_tracer__free(s->tr);
	free(s->strip);
	gmt_agg__free(s->inuse_agg);
	gmt_agg__free(s->agg);
	gmt_analysis__put(s->an);
	free(s);
}
