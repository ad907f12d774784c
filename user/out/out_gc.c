// SPDX-License-Identifier: MIT
/*
 * gc.txt, gc.json and the GC parts of summary.json / report.txt.
 *
 * Times on every output are CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns and of the
 * Go runtime's nanotime: gc.json puts GC cycles, pauses, heap counters and the
 * allocation rate on that one clock, relative to the start of the recording.
 */
#include "out_gc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json_writer.h"

#define MB (1ULL << 20)

/* Pause histogram bucket upper bounds, ns; the last bucket is open. */
static const uint64_t hist_bounds[] = {
    10000,   20000,   50000,	100000,	  200000,   500000,    1000000,
    2000000, 5000000, 10000000, 20000000, 50000000, 100000000,
};
#define NBUCKETS (sizeof(hist_bounds) / sizeof(hist_bounds[0]) + 1)

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t gmt_percentile(const uint64_t *sorted, size_t n, double p)
{
	size_t rank;

	if (!n)
		return 0;
	rank = (size_t)((p / 100.0) * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

/* Durations of the complete pauses, sorted; *n of them.  NULL with *n == 0 is fine. */
static int pause_durations(const struct gmt_gc_timeline *tl, uint64_t **out, size_t *n)
{
	const struct gmt_stw *s;
	size_t ns = gmt_gc_timeline__stws(tl, &s), k = 0;
	uint64_t *d = malloc((ns ? ns : 1) * sizeof(*d));

	if (!d)
		return -ENOMEM;
	for (size_t i = 0; i < ns; i++)
		if (s[i].start && s[i].end)
			d[k++] = s[i].end - s[i].start;
	qsort(d, k, sizeof(*d), cmp_u64);
	*out = d;
	*n = k;
	return 0;
}

static uint64_t time_base(const struct gmt_gc_out *o)
{
	struct gmt_gc_stats st;

	gmt_gc_timeline__stats(o->tl, &st);
	if (o->ri && o->ri->start_ns && (!st.first_ts || o->ri->start_ns <= st.first_ts))
		return o->ri->start_ns;
	if (o->nrate && o->rate_ts[0] && (!st.first_ts || o->rate_ts[0] < st.first_ts))
		return o->rate_ts[0];
	return st.first_ts;
}

/* The traced wall time, seconds. */
static double wall_s(const struct gmt_gc_out *o)
{
	struct gmt_gc_stats st;

	if (o->ri && o->ri->duration_s > 0)
		return o->ri->duration_s;
	gmt_gc_timeline__stats(o->tl, &st);
	return st.last_ts > st.first_ts ? (st.last_ts - st.first_ts) / 1e9 : 0;
}

/*
 * GC CPU fraction, estimated from what the probes see: stop-the-world time (all Ps) plus
 * the dedicated mark workers' 25% of the Ps during concurrent mark, over the traced
 * wall time.  Mark assists and idle-time marking are not seen: a lower bound.
 */
static double cpu_fraction(const struct gmt_gc_out *o)
{
	const struct gmt_gc_cycle *c;
	size_t n = gmt_gc_timeline__cycles(o->tl, &c);
	double busy = 0, wall = wall_s(o);

	for (size_t i = 0; i < n; i++) {
		if (!gmt_gc_cycle_complete(&c[i]))
			continue;
		busy += (double)(c[i].t_mark - c[i].t_sweep_term) +
			(double)(c[i].t_end - c[i].t_mark_term) + (double)c[i].retry_stw_ns;
		busy += 0.25 * (double)(c[i].t_mark_term - c[i].t_mark);
	}
	return wall > 0 ? busy / 1e9 / wall : 0;
}

static void fmt_ms(char *buf, size_t len, uint64_t a, uint64_t b)
{
	if (!a || !b || b < a)
		snprintf(buf, len, "?");
	else
		snprintf(buf, len, "%.3f", (b - a) / 1e6);
}

static void fmt_mb(char *buf, size_t len, bool have, uint64_t v)
{
	if (have)
		snprintf(buf, len, "%llu", (unsigned long long)(v / MB));
	else
		snprintf(buf, len, "?");
}

static void cycle_line(FILE *f, const struct gmt_gc_cycle *c, uint64_t base)
{
	char t0[32], s1[32], mk[32], s2[32], a[24], b[24], cc[24], goal[24];

	if (c->t_sweep_term)
		snprintf(t0, sizeof(t0), "%.3fs", ((double)c->t_sweep_term - (double)base) / 1e9);
	else
		snprintf(t0, sizeof(t0), "?");
	fmt_ms(s1, sizeof(s1), c->t_sweep_term, c->t_mark);
	fmt_ms(mk, sizeof(mk), c->t_mark, c->t_mark_term);
	fmt_ms(s2, sizeof(s2), c->t_mark_term, c->t_end);
	fmt_mb(a, sizeof(a), c->have_heap0, c->heap0);
	fmt_mb(b, sizeof(b), c->have_heap1, c->heap1);
	fmt_mb(cc, sizeof(cc), c->have_heap2, c->heap2);
	fmt_mb(goal, sizeof(goal), c->have_goal, c->goal);
	if (c->num)
		fprintf(f, "gc %u", c->num);
	else
		fprintf(f, "gc ?");
	fprintf(f, " @%s: %s+%s+%s ms clock, %s->%s->%s MB, %s MB goal, %u P, %s", t0, s1, mk, s2,
		a, b, cc, goal, c->procs, gmt_gc_trigger_name(c->trigger));
	if (c->trigger == GMT_GC_TRIGGER_FORCED)
		fprintf(f, " (forced)");
	if (c->mark_term_retries)
		fprintf(f, ", mark termination restarted %u time%s (%.3f ms)", c->mark_term_retries,
			c->mark_term_retries > 1 ? "s" : "", c->retry_stw_ns / 1e6);
	if (c->flags & GMT_GC_PARTIAL_START)
		fprintf(f, " [partial: began before tracing]");
	if (c->flags & GMT_GC_PARTIAL_END)
		fprintf(f, " [partial: not finished when tracing stopped]");
	fputc('\n', f);
}

struct reason_count {
	char name[48];
	uint64_t n, total_ns, max_ns;
};

/* Pauses grouped by name; few distinct names, so a linear search is fine. */
static size_t group_reasons(const struct gmt_gc_timeline *tl, bool gc, struct reason_count *rc,
			    size_t max)
{
	const struct gmt_stw *s;
	size_t ns = gmt_gc_timeline__stws(tl, &s), nr = 0;

	for (size_t i = 0; i < ns; i++) {
		char name[48];
		uint64_t d;
		size_t k;

		if (!s[i].start || !s[i].end || (s[i].kind != GMT_STW_OTHER) != gc)
			continue;
		d = s[i].end - s[i].start;
		gmt_stw_name(&s[i], name, sizeof(name));
		for (k = 0; k < nr; k++)
			if (strcmp(rc[k].name, name) == 0)
				break;
		if (k == nr) {
			if (nr == max)
				continue;
			memset(&rc[nr], 0, sizeof(rc[nr]));
			snprintf(rc[nr].name, sizeof(rc[nr].name), "%s", name);
			nr++;
		}
		rc[k].n++;
		rc[k].total_ns += d;
		if (d > rc[k].max_ns)
			rc[k].max_ns = d;
	}
	return nr;
}

static void hist_label(char *buf, size_t len, size_t i)
{
	uint64_t lo = i ? hist_bounds[i - 1] : 0;

	if (i == NBUCKETS - 1)
		snprintf(buf, len, ">= %llu ms", (unsigned long long)(lo / 1000000));
	else if (hist_bounds[i] <= 1000000)
		snprintf(buf, len, "%4llu-%-4llu us", (unsigned long long)(lo / 1000),
			 (unsigned long long)(hist_bounds[i] / 1000));
	else
		snprintf(buf, len, "%4llu-%-4llu ms", (unsigned long long)(lo / 1000000),
			 (unsigned long long)(hist_bounds[i] / 1000000));
}

static void pause_summary(FILE *f, const struct gmt_gc_out *o, const uint64_t *d, size_t n,
			  const char *indent)
{
	struct gmt_gc_stats st;

	gmt_gc_timeline__stats(o->tl, &st);
	fprintf(f,
		"%sstop-the-world pauses: %llu (GC %llu, other %llu), total %.3f ms, max %.3f ms\n",
		indent, (unsigned long long)st.stw_pauses, (unsigned long long)st.gc_stw_pauses,
		(unsigned long long)(st.stw_pauses - st.gc_stw_pauses), st.stw_total_ns / 1e6,
		st.stw_max_ns / 1e6);
	if (n)
		fprintf(f, "%s  p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  max %.3f ms\n", indent,
			gmt_percentile(d, n, 50) / 1e6, gmt_percentile(d, n, 90) / 1e6,
			gmt_percentile(d, n, 99) / 1e6, d[n - 1] / 1e6);
}

static void reasons_table(FILE *f, const struct gmt_gc_timeline *tl, const char *indent)
{
	struct reason_count rc[32];

	for (int gc = 1; gc >= 0; gc--) {
		size_t nr = group_reasons(tl, gc, rc, 32);

		if (!nr)
			continue;
		fprintf(f, "%s%s pauses by reason:\n", indent, gc ? "GC" : "non-GC");
		for (size_t i = 0; i < nr; i++)
			fprintf(f, "%s  %-34s %8llu  total %10.3f ms  max %8.3f ms\n", indent,
				rc[i].name, (unsigned long long)rc[i].n, rc[i].total_ns / 1e6,
				rc[i].max_ns / 1e6);
	}
}

static void counters_line(FILE *f, const struct gmt_gc_out *o, const char *indent)
{
	const uint64_t *c = o->counters;

	if (!c)
		return;
	fprintf(f,
		"%sGC probe hits %llu (%llu skipped at the stack check), read errors %llu, "
		"records lost %llu\n",
		indent, (unsigned long long)c[GMT_CNT_GC_HITS],
		(unsigned long long)c[GMT_CNT_GC_MORESTACK],
		(unsigned long long)c[GMT_CNT_GC_READ_ERR],
		(unsigned long long)c[GMT_CNT_GC_RB_DROPS]);
}

static void unavailable_lines(FILE *f, const struct gmt_gc_out *o, const char *indent)
{
	const char *p = o->unavailable;

	if (!p || !*p)
		return;
	fprintf(f, "%sunavailable:\n", indent);
	while (*p) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);

		fprintf(f, "%s  %.*s\n", indent, len, p);
		p += len + (nl ? 1 : 0);
	}
}

