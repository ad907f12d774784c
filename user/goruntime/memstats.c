// SPDX-License-Identifier: MIT
#include "memstats.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "go_release.h"
#include "sizeclass.h"

#define ABSENT(x) ((x) == GMT_OFF_ABSENT)

static uint64_t u64_at(const uint8_t *b, uint32_t off)
{
	uint64_t v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

static uint32_t u32_at(const uint8_t *b, uint32_t off)
{
	uint32_t v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

/* What the heap's counters sum to: ReadMemStats' totalAlloc / totalFree and counts. */
struct heap_sum {
	uint64_t alloc_bytes, free_bytes, alloc_count, free_count;
	uint64_t tiny_count; /* tiny allocations (MemStats counts each as a malloc and a free) */
	int64_t in_stacks, in_work_bufs, in_ptr_scalar_bits;
};

/* Σ over the generations of heapStats (ReadMemStats merges them all).  small_allocs[c]:
 * the objects of size class c allocated, already summed (read consistently with the
 * per-P caches, and those added); the generations' own counts are not used for them. */
static void sum_heap_stats(const struct gmt_go_release *row, const uint8_t *hs,
			   const uint64_t *small_allocs, struct heap_sum *h)
{
	const struct gmt_rel_heap_stats_delta *o = &row->heap_stats_delta;

	memset(h, 0, sizeof(*h));
	for (uint32_t c = 0; c < row->lens.small_alloc_count; c++) {
		h->alloc_count += small_allocs[c];
		h->alloc_bytes += small_allocs[c] * gmt_go_class_size(c);
	}
	for (uint32_t g = 0; g < row->lens.heap_stats_gens; g++) {
		const uint8_t *d = hs + (size_t)g * row->sizes.heap_stats_delta;

		h->in_stacks += (int64_t)u64_at(d, o->in_stacks);
		h->in_work_bufs += (int64_t)u64_at(d, o->in_work_bufs);
		if (!ABSENT(o->in_ptr_scalar_bits))
			h->in_ptr_scalar_bits += (int64_t)u64_at(d, o->in_ptr_scalar_bits);
		h->alloc_bytes += u64_at(d, o->large_alloc);
		h->alloc_count += u64_at(d, o->large_alloc_count);
		h->free_bytes += u64_at(d, o->large_free);
		h->free_count += u64_at(d, o->large_free_count);
		h->tiny_count += u64_at(d, o->tiny_alloc_count);
		for (uint32_t c = 0; c < row->lens.small_alloc_count; c++) {
			uint64_t nf = u64_at(d, o->small_free_count + 8 * c);

			h->free_count += nf;
			h->free_bytes += nf * gmt_go_class_size(c);
		}
	}
}

/* A class's allocated objects in heapStats: Σ over the generations of its count, p
 * pointing at it in the first generation (the next ones are a heapStatsDelta apart). */
static uint64_t class_allocs(const struct gmt_go_release *row, const uint8_t *p)
{
	uint64_t n = 0;

	for (uint32_t g = 0; g < row->lens.heap_stats_gens; g++)
		n += u64_at(p, g * row->sizes.heap_stats_delta);
	return n;
}

/* The same in a copy of all of heapStats (hs: its first generation). */
static uint64_t small_allocs_of(const struct gmt_go_release *row, const uint8_t *hs, uint32_t c)
{
	return class_allocs(row, hs + row->heap_stats_delta.small_alloc_count + 8 * c);
}

/*
 * The per-P allocation caches.  A span an mcache holds has counted none of its
 * allocations into heapStats; they move there (smallAllocCount of its size class) when
 * the span goes back, which on a busy heap is every few microseconds for some class.
 * A class's figure is therefore read as heapStats' count, the cached spans of that
 * class, heapStats' count again: when the two counts agree, no span of the class went
 * back in between, and the sum counts each object once.
 */
struct pcaches {
	uint64_t mc[GMT_MEMSTATS_MAX_P]; /* each P's mcache; 0: none (P being set up) */
	uint32_t n;
};

static int find_mcaches(const struct gmt_rmem *m, const struct gmt_go_release *row, uint64_t allp,
			struct pcaches *pc)
{
	uint64_t ptr, len;
	int err = gmt_rmem_u64(m, allp, &ptr);

	if (!err)
		err = gmt_rmem_u64(m, allp + 8, &len);
	if (err)
		return err;
	if (len > GMT_MEMSTATS_MAX_P)
		return -EFAULT;
	pc->n = (uint32_t)len;
	for (uint32_t i = 0; i < pc->n; i++) {
		uint64_t p;

		pc->mc[i] = 0;
		err = gmt_rmem_u64(m, ptr + 8 * (uint64_t)i, &p);
		if (!err && p)
			err = gmt_rmem_u64(m, p + row->p.mcache, &pc->mc[i]);
		if (err)
			return err;
	}
	return 0;
}

/* The tiny allocations the mcaches counted and have not flushed into heapStats yet
 * (ReadMemStats flushes them first). */
static int cached_tiny(const struct gmt_rmem *m, const struct gmt_go_release *row,
		       const struct pcaches *pc, uint64_t *n)
{
	*n = 0;
	if (ABSENT(row->mcache.tiny_allocs))
		return 0;
	for (uint32_t i = 0; i < pc->n; i++) {
		uint64_t v;
		int err;

		if (!pc->mc[i])
			continue;
		err = gmt_rmem_u64(m, pc->mc[i] + row->mcache.tiny_allocs, &v);
		if (err)
			return err;
		*n += v;
	}
	return 0;
}

/* A span's allocCount and allocCountBeforeCache (two u16 a few bytes apart: one read). */
static int span_counts(const struct gmt_rmem *m, const struct gmt_go_release *row, uint64_t span,
		       uint16_t *cnt, uint16_t *before)
{
	uint32_t a = row->mspan.alloc_count, b = row->mspan.alloc_count_before_cache;
	uint32_t lo = a < b ? a : b, hi = a < b ? b : a;
	uint8_t buf[32];
	int err;

	if (hi + 2 - lo <= sizeof(buf)) {
		err = gmt_rmem_read(m, span + lo, buf, hi + 2 - lo);
		memcpy(cnt, buf + (a - lo), 2);
		memcpy(before, buf + (b - lo), 2);
		return err;
	}
	err = gmt_rmem_u16(m, span + a, cnt);
	return err ? err : gmt_rmem_u16(m, span + b, before);
}

/*
 * Objects allocated from the spans the Ps cache for span classes [sc0, sc1) since they
 * were cached (allocCount - allocCountBeforeCache), added per size class into objs[];
 * torn[c] set for a class whose span was caught mid-refill.
 */
static int cached_objects(const struct gmt_rmem *m, const struct gmt_go_release *row,
			  const struct pcaches *pc, uint32_t sc0, uint32_t sc1, uint64_t *objs,
			  bool *torn)
{
	uint64_t spans[512];

	if (sc1 > sizeof(spans) / sizeof(spans[0]) || sc0 >= sc1)
		return -EINVAL;
	for (uint32_t i = 0; i < pc->n; i++) {
		int err;

		if (!pc->mc[i])
			continue;
		err = gmt_rmem_read(m, pc->mc[i] + row->mcache.alloc + 8 * sc0, spans,
				    8 * (size_t)(sc1 - sc0));
		if (err)
			return err;
		for (uint32_t sc = sc0; sc < sc1; sc++) {
			uint64_t span = spans[sc - sc0];
			uint16_t cnt, before;

			if (!span)
				continue;
			err = span_counts(m, row, span, &cnt, &before);
			if (err)
				return err;
			if (cnt < before)
				torn[sc >> 1] = true;
			else
				objs[sc >> 1] += cnt - before;
		}
	}
	return 0;
}

/* |x - y| */
static uint64_t udiff(uint64_t x, uint64_t y)
{
	return x > y ? x - y : y - x;
}

/*
 * One class again, in a window as short as it can be: its count in heapStats, its
 * cached spans, its count again.  0 and, in *moved, by how many objects the count
 * moved in between (0: read exactly) with *n the first count plus the cached objects,
 * which counts no object twice; or a negative errno.  A span caught mid-refill reads
 * as moved by UINT64_MAX.
 */
static int reread_class(const struct gmt_rmem *m, const struct gmt_go_release *row,
			const struct pcaches *pc, uint64_t hs_addr, uint32_t c, uint64_t *n,
			uint64_t *moved)
{
	const uint32_t off = row->heap_stats_delta.small_alloc_count + 8 * c;
	const size_t len = (row->lens.heap_stats_gens - 1) * row->sizes.heap_stats_delta + 8;
	uint8_t b1[4 * 2048], b2[sizeof(b1)];
	uint64_t objs[GMT_MEMSTATS_MAX_CLASSES] = {};
	bool torn[GMT_MEMSTATS_MAX_CLASSES] = {};
	int err;

	if (len > sizeof(b1))
		return -EINVAL;
	err = gmt_rmem_read(m, hs_addr + off, b1, len);
	if (!err)
		err = cached_objects(m, row, pc, 2 * c, 2 * c + 2, objs, torn);
	if (!err)
		err = gmt_rmem_read(m, hs_addr + off, b2, len);
	if (err)
		return err;
	*moved = torn[c] ? UINT64_MAX : udiff(class_allocs(row, b1), class_allocs(row, b2));
	*n = class_allocs(row, b1) + objs[c];
	return 0;
}

/*
 * The heap goal as gcControllerState.heapGoal computes it, when that needs nothing but
 * the controller's words: GOGC on and no memory limit.  With a limit the goal depends on
 * the non-heap memory at the moment of the call.
 */
static void next_gc(const struct gmt_go_release *row, const uint8_t *gc, struct gmt_memstats *s)
{
	const struct gmt_rel_gc_controller *o = &row->gc_controller;
	uint64_t goal, sweep, trig;

	s->next_gc_known = false;
	if (ABSENT(o->gc_percent_heap_goal) || ABSENT(o->sweep_dist_min_trigger) ||
	    ABSENT(o->triggered)) {
		s->next_gc_why = "this release keeps the heap goal in other fields";
		return;
	}
	if (s->GOGC < 0) {
		s->next_gc_why = "GOGC is off: the goal follows GOMEMLIMIT and the non-heap memory";
		return;
	}
	if (s->GOMEMLIMIT != INT64_MAX) {
		s->next_gc_why = "GOMEMLIMIT is set: the goal depends on the non-heap memory "
				 "at the moment it is computed";
		return;
	}
	goal = u64_at(gc, o->gc_percent_heap_goal);
	sweep = u64_at(gc, o->sweep_dist_min_trigger);
	trig = u64_at(gc, o->triggered);
	if (sweep > goal)
		goal = sweep;
	if (trig != UINT64_MAX && goal < trig + (64 << 10))
		goal = trig + (64 << 10); /* the runtime's minimum runway */
	s->NextGC = goal;
	s->next_gc_known = true;
	s->next_gc_why = NULL;
}

int gmt_memstats_read(const struct gmt_rmem *m, const struct gmt_go_release *row,
		      const struct gmt_memstats_addrs *a, struct gmt_memstats *s)
{
	const struct gmt_rel_mstats *ms = &row->mstats;
	const struct gmt_rel_gc_controller *gco = &row->gc_controller;
	size_t hs_len = (size_t)row->lens.heap_stats_gens * row->sizes.heap_stats_delta;
	const size_t hs_off = ms->heap_stats + row->heap_stats.stats;
	uint8_t *ms1 = NULL, *ms2 = NULL, *gc = NULL;
	struct gmt_rmem_cache *cache = NULL;
	struct pcaches *pc = NULL;
	uint64_t objs[GMT_MEMSTATS_MAX_CLASSES] = {}, small[GMT_MEMSTATS_MAX_CLASSES] = {};
	bool torn[GMT_MEMSTATS_MAX_CLASSES] = {};
	struct heap_sum h = {};
	uint64_t uncertain = 0; /* bytes the classes' counts moved by while read */
	uint64_t tiny = 0;	/* tiny allocations not yet flushed from the mcaches */
	int err = 0;

	memset(s, 0, sizeof(*s));
	if (!a->memstats || !a->gc_controller || ABSENT(row->sizes.mstats) ||
	    ABSENT(row->sizes.gc_controller) || ABSENT(ms->heap_stats) ||
	    ABSENT(row->sizes.heap_stats_delta) || ABSENT(row->lens.heap_stats_gens) ||
	    ABSENT(row->lens.small_alloc_count) || ABSENT(gco->gc_percent) ||
	    ABSENT(gco->memory_limit) || ABSENT(ms->numgc) ||
	    row->lens.small_alloc_count > GMT_MEMSTATS_MAX_CLASSES ||
	    row->lens.mcache_alloc > 2 * row->lens.small_alloc_count ||
	    ms->heap_stats + row->heap_stats.stats + hs_len > row->sizes.mstats)
		return -EINVAL;
	ms1 = malloc(row->sizes.mstats);
	ms2 = malloc(row->sizes.mstats);
	gc = malloc(row->sizes.gc_controller);
	cache = malloc(sizeof(*cache));
	pc = malloc(sizeof(*pc));
	if (!ms1 || !ms2 || !gc || !cache || !pc) {
		err = -ENOMEM;
		goto out;
	}
	/*
	 * heapStats, the per-P caches, heapStats again: the classes whose counts agree are
	 * read; each other class again on its own, until it agrees or GMT_MEMSTATS_TRIES.
	 * Everything else in heapStats is a word updated whole and on its own account
	 * (large objects, frees, stacks, work buffers), taken as the second read has it.
	 */
	err = gmt_rmem_read(m, a->memstats, ms1, row->sizes.mstats);
	if (!err && a->allp) {
		err = find_mcaches(m, row, a->allp, pc);
		if (!err) {
			struct gmt_rmem cm;

			gmt_rmem_cache_init(cache, m);
			cm = gmt_rmem_cache_mem(cache);
			err = cached_objects(&cm, row, pc, 0, row->lens.mcache_alloc, objs, torn);
			if (!err)
				err = cached_tiny(&cm, row, pc, &tiny);
		}
		s->nprocs = pc->n;
	}
	if (!err)
		err = gmt_rmem_read(m, a->memstats, ms2, row->sizes.mstats);
	s->tries = 1;
	for (uint32_t c = 0; !err && c < row->lens.small_alloc_count; c++) {
		uint64_t n1 = small_allocs_of(row, ms1 + hs_off, c);
		uint64_t n2 = small_allocs_of(row, ms2 + hs_off, c);
		/* Without the per-P caches nothing is read between the two: any read will do. */
		uint64_t moved = !a->allp ? 0 : torn[c] ? UINT64_MAX : udiff(n1, n2);
		int t = 1;

		small[c] = (a->allp ? n1 : n2) + objs[c];
		while (moved && t < GMT_MEMSTATS_TRIES) {
			uint64_t n, mv;

			t++;
			err = reread_class(m, row, pc, a->memstats + hs_off, c, &n, &mv);
			if (err)
				break;
			if (mv < moved) {
				moved = mv;
				small[c] = n;
			}
		}
		if (t > s->tries)
			s->tries = t;
		if (moved == UINT64_MAX)
			uncertain = UINT64_MAX;
		else if (uncertain != UINT64_MAX)
			uncertain += moved * gmt_go_class_size(c);
	}
	if (!err)
		err = gmt_rmem_read(m, a->gc_controller, gc, row->sizes.gc_controller);
	if (err)
		goto out;

	s->GOGC = (int32_t)u32_at(gc, gco->gc_percent);
	s->GOMEMLIMIT = (int64_t)u64_at(gc, gco->memory_limit);
	s->NumGC = u32_at(ms2, ms->numgc);
	if (!ABSENT(ms->numforcedgc))
		s->NumForcedGC = u32_at(ms2, ms->numforcedgc);
	if (!ABSENT(ms->last_gc_unix))
		s->LastGC = u64_at(ms2, ms->last_gc_unix);
	if (!ABSENT(ms->pause_total_ns))
		s->PauseTotalNs = u64_at(ms2, ms->pause_total_ns);
	next_gc(row, gc, s);
	sum_heap_stats(row, ms2 + hs_off, small, &h);
	s->heap_uncertainty = uncertain;
	s->heap_consistent = uncertain <= GMT_MEMSTATS_MAX_UNCERTAINTY(h.alloc_bytes - h.free_bytes);
	if (s->heap_consistent) {
		s->per_p_included = a->allp != 0;
		s->TotalAlloc = h.alloc_bytes;
		s->HeapAlloc = h.alloc_bytes - h.free_bytes;
		s->HeapObjects = h.alloc_count - h.free_count;
		/* As ReadMemStats: tiny allocations are in both (their block is counted too). */
		s->Mallocs = h.alloc_count + h.tiny_count + tiny;
		s->Frees = h.free_count + h.tiny_count + tiny;
		s->StackInuse = (uint64_t)h.in_stacks;
		s->StackSys = s->StackInuse + u64_at(ms2, ms->stacks_sys);
		s->GCSys = u64_at(ms2, ms->gc_misc_sys) + (uint64_t)h.in_work_bufs +
			   (uint64_t)h.in_ptr_scalar_bits;
	}
	s->MSpanSys = u64_at(ms2, ms->mspan_sys);
	s->MCacheSys = u64_at(ms2, ms->mcache_sys);
	s->BuckHashSys = u64_at(ms2, ms->buckhash_sys);
	s->OtherSys = u64_at(ms2, ms->other_sys);
	if (!ABSENT(gco->heap_in_use) && !ABSENT(gco->heap_free) && !ABSENT(gco->heap_released)) {
		s->have_heap_sys = true;
		s->HeapInuse = u64_at(gc, gco->heap_in_use);
		s->HeapReleased = u64_at(gc, gco->heap_released);
		s->HeapIdle = u64_at(gc, gco->heap_free) + s->HeapReleased;
		s->HeapSys = s->HeapInuse + s->HeapIdle;
		if (s->heap_consistent)
			s->Sys = s->HeapSys + s->StackSys + s->MSpanSys + s->MCacheSys +
				 s->BuckHashSys + s->GCSys + s->OtherSys;
	}
out:
	free(ms1);
	free(ms2);
	free(gc);
	free(cache);
	free(pc);
	return err;
}
