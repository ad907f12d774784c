// SPDX-License-Identifier: MIT
#include "gcvars.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "elf_file.h"
#include "gobin.h"
#include "go_release.h"
#include "rtvars.h"
#include "x86dec.h"

int gmt_gcvars_decode_controller(const struct gmt_gobin *gb, uint64_t *addr)
{
	/* Small functions that call gcController's methods with the global as receiver. */
	static const char *const funcs[] = {"runtime.gcControllerCommit", "runtime.gcMarkDone",
					    "runtime.setGCPercent.func1",
					    "runtime.setMemoryLimit.func1"};
	uint64_t found;

	/* LEAQ X(RIP), AX ... CALL runtime.(*gcControllerState).method: X is &gcController. */
	if (gmt_rtvars_find_receiver(gb, funcs, sizeof(funcs) / sizeof(funcs[0]),
				     "runtime.(*gcControllerState).", &found) ||
	    !gmt_rtvars_writable(gb->elf, found, 256))
		return -ENOENT;
	*addr = found;
	return 0;
}

struct goal_scan {
	const struct gmt_gobin *gb;
	uint64_t ctrl;
	uint64_t rcx; /* target of the last RIP-relative 8-byte load into RCX */
	int64_t off;
};

/* MOVQ gcController+off(SB), CX; ...; CALL runtime.gcPaceScavenger: the third argument
 * of gcPaceScavenger(memoryLimit, heapGoal, lastHeapGoal) is lastHeapGoal. */
static int goal_cb(const struct gmt_insn *in, void *ctx)
{
	struct goal_scan *s = ctx;
	const char *callee;

	if (gmt_rtvars_is_rip_load64(in) && in->reg == 1) {
		s->rcx = in->mem_target;
		return 0;
	}
	callee = gmt_rtvars_call_target(s->gb, in);
	if (callee && strcmp(callee, "runtime.gcPaceScavenger") == 0) {
		if (s->rcx >= s->ctrl && s->rcx < s->ctrl + 1024 && !((s->rcx - s->ctrl) & 7))
			s->off = (int64_t)(s->rcx - s->ctrl);
		return 1;
	}
	if (gmt_rtvars_writes_reg(in, 1))
		s->rcx = 0;
	return 0;
}

int gmt_gcvars_decode_goal_offset(const struct gmt_gobin *gb, uint64_t controller, uint32_t *off)
{
	struct goal_scan s = {.gb = gb, .ctrl = controller, .off = -1};

	gmt_rtvars_walk_func(gb, "runtime.gcControllerCommit", goal_cb, &s);
	if (s.off < 0)
		return -ENOENT;
	*off = (uint32_t)s.off;
	return 0;
}

struct numgc_scan {
	uint64_t inc[16]; /* targets of INCL m32(RIP) */
	int n;
};

static int numgc_cb(const struct gmt_insn *in, void *ctx)
{
	struct numgc_scan *s = ctx;

	/* FF /0 with a 32-bit RIP-relative operand: incl x(%rip) */
	if (in->opmap == 0 && in->opcode == 0xff && in->has_modrm && in->mem && in->rip_rel &&
	    ((in->modrm >> 3) & 7) == 0 && in->opsize == 4 && s->n < 16)
		s->inc[s->n++] = in->mem_target;
	return 0;
}

int gmt_gcvars_decode_numgc(const struct gmt_gobin *gb, uint64_t *addr)
{
	struct numgc_scan s = {.n = 0};
	uint64_t found = 0;

	/*
	 * gcMarkTermination ends a cycle with
	 *	if work.userForced { memstats.numforcedgc++ }
	 *	memstats.numgc++
	 * and the two counters are adjacent uint32 fields (numgc first).
	 */
	if (gmt_rtvars_walk_func(gb, "runtime.gcMarkTermination", numgc_cb, &s))
		return -ENOENT;
	for (int i = 0; i < s.n; i++)
		for (int k = 0; k < s.n; k++) {
			if (s.inc[k] != s.inc[i] + 4)
				continue;
			if (found && found != s.inc[i])
				return -ENOENT; /* ambiguous */
			found = s.inc[i];
		}
	if (!found || !gmt_rtvars_writable(gb->elf, found, 8))
		return -ENOENT;
	*addr = found;
	return 0;
}

