// SPDX-License-Identifier: MIT
/* Sampled mode's aggregation without a kernel: synthetic sampler records. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>

#include "aggregate.h"
#include "sampled.h"

#define RATE 524288

/* mallocgc at [0x1000, 0x2000), one size-specialized allocator at [0x3000, 0x3100). */
static const struct gmt_pc_range ranges[] = {{0x1000, 0x2000}, {0x3000, 0x3100}};

struct fix {
	struct gmt_agg *agg, *inuse;
	struct gmt_sampled *s;
};

static void setup(struct fix *f)
{
	f->agg = gmt_agg__new(24);
	f->inuse = gmt_agg__new(24);
	cr_assert(f->agg && f->inuse, "aggregators");
	f->s = gmt_sampled__new(f->agg, f->inuse, RATE, ranges, 2);
	cr_assert_not_null(f->s, "sampled aggregation");
}

static void teardown(struct fix *f)
{
	gmt_sampled__free(f->s);
	gmt_agg__free(f->agg);
	gmt_agg__free(f->inuse);
}

static void finish(struct fix *f)
{
	cr_assert_eq(gmt_sampled__flush(f->s), 0, "flush");
	cr_assert_eq(gmt_agg__finish(f->agg, NULL), 0, "alloc aggregator finishes");
	cr_assert_eq(gmt_agg__finish(f->inuse, NULL), 0, "in-use aggregator finishes");
}

Test(sampled_agg, weight_as_pprof)
{
	cr_assert_float_eq(gmt_sampled_weight(RATE, RATE), 1 / (1 - exp(-1.0)), 1e-9,
			   "size == rate: 1 / (1 - e^-1)");
	cr_assert_float_eq(gmt_sampled_weight(64, RATE), 1 / (1 - exp(-64.0 / RATE)), 1e-6,
			   "small objects weigh about rate / size");
	cr_assert_gt(gmt_sampled_weight(64, RATE), 8192, "64 bytes at 512 KiB: > 8192 objects");
	cr_assert_float_eq(gmt_sampled_weight(64, 1), 1.0, 1e-12, "rate 1: every object, weight 1");
	cr_assert_float_eq(gmt_sampled_weight(0, RATE), 1.0, 1e-12, "size 0: no scaling");
	cr_assert_null(gmt_sampled__new(NULL, NULL, RATE, NULL, 0), "no aggregator: refused");
}

Test(sampled_agg, strips_allocator_frames)
{
	/* mProf_Malloc <- profilealloc (in mallocgc) <- mallocgc <- caller */
	const uint64_t via_mallocgc[] = {0x1500, 0x1600, 0x5000, 0x6000};
	/* profilealloc (outside) <- size-specialized <- mallocgc (its dispatch) <- caller */
	const uint64_t via_sc[] = {0x9000, 0x3050, 0x1100, 0x7000};
	/* no allocator frame in reach: kept whole */
	const uint64_t none[] = {0x8000, 0x8100};
	/* same caller as via_mallocgc through another spot of mallocgc: one stack */
	const uint64_t via_mallocgc2[] = {0x1700, 0x5000, 0x6000};
	const struct gmt_agg_stack *const *v;
	struct fix f;
	size_t n;

	setup(&f);
	cr_assert_eq(gmt_sampled__add_stack(f.s, 11, via_mallocgc, 4, false), 0, "stack 11");
	cr_assert_eq(gmt_sampled__add_stack(f.s, 12, via_sc, 4, false), 0, "stack 12");
	cr_assert_eq(gmt_sampled__add_stack(f.s, 13, none, 2, false), 0, "stack 13");
	cr_assert_eq(gmt_sampled__add_stack(f.s, 14, via_mallocgc2, 3, false), 0, "stack 14");
	cr_assert_eq(gmt_sampled__add_stack(f.s, 0, none, 2, false), -EINVAL, "id 0 refused");
	cr_assert_eq(gmt_sampled__malloc(f.s, 11, 0xa0, RATE), 0, "sample on 11");
	cr_assert_eq(gmt_sampled__malloc(f.s, 14, 0xb0, RATE), 0, "sample on 14");
	cr_assert_eq(gmt_sampled__malloc(f.s, 12, 0xc0, 2 * RATE), 0, "sample on 12");
	cr_assert_eq(gmt_sampled__malloc(f.s, 13, 0xd0, 4 * RATE), 0, "sample on 13");
	finish(&f);

	n = gmt_agg__stacks_by_bytes(f.agg, &v);
	cr_assert_eq(n, 3, "stacks 11 and 14 strip to the same stack: 3 in all, not 4");
	/* by bytes: none (4R), via_sc (2R), via_mallocgc (2 x R) with weights ~1.58/1.16/1.02 */
	for (size_t i = 0; i < n; i++) {
		if (v[i]->pcs[0] == 0x5000)
			cr_assert(v[i]->depth == 2 && v[i]->pcs[1] == 0x6000,
				  "mallocgc and the frames below it dropped");
		else if (v[i]->pcs[0] == 0x7000)
			cr_assert_eq(v[i]->depth, 1,
				     "size-specialized and mallocgc frames dropped");
		else
			cr_assert(v[i]->pcs[0] == 0x8000 && v[i]->depth == 2,
				  "a stack without allocator frames is kept whole");
	}
	teardown(&f);
}

