/* SPDX-License-Identifier: MIT */
/*
 * report.html: one self-contained page per recording, interval, alert and snapshot.  The
 * page (user/out/report/: template, CSS and JS, embedded at build time by embed.py) is
 * written around one JSON object, the run's data as user/out/report/DATA.md describes
 * it, taken from the same aggregates as the other outputs: the flame graphs' rows are
 * gmt_pprof_row()'s (alloc.pb.gz's), the live heap's are heap.pb.gz's, the GC timeline
 * is gc.json's.  Kernel-free.
 */
#ifndef GMT_OUT_HTML_H
#define GMT_OUT_HTML_H

#include <stdio.h>

#include "outputs.h"

struct gmt_agg;
struct gmt_gc_out;
struct gmt_gsnap;
struct gmt_go_release;
struct gmt_leakflag;
struct gmt_memory_report;
struct gmt_run_info;
struct gmt_symbolizer;

struct gmt_html_in {
	const struct gmt_run_info *ri;
	const struct gmt_symbolizer *sym;
	const char *mode;  /* "exact", "sampled", "snapshot", "interval", "alert" */
	const char *what;  /* one line: what the page covers */
	/* Allocations (NULL: none): the "alloc" flame graph, the hot paths, the types; with
	 * pprof->inuse (sampled mode) also the "inuse" flame graph from the same rows. */
	const struct gmt_agg *agg;
	const struct gmt_pprof_opts *pprof;
	const struct gmt_live_heap *live;	  /* the runtime's heap profile: "heap" */
	const struct gmt_gc_out *gc;		  /* complete: rate and counter tracks set */
	const struct gmt_leakflag *leaks;	  /* goroutine groups and leak flags */
	/* A snapshot's goroutines (NULL: none): "goroutines" flame and the groups. */
	const struct gmt_gsnap *gsnap;
	const struct gmt_go_release *row; /* with gsnap */
	int64_t gsnap_now_ns;
	const struct gmt_memory_report *mem; /* NULL: not read */
};

/* The data object alone (DATA.md), for tests: 0 or -ENOMEM / -EIO. */
int gmt_write_html_data(FILE *f, const struct gmt_html_in *in);
/* The whole page: 0 or -ENOMEM / -EIO. */
int gmt_write_html_report(FILE *f, const struct gmt_html_in *in);

#endif
