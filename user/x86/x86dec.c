// SPDX-License-Identifier: MIT
/*
 * Table-driven x86-64 length decoder with a little classification on top.
 *
 * Each opcode map is a table of operand-encoding attributes (ModRM?, which immediate?)
 * plus, for the maps Go code mostly lives in, a mnemonic and an operand template used
 * only to build the human-readable `text`.  Reading goes through one cursor bounded by
 * min(avail, 15), so a truncated or over-long instruction is -EINVAL and nothing past
 * `avail` is ever touched.
 */
#include "x86dec.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Operand-encoding attributes. */
enum {
	A_VALID = 1 << 0,
	A_MODRM = 1 << 1,
	A_IB = 1 << 2,	     /* imm8 */
	A_IW = 1 << 3,	     /* imm16 */
	A_IZ = 1 << 4,	     /* imm16 with 66, else imm32 */
	A_ID = 1 << 5,	     /* imm32 whatever the operand size */
	A_IV = 1 << 6,	     /* imm16/32/64 by operand size: mov r,imm (movabs) */
	A_JB = 1 << 7,	     /* rel8 */
	A_JZ = 1 << 8,	     /* rel32; rel16 with 66 and no REX.W (AMD64, binutils) */
	A_MOFFS = 1 << 9,    /* absolute address: 8 bytes, 4 with 67 */
	A_GRP3 = 1 << 10,    /* F6/F7: the immediate exists only for /0 and /1 (test) */
	A_BYTE = 1 << 11,    /* byte operands */
	A_D64 = 1 << 12,     /* operand size defaults to 64 bits (push/pop/near branches) */
	A_REGONLY = 1 << 13, /* ModRM.mod is ignored: always a register (mov cr/dr) */
};

#define __ A_VALID
#define M (A_VALID | A_MODRM)
#define MB (A_VALID | A_MODRM | A_IB)
#define MZ (A_VALID | A_MODRM | A_IZ)
#define IB (A_VALID | A_IB)
#define IZ (A_VALID | A_IZ)
#define JB (A_VALID | A_JB)
#define JZ (A_VALID | A_JZ)
#define BYTE A_BYTE
#define D64 A_D64

/*
 * Operand templates, only for `text`.  A token is a kind letter and a size letter:
 * E r/m, G ModRM.reg, M memory only, Z register in the opcode's low bits, I immediate,
 * J relative target, O moffs, S segment register; b 8, w 16, d 32, q 64, v operand
 * size, z imm16/32, '*' b for byte-operand opcodes and v (or z) otherwise.  "rAX" is the
 * accumulator at operand size; anything else is copied as is.
 */
struct opdesc {
	uint16_t attr;
	uint8_t grp; /* index into groups[] when the name depends on ModRM.reg */
	const char *name;
	const char *ops;
};

enum { G_NONE, G_1, G_1A, G_2, G_3, G_4, G_5, G_11, G_0F00, G_0F01, G_0FBA, G_0FC7, G_0FAE };

struct grpdesc {
	const char *name; /* NULL: undefined encoding */
	const char *ops;  /* NULL: the opcode's template */
};

static const struct grpdesc groups[][8] = {
	[G_1] = { { "add" }, { "or" }, { "adc" }, { "sbb" }, { "and" }, { "sub" }, { "xor" },
		  { "cmp" } },
	[G_1A] = { { "pop" } },
	[G_2] = { { "rol" }, { "ror" }, { "rcl" }, { "rcr" }, { "shl" }, { "shr" }, { "sal" },
		  { "sar" } },
	[G_3] = { { "test", "E*,I*" }, { "test", "E*,I*" }, { "not" }, { "neg" }, { "mul" },
		  { "imul" }, { "div" }, { "idiv" } },
	[G_4] = { { "inc" }, { "dec" } },
	[G_5] = { { "inc", "Ev" }, { "dec", "Ev" }, { "call", "Eq" }, { "callf", "M" },
		  { "jmp", "Eq" }, { "jmpf", "M" }, { "push", "Eq" } },
	[G_11] = { { "mov" }, [7] = { "xabort/xbegin" } },
	[G_0F00] = { { "sldt" }, { "str" }, { "lldt" }, { "ltr" }, { "verr" }, { "verw" } },
	[G_0F01] = { { "sgdt" }, { "sidt" }, { "lgdt" }, { "lidt" }, { "smsw" }, { "rstorssp" },
		     { "lmsw" }, { "invlpg" } },
	[G_0FBA] = { [4] = { "bt" }, { "bts" }, { "btr" }, { "btc" } },
	[G_0FC7] = { [1] = { "cmpxchg8b", "M" }, [3] = { "xrstors", "M" },
		     { "xsavec", "M" }, { "xsaves", "M" }, { "rdrand", "Ev" }, { "rdseed", "Ev" } },
	[G_0FAE] = { { "fxsave", "M" }, { "fxrstor", "M" }, { "ldmxcsr", "M" }, { "stmxcsr", "M" },
		     { "xsave", "M" }, { "xrstor", "M" }, { "xsaveopt", "M" }, { "clflush", "M" } },
};

