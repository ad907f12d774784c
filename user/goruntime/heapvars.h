/* SPDX-License-Identifier: MIT */
/*
 * The heap's own globals, for a reader of the live heap from outside (the heap-profile
 * snapshot): runtime.mheap_, the heap (its spans, arenas, special allocators), and
 * runtime.mbuckets, the head of the heap profiler's list of buckets (every stack the
 * sampler has seen, with its allocation and free counts per GC cycle), and
 * runtime.mProfCycle.
 *
 * With a .symtab the addresses are its symbols.  Stripped binaries are read from the code
 * that uses them: mheap_ is the receiver `LEAQ mheap_(SB), AX` before the calls of
 * (*mheap) methods in mallocinit, sweepone, stackalloc, stackfree and (*mcentral).grow
 * (all must agree).  mbuckets and mProfCycle (the heap profile's cycle counter, which
 * says which of a bucket's futures is complete: mprof.h) are found together, from the
 * code the GC runs, so that binaries without the heap profile reader are covered too
 * (their rate may have been raised by record or daemon): mbuckets is
 * runtime.mProf_FlushLocked's first 8-byte load, mProfCycle runtime.mProf_Flush's first
 * 4-byte load, whose address it also takes for its compare-and-swap; when the reader is
 * linked (memProfileInternal from go1.23, MemProfile before) its first loads must name
 * the same words.  Every address must be a global the process can write, of the size the
 * release row gives.  runtime.allp (the []*p slice header, whose mcaches the memory
 * figures read, memstats.h) is the first pair of 8-byte loads of adjacent words,
 * allp.array and allp.len, in runtime.gcMarkTinyAllocs (`range allp`), and in
 * runtime.flushmcache when the binary has it as a function (they must agree).  Nothing
 * here prints.
 */
#ifndef GMT_HEAPVARS_H
#define GMT_HEAPVARS_H

#include <stddef.h>
#include <stdint.h>

struct gmt_gobin;
struct gmt_go_release;

enum gmt_heapvar_src {
	GMT_HEAPVAR_NONE,    /* not found: see why_* */
	GMT_HEAPVAR_SYMTAB,  /* .symtab */
	GMT_HEAPVAR_DECODED, /* decoded from the runtime's code */
};

struct gmt_heapvars {
	uint64_t mheap;	   /* static address of runtime.mheap_, 0 when not found */
	uint64_t mbuckets; /* static address of runtime.mbuckets, 0 when not found */
	uint64_t mprof_cycle; /* runtime.mProfCycle: found with mbuckets, or neither */
	uint64_t allp;	      /* runtime.allp, the slice header, 0 when not found */
	enum gmt_heapvar_src mheap_src, mbuckets_src; /* mbuckets_src: mProfCycle's too */
	enum gmt_heapvar_src allp_src;
	char why_mheap[200], why_mbuckets[200], why_allp[200];
};

#define GMT_HEAPVARS_NO_SYMTAB 0x1 /* decode even when .symtab has the symbols (tests) */

/* Fills v; 0 also when something was not found (v says why), -EINVAL on a bad binary. */
int gmt_heapvars_find(const struct gmt_gobin *gb, const struct gmt_go_release *row,
		      unsigned int flags, struct gmt_heapvars *v);

/* Decoders, exposed for tests: 0 or -ENOENT (why: the reason, for the second). */
int gmt_heapvars_decode_mheap(const struct gmt_gobin *gb, uint64_t *addr);
int gmt_heapvars_decode_mprof(const struct gmt_gobin *gb, uint64_t *mbuckets,
			      uint64_t *mprof_cycle, char *why, size_t len);
int gmt_heapvars_decode_allp(const struct gmt_gobin *gb, uint64_t *allp);

#endif
