/* SPDX-License-Identifier: MIT */
/*
 * A small x86-64 instruction decoder: enough to find instruction boundaries, branch
 * targets and RIP-relative memory operands in Go-compiled code.  It is not a
 * disassembler; `text` is a short description for people (e.g. "jbe rel32",
 * "cmp r64,m64"), not AT&T syntax.
 *
 * It knows the legacy prefixes, REX, VEX (C4/C5), EVEX (62) and XOP (8F) prefixes and the
 * one-byte, 0F, 0F38 and 0F3A opcode maps, which covers everything the Go toolchain and
 * its assembly emit (AVX2 and AVX-512 included).  Decoding is table-driven and reads only
 * the bytes it was given: truncated or undefined encodings give -EINVAL.  Lengths, branch
 * and RIP-relative targets agree with GNU objdump over the whole .text of Go 1.19-1.27
 * binaries (tests/x86/test_x86dec.c).  VEX/EVEX opcodes are not checked for being defined.
 */
#ifndef GMT_X86DEC_H
#define GMT_X86DEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum gmt_insn_kind {
	GMT_INSN_OTHER = 0,
	GMT_INSN_JCC,	/* conditional jump, rel8 or rel32 */
	GMT_INSN_JMP,	/* jmp rel8/rel32 */
	GMT_INSN_JMP_IND,
	GMT_INSN_CALL,	/* call rel32 */
	GMT_INSN_CALL_IND,
	GMT_INSN_RET,	/* ret, ret imm16, rep ret */
	GMT_INSN_PUSH,	/* push r64 */
	GMT_INSN_NOP,	/* nop, xchg %ax,%ax, nopw/nopl (0f 1f /0) */
	GMT_INSN_INT3,
	GMT_INSN_UD,	/* ud2, ud1, ud0: defined to raise #UD (undefined bytes give -EINVAL) */
};

/* Prefixes seen, in gmt_insn.pfx. */
enum {
	GMT_PFX_OPSIZE = 1 << 0, /* 66 */
	GMT_PFX_ADSIZE = 1 << 1, /* 67 */
	GMT_PFX_REPNE = 1 << 2,	 /* F2 */
	GMT_PFX_REP = 1 << 3,	 /* F3 */
	GMT_PFX_LOCK = 1 << 4,	 /* F0 */
	GMT_PFX_SEG = 1 << 5,	 /* 26 2E 36 3E (ignored or branch hints in 64-bit mode) */
	GMT_PFX_FS = 1 << 6,	 /* 64 */
	GMT_PFX_GS = 1 << 7,	 /* 65 */
	GMT_PFX_REX = 1 << 8,
	GMT_PFX_VEX = 1 << 9,	 /* C4 / C5 */
	GMT_PFX_EVEX = 1 << 10,	 /* 62 */
	GMT_PFX_XOP = 1 << 11,	 /* 8F with map >= 8 */
};

#define GMT_REG_NONE (-1)
#define GMT_REG_RSP 4
#define GMT_REG_R12 12
#define GMT_REG_R14 14

struct gmt_insn {
	uint64_t vaddr;
	uint8_t len;
	enum gmt_insn_kind kind;
	uint8_t opcode;	     /* last opcode byte */
	uint8_t opmap;	     /* 0 one-byte, 1 0F, 2 0F38, 3 0F3A, + VEX/EVEX maps */
	uint8_t cond;	     /* JCC: condition code 0-15 (0x6 = be) */
	bool has_modrm;
	uint8_t modrm, rex;
	bool rip_rel;	     /* a memory operand is RIP-relative */
	uint64_t mem_target; /* its absolute address, when rip_rel */
	uint64_t branch_target; /* JCC/JMP/CALL rel (also loop/jrcxz/xbegin): absolute target;
				 * 0 for instructions without a static target */
	int32_t disp;	     /* memory displacement (also for non-RIP operands; an EVEX disp8
			      * is given as encoded, not scaled by the vector size) */
	int64_t imm;	     /* first immediate, sign-extended (imm64 for movabs) */
	/*
	 * The kernel's uprobe code emulates it: one trap, no single-step.  Modelled on Linux
	 * 6.18 (branch_setup_xol_ops(), push_setup_xol_ops()): jmp rel8/rel32, call rel32,
	 * jcc rel8/rel32 without a 66 prefix, 0x90 with any prefixes, x86_nops[] patterns,
	 * push r64 (50-57, or 41 50-57).
	 */
	bool emulated;
	/*
	 * The kernel "emulates" it as something it is not, so a uprobe there changes what the
	 * program does: it only looks at the opcode byte, so REX.B 90 (xchg %r8,%rax) is
	 * skipped as a nop, and VEX/EVEX instructions whose opcode byte is 70-7F, 90 or E8-EB
	 * are taken for jcc/nop/call/jmp with a zero offset.  Never probe these.
	 */
	bool misemulated;
	char text[40];

	uint16_t pfx;	     /* GMT_PFX_* */
	uint8_t opsize;	     /* operand size in bytes: 1, 2, 4 or 8 */
	uint8_t imm_len;     /* bytes of immediate (or of rel / moffs) */
	uint8_t disp_len;    /* bytes of displacement */
	/* ModRM operands, with REX/VEX/EVEX extensions applied (valid when has_modrm): */
	uint8_t reg;	     /* ModRM.reg, 0-15 (0-31 for EVEX vector registers) */
	bool mem;	     /* r/m is a memory operand (mod != 3) */
	uint8_t rm;	     /* r/m register when !mem */
	int8_t base;	     /* memory base register, GMT_REG_NONE for none or RIP */
	int8_t index;	     /* memory index register, GMT_REG_NONE for none */
	uint8_t scale;	     /* 1, 2, 4, 8 */
	/*
	 * The kernel accepts a uprobe on it at all (arch_uprobe_analyze_insn() does not
	 * return -ENOTSUPP): no ES/CS/SS/DS/LOCK prefix, an opcode in its good-instruction
	 * tables, no 66 prefix on a relative branch.  XOP encodings are reported as refused
	 * because the kernel's decoder does not know them.
	 */
	bool uprobe_ok;
};

/* Decodes one instruction; returns its length (> 0) or -EINVAL when invalid/truncated. */
int gmt_x86_decode(const uint8_t *code, size_t avail, uint64_t vaddr, struct gmt_insn *insn);

#endif