int gmt_write_gc_txt(FILE *f, const struct gmt_gc_out *o)
{
	const struct gmt_gc_cycle *c;
	size_t nc = gmt_gc_timeline__cycles(o->tl, &c), nd, hist[NBUCKETS] = {0}, hmax = 0;
	uint64_t base = time_base(o), *d;
	struct gmt_gc_stats st;
	int err = pause_durations(o->tl, &d, &nd);

	if (err)
		return err;
	gmt_gc_timeline__stats(o->tl, &st);
	fprintf(f, "# gomemtrace GC timeline");
	if (o->ri)
		fprintf(f, ": PID %d (%s), %s, %.2f s traced", o->ri->pid,
			o->ri->comm ? o->ri->comm : "?",
			o->ri->go_version ? o->ri->go_version : "?", o->ri->duration_s);
	fprintf(f,
		"\n# gc N @T: sweep-term STW + concurrent mark + mark-term STW ms clock, heap at "
		"start -> at mark termination -> marked live MB, goal MB, GOMAXPROCS, trigger\n"
		"# (N is the runtime's own cycle number, as in GODEBUG=gctrace=1; T is seconds "
		"since tracing began)\n");
	for (size_t i = 0; i < nc; i++)
		cycle_line(f, &c[i], base);
	fprintf(f, "\n%u cycles (%u forced by runtime.GC), %u partial; gcStart called %u times\n",
		st.cycles, st.forced, st.partial_cycles, st.gc_start_calls);
	pause_summary(f, o, d, nd, "");

	for (size_t i = 0; i < nd; i++) {
		size_t b = 0;

		while (b < NBUCKETS - 1 && d[i] >= hist_bounds[b])
			b++;
		hist[b]++;
	}
	for (size_t b = 0; b < NBUCKETS; b++)
		if (hist[b] > hmax)
			hmax = hist[b];
	if (nd) {
		fprintf(f, "\npause histogram:\n");
		for (size_t b = 0; b < NBUCKETS; b++) {
			char label[48];
			size_t bar = hmax ? (hist[b] * 50 + hmax - 1) / hmax : 0;

			hist_label(label, sizeof(label), b);
			fprintf(f, "  %-14s %8zu ", label, hist[b]);
			for (size_t k = 0; k < bar; k++)
				fputc('#', f);
			fputc('\n', f);
		}
	}
	fputc('\n', f);
	reasons_table(f, o->tl, "");
	if (st.cycles)
		fprintf(f,
			"\nGC CPU fraction (estimate): %.2f%% = (STW time + 25%% of the Ps during "
			"concurrent mark) / traced time; mark assists and idle marking are not "
			"seen\n",
			100 * cpu_fraction(o));
	if (st.lost_records)
		fprintf(f,
			"%llu GC records were missing from the sequence (cycles around them are "
			"marked partial)\n",
			(unsigned long long)st.lost_records);
	counters_line(f, o, "");
	unavailable_lines(f, o, "");
	free(d);
	return ferror(f) ? -EIO : 0;
}