/* The one-byte map. Prefix bytes are consumed before the table is consulted. */
static const struct opdesc map0[256] = {
	[0x00] = { M | BYTE, 0, "add", "Eb,Gb" }, { M, 0, "add", "Ev,Gv" },
	{ M | BYTE, 0, "add", "Gb,Eb" }, { M, 0, "add", "Gv,Ev" }, { IB, 0, "add", "al,Ib" },
	{ IZ, 0, "add", "rAX,Iz" },
	[0x08] = { M | BYTE, 0, "or", "Eb,Gb" }, { M, 0, "or", "Ev,Gv" },
	{ M | BYTE, 0, "or", "Gb,Eb" }, { M, 0, "or", "Gv,Ev" }, { IB, 0, "or", "al,Ib" },
	{ IZ, 0, "or", "rAX,Iz" },
	[0x10] = { M | BYTE, 0, "adc", "Eb,Gb" }, { M, 0, "adc", "Ev,Gv" },
	{ M | BYTE, 0, "adc", "Gb,Eb" }, { M, 0, "adc", "Gv,Ev" }, { IB, 0, "adc", "al,Ib" },
	{ IZ, 0, "adc", "rAX,Iz" },
	[0x18] = { M | BYTE, 0, "sbb", "Eb,Gb" }, { M, 0, "sbb", "Ev,Gv" },
	{ M | BYTE, 0, "sbb", "Gb,Eb" }, { M, 0, "sbb", "Gv,Ev" }, { IB, 0, "sbb", "al,Ib" },
	{ IZ, 0, "sbb", "rAX,Iz" },
	[0x20] = { M | BYTE, 0, "and", "Eb,Gb" }, { M, 0, "and", "Ev,Gv" },
	{ M | BYTE, 0, "and", "Gb,Eb" }, { M, 0, "and", "Gv,Ev" }, { IB, 0, "and", "al,Ib" },
	{ IZ, 0, "and", "rAX,Iz" },
	[0x28] = { M | BYTE, 0, "sub", "Eb,Gb" }, { M, 0, "sub", "Ev,Gv" },
	{ M | BYTE, 0, "sub", "Gb,Eb" }, { M, 0, "sub", "Gv,Ev" }, { IB, 0, "sub", "al,Ib" },
	{ IZ, 0, "sub", "rAX,Iz" },
	[0x30] = { M | BYTE, 0, "xor", "Eb,Gb" }, { M, 0, "xor", "Ev,Gv" },
	{ M | BYTE, 0, "xor", "Gb,Eb" }, { M, 0, "xor", "Gv,Ev" }, { IB, 0, "xor", "al,Ib" },
	{ IZ, 0, "xor", "rAX,Iz" },
	[0x38] = { M | BYTE, 0, "cmp", "Eb,Gb" }, { M, 0, "cmp", "Ev,Gv" },
	{ M | BYTE, 0, "cmp", "Gb,Eb" }, { M, 0, "cmp", "Gv,Ev" }, { IB, 0, "cmp", "al,Ib" },
	{ IZ, 0, "cmp", "rAX,Iz" },
	[0x50 ... 0x57] = { __ | D64, 0, "push", "Zq" },
	[0x58 ... 0x5f] = { __ | D64, 0, "pop", "Zq" },
	[0x63] = { M, 0, "movsxd", "Gv,Ed" },
	[0x68] = { IZ | D64, 0, "push", "Iz" }, { MZ, 0, "imul", "Gv,Ev,Iz" },
	{ IB | D64, 0, "push", "Ib" }, { MB, 0, "imul", "Gv,Ev,Ib" },
	{ __, 0, "insb", "" }, { __, 0, "insw/insd/insd", "" }, { __, 0, "outsb", "" },
	{ __, 0, "outsw/outsd/outsd", "" },
	[0x70 ... 0x7f] = { JB, 0, NULL, "Jb" }, /* named by condition */
	[0x80] = { MB | BYTE, G_1, NULL, "Eb,Ib" }, { MZ, G_1, NULL, "Ev,Iz" },
	[0x83] = { MB, G_1, NULL, "Ev,Ib" },
	{ M | BYTE, 0, "test", "Eb,Gb" }, { M, 0, "test", "Ev,Gv" },
	{ M | BYTE, 0, "xchg", "Eb,Gb" }, { M, 0, "xchg", "Ev,Gv" },
	{ M | BYTE, 0, "mov", "Eb,Gb" }, { M, 0, "mov", "Ev,Gv" },
	{ M | BYTE, 0, "mov", "Gb,Eb" }, { M, 0, "mov", "Gv,Ev" },
	{ M, 0, "mov", "Ev,Sw" }, { M, 0, "lea", "Gv,M" }, { M, 0, "mov", "Sw,Ew" },
	{ M | D64, G_1A, NULL, "Eq" },
	[0x90] = { __, 0, "nop", "" }, /* xchg / pause, see insn_text() */
	[0x91 ... 0x97] = { __, 0, "xchg", "Zv,rAX" },
	[0x98] = { __, 0, "cbw/cwde/cdqe", "" }, { __, 0, "cwd/cdq/cqo", "" },
	[0x9b] = { __, 0, "fwait", "" }, { __ | D64, 0, "pushf", "" }, { __ | D64, 0, "popf", "" },
	{ __, 0, "sahf", "" }, { __, 0, "lahf", "" },
	[0xa0] = { A_VALID | A_MOFFS, 0, "mov", "al,Ob" },
	{ A_VALID | A_MOFFS, 0, "mov", "rAX,Ov" },
	{ A_VALID | A_MOFFS, 0, "mov", "Ob,al" },
	{ A_VALID | A_MOFFS, 0, "mov", "Ov,rAX" },
	{ __, 0, "movsb", "" }, { __, 0, "movsw/movsd/movsq", "" }, { __, 0, "cmpsb", "" },
	{ __, 0, "cmpsw/cmpsd/cmpsq", "" }, { IB, 0, "test", "al,Ib" }, { IZ, 0, "test", "rAX,Iz" },
	{ __, 0, "stosb", "" }, { __, 0, "stosw/stosd/stosq", "" }, { __, 0, "lodsb", "" },
	{ __, 0, "lodsw/lodsd/lodsq", "" }, { __, 0, "scasb", "" },
	{ __, 0, "scasw/scasd/scasq", "" },
	[0xb0 ... 0xb7] = { IB | BYTE, 0, "mov", "Zb,Ib" },
	[0xb8 ... 0xbf] = { A_VALID | A_IV, 0, "mov", "Zv,Iv" },
	[0xc0] = { MB | BYTE, G_2, NULL, "Eb,Ib" }, { MB, G_2, NULL, "Ev,Ib" },
	{ A_VALID | A_IW | D64, 0, "ret", "Iw" }, { __ | D64, 0, "ret", "" },
	[0xc6] = { MB | BYTE, G_11, NULL, "Eb,Ib" }, { MZ, G_11, NULL, "Ev,Iz" },
	{ A_VALID | A_IW | A_IB, 0, "enter", "Iw,Ib" }, { __ | D64, 0, "leave", "" },
	{ A_VALID | A_IW, 0, "lret", "Iw" }, { __, 0, "lret", "" }, { __, 0, "int3", "" },
	{ IB, 0, "int", "Ib" },
	[0xcf] = { __, 0, "iret", "" },
	[0xd0] = { M | BYTE, G_2, NULL, "Eb,1" }, { M, G_2, NULL, "Ev,1" },
	{ M | BYTE, G_2, NULL, "Eb,cl" }, { M, G_2, NULL, "Ev,cl" },
	[0xd7] = { __, 0, "xlat", "" },
	[0xd8 ... 0xdf] = { M, 0, "x87", "E" },
	[0xe0] = { JB | D64, 0, "loopne", "Jb" }, { JB | D64, 0, "loope", "Jb" },
	{ JB | D64, 0, "loop", "Jb" }, { JB | D64, 0, "jrcxz", "Jb" },
	{ IB, 0, "in", "al,Ib" }, { IB, 0, "in", "eax,Ib" }, { IB, 0, "out", "Ib,al" },
	{ IB, 0, "out", "Ib,eax" },
	{ JZ | D64, 0, "call", "Jz" }, { JZ | D64, 0, "jmp", "Jz" },
	[0xeb] = { JB | D64, 0, "jmp", "Jb" },
	{ __, 0, "in", "al,dx" }, { __, 0, "in", "eax,dx" }, { __, 0, "out", "dx,al" },
	{ __, 0, "out", "dx,eax" },
	[0xf1] = { __, 0, "int1", "" },
	[0xf4] = { __, 0, "hlt", "" }, { __, 0, "cmc", "" },
	{ M | BYTE | A_GRP3, G_3, NULL, "Eb" }, { M | A_GRP3, G_3, NULL, "Ev" },
	{ __, 0, "clc", "" }, { __, 0, "stc", "" }, { __, 0, "cli", "" }, { __, 0, "sti", "" },
	{ __, 0, "cld", "" }, { __, 0, "std", "" },
	{ M | BYTE, G_4, NULL, "Eb" }, { M, G_5, NULL, NULL },
};

