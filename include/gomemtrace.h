/* SPDX-License-Identifier: MIT */
/*
 * The ABI between gomemtrace's BPF programs and userspace: ring-buffer records and
 * map keys/values.  Fixed-width fields, explicit padding, a __u32 kind tag first in
 * every ring-buffer record.  Userspace asserts every size (user/trace/tracer.c).
 */
#ifndef GOMEMTRACE_H
#define GOMEMTRACE_H

#ifdef __bpf__
/* vmlinux.h provides the __u* types */
#else
#include <linux/types.h>
#endif

#define GMT_MAX_STACK 127

/* bpf_cookie of each uprobe: the hook and how it is placed. */
#define GMT_COOKIE_STACK_CHECK (1ULL << 32) /* probe sits on the stack check's jbe */
#define GMT_COOKIE_HOOK(c) ((__u32)(c))

enum gmt_rec_kind {
	GMT_REC_STACK = 1, /* a stack seen for the first time */
	GMT_REC_ALLOC = 2, /* one allocation that the in-kernel table had no room for */
	/* Sampled mode: Go's own heap sampler (docs/go-runtime.md, "Allocation"), one record per probe hit. */
	GMT_REC_MPROF_MALLOC = 3, /* runtime.mProf_Malloc: stack_id, p, size */
	GMT_REC_MPROF_BUCKET = 4, /* runtime.setprofilebucket: p, b */
	/* runtime.freeSpecial of a heap-profile record: the sampled object p died (its
	 * bucket b, its size).  Not mProf_Free, which names only the bucket. */
	GMT_REC_MPROF_FREE = 5,
};

/* Per-CPU counters, summed by userspace. */
enum gmt_counter {
	GMT_CNT_ALLOC_HITS,	/* probe hits on an allocator (sampled mode: on the sampler) */
	GMT_CNT_ALLOC_MORESTACK, /* hits skipped: the stack check branches to morestack */
	GMT_CNT_ALLOC_NESTED,	/* hits skipped: size-specialized call from inside mallocgc */
	GMT_CNT_ALLOCS,		/* allocations counted (size > 0, as MemStats.Mallocs) */
	GMT_CNT_BYTES,		/* bytes requested */
	GMT_CNT_AGG_FULL,	/* aggregation table full: sent as GMT_REC_ALLOC */
	GMT_CNT_RB_DROPS,	/* ring buffer full: an allocation record lost */
	GMT_CNT_STACK_TRUNC,	/* stack walks that hit the depth limit */
	GMT_CNT_STACK_ERR,	/* stack walks that faulted on the first frame */
	GMT_CNT_RB_DROPS_STACK, /* ring buffer full: a stack record lost (its allocations
				 * are still counted, under "[unknown stack]") */
	GMT_CNT_ZERO_SIZE,	/* zero-size allocations (not in MemStats.Mallocs) */
	/* GC (bpf/gc.bpf.c, issue 5) */
	GMT_CNT_GC_HITS,	/* GC / stop-the-world probe hits */
	GMT_CNT_GC_MORESTACK,	/* GC hits skipped: the stack check branches to morestack */
	GMT_CNT_GC_READ_ERR,	/* gcController / memstats reads that faulted */
	GMT_CNT_GC_RB_DROPS,	/* ring buffer full: a GC record lost */
	GMT_CNT_MPROF_RB_DROPS, /* ring buffer full: a sampler record lost (sampled mode) */
	/* Goroutines (bpf/goroutines.bpf.c, issue 8) */
	GMT_CNT_GO_HITS,	/* goroutine probe hits */
	GMT_CNT_GO_RB_DROPS,	/* ring buffer full: a goroutine create/exit record lost */
	GMT_CNT_GO_NO_STACK,	/* newproc1 returned without a newproc entry on its thread */
	GMT_CNT_GO_READ_ERR,	/* reads of g.goid that faulted */
	/* Sampled mode: reads of a freed special that faulted (its kind: that free is lost;
	 * its bucket: sent as 0) */
	GMT_CNT_MPROF_READ_ERR,
	/* Stack walks not made: every scratch slot of the CPU was taken by runs of the
	 * probes preempted on it (bpf/stackwalk.bpf.h) */
	GMT_CNT_SCRATCH_BUSY,
	GMT_CNT__MAX = 22,
};

struct gmt_rec_hdr {
	__u32 kind;
	__u32 cpu;
	__u64 ts_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
};

#define GMT_STACK_TRUNCATED 0x1
#define GMT_STACK_GOROUTINE 0x2 /* a creation stack, from the goroutine probes */

struct gmt_rec_stack {
	struct gmt_rec_hdr hdr;
	__u64 stack_id;
	__u32 depth;
	__u32 flags;
	__u64 pcs[GMT_MAX_STACK]; /* return addresses, leaf (the allocator's caller) first */
};

/* Key of the in-kernel aggregation: one row per (stack, type, size). */
struct gmt_alloc_key {
	__u64 stack_id;
	__u64 typ;  /* runtime._type address as the process sees it, 0 for untyped */
	__u64 size; /* bytes requested */
};