/* ---- gc.json: Chrome trace event format ---- */

enum { TID_CYCLES = 1, TID_PHASES = 2, TID_STW = 3 };

struct jctx {
	struct gmt_json *j;
	int pid;
	uint64_t base;
};

static double ts_us(const struct jctx *x, uint64_t ns)
{
	return ((double)ns - (double)x->base) / 1000.0;
}

static void ev_begin(struct jctx *x, const char *name, const char *cat, const char *ph, int tid)
{
	gmt_json__obj_begin(x->j);
	gmt_json__kstr(x->j, "name", name);
	if (cat)
		gmt_json__kstr(x->j, "cat", cat);
	gmt_json__kstr(x->j, "ph", ph);
	gmt_json__kint(x->j, "pid", x->pid);
	gmt_json__kint(x->j, "tid", tid);
}

static void meta(struct jctx *x, const char *what, int tid, const char *name, int sort)
{
	ev_begin(x, what, NULL, "M", tid);
	gmt_json__kdouble(x->j, "ts", 0);
	gmt_json__key(x->j, "args");
	gmt_json__obj_begin(x->j);
	if (name)
		gmt_json__kstr(x->j, "name", name);
	else
		gmt_json__kint(x->j, "sort_index", sort);
	gmt_json__obj_end(x->j);
	gmt_json__obj_end(x->j);
}

