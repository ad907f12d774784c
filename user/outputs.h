/* SPDX-License-Identifier: MIT */
/*
 * The output writers: each turns a finished aggregator (gmt_agg__finish) into one file
 * format.  They take the symbolizer interface rather than the binary reader so that
 * tests can feed them synthetic frames.  All return 0, -ENOMEM, or -EIO when writing
 * failed; they do not close f.
 */
#ifndef GMT_OUTPUTS_H
#define GMT_OUTPUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "aggregate.h"
#include "json_writer.h"
#include "runinfo.h"
#include "symbolize.h"

/* ---- folded stacks (out_folded.c) ---- */

/* The number after each folded line.  New values go before GMT_FOLDED__MAX. */
enum gmt_folded_value {
	GMT_FOLDED_COUNT,    /* allocations */
	GMT_FOLDED_BYTES,    /* bytes requested */
	GMT_FOLDED_RESERVED, /* bytes after size-class rounding */
	GMT_FOLDED__MAX,
};

/*
 * `root;...;leaf value`, one line per distinct symbolized stack (stacks that symbolize
 * identically are merged), inlined frames expanded, sorted by the stack text, lines
 * whose value is 0 left out.  A truncated stack starts with a "[truncated]" frame, the
 * allocations without a stack are under "[unknown stack]", an address that does not
 * symbolize is printed as 0x....  -EINVAL for an unknown v.
 */
int gmt_write_folded(const struct gmt_agg *a, const struct gmt_symbolizer *sym, FILE *f,
		     enum gmt_folded_value v);

/* ---- human report, report.txt (out_report.c) ---- */

#define GMT_REPORT_TOP 20 /* stacks and types listed */

int gmt_write_report(const struct gmt_agg *a, const struct gmt_symbolizer *sym, FILE *f,
		     const struct gmt_run_info *ri);

/* ---- summary.json (out_summary.c) ---- */

/*
 * The whole document.  A caller with more to say (GC fields) uses the three steps
 * instead: begin, the allocation fields, its own gmt_json__k*() calls, end.
 */
int gmt_write_summary_json(const struct gmt_agg *a, const struct gmt_symbolizer *sym, FILE *f,
			   const struct gmt_run_info *ri);
/* Opens the top-level object; NULL on -ENOMEM. */
struct gmt_json *gmt_summary__begin(FILE *f);
/* The run's identity, totals, counters, top types and allocation rate: 0 or -ENOMEM. */
int gmt_summary__alloc_fields(struct gmt_json *j, const struct gmt_agg *a,
			       const struct gmt_symbolizer *sym, const struct gmt_run_info *ri);
/* Closes the object and frees j: 0 or -EIO. */
int gmt_summary__end(struct gmt_json *j);

/* ---- shared by the writers (out_common.c) ---- */

/* The counter's name in summary.json ("rb_drops"), NULL for an unused slot. */
const char *gmt_counter_name(unsigned int c);

/* Allocations lost: allocation records the full ring buffer could not take. */
uint64_t gmt_dropped(const struct gmt_run_info *ri);

/*
 * A type as the outputs print it: its Go name, "[no type]" for untyped pointer-free
 * data (typ 0), "[type 0x...]" when the binary could not name it.
 */
void gmt_type_display_name(const struct gmt_agg_type *t, char *buf, size_t len);

/*
 * Frames of one return address, innermost first: sym->frames, or a negative errno when
 * there is no symbolizer or the address does not symbolize.
 */
int gmt_symbolize_pc(const struct gmt_symbolizer *sym, uint64_t pc, struct gmt_frame *frames,
		     int max);

/* The allocation rate between consecutive rate points. */
struct gmt_rate_interval {
	double t_s;  /* end of the interval, seconds since the recording started */
	double dt_s; /* its length */
	double allocs_per_s, bytes_per_s;
};

/*
 * Rate points are cumulative since the start (ri->start_ns): with a start, the first
 * interval runs from it, otherwise from the first point.  Returns the number of
 * intervals in *out (malloc'd, NULL when none) or -ENOMEM.
 */
int gmt_rate_intervals(const struct gmt_agg *a, const struct gmt_run_info *ri,
		       struct gmt_rate_interval **out);

#endif
