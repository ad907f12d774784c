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

int gmt_unwind(const struct gmt_pcln *pcln, const struct gmt_rmem *m,
	       const struct gmt_unwind_in *in, uint64_t *pcs, int max)
{
	uint64_t pc = in->pc, sp = in->sp;
	int n = 0;

	while (n < max) {
		struct gmt_func_info fi;
		int32_t delta;
		uint64_t ret, slot;
		int err;

		if (pc <= in->bias || gmt_pcln__func_by_pc(pcln, pc - in->bias, &fi))
			return -EFAULT;
		pcs[n++] = pc;
		if (is_goexit(&fi) || (fi.flag & FUNCFLAG_TOPFRAME))
			break;
		/* A function that moved SP itself has no pcsp to trust past it (as Go). */
		if (n > 1 && (fi.flag & FUNCFLAG_SPWRITE))
			break;
		/* The pc of a frame other than the innermost is a return address: its call. */
		err = gmt_pcln__spdelta(pcln, pc - in->bias - (n > 1 ? 1 : 0), &delta);
		if (err)
			return -EFAULT;
		slot = sp + (uint32_t)delta;
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
