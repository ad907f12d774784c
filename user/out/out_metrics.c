// SPDX-License-Identifier: MIT
#include "metrics.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <math.h>

#define GMT_NS(ns) ns,
const uint64_t gmt_pause_bucket_ns[GMT_PAUSE_BUCKETS] = { GMT_PAUSE_BOUNDS_NS(GMT_NS) UINT64_MAX };

size_t gmt_pause_bucket(uint64_t dur_ns)
{
	size_t b = 0;

	while (b + 1 < GMT_PAUSE_BUCKETS && dur_ns > gmt_pause_bucket_ns[b])
		b++;
	return b;
}

static struct gmt_pause_hist *pause_slot(struct gmt_pauses *p, const char *reason)
{
	struct gmt_pause_hist *h;

	if (!reason || !*reason)
		reason = "?";
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->r[i].reason, reason))
			return &p->r[i];
	if (p->n == GMT_PAUSE_REASONS) {
		h = &p->r[GMT_PAUSE_REASONS - 1];
		snprintf(h->reason, sizeof(h->reason), "%s", GMT_PAUSE_OTHER);
		return h;
	}
	h = &p->r[p->n++];
	*h = (struct gmt_pause_hist){0};
	snprintf(h->reason, sizeof(h->reason), "%s", reason);
	return h;
}

void gmt_pauses_add(struct gmt_pauses *p, const char *reason, uint64_t dur_ns)
{
	struct gmt_pause_hist *h = pause_slot(p, reason);

	h->count++;
	h->sum_ns += dur_ns;
	h->bucket[gmt_pause_bucket(dur_ns)]++;
}

void gmt_pauses_merge(struct gmt_pauses *dst, const struct gmt_pauses *src)
{
	for (size_t i = 0; i < src->n; i++) {
		struct gmt_pause_hist *h = pause_slot(dst, src->r[i].reason);

		h->count += src->r[i].count;
		h->sum_ns += src->r[i].sum_ns;
		for (size_t b = 0; b < GMT_PAUSE_BUCKETS; b++)
			h->bucket[b] += src->r[i].bucket[b];
	}
}

uint64_t gmt_pauses_total(const struct gmt_pauses *p, uint64_t bucket[GMT_PAUSE_BUCKETS])
{
	uint64_t n = 0;

	memset(bucket, 0, GMT_PAUSE_BUCKETS * sizeof(*bucket));
	for (size_t i = 0; i < p->n; i++) {
		n += p->r[i].count;
		for (size_t b = 0; b < GMT_PAUSE_BUCKETS; b++)
			bucket[b] += p->r[i].bucket[b];
	}
	return n;
}

/* Length of the valid UTF-8 sequence at p (1-4), or 0 if the bytes there are not one. */
static size_t utf8_len(const unsigned char *p)
{
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong forms, UTF-16 surrogates and code points past U+10FFFF. */
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
		return 0;
	return n;
}

/*
 * Label values: comm is the kernel's, any byte but NUL, cut at 15 bytes maybe inside a
 * character.  The format wants UTF-8 with \\, \" and \n escaped: other bytes become
 * U+FFFD, so that one odd process name cannot make the whole file unreadable.
 */
static void put_labels(FILE *f, const struct gmt_metrics_target *t)
{
	const unsigned char *p = (const unsigned char *)(t->comm ? t->comm : "");

	fputs("{comm=\"", f);
	while (*p) {
		size_t n = utf8_len(p);

		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (n)
			fwrite(p, 1, n, f);
		else
			fputs("\xef\xbf\xbd", f);
		p += n ? n : 1;
	}
	fprintf(f, "\",pid=\"%d\"", t->pid);
}

/* A sample value as the format spells it: NaN and the infinities have their names. */
static void put_value(FILE *f, double v)
{
	if (isnan(v))
		fputs(" NaN\n", f);
	else if (isinf(v))
		fputs(v > 0 ? " +Inf\n" : " -Inf\n", f);
	else
		fprintf(f, " %.17g\n", v);
}

enum kind { GAUGE, COUNTER };

struct family {
	const char *name, *help;
	enum kind kind;
	double (*get)(const struct gmt_metrics_target *t);
	bool (*has)(const struct gmt_metrics_target *t); /* NULL: every target */
};

#define GETTER(field) \
	static double get_##field(const struct gmt_metrics_target *t) { return (double)t->field; }
GETTER(alloc_bytes_per_s)
GETTER(inuse_bytes)
GETTER(goroutines)
GETTER(leak_groups)
GETTER(leak_goroutines)
GETTER(alloc_bytes_total)
GETTER(gc_cycles_total)
GETTER(stw_pauses_total)
GETTER(records_dropped_total)
GETTER(samples_dropped_total)
GETTER(intervals_total)

static bool has_goroutines(const struct gmt_metrics_target *t)
{
	return t->has_goroutines;
}

static bool has_leaks(const struct gmt_metrics_target *t)
{
	return t->has_leaks;
}

