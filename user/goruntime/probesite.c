// SPDX-License-Identifier: MIT
/*
 * Probe-site choice for Go functions (docs/go-runtime.md, "Probe sites").
 *
 * The stack-check prologue is matched as a short sequence of decoded instructions rather
 * than as byte patterns, so that rel8/rel32, imm8/imm32 and register encodings need no
 * separate cases.  The forms, as emitted by Go 1.19 to 1.27 on amd64 (cmd/internal/obj/x86
 * stacksplit()):
 *
 *   small frames:  cmp 0x10(%r14),%rsp;                              jbe morestack
 *   large frames:  lea -N(%rsp),%r12;   cmp 0x10(%r14),%r12;         jbe morestack
 *   huge frames:   mov %rsp,%r12; sub $N,%r12; jb morestack;
 *                  cmp 0x10(%r14),%r12;                              jbe morestack
 *
 * 0x10(%r14) is g.stackguard0.  //go:systemstack functions (gcSweep, and
 * stopTheWorldWithSema from go1.24) compare with g.stackguard1 at 0x18(%r14) instead, so
 * that running them on a goroutine stack ends in morestack's "morestack on g0" throw; their
 * jbe is just as good a probe site.
 *
 * ABI0 assembly functions first load g into R14 from TLS: `mov %fs:-8,%r14`, or in PIE
 * builds `mov $-8,%r14; mov %fs:(%r14),%r14`.  Anything else before the jbe means the
 * function has no stack check (NOSPLIT), and the probe goes on the entry instruction.
 */
#include "probesite.h"

#include <errno.h>
#include <stdio.h>

#include "x86dec.h"

/* The longest prologue is 2 TLS loads + 5 check instructions; stop looking after this. */
#define PROLOGUE_MAX_INSNS 8
#define PROLOGUE_MAX_GLOADS 2

enum prologue_state {
	P_START,   /* nothing matched yet (TLS loads of g allowed) */
	P_R12_SP,  /* mov %rsp,%r12 */
	P_R12_SUB, /* ... sub $N,%r12 */
	P_R12,	   /* R12 holds SP - framesize (after lea, or after the jb) */
	P_CMP,	   /* cmp <stackguard>,<reg> done: the next instruction must be the jbe */
};

static bool is_legacy_opcode(const struct gmt_insn *in, uint8_t opcode)
{
	return in->opmap == 0 && in->opcode == opcode &&
	       !(in->pfx & (GMT_PFX_VEX | GMT_PFX_EVEX | GMT_PFX_XOP));
}

/* Offsets of g.stackguard0 and g.stackguard1 (amd64, every Go version). */
#define G_STACKGUARD0 0x10
#define G_STACKGUARD1 0x18

/* cmp 0x10(%r14),reg or cmp 0x18(%r14),reg (64-bit, no segment override). */
static bool is_stackguard_cmp(const struct gmt_insn *in, int reg)
{
	return is_legacy_opcode(in, 0x3b) && in->opsize == 8 && in->mem && !in->rip_rel &&
	       in->base == GMT_REG_R14 && in->index == GMT_REG_NONE &&
	       (in->disp == G_STACKGUARD0 || in->disp == G_STACKGUARD1) && in->reg == reg &&
	       !(in->pfx & (GMT_PFX_SEG | GMT_PFX_FS | GMT_PFX_GS));
}

/* The instructions ABI0 functions use to load g into R14 from thread-local storage. */
static bool is_g_load(const struct gmt_insn *in)
{
	/* mov <mem>,%r14: %fs:-8, %fs:(%r14), or a GOT slot for the TLS offset */
	if (is_legacy_opcode(in, 0x8b) && in->opsize == 8 && in->reg == GMT_REG_R14 && in->mem)
		return true;
	/* mov $imm32,%r14 (C7 /0) */
	return is_legacy_opcode(in, 0xc7) && in->opsize == 8 && !in->mem &&
	       ((in->modrm >> 3) & 7) == 0 && in->rm == GMT_REG_R14;
}

/* lea disp(%rsp),%r12 */
static bool is_lea_r12_sp(const struct gmt_insn *in)
{
	return is_legacy_opcode(in, 0x8d) && in->opsize == 8 && in->reg == GMT_REG_R12 && in->mem &&
	       in->base == GMT_REG_RSP && in->index == GMT_REG_NONE;
}