/* The 0F map (legacy encoding).  Entries without a name are SIMD; `text` says "0f xx". */
static const struct opdesc map1[256] = {
	[0x00] = { M, G_0F00, NULL, "Ew" }, { M, G_0F01, NULL, "M" }, { M, 0, "lar", "Gv,Ew" },
	{ M, 0, "lsl", "Gv,Ew" },
	[0x05] = { __, 0, "syscall", "" }, { __, 0, "clts", "" }, { __, 0, "sysret", "" },
	{ __, 0, "invd", "" }, { __, 0, "wbinvd", "" },
	[0x0b] = { __, 0, "ud2", "" },
	[0x0d] = { M, 0, "prefetchw", "M" }, { __, 0, "femms", "" }, { MB, 0, "3dnow", "" },
	[0x10 ... 0x17] = { M },
	[0x18] = { M, 0, "prefetch", "M" },
	[0x19 ... 0x1e] = { M, 0, "hint-nop", "Ev" },
	[0x1f] = { M, 0, "nop", "Ev" },
	[0x20 ... 0x23] = { M | A_REGONLY, 0, "mov", "" },
	[0x28 ... 0x2f] = { M },
	[0x30] = { __, 0, "wrmsr", "" }, { __, 0, "rdtsc", "" }, { __, 0, "rdmsr", "" },
	{ __, 0, "rdpmc", "" }, { __, 0, "sysenter", "" }, { __, 0, "sysexit", "" },
	[0x37] = { __, 0, "getsec", "" },
	[0x40 ... 0x4f] = { M, 0, NULL, "Gv,Ev" }, /* cmovcc, named by condition */
	[0x50 ... 0x6f] = { M },
	[0x70 ... 0x73] = { MB },
	[0x74 ... 0x76] = { M },
	[0x77] = { __, 0, "emms", "" },
	[0x78] = { M, 0, "vmread", "Eq,Gq" }, { M, 0, "vmwrite", "Gq,Eq" },
	[0x7c ... 0x7f] = { M },
	[0x80 ... 0x8f] = { JZ | D64, 0, NULL, "Jz" }, /* jcc rel32 */
	[0x90 ... 0x9f] = { M | BYTE, 0, NULL, "Eb" }, /* setcc */
	[0xa0] = { __ | D64, 0, "push", "fs" }, { __ | D64, 0, "pop", "fs" },
	{ __, 0, "cpuid", "" }, { M, 0, "bt", "Ev,Gv" }, { MB, 0, "shld", "Ev,Gv,Ib" },
	{ M, 0, "shld", "Ev,Gv,cl" },
	[0xa8] = { __ | D64, 0, "push", "gs" }, { __ | D64, 0, "pop", "gs" },
	{ __, 0, "rsm", "" }, { M, 0, "bts", "Ev,Gv" }, { MB, 0, "shrd", "Ev,Gv,Ib" },
	{ M, 0, "shrd", "Ev,Gv,cl" }, { M, G_0FAE, NULL, NULL }, { M, 0, "imul", "Gv,Ev" },
	[0xb0] = { M | BYTE, 0, "cmpxchg", "Eb,Gb" }, { M, 0, "cmpxchg", "Ev,Gv" },
	{ M, 0, "lss", "Gv,M" }, { M, 0, "btr", "Ev,Gv" }, { M, 0, "lfs", "Gv,M" },
	{ M, 0, "lgs", "Gv,M" }, { M, 0, "movzx", "Gv,Eb" }, { M, 0, "movzx", "Gv,Ew" },
	{ M, 0, "popcnt", "Gv,Ev" }, { M, 0, "ud1", "Gv,Ev" }, { MB, G_0FBA, NULL, "Ev,Ib" },
	{ M, 0, "btc", "Ev,Gv" }, { M, 0, "bsf", "Gv,Ev" }, { M, 0, "bsr", "Gv,Ev" },
	{ M, 0, "movsx", "Gv,Eb" }, { M, 0, "movsx", "Gv,Ew" },
	[0xc0] = { M | BYTE, 0, "xadd", "Eb,Gb" }, { M, 0, "xadd", "Ev,Gv" }, { MB }, { M },
	{ MB }, { MB }, { MB }, { M, G_0FC7, NULL, NULL },
	[0xc8 ... 0xcf] = { __, 0, "bswap", "Zv" },
	[0xd0 ... 0xfe] = { M },
	[0xff] = { M, 0, "ud0", "Gv,Ev" },
};

