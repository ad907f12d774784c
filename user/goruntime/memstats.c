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
	int64_t in_stacks, in_work_bufs, in_ptr_scalar_bits;
};

/* Σ over the generations of heapStats (ReadMemStats merges them all). */
static void sum_heap_stats(const struct gmt_go_release *row, const uint8_t *hs, struct heap_sum *h)
{
	const struct gmt_rel_heap_stats_delta *o = &row->heap_stats_delta;

	memset(h, 0, sizeof(*h));
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
		for (uint32_t c = 0; c < row->lens.small_alloc_count; c++) {
			uint64_t na = u64_at(d, o->small_alloc_count + 8 * c);
			uint64_t nf = u64_at(d, o->small_free_count + 8 * c);

			h->alloc_count += na;
			h->free_count += nf;
			h->alloc_bytes += na * gmt_go_class_size(c);
			h->free_bytes += nf * gmt_go_class_size(c);
		}
	}
}

/*
 * What flushing every P's mcache would add: per cached span, the objects allocated
 * from it since it was cached (allocCount - allocCountBeforeCache), of its class's size.
 */
static int sum_per_p(const struct gmt_rmem *m, const struct gmt_go_release *row, uint64_t allp,
		     struct heap_sum *h, uint32_t *nprocs)
{
	uint64_t ptr, len, spans[512];
	uint32_t nspans = row->lens.mcache_alloc;
	int err;

	if (nspans > sizeof(spans) / sizeof(spans[0]))
		return -EINVAL;
	err = gmt_rmem_u64(m, allp, &ptr);
	if (!err)
		err = gmt_rmem_u64(m, allp + 8, &len);
	if (err)
		return err;
	if (len > GMT_MEMSTATS_MAX_P)
		return -EFAULT;
	*nprocs = (uint32_t)len;
	for (uint64_t i = 0; i < len; i++) {
		uint64_t p, mc;

		err = gmt_rmem_u64(m, ptr + 8 * i, &p);
		if (!err && p)
			err = gmt_rmem_u64(m, p + row->p.mcache, &mc);
		if (err)
			return err;
		if (!p || !mc)
			continue; /* a P being created or destroyed has no mcache */
		err = gmt_rmem_read(m, mc + row->mcache.alloc, spans, 8 * (size_t)nspans);
		if (err)
			return err;
		for (uint32_t sc = 0; sc < nspans; sc++) {
			uint16_t cnt, before;
			uint32_t size = gmt_go_class_size(sc >> 1);

			if (!spans[sc])
				continue;
			err = gmt_rmem_u16(m, spans[sc] + row->mspan.alloc_count, &cnt);
			if (!err)
				err = gmt_rmem_u16(m, spans[sc] + row->mspan.alloc_count_before_cache,
						   &before);
			if (err)
				return err;
			if (cnt < before)
				return -EAGAIN; /* caught mid-refill */
			h->alloc_count += cnt - before;
			h->alloc_bytes += (uint64_t)(cnt - before) * size;
		}
	}
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
	uint8_t *ms1 = NULL, *ms2 = NULL, *gc = NULL;
	struct heap_sum h = {}, per_p;
	int err = 0;

	memset(s, 0, sizeof(*s));
	if (!a->memstats || !a->gc_controller || ABSENT(row->sizes.mstats) ||
	    ABSENT(row->sizes.gc_controller) || ABSENT(ms->heap_stats) ||
	    ABSENT(row->sizes.heap_stats_delta) || ABSENT(row->lens.heap_stats_gens) ||
	    ABSENT(row->lens.small_alloc_count) || ABSENT(gco->gc_percent) ||
	    ABSENT(gco->memory_limit) || ABSENT(ms->numgc) ||
	    ms->heap_stats + row->heap_stats.stats + hs_len > row->sizes.mstats)
		return -EINVAL;
	ms1 = malloc(row->sizes.mstats);
	ms2 = malloc(row->sizes.mstats);
	gc = malloc(row->sizes.gc_controller);
	if (!ms1 || !ms2 || !gc) {
		err = -ENOMEM;
		goto out;
	}
	/*
	 * heapStats, then the per-P spans, then heapStats again: when both reads agree no
	 * span went back to the heap in between (that would move its counts from the mcache
	 * into heapStats, counted twice or not at all) and no writer was halfway.
	 */
	err = gmt_rmem_read(m, a->memstats, ms1, row->sizes.mstats);
	for (s->tries = 1; !err && s->tries <= GMT_MEMSTATS_TRIES; s->tries++) {
		const size_t hs_off = ms->heap_stats + row->heap_stats.stats;

		bool torn = false;

		memset(&per_p, 0, sizeof(per_p));
		if (a->allp) {
			err = sum_per_p(m, row, a->allp, &per_p, &s->nprocs);
			torn = err == -EAGAIN;
			if (torn)
				err = 0;
			if (err)
				break;
		}
		err = gmt_rmem_read(m, a->memstats, ms2, row->sizes.mstats);
		if (err)
			break;
		if (!torn && !memcmp(ms1 + hs_off, ms2 + hs_off, hs_len)) {
			s->heap_consistent = true;
			break;
		}
		memcpy(ms1, ms2, row->sizes.mstats);
	}
	if (s->tries > GMT_MEMSTATS_TRIES)
		s->tries = GMT_MEMSTATS_TRIES;
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
	if (s->heap_consistent) {
		sum_heap_stats(row, ms2 + ms->heap_stats + row->heap_stats.stats, &h);
		s->per_p_included = a->allp != 0;
		h.alloc_bytes += per_p.alloc_bytes;
		h.alloc_count += per_p.alloc_count;
		s->TotalAlloc = h.alloc_bytes;
		s->HeapAlloc = h.alloc_bytes - h.free_bytes;
		s->HeapObjects = h.alloc_count - h.free_count;
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
	return err;
}
