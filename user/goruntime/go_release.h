/* SPDX-License-Identifier: MIT */
/*
 * The Go releases gomemtrace knows: one row per release (go1.19 ... go1.27) with the
 * layout of the runtime structures it reads and the shapes of the functions it probes.
 *
 * The rows are generated, not typed: scripts/gen-go-releases.sh builds
 * scripts/gooffsets/ref with each release's toolchain and reads every value from that
 * binary's DWARF and symbol table, as scripts/gooffsets/spec.txt lists them, into
 * go_releases.gen.c.  This header is written by hand: a field added here must be added
 * to the spec too, and the generator refuses a header and a spec that disagree.
 *
 * All offsets are in bytes, 64-bit (amd64).  A member or type a release does not have
 * reads GMT_OFF_ABSENT: test for it before use.  Nested members are flattened into
 * their root struct (g.sched_sp is the offset of g.sched.sp in g).
 */
#ifndef GMT_GO_RELEASE_H
#define GMT_GO_RELEASE_H

#include <stddef.h>
#include <stdint.h>

#define GMT_OFF_ABSENT UINT32_MAX   /* offsets, sizes and lengths: not in this release */
#define GMT_CONST_ABSENT INT64_MIN  /* consts: not in this release */
#define GMT_ARG_ABSENT (-1)	    /* args: no such function or parameter */
#define GMT_ARG_MEMORY (-2)	    /* args: passed in memory, not in a register */

/*
 * Behaviour flags, each derived from the reference binary (spec.txt says how):
 * function parameters and results from DWARF, functions from the symbol table.
 */
#define GMT_REL_MPROF_MALLOC_MP (1u << 0)     /* mProf_Malloc(mp, p, size), not (p, size) */
#define GMT_REL_MPROF_FREE_SIZE (1u << 1)     /* mProf_Free(b, size), not (b) */
#define GMT_REL_STOPTHEWORLD_STRING (1u << 2) /* stopTheWorld(reason string) */
#define GMT_REL_STW_REASON (1u << 3)	      /* stopTheWorldWithSema(reason stwReason) */
#define GMT_REL_STW_WORLDSTOP (1u << 4)	      /* stopTheWorldWithSema returns a worldStop */
#define GMT_REL_START_EMIT_TRACE (1u << 5)    /* startTheWorldWithSema(emitTraceEvent bool) */
#define GMT_REL_START_NOW (1u << 6)	      /* startTheWorldWithSema(now int64, w worldStop) */
#define GMT_REL_MARKTERM_WORLDSTOP (1u << 7)  /* gcMarkTermination(stw worldStop) */
#define GMT_REL_GCSWEEP_RESULT (1u << 8)      /* gcSweep(mode) returns a bool */
#define GMT_REL_GDESTROY (1u << 9)	      /* a g dies in gdestroy(gp), not in goexit0(gp) */
#define GMT_REL_MALLOC_HEADER (1u << 10)      /* typed objects over 512 bytes carry a header */
#define GMT_REL_MALLOCGC_SPLIT (1u << 11)     /* mallocgc calls mallocgcLarge & co. */
#define GMT_REL_SIZE_SPECIALIZED (1u << 12)   /* size-specialized allocators in a default build */
#define GMT_REL_MEMPROFRATE_STATIC (1u << 13) /* MemProfileRate is 524288 in the file */
#define GMT_REL_MCACHE_PROF_RATE (1u << 14)   /* mcache.memProfRate: a new rate acts at once */

/* runtime.g */
struct gmt_rel_g {
	uint32_t stack_lo, stack_hi, stackguard0, panic, defer, m;
	uint32_t sched, sched_sp, sched_pc, sched_bp, sched_lr, sched_ctxt;
	uint32_t syscallsp, syscallpc, syscallbp, stktopsp;
	uint32_t atomicstatus, goid, schedlink, waitsince, waitreason, lockedm;
	uint32_t parent_goid, gopc, ancestors, startpc, waiting, labels, coroarg, bubble;
	uint32_t gc_assist_bytes;
};

/* runtime.gobuf: g.sched, the registers a goroutine saved when it stopped running */
struct gmt_rel_gobuf {
	uint32_t sp, pc, g, ctxt, ret, lr, bp;
};

/* runtime.m */
struct gmt_rel_m {
	uint32_t g0, procid, curg, p, id, mallocing, preemptoff, locks, lockedg, prof_stack;
};

/* runtime.p */
struct gmt_rel_p {
	uint32_t id, status, m, mcache, runqhead, runqtail, runq, runnext;
};

/* runtime.mcache */
struct gmt_rel_mcache {
	uint32_t next_sample, mem_prof_rate, scan_alloc, tiny, tinyoffset, tiny_allocs;
	uint32_t alloc, flush_gen;
};

