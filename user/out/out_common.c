// SPDX-License-Identifier: MIT
/* Small pieces that more than one output writer needs. */
#include "outputs.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
	[GMT_CNT_SCRATCH_BUSY] = "scratch_busy",
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

bool gmt_func_is_runtime(const char *name)
{
	return name && (!strncmp(name, "runtime.", 8) || !strncmp(name, "internal/runtime/", 17));
}

bool gmt_func_is_std(const char *name)
{
	size_t end, slash = 0, pkg, first;
	const char *dot;

	if (!name || !name[0])
		return false;
	/* A generic's type arguments may hold any path: the package comes before them. */
	end = strcspn(name, "[");
	for (size_t i = 0; i < end; i++)
		if (name[i] == '/')
			slash = i + 1;
	dot = memchr(name + slash, '.', end - slash);
	pkg = dot ? (size_t)(dot - name) : end;
	if (pkg == 4 && !strncmp(name, "main", 4))
		return false;
	/* As the go command tells them: no dot in the first element of the import path. */
	first = strcspn(name, "/");
	if (first > pkg)
		first = pkg;
	return !memchr(name, '.', first);
}

uint32_t gmt_stack_runtime_skip(const struct gmt_agg_stack *s, const struct gmt_symbolizer *sym)
{
	struct gmt_frame fr[64];

	for (uint32_t i = 0; i < s->depth; i++) {
		/* FuncForPC's answer: the innermost function at the address. */
		if (gmt_symbolize_pc(sym, s->pcs[i], fr, 64) < 0 ||
		    !gmt_func_is_runtime(fr[0].func))
			return i;
	}
	return 0; /* all runtime: runtime/pprof then keeps the whole stack */
}

/* The cumulative counts at t, linearly between the points around it (p sorted by time). */
static void cumulative_at(const struct gmt_rate_point *p, size_t n, uint64_t t, double *allocs,
			  double *bytes)
{
	size_t lo = 0, hi = n;

	if (t <= p[0].ts_ns) {
		*allocs = (double)p[0].allocs;
		*bytes = (double)p[0].bytes;
		return;
	}
	if (t >= p[n - 1].ts_ns) {
		*allocs = (double)p[n - 1].allocs;
		*bytes = (double)p[n - 1].bytes;
		return;
	}
	/* The last point at or before t: p[lo].ts_ns <= t < p[hi].ts_ns. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (p[mid].ts_ns <= t)
			lo = mid;
		else
			hi = mid;
	}
	{
		double f = (double)(t - p[lo].ts_ns) / (double)(p[hi].ts_ns - p[lo].ts_ns);
		double a0 = (double)p[lo].allocs, a1 = (double)p[hi].allocs;
		double b0 = (double)p[lo].bytes, b1 = (double)p[hi].bytes;

		/* Counters only grow; a caller that reset them gets no negative rate. */
		*allocs = a0 + (a1 > a0 ? (a1 - a0) * f : 0);
		*bytes = b0 + (b1 > b0 ? (b1 - b0) * f : 0);
	}
}

/* Rounds a bucket length up to one a person reads easily. */
static uint64_t nice_bucket_ns(double s)
{
	static const unsigned int nice[] = { 1,	  2,   5,   10,	 15,   30,  60,
					     120, 300, 600, 900, 1800, 3600 };

	for (size_t i = 0; i < sizeof(nice) / sizeof(nice[0]); i++)
		if (s <= nice[i])
			return nice[i] * 1000000000ULL;
	return (uint64_t)ceil(s / 3600) * 3600 * 1000000000ULL;
}

uint64_t gmt_rate_bucket_ns(double span_s, const struct gmt_run_info *ri)
{
	double s = 1;

	if (ri && ri->samples && span_s * GMT_RATE_MIN_SAMPLES / (double)ri->samples > s)
		s = span_s * GMT_RATE_MIN_SAMPLES / (double)ri->samples;
	if (span_s / GMT_RATE_MAX_BUCKETS > s)
		s = span_s / GMT_RATE_MAX_BUCKETS;
	return nice_bucket_ns(s);
}

int gmt_rate_intervals(const struct gmt_agg *a, const struct gmt_run_info *ri,
		       struct gmt_rate_interval **out)
{
	const struct gmt_rate_point *pts;
	struct gmt_rate_point *p;
	size_t n = gmt_agg__rate(a, &pts), np = 0, nb;
	struct gmt_rate_interval *iv;
	uint64_t origin, end, w, t0;
	double a0, b0;

	*out = NULL;
	if (!n)
		return 0;
	/* The points count from the start of the recording: there, the count was 0. */
	p = calloc(n + 1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (ri && ri->start_ns && ri->start_ns < pts[0].ts_ns)
		p[np++] = (struct gmt_rate_point){ ri->start_ns, 0, 0 };
	memcpy(p + np, pts, n * sizeof(*p));
	np += n;
	origin = p[0].ts_ns;
	end = p[np - 1].ts_ns;
	if (end <= origin) {
		free(p);
		return 0; /* no time passed: no rate */
	}
	w = gmt_rate_bucket_ns((double)(end - origin) / 1e9, ri);
	nb = (end - origin) / w;
	/* A last piece shorter than half a bucket joins the one before it: a sliver's rate
	 * would be an accident of where the recording ended. */
	if (!nb || (end - origin) - nb * w >= w / 2)
		nb++;
	iv = calloc(nb, sizeof(*iv));
	if (!iv) {
		free(p);
		return -ENOMEM;
	}
	t0 = origin;
	cumulative_at(p, np, t0, &a0, &b0);
	for (size_t i = 0; i < nb; i++) {
		uint64_t t1 = i + 1 == nb ? end : origin + (i + 1) * w;
		double a1, b1, dt = (double)(t1 - t0) / 1e9;

		cumulative_at(p, np, t1, &a1, &b1);
		iv[i].t_s = (double)(t1 - origin) / 1e9;
		iv[i].dt_s = dt;
		iv[i].allocs_per_s = (a1 - a0) / dt;
		iv[i].bytes_per_s = (b1 - b0) / dt;
		t0 = t1;
		a0 = a1;
		b0 = b1;
	}
	free(p);
	*out = iv;
	return (int)nb;
}
