// SPDX-License-Identifier: MIT
/*
 * The profile set (profile_set.h): which files, in which order, with which fields.
 * Moved out of the session, which now only fills a struct gmt_profile_set.
 */
#include "profile_set.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "goroutines.h"
#include "leakflag.h"
#include "json_writer.h"
#include "log.h"
#include "metrics.h"
#include "out_gc.h"
#include "out_html.h"
#include "recorder.h"
#include "runinfo.h"
#include "sampled.h"

struct set_ctx {
	const struct gmt_profile_set *ps;
	enum gmt_folded_value value;
	/* ps->gc with the set's run info, its allocation rate and goroutine tracks */
	struct gmt_gc_out gc;
	struct gmt_counter_track tracks[GMT_GC_MAX_TRACKS];
	struct gmt_rate_interval *iv;
	uint64_t *rate_ts;
	double *rate;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int w_pprof(FILE *f, void *ctx)
{
	const struct gmt_profile_set *ps = ((struct set_ctx *)ctx)->ps;

	return gmt_write_pprof(ps->agg, ps->sym, f, ps->ri, &ps->pprof);
}

static int w_inuse_pprof(FILE *f, void *ctx)
{
	const struct gmt_profile_set *ps = ((struct set_ctx *)ctx)->ps;
	struct gmt_pprof_opts o = ps->pprof;

	o.inuse_only = true;
	return gmt_write_pprof(ps->inuse_agg, ps->sym, f, ps->ri, &o);
}

/* A folded file within folded_max_mb; how many stacks that merged is said once. */
static int folded(const struct gmt_profile_set *ps, FILE *f, const struct gmt_agg *a,
		  enum gmt_folded_value v, const char *name)
{
	struct gmt_folded_opts o = {
		.runtime_frames = ps->runtime_frames,
		.max_bytes = (uint64_t)ps->folded_max_mb << 20,
	};
	uint64_t t0 = now_ns();
	int err = gmt_write_folded(a, ps->sym, f, v, &o);

