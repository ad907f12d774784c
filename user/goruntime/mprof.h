/* SPDX-License-Identifier: MIT */
/*
 * The runtime's heap profile, read out of its memory (docs/go-runtime.md, "Runtime state read from outside"): runtime.mbuckets
 * heads a list of buckets linked by allnext, each {next, allnext, typ, hash, size, nstk}
 * followed by stk[nstk] and a memRecord {active, future[3]}.  The result is what
 * runtime.MemProfile(inuseZero=true) returns at that moment, so what runtime/pprof
 * writes as the heap profile:
 *  - per bucket, active plus future[cycle % 3], the cycle that MemProfile flushes first
 *    (a GC that has swept but not yet flushed); the other two futures hold the
 *    allocations and frees of cycles not yet complete and are left out;
 *  - when that leaves every bucket without allocations and frees (no GC has completed
 *    since the buckets filled), every future is added, as MemProfile does.
 *
 * Buckets are persistent (never freed) and the list only grows at its head, so a walk
 * never follows a freed bucket; the counters may move while they are read (a GC
 * flushing): each bucket is one read, its counters consistent with each other only as
 * far as the kernel's copy is.
 *
 * Nothing is trusted: every address is read through gmt_rmem, which refuses what is not
 * mapped; a bucket whose typ is not the memory profile's, whose nstk is beyond the
 * runtime's maximum depth, a misaligned pointer, a list that loops or is longer than any
 * runtime makes: a one-line error naming the bucket, nothing returned.
 */
#ifndef GMT_MPROF_H
#define GMT_MPROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "rtmem.h"

struct gmt_go_release;

/*
 * Runtime addresses (load bias applied) of the variables the walk starts from; their
 * static addresses are found with the binary's other runtime variables (heapvars.h).
 */
struct gmt_mprof_addrs {
	uint64_t mbuckets;    /* runtime.mbuckets: *bucket (atomic.UnsafePointer) */
	uint64_t mprof_cycle; /* runtime.mProfCycle */
};

/* One bucket: its stack and what runtime.MemProfileRecord would say of it. */
struct gmt_mprof_rec {
	uint64_t addr;	  /* the bucket in the target */
	uint64_t size;	  /* bucket.size: the (requested) size of its objects */
	uint32_t nstk;	  /* stack depth */
	size_t stk;	  /* index of its first pc in gmt_mprof.pcs (leaf first) */
	int64_t allocs, frees, alloc_bytes, free_bytes;
};

struct gmt_mprof {
	struct gmt_mprof_rec *recs;
	size_t n;
	uint64_t *pcs; /* every stack, back to back: return addresses as the runtime stored them */
	size_t npcs;
	uint32_t cycle;	 /* mProfCycle's cycle when read */
	bool all_cycles; /* no completed cycle yet: the futures were added (see above) */
};

/* Longest list accepted: buckets cost the runtime ~200 bytes each, 4M is 800 MB. */
#define GMT_MPROF_MAX_BUCKETS (1u << 22)

/*
 * Reads the heap profile.  0 with out->n == 0 when mbuckets is nil (MemProfileRate was
 * 0 since the start, or nothing was sampled yet).  -ESRCH when the process went away
 * (passed up from m), -EFAULT for a pointer that leads outside the mappings, -EINVAL
 * for a bucket that is not one, -ELOOP for a list that loops, -ENOMEM; d says which
 * bucket.  out is zeroed first and left empty on error.
 */
int gmt_mprof_read(const struct gmt_rmem *m, const struct gmt_go_release *rel,
		   const struct gmt_mprof_addrs *a, struct gmt_mprof *out, struct gmt_diag *d);
void gmt_mprof_free(struct gmt_mprof *p);

/* Totals over the records, as runtime/pprof's unscaled values. */
struct gmt_mprof_totals {
	int64_t allocs, alloc_bytes, inuse, inuse_bytes;
};
void gmt_mprof_totals(const struct gmt_mprof *p, struct gmt_mprof_totals *t);

/*
 * runtime/pprof's scaling of a sampled heap record (protomem.go, scaleHeapSample): at
 * rate r, a record of count objects and size bytes stands for count / (1 - e^(-avg/r))
 * objects, avg = size / count.  Rate <= 1 (every allocation sampled) leaves it as is;
 * a zero count or size gives zeros.
 */
void gmt_mprof_scale(int64_t count, int64_t size, int64_t rate, int64_t *scount, int64_t *ssize);

#endif