static void slice(struct jctx *x, const char *name, const char *cat, int tid, uint64_t a,
		  uint64_t b)
{
	ev_begin(x, name, cat, "X", tid);
	gmt_json__kdouble(x->j, "ts", ts_us(x, a));
	gmt_json__kdouble(x->j, "dur", b > a ? (b - a) / 1000.0 : 0);
}

static void counter(struct jctx *x, const char *name, uint64_t ts, const char *unit, double v)
{
	ev_begin(x, name, "gc", "C", 0);
	gmt_json__kdouble(x->j, "ts", ts_us(x, ts));
	gmt_json__key(x->j, "args");
	gmt_json__obj_begin(x->j);
	gmt_json__kdouble(x->j, unit, v);
	gmt_json__obj_end(x->j);
	gmt_json__obj_end(x->j);
}

static void kheap(struct gmt_json *j, const char *key, bool have, uint64_t v)
{
	if (have)
		gmt_json__kuint(j, key, v);
	else {
		gmt_json__key(j, key);
		gmt_json__null(j);
	}
}

static void kdur(struct gmt_json *j, const char *key, uint64_t a, uint64_t b)
{
	if (a && b && b >= a)
		gmt_json__kuint(j, key, b - a);
	else {
		gmt_json__key(j, key);
		gmt_json__null(j);
	}
}