	pr_debug("%s: %zu stacks, %zu lines, %ld bytes in %.3f s\n", name, o.stacks,
		 o.written_lines, ftell(f), (now_ns() - t0) / 1e9);
	if (!err && o.merged)
		gmt_log(ps->interval ? GMT_LOG_DEBUG : GMT_LOG_INFO,
			"%s: the %zu smallest of %zu stacks merged into [other stacks] lines "
			"to stay within %u MiB (--folded-max-mb)\n",
			name, o.merged, o.stacks, ps->folded_max_mb);
	return err;
}

static int w_folded(FILE *f, void *ctx)
{
	struct set_ctx *c = ctx;

	return folded(c->ps, f, c->ps->agg, c->value,
		      c->value == GMT_FOLDED_COUNT ? "alloc_count.folded" : "alloc_bytes.folded");
}

static int w_inuse_folded(FILE *f, void *ctx)
{
	const struct gmt_profile_set *ps = ((struct set_ctx *)ctx)->ps;

	return folded(ps, f, ps->inuse_agg, GMT_FOLDED_BYTES, "inuse_bytes.folded");
}

static int w_live_heap(FILE *f, void *ctx)
{
	const struct gmt_profile_set *ps = ((struct set_ctx *)ctx)->ps;

	return gmt_write_heap_snapshot(ps->live->p, ps->live->rate, ps->sym, f, ps->ri,
				       &ps->pprof);
}

static int w_live_folded(FILE *f, void *ctx)
{
	const struct gmt_profile_set *ps = ((struct set_ctx *)ctx)->ps;

	return gmt_write_heap_folded(ps->live->p, ps->live->rate, ps->sym, f);
}

static int w_report(FILE *f, void *ctx)
{
	struct set_ctx *c = ctx;
	const struct gmt_profile_set *ps = c->ps;
	int err = gmt_write_report(ps->agg, ps->sym, f, ps->ri);

	if (!err && ps->live)
		err = gmt_live_heap_report(f, ps->live, ps->sym);
	if (!err && ps->inuse_agg && ps->st)
		err = gmt_write_report_inuse_scope(f, ps->st->est_inuse_bytes,
						   ps->st->est_inuse_objects,
						   ps->st->frees_ignored);
	if (!err && ps->inuse_agg)
		err = gmt_write_report_inuse(ps->inuse_agg, ps->sym, f);
	/* An interval's GC is in its gc.txt: the report's section is a recording's. */
	if (!err && ps->gc && !ps->interval)
		err = gmt_gc_report(f, &c->gc);
	if (!err && ps->gor)
		err = gmt_goroutines__report(ps->gor, f);
	if (!err && ps->leaks)
		err = gmt_leakflag__report(ps->leaks, f);
	return err;
}

static int w_summary(FILE *f, void *ctx)
{
	struct set_ctx *c = ctx;
	const struct gmt_profile_set *ps = c->ps;
	const struct gmt_sampled_stats *st = ps->st;
	struct gmt_json *j = gmt_summary__begin(f);
	int err;

	if (!j)
		return -ENOMEM;
	err = gmt_summary__alloc_fields(j, ps->agg, ps->sym, ps->ri);
	if (st) {
		gmt_json__kuint(j, "rate", ps->rate);
		gmt_json__kuint(j, "samples", st->samples);
		gmt_json__kuint(j, "est_alloc_objects", (uint64_t)llround(st->est_alloc_objects));
		gmt_json__kuint(j, "est_alloc_bytes", (uint64_t)llround(st->est_alloc_bytes));
		gmt_json__kuint(j, "est_inuse_objects", (uint64_t)llround(st->est_inuse_objects));
		gmt_json__kuint(j, "est_inuse_bytes", (uint64_t)llround(st->est_inuse_bytes));
		/* The live heap holds only what was sampled while tracing: say so. */
		gmt_json__kstr(j, "est_inuse_covers", GMT_INUSE_COVERS);
		gmt_json__kuint(j, "sampled_frees", st->frees);
		gmt_json__kuint(j, "sampled_frees_ignored", st->frees_ignored);
		gmt_json__kuint(j, "sampler_unmatched", st->unmatched);
		gmt_json__kuint(j, "sampler_after_end", st->after_end);
		/* With the sampler hits and the drops in "counters":
		 * alloc_hits = alloc_morestack + sampler_records + mprof_rb_drops. */
		gmt_json__kuint(j, "sampler_records", ps->sampler_records);
		gmt_json__kbool(j, "target_rate_written", ps->rate_written);
		if (ps->inuse_agg)
			gmt_summary__inuse_types(j, ps->inuse_agg);
		if (ps->live)
			gmt_live_heap_summary(j, ps->live);
	}
	if (ps->bounds) {
		gmt_json__kuint(j, "table_rows", ps->bounds->rows);
		gmt_json__kuint(j, "table_stacks", ps->bounds->stacks);
		gmt_json__kuint(j, "table_max_rows", ps->max_rows);
		gmt_json__kuint(j, "rows_peak", ps->bounds->rows_peak);
		gmt_json__kuint(j, "rows_evicted", ps->bounds->rows_evicted);
		gmt_json__kuint(j, "stacks_evicted", ps->bounds->stacks_evicted);
		gmt_json__kuint(j, "samples_dropped", ps->bounds->samples_dropped);
		gmt_json__kuint(j, "stacks_dropped", ps->bounds->stacks_dropped);
	}
	if (ps->gc)
		gmt_gc_summary_fields(j, &c->gc);
	if (ps->gor)
		gmt_goroutines__summary_fields(ps->gor, j);
	if (!err && ps->leaks)
		err = gmt_leakflag__summary_fields(ps->leaks, j);
	if (ps->export) {
		/* as of this set's writing: its own requests are queued after it */
		gmt_json__key(j, "otlp_export");
		gmt_json__obj_begin(j);
		gmt_json__kuint(j, "requests_sent", ps->export->sent);
		gmt_json__kuint(j, "failures", ps->export->failures);
		gmt_json__kuint(j, "requests_dropped", ps->export->dropped);
		gmt_json__kuint(j, "requests_queued", ps->export->queued);
		gmt_json__obj_end(j);
	}
	return gmt_summary__end(j) ?: err;
}

static int w_goroutines(FILE *f, void *ctx)
{
	const struct gmt_profile_set *ps = ((struct set_ctx *)ctx)->ps;

	return gmt_goroutines__write_folded(ps->gor, ps->sym, f);
}

static int w_gc_txt(FILE *f, void *ctx)
{
	return gmt_write_gc_txt(f, ctx);
}

static int w_gc_json(FILE *f, void *ctx)
{
	return gmt_write_gc_json(f, ctx);
}

/*
 * The set's GC output: ps->gc with the set's run info, the allocation rate (a counter
 * track's value holds from its timestamp on: each bucket's start) and the live
 * goroutines as counter tracks.  What it allocates is freed by gc_free().
 */
static int gc_full(struct set_ctx *c, struct gmt_diag *d)
{
	const struct gmt_profile_set *ps = c->ps;
	struct gmt_gc_out *o = &c->gc;
	int n = gmt_rate_intervals(ps->agg, ps->ri, &c->iv);

	*o = *ps->gc;
	o->ri = ps->ri;
	c->rate_ts = calloc(n > 0 ? n : 1, sizeof(*c->rate_ts));
	c->rate = calloc(n > 0 ? n : 1, sizeof(*c->rate));
	if (n < 0 || !c->rate_ts || !c->rate)
		return gmt_diag_set(d, -ENOMEM, "out of memory");
	for (int i = 0; i < n; i++) {
		c->rate_ts[i] = ps->ri->start_ns + (uint64_t)((c->iv[i].t_s - c->iv[i].dt_s) * 1e9);
		c->rate[i] = c->iv[i].bytes_per_s;
	}
	o->rate_ts = c->rate_ts;
	o->rate_bytes_per_s = c->rate;
	o->nrate = (size_t)n;
	if (ps->gor) {
		if (o->ntracks >= GMT_GC_MAX_TRACKS)
			return gmt_diag_set(d, -ENOSPC, "gc.json: %s", strerror(ENOSPC));
		if (o->ntracks) /* o->tracks is NULL when there are none */
			memcpy(c->tracks, o->tracks, o->ntracks * sizeof(*c->tracks));
		c->tracks[o->ntracks] = (struct gmt_counter_track){ "goroutines live", "goroutines" };
		c->tracks[o->ntracks].n = gmt_goroutines__track(ps->gor, &c->tracks[o->ntracks].ts,
								&c->tracks[o->ntracks].v);
		o->tracks = c->tracks;
		o->ntracks++;
	}
	return 0;
}

static void gc_free(struct set_ctx *c)
{
	free(c->iv);
	free(c->rate_ts);
	free(c->rate);
}

/* report.html, from the same aggregates as the files above (out_html.h). */
static int w_html(FILE *f, void *ctx)
{
	struct set_ctx *c = ctx;
	const struct gmt_profile_set *ps = c->ps;
	char what[160];
	struct gmt_html_in in = {
		.ri = ps->ri, .sym = ps->sym, .agg = ps->agg, .pprof = &ps->pprof,
		.live = ps->live && ps->live->p ? ps->live : NULL, .gc = ps->gc ? &c->gc : NULL,
		.leaks = ps->leaks, .mem = ps->mem, .what = what, .gsnap = ps->gsnap,
		.row = ps->gsnap_row, .gsnap_now_ns = ps->gsnap_now_ns,
		.mode = ps->interval ? "interval" : ps->ri->mode,
	};

	snprintf(what, sizeof(what), "%s %.1f s%s",
		 ps->interval ? "one interval of the daemon," : "a recording of",
		 ps->ri->duration_s,
		 ps->ri->sampled ? "; allocations estimated from Go's heap sampler" : "");
	return gmt_write_html_report(f, &in);
}

static gmt_profile_set_observer observer;
static void *observer_ctx;

void gmt_profile_set_observe(gmt_profile_set_observer fn, void *ctx)
{
	observer = fn;
	observer_ctx = ctx;
}

int gmt_profile_set_write(const struct gmt_profile_set *ps, const char *dir,
			  struct gmt_diag *d)
{
	struct set_ctx c = { .ps = ps };
	int err;

