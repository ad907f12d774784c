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

struct flush_scan {
	const struct gmt_gobin *gb;
	uint64_t last; /* target of the last RIP-relative 8-byte load */
	uint64_t found;
};

/* mProf_FlushLocked: `head := mbuckets.Load(); for b := head; ...; b.mp()`. */
static int flush_cb(const struct gmt_insn *in, void *ctx)
{
	struct flush_scan *s = ctx;
	const char *callee;

	if (gmt_rtvars_is_rip_load64(in)) {
		s->last = in->mem_target;
		return 0;
	}
	callee = gmt_rtvars_call_target(s->gb, in);
	if (callee && strcmp(callee, "runtime.(*bucket).mp") == 0) {
		s->found = s->last;
		return 1;
	}
	return 0;
}

struct ref_scan {
	uint64_t addr;
	bool seen;
};

static int ref_cb(const struct gmt_insn *in, void *ctx)
{
	struct ref_scan *s = ctx;

	if (in->rip_rel && in->mem_target == s->addr) {
		s->seen = true;
		return 1;
	}
	return 0;
}

int gmt_heapvars_decode_mbuckets(const struct gmt_gobin *gb, uint64_t *addr)
{
	struct flush_scan f = { .gb = gb };
	struct ref_scan r = { 0 };

	if (gmt_rtvars_walk_func(gb, "runtime.mProf_FlushLocked", flush_cb, &f) || !f.found)
		return -ENOENT;
	r.addr = f.found;
	if (gmt_rtvars_walk_func(gb, "runtime.stkbucket", ref_cb, &r) || !r.seen)
		return -ENOENT;
	*addr = f.found;
	return 0;
}

static void find_mheap(const struct gmt_gobin *gb, const struct gmt_go_release *row,
		       unsigned int flags, struct gmt_heapvars *v)
{
	uint64_t size = row->sizes.mheap != GMT_OFF_ABSENT ? row->sizes.mheap : 8;

	if (!(flags & GMT_HEAPVARS_NO_SYMTAB) &&
	    gmt_rtvars_sym_addr(gb, "runtime.mheap_", &v->mheap))
		v->mheap_src = GMT_HEAPVAR_SYMTAB;
	else if (!gmt_heapvars_decode_mheap(gb, &v->mheap))
		v->mheap_src = GMT_HEAPVAR_DECODED;
	else {
		snprintf(v->why_mheap, sizeof(v->why_mheap),
			 "runtime.mheap_: no symbol, and no `LEAQ mheap_(SB), AX` in front of a "
			 "(*mheap) method call in mallocinit/sweepone/stackalloc/stackfree");
		v->mheap = 0;
		return;
	}
	if (!gmt_rtvars_writable(gb->elf, v->mheap, size)) {
		snprintf(v->why_mheap, sizeof(v->why_mheap),
			 "runtime.mheap_ (%#llx, %s) is not %llu bytes of writable memory",
			 (unsigned long long)v->mheap,
			 v->mheap_src == GMT_HEAPVAR_SYMTAB ? "symbol" : "decoded",
			 (unsigned long long)size);
		v->mheap = 0;
		v->mheap_src = GMT_HEAPVAR_NONE;
	}
}

static void find_mbuckets(const struct gmt_gobin *gb, unsigned int flags, struct gmt_heapvars *v)
{
	if (!(flags & GMT_HEAPVARS_NO_SYMTAB) &&
	    gmt_rtvars_sym_addr(gb, "runtime.mbuckets", &v->mbuckets))
		v->mbuckets_src = GMT_HEAPVAR_SYMTAB;
	else if (!gmt_heapvars_decode_mbuckets(gb, &v->mbuckets))
		v->mbuckets_src = GMT_HEAPVAR_DECODED;
	else {
		snprintf(v->why_mbuckets, sizeof(v->why_mbuckets),
			 "runtime.mbuckets: no symbol, and mProf_FlushLocked / stkbucket do not "
			 "show the head of the bucket list");
		v->mbuckets = 0;
		return;
	}
	if (!gmt_rtvars_writable(gb->elf, v->mbuckets, 8) || (v->mbuckets & 7)) {
		snprintf(v->why_mbuckets, sizeof(v->why_mbuckets),
			 "runtime.mbuckets (%#llx, %s) is not an aligned word of writable memory",
			 (unsigned long long)v->mbuckets,
			 v->mbuckets_src == GMT_HEAPVAR_SYMTAB ? "symbol" : "decoded");
		v->mbuckets = 0;
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
	find_mbuckets(gb, flags, v);
	return 0;
}