static void cycle_events(struct jctx *x, const struct gmt_gc_cycle *c, uint64_t first,
			 uint64_t last)
{
	uint64_t a = c->t_sweep_term ? c->t_sweep_term : c->t_mark ? c->t_mark : c->t_mark_term;
	uint64_t b = c->t_end ? c->t_end : last;
	char name[64];

	if (!a)
		a = first;
	if (c->num)
		snprintf(name, sizeof(name), "GC %u (%s)", c->num, gmt_gc_trigger_name(c->trigger));
	else
		snprintf(name, sizeof(name), "GC ? (%s)", gmt_gc_trigger_name(c->trigger));
	slice(x, name, "gc", TID_CYCLES, a, b);
	gmt_json__key(x->j, "args");
	gmt_json__obj_begin(x->j);
	gmt_json__kuint(x->j, "cycle", c->num);
	gmt_json__kstr(x->j, "trigger", gmt_gc_trigger_name(c->trigger));
	gmt_json__kbool(x->j, "forced", c->trigger == GMT_GC_TRIGGER_FORCED);
	gmt_json__kbool(x->j, "partial", !gmt_gc_cycle_complete(c));
	gmt_json__kuint(x->j, "procs", c->procs);
	kdur(x->j, "sweep_term_ns", c->t_sweep_term, c->t_mark);
	kdur(x->j, "mark_ns", c->t_mark, c->t_mark_term);
	kdur(x->j, "mark_term_ns", c->t_mark_term, c->t_end);
	gmt_json__kuint(x->j, "mark_term_retries", c->mark_term_retries);
	kheap(x->j, "heap_start_bytes", c->have_heap0, c->heap0);
	kheap(x->j, "heap_end_bytes", c->have_heap1, c->heap1);
	kheap(x->j, "heap_marked_bytes", c->have_heap2, c->heap2);
	kheap(x->j, "heap_goal_bytes", c->have_goal, c->goal);
	gmt_json__obj_end(x->j);
	gmt_json__obj_end(x->j);

	if (c->t_sweep_term && c->t_mark) {
		slice(x, "sweep termination (STW)", "gc", TID_PHASES, c->t_sweep_term, c->t_mark);
		gmt_json__obj_end(x->j);
	}
	if (c->t_mark && c->t_mark_term) {
		slice(x, "concurrent mark", "gc", TID_PHASES, c->t_mark, c->t_mark_term);
		gmt_json__obj_end(x->j);
	}
	if (c->t_mark_term && c->t_end) {
		slice(x, "mark termination (STW)", "gc", TID_PHASES, c->t_mark_term, c->t_end);
		gmt_json__obj_end(x->j);
	}
	if (c->have_heap0 && c->t_sweep_term)
		counter(x, "heap live", c->t_sweep_term, "MB", (double)c->heap0 / MB);
	if (c->have_heap1 && c->t_mark_term)
		counter(x, "heap live", c->t_mark_term, "MB", (double)c->heap1 / MB);
	if (c->have_heap2 && c->t_end)
		counter(x, "heap live", c->t_end, "MB", (double)c->heap2 / MB);
	if (c->have_goal && (c->t_mark_term || c->t_end))
		counter(x, "heap goal", c->t_mark_term ? c->t_mark_term : c->t_end, "MB",
			(double)c->goal / MB);
}

static void stw_event(struct jctx *x, const struct gmt_stw *s, uint64_t first, uint64_t last)
{
	char name[64];

	gmt_stw_name(s, name, sizeof(name));
	slice(x, name, "stw", TID_STW, s->start ? s->start : first, s->end ? s->end : last);
	gmt_json__key(x->j, "args");
	gmt_json__obj_begin(x->j);
	gmt_json__kstr(x->j, "reason", name);
	gmt_json__kbool(x->j, "gc", s->kind != GMT_STW_OTHER);
	gmt_json__kuint(x->j, "cycle", s->cycle);
	kdur(x->j, "dur_ns", s->start, s->end);
	gmt_json__kbool(x->j, "partial", !s->start || !s->end);
	gmt_json__kuint(x->j, "tid", s->tid);
	gmt_json__obj_end(x->j);
	gmt_json__obj_end(x->j);
}

int gmt_write_gc_json(FILE *f, const struct gmt_gc_out *o)
{
	const struct gmt_gc_cycle *c;
	const struct gmt_stw *s;
	size_t nc = gmt_gc_timeline__cycles(o->tl, &c), ns = gmt_gc_timeline__stws(o->tl, &s);
	struct gmt_gc_stats st;
	struct jctx x = {.pid = o->ri ? o->ri->pid : 0, .base = time_base(o)};
	uint64_t first, last;
	char pname[128];

	gmt_gc_timeline__stats(o->tl, &st);
	first = x.base;
	last = o->ri && o->ri->end_ns > st.last_ts ? o->ri->end_ns : st.last_ts;
	x.j = gmt_json__new(f, false);
	if (!x.j)
		return -ENOMEM;
	gmt_json__obj_begin(x.j);
	gmt_json__key(x.j, "traceEvents");
	gmt_json__arr_begin(x.j);
	snprintf(pname, sizeof(pname), "%s (PID %d): Go GC",
		 o->ri && o->ri->comm ? o->ri->comm : "process", x.pid);
	meta(&x, "process_name", 0, pname, 0);
	meta(&x, "thread_name", TID_CYCLES, "GC cycles", 0);
	meta(&x, "thread_name", TID_PHASES, "GC phases", 0);
	meta(&x, "thread_name", TID_STW, "stop-the-world", 0);
	meta(&x, "thread_sort_index", TID_CYCLES, NULL, 1);
	meta(&x, "thread_sort_index", TID_PHASES, NULL, 2);
	meta(&x, "thread_sort_index", TID_STW, NULL, 3);
	for (size_t i = 0; i < nc; i++)
		cycle_events(&x, &c[i], first, last);
	for (size_t i = 0; i < ns; i++)
		stw_event(&x, &s[i], first, last);
	for (size_t i = 0; i < o->nrate; i++)
		counter(&x, "allocation rate", o->rate_ts[i], "MB/s", o->rate_bytes_per_s[i] / 1e6);
	for (size_t t = 0; t < o->ntracks; t++)
		for (size_t i = 0; i < o->tracks[t].n; i++)
			counter(&x, o->tracks[t].name, o->tracks[t].ts[i], o->tracks[t].unit,
				o->tracks[t].v[i]);
	gmt_json__arr_end(x.j);
	gmt_json__kstr(x.j, "displayTimeUnit", "ms");
	gmt_json__key(x.j, "otherData");
	gmt_json__obj_begin(x.j);
	gmt_json__kstr(x.j, "clock", "CLOCK_MONOTONIC");
	gmt_json__kuint(x.j, "clock_base_ns", x.base);
	if (o->ri && o->ri->go_version)
		gmt_json__kstr(x.j, "go_version", o->ri->go_version);
	gmt_json__kstr(x.j, "unavailable", o->unavailable ? o->unavailable : "");
	gmt_json__obj_end(x.j);
	gmt_json__obj_end(x.j);
	fputc('\n', f);
	return gmt_json__free(x.j);
}

