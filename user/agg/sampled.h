/* SPDX-License-Identifier: MIT */
/*
 * Sampled mode's aggregation: what Go's own heap sampler reported (docs/go-runtime.md, "Allocation") becomes
 * estimated allocations and an estimated live heap per stack, fed into the ordinary
 * aggregator so that every writer (folded, report, summary, pprof) prints estimates.
 *
 * The records join like this:
 *   mProf_Malloc(p, size) with its stack   a sample: object p of size bytes from stack S
 *   setprofilebucket(p, b)                 the runtime filed p under its bucket b
 *   freeSpecial(p, b)                      the sampled object p died (specials.h)
 * Frees are matched by object, never by bucket: a target that samples on its own (every
 * program linking net/http/pprof) has objects sampled before tracing started in the same
 * buckets as the ones sampled while it runs, and their deaths must not be taken from
 * the latter.  So the live heap here is the objects sampled while tracing ran and not
 * freed by its end (gmt_sampled__end()); older objects are not in it, and their frees
 * are counted (frees_ignored) and otherwise ignored.
 *
 * Weights as pprof's scaleHeapSample: a sample of size bytes at rate R stands for
 * 1 / (1 - exp(-size / R)) objects.  Go passes the object's size-class size (its
 * elemsize), so the estimate of bytes tracks MemStats.TotalAlloc.
 *
 * Stacks are taken at mProf_Malloc's entry and start inside the allocator
 * (mProf_Malloc <- profilealloc <- mallocgc* helpers <- mallocgc).  Exact mode's leaf is
 * mallocgc's caller, so the frames up to and including the last allocator frame are
 * dropped: the caller passes the address ranges of runtime.mallocgc and the
 * size-specialized allocators (the hook plan has them).  Within the first
 * GMT_SAMPLED_STRIP_SCAN frames, the first frame inside one of those ranges and any
 * allocator frames directly above it go, with everything below them.  mallocgc's own
 * helpers (mallocgcSmallNoscan... in 1.24+) and profilealloc are always called from
 * mallocgc, so they are below it and dropped with it; a size-specialized allocator
 * called by compiled code (go1.27) is itself the last allocator frame.  A stack with no
 * allocator frame there is kept whole.
 *
 * No kernel needed: unit-tested with synthetic records.
 */
#ifndef GMT_SAMPLED_H
#define GMT_SAMPLED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gomemtrace.h"

struct gmt_agg;
struct gmt_sampled;

#define GMT_SAMPLED_STRIP_SCAN 16

/* [start, end) in the target's runtime addresses. */
struct gmt_pc_range {
	uint64_t start, end;
};

struct gmt_sampled_stats {
	uint64_t samples;	  /* mProf_Malloc records */
	uint64_t buckets;	  /* setprofilebucket records matched to a sample */
	uint64_t frees;		  /* frees of objects sampled while tracing: applied */
	uint64_t frees_ignored;	  /* frees of objects not sampled while tracing (older ones) */
	uint64_t unmatched;	  /* bucket records with nothing to join to; samples at an
				   * address whose earlier object died unseen (a lost record) */
	uint64_t after_end;	  /* records stamped after the end of the window: not applied */
	double est_alloc_objects; /* weighted, pprof's way; running totals */
	double est_alloc_bytes;
	double est_inuse_objects; /* sampled objects not freed yet, weighted: from flush on */
	double est_inuse_bytes;
};

/*
 * agg is where gmt_sampled__flush() puts the estimated allocations, inuse_agg (may be
 * NULL) where it puts the estimated live objects, so that the ordinary writers print the
 * live heap too (inuse_bytes.folded); neither is owned.  rate is the MemProfileRate the
 * samples were taken at (> 0); strip as above (copied, may be empty).  NULL on -ENOMEM
 * or -EINVAL.
 */
struct gmt_sampled *gmt_sampled__new(struct gmt_agg *agg, struct gmt_agg *inuse_agg, uint64_t rate,
				     const struct gmt_pc_range *strip, size_t nstrip);
void gmt_sampled__free(struct gmt_sampled *s);

/*
 * The type of the allocations of a stripped stack (runtime addresses, leaf first), or 0
 * for unknown: the sampler's hooks do not see it (see calltype.h).
 */
typedef uint64_t (*gmt_sampled_typer)(void *ctx, const uint64_t *pcs, uint32_t depth);
/* Asked once per new stack from then on; fn NULL: every allocation untyped. */
void gmt_sampled__set_typer(struct gmt_sampled *s, gmt_sampled_typer fn, void *ctx);

