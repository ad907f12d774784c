// SPDX-License-Identifier: MIT
/*
 * report.txt: what a person reads first.  Exact numbers for grepping and comparing with
 * MemStats, with human units in parentheses.  In sampled mode the numbers are pprof's
 * estimates and say so with a leading '~'; what the sampler cannot see (the bytes
 * requested before size-class rounding, hence the waste; zero-size allocations) is left
 * out rather than printed as 0.
 */
#include "outputs.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define LEAF_FRAMES 6	/* frames shown per stack, leaf first, at least */
#define MAX_INLINE 64
#define HIST_BAR 40	/* width of the longest histogram bar */

static const char *human(uint64_t v, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double d = (double)v;
	int u = 0;

	while (d >= 1024 && u < 6) {
		d /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%" PRIu64 " B", v);
	else
		snprintf(buf, len, "%.1f %s", d, unit[u]);
	return buf;
}

/* 2^b (b <= 64) as a short label: 64, 1K, 2M, 16E. */
static const char *pow2_label(int b, char *buf, size_t len)
{
	static const char suffix[] = { 0, 'K', 'M', 'G', 'T', 'P', 'E' };
	int k = b / 10;

	if (k > 6)
		k = 6;
	if (k == 0)
		snprintf(buf, len, "%llu", 1ULL << b);
	else
		snprintf(buf, len, "%llu%c", 1ULL << (b - 10 * k), suffix[k]);
	return buf;
}

static void header(FILE *f, const struct gmt_run_info *ri)
{
	fprintf(f, "gomemtrace allocation report\n");
	if (!ri)
		return;
	fprintf(f, "  mode:      %s\n", ri->mode ? ri->mode : "?");
	fprintf(f, "  go:        %s\n", ri->go_version ? ri->go_version : "?");
	fprintf(f, "  pid:       %d (%s)\n", ri->pid, ri->comm ? ri->comm : "?");
	fprintf(f, "  binary:    %s\n", ri->binary ? ri->binary : "?");
	fprintf(f, "  duration:  %.2f s\n", ri->duration_s);
}

/* "1234", or "~1234" for an estimate. */
static const char *num(uint64_t v, bool est, char *buf, size_t len)
{
	snprintf(buf, len, "%s%" PRIu64, est ? "~" : "", v);
	return buf;
}

/* The average, then the rate over time: its lowest and highest bucket. */
static int rate_lines(FILE *f, const struct gmt_agg *a, const struct gmt_run_info *ri,
		      const char *e)
{
	const struct gmt_agg_totals *t = gmt_agg__totals(a);
	struct gmt_rate_interval *iv;
	double lo_a = 0, lo_b = 0, hi_a = 0, hi_b = 0;
	char h1[32];
	int n;

	if (ri && ri->duration_s > 0)
		fprintf(f, "  allocation rate:  average %s%.1f allocs/s, %s%s/s\n", e,
			(double)t->allocs / ri->duration_s, e,
			human((uint64_t)((double)t->bytes / ri->duration_s), h1, sizeof(h1)));
	n = gmt_rate_intervals(a, ri, &iv);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		if (!i || iv[i].allocs_per_s < lo_a)
			lo_a = iv[i].allocs_per_s;
		if (!i || iv[i].bytes_per_s < lo_b)
			lo_b = iv[i].bytes_per_s;
		if (iv[i].allocs_per_s > hi_a)
			hi_a = iv[i].allocs_per_s;
		if (iv[i].bytes_per_s > hi_b)
			hi_b = iv[i].bytes_per_s;
	}
	/* One bucket says nothing the average does not. */
	if (n > 1) {
		fprintf(f,
			"                    over %d buckets of %g s (summary.json: alloc_rate):\n",
			n, iv[0].dt_s);
		fprintf(f, "                    lowest %s%.1f allocs/s, %s%s/s\n", e, lo_a, e,
			human((uint64_t)lo_b, h1, sizeof(h1)));
		fprintf(f, "                    peak %s%.1f allocs/s, %s%s/s\n", e, hi_a, e,
			human((uint64_t)hi_b, h1, sizeof(h1)));
	}
	free(iv);
	return 0;
}

