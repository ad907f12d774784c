// SPDX-License-Identifier: MIT
/* Finding runtime.mbuckets and runtime.mProfCycle (mprof.h). */
#include <errno.h>
#include <string.h>

#include "gobin.h"
#include "mprof.h"
#include "rtvars.h"
#include "x86dec.h"

struct first_loads {
	uint64_t load32, load64; /* targets of the first rip-relative 4- and 8-byte loads */
};

static int on_insn(const struct gmt_insn *in, void *arg)
{
	struct first_loads *f = arg;

	if (in->opmap == 0 && in->opcode == 0x8b && in->has_modrm && in->rip_rel) {
		if (in->opsize == 4 && !f->load32)
			f->load32 = in->mem_target;
		else if (in->opsize == 8 && !f->load64)
			f->load64 = in->mem_target;
	}
	return f->load32 && f->load64 ? 1 : 0;
}

static int decode(const struct gmt_gobin *gb, struct gmt_mprof_vars *v, struct gmt_diag *d)
{
	const char *fn = "runtime.memProfileInternal";
	struct first_loads mp = {}, fl = {};
	int err = gmt_rtvars_walk_func(gb, fn, on_insn, &mp);

	if (err == -ENOENT) {
		fn = "runtime.MemProfile";
		err = gmt_rtvars_walk_func(gb, fn, on_insn, &mp);
	}
	if (err)
		return gmt_diag_set(d, -ENOENT,
				    "cannot find runtime.mbuckets: %s %s (does the program link "
				    "the heap profiler?)",
				    fn, err == -ENOENT ? "is not in the binary" : "does not decode");
	err = gmt_rtvars_walk_func(gb, "runtime.mProf_FlushLocked", on_insn, &fl);
	if (err)
		return gmt_diag_set(d, -ENOENT, "cannot find runtime.mbuckets: "
						"runtime.mProf_FlushLocked %s",
				    err == -ENOENT ? "is not in the binary" : "does not decode");
	if (!mp.load32 || !mp.load64 || mp.load64 != fl.load64 ||
	    !gmt_rtvars_writable(gb->elf, mp.load64, 8) ||
	    !gmt_rtvars_writable(gb->elf, mp.load32, 4))
		return gmt_diag_set(d, -ENOENT, "cannot find runtime.mbuckets: %s and "
						"runtime.mProf_FlushLocked do not load it as expected",
				    fn);
	v->mprof_cycle = mp.load32;
	v->mbuckets = mp.load64;
	v->decoded = true;
	return 0;
}

int gmt_mprof_find(const struct gmt_gobin *gb, unsigned int flags, struct gmt_mprof_vars *v,
		   struct gmt_diag *d)
{
	memset(v, 0, sizeof(*v));
	if (!(flags & GMT_MPROF_NO_SYMTAB) &&
	    gmt_rtvars_sym_addr(gb, "runtime.mbuckets", &v->mbuckets) &&
	    gmt_rtvars_sym_addr(gb, "runtime.mProfCycle", &v->mprof_cycle))
		return 0;
	memset(v, 0, sizeof(*v));
	return decode(gb, v, d);
}
