/* SPDX-License-Identifier: MIT */
/*
 * The hook plan: which runtime functions of this binary the tracer probes, where
 * exactly (docs/go-runtime.md, "Probe sites" to "Goroutines"), and which ones it needs but cannot find, with the reason.
 */
#ifndef GMT_HOOKPLAN_H
#define GMT_HOOKPLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

struct gmt_gobin;
struct gmt_go_release;

enum gmt_hook_id {
	GMT_HOOK_MALLOCGC,
	GMT_HOOK_MALLOC_SC, /* size-specialized allocators (go1.27, go1.26 experiment) */
	GMT_HOOK_MPROF_MALLOC,
	GMT_HOOK_SETPROFILEBUCKET,
	GMT_HOOK_FREESPECIAL, /* the sweeper frees a special record: a sampled object died */
	GMT_HOOK_GCSTART,
	GMT_HOOK_STARTCYCLE,
	GMT_HOOK_GCSWEEP,
	GMT_HOOK_STW_STOP,
	GMT_HOOK_STW_START,
	GMT_HOOK_STW_START_RET, /* startTheWorldWithSema's RETs: when the world runs again */
	GMT_HOOK_STOPTHEWORLD, /* go1.19-1.20: its reason string classifies the STW */
	GMT_HOOK_NEWPROC,
	GMT_HOOK_NEWPROC1_RET, /* one hook per RET instruction */
	GMT_HOOK_GEXIT,	       /* goexit0 (<= 1.21) or gdestroy (1.22+) */
	/* newproc's systemstack closure hands newproc1's g to runqput: the CALL (emulated) */
	GMT_HOOK_NEWPROC_RUNQPUT,
	GMT_HOOK__COUNT,
};

enum gmt_hook_group {
	GMT_GROUP_ALLOC,
	GMT_GROUP_SAMPLER,
	GMT_GROUP_GC,
	GMT_GROUP_GOROUTINES,
};

struct gmt_hook {
	enum gmt_hook_id id;
	enum gmt_hook_group group;
	char function[96];
	uint64_t entry;	       /* function entry (static address) */
	uint64_t end;	       /* function end */
	uint64_t probe_addr;   /* where the probe goes (static address) */
	uint64_t probe_offset; /* its file offset, what uprobes attach by */
	bool stack_check;      /* probe_addr is the stack-check branch (docs/go-runtime.md, "Probe sites") */
	bool emulated;	       /* the kernel emulates the probed instruction: one trap */
	char insn[40];
};

struct gmt_missing_hook {
	enum gmt_hook_id id;
	enum gmt_hook_group group;
	char function[96];
	char reason[160];
};

struct gmt_hookplan {
	struct gmt_hook *hooks;
	size_t nhooks, cap_hooks;
	struct gmt_missing_hook *missing;
	size_t nmissing, cap_missing;
	bool size_specialized; /* the compiler calls size-specialized allocators directly */
};

/*
 * The plan for gb, whose runtime is release row: which functions it has and uses (the
 * row's flags), and where each probe goes.
 */
int gmt_hookplan_build(const struct gmt_gobin *gb, const struct gmt_go_release *row,
		       struct gmt_hookplan *plan, struct gmt_diag *d);
void gmt_hookplan_free(struct gmt_hookplan *plan);
/* The first hook with this id, or NULL. */
const struct gmt_hook *gmt_hookplan_find(const struct gmt_hookplan *plan, enum gmt_hook_id id);
/*
 * Whether h is attached when its group is traced.  The plan keeps alternatives: the
 * newproc1 RETs are attached only when the runqput hand-off in newproc.func1 was not
 * found (one or the other).  `info` and the sessions both ask here.
 */
bool gmt_hookplan_attaches(const struct gmt_hookplan *plan, const struct gmt_hook *h);
const char *gmt_hook_group_name(enum gmt_hook_group g);

#endif