Test(sampled_agg, joins_frees_to_buckets)
{
	const uint64_t st[] = {0x1500, 0x5000};
	const double w = gmt_sampled_weight(64, RATE);
	struct gmt_sampled_stats ss;
	uint64_t objs, bytes;
	const struct gmt_agg_stack *const *v;
	struct fix f;

	setup(&f);
	cr_assert_eq(gmt_sampled__add_stack(f.s, 7, st, 2, false), 0, "stack");
	/* Two objects of one stack and size: one Go bucket. */
	gmt_sampled__malloc(f.s, 7, 0x100, 64);
	gmt_sampled__malloc(f.s, 99, 0x300, 64); /* another CPU's sample, its stack lost */
	gmt_sampled__bucket(f.s, 0x100, 0xb1);
	gmt_sampled__bucket(f.s, 0x300, 0xb9);
	gmt_sampled__malloc(f.s, 7, 0x200, 64);
	gmt_sampled__bucket(f.s, 0x200, 0xb1);
	gmt_sampled__bucket(f.s, 0x999, 0xb2); /* no sample for it */
	gmt_sampled__free_obj(f.s, 0xb1);
	gmt_sampled__free_obj(f.s, 0xb3); /* bucket from before the recording */
	finish(&f);

	gmt_sampled__stats(f.s, &ss);
	cr_assert_eq(ss.samples, 3, "three samples");
	cr_assert_eq(ss.buckets, 3, "three buckets matched");
	cr_assert_eq(ss.frees, 1, "one free matched");
	cr_assert_eq(ss.unmatched, 2, "one bucket and one free with nothing to join");
	cr_assert_float_eq(ss.est_alloc_objects, 3 * w, 1e-6, "three samples weighted");
	cr_assert_float_eq(ss.est_inuse_bytes, 2 * 64 * w, 1e-3,
			   "live: one of stack 7's two objects and the lost stack's one");

	cr_assert_eq(gmt_agg__stacks_by_bytes(f.agg, &v), 2, "stack 7 and the unknown stack");
	for (size_t i = 0; i < 2; i++) {
		gmt_sampled__inuse(f.s, v[i]->id, &objs, &bytes);
		if (gmt_agg_stack_is_unknown(v[i])) {
			cr_assert_eq(objs, llround(w), "the lost stack's object is still live");
			continue;
		}
		cr_assert_eq(v[i]->count, (uint64_t)llround(2 * w), "alloc estimate of stack 7");
		cr_assert_eq(v[i]->bytes, 64 * (uint64_t)llround(2 * w), "bytes = objects x size");
		cr_assert_eq(objs, (uint64_t)llround(w), "in-use objects of stack 7");
		cr_assert_eq(bytes, (uint64_t)llround(64 * w), "in-use bytes of stack 7");
	}
	cr_assert_eq(gmt_agg__totals(f.inuse)->bytes, 2 * 64 * (uint64_t)llround(w),
		     "in-use aggregator: stack 7 and the unknown stack, one object each");
	cr_assert_eq(gmt_sampled__flush(f.s), -EINVAL, "flush twice refused");
	teardown(&f);
}

/* ---- interval mode (the daemon) ---- */

struct forgot {
	uint64_t ids[16];
	int n;
};