static int totals(FILE *f, const struct gmt_agg *a, const struct gmt_run_info *ri)
{
	const struct gmt_agg_totals *t = gmt_agg__totals(a);
	uint64_t waste = t->reserved > t->bytes ? t->reserved - t->bytes : 0;
	bool est = ri && ri->sampled;
	char h1[32], n1[32];

	if (est) {
		fprintf(f, "\nTotals (estimated from %" PRIu64 " samples of Go's heap sampler, as "
			   "pprof estimates them: ~ marks an estimate)\n",
			ri->samples);
		fprintf(f, "  allocations:      %s\n", num(t->allocs, true, n1, sizeof(n1)));
		/* The sampler sees each object's size-class size, not the size asked for. */
		fprintf(f, "  bytes:            %s (%s, after size-class rounding, as "
			   "MemStats.TotalAlloc counts them)\n",
			num(t->bytes, true, n1, sizeof(n1)), human(t->bytes, h1, sizeof(h1)));
		fprintf(f, "  distinct stacks sampled: %" PRIu64 "\n", t->stacks);
		fprintf(f, "  allocations without a stack: %s\n",
			num(t->unknown_stack_allocs, true, n1, sizeof(n1)));
		return rate_lines(f, a, ri, "~");
	}
	fprintf(f, "\nTotals\n");
	fprintf(f, "  allocations:      %" PRIu64 "\n", t->allocs);
	fprintf(f, "  requested bytes:  %" PRIu64 " (%s)\n", t->bytes,
		human(t->bytes, h1, sizeof(h1)));
	fprintf(f, "  reserved bytes:   %" PRIu64 " (%s, after size-class rounding)\n", t->reserved,
		human(t->reserved, h1, sizeof(h1)));
	fprintf(f, "  waste:            %" PRIu64 " bytes (%.1f%% of reserved)\n", waste,
		t->reserved ? 100.0 * (double)waste / (double)t->reserved : 0.0);
	fprintf(f, "  zero-size allocations: %" PRIu64
		   " (not counted above, as in MemStats.Mallocs)\n",
		t->zero_size);
	fprintf(f, "  distinct stacks:  %" PRIu64 "\n", t->stacks);
	fprintf(f, "  allocations without a stack: %" PRIu64 "\n", t->unknown_stack_allocs);
	return rate_lines(f, a, ri, "");
}

/*
 * Frames leaf first: at least LEAF_FRAMES, and on up to the first frame outside the
 * runtime and the standard library (the user's code that allocated), then a count of
 * the rest.  A stack with no such frame shows LEAF_FRAMES.
 */
static void frames(FILE *f, const struct gmt_agg_stack *s, const struct gmt_symbolizer *sym)
{
	struct gmt_frame fr[MAX_INLINE];
	int shown = 0, limit = LEAF_FRAMES, k = 0, first_user = -1;

	if (gmt_agg_stack_is_unknown(s)) {
		fprintf(f, "      [unknown stack] (stack walk failed or its record was dropped)\n");
		return;
	}
	/* k counts frames as they are printed: inlined ones expanded, an address as one. */
	for (uint32_t i = 0; i < s->depth && first_user < 0; i++) {
		int n = gmt_symbolize_pc(sym, s->pcs[i], fr, MAX_INLINE);

		if (n < 0) {
			first_user = k; /* not known to be the runtime's */
			break;
		}
		for (int j = 0; j < n && first_user < 0; j++, k++)
			if (!gmt_func_is_std(fr[j].func))
				first_user = k;
	}
	if (first_user >= limit)
		limit = first_user + 1;
	for (uint32_t i = 0; i < s->depth; i++) {
		int n = gmt_symbolize_pc(sym, s->pcs[i], fr, MAX_INLINE);

		if (n < 0) {
			if (shown++ < limit)
				fprintf(f, "      0x%" PRIx64 "\n", s->pcs[i]);
			continue;
		}
		for (int j = 0; j < n; j++) {
			if (shown++ >= limit)
				continue;
			fprintf(f, "      %s  %s:%u%s\n", fr[j].func ? fr[j].func : "?",
				fr[j].file ? fr[j].file : "?", fr[j].line,
				j < n - 1 ? "  (inlined)" : "");
		}
	}
	if (shown > limit)
		fprintf(f, "      ... %d more frames%s\n", shown - limit,
			s->truncated ? ", then [truncated]" : "");
	else if (s->truncated)
		fprintf(f, "      [truncated]\n");
}

