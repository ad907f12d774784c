/* SPDX-License-Identifier: MIT */
/*
 * The runtime globals GC tracing reads (docs/go-runtime.md, "Binary" and "GC"): runtime.gcController (heap
 * live, heap marked, the heap goal) and runtime.memstats.numgc (the cycle number), with
 * the field offsets of the binary's release (its row of the release table).
 *
 * With a .symtab the addresses are its symbols.  Stripped binaries are read the way the
 * runtime's own code reaches them: the receiver `LEAQ runtime.gcController(SB), AX` in
 * front of the calls to (*gcControllerState) methods, the `MOVQ gcController+off(SB), CX`
 * that passes lastHeapGoal to gcPaceScavenger, and the two `INCL` of memstats.numgc and
 * numforcedgc (adjacent fields) in gcMarkTermination.  runtime.work, the GC's own record
 * of the current cycle (what gctrace prints), is always found from the code: the store
 * of nanotime() into work.tMarkTerm in gcMarkDone and the copy of gcController.heapLive
 * into work.heap1 at the top of gcMarkTermination.  Every address must lie in a
 * writable PT_LOAD segment.  Nothing here prints: what could not be found is explained
 * in the result.
 */
#ifndef GMT_GCVARS_H
#define GMT_GCVARS_H

#include <stdbool.h>
#include <stdint.h>

struct gmt_gobin;
struct gmt_go_release;

/* Field offsets, 64-bit: the release row's (checked against DWARF in tests/agg/test_gc.c). */
struct gmt_gc_offsets {
	uint32_t heap_live;	 /* gcControllerState.heapLive */
	uint32_t heap_marked;	 /* gcControllerState.heapMarked */
	uint32_t last_heap_goal; /* gcControllerState.lastHeapGoal */
	uint32_t numgc;		 /* mstats.numgc */
};

enum gmt_gcvar_source {
	GMT_GCVAR_NONE,	   /* not found: see the why_* text */
	GMT_GCVAR_SYMTAB,  /* .symtab */
	GMT_GCVAR_DECODED, /* decoded from the runtime's code */
	GMT_GCVAR_TABLE,   /* offsets: the release row */
};

struct gmt_gcvars {
	uint64_t gc_controller; /* static address of runtime.gcController, 0 if not found */
	uint64_t numgc;		/* static address of runtime.memstats.numgc, 0 if not found */
	uint64_t memstats;	/* static address of runtime.memstats, 0 if not known */
	/*
	 * runtime.work.tSweepTerm (tMark, tMarkTerm follow) and work.heap0 (heap1, heap2
	 * follow): static addresses, 0 if not found.  The field order is the runtime's in
	 * every release checked (tests/agg/test_gc.c); readers check the values make sense.
	 */
	uint64_t work_times;
	uint64_t work_heaps;
	uint64_t work;	   /* static address of runtime.work, 0 if not known */
	struct gmt_gc_offsets off;
	bool have_offsets; /* off.heap_* and off.numgc are usable */
	enum gmt_gcvar_source controller_src, numgc_src, offsets_src;
	char why_controller[256]; /* set when gc_controller == 0 */
	char why_numgc[256];	  /* set when numgc == 0 */
	char why_work[256];	  /* set when work_times == 0 */
	char why_offsets[256];	  /* set when !have_offsets, or a note when a check disagreed */
};

#define GMT_GCVARS_NO_SYMTAB 0x1 /* decode even when .symtab has the symbols (tests) */

/*
 * Fills v for a binary of release row.  Returns 0 also when something was not found (v
 * says what and why); a negative errno only when the binary cannot be read at all.
 */
int gmt_gcvars_find(const struct gmt_gobin *gb, const struct gmt_go_release *row,
		    unsigned int flags, struct gmt_gcvars *v);

/* Decoders, exposed for tests: 0 or -ENOENT. */
int gmt_gcvars_decode_controller(const struct gmt_gobin *gb, uint64_t *addr);
int gmt_gcvars_decode_goal_offset(const struct gmt_gobin *gb, uint64_t controller, uint32_t *off);
int gmt_gcvars_decode_numgc(const struct gmt_gobin *gb, uint64_t *addr);
/* &work.tMarkTerm and &work.heap1; heap_live = &gcController.heapLive. */
int gmt_gcvars_decode_work(const struct gmt_gobin *gb, uint64_t heap_live, uint64_t *t_mark_term,
			   uint64_t *heap1);

#endif