static void forget_cb(void *ctx, uint64_t id)
{
	struct forgot *f = ctx;

	if (f->n < 16)
		f->ids[f->n++] = id;
}

static uint64_t agg_count(const struct gmt_agg *a, uint64_t leaf)
{
	const struct gmt_agg_stack *const *v;
	size_t n = gmt_agg__stacks_by_bytes(a, &v);

	for (size_t i = 0; i < n; i++)
		if (v[i]->depth && v[i]->pcs[0] == leaf)
			return v[i]->count;
	return 0;
}

/* One snapshot: fresh aggregators, finished. */
static void snap(struct gmt_sampled *s, struct gmt_agg **alloc, struct gmt_agg **inuse,
		 struct gmt_sampled_stats *iv)
{
	*alloc = gmt_agg__new(24);
	*inuse = gmt_agg__new(24);
	cr_assert_eq(gmt_sampled__snapshot(s, *alloc, *inuse, iv), 0, "snapshot");
	cr_assert_eq(gmt_agg__finish(*alloc, NULL), 0, "alloc aggregator finishes");
	cr_assert_eq(gmt_agg__finish(*inuse, NULL), 0, "in-use aggregator finishes");
}

Test(sampled_agg, intervals_deltas_and_cumulative_live_heap)
{
	const uint64_t a[] = {0x1500, 0x5000}, b[] = {0x1500, 0x6000};
	const double w = gmt_sampled_weight(64, RATE);
	struct gmt_sampled *s = gmt_sampled__new_intervals(RATE, ranges, 2, 1024, NULL, NULL);
	struct gmt_agg *alloc, *inuse;
	struct gmt_sampled_stats iv;

	cr_assert_not_null(s, "interval mode");
	cr_assert_eq(gmt_sampled__flush(s), -EINVAL, "no one-shot flush in interval mode");
	gmt_sampled__add_stack(s, 1, a, 2, false);
	gmt_sampled__add_stack(s, 2, b, 2, false);
	/* Interval 1: three objects of a (two freed), one of b (kept). */
	for (uint64_t p = 0x100; p < 0x400; p += 0x100) {
		gmt_sampled__malloc(s, 1, p, 64);
		gmt_sampled__bucket(s, p, 0xa);
	}
	gmt_sampled__malloc(s, 2, 0x900, 64);
	gmt_sampled__bucket(s, 0x900, 0xb);
	gmt_sampled__free_obj(s, 0xa);
	gmt_sampled__free_obj(s, 0xa);
	cr_assert_float_eq(gmt_sampled__live_bytes(s), 2 * 64 * w, 1e-6, "running live heap");
	snap(s, &alloc, &inuse, &iv);
	cr_expect_eq(iv.samples, 4, "interval 1: four samples");
	cr_expect_float_eq(iv.est_alloc_bytes, 4 * 64 * w, 1e-3, "interval 1: allocations");
	cr_expect_float_eq(iv.est_inuse_bytes, 2 * 64 * w, 1e-3, "live: one a, one b");
	cr_expect_eq(agg_count(alloc, 0x5000), llround(3 * w), "a allocated three");
	cr_expect_eq(agg_count(inuse, 0x6000), llround(w), "b's one is live");
	gmt_agg__free(alloc);
	gmt_agg__free(inuse);

	/* Interval 2: only b allocates; a's live object dies. */
	gmt_sampled__malloc(s, 2, 0xa00, 64);
	gmt_sampled__bucket(s, 0xa00, 0xb);
	gmt_sampled__free_obj(s, 0xa);
	snap(s, &alloc, &inuse, &iv);
	cr_expect_eq(iv.samples, 1, "interval 2: one sample, not the running total");
	cr_expect_eq(iv.frees, 1, "interval 2: one free");
	cr_expect_eq(agg_count(alloc, 0x5000), 0, "a allocated nothing in interval 2");
	cr_expect_eq(agg_count(alloc, 0x6000), llround(w), "b allocated one");
	cr_expect_eq(agg_count(inuse, 0x6000), llround(2 * w), "b's two objects are live");
	cr_expect_eq(agg_count(inuse, 0x5000), 0, "nothing of a is live");
	cr_expect_float_eq(iv.est_inuse_bytes, 2 * 64 * w, 1e-3, "live heap: b's two");
	gmt_agg__free(alloc);
	gmt_agg__free(inuse);
	gmt_sampled__free(s);
}

