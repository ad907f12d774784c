/* SPDX-License-Identifier: MIT */
/*
 * A profile set: every file of one recording (record) or of one interval (daemon),
 * written into one directory, each atomically:
 *   alloc.pb.gz          allocations; in sampled mode with the live heap as inuse_*
 *   inuse.pb.gz          the live heap (the daemon's intervals)
 *   alloc_bytes.folded, alloc_count.folded    bounded by folded_max_mb
 *   inuse_bytes.folded   sampled mode: the probe-based live heap (objects sampled while
 *                        tracing, typed by call site)
 *   heap.pb.gz, inuse_space.folded   sampled mode: the live heap, the runtime's own heap
 *                        profile read at the end of the window (live, when it was read)
 *   report.txt           the report, the live heap's scope and stacks, the GC summary
 *                        (of a whole recording), the goroutines, the leak flags
 *   summary.json         the totals; sampled mode's estimates; the daemon's table
 *                        bounds; the GC's, the goroutines' and the leak flags' fields;
 *                        the daemon's OTLP export counters
 *   goroutines.folded    --goroutines
 *   gc.txt, gc.json      with GC tracing; gc.json gets the allocation rate (from the
 *                        aggregator) and the live goroutines as counter tracks
 *   report.html          one page of all the above, and the memory figures (out_html.h)
 * The session fills the struct from what it traced; this decides which files and
 * which fields.  Kernel-free.
 */
#ifndef GMT_PROFILE_SET_H
#define GMT_PROFILE_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "outputs.h"

struct gmt_agg;
struct gmt_gc_out;
struct gmt_go_release;
struct gmt_goroutines;
struct gmt_gsnap;
struct gmt_leakflag;
struct gmt_run_info;
struct gmt_sampled_bounds;
struct gmt_sampled_stats;
struct gmt_symbolizer;

struct gmt_profile_set {
	const struct gmt_run_info *ri;
	const struct gmt_symbolizer *sym;
	const struct gmt_agg *agg;	 /* allocations, finished */
	const struct gmt_agg *inuse_agg; /* sampled mode: the live heap, finished; else NULL */
	struct gmt_pprof_opts pprof;	 /* alloc.pb.gz: period, in-use callback, mapping */
	bool inuse_pprof;		 /* inuse.pb.gz as well */
	bool runtime_frames;		 /* the folded files keep the allocator's frames */
	uint32_t folded_max_mb;		 /* the bound of each folded file, 0: none */
	bool interval; /* a daemon interval: merges said with -v only, no GC section */

	/* summary.json, sampled mode (st NULL in exact mode). */
	const struct gmt_sampled_stats *st;
	uint64_t rate;		  /* the MemProfileRate sampled at */
	uint64_t sampler_records; /* heap-sampler records received */
	bool rate_written;	  /* gomemtrace raised the target's rate */

	/* summary.json, the daemon's bounded tables (NULL for a recording). */
	const struct gmt_sampled_bounds *bounds;
	size_t max_rows;

	/*
	 * GC tracing (NULL without): its finished timeline, counters and what it lacks;
	 * the run info, the rate and goroutine tracks are the set's.
	 */
	const struct gmt_gc_out *gc;
	/* --goroutines (NULL without), finished. */
	const struct gmt_goroutines *gor;
	/* Sampled mode: the live heap from the runtime's buckets (NULL in exact mode). */
	const struct gmt_live_heap *live;
	/* The daemon's snapshots (NULL without): probable leaks as of the last read. */
	const struct gmt_leakflag *leaks;
	/* The daemon's OTLP export so far (NULL without): summary.json's "otlp_export". */
	const struct gmt_metrics_export *export;
	/* The target's memory at the end (NULL: not read): report.html's header. */
	const struct gmt_memory_report *mem;
	/* The goroutines read at the end (NULL: none): report.html's groups and flame graph. */
	const struct gmt_gsnap *gsnap;
	const struct gmt_go_release *gsnap_row;
	int64_t gsnap_now_ns;
};

/*
 * Called with every set once its files are written, before gmt_profile_set_write()
 * returns (NULL: none): what is sent elsewhere (record's OTLP profiles) is built from the
 * very set the files were.  The session fills the set on its stack, so the observer
 * must take what it needs then.  One per process: the session knows nothing of exports.
 */
typedef void (*gmt_profile_set_observer)(const struct gmt_profile_set *ps, void *ctx);
void gmt_profile_set_observe(gmt_profile_set_observer fn, void *ctx);

/*
 * Every file of the set into dir (created as needed): 0 or -errno with the reason.
 * dir NULL (--no-local): no file, only the observer.
 */
int gmt_profile_set_write(const struct gmt_profile_set *ps, const char *dir,
			  struct gmt_diag *d);

#endif
