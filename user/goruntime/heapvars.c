// SPDX-License-Identifier: MIT
#include "heapvars.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "gobin.h"
#include "go_release.h"
#include "rtvars.h"
#include "x86dec.h"

int gmt_heapvars_decode_mheap(const struct gmt_gobin *gb, uint64_t *addr)
{
	static const char *const funcs[] = {
		"runtime.mallocinit", "runtime.sweepone", "runtime.stackalloc", "runtime.stackfree",
		"runtime.(*mcentral).grow",
	};

	return gmt_rtvars_find_receiver(gb, funcs, sizeof(funcs) / sizeof(funcs[0]),
					"runtime.(*mheap).", addr);
}

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

/*
 * mProf_FlushLocked, which every binary has (the GC calls it), loads mbuckets first;
 * mProf_Flush loads mProfCycle (`MOVL mProfCycle(SB)`, setFlushed's Load) and takes its
 * address for the compare-and-swap (`LEAQ mProfCycle(SB)`).  When the heap profile
 * reader is linked (runtime.memProfileInternal from go1.23, runtime.MemProfile before),
 * its own first loads must name the same two words.
 */
int gmt_heapvars_decode_mprof(const struct gmt_gobin *gb, uint64_t *mbuckets,
			      uint64_t *mprof_cycle, char *why, size_t len)
{
	struct loads fl = {}, fs = {}, mp = {};
	const char *reader = "runtime.memProfileInternal";
	const char *fn = "runtime.mProf_FlushLocked";
	int err = gmt_rtvars_walk_func(gb, fn, on_insn, &fl);

	if (!err) {
		fn = "runtime.mProf_Flush";
		err = gmt_rtvars_walk_func(gb, fn, on_insn, &fs);
	}
	if (err) {
		snprintf(why, len, "runtime.mbuckets, mProfCycle: no symbols, and %s %s", fn,
			 err == -ENOENT ? "is not in the binary" : "does not decode");
		return -ENOENT;
	}
	if (!fl.load64 || !fs.load32 || !leas(&fs, fs.load32)) {
		snprintf(why, len, "runtime.mbuckets, mProfCycle: no symbol, and "
			 "runtime.mProf_FlushLocked and mProf_Flush do not load them as expected");
		return -ENOENT;
	}
	err = gmt_rtvars_walk_func(gb, reader, on_insn, &mp);
	if (err == -ENOENT) {
		reader = "runtime.MemProfile";
		err = gmt_rtvars_walk_func(gb, reader, on_insn, &mp);
	}
	if (!err && (mp.load64 != fl.load64 || mp.load32 != fs.load32)) {
		snprintf(why, len, "runtime.mbuckets, mProfCycle: %s and "
			 "runtime.mProf_Flush(Locked) disagree", reader);
		return -ENOENT;
	}
	*mbuckets = fl.load64;
	*mprof_cycle = fs.load32;
	return 0;
}

struct pair {
	uint64_t load[8]; /* targets of the first rip-relative 8-byte loads */
	int n;
};

static int on_load64(const struct gmt_insn *in, void *arg)
{
	struct pair *f = arg;

	if (gmt_rtvars_is_rip_load64(in) && f->n < 8)
		f->load[f->n++] = in->mem_target;
	return f->n == 8;
}

/* The first two 8-byte loads of fn: allp.array and allp.len, in either order. */
static int allp_of(const struct gmt_gobin *gb, const char *fn, uint64_t *allp)
{
	struct pair f = {};
	int err = gmt_rtvars_walk_func(gb, fn, on_load64, &f);

	if (err)
		return err;
	if (f.n >= 2 && f.load[1] == f.load[0] + 8)
		*allp = f.load[0];
	else if (f.n >= 2 && f.load[0] == f.load[1] + 8)
		*allp = f.load[1];
	else
		return -EINVAL;
	return 0;
}

/*
 * gcMarkTinyAllocs (every binary: the GC calls it) begins `for _, p := range allp`;
 * flushmcache(i), when it is a function of its own (ReadMemStats is linked and did not
 * inline it), begins with allp[i]'s bounds check: the same two words, which must agree.
 */
int gmt_heapvars_decode_allp(const struct gmt_gobin *gb, uint64_t *allp)
{
	uint64_t other;
	int err;

	if (allp_of(gb, "runtime.gcMarkTinyAllocs", allp))
		return -ENOENT;
	err = allp_of(gb, "runtime.flushmcache", &other);
	if (err == -ENOENT)
		return 0;
	return !err && other == *allp ? 0 : -ENOENT;
}

/*
 * One variable: its symbol, else decoded from the code that uses it; then it must be
 * size bytes of writable memory, aligned to align.  why says what failed.
 */
