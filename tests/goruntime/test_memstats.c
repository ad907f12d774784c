// SPDX-License-Identifier: MIT
/*
 * goruntime/memstats.c on byte buffers laid out with every release row's offsets: the
 * figures ReadMemStats would give (heapStats summed over its generations, the per-P
 * cached spans added as the mcache flush adds them, HeapIdle/Sys from the controller),
 * the heap goal only when exact, and the race rule: each size class read until two reads
 * of heapStats around its cached spans agree, else its closest read with what it may miss
 * said, and no heap figure at all when that is over 1 %: never a silently wrong number.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "go_release.h"
#include "memstats.h"
#include "rtmem.h"

#define A_MS 0x10000ull
#define A_GC 0x20000ull
#define A_ALLP 0x30000ull
#define A_PS 0x31000ull
#define A_P 0x40000ull
#define A_MC 0x50000ull
#define A_SPAN 0x60000ull

struct img {
	const struct gmt_go_release *r;
	uint8_t *ms, *gc, *p, *mc, *span;
	uint8_t allp[24], ps[8];
	struct gmt_rmem_buf b;
	/* the race: reads of a heapStats counter (mutate_field in generation 0, a
	 * heapStatsDelta offset; default: class 2's allocations) after which it moves by
	 * mutate_by (default 1), for the first mutate_reads of them */
	int mutate_reads;
	int ms_reads;
	uint32_t mutate_field;
	uint64_t mutate_by;
};

static void put64(uint8_t *b, uint32_t off, uint64_t v)
{
	memcpy(b + off, &v, 8);
}

static void put32(uint8_t *b, uint32_t off, uint32_t v)
{
	memcpy(b + off, &v, 4);
}

static void put16(uint8_t *b, uint32_t off, uint16_t v)
{
	memcpy(b + off, &v, 2);
}

static uint32_t delta(const struct img *m, int gen, uint32_t field)
{
	return m->r->mstats.heap_stats + m->r->heap_stats.stats +
	       (uint32_t)gen * m->r->sizes.heap_stats_delta + field;
}

