// SPDX-License-Identifier: MIT
/* Small pieces that more than one output writer needs. */
#include "outputs.h"

#include <errno.h>
#include <stdlib.h>

static const char *const counter_names[GMT_CNT__MAX] = {
	[GMT_CNT_ALLOC_HITS] = "alloc_hits",
	[GMT_CNT_ALLOC_MORESTACK] = "alloc_morestack",
	[GMT_CNT_ALLOC_NESTED] = "alloc_nested",
	[GMT_CNT_ALLOCS] = "allocs",
	[GMT_CNT_BYTES] = "bytes",
	[GMT_CNT_AGG_FULL] = "agg_full",
	[GMT_CNT_RB_DROPS] = "rb_drops",
	[GMT_CNT_STACK_TRUNC] = "stack_trunc",
	[GMT_CNT_STACK_ERR] = "stack_err",
	[GMT_CNT_RB_DROPS_STACK] = "rb_drops_stack",
	[GMT_CNT_ZERO_SIZE] = "zero_size",
	[GMT_CNT_GC_HITS] = "gc_hits",
	[GMT_CNT_GC_MORESTACK] = "gc_morestack",
	[GMT_CNT_GC_READ_ERR] = "gc_read_err",
	[GMT_CNT_GC_RB_DROPS] = "gc_rb_drops",
	[GMT_CNT_MPROF_RB_DROPS] = "mprof_rb_drops",
	[GMT_CNT_GO_HITS] = "go_hits",
	[GMT_CNT_GO_RB_DROPS] = "go_rb_drops",
	[GMT_CNT_GO_NO_STACK] = "go_no_stack",
	[GMT_CNT_GO_READ_ERR] = "go_read_err",
	[GMT_CNT_MPROF_READ_ERR] = "mprof_read_err",
};

const char *gmt_counter_name(unsigned int c)
{
	return c < GMT_CNT__MAX ? counter_names[c] : NULL;
}

uint64_t gmt_dropped(const struct gmt_run_info *ri)
{
	if (!ri)
		return 0;
	/* Only lost allocation records are lost allocations: a lost stack record or a
	 * failed walk still counts the allocation, under "[unknown stack]".  In sampled
	 * mode a lost sampler record is a lost sample (or bucket or free of one). */
	return ri->counters[GMT_CNT_RB_DROPS] + ri->counters[GMT_CNT_MPROF_RB_DROPS];
}

void gmt_type_display_name(const struct gmt_agg_type *t, char *buf, size_t len)
{
	if (!t->typ)
		snprintf(buf, len, "[no type]");
	else if (!t->known || !t->info.name[0])
		snprintf(buf, len, "[type 0x%llx]", (unsigned long long)t->typ);
	else
		snprintf(buf, len, "%s", t->info.name);
}

int gmt_symbolize_pc(const struct gmt_symbolizer *sym, uint64_t pc, struct gmt_frame *frames,
		     int max)
{
	int n;

	if (!sym || !sym->frames || max < 1)
		return -ENOENT;
	n = sym->frames(sym->ctx, pc, frames, max);
	if (n == 0)
		return -ENOENT; /* the contract says >= 1: do not trust 0 */
	return n > max ? max : n;
}

int gmt_rate_intervals(const struct gmt_agg *a, const struct gmt_run_info *ri,
		       struct gmt_rate_interval **out)
{
	const struct gmt_rate_point *p;
	struct gmt_rate_point prev;
	size_t n = gmt_agg__rate(a, &p), first = 0, k = 0;
	struct gmt_rate_interval *iv;
	uint64_t origin;

	*out = NULL;
	if (!n)
		return 0;
	if (ri && ri->start_ns && ri->start_ns <= p[0].ts_ns) {
		prev = (struct gmt_rate_point){ ri->start_ns, 0, 0 };
	} else {
		prev = p[0];
		first = 1;
	}
	origin = prev.ts_ns;
	iv = calloc(n, sizeof(*iv));
	if (!iv)
		return -ENOMEM;
	for (size_t i = first; i < n; i++) {
		double dt = (double)(p[i].ts_ns - prev.ts_ns) / 1e9;

		if (p[i].ts_ns == prev.ts_ns)
			continue; /* no time passed: no rate */
		iv[k].t_s = (double)(p[i].ts_ns - origin) / 1e9;
		iv[k].dt_s = dt;
		/* Counters only grow, but do not print huge rates if a caller reset them. */
		if (p[i].allocs >= prev.allocs)
			iv[k].allocs_per_s = (double)(p[i].allocs - prev.allocs) / dt;
		if (p[i].bytes >= prev.bytes)
			iv[k].bytes_per_s = (double)(p[i].bytes - prev.bytes) / dt;
		k++;
		prev = p[i];
	}
	if (!k) {
		free(iv);
		return 0;
	}
	*out = iv;
	return (int)k;
}