#undef __
#undef M
#undef MB
#undef MZ
#undef IB
#undef IZ
#undef JB
#undef JZ
#undef BYTE
#undef D64

static const char *const cc_names[16] = { "o", "no", "b", "ae", "e", "ne", "be", "a",
					  "s", "ns", "p", "np", "l", "ge", "le", "g" };

/* The instructions the VEX/EVEX 0F map gives an imm8: the same as in the legacy map. */
static bool vex_map1_has_ib(uint8_t op)
{
	return (op >= 0x70 && op <= 0x73) || op == 0xc2 || (op >= 0xc4 && op <= 0xc6);
}

/*
 * The kernel's view of an instruction, for modelling arch_uprobe_analyze_insn():
 * arch/x86/lib/insn.c puts the byte after a VEX/EVEX prefix in opcode.bytes[0] with
 * nbytes = 1, and 0F / 0F 38 / 0F 3A in bytes[] with nbytes 2 or 3.
 */
struct kview {
	uint8_t op1, op2, nbytes;
	uint8_t legacy[15]; /* legacy prefix bytes, in order */
	uint8_t nlegacy;
	uint8_t nrex;
	bool xop;
};

/*
 * Good-instruction tables of arch/x86/kernel/uprobes.c (good_insns_64, good_2byte_insns),
 * copied row by row in the kernel's own layout so that they can be checked against it by
 * eye: one row per high nibble, one bit per low nibble.  0F itself is "good" in the 64-bit
 * table, so good_2byte_insns is never consulted for 64-bit tasks; it is kept for fidelity.
 */
#define KROW(b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, ba, bb, bc, bd, be, bf)                     \
	(uint16_t)((b0 << 0x0) | (b1 << 0x1) | (b2 << 0x2) | (b3 << 0x3) | (b4 << 0x4) |         \
		   (b5 << 0x5) | (b6 << 0x6) | (b7 << 0x7) | (b8 << 0x8) | (b9 << 0x9) |         \
		   (ba << 0xa) | (bb << 0xb) | (bc << 0xc) | (bd << 0xd) | (be << 0xe) |         \
		   (bf << 0xf))

static const uint16_t good_insns_64[16] = {
	/*    0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f */
	KROW(1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 1), /* 00 */
	KROW(1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0), /* 10 */
	KROW(1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0), /* 20 */
	KROW(1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0), /* 30 */
	KROW(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), /* 40 */
	KROW(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), /* 50 */
	KROW(0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0), /* 60 */
	KROW(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), /* 70 */
	KROW(1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), /* 80 */
	KROW(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1), /* 90 */
	KROW(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), /* a0 */
	KROW(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), /* b0 */
	KROW(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0), /* c0 */
	KROW(1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1), /* d0 */
	KROW(1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0), /* e0 */
	KROW(1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1), /* f0 */
};

static const uint16_t good_2byte_insns[16] = {
	/*    0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f */
	KROW(0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 1), /* 00 */
	KROW(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), /* 10 */
	KROW(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), /* 20 */
	KROW(0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1), /* 30 */
	KROW(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), /* 40 */
	KROW(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), /* 50 */
	KROW(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), /* 60 */
	KROW(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1), /* 70 */
	KROW(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), /* 80 */
	KROW(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), /* 90 */
	KROW(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1), /* a0 */
	KROW(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), /* b0 */
	KROW(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), /* c0 */
	KROW(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), /* d0 */
	KROW(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), /* e0 */
	KROW(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), /* f0 */
};

#undef KROW

static bool test_bit8(const uint16_t *rows, uint8_t b)
{
	return rows[b >> 4] & (1u << (b & 15));
}

/*
 * x86_nops[] of arch/x86/kernel/alternative.c for 64-bit kernels (ASM_NOP_MAX 11).
 * NOP9-11 start with a CS prefix, which uprobe_init_insn() refuses before the emulation
 * check is reached, so in practice only the first eight matter.
 */
