// SPDX-License-Identifier: MIT
#include "metrics.h"

#include <errno.h>
#include <stdbool.h>

const uint64_t gmt_pause_bucket_ns[GMT_PAUSE_BUCKETS] = {
	10000, 50000, 100000, 500000, 1000000, 5000000, 10000000, 50000000, 100000000, UINT64_MAX,
};

size_t gmt_pause_bucket(uint64_t dur_ns)
{
	size_t b = 0;

	while (b + 1 < GMT_PAUSE_BUCKETS && dur_ns > gmt_pause_bucket_ns[b])
		b++;
	return b;
}

/* Label values: comm is the kernel's, any byte but NUL; escape what the format needs. */
static void put_labels(FILE *f, const struct gmt_metrics_target *t)
{
	fputs("{comm=\"", f);
	for (const char *p = t->comm ? t->comm : ""; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', f);
		if (*p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
	fprintf(f, "\",pid=\"%d\"", t->pid);
}

enum kind { GAUGE, COUNTER };

struct family {
	const char *name, *help, *unit;
	enum kind kind;
	double (*get)(const struct gmt_metrics_target *t);
};

#define GETTER(field) \
	static double get_##field(const struct gmt_metrics_target *t) { return (double)t->field; }
GETTER(alloc_bytes_per_s)
GETTER(inuse_bytes)
GETTER(alloc_bytes_total)
GETTER(gc_cycles_total)
GETTER(stw_pauses_total)
GETTER(records_dropped_total)
GETTER(samples_dropped_total)
GETTER(intervals_total)

static const struct family families[] = {
	{ "gomemtrace_alloc_rate_bytes_per_second", "Estimated heap allocation rate over the last interval", NULL, GAUGE, get_alloc_bytes_per_s },
	{ "gomemtrace_heap_inuse_bytes", "Estimated live heap (sampled objects not freed yet)", "bytes", GAUGE, get_inuse_bytes },
	{ "gomemtrace_alloc_bytes", "Estimated bytes allocated since gomemtrace attached", "bytes", COUNTER, get_alloc_bytes_total },
	{ "gomemtrace_gc_cycles", "Complete GC cycles seen", NULL, COUNTER, get_gc_cycles_total },
	{ "gomemtrace_stw_pauses", "Stop-the-world pauses seen", NULL, COUNTER, get_stw_pauses_total },
	{ "gomemtrace_dropped_records", "Records lost: the ring buffer was full", NULL, COUNTER, get_records_dropped_total },
	{ "gomemtrace_dropped_samples", "Heap samples lost: the bounded tables were full", NULL, COUNTER, get_samples_dropped_total },
	{ "gomemtrace_intervals", "Profile sets written", NULL, COUNTER, get_intervals_total },
};

int gmt_write_metrics(FILE *f, const struct gmt_metrics_target *t, size_t n)
{
	for (size_t k = 0; k < sizeof(families) / sizeof(families[0]); k++) {
		const struct family *fm = &families[k];

		fprintf(f, "# TYPE %s %s\n", fm->name, fm->kind == GAUGE ? "gauge" : "counter");
		if (fm->unit)
			fprintf(f, "# UNIT %s %s\n", fm->name, fm->unit);
		fprintf(f, "# HELP %s %s.\n", fm->name, fm->help);
		for (size_t i = 0; i < n; i++) {
			fprintf(f, "%s%s", fm->name, fm->kind == COUNTER ? "_total" : "");
			put_labels(f, &t[i]);
			fprintf(f, "} %.17g\n", fm->get(&t[i]));
		}
	}
	fputs("# TYPE gomemtrace_stw_pause_seconds histogram\n"
	      "# UNIT gomemtrace_stw_pause_seconds seconds\n"
	      "# HELP gomemtrace_stw_pause_seconds Stop-the-world pause durations.\n", f);
	for (size_t i = 0; i < n; i++) {
		uint64_t cum = 0;

		for (size_t b = 0; b < GMT_PAUSE_BUCKETS; b++) {
			cum += t[i].pause_hist[b];
			fputs("gomemtrace_stw_pause_seconds_bucket", f);
			put_labels(f, &t[i]);
			if (gmt_pause_bucket_ns[b] == UINT64_MAX)
				fprintf(f, ",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
			else
				fprintf(f, ",le=\"%g\"} %llu\n", gmt_pause_bucket_ns[b] / 1e9,
					(unsigned long long)cum);
		}
		fputs("gomemtrace_stw_pause_seconds_count", f);
		put_labels(f, &t[i]);
		fprintf(f, "} %llu\n", (unsigned long long)cum);
		fputs("gomemtrace_stw_pause_seconds_sum", f);
		put_labels(f, &t[i]);
		fprintf(f, "} %.9f\n", t[i].stw_seconds_total);
	}
	fputs("# EOF\n", f);
	return ferror(f) ? -EIO : 0;
}
