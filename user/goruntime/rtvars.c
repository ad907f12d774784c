// SPDX-License-Identifier: MIT
#include "rtvars.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

#include "elf_file.h"
#include "gobin.h"
#include "pclntab.h"
#include "x86dec.h"

bool gmt_rtvars_writable(const struct gmt_elf *e, uint64_t addr, uint64_t len)
{
	const struct gmt_elf_seg *s = gmt_elf__seg_of(e, addr);

	return s && s->type == PT_LOAD && (s->flags & PF_W) && addr + len >= addr &&
	       addr + len <= s->vaddr + s->memsz;
}

int gmt_rtvars_walk_func(const struct gmt_gobin *gb, const char *name, gmt_rtvars_insn_fn cb,
			 void *ctx)
{
	struct gmt_func_info fi;
	const uint8_t *code;

	if (gmt_pcln__func_by_name(gb->pcln, name, &fi))
		return -ENOENT;
	code = gmt_gobin__func_code(gb, &fi);
	if (!code)
		return -ENOENT;
	for (uint64_t pc = fi.entry; pc < fi.end;) {
		struct gmt_insn in;
		int n = gmt_x86_decode(code + (pc - fi.entry), fi.end - pc, pc, &in);
		int r;

		if (n <= 0)
			return -EINVAL; /* Go pads functions with int3: a real decode error */
		r = cb(&in, ctx);
		if (r)
			return r > 0 ? 0 : r;
		pc += n;
	}
	return 0;
}

const char *gmt_rtvars_call_target(const struct gmt_gobin *gb, const struct gmt_insn *in)
{
	struct gmt_func_info fi;

	if (in->kind != GMT_INSN_CALL || gmt_pcln__func_by_pc(gb->pcln, in->branch_target, &fi) ||
	    fi.entry != in->branch_target)
		return NULL;
	return fi.name;
}

bool gmt_rtvars_writes_reg(const struct gmt_insn *in, int reg)
{
	if (in->kind == GMT_INSN_CALL || in->kind == GMT_INSN_CALL_IND)
		return true; /* every register is clobbered by a Go call */
	if (in->opmap == 0 && in->has_modrm &&
	    (in->opcode == 0x8b || in->opcode == 0x8d || in->opcode == 0x33 || in->opcode == 0x03 ||
	     in->opcode == 0x2b || in->opcode == 0x0b || in->opcode == 0x23))
		return in->reg == reg;
	if (in->opmap == 0 && in->has_modrm && !in->mem &&
	    (in->opcode == 0x31 || in->opcode == 0x89 || in->opcode == 0xc7 || in->opcode == 0x01 ||
	     in->opcode == 0x29))
		return in->rm == reg;
	if (in->opmap == 1 && in->has_modrm &&
	    (in->opcode == 0xb6 || in->opcode == 0xb7 || in->opcode == 0xbe || in->opcode == 0xbf))
		return in->reg == reg;
	if (in->opmap == 0 && !in->has_modrm && in->opcode >= 0xb8 && in->opcode <= 0xbf)
		return ((in->opcode & 7) | ((in->rex & 1) << 3)) == reg;
	return false;
}

bool gmt_rtvars_is_rip_lea_to(const struct gmt_insn *in, int reg)
{
	return in->opmap == 0 && in->opcode == 0x8d && in->has_modrm && in->rip_rel &&
	       in->reg == reg && in->opsize == 8;
}

bool gmt_rtvars_is_rip_load64(const struct gmt_insn *in)
{
	return in->opmap == 0 && in->opcode == 0x8b && in->has_modrm && in->rip_rel &&
	       in->opsize == 8;
}

bool gmt_rtvars_is_rip_store64(const struct gmt_insn *in)
{
	return in->opmap == 0 && in->opcode == 0x89 && in->has_modrm && in->rip_rel &&
	       in->opsize == 8;
}

bool gmt_rtvars_sym_addr(const struct gmt_gobin *gb, const char *name, uint64_t *addr)
{
	struct gmt_elf_sym sym;

	if (gmt_elf__sym_by_name(gb->elf, name, &sym) || !sym.value)
		return false;
	*addr = sym.value;
	return true;
}

struct recv_scan {
	const struct gmt_gobin *gb;
	const char *prefix;
	uint64_t rax; /* target of the RIP-relative LEA last loaded into RAX, 0 if none */
	uint64_t found;
	bool conflict;
};

static int recv_cb(const struct gmt_insn *in, void *ctx)
{
	struct recv_scan *s = ctx;
	const char *callee;

	if (gmt_rtvars_is_rip_lea_to(in, 0)) {
		s->rax = in->mem_target;
		return 0;
	}
	callee = gmt_rtvars_call_target(s->gb, in);
	if (callee && s->rax && strncmp(callee, s->prefix, strlen(s->prefix)) == 0) {
		if (s->found && s->found != s->rax)
			s->conflict = true;
		s->found = s->rax;
	}
	if (gmt_rtvars_writes_reg(in, 0))
		s->rax = 0;
	return 0;
}

int gmt_rtvars_find_receiver(const struct gmt_gobin *gb, const char *const *funcs, size_t nfuncs,
			     const char *method_prefix, uint64_t *addr)
{
	struct recv_scan s = { .gb = gb, .prefix = method_prefix };

	for (size_t i = 0; i < nfuncs; i++) {
		s.rax = 0;
		gmt_rtvars_walk_func(gb, funcs[i], recv_cb, &s);
	}
	if (!s.found || s.conflict)
		return -ENOENT;
	*addr = s.found;
	return 0;
}