static void build(struct img *m, const struct gmt_go_release *r)
{
	const struct gmt_rel_heap_stats_delta *d = &r->heap_stats_delta;
	const struct gmt_rel_gc_controller *g = &r->gc_controller;

	memset(m, 0, sizeof(*m));
	m->r = r;
	m->ms = calloc(1, r->sizes.mstats);
	m->gc = calloc(1, r->sizes.gc_controller);
	m->p = calloc(1, r->sizes.p);
	m->mc = calloc(1, r->sizes.mcache);
	m->span = calloc(1, r->sizes.mspan);
	cr_assert(m->ms && m->gc && m->p && m->mc && m->span);
	/* heapStats: spread over the three generations, as the runtime leaves them */
	put64(m->ms, delta(m, 0, d->large_alloc), 1 << 20);
	put64(m->ms, delta(m, 0, d->large_alloc_count), 2);
	put64(m->ms, delta(m, 1, d->large_free), 4096);
	put64(m->ms, delta(m, 1, d->large_free_count), 1);
	put64(m->ms, delta(m, 0, d->tiny_alloc_count), 30); /* tiny: a malloc and a free each */
	put64(m->ms, delta(m, 2, d->tiny_alloc_count), 12);
	put64(m->ms, delta(m, 0, d->small_alloc_count + 8 * 2), 10); /* class 2: 16 B */
	put64(m->ms, delta(m, 1, d->small_alloc_count + 8 * 2), 5);
	put64(m->ms, delta(m, 2, d->small_free_count + 8 * 2), 3);
	put64(m->ms, delta(m, 0, d->small_alloc_count + 8 * 67), 1); /* class 67: 32 KiB */
	put64(m->ms, delta(m, 0, d->in_stacks), 16384);
	put64(m->ms, delta(m, 2, d->in_stacks), (uint64_t)-8192); /* a generation may be < 0 */
	put64(m->ms, delta(m, 1, d->in_work_bufs), 1000);
	put64(m->ms, r->mstats.stacks_sys, 100);
	put64(m->ms, r->mstats.gc_misc_sys, 50);
	put64(m->ms, r->mstats.mspan_sys, 7);
	put64(m->ms, r->mstats.mcache_sys, 11);
	put64(m->ms, r->mstats.buckhash_sys, 13);
	put64(m->ms, r->mstats.other_sys, 17);
	put32(m->ms, r->mstats.numgc, 7);
	put32(m->ms, r->mstats.numforcedgc, 2);
	put64(m->ms, r->mstats.last_gc_unix, 1700000000123456789ull);
	put64(m->ms, r->mstats.pause_total_ns, 424242);
	/* the controller: GOGC 100, no limit */
	put32(m->gc, g->gc_percent, 100);
	put64(m->gc, g->memory_limit, INT64_MAX);
	put64(m->gc, g->gc_percent_heap_goal, 4 << 20);
	put64(m->gc, g->sweep_dist_min_trigger, 1 << 20);
	put64(m->gc, g->triggered, UINT64_MAX);
	put64(m->gc, g->heap_in_use, 8 << 20);
	put64(m->gc, g->heap_free, 1 << 20);
	put64(m->gc, g->heap_released, 2 << 20);
	/* one P whose mcache caches a span of class 2 (spanclass 5, noscan): 3 new objects */
	put64(m->allp, 0, A_PS);
	put64(m->allp, 8, 1);
	put64(m->allp, 16, 1);
	put64(m->ps, 0, A_P);
	put64(m->p, r->p.mcache, A_MC);
	put64(m->mc, r->mcache.alloc + 8 * 5, A_SPAN);
	put64(m->mc, r->mcache.tiny_allocs, 8); /* not flushed yet: ReadMemStats would */
	put16(m->span, r->mspan.alloc_count, 7);
	put16(m->span, r->mspan.alloc_count_before_cache, 4);
	cr_assert_eq(gmt_rmem_buf_add(&m->b, A_MS, m->ms, r->sizes.mstats), 0);
	cr_assert_eq(gmt_rmem_buf_add(&m->b, A_GC, m->gc, r->sizes.gc_controller), 0);
	cr_assert_eq(gmt_rmem_buf_add(&m->b, A_ALLP, m->allp, sizeof(m->allp)), 0);
	cr_assert_eq(gmt_rmem_buf_add(&m->b, A_PS, m->ps, sizeof(m->ps)), 0);
	cr_assert_eq(gmt_rmem_buf_add(&m->b, A_P, m->p, r->sizes.p), 0);
	cr_assert_eq(gmt_rmem_buf_add(&m->b, A_MC, m->mc, r->sizes.mcache), 0);
	cr_assert_eq(gmt_rmem_buf_add(&m->b, A_SPAN, m->span, r->sizes.mspan), 0);
}

static void drop(struct img *m)
{
	free(m->ms);
	free(m->gc);
	free(m->p);
	free(m->mc);
	free(m->span);
}

/* The buffer reader, and a writer that races with us: heapStats moves after a read. */
static int racy_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct img *m = ctx;
	struct gmt_rmem inner = gmt_rmem_buf_mem(&m->b);
	int err = gmt_rmem_read(&inner, addr, buf, len);

	uint32_t off = delta(m, 0, m->mutate_field ? m->mutate_field
						  : m->r->heap_stats_delta.small_alloc_count + 8 * 2);

	if (!err && addr <= A_MS + off && A_MS + off < addr + len &&
	    m->ms_reads++ < m->mutate_reads) {
		uint64_t v;

		memcpy(&v, m->ms + off, 8);
		put64(m->ms, off, v + (m->mutate_by ? m->mutate_by : 1));
	}
	return err;
}

static int read_img(struct img *m, bool allp, struct gmt_memstats *s)
{
	struct gmt_rmem mem = { racy_read, m };
	struct gmt_memstats_addrs a = { A_MS, A_GC, allp ? A_ALLP : 0 };

	return gmt_memstats_read(&mem, m->r, &a, s);
}

/* Every row of the release table. */
static struct criterion_test_params every_row(void)
{
	static int idx[64];

	for (size_t i = 0; i < gmt_go_nreleases; i++)
		idx[i] = (int)i;
	return cr_make_param_array(int, idx, gmt_go_nreleases);
}

ParameterizedTestParameters(memstats, figures)
{
	return every_row();
}