/* runtime.mspan: a span an mcache holds (ReadMemStats counts its allocations on flush) */
struct gmt_rel_mspan {
	uint32_t alloc_count, alloc_count_before_cache, elemsize, spanclass;
};

/* runtime.gcControllerState, the type of runtime.gcController */
struct gmt_rel_gc_controller {
	uint32_t gc_percent, memory_limit, heap_minimum, runway, gc_percent_heap_goal;
	uint32_t sweep_dist_min_trigger, triggered, last_heap_goal, heap_live, heap_scan;
	uint32_t last_heap_scan, last_stack_scan, max_stack_scan, globals_scan, heap_marked;
	uint32_t assist_time, dedicated_mark_time, fractional_mark_time, idle_mark_time;
	uint32_t mark_start_time, heap_in_use, heap_released, heap_free, total_alloc;
	uint32_t total_free, mapped_ready;
};

/* the type of runtime.work */
struct gmt_rel_work {
	uint32_t bytes_marked, tstart, nproc, mode, user_forced, initial_heap_live, cycles;
	uint32_t stw_procs, max_procs, t_sweep_term, t_mark, t_mark_term, t_end, pause_ns;
	uint32_t heap0, heap1, heap2;
};

/* runtime.mstats, the type of runtime.memstats */
struct gmt_rel_mstats {
	uint32_t heap_stats, stacks_sys, mspan_sys, mcache_sys, buckhash_sys, gc_misc_sys;
	uint32_t other_sys, last_gc_unix, pause_total_ns, pause_ns, pause_end, numgc;
	uint32_t numforcedgc, gc_cpu_fraction, last_gc_nanotime, last_heap_in_use, enablegc;
};

/* runtime.consistentHeapStats (memstats.heapStats) */
struct gmt_rel_heap_stats {
	uint32_t stats, gen;
};

/* runtime.heapStatsDelta: one generation of heapStats.stats */
struct gmt_rel_heap_stats_delta {
	uint32_t committed, released, in_heap, in_stacks, in_work_bufs, in_ptr_scalar_bits;
	uint32_t tiny_alloc_count, large_alloc, large_alloc_count, small_alloc_count;
	uint32_t large_free, large_free_count, small_free_count;
};

/* runtime.mheap, the type of runtime.mheap_ */
struct gmt_rel_mheap {
	uint32_t lock, pages, sweepgen, allspans, pages_in_use, pages_swept, arenas;
	uint32_t heap_arenas, cur_arena, central, spanalloc_inuse, cachealloc_inuse;
	uint32_t specialfinalizeralloc_inuse, specialprofilealloc_inuse;
};

/* runtime.moduledata (runtime.firstmoduledata) */
struct gmt_rel_moduledata {
	uint32_t pc_header, funcnametab, cutab, filetab, pctab, pclntable, ftab, findfunctab;
	uint32_t minpc, maxpc, text, etext, noptrdata, enoptrdata, data, edata, bss, ebss;
	uint32_t noptrbss, enoptrbss, covctrs, end, gcdata, gcbss, types, typedesclen, etypes;
	uint32_t itaboffset, itabsize, rodata, gofunc, epclntab, textsectmap, typelinks;
	uint32_t itablinks, modulename, next;
};

/* runtime.pcHeader: the head of the pclntab */
struct gmt_rel_pc_header {
	uint32_t magic, nfunc, nfiles, text_start, funcname_offset, cu_offset;
	uint32_t filetab_offset, pctab_offset, pcln_offset;
};

/* runtime._func: one function of the pclntab */
struct gmt_rel_func {
	uint32_t entry_off, name_off, args, deferreturn, pcsp, pcfile, pcln, npcdata;
	uint32_t cu_offset, start_line, func_id, flag, nfuncdata;
};

/* a type descriptor: internal/abi.Type (runtime._type up to go1.20) */
struct gmt_rel_type {
	uint32_t size, ptr_bytes, hash, tflag, kind, gcdata, str, ptr_to_this;
};

/* runtime.bucket: a heap-profile bucket, followed by stk[nstk] and a memRecord */
struct gmt_rel_bucket {
	uint32_t next, allnext, typ, hash, size, nstk;
};

/* runtime.memRecord: active, then future[3] */
struct gmt_rel_mem_record {
	uint32_t active, future;
};

/* runtime.memRecordCycle (no byte counts in go1.27: bytes = count x bucket size) */
struct gmt_rel_mem_record_cycle {
	uint32_t allocs, frees, alloc_bytes, free_bytes;
};

/* runtime.mProfCycleHolder (runtime.mProfCycle): value is cycle<<1 | flushed, a uint32 */
struct gmt_rel_mprof_cycle {
	uint32_t value;
};

/* runtime.special and runtime.specialprofile */
struct gmt_rel_special {
	uint32_t next, offset, kind;
};

struct gmt_rel_specialprofile {
	uint32_t special, b;
};