struct var {
	const char *sym;
	int (*decode)(const struct gmt_gobin *gb, uint64_t *addr);
	const char *undecoded; /* why, when neither the symbol nor the code gives it */
	uint64_t size, align;
};

static void find_var(const struct gmt_gobin *gb, unsigned int flags, const struct var *w,
		     uint64_t *addr, enum gmt_heapvar_src *src, char *why, size_t len)
{
	if (!(flags & GMT_HEAPVARS_NO_SYMTAB) && gmt_rtvars_sym_addr(gb, w->sym, addr))
		*src = GMT_HEAPVAR_SYMTAB;
	else if (!w->decode(gb, addr))
		*src = GMT_HEAPVAR_DECODED;
	else {
		snprintf(why, len, "%s: no symbol, and %s", w->sym, w->undecoded);
		*addr = 0;
		return;
	}
	if (!gmt_rtvars_writable(gb->elf, *addr, w->size) || (*addr & (w->align - 1))) {
		snprintf(why, len, "%s (%#llx, %s) is not %llu bytes of aligned writable memory",
			 w->sym, (unsigned long long)*addr,
			 *src == GMT_HEAPVAR_SYMTAB ? "symbol" : "decoded",
			 (unsigned long long)w->size);
		*addr = 0;
		*src = GMT_HEAPVAR_NONE;
	}
}

static void find_allp(const struct gmt_gobin *gb, unsigned int flags, struct gmt_heapvars *v)
{
	static const struct var allp = {
		"runtime.allp", gmt_heapvars_decode_allp,
		"runtime.gcMarkTinyAllocs and flushmcache do not load the same allp.array and "
		"allp.len first",
		24, 8 /* a slice header */
	};

	find_var(gb, flags, &allp, &v->allp, &v->allp_src, v->why_allp, sizeof(v->why_allp));
}

static void find_mheap(const struct gmt_gobin *gb, const struct gmt_go_release *row,
		       unsigned int flags, struct gmt_heapvars *v)
{
	struct var mheap = {
		"runtime.mheap_", gmt_heapvars_decode_mheap,
		"no `LEAQ mheap_(SB), AX` in front of a (*mheap) method call in "
		"mallocinit/sweepone/stackalloc/stackfree",
		row->sizes.mheap != GMT_OFF_ABSENT ? row->sizes.mheap : 8, 8
	};

	find_var(gb, flags, &mheap, &v->mheap, &v->mheap_src, v->why_mheap, sizeof(v->why_mheap));
}

/* Both from .symtab, or both decoded: they are found together, from the same code. */
static void find_mprof(const struct gmt_gobin *gb, unsigned int flags, struct gmt_heapvars *v)
{
	if (!(flags & GMT_HEAPVARS_NO_SYMTAB) &&
	    gmt_rtvars_sym_addr(gb, "runtime.mbuckets", &v->mbuckets) &&
	    gmt_rtvars_sym_addr(gb, "runtime.mProfCycle", &v->mprof_cycle))
		v->mbuckets_src = GMT_HEAPVAR_SYMTAB;
	else if (!gmt_heapvars_decode_mprof(gb, &v->mbuckets, &v->mprof_cycle, v->why_mbuckets,
					    sizeof(v->why_mbuckets)))
		v->mbuckets_src = GMT_HEAPVAR_DECODED;
	else {
		v->mbuckets = v->mprof_cycle = 0;
		return;
	}
	if (!gmt_rtvars_writable(gb->elf, v->mbuckets, 8) || (v->mbuckets & 7) ||
	    !gmt_rtvars_writable(gb->elf, v->mprof_cycle, 4) || (v->mprof_cycle & 3)) {
		snprintf(v->why_mbuckets, sizeof(v->why_mbuckets),
			 "runtime.mbuckets (%#llx) and mProfCycle (%#llx), %s, are not aligned "
			 "words of writable memory",
			 (unsigned long long)v->mbuckets, (unsigned long long)v->mprof_cycle,
			 v->mbuckets_src == GMT_HEAPVAR_SYMTAB ? "symbols" : "decoded");
		v->mbuckets = v->mprof_cycle = 0;
		v->mbuckets_src = GMT_HEAPVAR_NONE;
	}
}

int gmt_heapvars_find(const struct gmt_gobin *gb, const struct gmt_go_release *row,
		      unsigned int flags, struct gmt_heapvars *v)
{
	memset(v, 0, sizeof(*v));
	if (!gb || !gb->elf || !gb->pcln || !row)
		return -EINVAL;
	find_mheap(gb, row, flags, v);
	find_mprof(gb, flags, v);
	find_allp(gb, flags, v);
	return 0;
}
