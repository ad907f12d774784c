/* SPDX-License-Identifier: MIT */
/*
 * The allocation aggregator: what the BPF side reported (stacks once, then counts per
 * (stack, type, size)) becomes per-stack and per-type tables with totals, size
 * histograms, the bytes the heap reserved and the allocation rate over time.
 * No kernel needed: unit-tested with synthetic input.
 */
#ifndef GMT_AGGREGATE_H
#define GMT_AGGREGATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbolize.h"

#define GMT_HIST_BUCKETS 64 /* log2 size buckets: bucket b holds sizes in [2^b, 2^(b+1)) */

struct gmt_agg;

/*
 * Stack id 0 never comes from the BPF side (it means "the walk failed"): the aggregator
 * uses it, with depth 0, for the synthetic "[unknown stack]" entry that collects those
 * allocations and the ones whose stack record never arrived.
 */
#define GMT_AGG_UNKNOWN_STACK_ID 0

/*
 * count, bytes, reserved and hist leave zero-size allocations out, as MemStats.Mallocs
 * does (they return &zerobase and allocate nothing); zero_size counts them.
 */
struct gmt_agg_stack {
	uint64_t id;
	const uint64_t *pcs; /* return addresses, leaf first */
	uint32_t depth;
	bool truncated;
	uint64_t count, bytes, reserved;
	uint64_t zero_size;
	uint64_t hist[GMT_HIST_BUCKETS]; /* allocation counts by log2(size) */
};

static inline bool gmt_agg_stack_is_unknown(const struct gmt_agg_stack *s)
{
	return s->depth == 0;
}

struct gmt_agg_type {
	uint64_t typ; /* 0: untyped (pointer-free data allocated without a type) */
	struct gmt_type_info info; /* name "" when unknown */
	bool known;		   /* type_info resolved it */
	uint64_t count, bytes, reserved;
	uint64_t zero_size;
};

struct gmt_agg_totals {
	uint64_t allocs;      /* excluding zero-size allocations (as MemStats.Mallocs) */
	uint64_t bytes;       /* requested */
	uint64_t reserved;    /* after size-class rounding, as MemStats.TotalAlloc counts
			       * (tiny objects estimated: see sizeclass.h) */
	uint64_t zero_size;   /* zero-size allocations (not in MemStats.Mallocs) */
	uint64_t stacks;      /* distinct stacks that allocated (the length of the stack views) */
	uint64_t unknown_stack_allocs; /* in allocs, but the stack failed or never arrived */
};

struct gmt_rate_point {
	uint64_t ts_ns;	 /* CLOCK_MONOTONIC */
	uint64_t allocs; /* cumulative */
	uint64_t bytes;	 /* cumulative */
};

struct gmt_go_release;

/*
 * row, the traced binary's release, gives the allocator's rounding rules (malloc
 * headers from go1.22); NULL: the newest release's.
 */
struct gmt_agg *gmt_agg__new(const struct gmt_go_release *row);
void gmt_agg__free(struct gmt_agg *a);

/*
 * A stack, keyed by the id the BPF side computed; a second add of the same id is a no-op.
 * -EINVAL for id 0 (GMT_AGG_UNKNOWN_STACK_ID) or depth 0.  pcs are copied.
 */
int gmt_agg__add_stack(struct gmt_agg *a, uint64_t id, const uint64_t *pcs, uint32_t depth,
		       bool truncated);
/* count allocations of size bytes with type typ from stack id. */
int gmt_agg__add_allocs(struct gmt_agg *a, uint64_t stack_id, uint64_t typ, uint64_t size,
			uint64_t count);
/* Cumulative totals at a moment, for the allocation rate over time. */
int gmt_agg__add_rate_point(struct gmt_agg *a, uint64_t ts_ns, uint64_t allocs, uint64_t bytes);

/*
 * Resolves types (names, pointer-freeness for the reserved-bytes rounding) and builds
 * the sorted views below.  Call once, after the last add: adds then fail with -EINVAL.
 * sym may be NULL or lack type_info: types are then unknown (and counted as pointerful).
 */
int gmt_agg__finish(struct gmt_agg *a, const struct gmt_symbolizer *sym);

const struct gmt_agg_totals *gmt_agg__totals(const struct gmt_agg *a);
/* Stacks sorted by bytes (descending), then by count. */
size_t gmt_agg__stacks_by_bytes(const struct gmt_agg *a, const struct gmt_agg_stack *const **out);
size_t gmt_agg__stacks_by_count(const struct gmt_agg *a, const struct gmt_agg_stack *const **out);
/* Types sorted by bytes (descending). */
size_t gmt_agg__types(const struct gmt_agg *a, const struct gmt_agg_type *const **out);
/* A type allocated from one stack. */
struct gmt_agg_stack_type {
	const struct gmt_agg_type *type;
	uint64_t count, bytes;
};
/*
 * The types stack_id (GMT_AGG_UNKNOWN_STACK_ID: none) allocated, by bytes, into
 * out[max] (those beyond max types left out): their number.  After __finish(); a pass
 * over every row, for a few stacks.
 */
size_t gmt_agg__stack_types(const struct gmt_agg *a, uint64_t stack_id,
			    struct gmt_agg_stack_type *out, size_t max);
/* Rate points in time order. */
size_t gmt_agg__rate(const struct gmt_agg *a, const struct gmt_rate_point **out);
/* The row given to gmt_agg__new. */
const struct gmt_go_release *gmt_agg__release(const struct gmt_agg *a);

#endif