Test(sampled_agg, eviction_forgets_cold_stacks_and_bounds_rows)
{
	const uint64_t a[] = {0x1500, 0x5000}, b[] = {0x1500, 0x6000}, c[] = {0x1500, 0x7000};
	const double w = gmt_sampled_weight(64, RATE);
	struct forgot fg = {0};
	struct gmt_sampled *s = gmt_sampled__new_intervals(RATE, ranges, 2, 2, forget_cb, &fg);
	struct gmt_sampled_bounds bd;
	struct gmt_sampled_stats iv;
	struct gmt_agg *alloc, *inuse;

	cr_assert_not_null(s, "interval mode with two rows at most");
	gmt_sampled__add_stack(s, 1, a, 2, false);
	gmt_sampled__add_stack(s, 2, b, 2, false);
	gmt_sampled__malloc(s, 1, 0x100, 64);
	gmt_sampled__bucket(s, 0x100, 0xa);
	gmt_sampled__free_obj(s, 0xa); /* a: nothing live */
	gmt_sampled__malloc(s, 2, 0x200, 64);
	gmt_sampled__bucket(s, 0x200, 0xb); /* b: live */
	/* A third stack: no room for its stack or its row. */
	gmt_sampled__add_stack(s, 3, c, 2, false);
	cr_expect(fg.n == 1 && fg.ids[0] == 3, "the stack not kept is forgotten in BPF");
	gmt_sampled__malloc(s, 3, 0x300, 64);
	gmt_sampled__bounds(s, &bd);
	cr_expect_eq(bd.samples_dropped, 1, "its sample is dropped and counted");
	cr_expect_eq(bd.stacks_dropped, 1, "its stack too");
	snap(s, &alloc, &inuse, &iv);
	gmt_agg__free(alloc);
	gmt_agg__free(inuse);

	fg.n = 0;
	cr_assert_eq(gmt_sampled__evict(s), 0, "eviction");
	gmt_sampled__bounds(s, &bd);
	cr_expect_eq(bd.rows, 1, "a's row (nothing live, nothing new) is evicted, b's stays");
	cr_expect_eq(bd.stacks, 1, "and a's stack");
	cr_expect(fg.n == 1 && fg.ids[0] == 1, "a's BPF stack id is forgotten (%d)", fg.n);

	/* Now c fits; b's live object is still freed through its bucket. */
	gmt_sampled__add_stack(s, 3, c, 2, false);
	gmt_sampled__malloc(s, 3, 0x400, 64);
	gmt_sampled__bucket(s, 0x400, 0xc);
	gmt_sampled__free_obj(s, 0xb);
	snap(s, &alloc, &inuse, &iv);
	cr_expect_eq(agg_count(alloc, 0x7000), llround(w), "c's sample counted after eviction");
	cr_expect_eq(iv.frees, 1, "b's free still joins its bucket after the tables were rebuilt");
	cr_expect_eq(agg_count(inuse, 0x7000), llround(w), "c is live");
	cr_expect_eq(agg_count(inuse, 0x6000), 0, "b is not");
	gmt_agg__free(alloc);
	gmt_agg__free(inuse);

	/* Many intervals of ever-new stacks: the tables stay at their bound. */
	for (uint64_t i = 0; i < 200; i++) {
		uint64_t st[] = {0x1500, 0x10000 + i};

		gmt_sampled__add_stack(s, 100 + i, st, 2, false);
		gmt_sampled__malloc(s, 100 + i, 0x9000 + i * 16, 64);
		gmt_sampled__bucket(s, 0x9000 + i * 16, 0x100 + i);
		gmt_sampled__free_obj(s, 0x100 + i);
		snap(s, &alloc, &inuse, &iv);
		gmt_agg__free(alloc);
		gmt_agg__free(inuse);
		cr_assert_eq(gmt_sampled__evict(s), 0, "eviction %lu", (unsigned long)i);
		gmt_sampled__bounds(s, &bd);
		cr_assert_leq(bd.rows, 2, "rows bounded");
		cr_assert_leq(bd.stacks, 2, "stacks bounded");
	}
	gmt_sampled__free(s);
}