ParameterizedTest(int *i, memstats, figures)
{
	const struct gmt_go_release *r = &gmt_go_releases[*i];
	uint64_t small = 15 * 16 + 32768, total = (1 << 20) + small + 3 * 16;
	struct gmt_memstats s;
	struct img m;

	build(&m, r);
	cr_assert_eq(read_img(&m, true, &s), 0, "%s", r->version);
	cr_expect(s.heap_consistent, "%s", r->version);
	cr_expect_eq(s.tries, 1);
	cr_expect(s.per_p_included);
	cr_expect_eq(s.nprocs, 1);
	cr_expect_eq(s.TotalAlloc, total, "%s: TotalAlloc %llu", r->version,
		     (unsigned long long)s.TotalAlloc);
	cr_expect_eq(s.HeapAlloc, total - 4096 - 3 * 16, "%s", r->version);
	cr_expect_eq(s.HeapObjects, (2 + 16 + 3) - (1 + 3), "%s: HeapObjects %llu", r->version,
		     (unsigned long long)s.HeapObjects);
	cr_expect_eq(s.Mallocs, 2 + 16 + 3 + 42 + 8, "%s: Mallocs %llu", r->version,
		     (unsigned long long)s.Mallocs);
	cr_expect_eq(s.Frees, 1 + 3 + 42 + 8, "%s: Frees", r->version);
	cr_expect_eq(s.StackInuse, 8192);
	cr_expect_eq(s.StackSys, 8192 + 100);
	cr_expect_eq(s.GCSys, 50 + 1000);
	cr_expect_eq(s.HeapInuse, 8 << 20);
	cr_expect_eq(s.HeapIdle, 3 << 20);
	cr_expect_eq(s.HeapReleased, 2 << 20);
	cr_expect_eq(s.HeapSys, 11 << 20);
	cr_expect_eq(s.Sys, (11 << 20) + 8192 + 100 + 7 + 11 + 13 + 1050 + 17);
	cr_expect_eq(s.NumGC, 7);
	cr_expect_eq(s.NumForcedGC, 2);
	cr_expect_eq(s.LastGC, 1700000000123456789ull);
	cr_expect_eq(s.PauseTotalNs, 424242);
	cr_expect_eq(s.GOGC, 100);
	cr_expect_eq(s.GOMEMLIMIT, INT64_MAX);
	cr_expect(s.next_gc_known, "%s: %s", r->version, s.next_gc_why);
	cr_expect_eq(s.NextGC, 4 << 20);
	/* Without allp the per-P objects are missing, and the result says so. */
	cr_assert_eq(read_img(&m, false, &s), 0);
	cr_expect_not(s.per_p_included);
	cr_expect_eq(s.HeapAlloc, total - 3 * 16 - 4096 - 3 * 16);
	drop(&m);
}

ParameterizedTestParameters(memstats, next_gc_only_when_exact)
{
	return every_row();
}

ParameterizedTest(int *i, memstats, next_gc_only_when_exact)
{
	const struct gmt_go_release *r = &gmt_go_releases[*i];
	struct gmt_memstats s;
	struct img m;

	build(&m, r);
	/* a cycle was triggered: the goal keeps the runtime's minimum runway over it */
	put64(m.gc, r->gc_controller.triggered, 4 << 20);
	cr_assert_eq(read_img(&m, true, &s), 0);
	cr_expect_eq(s.NextGC, (4 << 20) + (64 << 10));
	put64(m.gc, r->gc_controller.triggered, UINT64_MAX);
	put64(m.gc, r->gc_controller.sweep_dist_min_trigger, 5 << 20);
	cr_assert_eq(read_img(&m, true, &s), 0);
	cr_expect_eq(s.NextGC, 5 << 20);
	/* GOMEMLIMIT set, or GOGC off: the goal depends on more than these words */
	put64(m.gc, r->gc_controller.memory_limit, 1 << 30);
	cr_assert_eq(read_img(&m, true, &s), 0);
	cr_expect_not(s.next_gc_known);
	cr_expect_neq(s.next_gc_why, NULL);
	cr_expect_eq(s.GOMEMLIMIT, 1 << 30);
	put64(m.gc, r->gc_controller.memory_limit, INT64_MAX);
	put32(m.gc, r->gc_controller.gc_percent, (uint32_t)-1);
	cr_assert_eq(read_img(&m, true, &s), 0);
	cr_expect_not(s.next_gc_known);
	cr_expect_eq(s.GOGC, -1);
	drop(&m);
}

