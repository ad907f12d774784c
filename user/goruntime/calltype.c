// SPDX-License-Identifier: MIT
/* The type an allocation site passes to the allocator (see calltype.h). */
#include "calltype.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "gobin.h"
#include "go_release.h"
#include "release.h"
#include "grow.h"
#include "x86dec.h"

enum { REG_AX = 0, REG_BX = 3, REG_SI = 6, NO_REG = -1, UNKNOWN_EFFECT = -2 };

/* Instructions kept before the call: the LEA must be among them. */
#define LOOKBACK 12

/*
 * The register an allocator entry point takes its *_type in; NO_REG if it is none.
 * Where the release table has the argument (newobject, makeslice, growslice, mallocgc),
 * its row says; the others take the type first (RAX) in every release.
 */
static int type_register(const char *name, const struct gmt_go_release *row)
{
	static const char *const in_ax[] = {
	    "runtime.newarray", "runtime.makeslicecopy", "runtime.convT", "runtime.convTnoptr",
	    "reflect.unsafe_New", "reflect.unsafe_NewArray",
	};

	for (size_t i = 0; i < sizeof(in_ax) / sizeof(in_ax[0]); i++)
		if (strcmp(name, in_ax[i]) == 0)
			return REG_AX;
	if (strcmp(name, "runtime.newobject") == 0)
		return gmt_abi_int_reg(row->args.newobject_typ);
	if (strcmp(name, "runtime.makeslice") == 0)
		return gmt_abi_int_reg(row->args.makeslice_et);
	if (strcmp(name, "runtime.growslice") == 0)
		return gmt_abi_int_reg(row->args.growslice_et);
	if (strcmp(name, "runtime.mallocgc") == 0)
		return gmt_abi_int_reg(row->args.mallocgc_typ);
	/* the size-specialized allocators (1.26+) take mallocgc's arguments */
	if (strncmp(name, "runtime.mallocgcSmall", 21) == 0 ||
	    strncmp(name, "runtime.mallocgcTiny", 20) == 0)
		return gmt_abi_int_reg(row->args.mallocgc_typ);
	return NO_REG;
}

static bool legacy(const struct gmt_insn *in)
{
	return !(in->pfx & (GMT_PFX_VEX | GMT_PFX_EVEX | GMT_PFX_XOP));
}

/*
 * The general register an instruction writes: a register number, NO_REG for none, or
 * UNKNOWN_EFFECT when the instruction is not one whose effect this file knows.
 */