struct gmt_rec_alloc {
	struct gmt_rec_hdr hdr;
	struct gmt_alloc_key key;
};

/*
 * One record of Go's heap sampler; the kind says which fields hold what (above).  p is
 * the sampled object's address, b the runtime's profile bucket (*bucket) it went to:
 * mProf_Malloc gives p, setprofilebucket ties p to b, and freeSpecial, when the sweeper
 * frees the object's profile record, gives p and b again: a free names its object.
 */
struct gmt_rec_mprof {
	struct gmt_rec_hdr hdr;
	__u64 stack_id; /* MPROF_MALLOC: 0 when the walk failed */
	__u64 p;
	__u64 b;
	__u64 size;
};

/* ---- GC cycles and stop-the-world pauses (bpf/gc.bpf.c, user/gc_*.c; issue 5) ---- */

/* One record per probe hit; the kind says which runtime function was entered. */
enum gmt_gc_rec_kind {
	GMT_REC_GC_START = 16,	   /* runtime.gcStart: a trigger fired (may not start a cycle) */
	GMT_REC_GC_CYCLE = 17,	   /* (*gcControllerState).startCycle: a cycle really starts */
	GMT_REC_GC_SWEEP = 18,	   /* runtime.gcSweep: marking is over (inside mark termination) */
	GMT_REC_GC_STW_STOP = 19,  /* runtime.stopTheWorldWithSema: the world starts stopping */
	GMT_REC_GC_STW_START = 20, /* runtime.startTheWorldWithSema: the world restarts */
	GMT_REC_GC_STW_DONE = 21,  /* a RET of startTheWorldWithSema: arg[0] is its result */
};

/* gmt_rec_gc.flags */
#define GMT_GC_HAVE_HEAP 0x1	   /* heap_live, heap_marked, heap_goal were read */
#define GMT_GC_HAVE_NUMGC 0x2	   /* numgc was read */
#define GMT_GC_HAVE_REASON 0x4	   /* reason holds a stwReason argument (go1.21+) */
#define GMT_GC_HAVE_REASON_STR 0x8 /* reason_str holds stopTheWorld's string (go1.19-1.20) */
#define GMT_GC_HAVE_WORK 0x10	   /* work[] was read (GC_SWEEP) */

#define GMT_GC_REASON_LEN 32

/*
 * Arguments by kind (Go's register ABI, docs/go-runtime.md, "Calling convention" and "GC"):
 *   GC_START      arg[0] trigger kind (0 heap, 1 time, 2 runtime.GC), arg[1] trigger.now,
 *                 arg[2] trigger.n
 *   GC_CYCLE      arg[0] trigger kind, arg[1] markStartTime (the runtime's nanotime: the
 *                 clock of hdr.ts_ns), arg[2] procs (GOMAXPROCS), arg[3] the receiver
 *                 (&gcController as the process sees it)
 *   GC_SWEEP      arg[0] gcMode; work[] = runtime.work.{tSweepTerm, tMark, tMarkTerm,
 *                 heap0, heap1, heap2}: the runtime's own record of this cycle, what its
 *                 gctrace line prints (nanotime values: the clock of hdr.ts_ns)
 *   GC_STW_STOP   none
 *   GC_STW_START  raw RAX, RBX, RCX; go1.22+: (now, w.reason, w.start)
 *   GC_STW_DONE   arg[0] the int64 it returns: the runtime's own end-of-pause time
 *                 (nanotime, the clock of hdr.ts_ns), what gctrace's clock columns use
 */
struct gmt_rec_gc {
	struct gmt_rec_hdr hdr;
	__u32 tid;
	__u32 flags;
	__u64 arg[4];
	__u64 heap_live;   /* gcController.heapLive */
	__u64 heap_marked; /* gcController.heapMarked */
	__u64 heap_goal;   /* gcController.lastHeapGoal */
	__u32 numgc;	   /* memstats.numgc: cycles completed so far */
	__u32 reason;	   /* stwReason (u8): GC_STW_STOP on go1.21+, GC_STW_START on 1.22+ */
	char reason_str[GMT_GC_REASON_LEN]; /* NUL-terminated */
	__u64 work[6];			    /* GC_SWEEP, see above */
};

/* ---- Goroutines (bpf/goroutines.bpf.c, user/agg/goroutines.c; issue 8, docs/go-runtime.md, "Goroutines") ---- */

enum gmt_go_rec_kind {
	GMT_REC_GO_CREATE = 32, /* a RET of runtime.newproc1: goroutine goid was created */
	GMT_REC_GO_EXIT = 33,	/* runtime.goexit0 / gdestroy: goroutine goid ended */
};

struct gmt_rec_go {
	struct gmt_rec_hdr hdr;
	__u64 goid;
	__u64 stack_id; /* CREATE: the creating goroutine's stack at newproc, 0 if unknown */
	__u64 start_pc; /* CREATE: the entry of the new goroutine's function (fn.fn), or 0 */
	__u64 g;	/* the g's address */
};

#endif
