/* SPDX-License-Identifier: MIT */
/*
 * The GC outputs (issue 5): gc.txt (a gctrace-like line per cycle, the pause histogram
 * and percentiles) and gc.json (Chrome trace events: opens in Perfetto and
 * chrome://tracing), plus the GC parts of summary.json and report.txt.  Kernel-free:
 * they read a finished gmt_gc_timeline.  All return 0, -ENOMEM or -EIO; none closes f.
 */
#ifndef GMT_OUT_GC_H
#define GMT_OUT_GC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gc_timeline.h"
#include "runinfo.h"

struct gmt_json;

/* A counter track of gc.json besides the GC's own (e.g. live goroutines). */
struct gmt_counter_track {
	const char *name, *unit;
	const uint64_t *ts; /* CLOCK_MONOTONIC ns */
	const double *v;
	size_t n;
};

#define GMT_GC_MAX_TRACKS 4

struct gmt_gc_out {
	const struct gmt_gc_timeline *tl; /* finished (gmt_gc_timeline__finish) */
	const struct gmt_run_info *ri;	  /* may be NULL */
	/* Allocation rate counter track, may be empty: ts (CLOCK_MONOTONIC ns), bytes/s. */
	const uint64_t *rate_ts;
	const double *rate_bytes_per_s;
	size_t nrate;
	/* More counter tracks, may be empty. */
	const struct gmt_counter_track *tracks;
	size_t ntracks;
	/* GC probe counters (GMT_CNT_GC_*), NULL when unknown. */
	const uint64_t *counters;
	/* What could not be read, one item per line ("" when everything was). */
	const char *unavailable;
};

int gmt_write_gc_txt(FILE *f, const struct gmt_gc_out *o);
int gmt_write_gc_json(FILE *f, const struct gmt_gc_out *o);
/* The GC keys of summary.json, into an open object. */
void gmt_gc_summary_fields(struct gmt_json *j, const struct gmt_gc_out *o);
/* The GC section of report.txt. */
int gmt_gc_report(FILE *f, const struct gmt_gc_out *o);

/* Nearest-rank percentile (0 < p <= 100) of n sorted values; 0 when n == 0. */
uint64_t gmt_percentile(const uint64_t *sorted, size_t n, double p);

#endif