/* runtime.gcTrigger, gcStart's argument */
struct gmt_rel_gc_trigger {
	uint32_t kind, now, n;
};

/* the type of runtime.debug (GODEBUG settings) */
struct gmt_rel_debug {
	uint32_t gctrace, profstackdepth;
};

/* byte sizes of types */
struct gmt_rel_sizes {
	uint32_t g, gobuf, m, p, mcache, mspan, gc_controller, work, mstats, heap_stats;
	uint32_t heap_stats_delta, mheap, moduledata, pc_header, func, type, bucket;
	uint32_t mem_record, mem_record_cycle, special, specialprofile, gc_trigger, debug;
	uint32_t waitreason, stw_reason;
};

/* element counts of array members */
struct gmt_rel_lens {
	uint32_t mem_record_future, pause_ns, small_alloc_count, heap_stats_gens, mcache_alloc;
};

/* constants of the runtime */
struct gmt_rel_consts {
	int64_t g_idle, g_runnable, g_running, g_syscall, g_waiting, g_dead, g_copystack;
	int64_t g_preempted, g_leaked, g_deadextra, g_scan;
	int64_t page_size, tiny_size, max_small_size, num_size_classes, malloc_header_size;
	int64_t min_size_for_malloc_header, mem_profile, max_stack, max_prof_stack_depth;
	int64_t kind_special_profile; /* special.kind of a heap-profile record */
	int64_t stw_gc_mark_term, stw_gc_sweep_term;
	int64_t gc_trigger_heap, gc_trigger_time, gc_trigger_cycle;
};

/* what the file holds */
struct gmt_rel_image {
	uint32_t pclntab_magic; /* the pcHeader magic the linker writes */
};

/* A table of names by value; s == NULL when the release has none. */
struct gmt_str_table {
	const char *const *s;
	uint32_t n;
};

struct gmt_rel_strings {
	struct gmt_str_table wait_reasons; /* g.waitreason -> "chan receive", ... */
	struct gmt_str_table stw_reasons;  /* stwReason -> "GC mark termination", ... */
};

/*
 * Which integer register carries a probed function's argument under ABIInternal:
 * 0 RAX, 1 RBX, 2 RCX, 3 RDI, 4 RSI, 5 R8, 6 R9, 7 R10, 8 R11 (the first register of a
 * multi-word argument), or GMT_ARG_ABSENT / GMT_ARG_MEMORY.
 */
struct gmt_rel_args {
	int8_t mallocgc_size, mallocgc_typ, mallocgc_needzero, newobject_typ, makeslice_et;
	int8_t growslice_et, mprof_malloc_mp, mprof_malloc_p, mprof_malloc_size;
	int8_t setprofilebucket_p, setprofilebucket_b, mprof_free_b, mprof_free_size;
	int8_t free_special_s, free_special_p, free_special_size, gcstart_trigger;
	int8_t start_cycle_mark_start_time, start_cycle_procs, start_cycle_trigger;
	int8_t gc_sweep_mode, stop_the_world_reason, stw_stop_reason, stw_start_now;
	int8_t newproc_fn, runqput_gp, goexit0_gp, gdestroy_gp;
};

struct gmt_go_release {
	const char *version; /* the toolchain the row was read from: "go1.22.12" */
	int minor, patch;    /* 22, 12 */
	uint32_t flags;	     /* GMT_REL_* */
	struct gmt_rel_g g;
	struct gmt_rel_gobuf gobuf;
	struct gmt_rel_m m;
	struct gmt_rel_p p;
	struct gmt_rel_mcache mcache;
	struct gmt_rel_mspan mspan;
	struct gmt_rel_gc_controller gc_controller;
	struct gmt_rel_work work;
	struct gmt_rel_mstats mstats;
	struct gmt_rel_heap_stats heap_stats;
	struct gmt_rel_heap_stats_delta heap_stats_delta;
	struct gmt_rel_mheap mheap;
	struct gmt_rel_moduledata moduledata;
	struct gmt_rel_pc_header pc_header;
	struct gmt_rel_func func;
	struct gmt_rel_type type;
	struct gmt_rel_bucket bucket;
	struct gmt_rel_mem_record mem_record;
	struct gmt_rel_mem_record_cycle mem_record_cycle;
	struct gmt_rel_mprof_cycle mprof_cycle;
	struct gmt_rel_special special;
	struct gmt_rel_specialprofile specialprofile;
	struct gmt_rel_gc_trigger gc_trigger;
	struct gmt_rel_debug debug;
	struct gmt_rel_sizes sizes;
	struct gmt_rel_lens lens;
	struct gmt_rel_consts consts;
	struct gmt_rel_image image;
	struct gmt_rel_strings strings;
	struct gmt_rel_args args;
};

/* Every supported release, oldest first, one row per minor version. */
extern const struct gmt_go_release gmt_go_releases[];
extern const size_t gmt_go_nreleases;

#endif
