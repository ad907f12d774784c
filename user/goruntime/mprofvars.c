// SPDX-License-Identifier: MIT
/* Finding runtime.mbuckets and runtime.mProfCycle (mprof.h). */
#include <errno.h>
#include <string.h>

#include "gobin.h"
#include "mprof.h"
#include "rtvars.h"
#include "x86dec.h"

struct loads {
	uint64_t load32, load64; /* targets of the first rip-relative 4- and 8-byte loads */
	uint64_t lea[4];	 /* targets of the first rip-relative leas */
	int nlea;
};

static int on_insn(const struct gmt_insn *in, void *arg)
{
	struct loads *f = arg;

	if (in->opmap == 0 && in->opcode == 0x8b && in->has_modrm && in->rip_rel) {
		if (in->opsize == 4 && !f->load32)
			f->load32 = in->mem_target;
		else if (in->opsize == 8 && !f->load64)
			f->load64 = in->mem_target;
	}
	if (gmt_rtvars_is_rip_lea_to(in, in->reg) && f->nlea < 4)
		f->lea[f->nlea++] = in->mem_target;
	return 0;
}

static bool leas(const struct loads *l, uint64_t addr)
{
	for (int i = 0; i < l->nlea; i++)
		if (l->lea[i] == addr)
			return true;
	return false;
}

static int walk(const struct gmt_gobin *gb, const char *fn, struct loads *l, struct gmt_diag *d)
{
	int err = gmt_rtvars_walk_func(gb, fn, on_insn, l);

	if (err)
		return gmt_diag_set(d, -ENOENT, "cannot find the heap profile's variables: %s %s",
				    fn, err == -ENOENT ? "is not in the binary" : "does not decode");
	return 0;
}

/*
 * mProf_FlushLocked, which every binary has (the GC calls it), loads mbuckets first;
 * mProf_Flush loads mProfCycle (`MOVL mProfCycle(SB)`, setFlushed's Load) and takes its
 * address for the compare-and-swap (`LEAQ mProfCycle(SB)`).  When the heap profile
 * reader is linked (runtime.memProfileInternal from go1.23, runtime.MemProfile before),
 * its own first loads must name the same two words.
 */
static int decode(const struct gmt_gobin *gb, struct gmt_mprof_vars *v, struct gmt_diag *d)
{
	struct loads fl = {}, fs = {}, mp = {};
	const char *reader = "runtime.memProfileInternal";
	int err;

	err = walk(gb, "runtime.mProf_FlushLocked", &fl, d);
	if (!err)
		err = walk(gb, "runtime.mProf_Flush", &fs, d);
	if (err)
		return err;
	if (!fl.load64 || !fs.load32 || !leas(&fs, fs.load32) ||
	    !gmt_rtvars_writable(gb->elf, fl.load64, 8) ||
	    !gmt_rtvars_writable(gb->elf, fs.load32, 4))
		return gmt_diag_set(d, -ENOENT, "cannot find the heap profile's variables: "
						"runtime.mProf_FlushLocked and mProf_Flush do not load "
						"them as expected");
	err = gmt_rtvars_walk_func(gb, reader, on_insn, &mp);
	if (err == -ENOENT) {
		reader = "runtime.MemProfile";
		err = gmt_rtvars_walk_func(gb, reader, on_insn, &mp);
	}
	if (!err && (mp.load64 != fl.load64 || mp.load32 != fs.load32))
		return gmt_diag_set(d, -ENOENT, "cannot find the heap profile's variables: %s "
						"and runtime.mProf_Flush(Locked) disagree",
				    reader);
	v->mbuckets = fl.load64;
	v->mprof_cycle = fs.load32;
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