static int written_register(const struct gmt_insn *in)
{
	int r = in->mem ? NO_REG : in->rm;

	if (in->kind == GMT_INSN_NOP)
		return NO_REG;
	if (!legacy(in))
		return UNKNOWN_EFFECT;
	if (in->opmap == 1) {
		switch (in->opcode) {
		case 0x10: case 0x11: case 0x28: case 0x29: case 0x57: /* SSE moves, xorps */
			return NO_REG;
		case 0xb6: case 0xb7: case 0xbe: case 0xbf: /* movzx, movsx */
			return in->reg;
		}
		return UNKNOWN_EFFECT;
	}
	if (in->opmap != 0)
		return UNKNOWN_EFFECT;
	if (in->opcode >= 0xb8 && in->opcode <= 0xbf) /* mov $imm, r */
		return (in->opcode & 7) | ((in->rex & 1) << 3);
	switch (in->opcode) {
	case 0x8d: case 0x8b: case 0x8a: case 0x33: case 0x63: /* lea, mov r,rm, xor r,rm, movsxd */
		return in->reg;
	case 0x89: case 0x88: case 0x31: case 0xc7: case 0xc6: case 0xc1: case 0x01: case 0x29:
		return r; /* mov/xor/add/sub/shift into r/m */
	case 0x83: case 0x81:
		return ((in->modrm >> 3) & 7) == 7 ? NO_REG : r; /* cmp writes nothing */
	case 0x39: case 0x3b: case 0x3d: case 0x85: case 0x84: /* cmp, test */
		return NO_REG;
	}
	return UNKNOWN_EFFECT;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The branch targets inside [entry, end), sorted; NULL with *n = 0 when there are none. */
static uint64_t *branch_targets(const uint8_t *code, uint64_t entry, uint64_t end, size_t *n)
{
	uint64_t *t = NULL;
	size_t cap = 0;

	*n = 0;
	for (uint64_t pc = entry; pc < end;) {
		struct gmt_insn in;
		int len = gmt_x86_decode(code + (pc - entry), end - pc, pc, &in);

		if (len <= 0)
			break;
		pc += len;
		if ((in.kind != GMT_INSN_JCC && in.kind != GMT_INSN_JMP) || in.branch_target < entry ||
		    in.branch_target >= end)
			continue;
		if (GMT_GROW(&t, &cap, *n + 1)) {
			free(t);
			*n = SIZE_MAX; /* unknown: treat every instruction as a target */
			return NULL;
		}
		t[(*n)++] = in.branch_target;
	}
	if (*n)
		qsort(t, *n, sizeof(*t), cmp_u64);
	return t;
}

static bool is_target(const uint64_t *t, size_t n, uint64_t pc)
{
	if (n == SIZE_MAX)
		return true;
	return t && bsearch(&pc, t, n, sizeof(*t), cmp_u64);
}

/*
 * The frame returning to ret (static address): the static *_type its call passes, 0 when
 * unknown.  *callee_passes is set when the frame's own function is an allocator entry
 * point (it passes its caller's type on).
 */
static uint64_t frame_type(const struct gmt_gobin *gb, const struct gmt_go_release *row,
			   uint64_t ret, bool *callee_passes)
{
	struct gmt_insn ring[LOOKBACK], call;
	struct gmt_func_info fi, callee;
	const uint8_t *code;
	uint64_t *targets, typ = 0;
	size_t ntargets, seen = 0;
	int reg;

	*callee_passes = false;
	if (gmt_pcln__func_by_pc(gb->pcln, ret - 1, &fi) < 0)
		return 0;
	*callee_passes = type_register(fi.name, row) != NO_REG;
	code = gmt_gobin__func_code(gb, &fi);
	if (!code || ret > fi.end)
		return 0;
	/* Decode up to the return address, keeping the last LOOKBACK instructions. */
	for (uint64_t pc = fi.entry; pc < ret;) {
		struct gmt_insn *in = &ring[seen % LOOKBACK];
		int len = gmt_x86_decode(code + (pc - fi.entry), ret - pc, pc, in);

		if (len <= 0)
			return 0;
		pc += len;
		seen++;
	}
	if (!seen)
		return 0;
	call = ring[(seen - 1) % LOOKBACK];
	if (call.kind != GMT_INSN_CALL || call.vaddr + call.len != ret ||
	    gmt_pcln__func_by_pc(gb->pcln, call.branch_target, &callee) < 0 ||
	    callee.entry != call.branch_target)
		return 0;
	reg = type_register(callee.name, row);
	if (reg == NO_REG)
		return 0;
	targets = branch_targets(code, fi.entry, fi.end, &ntargets);
	/* Back from the instruction before the call, within its basic block. */
	for (size_t k = 2; k <= seen && k <= LOOKBACK; k++) {
		const struct gmt_insn *in = &ring[(seen - k) % LOOKBACK];
		int w = written_register(in);

		if (is_target(targets, ntargets, ring[(seen - k + 1) % LOOKBACK].vaddr))
			break; /* another path reaches the call without this instruction */
		if (w == UNKNOWN_EFFECT || (in->kind != GMT_INSN_OTHER && in->kind != GMT_INSN_NOP))
			break;
		if (w != reg)
			continue;
		if (in->opmap == 0 && in->opcode == 0x8d && in->rip_rel && in->opsize == 8)
			typ = in->mem_target;
		break;
	}
	free(targets);
	return typ;
}

uint64_t gmt_calltype(const struct gmt_gobin *gb, const struct gmt_go_release *row, uint64_t bias,
		      const uint64_t *pcs, uint32_t depth)
{
	for (uint32_t i = 0; i < depth && i < GMT_CALLTYPE_FRAMES; i++) {
		bool passes;
		uint64_t typ;

		if (pcs[i] < bias)
			return 0;
		typ = frame_type(gb, row, pcs[i] - bias, &passes);
		if (typ)
			return typ + bias;
		if (!passes)
			return 0;
	}
	return 0;
}