static void histogram(FILE *f, const struct gmt_agg_stack *s, bool est)
{
	uint64_t max = 0;

	for (int b = 0; b < GMT_HIST_BUCKETS; b++)
		if (s->hist[b] > max)
			max = s->hist[b];
	if (!max)
		return;
	for (int b = 0; b < GMT_HIST_BUCKETS; b++) {
		char lo[24], hi[24], range[56], n1[32];
		int bar;

		if (!s->hist[b])
			continue;
		bar = (int)((double)s->hist[b] * HIST_BAR / (double)max + 0.5);
		if (!bar)
			bar = 1; /* a non-empty bucket stays visible */
		snprintf(range, sizeof(range), "[%s, %s)", pow2_label(b, lo, sizeof(lo)),
			 pow2_label(b + 1, hi, sizeof(hi)));
		fprintf(f, "      %-14s %12s  %.*s\n", range, num(s->hist[b], est, n1, sizeof(n1)),
			bar, "########################################");
	}
}

/* est: sampled mode's estimates, '~' and no reserved bytes (the sampler only sees those). */
static void stacks(FILE *f, const char *title, const struct gmt_agg_stack *const *st, size_t n,
		   const struct gmt_symbolizer *sym, bool est)
{
	char h1[32], h2[32], n1[32], n2[32];

	fprintf(f, "\n%s\n", title);
	if (!n)
		fprintf(f, "  (none)\n");
	for (size_t i = 0; i < n && i < GMT_REPORT_TOP; i++) {
		const struct gmt_agg_stack *s = st[i];

		fprintf(f, "#%zu  count %s  bytes %s (%s)", i + 1,
			num(s->count, est, n1, sizeof(n1)), num(s->bytes, est, n2, sizeof(n2)),
			human(s->bytes, h1, sizeof(h1)));
		if (!est)
			fprintf(f, "  reserved %" PRIu64 " (%s)", s->reserved,
				human(s->reserved, h2, sizeof(h2)));
		if (s->zero_size)
			fprintf(f, "  zero-size %" PRIu64, s->zero_size);
		fputc('\n', f);
		frames(f, s, sym);
		histogram(f, s, est);
	}
}

static void types(FILE *f, const char *title, const struct gmt_agg *a, bool est)
{
	const struct gmt_agg_type *const *ty;
	size_t n = gmt_agg__types(a, &ty);

	fprintf(f, "\n%s\n", title);
	if (est)
		fprintf(f, "  %12s %16s  %s\n", "count", "bytes", "type");
	else
		fprintf(f, "  %12s %16s %16s  %s\n", "count", "bytes", "reserved", "type");
	if (!n)
		fprintf(f, "  (none)\n");
	for (size_t i = 0; i < n && i < GMT_REPORT_TOP; i++) {
		const struct gmt_agg_type *t = ty[i];
		char name[sizeof(t->info.name) + 32], n1[32], n2[32];

		gmt_type_display_name(t, name, sizeof(name));
		fprintf(f, "  %12s %16s", num(t->count, est, n1, sizeof(n1)),
			num(t->bytes, est, n2, sizeof(n2)));
		if (!est)
			fprintf(f, " %16" PRIu64, t->reserved);
		fprintf(f, "  %s", name);
		/*
		 * makeslice and growslice pass the element type with the size of the whole
		 * backing array: say so, or "uint8 1.2 GiB" reads like huge bytes.
		 */
		if (t->known && t->info.size && t->count && t->bytes != t->count * t->info.size)
			fprintf(f, "  (as []%s: %s%.1f elements on average)", name, est ? "~" : "",
				(double)t->bytes / (double)t->count / (double)t->info.size);
		if (t->zero_size)
			fprintf(f, "  zero-size %" PRIu64, t->zero_size);
		fputc('\n', f);
	}
}

