// SPDX-License-Identifier: MIT
/* Sampled mode's aggregation without a kernel: synthetic sampler records. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "aggregate.h"
#include "gobin.h"
#include "sampled.h"
#include "go_release.h"
#include "release.h"
#include "testutil.h"

#define RATE 524288

/* mallocgc at [0x1000, 0x2000), one size-specialized allocator at [0x3000, 0x3100). */
static const struct gmt_pc_range ranges[] = {{0x1000, 0x2000}, {0x3000, 0x3100}};

struct fix {
	struct gmt_agg *agg, *inuse;
	struct gmt_sampled *s;
};

static void setup(struct fix *f)
{
	f->agg = gmt_agg__new(tu_row(24));
	f->inuse = gmt_agg__new(tu_row(24));
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

Test(sampled_agg, joins_frees_to_objects)
{
	const uint64_t st[] = {0x1500, 0x5000};
	const double w = gmt_sampled_weight(64, RATE);
	struct gmt_sampled_stats ss;
	uint64_t objs, bytes;
	const struct gmt_agg_stack *const *v;
	struct fix f;

	setup(&f);
	cr_assert_eq(gmt_sampled__add_stack(f.s, 7, st, 2, false), 0, "stack");
	/* Two objects of one stack and size: one Go bucket, 0xb1. */
	gmt_sampled__malloc(f.s, 7, 0x100, 64);
	gmt_sampled__malloc(f.s, 99, 0x300, 64); /* another CPU's sample, its stack lost */
	gmt_sampled__bucket(f.s, 0x100, 0xb1);
	gmt_sampled__bucket(f.s, 0x300, 0xb9);
	gmt_sampled__malloc(f.s, 7, 0x200, 64);
	gmt_sampled__bucket(f.s, 0x200, 0xb1);
	gmt_sampled__bucket(f.s, 0x999, 0xb2); /* no sample for it */
	gmt_sampled__free_obj(f.s, 0x100);
	/* An object of bucket 0xb1 sampled before the recording started: not ours. */
	gmt_sampled__free_obj(f.s, 0x700);
	gmt_sampled__free_obj(f.s, 0x100); /* the same object again: it is gone */
	finish(&f);

	gmt_sampled__stats(f.s, &ss);
	cr_assert_eq(ss.samples, 3, "three samples");
	cr_assert_eq(ss.buckets, 3, "three buckets matched");
	cr_assert_eq(ss.frees, 1, "one free matched");
	cr_assert_eq(ss.frees_ignored, 2, "an older object's free and a repeat are ignored");
	cr_assert_eq(ss.unmatched, 1, "one bucket with nothing to join");
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
	*alloc = gmt_agg__new(tu_row(24));
	*inuse = gmt_agg__new(tu_row(24));
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
	gmt_sampled__free_obj(s, 0x100);
	gmt_sampled__free_obj(s, 0x300);
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
	gmt_sampled__free_obj(s, 0x200);
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
	gmt_sampled__free_obj(s, 0x100); /* a: nothing live */
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

	/* Now c fits; b's live object is still freed by its address. */
	gmt_sampled__add_stack(s, 3, c, 2, false);
	gmt_sampled__malloc(s, 3, 0x400, 64);
	gmt_sampled__bucket(s, 0x400, 0xc);
	gmt_sampled__free_obj(s, 0x200);
	snap(s, &alloc, &inuse, &iv);
	cr_expect_eq(agg_count(alloc, 0x7000), llround(w), "c's sample counted after eviction");
	cr_expect_eq(iv.frees, 1, "b's free still joins its object after the tables were rebuilt");
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
		gmt_sampled__free_obj(s, 0x9000 + i * 16);
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

/* ---- frees matched by object (issue 13) ---- */

/*
 * A target that samples on its own (every program linking net/http/pprof): objects
 * sampled before tracing started share their bucket with the ones sampled after.  Their
 * frees are not ours to take: a churning live set read 0 when they were.
 */
Test(sampled_agg, older_objects_frees_are_ignored)
{
	const uint64_t st[] = {0x1500, 0x5000};
	const double w = gmt_sampled_weight(4096, RATE);
	struct gmt_sampled_stats ss;
	struct fix f;

	setup(&f);
	cr_assert_eq(gmt_sampled__add_stack(f.s, 7, st, 2, false), 0, "stack");
	for (uint64_t i = 0; i < 100; i++) {
		uint64_t now = 0x800000 + i * 0x1000, before = 0x100000 + i * 0x1000;

		gmt_sampled__malloc(f.s, 7, now, 4096);
		gmt_sampled__bucket(f.s, now, 0xb1);
		gmt_sampled__free_obj(f.s, before); /* same bucket, sampled before we came */
	}
	for (uint64_t i = 0; i < 40; i++)
		gmt_sampled__free_obj(f.s, 0x800000 + i * 0x1000);
	cr_assert_float_eq(gmt_sampled__live_bytes(f.s), 60 * 4096 * w, 1e-3,
			   "running estimate: 60 of our 100 objects");
	finish(&f);
	gmt_sampled__stats(f.s, &ss);
	cr_assert_eq(ss.samples, 100, "100 samples");
	cr_assert_eq(ss.frees, 40, "40 of them freed");
	cr_assert_eq(ss.frees_ignored, 100, "the 100 older objects' frees ignored");
	cr_assert_float_eq(ss.est_inuse_bytes, 60 * 4096 * w, 1e-3, "live heap: 60 objects");
	cr_assert_eq(gmt_agg__totals(f.inuse)->allocs, (uint64_t)llround(60 * w),
		     "in-use aggregator: 60 objects' worth");
	teardown(&f);
}

/* An address comes back once its object died; two live objects never share one. */
Test(sampled_agg, address_reuse)
{
	const uint64_t a[] = {0x1500, 0x5000}, b[] = {0x1500, 0x6000};
	struct gmt_sampled_stats ss;
	struct fix f;

	setup(&f);
	gmt_sampled__add_stack(f.s, 1, a, 2, false);
	gmt_sampled__add_stack(f.s, 2, b, 2, false);
	gmt_sampled__malloc(f.s, 1, 0x100, 64);
	gmt_sampled__free_obj(f.s, 0x100);
	gmt_sampled__malloc(f.s, 2, 0x100, 64); /* reused by b */
	/* A free record lost: 0x200 is sampled again while we still hold it. */
	gmt_sampled__malloc(f.s, 1, 0x200, 64);
	gmt_sampled__malloc(f.s, 2, 0x200, 64);
	finish(&f);
	gmt_sampled__stats(f.s, &ss);
	cr_assert_eq(ss.frees, 1, "one free seen");
	cr_assert_eq(ss.unmatched, 1, "one death inferred from a reused address");
	cr_assert_eq(agg_count(f.inuse, 0x5000), 0, "nothing of a is live");
	cr_assert_eq(agg_count(f.inuse, 0x6000), (uint64_t)llround(2 * gmt_sampled_weight(64, RATE)),
		     "b's two objects are");
	teardown(&f);
}

static int rec(struct gmt_sampled *s, uint32_t kind, uint64_t ts, uint64_t stack, uint64_t p,
	       uint64_t b)
{
	struct gmt_rec_mprof r = {.hdr = {.kind = kind, .ts_ns = ts},
				  .stack_id = stack,
				  .p = p,
				  .b = b,
				  .size = 64};

	return gmt_sampled__record(s, &r);
}

/*
 * The probes keep sending for a while after the window ended (they are being removed):
 * what is stamped after the end does not count, what was stamped before does, whenever
 * it is read.
 */
Test(sampled_agg, window_end_cuts_records)
{
	const uint64_t a[] = {0x1500, 0x5000};
	const double w = gmt_sampled_weight(64, RATE);
	struct gmt_sampled_stats ss;
	struct fix f;

	setup(&f);
	gmt_sampled__add_stack(f.s, 1, a, 2, false);
	cr_assert_eq(rec(f.s, GMT_REC_MPROF_MALLOC, 100, 1, 0x100, 0), 0);
	cr_assert_eq(rec(f.s, GMT_REC_MPROF_BUCKET, 110, 0, 0x100, 0xb1), 0);
	cr_assert_eq(rec(f.s, GMT_REC_MPROF_MALLOC, 120, 1, 0x200, 0), 0);
	cr_assert_eq(rec(f.s, GMT_REC_MPROF_BUCKET, 121, 0, 0x200, 0xb1), 0);
	cr_assert_eq(rec(f.s, GMT_REC_MPROF_MALLOC, 130, 1, 0x300, 0), 0);
	gmt_sampled__end(f.s, 200);
	cr_assert_eq(rec(f.s, GMT_REC_MPROF_FREE, 150, 0, 0x100, 0xb1), 0); /* before the end */
	cr_assert_eq(rec(f.s, GMT_REC_MPROF_FREE, 200, 0, 0x300, 0xb1), 0); /* at the end */
	cr_assert_eq(rec(f.s, GMT_REC_MPROF_FREE, 201, 0, 0x200, 0xb1), 0); /* after */
	cr_assert_eq(rec(f.s, GMT_REC_MPROF_MALLOC, 250, 1, 0x400, 0), 0);  /* after */
	cr_assert_eq(rec(f.s, 77, 150, 0, 0, 0), -EINVAL, "not a sampler record");
	finish(&f);
	gmt_sampled__stats(f.s, &ss);
	cr_assert_eq(ss.samples, 3, "three samples in the window");
	cr_assert_eq(ss.frees, 2, "two frees up to the end");
	cr_assert_eq(ss.after_end, 2, "two records after it, not applied");
	cr_assert_float_eq(ss.est_inuse_bytes, 64 * w, 1e-6, "0x200 is live at the end");
	teardown(&f);
}

/*
 * The object table under load: 200,000 objects at scattered addresses, two thirds freed
 * in another order (deletions all over the open-addressing table), then every free
 * repeated: each object is found exactly while it lives.
 */
Test(sampled_agg, object_table_many_objects)
{
	const uint64_t st[] = {0x1500, 0x5000};
	const uint64_t n = 200000, odd = 0x9e3779b97f4a7c15ULL;
	const double w = gmt_sampled_weight(64, RATE);
	struct gmt_sampled_stats ss;
	uint64_t freed = 0;
	struct fix f;

	setup(&f);
	gmt_sampled__add_stack(f.s, 7, st, 2, false);
	/* i * odd is a bijection of 64-bit words: distinct, scattered addresses. */
	for (uint64_t i = 0; i < n; i++)
		cr_assert_eq(gmt_sampled__malloc(f.s, 7, (i * odd) | 1, 64), 0);
	for (uint64_t k = 0; k < n; k++) {
		uint64_t i = (k * 7919) % n; /* 7919 is prime to n: every i once */

		if (i % 3)
			freed++, gmt_sampled__free_obj(f.s, (i * odd) | 1);
	}
	gmt_sampled__stats(f.s, &ss);
	cr_assert_eq(ss.frees, freed, "every free found its object (%llu of %llu)",
		     (unsigned long long)ss.frees, (unsigned long long)freed);
	cr_assert_eq(ss.frees_ignored, 0, "none lost in the table");
	for (uint64_t i = 0; i < n; i++)
		if (i % 3)
			gmt_sampled__free_obj(f.s, (i * odd) | 1);
	gmt_sampled__stats(f.s, &ss);
	cr_assert_eq(ss.frees_ignored, freed, "a dead object is not found again");
	cr_assert_float_eq(gmt_sampled__live_bytes(f.s), (n - freed) * 64 * w, 1,
			   "the live third");
	for (uint64_t i = 0; i < n; i += 3)
		gmt_sampled__free_obj(f.s, (i * odd) | 1);
	gmt_sampled__stats(f.s, &ss);
	cr_assert_eq(ss.frees, n, "and the rest");
	finish(&f);
	gmt_sampled__stats(f.s, &ss);
	cr_assert_float_eq(ss.est_inuse_bytes, 0, 1e-6, "nothing live");
	teardown(&f);
}

/* ---- runtime.special's layout against DWARF (tests/gcoffsets) ---- */

ParameterizedTestParameters(sampled_agg, special_layout_matches_dwarf)
{
	return cr_make_param_array(int, tu_version_params(), tu_nversions);
}

ParameterizedTest(int *i, sampled_agg, special_layout_matches_dwarf, .timeout = 300)
{
	const char *v = tu_versions[*i], *root = getenv("GMT_SOURCE_ROOT");
	const char *path = tu_fixture("churn", v, "exe");
	struct gmt_gobin *gb = tu_open_gobin(path);
	long kind_off = -1, bucket_off = -1, profile = -1;
	const struct gmt_go_release *row;
	char *out, *save = NULL;

	cr_assert(root, "GMT_SOURCE_ROOT is not set: run through meson test");
	out = tu_run("cd %s && GOFLAGS=-mod=mod %s run tests/gcoffsets/main.go %s", root, tu_go(),
		     path);
	for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		sscanf(line, "off runtime.special.kind %ld", &kind_off);
		sscanf(line, "off runtime.specialprofile.b %ld", &bucket_off);
		sscanf(line, "const runtime._KindSpecialProfile %ld", &profile);
	}
	cr_assert(kind_off >= 0 && bucket_off >= 0 && profile >= 0, "%s: DWARF has them:\n%s", v,
		  out);
	row = tu_release(gb);
	cr_assert(row, "%s: known", v);
	cr_expect_eq(row->special.kind, kind_off, "%s: special.kind at %u, DWARF %ld", v,
		     row->special.kind, kind_off);
	cr_expect_eq(row->specialprofile.b, bucket_off, "%s: specialprofile.b at %u, DWARF %ld", v,
		     row->specialprofile.b, bucket_off);
	cr_expect_eq(row->consts.kind_special_profile, profile,
		     "%s: _KindSpecialProfile %lld, DWARF %ld", v,
		     (long long)row->consts.kind_special_profile, profile);
	cr_assert_null(gmt_go_release_find(18), "go1.18: not guessed");
	cr_assert_null(gmt_go_release_find(28), "go1.28: not guessed");
	free(out);
	gmt_gobin__free(gb);
}