static const uint8_t kernel_nops[12][11] = {
	[1] = { 0x90 },
	[2] = { 0x66, 0x90 },
	[3] = { 0x0f, 0x1f, 0x00 },
	[4] = { 0x0f, 0x1f, 0x40, 0x00 },
	[5] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	[6] = { 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	[7] = { 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
	[8] = { 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
	[9] = { 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
	[10] = { 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
	[11] = { 0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
};

static bool is_cond_jmp_opcode(uint8_t op)
{
	return op >= 0x70 && op <= 0x7f;
}

/*
 * Models arch_uprobe_analyze_insn() of Linux 6.18, arch/x86/kernel/uprobes.c (read in
 * gregkh/linux at 663efc5aac21, the 6.18 state: nop5 optimisation present, insn_is_nop()
 * not yet unified):
 *
 * - uprobe_init_insn() refuses ES/CS/SS/DS/LOCK prefixes (is_prefix_bad()), mov to SS
 *   (insn_masking_exception()), and opcodes missing from good_insns_64.
 * - branch_setup_xol_ops() emulates: an instruction whose bytes equal x86_nops[len]
 *   (since 6.16); opcode 0x90 with any prefixes ("prefix* + nop"); jmp rel8/rel32
 *   (EB, E9); call rel32 (E8); jcc rel8 (70-7F) and rel32 (0F 80-8F).  A branch with a
 *   66 prefix is refused (-ENOTSUPP), so no uprobe can be placed on it at all.  The
 *   checks look only at opcode.bytes[0], so REX and F2 (bnd) prefixes are accepted, and a
 *   VEX instruction whose opcode byte is 90, 70-7F or E8-EB is taken for one of these too:
 *   a kernel quirk we mirror rather than judge.
 * - push_setup_xol_ops() emulates push r64: 50-57 alone, or with exactly the REX prefix
 *   41 (r8-r15) and nothing else.  Any other prefix (48, 66) means single-stepping.
 *
 * Everything else is single-stepped out of line (two traps).  Not modelled: the kernel's
 * own decoder refusing VEX/EVEX opcodes it does not know (-ENOEXEC).  Linux 6.19 replaces
 * the NOP checks with insn_is_nop() (tip commit 8a5c6cbfe4a3, "x86/insn,uprobes,alternative:
 * Unify insn_is_nop()", merged after 6.18-rc1), which no longer takes REX.B 90 (xchg) or
 * F3 90 (pause) but adds mov %reg,%reg and lea 0(%reg),%reg.
 */
static void kernel_model(struct gmt_insn *in, const uint8_t *bytes, const struct kview *kv)
{
	uint8_t op = kv->op1;
	bool vex = in->pfx & (GMT_PFX_VEX | GMT_PFX_EVEX);
	bool branch = false;

	in->uprobe_ok = false;
	in->emulated = false;
	in->misemulated = false;
	if (kv->xop)
		return;
	for (int i = 0; i < kv->nlegacy; i++) {
		switch (kv->legacy[i]) {
		case 0x26:
		case 0x2e:
		case 0x36:
		case 0x3e:
		case 0xf0:
			return;
		}
	}
	/* insn_masking_exception(): mov to SS (8E /2); pop SS (17) is invalid in 64-bit. */
	if (kv->nbytes == 1 && !(in->pfx & (GMT_PFX_VEX | GMT_PFX_EVEX)) && op == 0x8e &&
	    ((in->modrm >> 3) & 7) == 2)
		return;
	if (!test_bit8(good_insns_64, op) &&
	    !(kv->nbytes == 2 && test_bit8(good_2byte_insns, kv->op2)))
		return;
	in->uprobe_ok = true;

	if (in->len <= 11 && !memcmp(bytes, kernel_nops[in->len], in->len)) {
		in->emulated = true;
		return;
	}
	switch (op) {
	case 0xeb:
	case 0xe9:
	case 0xe8:
		branch = true;
		break;
	case 0x90:
		/* xchg %r8,%rax (REX.B) and VEX kmov are skipped as if they were nops */
		in->emulated = true;
		in->misemulated = vex || (in->rex & 1);
		return;
	case 0x0f:
		branch = kv->nbytes == 2 && is_cond_jmp_opcode((uint8_t)(kv->op2 - 0x10));
		break;
	default:
		branch = is_cond_jmp_opcode(op);
	}
	if (branch) {
		for (int i = 0; i < kv->nlegacy; i++) {
			if (kv->legacy[i] == 0x66) {
				in->uprobe_ok = false;
				return;
			}
		}
		in->emulated = true;
		/* e.g. VEX 74 (vpcmpeqb) "emulated" as je +0, VEX E8 (vpsubsb) as a call */
		in->misemulated = vex;
		return;
	}
	if (op >= 0x50 && op <= 0x57 && kv->nbytes == 1 &&
	    (in->len == 1 || (in->len == 2 && kv->nrex == 1 && bytes[0] == 0x41)))
		in->emulated = true;
}

struct cursor {
	const uint8_t *p;
	size_t lim; /* min(avail, 15): the architectural limit */
	size_t pos;
};

static int get8(struct cursor *c, uint8_t *b)
{
	if (c->pos >= c->lim)
		return -EINVAL;
	*b = c->p[c->pos++];
	return 0;
}

/* Reads n little-endian bytes, sign-extended. */
static int getn(struct cursor *c, unsigned int n, int64_t *val)
{
	uint64_t v = 0;

	if (n == 0) {
		*val = 0;
		return 0;
	}
	if (n > c->lim - c->pos)
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++)
		v |= (uint64_t)c->p[c->pos + i] << (8 * i);
	c->pos += n;
	if (n < 8 && (v >> (8 * n - 1)) & 1)
		v |= ~0ull << (8 * n);
	*val = (int64_t)v;
	return 0;
}

/* Extension bits from REX, VEX, EVEX or XOP, already un-inverted. */
struct ext {
	bool w, r, x, b, r2, v2; /* r2/v2: EVEX.R' and EVEX.V' */
};

static int decode_modrm(struct cursor *c, struct gmt_insn *in, const struct ext *e, bool regonly,
			bool evex)
{
	uint8_t mod, rm;
	int64_t disp = 0;

	if (get8(c, &in->modrm))
		return -EINVAL;
	in->has_modrm = true;
	mod = in->modrm >> 6;
	rm = in->modrm & 7;
	in->reg = ((in->modrm >> 3) & 7) | (e->r << 3) | (e->r2 << 4);
	in->base = GMT_REG_NONE;
	in->index = GMT_REG_NONE;
	in->scale = 1;
	if (mod == 3 || regonly) {
		/* EVEX.X extends r/m to 32 vector registers when r/m is a register. */
		in->rm = rm | (e->b << 3) | ((evex && e->x) << 4);
		return 0;
	}
	in->mem = true;
	if (rm == 4) {
		uint8_t sib, idx;

		if (get8(c, &sib))
			return -EINVAL;
		idx = ((sib >> 3) & 7) | (e->x << 3);
		in->scale = 1 << (sib >> 6);
		if (idx != 4) /* rsp cannot be an index: 100 means none (r12 can) */
			in->index = idx;
		if ((sib & 7) == 5 && mod == 0)
			in->disp_len = 4; /* no base, disp32 */
		else
			in->base = (sib & 7) | (e->b << 3);
	} else if (rm == 5 && mod == 0) {
		in->rip_rel = true;
		in->disp_len = 4;
	} else {
		in->base = rm | (e->b << 3);
	}
	if (mod == 1)
		in->disp_len = 1;
	else if (mod == 2)
		in->disp_len = 4;
	if (getn(c, in->disp_len, &disp))
		return -EINVAL;
	in->disp = (int32_t)disp;
	return 0;
}

/* Appends one operand of a template to buf. */
static void put_operand(char *buf, size_t size, const char *tok, size_t toklen,
			const struct gmt_insn *in, uint16_t attr)
{
	size_t n = strlen(buf);
	char kind = tok[0], sz = toklen > 1 ? tok[1] : 0;
	unsigned int bits;

	if (toklen == 3 && !memcmp(tok, "rAX", 3)) {
		static const char *const acc[9] = { [2] = "ax", [4] = "eax", [8] = "rax" };

		snprintf(buf + n, size - n, "%s", acc[in->opsize] ? acc[in->opsize] : "rax");
		return;
	}
	if (toklen > 2 || !strchr("EGMZIJOS", kind)) {
		snprintf(buf + n, size - n, "%.*s", (int)toklen, tok);
		return;
	}
	if (sz == '*')
		sz = attr & A_BYTE ? 'b' : (kind == 'I' ? 'z' : 'v');
	switch (sz) {
	case 'b':
		bits = 8;
		break;
	case 'w':
		bits = 16;
		break;
	case 'd':
		bits = 32;
		break;
	case 'q':
		bits = in->opsize == 2 ? 16 : 64;
		break;
	case 'z':
		bits = in->opsize == 2 ? 16 : 32;
		break;
	default:
		bits = in->opsize * 8;
	}
	switch (kind) {
	case 'E':
		snprintf(buf + n, size - n, "%c%u", in->mem ? 'm' : 'r', bits);
		break;
	case 'M':
		snprintf(buf + n, size - n, "m");
		break;
	case 'G':
	case 'Z':
		snprintf(buf + n, size - n, "r%u", bits);
		break;
	case 'I':
		snprintf(buf + n, size - n, "imm%u", sz == 'v' ? in->imm_len * 8 : bits);
		break;
	case 'J':
		snprintf(buf + n, size - n, "rel%u", in->imm_len * 8);
		break;
	case 'O':
		snprintf(buf + n, size - n, "moffs%u", bits);
		break;
	case 'S':
		snprintf(buf + n, size - n, "sreg");
		break;
	}
}

/* "a/b/c" names pick the variant for 16/32/64-bit operands. */
/* "a/b/c" names pick the variant for 16/32/64-bit operands. */
static void put_name(char *buf, size_t size, const char *name, const struct gmt_insn *in)
{
	const char *s = name, *slash = strchr(name, '/');
	int want = in->opsize == 2 ? 0 : in->opsize == 4 ? 1 : 2;

	if (slash && strchr(slash + 1, '/')) {
		for (int i = 0; i < want && (slash = strchr(s, '/')); i++)
			s = slash + 1;
		snprintf(buf, size, "%.*s", (int)strcspn(s, "/"), s);
		return;
	}
	snprintf(buf, size, "%s", name);
}

/*
 * Names for group encodings whose meaning depends on more than ModRM.reg: register forms
 * of 0F 01 and 0F AE are different instructions from their memory forms (xgetbv is not
 * lgdt).  NULL leaves the text as the bare opcode.
 */
static const char *group_special(const struct gmt_insn *in, int grp, const char *name,
				 const char **ops)
{
	static const char *const fsgs[4] = { "rdfsbase", "rdgsbase", "wrfsbase", "wrgsbase" };
	uint8_t reg = (in->modrm >> 3) & 7;

	if (grp == G_0FC7 && reg == 1 && in->opsize == 8)
		return "cmpxchg16b";
	if (in->mem)
		return name;
	if (grp == G_0F01) {
		*ops = "";
		switch (in->modrm) {
		case 0xd0:
			return "xgetbv";
		case 0xd1:
			return "xsetbv";
		case 0xd5:
			return "xend";
		case 0xd6:
			return "xtest";
		case 0xf8:
			return "swapgs";
		case 0xf9:
			return "rdtscp";
		}
		return NULL;
	}
	if (grp == G_0FAE) {
		*ops = "";
		if (reg >= 5 && !(in->pfx & (GMT_PFX_OPSIZE | GMT_PFX_REP | GMT_PFX_REPNE)))
			return reg == 5 ? "lfence" : reg == 6 ? "mfence" : "sfence";
		if (reg <= 3 && (in->pfx & GMT_PFX_REP)) {
			*ops = "Ev";
			return fsgs[reg];
		}
		return NULL;
	}
	return name;
}

static void insn_text(struct gmt_insn *in, const struct opdesc *d, const char *grpname,
		      const char *ops)
{
	char *buf = in->text;
	size_t size = sizeof(in->text), n;
	const char *pre = "";
	bool bare = false;

	buf[0] = 0;
	if (in->pfx & (GMT_PFX_VEX | GMT_PFX_EVEX | GMT_PFX_XOP)) {
		static const char *const maps[] = { "", "0f", "0f38", "0f3a", "map4", "map5",
						    "map6", "map7", "8", "9", "a" };
		const char *kind = in->pfx & GMT_PFX_VEX ? "vex" : in->pfx & GMT_PFX_EVEX ? "evex"
											: "xop";

		snprintf(buf, size, "%s.%s %02x", kind, in->opmap < 11 ? maps[in->opmap] : "?",
			 in->opcode);
		return;
	}
	if ((in->pfx & GMT_PFX_LOCK))
		pre = "lock ";
	else if (in->opmap == 0 && (in->pfx & GMT_PFX_REP) &&
		 ((in->opcode >= 0xa4 && in->opcode <= 0xaf) || in->opcode == 0x6c ||
		  in->opcode == 0x6d || in->opcode == 0x6e || in->opcode == 0x6f ||
		  in->opcode == 0xc3))
		pre = "rep ";
	snprintf(buf, size, "%s", pre);
	n = strlen(buf);

	if (in->opmap == 0 && in->opcode >= 0x70 && in->opcode <= 0x7f)
		snprintf(buf + n, size - n, "j%s", cc_names[in->cond]);
	else if (in->opmap == 1 && in->opcode >= 0x80 && in->opcode <= 0x8f)
		snprintf(buf + n, size - n, "j%s", cc_names[in->cond]);
	else if (in->opmap == 1 && in->opcode >= 0x40 && in->opcode <= 0x4f)
		snprintf(buf + n, size - n, "cmov%s", cc_names[in->opcode & 15]);
	else if (in->opmap == 1 && in->opcode >= 0x90 && in->opcode <= 0x9f)
		snprintf(buf + n, size - n, "set%s", cc_names[in->opcode & 15]);
	else if (in->opmap == 0 && in->opcode == 0x90 && (in->rex & 1))
		snprintf(buf + n, size - n, "xchg"), ops = "Zv,rAX";
	else if (in->opmap == 0 && in->opcode == 0x90 && (in->pfx & GMT_PFX_REP))
		snprintf(buf + n, size - n, "pause");
	else if (in->opmap == 1 && in->opcode == 0x1e && (in->pfx & GMT_PFX_REP) &&
		 in->modrm == 0xfa)
		snprintf(buf + n, size - n, "endbr64"), ops = "";
	else if (grpname)
		put_name(buf + n, size - n, grpname, in);
	else if (d && d->name)
		put_name(buf + n, size - n, d->name, in);
	else if (in->opmap == 0)
		snprintf(buf + n, size - n, "%02x", in->opcode), bare = true;
	else
		snprintf(buf + n, size - n, "%s %02x",
			 in->opmap == 1 ? "0f" : in->opmap == 2 ? "0f38" : "0f3a", in->opcode),
			bare = true;
	/* A bare opcode number has no operand template worth showing. */
	if (bare || !ops || !*ops)
		return;
	n = strlen(buf);
	snprintf(buf + n, size - n, " ");
	while (*ops) {
		size_t len = strcspn(ops, ",");

		put_operand(buf, size, ops, len, in, d ? d->attr : 0);
		ops += len;
		if (*ops == ',') {
			n = strlen(buf);
			snprintf(buf + n, size - n, ",");
			ops++;
		}
	}
}

static void classify(struct gmt_insn *in)
{
	uint8_t op = in->opcode, reg = (in->modrm >> 3) & 7;

	if (in->pfx & (GMT_PFX_VEX | GMT_PFX_EVEX | GMT_PFX_XOP))
		return;
	if (in->opmap == 0) {
		if (op >= 0x70 && op <= 0x7f) {
			in->kind = GMT_INSN_JCC;
			in->cond = op & 15;
		} else if (op == 0xeb || op == 0xe9) {
			in->kind = GMT_INSN_JMP;
		} else if (op == 0xe8) {
			in->kind = GMT_INSN_CALL;
		} else if (op == 0xc3 || op == 0xc2) {
			in->kind = GMT_INSN_RET;
		} else if (op >= 0x50 && op <= 0x57 && !(in->pfx & GMT_PFX_OPSIZE)) {
			in->kind = GMT_INSN_PUSH;
		} else if (op == 0x90 && !(in->rex & 1) && !(in->pfx & GMT_PFX_REP)) {
			in->kind = GMT_INSN_NOP; /* not xchg %r8,%rax, not pause */
		} else if (op == 0xcc) {
			in->kind = GMT_INSN_INT3;
		} else if (op == 0xff && reg == 2) {
			in->kind = GMT_INSN_CALL_IND;
		} else if (op == 0xff && reg == 4) {
			in->kind = GMT_INSN_JMP_IND;
		}
	} else if (in->opmap == 1) {
		if (op >= 0x80 && op <= 0x8f) {
			in->kind = GMT_INSN_JCC;
			in->cond = op & 15;
		} else if (op == 0x1f && reg == 0) {
			in->kind = GMT_INSN_NOP;
		} else if (op == 0x0b || op == 0xb9 || op == 0xff) {
			in->kind = GMT_INSN_UD;
		}
	}
}

int gmt_x86_decode(const uint8_t *code, size_t avail, uint64_t vaddr, struct gmt_insn *insn)
{
	struct cursor c = { .p = code, .lim = avail < 15 ? avail : 15 };
	struct gmt_insn in = { .vaddr = vaddr, .base = GMT_REG_NONE, .index = GMT_REG_NONE };
	struct kview kv = { 0 };
	struct ext e = { 0 };
	const struct opdesc *d = NULL;
	const char *grpname = NULL, *ops = NULL;
	uint16_t attr;
	uint8_t b, rex = 0;
	int64_t imm = 0;
	bool evex = false;

	if (!code || !insn)
		return -EINVAL;

	/* Legacy prefixes and REX.  A REX counts only right before the opcode. */
	for (;;) {
		if (get8(&c, &b))
			return -EINVAL;
		if (b >= 0x40 && b <= 0x4f) {
			rex = b;
			kv.nrex++;
			continue;
		}
		switch (b) {
		case 0x66:
			in.pfx |= GMT_PFX_OPSIZE;
			break;
		case 0x67:
			in.pfx |= GMT_PFX_ADSIZE;
			break;
		case 0xf2:
			in.pfx = (in.pfx & ~GMT_PFX_REP) | GMT_PFX_REPNE;
			break;
		case 0xf3:
			in.pfx = (in.pfx & ~GMT_PFX_REPNE) | GMT_PFX_REP;
			break;
		case 0xf0:
			in.pfx |= GMT_PFX_LOCK;
			break;
		case 0x26:
		case 0x2e:
		case 0x36:
		case 0x3e:
			in.pfx |= GMT_PFX_SEG;
			break;
		case 0x64:
			in.pfx |= GMT_PFX_FS;
			break;
		case 0x65:
			in.pfx |= GMT_PFX_GS;
			break;
		default:
			goto opcode;
		}
		kv.legacy[kv.nlegacy++] = b;
		rex = 0;
	}

opcode:
	if (rex) {
		in.pfx |= GMT_PFX_REX;
		in.rex = rex;
		e.w = rex & 8;
		e.r = rex & 4;
		e.x = rex & 2;
		e.b = rex & 1;
	}
	kv.op1 = b;
	kv.nbytes = 1;

	if (b == 0xc4 || b == 0xc5 || b == 0x62 ||
	    (b == 0x8f && c.pos < c.lim && (c.p[c.pos] & 0x1f) >= 8)) {
		uint8_t p0, p1 = 0, p2 = 0, pp;

		/* In 64-bit mode these bytes are always VEX / EVEX / XOP prefixes. */
		if (rex || (in.pfx & (GMT_PFX_OPSIZE | GMT_PFX_REP | GMT_PFX_REPNE | GMT_PFX_LOCK)))
			return -EINVAL;
		if (get8(&c, &p0))
			return -EINVAL;
		if (b == 0xc5) {
			in.pfx |= GMT_PFX_VEX;
			in.opmap = 1;
			e.r = !(p0 & 0x80);
			pp = p0 & 3;
		} else {
			if (get8(&c, &p1))
				return -EINVAL;
			e.r = !(p0 & 0x80);
			e.x = !(p0 & 0x40);
			e.b = !(p0 & 0x20);
			e.w = p1 & 0x80;
			pp = p1 & 3;
			if (b == 0xc4) {
				in.pfx |= GMT_PFX_VEX;
				in.opmap = p0 & 0x1f;
				if (in.opmap < 1 || in.opmap > 3)
					return -EINVAL;
			} else if (b == 0x8f) {
				in.pfx |= GMT_PFX_XOP;
				in.opmap = p0 & 0x1f;
				kv.xop = true;
				if (in.opmap > 10)
					return -EINVAL;
			} else {
				in.pfx |= GMT_PFX_EVEX;
				evex = true;
				in.opmap = p0 & 7;
				/* P0 bit 3 must be 0 and P1 bit 2 must be 1 (AVX-512). */
				if ((p0 & 0x08) || !(p1 & 0x04) || in.opmap == 0 ||
				    in.opmap == 4 || in.opmap == 7)
					return -EINVAL;
				if (get8(&c, &p2))
					return -EINVAL;
				e.r2 = !(p0 & 0x10);
				e.v2 = !(p2 & 0x08);
			}
		}
		if (pp == 1)
			in.pfx |= GMT_PFX_OPSIZE;
		else if (pp == 2)
			in.pfx |= GMT_PFX_REP;
		else if (pp == 3)
			in.pfx |= GMT_PFX_REPNE;
		if (get8(&c, &in.opcode))
			return -EINVAL;
		kv.op1 = in.opcode;
		attr = A_VALID | A_MODRM;
		if (in.pfx & GMT_PFX_XOP) {
			if (in.opmap == 8)
				attr |= A_IB;
			else if (in.opmap == 10)
				attr |= A_ID;
		} else if (in.opmap == 3) {
			attr |= A_IB;
		} else if (in.opmap == 1 && vex_map1_has_ib(in.opcode)) {
			attr |= A_IB;
		} else if (in.opmap == 1 && in.opcode == 0x77 && !evex) {
			attr = A_VALID; /* vzeroupper / vzeroall */
		}
	} else if (b == 0x0f) {
		if (get8(&c, &b))
			return -EINVAL;
		kv.op2 = b;
		kv.nbytes = 2;
		if (b == 0x38 || b == 0x3a) {
			in.opmap = b == 0x38 ? 2 : 3;
			kv.nbytes = 3;
			if (get8(&c, &in.opcode))
				return -EINVAL;
			attr = A_VALID | A_MODRM | (b == 0x3a ? A_IB : 0);
		} else {
			in.opmap = 1;
			in.opcode = b;
			d = &map1[b];
			attr = d->attr;
		}
	} else {
		in.opmap = 0;
		in.opcode = b;
		d = &map0[b];
		attr = d->attr;
	}
	if (!(attr & A_VALID))
		return -EINVAL;

	if (attr & A_BYTE)
		in.opsize = 1;
	else if (e.w)
		in.opsize = 8;
	else if (in.pfx & GMT_PFX_OPSIZE)
		in.opsize = 2;
	else
		in.opsize = attr & A_D64 ? 8 : 4;

	if ((attr & A_MODRM) && decode_modrm(&c, &in, &e, attr & A_REGONLY, evex))
		return -EINVAL;
	ops = d ? d->ops : NULL;
	if (d && d->grp) {
		const struct grpdesc *g = &groups[d->grp][(in.modrm >> 3) & 7];

		if (!g->name)
			return -EINVAL;
		/* xabort (C6 F8 ib) and xbegin (C7 F8 rel) are the only /7 forms. */
		if (d->grp == G_11 && ((in.modrm >> 3) & 7) == 7) {
			if (in.modrm != 0xf8)
				return -EINVAL;
			grpname = in.opcode == 0xc6 ? "xabort" : "xbegin";
			ops = in.opcode == 0xc6 ? "Ib" : "Jz";
		} else {
			if (g->ops)
				ops = g->ops;
			grpname = group_special(&in, d->grp, g->name, &ops);
		}
	}

	if (attr & A_IB)
		in.imm_len = 1;
	if (attr & A_IW)
		in.imm_len = 2;
	if (attr & A_IZ)
		in.imm_len = in.opsize == 2 ? 2 : 4;
	if (attr & A_ID)
		in.imm_len = 4;
	if (attr & A_IV)
		in.imm_len = in.opsize;
	if (attr & A_JB)
		in.imm_len = 1;
	/* REX.W overrides 66: the `data16 data16 rex.W call` of the TLS descriptor sequence. */
	if (attr & A_JZ)
		in.imm_len = in.opsize == 2 ? 2 : 4;
	if (attr & A_MOFFS)
		in.imm_len = (in.pfx & GMT_PFX_ADSIZE) ? 4 : 8;
	if ((attr & A_GRP3) && ((in.modrm >> 3) & 7) <= 1)
		in.imm_len = (attr & A_BYTE) ? 1 : in.opsize == 2 ? 2 : 4;
	/* AMD SSE4a extrq / insertq: 66 / F2 0F 78 carry two imm8 (length and index). */
	if (in.opmap == 1 && in.opcode == 0x78 && !(in.pfx & (GMT_PFX_VEX | GMT_PFX_EVEX)) &&
	    (in.pfx & (GMT_PFX_OPSIZE | GMT_PFX_REPNE))) {
		in.imm_len = 2;
		ops = "";
	}
	if (getn(&c, in.imm_len, &imm))
		return -EINVAL;
	/* enter: imm16 then imm8; only the first is kept. */
	if ((attr & A_IW) && (attr & A_IB)) {
		int64_t ib;

		imm &= 0xffff;
		if (getn(&c, 1, &ib))
			return -EINVAL;
		in.imm_len = 3;
	} else if ((attr & (A_IW | A_IV)) || in.imm_len == 8) {
		/* ret imm16 is unsigned; movabs keeps all 64 bits as read. */
		if (attr & A_IW)
			imm &= 0xffff;
	}
	in.imm = imm;
	in.len = (uint8_t)c.pos;

	if (in.rip_rel) {
		uint64_t t = vaddr + in.len + (int64_t)in.disp;

		in.mem_target = (in.pfx & GMT_PFX_ADSIZE) ? (uint32_t)t : t;
	}
	if ((attr & (A_JB | A_JZ)) ||
	    (in.opmap == 0 && in.opcode == 0xc7 && grpname && !strcmp(grpname, "xbegin"))) {
		uint64_t t = vaddr + in.len + (uint64_t)imm;

		in.branch_target = in.imm_len == 2 ? (uint16_t)t : t;
	}

	classify(&in);
	kernel_model(&in, code, &kv);
	insn_text(&in, d, grpname, ops);
	*insn = in;
	return in.len;
}