static void counter_line(FILE *f, const char *what, uint64_t v, const char *hint)
{
	fprintf(f, "  %-42s %" PRIu64, what, v);
	if (v && hint)
		fprintf(f, "  -> %s", hint);
	fputc('\n', f);
}

static void drops(FILE *f, const struct gmt_run_info *ri)
{
	static const uint64_t none[GMT_CNT__MAX];
	const uint64_t *c = ri ? ri->counters : none;
	char hint[96];

	fprintf(f, "\nDrops and limits\n");
	fprintf(f, "  dropped: %" PRIu64 "\n", gmt_dropped(ri));
	snprintf(hint, sizeof(hint), "increase --ringbuf-mb (now %u)", ri ? ri->ringbuf_mb : 0);
	counter_line(f, "allocation records lost (ring buffer full):", c[GMT_CNT_RB_DROPS], hint);
	counter_line(f, "sampler records lost (ring buffer full):", c[GMT_CNT_MPROF_RB_DROPS],
		     hint);
	counter_line(f, "stack records lost (ring buffer full):", c[GMT_CNT_RB_DROPS_STACK],
		     "allocations counted under [unknown stack]; increase --ringbuf-mb");
	counter_line(f, "stack walks failed:", c[GMT_CNT_STACK_ERR],
		     "counted under [unknown stack]");
	counter_line(f, "truncated stacks:", c[GMT_CNT_STACK_TRUNC], "increase --max-depth");
	counter_line(f, "aggregation table full:", c[GMT_CNT_AGG_FULL],
		     "sent one by one through the ring buffer");
	counter_line(f, "morestack re-entries skipped:", c[GMT_CNT_ALLOC_MORESTACK],
		     "info: the call is counted when its prologue re-runs");
}

int gmt_write_report(const struct gmt_agg *a, const struct gmt_symbolizer *sym, FILE *f,
		     const struct gmt_run_info *ri)
{
	const struct gmt_agg_stack *const *st;
	bool est = ri && ri->sampled;
	size_t n;
	char title[64];
	int err;

	if (!a || !f)
		return -EINVAL;
	header(f, ri);
	err = totals(f, a, ri);
	if (err)
		return err;
	n = gmt_agg__stacks_by_bytes(a, &st);
	snprintf(title, sizeof(title), "Top %d stacks by bytes", GMT_REPORT_TOP);
	stacks(f, title, st, n, sym, est);
	n = gmt_agg__stacks_by_count(a, &st);
	snprintf(title, sizeof(title), "Top %d stacks by count", GMT_REPORT_TOP);
	stacks(f, title, st, n, sym, est);
	snprintf(title, sizeof(title), "Top %d types by bytes", GMT_REPORT_TOP);
	types(f, title, a, est);
	drops(f, ri);
	return ferror(f) ? -EIO : 0;
}

int gmt_write_report_inuse(const struct gmt_agg *inuse, const struct gmt_symbolizer *sym, FILE *f)
{
	const struct gmt_agg_stack *const *st;
	size_t n;
	char title[96];

	if (!inuse || !f)
		return -EINVAL;
	n = gmt_agg__stacks_by_bytes(inuse, &st);
	snprintf(title, sizeof(title), "Live heap at the end (estimated): top %d stacks by bytes",
		 GMT_REPORT_TOP);
	stacks(f, title, st, n, sym, true);
	snprintf(title, sizeof(title), "Live heap at the end (estimated): top %d types by bytes",
		 GMT_REPORT_TOP);
	types(f, title, inuse, true);
	return ferror(f) ? -EIO : 0;
}

int gmt_write_report_inuse_scope(FILE *f, double est_bytes, double est_objects,
				 uint64_t frees_ignored)
{
	char h[32];

	if (!f)
		return -EINVAL;
	fprintf(f, "Live heap at the end (estimated): ~%.0f bytes (%s) in ~%.0f objects\n",
		est_bytes, human((uint64_t)(est_bytes + 0.5), h, sizeof(h)), est_objects);
	fprintf(f, "  only objects allocated while tracing that were not freed by its end: objects\n"
		   "  allocated before gomemtrace attached are not in this figure (%" PRIu64
		   " frees of\n  such objects ignored)\n\n",
		frees_ignored);
	return ferror(f) ? -EIO : 0;
}
