/* SPDX-License-Identifier: MIT */
/*
 * The runtime's memory accounting read from outside, as runtime.ReadMemStats computes
 * it (docs/go-runtime.md, "Memory figures"): runtime.memstats (its heapStats, three
 * generations of heapStatsDelta that ReadMemStats sums, and the *_sys counters),
 * runtime.gcController (heap in use / free / released, GOGC, GOMEMLIMIT, the heap goal's
 * inputs) and, when runtime.allp is known, the spans each P's mcache holds: allocations
 * in a cached span reach heapStats only when the span goes back (ReadMemStats flushes
 * every mcache first), so they are added here from each span's allocCount -
 * allocCountBeforeCache, as that flush would.
 *
 * The process runs while it is read: each size class's allocation count (and its per-P
 * spans) is read until two reads of heapStats around them agree.  A class whose spans
 * go back faster than it can be read (every microsecond or so, in a tight allocation
 * loop) is taken from its closest read, counting no object twice and missing at most
 * what its count moved by in that read; the sum of those is heap_uncertainty, and when
 * it is too large the heap figures are marked inconsistent and not given.  Offsets come from the release row only.  Nothing prints.
 */
#ifndef GMT_MEMSTATS_H
#define GMT_MEMSTATS_H

#include <stdbool.h>
#include <stdint.h>

#include "rtmem.h"

struct gmt_go_release;

/* Runtime addresses (load bias applied). 0: not known. */
struct gmt_memstats_addrs {
	uint64_t memstats;	/* runtime.memstats (required) */
	uint64_t gc_controller; /* runtime.gcController (required) */
	uint64_t allp;		/* runtime.allp, the slice header: 0 = per-P spans not added */
};

#define GMT_MEMSTATS_TRIES 64 /* reads of a size class before its closest read is taken */
/* The heap figures are given when they are known to within 1 % of HeapAlloc (or 64 KiB) */
#define GMT_MEMSTATS_MAX_UNCERTAINTY(heap_alloc) \
	((heap_alloc) / 100 > (64u << 10) ? (heap_alloc) / 100 : (64u << 10))
#define GMT_MEMSTATS_MAX_CLASSES 128 /* size classes (68 in every release so far) */
#define GMT_MEMSTATS_MAX_P 4096

struct gmt_memstats {
	/*
	 * The heap figures below (HeapAlloc, TotalAlloc, HeapObjects, Mallocs, Frees, Stack*,
	 * GCSys, Sys)
	 * are valid: every size class was read consistently, or closely enough that what
	 * its count moved by while it was read stays within GMT_MEMSTATS_MAX_UNCERTAINTY.
	 */
	bool heap_consistent;
	/* Bytes the figures may be short by (objects allocated while a class was read, not
	 * counted): 0 when every class read exactly; UINT64_MAX when unknown. */
	uint64_t heap_uncertainty;
	int tries;		/* reads the most contended size class took */
	bool per_p_included;	/* allocations in per-P cached spans are counted */
	uint32_t nprocs;	/* Ps whose mcache was read */
	/* runtime.MemStats names */
	uint64_t HeapAlloc, TotalAlloc, HeapObjects, Mallocs, Frees;
	uint64_t HeapInuse, HeapIdle, HeapReleased, HeapSys;
	uint64_t StackInuse, StackSys, MSpanSys, MCacheSys, BuckHashSys, GCSys, OtherSys, Sys;
	uint64_t LastGC, PauseTotalNs;
	uint32_t NumGC, NumForcedGC;
	bool have_heap_sys; /* HeapInuse/Idle/Released/Sys and Sys (the release has them) */
	/* NextGC (the heap goal): only when it can be computed exactly, else why not */
	bool next_gc_known;
	uint64_t NextGC;
	const char *next_gc_why;
	int32_t GOGC;	    /* gcController.gcPercent; < 0: off */
	int64_t GOMEMLIMIT; /* gcController.memoryLimit; INT64_MAX: no limit */
};

/*
 * Reads the figures.  0, or a negative errno from the reader (-ESRCH: gone, -EFAULT:
 * an address leads nowhere), -EINVAL when the row lacks a layout it needs.  An
 * inconsistent heapStats is not an error: s->heap_consistent says so.
 */
int gmt_memstats_read(const struct gmt_rmem *m, const struct gmt_go_release *row,
		      const struct gmt_memstats_addrs *a, struct gmt_memstats *s);

#endif