	if (!dir) {
		/* --no-local: what the observer sends is all there is */
		if (observer)
			observer(ps, observer_ctx);
		return 0;
	}
	err = ps->gc ? gc_full(&c, d) : 0;
	if (!err)
		err = gmt_outdir_prepare(dir, d);
	if (!err)
		err = gmt_write_file_atomic(dir, "alloc.pb.gz", w_pprof, &c, d);
	if (!err && ps->inuse_agg && ps->inuse_pprof)
		err = gmt_write_file_atomic(dir, "inuse.pb.gz", w_inuse_pprof, &c, d);
	c.value = GMT_FOLDED_BYTES;
	if (!err)
		err = gmt_write_file_atomic(dir, "alloc_bytes.folded", w_folded, &c, d);
	c.value = GMT_FOLDED_COUNT;
	if (!err)
		err = gmt_write_file_atomic(dir, "alloc_count.folded", w_folded, &c, d);
	if (!err && ps->inuse_agg)
		err = gmt_write_file_atomic(dir, "inuse_bytes.folded", w_inuse_folded, &c, d);
	if (!err && ps->live && ps->live->p)
		err = gmt_write_file_atomic(dir, "heap.pb.gz", w_live_heap, &c, d);
	if (!err && ps->live && ps->live->p)
		err = gmt_write_file_atomic(dir, "inuse_space.folded", w_live_folded, &c, d);
	if (!err)
		err = gmt_write_file_atomic(dir, "report.txt", w_report, &c, d);
	if (!err)
		err = gmt_write_file_atomic(dir, "summary.json", w_summary, &c, d);
	if (!err && ps->gor)
		err = gmt_write_file_atomic(dir, "goroutines.folded", w_goroutines, &c, d);
	if (!err && ps->gc)
		err = gmt_write_file_atomic(dir, "gc.txt", w_gc_txt, &c.gc, d);
	if (!err && ps->gc)
		err = gmt_write_file_atomic(dir, "gc.json", w_gc_json, &c.gc, d);
	if (!err)
		err = gmt_write_file_atomic(dir, "report.html", w_html, &c, d);
	gc_free(&c);
	if (!err && observer)
		observer(ps, observer_ctx);
	return err;
}