struct tmt_scan {
	const struct gmt_gobin *gb;
	bool after_nanotime;
	uint64_t found;
};

/* gcMarkDone: `now := nanotime(); work.tMarkTerm = now`: the first global store after
 * the call of nanotime1. */
static int tmt_cb(const struct gmt_insn *in, void *ctx)
{
	struct tmt_scan *s = ctx;
	const char *callee = gmt_rtvars_call_target(s->gb, in);

	if (callee) {
		s->after_nanotime = strncmp(callee, "runtime.nanotime1", 17) == 0;
		return 0;
	}
	if (s->after_nanotime && gmt_rtvars_is_rip_store64(in)) {
		s->found = in->mem_target;
		return 1;
	}
	return 0;
}

struct heap1_scan {
	uint64_t heap_live;
	int reg; /* register loaded from gcController.heapLive, -1 if none */
	uint64_t found;
};

/* gcMarkTermination: `work.heap1 = gcController.heapLive.Load()`. */
static int heap1_cb(const struct gmt_insn *in, void *ctx)
{
	struct heap1_scan *s = ctx;

	if (gmt_rtvars_is_rip_load64(in) && in->mem_target == s->heap_live) {
		s->reg = in->reg;
		return 0;
	}
	if (s->reg >= 0 && gmt_rtvars_is_rip_store64(in) && in->reg == s->reg) {
		s->found = in->mem_target;
		return 1;
	}
	if (s->reg >= 0 && gmt_rtvars_writes_reg(in, s->reg))
		s->reg = -1;
	return 0;
}

int gmt_gcvars_decode_work(const struct gmt_gobin *gb, uint64_t heap_live, uint64_t *t_mark_term,
			   uint64_t *heap1)
{
	struct tmt_scan t = {.gb = gb};
	struct heap1_scan h = {.heap_live = heap_live, .reg = -1};

	if (gmt_rtvars_walk_func(gb, "runtime.gcMarkDone", tmt_cb, &t) || !t.found)
		return -ENOENT;
	if (gmt_rtvars_walk_func(gb, "runtime.gcMarkTermination", heap1_cb, &h) || !h.found)
		return -ENOENT;
	/* Two fields of one struct (workType): near each other, both writable. */
	if (t.found < 16 || h.found < 8 || !gmt_rtvars_writable(gb->elf, t.found - 16, 32) ||
	    !gmt_rtvars_writable(gb->elf, h.found - 8, 24) ||
	    (t.found > h.found ? t.found - h.found : h.found - t.found) > 256)
		return -ENOENT;
	*t_mark_term = t.found;
	*heap1 = h.found;
	return 0;
}

static void find_controller(const struct gmt_gobin *gb, unsigned int flags, struct gmt_gcvars *v)
{
	if (!(flags & GMT_GCVARS_NO_SYMTAB) &&
	    gmt_rtvars_sym_addr(gb, "runtime.gcController", &v->gc_controller)) {
		v->controller_src = GMT_GCVAR_SYMTAB;
		if (!gmt_rtvars_writable(gb->elf, v->gc_controller, 256)) {
			snprintf(
			    v->why_controller, sizeof(v->why_controller),
			    "the symbol runtime.gcController (%#llx) is not in writable memory",
			    (unsigned long long)v->gc_controller);
			v->gc_controller = 0;
			v->controller_src = GMT_GCVAR_NONE;
		}
		return;
	}
	if (!gmt_gcvars_decode_controller(gb, &v->gc_controller)) {
		v->controller_src = GMT_GCVAR_DECODED;
		return;
	}
	snprintf(v->why_controller, sizeof(v->why_controller),
		 "runtime.gcController: no symbol, and no `LEAQ gcController(SB), AX` in front of "
		 "a (*gcControllerState) method call in gcControllerCommit/gcMarkDone");
}

/*
 * The offsets are the row's.  Where the code shows lastHeapGoal (gcControllerCommit), it
 * must agree: a disagreement is noted (the row wins: it is the release's DWARF).
 */