/* mov %rsp,%r12, in either direction encoding (89 or 8B). */
static bool is_mov_r12_sp(const struct gmt_insn *in)
{
	if (in->opsize != 8 || !in->has_modrm || in->mem)
		return false;
	if (is_legacy_opcode(in, 0x89))
		return in->reg == GMT_REG_RSP && in->rm == GMT_REG_R12;
	return is_legacy_opcode(in, 0x8b) && in->reg == GMT_REG_R12 && in->rm == GMT_REG_RSP;
}

/* sub $imm,%r12 (81 /5 or 83 /5) */
static bool is_sub_r12_imm(const struct gmt_insn *in)
{
	return (is_legacy_opcode(in, 0x81) || is_legacy_opcode(in, 0x83)) && in->opsize == 8 &&
	       !in->mem && ((in->modrm >> 3) & 7) == 5 && in->rm == GMT_REG_R12;
}

static bool is_jcc(const struct gmt_insn *in, uint8_t cond)
{
	return in->kind == GMT_INSN_JCC && in->cond == cond;
}

static void set_site(struct gmt_probe_site *site, const struct gmt_insn *in, uint64_t entry,
		     bool stack_check)
{
	site->vaddr = in->vaddr;
	site->offset = (uint32_t)(in->vaddr - entry);
	site->stack_check = stack_check;
	site->emulated = in->emulated;
	site->uprobe_ok = in->uprobe_ok && !in->misemulated;
	snprintf(site->insn, sizeof(site->insn), "%s", in->text);
}

/* Finds the jbe of the stack check; false when the prologue is not one of the forms above. */
static bool find_stack_check(const uint8_t *code, size_t avail, uint64_t entry,
			     struct gmt_insn *jbe)
{
	enum prologue_state st = P_START;
	int gloads = 0;
	size_t off = 0;

	for (int i = 0; i < PROLOGUE_MAX_INSNS && off < avail; i++) {
		struct gmt_insn in;
		int n = gmt_x86_decode(code + off, avail - off, entry + off, &in);

		if (n < 0)
			return false;
		off += n;
		switch (st) {
		case P_START:
			if (is_stackguard_cmp(&in, GMT_REG_RSP)) {
				st = P_CMP;
			} else if (is_lea_r12_sp(&in)) {
				st = P_R12;
			} else if (is_mov_r12_sp(&in)) {
				st = P_R12_SP;
			} else if (is_g_load(&in) && ++gloads <= PROLOGUE_MAX_GLOADS) {
				/* stay: g is being loaded into R14 */
			} else {
				return false;
			}
			break;
		case P_R12_SP:
			if (!is_sub_r12_imm(&in))
				return false;
			st = P_R12_SUB;
			break;
		case P_R12_SUB:
			/* jb morestack: SP - framesize wrapped around */
			if (!is_jcc(&in, 0x2))
				return false;
			st = P_R12;
			break;
		case P_R12:
			if (!is_stackguard_cmp(&in, GMT_REG_R12))
				return false;
			st = P_CMP;
			break;
		case P_CMP:
			if (!is_jcc(&in, 0x6))
				return false;
			*jbe = in;
			return true;
		}
	}
	return false;
}

int gmt_probe_site_choose(const uint8_t *code, size_t avail, uint64_t entry,
			  struct gmt_probe_site *site)
{
	struct gmt_insn in;

	if (!code || !site)
		return -EINVAL;
	if (find_stack_check(code, avail, entry, &in)) {
		set_site(site, &in, entry, true);
		return 0;
	}
	if (gmt_x86_decode(code, avail, entry, &in) < 0)
		return -EINVAL;
	set_site(site, &in, entry, false);
	return 0;
}

int gmt_find_rets(const uint8_t *code, size_t len, uint64_t entry, uint64_t *rets, int max)
{
	size_t off = 0;
	int n = 0;

	if (!code || max < 0 || (max > 0 && !rets))
		return -EINVAL;
	while (off < len) {
		struct gmt_insn in;
		int ilen = gmt_x86_decode(code + off, len - off, entry + off, &in);

		if (ilen < 0)
			return -EINVAL;
		if (in.kind == GMT_INSN_RET) {
			if (n < max)
				rets[n] = in.vaddr;
			n++;
		}
		off += ilen;
	}
	return n;
}
