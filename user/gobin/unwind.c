// SPDX-License-Identifier: MIT
#include "unwind.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "pclntab.h"

#define FUNCFLAG_TOPFRAME 0x1 /* abi.FuncFlagTopFrame: mstart, rt0_go, goexit (1.17+) */
#define FUNCFLAG_SPWRITE 0x2  /* abi.FuncFlagSPWrite: the function writes SP itself */

static bool is_goexit(const struct gmt_func_info *fi)
{
	return fi->name && !strcmp(fi->name, "runtime.goexit");
}

/* What one pc says, memoized: where the walk goes from a frame at that pc. */
enum {
	UW_FAULT = 1, /* not code we know, or no SP delta */
	UW_LAST,      /* goexit or a top frame: the walk ends after it */
	UW_SPWRITE,   /* moved SP itself: the walk ends after it unless it is innermost */
	UW_NEXT,      /* delta says where its return address lies */
};

static struct gmt_unwind_memo_e look(const struct gmt_pcln *pcln, uint64_t pc, bool inner)
{
	struct gmt_unwind_memo_e e = { .pc = pc };
	struct gmt_func_info fi;

	if (gmt_pcln__func_by_pc(pcln, pc, &fi)) {
		e.what = UW_FAULT;
		return e;
	}
	if (is_goexit(&fi) || (fi.flag & FUNCFLAG_TOPFRAME)) {
		e.what = UW_LAST;
		return e;
	}
	/* A function that moved SP itself has no pcsp to trust past it (as Go). */
	if (!inner && (fi.flag & FUNCFLAG_SPWRITE)) {
		e.what = UW_SPWRITE;
		return e;
	}
	/* The pc of a frame other than the innermost is a return address: its call. */
	e.what = gmt_pcln__spdelta(pcln, pc - (inner ? 0 : 1), &e.delta) ? UW_FAULT : UW_NEXT;
	return e;
}

int gmt_unwind(const struct gmt_pcln *pcln, const struct gmt_rmem *m,
	       const struct gmt_unwind_in *in, uint64_t *pcs, int max)
{
	uint64_t pc = in->pc, sp = in->sp;
	int n = 0;

	while (n < max) {
		struct gmt_unwind_memo_e e;
		uint64_t ret, slot;
		int err;

		if (pc <= in->bias)
			return -EFAULT;
		if (in->memo) {
			uint64_t key = (pc - in->bias) | (n ? 1ull << 63 : 0);
			struct gmt_unwind_memo_e *me =
				&in->memo->e[(key ^ key >> 12) % GMT_UNWIND_MEMO];

			if (!me->what || me->pc != key) {
				*me = look(pcln, pc - in->bias, n == 0);
				me->pc = key;
			}
			e = *me;
		} else {
			e = look(pcln, pc - in->bias, n == 0);
		}
		if (e.what == UW_FAULT)
			return -EFAULT;
		pcs[n++] = pc;
		if (e.what != UW_NEXT)
			break;
		slot = sp + (uint32_t)e.delta;
		if (sp < in->lo || slot < sp || slot + 8 > in->hi)
			return -EFAULT;
		err = gmt_rmem_u64(m, slot, &ret);
		if (err)
			return err == -ESRCH ? -ESRCH : -EFAULT;
		if (!ret)
			break;
		pc = ret;
		sp = slot + 8;
	}
	return n;
}