/* Counters carry their _total in the family name: TYPE and samples must agree on it. */
static const struct family families[] = {
	{ "gomemtrace_alloc_rate_bytes_per_second",
	  "Estimated heap allocation rate over the last interval.", GAUGE,
	  get_alloc_bytes_per_s },
	{ "gomemtrace_heap_inuse_bytes",
	  "Estimated live heap at the last interval's end (sampled objects not freed yet).",
	  GAUGE, get_inuse_bytes },
	{ "gomemtrace_goroutines",
	  "Live goroutines at the last interval's end, as runtime.NumGoroutine counts them "
	  "(only for targets traced with --goroutines).",
	  GAUGE, get_goroutines, has_goroutines },
	{ "gomemtrace_goroutine_leak_groups",
	  "Goroutine groups (creation site, wait site, wait reason) flagged as probable leaks "
	  "at the last interval's snapshot: count and oldest wait grew over the last reads.",
	  GAUGE, get_leak_groups, has_leaks },
	{ "gomemtrace_goroutine_leak_goroutines",
	  "Goroutines in the groups flagged as probable leaks at the last interval's snapshot.",
	  GAUGE, get_leak_goroutines, has_leaks },
	{ "gomemtrace_alloc_bytes_total", "Estimated bytes allocated since gomemtrace attached.",
	  COUNTER, get_alloc_bytes_total },
	{ "gomemtrace_gc_cycles_total", "Complete GC cycles seen since gomemtrace attached.",
	  COUNTER, get_gc_cycles_total },
	{ "gomemtrace_stw_pauses_total", "Stop-the-world pauses seen since gomemtrace attached.",
	  COUNTER, get_stw_pauses_total },
	{ "gomemtrace_dropped_records_total", "Records lost because the ring buffer was full.",
	  COUNTER, get_records_dropped_total },
	{ "gomemtrace_dropped_samples_total",
	  "Heap samples lost because the bounded tables were full.", COUNTER,
	  get_samples_dropped_total },
	{ "gomemtrace_intervals_total", "Profile sets written.", COUNTER, get_intervals_total },
};

static void put_header(FILE *f, const char *name, const char *help, const char *type)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

int gmt_write_metrics(FILE *f, const struct gmt_metrics_target *t, size_t n)
{
	for (size_t k = 0; k < sizeof(families) / sizeof(families[0]); k++) {
		const struct family *fm = &families[k];
		bool header = false;

		for (size_t i = 0; i < n; i++) {
			if (fm->has && !fm->has(&t[i]))
				continue;
			if (!header)
				put_header(f, fm->name, fm->help,
					   fm->kind == GAUGE ? "gauge" : "counter");
			header = true;
			fputs(fm->name, f);
			put_labels(f, &t[i]);
			fputc('}', f);
			put_value(f, fm->get(&t[i]));
		}
	}
	if (n)
		put_header(f, "gomemtrace_stw_pause_seconds",
			   "Stop-the-world pause durations since gomemtrace attached.",
			   "histogram");
	for (size_t i = 0; i < n; i++) {
		uint64_t cum = 0, hist[GMT_PAUSE_BUCKETS];

		gmt_pauses_total(&t[i].pauses, hist);
		for (size_t b = 0; b < GMT_PAUSE_BUCKETS; b++) {
			cum += hist[b];
			fputs("gomemtrace_stw_pause_seconds_bucket", f);
			put_labels(f, &t[i]);
			if (gmt_pause_bucket_ns[b] == UINT64_MAX)
				fprintf(f, ",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
			else
				fprintf(f, ",le=\"%g\"} %llu\n", gmt_pause_bucket_ns[b] / 1e9,
					(unsigned long long)cum);
		}
		fputs("gomemtrace_stw_pause_seconds_sum", f);
		put_labels(f, &t[i]);
		fputc('}', f);
		put_value(f, t[i].stw_seconds_total);
		fputs("gomemtrace_stw_pause_seconds_count", f);
		put_labels(f, &t[i]);
		fprintf(f, "} %llu\n", (unsigned long long)cum);
	}
	return ferror(f) ? -EIO : 0;
}

int gmt_write_export_metrics(FILE *f, const struct gmt_metrics_export *e)
{
	static const struct {
		const char *name, *help, *type;
		size_t off;
	} fams[] = {
		{ "gomemtrace_otlp_requests_sent_total", "OTLP requests the Collector accepted.",
		  "counter", offsetof(struct gmt_metrics_export, sent) },
		{ "gomemtrace_otlp_failures_total", "OTLP send tries that failed (kept, retried).",
		  "counter", offsetof(struct gmt_metrics_export, failures) },
		{ "gomemtrace_otlp_requests_dropped_total",
		  "OTLP requests dropped, oldest first, from the full send queue.", "counter",
		  offsetof(struct gmt_metrics_export, dropped) },
		{ "gomemtrace_otlp_requests_queued", "OTLP requests waiting to be sent.", "gauge",
		  offsetof(struct gmt_metrics_export, queued) },
	};

	for (size_t i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
		uint64_t v;

		memcpy(&v, (const char *)e + fams[i].off, sizeof(v));
		put_header(f, fams[i].name, fams[i].help, fams[i].type);
		fprintf(f, "%s %llu\n", fams[i].name, (unsigned long long)v);
	}
	return ferror(f) ? -EIO : 0;
}