/* A stack record (GMT_REC_STACK): stripped, then added to the aggregators: 0, -EINVAL, -ENOMEM. */
int gmt_sampled__add_stack(struct gmt_sampled *s, uint64_t id, const uint64_t *pcs, uint32_t depth,
			   bool truncated);
/* The records of the three hooks: 0 or -ENOMEM.  p is the object, b its bucket. */
int gmt_sampled__malloc(struct gmt_sampled *s, uint64_t stack_id, uint64_t p, uint64_t size);
int gmt_sampled__bucket(struct gmt_sampled *s, uint64_t p, uint64_t b);
int gmt_sampled__free_obj(struct gmt_sampled *s, uint64_t p);
/*
 * One ring-buffer record of the sampler (GMT_REC_MPROF_*) to the call above, unless it
 * is stamped after the end set by gmt_sampled__end(): 0, -EINVAL for another kind, or
 * -ENOMEM.
 */
int gmt_sampled__record(struct gmt_sampled *s, const struct gmt_rec_mprof *r);
/*
 * The window ends at end_ns (hdr.ts_ns's clock, CLOCK_MONOTONIC): the records stamped
 * later, which the probes still send while they are being removed, are counted in
 * after_end and not applied, so that the live heap is the one at the end.
 */
void gmt_sampled__end(struct gmt_sampled *s, uint64_t end_ns);

/*
 * Adds the estimated allocations of every (stack, size) to agg, and its estimated live
 * objects to inuse_agg (typed by the typer, when there is one), rounded to whole
 * objects.  Once, before gmt_agg__finish(): 0, -EINVAL when called again, or what
 * gmt_agg__add_allocs() returned.
 */
int gmt_sampled__flush(struct gmt_sampled *s);
/* Estimated live objects and bytes of an aggregator stack id (the stripped one). */
void gmt_sampled__inuse(const struct gmt_sampled *s, uint64_t agg_stack_id, uint64_t *objects,
			uint64_t *bytes);
void gmt_sampled__stats(const struct gmt_sampled *s, struct gmt_sampled_stats *out);
uint64_t gmt_sampled__rate(const struct gmt_sampled *s);
/*
 * Interval mode, for a daemon that writes a profile set every interval.  Stacks are
 * kept here (no aggregator is fed while tracing runs); every gmt_sampled__snapshot()
 * adds to fresh aggregators what was sampled since the previous snapshot (alloc) and
 * what is live now (inuse, cumulative).  At most max_rows (stack, size) rows and as
 * many stacks: samples that would need more are dropped and counted until
 * gmt_sampled__evict() makes room.  forget (may be NULL) is called with a BPF stack id
 * whose stack is not kept, so that the BPF side sends it again.
 */
struct gmt_sampled *gmt_sampled__new_intervals(uint64_t rate, const struct gmt_pc_range *strip,
					       size_t nstrip, size_t max_rows,
					       void (*forget)(void *ctx, uint64_t bpf_stack_id),
					       void *ctx);
/*
 * The interval since the previous snapshot into alloc (estimated allocations) and the
 * live heap into inuse (may be NULL); *iv gets the interval's counts and estimates
 * (est_inuse_* are the live heap now).  gmt_sampled__inuse() then answers for these
 * aggregators' stack ids.  -EINVAL outside interval mode, or the aggregators' errors.
 */
int gmt_sampled__snapshot(struct gmt_sampled *s, struct gmt_agg *alloc, struct gmt_agg *inuse,
			  struct gmt_sampled_stats *iv);
/* Drops the rows with nothing live and no sample since the last snapshot: 0 or -ENOMEM. */
int gmt_sampled__evict(struct gmt_sampled *s);

struct gmt_sampled_bounds {
	uint64_t rows, stacks;	     /* in the tables now */
	uint64_t rows_peak;	     /* most rows held at once */
	uint64_t rows_evicted;	     /* rows dropped by evictions, in total */
	uint64_t stacks_evicted;     /* stacks dropped by evictions */
	uint64_t samples_dropped;    /* samples lost: the row table was full */
	uint64_t stacks_dropped;     /* stacks not kept: the stack table was full */
};

/* The estimated live heap now, kept up to date by every sample and free. */
double gmt_sampled__live_bytes(const struct gmt_sampled *s);
void gmt_sampled__bounds(const struct gmt_sampled *s, struct gmt_sampled_bounds *out);

/* pprof's weight of one sample: objects it stands for. */
double gmt_sampled_weight(uint64_t size, uint64_t rate);

#endif