void gmt_gc_summary_fields(struct gmt_json *j, const struct gmt_gc_out *o)
{
	struct gmt_gc_stats st;
	struct reason_count rc[32];
	uint64_t *d = NULL;
	size_t nd = 0;

	gmt_gc_timeline__stats(o->tl, &st);
	gmt_json__kuint(j, "gc_cycles", st.cycles);
	gmt_json__kuint(j, "gc_forced", st.forced);
	gmt_json__kuint(j, "gc_cycles_partial", st.partial_cycles);
	gmt_json__kuint(j, "stw_pauses", st.stw_pauses);
	gmt_json__kuint(j, "stw_total_ns", st.stw_total_ns);
	gmt_json__kuint(j, "stw_max_ns", st.stw_max_ns);
	gmt_json__kuint(j, "gc_stw_pauses", st.gc_stw_pauses);
	gmt_json__kuint(j, "gc_stw_total_ns", st.gc_stw_total_ns);
	if (!pause_durations(o->tl, &d, &nd)) {
		gmt_json__kuint(j, "stw_p50_ns", gmt_percentile(d, nd, 50));
		gmt_json__kuint(j, "stw_p90_ns", gmt_percentile(d, nd, 90));
		gmt_json__kuint(j, "stw_p99_ns", gmt_percentile(d, nd, 99));
		free(d);
	}
	gmt_json__kdouble(j, "gc_cpu_fraction_est", cpu_fraction(o));
	gmt_json__key(j, "stw_reasons");
	gmt_json__obj_begin(j);
	for (int gc = 1; gc >= 0; gc--) {
		size_t nr = group_reasons(o->tl, gc, rc, 32);

		for (size_t i = 0; i < nr; i++)
			gmt_json__kuint(j, rc[i].name, rc[i].n);
	}
	gmt_json__obj_end(j);
	gmt_json__key(j, "gc_unavailable");
	gmt_json__arr_begin(j);
	for (const char *p = o->unavailable; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char item[512];

		snprintf(item, sizeof(item), "%.*s", (int)len, p);
		gmt_json__str(j, item);
		p += len + (nl ? 1 : 0);
	}
	gmt_json__arr_end(j);
}

int gmt_gc_report(FILE *f, const struct gmt_gc_out *o)
{
	struct gmt_gc_stats st;
	uint64_t *d;
	size_t nd;
	int err = pause_durations(o->tl, &d, &nd);

	if (err)
		return err;
	gmt_gc_timeline__stats(o->tl, &st);
	fprintf(f, "\nGarbage collector (gc.txt has every cycle, gc.json the timeline)\n");
	fprintf(f, "  cycles: %u (%u forced by runtime.GC), %u partial\n", st.cycles, st.forced,
		st.partial_cycles);
	if (st.cycles)
		fprintf(f,
			"  concurrent mark: %.3f ms in total; GC CPU fraction (estimate) %.2f%%\n",
			st.mark_total_ns / 1e6, 100 * cpu_fraction(o));
	pause_summary(f, o, d, nd, "  ");
	reasons_table(f, o->tl, "  ");
	counters_line(f, o, "  ");
	unavailable_lines(f, o, "  ");
	free(d);
	return ferror(f) ? -EIO : 0;
}
