// SPDX-License-Identifier: MIT
/*
 * summary.json: the machine-readable digest of a recording, for scripts and for the
 * end-to-end tests.  Split into begin / fields / end so that the GC code can append its
 * own keys to the same object.  In sampled mode every figure of the aggregator is an
 * estimate and its key says so (est_*); what the sampler cannot know (bytes requested
 * before size-class rounding, zero-size allocations) has no key.
 */
#include "outputs.h"

#include <errno.h>
#include <stdlib.h>

struct gmt_json *gmt_summary__begin(FILE *f)
{
	struct gmt_json *j = gmt_json__new(f, true);

	if (j)
		gmt_json__obj_begin(j);
	return j;
}

int gmt_summary__end(struct gmt_json *j)
{
	if (!j)
		return -EINVAL;
	gmt_json__obj_end(j);
	return gmt_json__free(j);
}

static void run_fields(struct gmt_json *j, const struct gmt_run_info *ri)
{
	static const struct gmt_run_info none;

	if (!ri)
		ri = &none;
	gmt_json__kstr(j, "mode", ri->mode);
	gmt_json__kstr(j, "go_version", ri->go_version);
	gmt_json__kint(j, "pid", ri->pid);
	gmt_json__kstr(j, "comm", ri->comm);
	gmt_json__kstr(j, "binary", ri->binary);
	gmt_json__kdouble(j, "duration_s", ri->duration_s);
	if (ri->start_wall_ns)
		gmt_json__kuint(j, "start_unix_ns", ri->start_wall_ns);
	gmt_json__kuint(j, "ringbuf_mb", ri->ringbuf_mb);
}

static void counters(struct gmt_json *j, const struct gmt_run_info *ri)
{
	gmt_json__key(j, "counters");
	gmt_json__obj_begin(j);
	for (unsigned int c = 0; ri && c < GMT_CNT__MAX; c++) {
		const char *name = gmt_counter_name(c);
		char unnamed[32];

		if (!name) {
			/* A counter the BPF side gained but nobody named yet: still show it. */
			if (!ri->counters[c])
				continue;
			snprintf(unnamed, sizeof(unnamed), "counter_%u", c);
			name = unnamed;
		}
		gmt_json__kuint(j, name, ri->counters[c]);
	}
	gmt_json__obj_end(j);
}

static void top_types(struct gmt_json *j, const char *key, const struct gmt_agg *a, bool est)
{
	const struct gmt_agg_type *const *ty;
	size_t n = gmt_agg__types(a, &ty);

	gmt_json__key(j, key);
	gmt_json__arr_begin(j);
	for (size_t i = 0; i < n && i < GMT_REPORT_TOP; i++) {
		char name[sizeof(ty[i]->info.name) + 32];

		gmt_type_display_name(ty[i], name, sizeof(name));
		gmt_json__obj_begin(j);
		gmt_json__kstr(j, "name", name);
		if (est) {
			gmt_json__kuint(j, "est_objects", ty[i]->count);
			gmt_json__kuint(j, "est_bytes", ty[i]->bytes);
		} else {
			gmt_json__kuint(j, "count", ty[i]->count);
			gmt_json__kuint(j, "bytes", ty[i]->bytes);
			gmt_json__kuint(j, "reserved_bytes", ty[i]->reserved);
		}
		gmt_json__obj_end(j);
	}
	gmt_json__arr_end(j);
}

static int alloc_rate(struct gmt_json *j, const struct gmt_agg *a, const struct gmt_run_info *ri)
{
	bool est = ri && ri->sampled;
	struct gmt_rate_interval *iv;
	int n = gmt_rate_intervals(a, ri, &iv);

	if (n < 0)
		return n;
	gmt_json__key(j, "alloc_rate");
	gmt_json__arr_begin(j);
	for (int i = 0; i < n; i++) {
		gmt_json__obj_begin(j);
		gmt_json__kdouble(j, "t_s", iv[i].t_s);
		gmt_json__kdouble(j, "dt_s", iv[i].dt_s);
		gmt_json__kdouble(j, est ? "est_allocs_per_s" : "allocs_per_s", iv[i].allocs_per_s);
		gmt_json__kdouble(j, est ? "est_bytes_per_s" : "bytes_per_s", iv[i].bytes_per_s);
		gmt_json__obj_end(j);
	}
	gmt_json__arr_end(j);
	free(iv);
	return 0;
}

int gmt_summary__alloc_fields(struct gmt_json *j, const struct gmt_agg *a,
			       const struct gmt_symbolizer *sym, const struct gmt_run_info *ri)
{
	const struct gmt_agg_totals *t = gmt_agg__totals(a);
	bool est = ri && ri->sampled;

	(void)sym; /* types are already resolved by gmt_agg__finish */
	run_fields(j, ri);
	if (est) {
		/* The totals are the caller's est_alloc_objects and est_alloc_bytes. */
		gmt_json__kuint(j, "est_unknown_stack_allocs", t->unknown_stack_allocs);
	} else {
		gmt_json__kuint(j, "allocs", t->allocs);
		gmt_json__kuint(j, "bytes", t->bytes);
		gmt_json__kuint(j, "reserved_bytes", t->reserved);
		gmt_json__kuint(j, "zero_size_allocs", t->zero_size);
		gmt_json__kuint(j, "unknown_stack_allocs", t->unknown_stack_allocs);
	}
	gmt_json__kuint(j, "stacks", t->stacks);
	gmt_json__kuint(j, "dropped", gmt_dropped(ri));
	/* stack walks that hit --max-depth, one per allocation, not distinct stacks */
	gmt_json__kuint(j, "truncated_stacks", ri ? ri->counters[GMT_CNT_STACK_TRUNC] : 0);
	counters(j, ri);
	top_types(j, "top_types", a, est);
	return alloc_rate(j, a, ri);
}

void gmt_summary__inuse_types(struct gmt_json *j, const struct gmt_agg *inuse)
{
	top_types(j, "inuse_top_types", inuse, true);
}

int gmt_write_summary_json(const struct gmt_agg *a, const struct gmt_symbolizer *sym, FILE *f,
			   const struct gmt_run_info *ri)
{
	struct gmt_json *j;
	int err, err2;

	if (!a || !f)
		return -EINVAL;
	j = gmt_summary__begin(f);
	if (!j)
		return -ENOMEM;
	err = gmt_summary__alloc_fields(j, a, sym, ri);
	err2 = gmt_summary__end(j);
	return err ? err : err2;
}