static void find_offsets(const struct gmt_gobin *gb, const struct gmt_go_release *row,
			 struct gmt_gcvars *v)
{
	uint32_t goal = 0;
	bool decoded =
	    v->gc_controller && !gmt_gcvars_decode_goal_offset(gb, v->gc_controller, &goal);

	v->off.heap_live = row->gc_controller.heap_live;
	v->off.heap_marked = row->gc_controller.heap_marked;
	v->off.last_heap_goal = row->gc_controller.last_heap_goal;
	v->off.numgc = row->mstats.numgc;
	v->have_offsets = true;
	v->offsets_src = GMT_GCVAR_TABLE;
	if (decoded && goal != v->off.last_heap_goal)
		snprintf(v->why_offsets, sizeof(v->why_offsets),
			 "note: gcControllerCommit reads lastHeapGoal at +%u, the %s row says +%u; "
			 "using the row",
			 goal, row->version, v->off.last_heap_goal);
}

static void find_numgc(const struct gmt_gobin *gb, unsigned int flags, struct gmt_gcvars *v)
{
	if (!(flags & GMT_GCVARS_NO_SYMTAB) && v->have_offsets &&
	    gmt_rtvars_sym_addr(gb, "runtime.memstats", &v->memstats)) {
		v->numgc = v->memstats + v->off.numgc;
		v->numgc_src = GMT_GCVAR_SYMTAB;
		if (gmt_rtvars_writable(gb->elf, v->numgc, 8))
			return;
		snprintf(v->why_numgc, sizeof(v->why_numgc),
			 "runtime.memstats+%u (%#llx) is not in writable memory", v->off.numgc,
			 (unsigned long long)v->numgc);
		v->numgc = v->memstats = 0;
		v->numgc_src = GMT_GCVAR_NONE;
		return;
	}
	if (!gmt_gcvars_decode_numgc(gb, &v->numgc)) {
		v->numgc_src = GMT_GCVAR_DECODED;
		if (v->have_offsets)
			v->memstats = v->numgc - v->off.numgc;
		return;
	}
	snprintf(v->why_numgc, sizeof(v->why_numgc),
		 "runtime.memstats.numgc: no symbol, and gcMarkTermination has no pair of "
		 "`INCL` on adjacent counters (numgc, numforcedgc)");
}

static void find_work(const struct gmt_gobin *gb, const struct gmt_go_release *row,
		      struct gmt_gcvars *v)
{
	uint64_t tmt, heap1;

	if (!v->gc_controller || !v->have_offsets) {
		snprintf(v->why_work, sizeof(v->why_work),
			 "runtime.work is found through gcController, which is not known");
		return;
	}
	if (gmt_gcvars_decode_work(gb, v->gc_controller + v->off.heap_live, &tmt, &heap1)) {
		snprintf(v->why_work, sizeof(v->why_work),
			 "runtime.work: gcMarkDone / gcMarkTermination do not show where "
			 "work.tMarkTerm and work.heap1 are");
		return;
	}
	v->work_times = tmt - 16;  /* tSweepTerm, tMark, tMarkTerm */
	v->work_heaps = heap1 - 8; /* heap0, heap1, heap2 */
	/* The row places the two fields in the variable: where they are, runtime.work is. */
	if (row->work.t_mark_term != GMT_OFF_ABSENT && tmt >= row->work.t_mark_term &&
	    row->work.heap1 != GMT_OFF_ABSENT &&
	    tmt - row->work.t_mark_term == heap1 - row->work.heap1)
		v->work = tmt - row->work.t_mark_term;
}

int gmt_gcvars_find(const struct gmt_gobin *gb, const struct gmt_go_release *row,
		    unsigned int flags, struct gmt_gcvars *v)
{
	memset(v, 0, sizeof(*v));
	if (!gb || !gb->elf || !gb->pcln || !row)
		return -EINVAL;
	find_controller(gb, flags, v);
	find_offsets(gb, row, v);
	find_numgc(gb, flags, v);
	find_work(gb, row, v);
	return 0;
}