/* A class's count moves once, between the first two reads: it is read again on its own. */
Test(memstats, race_settles)
{
	const struct gmt_go_release *r = &gmt_go_releases[gmt_go_nreleases - 1];
	struct gmt_memstats s;
	struct img m;

	build(&m, r);
	m.mutate_reads = 1;
	cr_assert_eq(read_img(&m, true, &s), 0);
	cr_expect(s.heap_consistent);
	cr_expect_eq(s.tries, 2);
	cr_expect_eq(s.heap_uncertainty, 0);
	cr_expect_eq(s.HeapObjects, (2 + 16 + 1 + 3) - (1 + 3), "the figures of the agreeing reads");
	drop(&m);
}

/* A counter the per-P caches do not feed (large objects) moves on every read: no retry,
 * the figures as the second read has them. */
Test(memstats, unrelated_counter_moving)
{
	const struct gmt_go_release *r = &gmt_go_releases[gmt_go_nreleases - 1];
	struct gmt_memstats s;
	struct img m;

	build(&m, r);
	m.mutate_reads = 1000;
	m.mutate_field = r->heap_stats_delta.large_alloc_count;
	cr_assert_eq(read_img(&m, true, &s), 0);
	cr_expect(s.heap_consistent);
	cr_expect_eq(s.tries, 1);
	cr_expect_eq(s.heap_uncertainty, 0);
	cr_expect_eq(s.HeapObjects, (2 + 2 + 15 + 3) - (1 + 3), "the second read's count");
	drop(&m);
}

/* m built for r, read while class 2's count moves by `by` objects after every read. */
static void read_racing(struct img *m, const struct gmt_go_release *r, uint64_t by,
			struct gmt_memstats *s)
{
	build(m, r);
	m->mutate_reads = 1000;
	m->mutate_by = by;
	cr_assert_eq(read_img(m, true, s), 0);
}

/* A class's count moves between every two reads, by one object: after every try the
 * closest read is taken, the object allocated meanwhile left out and said so. */
Test(memstats, race_never_settles)
{
	const struct gmt_go_release *r = &gmt_go_releases[0];
	struct gmt_memstats s;
	struct img m;

	read_racing(&m, r, 1, &s);
	cr_expect(s.heap_consistent);
	cr_expect_eq(s.tries, GMT_MEMSTATS_TRIES);
	cr_expect_eq(s.heap_uncertainty, 16, "one object of class 2 (16 B) moved in each read");
	/* every try as close as the first: its first read, before any object was added */
	cr_expect_eq(s.HeapObjects, (2 + 15 + 1 + 3) - (1 + 3), "HeapObjects %llu",
		     (unsigned long long)s.HeapObjects);
	drop(&m);
}

/* The same by a million objects a read: 16 MiB of uncertainty, over 1 % of the heap: no
 * heap figure, said so; the rest is still read. */
Test(memstats, race_too_fast)
{
	const struct gmt_go_release *r = &gmt_go_releases[0];
	struct gmt_memstats s;
	struct img m;

	read_racing(&m, r, 1 << 20, &s);
	cr_expect_not(s.heap_consistent);
	cr_expect_eq(s.heap_uncertainty, 16ull << 20);
	cr_expect_eq(s.HeapAlloc, 0);
	cr_expect_eq(s.Sys, 0);
	cr_expect_eq(s.NumGC, 7, "what is not heapStats is still read");
	drop(&m);
}

/* A span caught mid-refill (allocCount below its count at caching): not consistent. */
Test(memstats, torn_span)
{
	const struct gmt_go_release *r = &gmt_go_releases[gmt_go_nreleases - 1];
	struct gmt_memstats s;
	struct img m;

	build(&m, r);
	put16(m.span, r->mspan.alloc_count, 1);
	cr_assert_eq(read_img(&m, true, &s), 0);
	cr_expect_not(s.heap_consistent);
	cr_expect_eq(s.heap_uncertainty, UINT64_MAX);
	drop(&m);
}

/* Gone mid-read, a pointer to nowhere, a garbage P count: errors, no figures. */
Test(memstats, bad_memory)
{
	const struct gmt_go_release *r = &gmt_go_releases[gmt_go_nreleases - 1];
	struct gmt_memstats s;
	struct img m;

	build(&m, r);
	m.b.gone_after = 2;
	cr_expect_eq(read_img(&m, true, &s), -ESRCH);
	m.b.gone_after = 0;
	m.b.reads = 0;
	put64(m.ps, 0, 0xdead0000);
	cr_expect_eq(read_img(&m, true, &s), -EFAULT);
	put64(m.ps, 0, A_P);
	put64(m.allp, 8, 1 << 20);
	cr_expect_eq(read_img(&m, true, &s), -EFAULT);
	drop(&m);
}
