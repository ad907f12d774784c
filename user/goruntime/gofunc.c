// SPDX-License-Identifier: MIT
#include "gofunc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gobin.h"
#include "x86dec.h"

/* A go-statement wrapper is a few instructions plus, at most, an inlined callee. */
#define MAX_WRAPPER_BYTES (64 << 10)
#define MAX_CANDIDATES 4
#define MAX_INLINE 32
#define REG_RBP 5

struct candidates {
	const char *name[MAX_CANDIDATES];
	size_t n;
	bool unknown; /* an indirect call, or too many candidates */
};

static void add(struct candidates *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->name[i], name) == 0)
			return;
	if (c->n == MAX_CANDIDATES)
		c->unknown = true;
	else
		c->name[c->n++] = name;
}

/* The function whose entry is at addr, or NULL. */
static const char *func_at(const struct gmt_gobin *gb, uint64_t addr)
{
	struct gmt_func_info fi;

	if (gmt_pcln__func_by_pc(gb->pcln, addr, &fi) || fi.entry != addr)
		return NULL;
	return fi.name;
}

/* What a function does between its last call and RET: restore BP, release its frame. */
static bool is_epilogue_insn(const struct gmt_gobin *gb, const struct gmt_insn *in)
{
	const char *fn;

	if (in->kind == GMT_INSN_NOP)
		return true;
	if (in->kind == GMT_INSN_CALL) {
		/* -race builds: the function's exit hook follows the last call */
		fn = func_at(gb, in->branch_target);
		return fn && strcmp(fn, "runtime.racefuncexit") == 0;
	}
	if (in->opmap != 0 || (in->pfx & (GMT_PFX_VEX | GMT_PFX_EVEX | GMT_PFX_XOP)))
		return false;
	switch (in->opcode) {
	case 0x81:
	case 0x83: /* add $imm, %rsp */
		return in->has_modrm && !in->mem && in->rm == GMT_REG_RSP &&
		       ((in->modrm >> 3) & 7) == 0;
	case 0x5d: /* pop %rbp (not %r13) */
		return !(in->rex & 1);
	case 0x8b: /* mov disp(%rsp), %rbp */
		return in->has_modrm && in->mem && in->base == GMT_REG_RSP && in->reg == REG_RBP;
	default:
		return false;
	}
}

/* The instruction after ins[i] starts a straight run of epilogue instructions to a RET. */
static bool returns_after(const struct gmt_gobin *gb, const struct gmt_insn *ins, size_t n,
			  size_t i)
{
	for (size_t j = i + 1; j < n; j++) {
		if (ins[j].kind == GMT_INSN_RET)
			return true;
		if (!is_epilogue_insn(gb, &ins[j]))
			return false;
	}
	return false;
}

/* Candidates for the function a wrapper [entry, end) was generated to call. */
static int scan_wrapper(const struct gmt_gobin *gb, const struct gmt_func_info *fi,
			struct candidates *c)
{
	const uint8_t *code = gmt_gobin__func_code(gb, fi);
	size_t size = fi->end - fi->entry, n = 0;
	struct gmt_insn *ins;

	if (!code || size > MAX_WRAPPER_BYTES) {
		c->unknown = true;
		return 0;
	}
	ins = calloc(size, sizeof(*ins)); /* at most one instruction per byte */
	if (!ins)
		return -ENOMEM;
	for (uint64_t pc = fi->entry; pc < fi->end;) {
		int len = gmt_x86_decode(code + (pc - fi->entry), fi->end - pc, pc, &ins[n]);

		if (len <= 0)
			break; /* padding or data after the last instruction */
		pc += len;
		n++;
	}
	for (size_t i = 0; i < n && !c->unknown; i++) {
		const struct gmt_insn *in = &ins[i];
		struct gmt_frame fr[MAX_INLINE];
		int nf = gmt_pcln__symbolize(gb->pcln, in->vaddr, fr, MAX_INLINE);
		bool tail_jmp = in->kind == GMT_INSN_JMP &&
				(in->branch_target < fi->entry || in->branch_target >= fi->end);
		const char *fn;

		if (nf >= 2) {
			/* Inlined code: the outermost inlined call is the wrapper's callee (what
			 * that callee calls in turn is inlined deeper). */
			if (fr[nf - 2].func)
				add(c, fr[nf - 2].func);
			continue;
		}
		if (tail_jmp || in->kind == GMT_INSN_JMP_IND) {
			fn = tail_jmp ? func_at(gb, in->branch_target) : NULL;
			if (fn)
				add(c, fn);
			else
				c->unknown = true;
			continue;
		}
		if ((in->kind != GMT_INSN_CALL && in->kind != GMT_INSN_CALL_IND) ||
		    !returns_after(gb, ins, n, i))
			continue; /* morestack, panics, the race hooks: not the last call */
		fn = in->kind == GMT_INSN_CALL ? func_at(gb, in->branch_target) : NULL;
		if (fn)
			add(c, fn);
		else
			c->unknown = true; /* a func value or an interface method */
	}
	free(ins);
	return 0;
}

int gmt_gofunc_resolve(const struct gmt_gobin *gb, uint64_t entry, struct gmt_gofunc *out)
{
	struct candidates c = {};
	struct gmt_func_info fi;
	int err;

	memset(out, 0, sizeof(*out));
	if (gmt_pcln__func_by_pc(gb->pcln, entry, &fi))
		return -ENOENT;
	out->entry_fn = fi.name;
	out->how = GMT_GOFUNC_PLAIN;
	if (fi.entry != entry || fi.funcid != gmt_pcln__wrapper_funcid(gb->pcln) || !fi.funcid)
		return 0;
	err = scan_wrapper(gb, &fi, &c);
	if (err)
		return err;
	if (c.n == 1 && !c.unknown) {
		out->how = GMT_GOFUNC_WRAPPED;
		out->callee = c.name[0];
	} else {
		out->how = GMT_GOFUNC_UNRESOLVED;
	}
	return 0;
}

/* Length of name without a trailing ".gowrapN", ".funcN" or ".N" (go1.19's nested). */
static size_t strip_wrapper_suffix(const char *name)
{
	static const char *const sfx[] = { ".gowrap", ".func", "." };
	size_t len = strlen(name), d = len;

	while (d > 0 && name[d - 1] >= '0' && name[d - 1] <= '9')
		d--;
	if (d == len)
		return len;
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		size_t sl = strlen(sfx[i]);

		if (d > sl && strncmp(name + d - sl, sfx[i], sl) == 0)
			return d - sl;
	}
	return len;
}

void gmt_gofunc_name(const struct gmt_gofunc *r, char *buf, size_t len)
{
	const char *fn = r->entry_fn ? r->entry_fn : "?";

	switch (r->how) {
	case GMT_GOFUNC_WRAPPED:
		snprintf(buf, len, "%s", r->callee);
		break;
	case GMT_GOFUNC_UNRESOLVED:
		snprintf(buf, len, "? (go in %.*s)", (int)strip_wrapper_suffix(fn), fn);
		break;
	default:
		snprintf(buf, len, "%s", fn);
	}
}
