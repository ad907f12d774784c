// SPDX-License-Identifier: MIT
/*
 * Tests of the x86-64 decoder and of the probe-site choice.
 *
 * Oracles: GNU objdump for instruction boundaries, branch and RIP-relative targets over
 * the whole .text of every fixture version; `go tool objdump` for the stack-check jbe and
 * the RET instructions of the functions gomemtrace hooks; hand-assembled encodings for
 * what the kernel emulates (checked against Linux 6.18 arch/x86/kernel/uprobes.c).
 * Robustness runs with the bytes placed right before a PROT_NONE page, so that any read
 * past `avail` faults even without a sanitizer.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elf_file.h"
#include "probesite.h"
#include "testutil.h"
#include "x86dec.h"

/* ---------------------------------------------------------------------------------------- */
/* Helpers */

/* A buffer whose last byte sits right before an inaccessible page. */
struct guard {
	uint8_t *base;
	size_t page;
};

static void guard_init(struct guard *g)
{
	g->page = (size_t)sysconf(_SC_PAGESIZE);
	g->base = mmap(NULL, 2 * g->page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	cr_assert_neq(g->base, MAP_FAILED, "guard pages mapped");
	cr_assert_eq(mprotect(g->base + g->page, g->page, PROT_NONE), 0, "guard page protected");
}

/* Copies len bytes so that they end at the guard page; returns where they start. */
static const uint8_t *guard_put(struct guard *g, const uint8_t *bytes, size_t len)
{
	uint8_t *p = g->base + g->page - len;

	cr_assert_leq(len, g->page);
	memcpy(p, bytes, len);
	return p;
}

static void guard_free(struct guard *g)
{
	munmap(g->base, 2 * g->page);
}

/* splitmix64: deterministic, and its state lives with the caller. */
static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void hex(char *buf, size_t size, const uint8_t *p, size_t n)
{
	size_t o = 0;

	buf[0] = 0;
	for (size_t i = 0; i < n && o + 4 < size; i++)
		o += snprintf(buf + o, size - o, "%s%02x", i ? " " : "", p[i]);
}

struct text {
	struct gmt_elf *elf;
	const struct gmt_elf_sec *sec;
	const uint8_t *data;
};

static void open_text(const char *path, struct text *t)
{
	struct gmt_diag d = {};

	cr_assert_eq(gmt_elf__open(path, &t->elf, &d), 0, "%s opens: %s", path, d.msg);
	t->sec = gmt_elf__sec_by_name(t->elf, ".text");
	cr_assert_not_null(t->sec, "%s has .text", path);
	t->data = gmt_elf__sec_data(t->elf, t->sec);
	cr_assert_not_null(t->data, "%s: .text is in the file", path);
}

/* ---------------------------------------------------------------------------------------- */
/* Hand-assembled encodings */

struct enc {
	const char *what;
	uint8_t b[16];
	int blen;		/* bytes given to the decoder */
	int len;		/* expected length, or -EINVAL */
	enum gmt_insn_kind kind;
	int emulated;		/* -1: do not check */
	int uprobe_ok;		/* -1: do not check */
	const char *text;	/* NULL: do not check */
};

#define VADDR 0x400000ull

static const struct enc encs[] = {
	/* The Go prologue and what the kernel emulates (Linux 6.18 branch_setup_xol_ops()) */
	{ "cmp 0x10(%r14),%rsp", { 0x49, 0x3b, 0x66, 0x10 }, 4, 4, GMT_INSN_OTHER, 0, 1,
	  "cmp r64,m64" },
	{ "jbe rel32", { 0x0f, 0x86, 0xbe, 0x08, 0, 0 }, 6, 6, GMT_INSN_JCC, 1, 1, "jbe rel32" },
	{ "jbe rel8", { 0x76, 0x40 }, 2, 2, GMT_INSN_JCC, 1, 1, "jbe rel8" },
	{ "jb rel8", { 0x72, 0x05 }, 2, 2, GMT_INSN_JCC, 1, 1, "jb rel8" },
	{ "rex.W jcc rel32 (REX is not a legacy prefix)", { 0x48, 0x0f, 0x84, 0, 0, 0, 0 }, 7, 7,
	  GMT_INSN_JCC, 1, 1, NULL },
	{ "call rel32", { 0xe8, 1, 2, 3, 4 }, 5, 5, GMT_INSN_CALL, 1, 1, "call rel32" },
	{ "jmp rel32", { 0xe9, 1, 2, 3, 4 }, 5, 5, GMT_INSN_JMP, 1, 1, "jmp rel32" },
	{ "jmp rel8", { 0xeb, 0xfe }, 2, 2, GMT_INSN_JMP, 1, 1, "jmp rel8" },
	{ "bnd jmp rel32 (F2 is accepted)", { 0xf2, 0xe9, 0, 0, 0, 0 }, 6, 6, GMT_INSN_JMP, 1, 1,
	  NULL },
	{ "66 jmp rel16: refused by the kernel", { 0x66, 0xe9, 0x10, 0x00 }, 4, 4, GMT_INSN_JMP,
	  0, 0, NULL },
	{ "66 rex.W call rel32 (REX.W overrides 66)", { 0x66, 0x66, 0x48, 0xe8, 0, 0, 0, 0 }, 8, 8,
	  GMT_INSN_CALL, 0, 0, NULL },
	{ "ds jcc (branch hint): DS prefix refused", { 0x3e, 0x74, 0x02 }, 3, 3, GMT_INSN_JCC, 0,
	  0, NULL },
	{ "push %rbp", { 0x55 }, 1, 1, GMT_INSN_PUSH, 1, 1, "push r64" },
	{ "push %r12 (REX 41 only)", { 0x41, 0x54 }, 2, 2, GMT_INSN_PUSH, 1, 1, NULL },
	{ "rex.W push %rbp: single-stepped", { 0x48, 0x55 }, 2, 2, GMT_INSN_PUSH, 0, 1, NULL },
	{ "push %r12 with REX.WB: single-stepped", { 0x49, 0x54 }, 2, 2, GMT_INSN_PUSH, 0, 1,
	  NULL },
	{ "pushw %bp: single-stepped", { 0x66, 0x55 }, 2, 2, GMT_INSN_OTHER, 0, 1, NULL },
	{ "nop", { 0x90 }, 1, 1, GMT_INSN_NOP, 1, 1, "nop" },
	{ "xchg %ax,%ax (NOP2)", { 0x66, 0x90 }, 2, 2, GMT_INSN_NOP, 1, 1, NULL },
	{ "pause: emulated as nop in 6.18", { 0xf3, 0x90 }, 2, 2, GMT_INSN_OTHER, 1, 1, "pause" },
	{ "xchg %r8,%rax: emulated as nop in 6.18", { 0x41, 0x90 }, 2, 2, GMT_INSN_OTHER, 1, 1,
	  NULL },
	{ "NOP3", { 0x0f, 0x1f, 0x00 }, 3, 3, GMT_INSN_NOP, 1, 1, NULL },
	{ "NOP4", { 0x0f, 0x1f, 0x40, 0x00 }, 4, 4, GMT_INSN_NOP, 1, 1, NULL },
	{ "NOP5", { 0x0f, 0x1f, 0x44, 0x00, 0x00 }, 5, 5, GMT_INSN_NOP, 1, 1, NULL },
	{ "NOP6", { 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 }, 6, 6, GMT_INSN_NOP, 1, 1, NULL },
	{ "NOP7", { 0x0f, 0x1f, 0x80, 0, 0, 0, 0 }, 7, 7, GMT_INSN_NOP, 1, 1, NULL },
	{ "NOP8", { 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0 }, 8, 8, GMT_INSN_NOP, 1, 1, NULL },
	{ "NOP9 has a CS prefix: refused", { 0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0 }, 9, 9,
	  GMT_INSN_NOP, 0, 0, NULL },
	{ "nopl 1(%rax): not an x86_nops[] pattern", { 0x0f, 0x1f, 0x40, 0x01 }, 4, 4,
	  GMT_INSN_NOP, 0, 1, NULL },
	{ "nopw 0(%rax,%rax) in 9 bytes: not x86_nops[9]",
	  { 0x66, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0 }, 9, 9, GMT_INSN_NOP, 0, 1, NULL },
	{ "ret", { 0xc3 }, 1, 1, GMT_INSN_RET, 0, 1, "ret" },
	{ "ret $8", { 0xc2, 0x08, 0x00 }, 3, 3, GMT_INSN_RET, 0, 1, NULL },
	{ "rep ret", { 0xf3, 0xc3 }, 2, 2, GMT_INSN_RET, 0, 1, NULL },
	{ "int3: refused", { 0xcc }, 1, 1, GMT_INSN_INT3, 0, 0, "int3" },
	{ "ud2", { 0x0f, 0x0b }, 2, 2, GMT_INSN_UD, 0, 1, "ud2" },
	{ "call *%rax", { 0xff, 0xd0 }, 2, 2, GMT_INSN_CALL_IND, 0, 1, NULL },
	{ "jmp *%rax", { 0xff, 0xe0 }, 2, 2, GMT_INSN_JMP_IND, 0, 1, NULL },
	{ "lock cmpxchg: refused", { 0xf0, 0x48, 0x0f, 0xb1, 0x0a }, 5, 5, GMT_INSN_OTHER, 0, 0,
	  NULL },
	{ "mov %fs:-8,%r14", { 0x64, 0x4c, 0x8b, 0x34, 0x25, 0xf8, 0xff, 0xff, 0xff }, 9, 9,
	  GMT_INSN_OTHER, 0, 1, NULL },
	{ "mov %eax,%ss: refused", { 0x8e, 0xd0 }, 2, 2, GMT_INSN_OTHER, 0, 0, NULL },
	{ "syscall (0F is good for 64-bit tasks)", { 0x0f, 0x05 }, 2, 2, GMT_INSN_OTHER, 0, 1,
	  NULL },
	/* Lengths: immediates, displacements, moffs */
	{ "movabs $imm64,%rax", { 0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8 }, 10, 10, GMT_INSN_OTHER, 0,
	  1, NULL },
	{ "mov $imm16,%ax", { 0x66, 0xb8, 1, 2 }, 4, 4, GMT_INSN_OTHER, -1, -1, NULL },
	{ "mov moffs64,%eax", { 0xa1, 1, 2, 3, 4, 5, 6, 7, 8 }, 9, 9, GMT_INSN_OTHER, -1, -1,
	  NULL },
	{ "addr32 mov moffs32,%eax", { 0x67, 0xa1, 1, 2, 3, 4 }, 6, 6, GMT_INSN_OTHER, -1, -1,
	  NULL },
	{ "test $imm32,%eax via F7 /0", { 0xf7, 0xc0, 1, 2, 3, 4 }, 6, 6, GMT_INSN_OTHER, -1, -1,
	  NULL },
	{ "not %eax (F7 /2 has no immediate)", { 0xf7, 0xd0 }, 2, 2, GMT_INSN_OTHER, -1, -1, NULL },
	{ "testb $1,disp32(%rip)", { 0xf6, 0x05, 0, 0, 0, 0, 1 }, 7, 7, GMT_INSN_OTHER, -1, -1,
	  NULL },
	{ "enter $16,$1", { 0xc8, 0x10, 0x00, 0x01 }, 4, 4, GMT_INSN_OTHER, -1, -1, NULL },
	{ "mov $imm32,disp32(%rsp,%rax,8)", { 0xc7, 0x84, 0xc4, 1, 2, 3, 4, 5, 6, 7, 8 }, 11, 11,
	  GMT_INSN_OTHER, -1, -1, NULL },
	{ "lea (,%rax,8) (SIB without base: disp32)", { 0x48, 0x8d, 0x04, 0xc5, 0, 0, 0, 0 }, 8,
	  8, GMT_INSN_OTHER, -1, -1, NULL },
	{ "mov (%r13),%eax (mod 1 disp8, not RIP)", { 0x41, 0x8b, 0x45, 0x00 }, 4, 4,
	  GMT_INSN_OTHER, -1, -1, NULL },
	{ "3DNow! pfadd (suffix opcode)", { 0x0f, 0x0f, 0xc1, 0x9e }, 4, 4, GMT_INSN_OTHER, -1, -1,
	  NULL },
	{ "extrq $4,$8,%xmm0 (two imm8)", { 0x66, 0x0f, 0x78, 0xc0, 0x04, 0x08 }, 6, 6,
	  GMT_INSN_OTHER, -1, -1, NULL },
	{ "pshufd $0,%xmm1,%xmm0", { 0x66, 0x0f, 0x70, 0xc1, 0x00 }, 5, 5, GMT_INSN_OTHER, -1, -1,
	  NULL },
	{ "palignr (0F 3A has imm8)", { 0x66, 0x0f, 0x3a, 0x0f, 0xc1, 0x08 }, 6, 6, GMT_INSN_OTHER,
	  -1, -1, NULL },
	{ "pshufb (0F 38, no imm)", { 0x66, 0x0f, 0x38, 0x00, 0xc1 }, 5, 5, GMT_INSN_OTHER, -1,
	  -1, NULL },
	{ "xbegin rel32", { 0xc7, 0xf8, 0, 0, 0, 0 }, 6, 6, GMT_INSN_OTHER, -1, -1, NULL },
	{ "pop %rax via 8F /0 (not XOP)", { 0x8f, 0xc0 }, 2, 2, GMT_INSN_OTHER, -1, -1, NULL },
	/* VEX, EVEX, XOP */
	/* 6.18 looks only at opcode.bytes[0], which is 77 (ja) here: "emulated" as ja +0 */
	{ "vzeroupper (VEX2, no ModRM)", { 0xc5, 0xf8, 0x77 }, 3, 3, GMT_INSN_OTHER, 1, 1, NULL },
	{ "vmovdqu (%rsi),%ymm0", { 0xc5, 0xfe, 0x6f, 0x06 }, 4, 4, GMT_INSN_OTHER, -1, -1, NULL },
	{ "vinserti128 $1 (VEX3 map 0F3A)", { 0xc4, 0xe3, 0x7d, 0x38, 0xc1, 0x01 }, 6, 6,
	  GMT_INSN_OTHER, -1, -1, NULL },
	{ "vpshufd $0 (VEX 0F 70 has imm8)", { 0xc5, 0xfd, 0x70, 0xc1, 0x00 }, 5, 5,
	  GMT_INSN_OTHER, -1, -1, NULL },
	{ "vmovdqu64 (%rsi),%zmm0 (EVEX)", { 0x62, 0xf1, 0xfe, 0x48, 0x6f, 0x06 }, 6, 6,
	  GMT_INSN_OTHER, -1, -1, NULL },
	{ "vmovdqu64 0x40(%rsi),%zmm1 (EVEX disp8*N)", { 0x62, 0xf1, 0xfe, 0x48, 0x6f, 0x4e, 0x01 },
	  7, 7, GMT_INSN_OTHER, -1, -1, NULL },
	{ "vpternlogd $0xff (EVEX 0F3A imm8)", { 0x62, 0xf3, 0x7d, 0x48, 0x25, 0xc0, 0xff }, 7, 7,
	  GMT_INSN_OTHER, -1, -1, NULL },
	{ "XOP vprotb $1 (map 8, imm8): refused", { 0x8f, 0xe8, 0x78, 0xc0, 0xc1, 0x01 }, 6, 6,
	  GMT_INSN_OTHER, 0, 0, NULL },
	{ "XOP map 9", { 0x8f, 0xe9, 0x78, 0x81, 0xc1 }, 5, 5, GMT_INSN_OTHER, 0, 0, NULL },
	{ "XOP map A (imm32)", { 0x8f, 0xea, 0x78, 0x10, 0xc1, 1, 2, 3, 4 }, 9, 9, GMT_INSN_OTHER,
	  0, 0, NULL },
	/* Prefix limits and undefined encodings */
	{ "14 prefixes + nop = 15 bytes", { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
					     0x66, 0x66, 0x66, 0x66, 0x66, 0x90 },
	  15, 15, GMT_INSN_NOP, -1, -1, NULL },
	{ "15 prefixes + nop > 15 bytes", { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
					     0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x90 },
	  16, -EINVAL },
	{ "REX before a legacy prefix is ignored", { 0x48, 0x66, 0x90 }, 3, 3, GMT_INSN_NOP, -1,
	  -1, NULL },
	{ "push %es is invalid in 64-bit mode", { 0x06 }, 1, -EINVAL },
	{ "salc is invalid", { 0xd6 }, 1, -EINVAL },
	{ "0F 04 is undefined", { 0x0f, 0x04 }, 2, -EINVAL },
	{ "FF /7 is undefined", { 0xff, 0xff }, 2, -EINVAL },
	{ "C6 /7 is only xabort with ModRM F8", { 0xc6, 0xf9, 0x00 }, 3, -EINVAL },
	{ "REX before VEX is #UD", { 0x48, 0xc5, 0xf8, 0x77 }, 4, -EINVAL },
	{ "66 before VEX is #UD", { 0x66, 0xc5, 0xf8, 0x77 }, 4, -EINVAL },
	{ "VEX3 map 0 is undefined", { 0xc4, 0xe0, 0x7d, 0x6f, 0xc1 }, 5, -EINVAL },
	{ "empty buffer", { 0x90 }, 0, -EINVAL },
	{ "prefix only", { 0x66 }, 1, -EINVAL },
	{ "call cut in its rel32", { 0xe8, 0, 0, 0 }, 4, -EINVAL },
};

Test(x86dec, hand_assembled_encodings)
{
	struct guard g;

	guard_init(&g);
	for (size_t i = 0; i < sizeof(encs) / sizeof(encs[0]); i++) {
		const struct enc *t = &encs[i];
		const uint8_t *p = guard_put(&g, t->b, t->blen);
		struct gmt_insn in;
		int r = gmt_x86_decode(p, t->blen, VADDR, &in);

		cr_assert_eq(r, t->len, "%s: length %d, expected %d", t->what, r, t->len);
		if (r < 0)
			continue;
		cr_assert_eq(in.len, r, "%s: insn.len equals the return value", t->what);
		cr_assert_eq(in.vaddr, VADDR, "%s: vaddr recorded", t->what);
		cr_assert_eq(in.kind, t->kind, "%s: kind %d, expected %d", t->what, in.kind,
			     t->kind);
		if (t->emulated >= 0)
			cr_assert_eq(in.emulated, t->emulated, "%s: emulated=%d", t->what,
				     in.emulated);
		if (t->uprobe_ok >= 0)
			cr_assert_eq(in.uprobe_ok, t->uprobe_ok, "%s: uprobe_ok=%d", t->what,
				     in.uprobe_ok);
		if (t->text)
			cr_assert_str_eq(in.text, t->text, "%s: text \"%s\"", t->what, in.text);
		cr_assert(!in.emulated || in.uprobe_ok, "%s: emulated implies uprobe_ok", t->what);
	}
	guard_free(&g);
}

/* What Linux 6.18 takes for a branch or a nop although it is not one. */
Test(x86dec, kernel_misemulation_is_flagged)
{
	static const struct {
		const char *what;
		uint8_t b[8];
		int len;
		bool mis;
	} cases[] = {
		{ "vpcmpeqb (VEX 74) taken for je +0", { 0xc5, 0xfd, 0x74, 0xc1 }, 4, true },
		{ "vpsubsb (VEX E8) taken for call +0", { 0xc5, 0xfd, 0xe8, 0xc1 }, 4, true },
		{ "kmovw (VEX 90) taken for nop", { 0xc5, 0xf8, 0x90, 0xc1 }, 4, true },
		{ "vmovdqu64 (EVEX 7F) taken for jg", { 0x62, 0xf1, 0xfe, 0x48, 0x7f, 0x06 }, 6,
		  true },
		{ "xchg %r8,%rax (REX.B 90) skipped as nop", { 0x41, 0x90 }, 2, true },
		{ "pause skipped as nop: harmless", { 0xf3, 0x90 }, 2, false },
		{ "real jbe", { 0x76, 0x00 }, 2, false },
		{ "real call", { 0xe8, 0, 0, 0, 0 }, 5, false },
		{ "vmovdqu (VEX 6F): single-stepped", { 0xc5, 0xfe, 0x6f, 0x06 }, 4, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gmt_insn in;

		cr_assert_eq(gmt_x86_decode(cases[i].b, cases[i].len, VADDR, &in), cases[i].len,
			     "%s: length", cases[i].what);
		cr_assert_eq(in.misemulated, cases[i].mis, "%s: misemulated=%d", cases[i].what,
			     in.misemulated);
		cr_assert(!in.misemulated || in.emulated, "%s: only emulated ones", cases[i].what);
	}
}

Test(x86dec, branch_and_rip_targets)
{
	/* jbe of go1.19 runtime.mallocgc: 0x40be04 0f 86 be 08 00 00 -> 0x40c6c8 */
	static const uint8_t jbe[] = { 0x0f, 0x86, 0xbe, 0x08, 0x00, 0x00 };
	/* jmp -2 (to itself) */
	static const uint8_t self[] = { 0xeb, 0xfe };
	/* lea 0xb7f03(%rip),%rax at 0x4010b6 -> 0x4b8fc0 (objdump, demo-go126) */
	static const uint8_t lea[] = { 0x48, 0x8d, 0x05, 0x03, 0x7f, 0x0b, 0x00 };
	/* cmpl $2,disp32(%rip): the immediate follows the displacement */
	static const uint8_t cmpl[] = { 0x83, 0x3d, 0x05, 0xbf, 0x16, 0x00, 0x02 };
	/* movl $imm32,disp32(%rip) */
	static const uint8_t movl[] = { 0xc7, 0x05, 0x10, 0x00, 0x00, 0x00, 1, 2, 3, 4 };
	/* jmp *disp32(%rip) */
	static const uint8_t jmpind[] = { 0xff, 0x25, 0xf0, 0xff, 0xff, 0xff };
	/* vpbroadcastd disp32(%rip),%ymm0 (VEX3) */
	static const uint8_t vpb[] = { 0xc4, 0xe2, 0x7d, 0x58, 0x05, 0x00, 0x01, 0x00, 0x00 };
	struct gmt_insn in;

	cr_assert_eq(gmt_x86_decode(jbe, sizeof(jbe), 0x40be04, &in), 6);
	cr_assert_eq(in.branch_target, 0x40c6c8, "jbe rel32 target is next ip + rel32");
	cr_assert_eq(in.cond, 6, "jbe condition code");
	cr_assert_eq(gmt_x86_decode(self, sizeof(self), 0x1000, &in), 2);
	cr_assert_eq(in.branch_target, 0x1000, "jmp rel8 -2 targets itself");
	cr_assert_eq(gmt_x86_decode(lea, sizeof(lea), 0x4010b6, &in), 7);
	cr_assert(in.rip_rel, "lea is RIP-relative");
	cr_assert_eq(in.mem_target, 0x4b8fc0, "lea RIP target %#llx",
		     (unsigned long long)in.mem_target);
	cr_assert_eq(gmt_x86_decode(cmpl, sizeof(cmpl), 0x40be18, &in), 7);
	cr_assert_eq(in.mem_target, 0x40be1f + 0x16bf05, "cmpl: target counts the imm8");
	cr_assert_eq(in.imm, 2, "cmpl immediate");
	cr_assert_eq(gmt_x86_decode(movl, sizeof(movl), 0x1000, &in), 10);
	cr_assert_eq(in.mem_target, 0x100a + 0x10, "movl: target counts the imm32");
	cr_assert_eq(in.imm, 0x04030201, "movl immediate");
	cr_assert_eq(gmt_x86_decode(jmpind, sizeof(jmpind), 0x2000, &in), 6);
	cr_assert_eq(in.kind, GMT_INSN_JMP_IND, "jmp *mem is an indirect jump");
	cr_assert_eq(in.mem_target, 0x2006 - 0x10, "jmp *disp(%%rip) slot");
	cr_assert_eq(in.branch_target, 0, "indirect jumps have no static target");
	cr_assert_eq(gmt_x86_decode(vpb, sizeof(vpb), 0x3000, &in), 9);
	cr_assert(in.rip_rel && in.mem_target == 0x3009 + 0x100, "VEX RIP-relative target");
}

/* ---------------------------------------------------------------------------------------- */
/* Whole-.text sweep against GNU objdump */

/*
 * Turns `objdump -d -z --no-show-raw-insn` into one line per instruction: the address, then
 * " b<target>" for direct branches, " r<target>" for RIP-relative operands, " X" for bytes
 * objdump cannot decode.  Prefix words are skipped to find the mnemonic.
 */
static const char od_awk[] =
	"/^ *[0-9a-f]+:\\t/ {"
	" a = $1; sub(\":\", \"\", a); out = a;"
	" split($0, f, \"\\t\");"
	" if (f[2] ~ /\\(bad\\)/) { print a \" X\"; next }"
	" n = split(f[2], w, \" +\"); k = 1;"
	" while (k < n && w[k] ~ /^(rep|repz|repnz|repe|repne|lock|notrack|bnd|data16|data32|"
	"addr32|cs|ds|es|ss|fs|gs|rex[.WRXB]*)$/) k++;"
	" if (w[k] ~ /^(j[a-z]+|call|loop[a-z]*|jrcxz|jecxz|xbegin)$/ && w[k + 1] ~ /^[0-9a-f]+$/)"
	"  out = out \" b\" w[k + 1];"
	" if (f[2] ~ /\\(%rip\\)/ && match($0, /# [0-9a-f]+/))"
	"  out = out \" r\" substr($0, RSTART + 2, RLENGTH - 2);"
	" print out }";

struct od_insn {
	uint64_t addr, branch, rip;
	bool bad;
};

static struct od_insn *parse_objdump(char *out, size_t *n)
{
	size_t cap = 1 << 16, cnt = 0;
	struct od_insn *v = malloc(cap * sizeof(*v));

	cr_assert_not_null(v);
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		struct od_insn o = {};
		char *p = line, *end;

		o.addr = strtoull(p, &end, 16);
		cr_assert_neq(end, p, "objdump line starts with an address: %s", line);
		for (p = end; *p == ' '; p++) {
			char tag = p[1];

			if (tag == 'X') {
				o.bad = true;
				p += 2;
				continue;
			}
			if (tag == 'b')
				o.branch = strtoull(p + 2, &end, 16);
			else if (tag == 'r')
				o.rip = strtoull(p + 2, &end, 16);
			else
				cr_assert_fail("unexpected objdump token in %s", line);
			p = end - 1;
		}
		if (cnt == cap) {
			cap *= 2;
			v = realloc(v, cap * sizeof(*v));
			cr_assert_not_null(v);
		}
		v[cnt++] = o;
	}
	*n = cnt;
	return v;
}

#define MAX_REPORTED 8

static void sweep_against_objdump(const char *version)
{
	const char *path = tu_fixture("demo", version, "exe");
	struct text t;
	struct od_insn *od;
	size_t nod, i = 0, off = 0, nbad = 0, nrip = 0, nbranch = 0;
	char report[4096] = "", bytes[64];
	int mismatches = 0;
	char *out;

	open_text(path, &t);
	out = tu_run("objdump -d -z --no-show-raw-insn -j .text %s | awk '%s'", path, od_awk);
	od = parse_objdump(out, &nod);
	cr_assert_gt(nod, 100000, "%s: objdump listed %zu instructions", path, nod);
	cr_assert_eq(od[0].addr, t.sec->addr, "%s: objdump starts at .text", path);

	while (off < t.sec->size && i < nod) {
		uint64_t addr = t.sec->addr + off;
		uint64_t next = i + 1 < nod ? od[i + 1].addr : t.sec->addr + t.sec->size;
		size_t o = strlen(report);
		struct gmt_insn in;
		int r;

		if (od[i].addr != addr) {
			hex(bytes, sizeof(bytes), t.data + off, 12);
			snprintf(report + o, sizeof(report) - o,
				 "\n  boundary: objdump at %#llx, decoder at %#llx [%s]",
				 (unsigned long long)od[i].addr, (unsigned long long)addr, bytes);
			if (++mismatches >= MAX_REPORTED)
				break;
			/* resynchronise on whichever side is behind */
			if (od[i].addr < addr) {
				i++;
			} else {
				r = gmt_x86_decode(t.data + off, t.sec->size - off, addr, &in);
				off += r > 0 ? r : 1;
			}
			continue;
		}
		r = gmt_x86_decode(t.data + off, t.sec->size - off, addr, &in);
		hex(bytes, sizeof(bytes), t.data + off, next - addr < 15 ? next - addr : 15);
		if (od[i].bad) {
			nbad++;
			if (r > 0) {
				snprintf(report + o, sizeof(report) - o,
					 "\n  %#llx: objdump says (bad), decoder %d bytes [%s]",
					 (unsigned long long)addr, r, bytes);
				mismatches++;
			}
			off += 1;
			i++;
			continue;
		}
		if (r != (int)(next - addr)) {
			snprintf(report + o, sizeof(report) - o,
				 "\n  %#llx: length %d, objdump %d [%s] %s",
				 (unsigned long long)addr, r, (int)(next - addr), bytes,
				 r > 0 ? in.text : "");
			mismatches++;
		} else if (in.branch_target != od[i].branch) {
			snprintf(report + o, sizeof(report) - o,
				 "\n  %#llx: branch target %#llx, objdump %#llx [%s]",
				 (unsigned long long)addr, (unsigned long long)in.branch_target,
				 (unsigned long long)od[i].branch, bytes);
			mismatches++;
		} else if ((in.rip_rel ? in.mem_target : 0) != od[i].rip) {
			snprintf(report + o, sizeof(report) - o,
				 "\n  %#llx: RIP target %#llx, objdump %#llx [%s]",
				 (unsigned long long)addr,
				 (unsigned long long)(in.rip_rel ? in.mem_target : 0),
				 (unsigned long long)od[i].rip, bytes);
			mismatches++;
		}
		if (mismatches >= MAX_REPORTED)
			break;
		nrip += od[i].rip != 0;
		nbranch += od[i].branch != 0;
		/* follow objdump's boundaries, so that each report is a separate disagreement */
		off = next - t.sec->addr;
		i++;
	}
	cr_assert_eq(mismatches, 0, "%s: decoder and objdump disagree:%s", path, report);
	cr_assert_eq(off, t.sec->size, "%s: the sweep reached the end of .text", path);
	cr_assert_eq(i, nod, "%s: every objdump instruction was compared (%zu of %zu)", path, i,
		     nod);
	cr_assert_eq(nbad, 0, "%s: Go code has no undecodable bytes", path);
	cr_assert_gt(nrip, 1000, "%s: RIP-relative operands were compared (%zu)", path, nrip);
	cr_assert_gt(nbranch, 10000, "%s: branch targets were compared (%zu)", path, nbranch);
	free(od);
	free(out);
	gmt_elf__free(t.elf);
}

#define SWEEP_TEST(ver)                                                                          \
	Test(x86dec_objdump, text_matches_objdump_##ver, .timeout = 60)                         \
	{                                                                                        \
		sweep_against_objdump(#ver);                                                     \
	}

SWEEP_TEST(go119)
SWEEP_TEST(go122)
SWEEP_TEST(go124)
SWEEP_TEST(go126)
SWEEP_TEST(go127)

/* ---------------------------------------------------------------------------------------- */
/* Probe sites and RETs of the hooked functions against `go tool objdump` */

static const char *const hooked[] = {
	"runtime.mallocgc",
	"runtime.gcStart",
	"runtime.stopTheWorldWithSema",
	"runtime.startTheWorldWithSema",
	"runtime.gcSweep",
	"runtime.mProf_Malloc",
	"runtime.freeSpecial",
	"runtime.setprofilebucket",
	"runtime.newproc",
	"runtime.newproc1",
	"runtime.(*gcControllerState).startCycle",
};

#define NHOOKED (sizeof(hooked) / sizeof(hooked[0]))
#define MAX_RETS 64

/* What `go tool objdump` shows for one function. */
struct go_func {
	uint64_t entry;
	uint64_t jbe;	/* first JBE after CMPQ ...0x10(R14) (or 0x18), 0 when there is none */
	bool has_check;
	uint64_t rets[MAX_RETS];
	int nrets;
	int ninsns;
};

/* Appends name to buf as a Go regexp literal. */
static void regexp_quote(char *buf, size_t size, const char *name)
{
	size_t o = strlen(buf);

	for (; *name && o + 3 < size; name++) {
		if (strchr(".()*[]+?^$|\\{}", *name))
			buf[o++] = '\\';
		buf[o++] = *name;
	}
	buf[o] = 0;
}

/*
 * Parses the instruction lines of a go tool objdump listing:
 * "  file.go:123\t0x40be00\t\t493b6610\t\tCMPQ SP, 0x10(R14)\t".
 */
static void parse_go_objdump(char *out, struct go_func *funcs)
{
	struct go_func *cur = NULL;
	bool cmp_seen = false;

	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		char *fields[8], *save, *asmtext;
		int nf = 0;
		uint64_t addr;

		if (!strncmp(line, "TEXT ", 5)) {
			cur = NULL;
			cmp_seen = false;
			for (size_t k = 0; k < NHOOKED; k++) {
				size_t n = strlen(hooked[k]);

				if (!strncmp(line + 5, hooked[k], n) &&
				    !strncmp(line + 5 + n, "(SB)", 4))
					cur = &funcs[k];
			}
			cr_assert_not_null(cur, "go tool objdump listed an unexpected function: %s",
					   line);
			continue;
		}
		if (!cur)
			continue;
		for (char *f = strtok_r(line, "\t", &save); f && nf < 8;
		     f = strtok_r(NULL, "\t", &save))
			fields[nf++] = f;
		if (nf < 4 || strncmp(fields[1], "0x", 2))
			continue;
		addr = strtoull(fields[1], NULL, 16);
		asmtext = fields[3];
		if (cur->ninsns++ == 0)
			cur->entry = addr;
		/* g.stackguard0, or g.stackguard1 in //go:systemstack functions */
		if (!strncmp(asmtext, "CMPQ ", 5) &&
		    (strstr(asmtext, "0x10(R14)") || strstr(asmtext, "0x18(R14)")))
			cmp_seen = true;
		if (cmp_seen && !cur->has_check && !strncmp(asmtext, "JBE ", 4)) {
			cur->jbe = addr;
			cur->has_check = true;
		}
		if (!strncmp(asmtext, "RET", 3) && (asmtext[3] == 0 || asmtext[3] == ' ')) {
			cr_assert_lt(cur->nrets, MAX_RETS, "fewer than %d RETs", MAX_RETS);
			cur->rets[cur->nrets++] = addr;
		}
	}
}

static void hooked_functions_match_go_objdump(const char *version)
{
	const char *path = tu_fixture("demo", version, "exe");
	struct go_func funcs[NHOOKED] = {};
	char re[2048] = "^(", *out;
	struct gmt_diag d = {};
	struct gmt_elf *e;

	for (size_t k = 0; k < NHOOKED; k++) {
		if (k)
			strcat(re, "|");
		regexp_quote(re, sizeof(re), hooked[k]);
	}
	strcat(re, ")$");
	out = tu_run("%s tool objdump -s '%s' %s", tu_go(), re, path);
	parse_go_objdump(out, funcs);
	cr_assert_eq(gmt_elf__open(path, &e, &d), 0, "%s: %s", path, d.msg);

	for (size_t k = 0; k < NHOOKED; k++) {
		const struct go_func *gf = &funcs[k];
		struct gmt_probe_site site;
		struct gmt_elf_sym sym;
		uint64_t rets[MAX_RETS];
		const uint8_t *code;
		int n;

		cr_assert_gt(gf->ninsns, 0, "%s %s: go tool objdump lists it", version, hooked[k]);
		cr_assert_eq(gmt_elf__sym_by_name(e, hooked[k], &sym), 0, "%s %s: in .symtab",
			     version, hooked[k]);
		cr_assert_eq(sym.value, gf->entry, "%s %s: symbol and objdump agree on the entry",
			     version, hooked[k]);
		code = gmt_elf__vaddr_ptr(e, sym.value, sym.size);
		cr_assert_not_null(code, "%s %s: code is in the file", version, hooked[k]);

		cr_assert_eq(gmt_probe_site_choose(code, sym.size, sym.value, &site), 0,
			     "%s %s: a probe site is chosen", version, hooked[k]);
		cr_assert_eq(site.vaddr, gf->has_check ? gf->jbe : gf->entry,
			     "%s %s: site %#llx, go tool objdump says %#llx (%s)", version,
			     hooked[k], (unsigned long long)site.vaddr,
			     (unsigned long long)(gf->has_check ? gf->jbe : gf->entry),
			     gf->has_check ? "the stack-check JBE" : "no stack check: entry");
		cr_assert_eq(site.stack_check, gf->has_check, "%s %s: stack_check flag", version,
			     hooked[k]);
		cr_assert_eq(site.offset, site.vaddr - sym.value, "%s %s: offset from the entry",
			     version, hooked[k]);
		if (gf->has_check) {
			cr_assert(site.emulated, "%s %s: the kernel emulates the jbe", version,
				  hooked[k]);
			cr_assert(site.uprobe_ok, "%s %s: the jbe can be probed", version,
				  hooked[k]);
			cr_assert(!strncmp(site.insn, "jbe rel", 7), "%s %s: insn text \"%s\"",
				  version, hooked[k], site.insn);
		}

		n = gmt_find_rets(code, sym.size, sym.value, rets, MAX_RETS);
		cr_assert_eq(n, gf->nrets, "%s %s: %d RETs, go tool objdump shows %d", version,
			     hooked[k], n, gf->nrets);
		cr_assert_gt(n, 0, "%s %s: has a RET", version, hooked[k]);
		for (int j = 0; j < n; j++)
			cr_assert_eq(rets[j], gf->rets[j], "%s %s: RET %d at %#llx, objdump %#llx",
				     version, hooked[k], j, (unsigned long long)rets[j],
				     (unsigned long long)gf->rets[j]);
	}
	gmt_elf__free(e);
	free(out);
}

Test(probesite, hooked_functions_match_go_objdump, .timeout = 60)
{
	for (size_t v = 0; v < tu_nversions; v++)
		hooked_functions_match_go_objdump(tu_versions[v]);
}

/*
 * Every function with a stack check, in every version, gets its jbe (not only the hooked
 * ones), and no other function gets a stack-check site.
 */
Test(probesite, every_stack_check_found, .timeout = 60)
{
	for (size_t v = 0; v < tu_nversions; v++) {
		const char *path = tu_fixture("demo", tu_versions[v], "exe");
		char *out = tu_run("%s tool objdump %s | awk '"
				   "/^TEXT / { n = 0; cmp = 0; done = 0; fn = $0;"
				   " sub(/^TEXT /, \"\", fn); sub(/\\(SB\\).*/, \"\", fn); next }"
				   " { n++; if (done || n > 8) next }"
				   " $4 == \"CMPQ\" && /0x1[08]\\(R14\\)/ { cmp = 1; next }"
				   " cmp && $4 == \"JBE\" { print $2, fn; done = 1 }'",
				   tu_go(), path);
		struct gmt_diag d = {};
		struct gmt_elf *e;
		int checked = 0;

		cr_assert_eq(gmt_elf__open(path, &e, &d), 0, "%s: %s", path, d.msg);
		for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
			unsigned long long jbe;
			struct gmt_elf_sym sym;
			struct gmt_probe_site site;
			const uint8_t *code;
			const char *name;
			int pos = 0;

			cr_assert_eq(sscanf(line, "%llx %n", &jbe, &pos), 1, "line: %s", line);
			name = line + pos;
			if (gmt_elf__sym_by_name(e, name, &sym))
				continue; /* names .symtab spells differently */
			code = gmt_elf__vaddr_ptr(e, sym.value, sym.size);
			cr_assert_not_null(code, "%s %s: code in file", tu_versions[v], name);
			cr_assert_eq(gmt_probe_site_choose(code, sym.size, sym.value, &site), 0);
			cr_assert(site.stack_check && site.vaddr == jbe,
				  "%s %s: site %#llx (stack_check %d), objdump JBE %#llx",
				  tu_versions[v], name, (unsigned long long)site.vaddr,
				  site.stack_check, jbe);
			cr_assert(site.emulated, "%s %s: jbe emulated", tu_versions[v], name);
			checked++;
		}
		cr_assert_gt(checked, 1000, "%s: %d stack checks compared", tu_versions[v],
			     checked);
		free(out);

		/* The converse: no function without a check in objdump gets a jbe site. */
		out = tu_run("%s tool nm -size -n %s | awk '$3 == \"T\" || $3 == \"t\"'", tu_go(),
			     path);
		for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
			unsigned long long addr, size;
			struct gmt_probe_site site;
			const uint8_t *code;

			cr_assert_eq(sscanf(line, "%llx %llu", &addr, &size), 2, "nm: %s", line);
			code = gmt_elf__vaddr_ptr(e, addr, size);
			if (!size || !code)
				continue;
			if (gmt_probe_site_choose(code, size, addr, &site) == 0 && site.stack_check)
				checked--;
		}
		cr_assert_eq(checked, 0, "%s: %d more stack checks found than objdump shows",
			     tu_versions[v], -checked);
		gmt_elf__free(e);
		free(out);
	}
}

/* ---------------------------------------------------------------------------------------- */
/* Probe sites on hand-made prologues */

struct prologue {
	const char *what;
	uint8_t b[48];
	int len;
	int site_off;	/* expected offset of the site */
	bool check;	/* expected stack_check */
	const char *insn;
	bool unsafe;	/* expected !uprobe_ok */
};

static const struct prologue prologues[] = {
	{ "small frame, jbe rel32",
	  { 0x49, 0x3b, 0x66, 0x10, 0x0f, 0x86, 0xbe, 0x08, 0, 0, 0x55 }, 11, 4, true,
	  "jbe rel32" },
	{ "small frame, jbe rel8", { 0x49, 0x3b, 0x66, 0x10, 0x76, 0x71, 0x55 }, 7, 4, true,
	  "jbe rel8" },
	{ "large frame: lea -8(%rsp),%r12",
	  { 0x4c, 0x8d, 0x64, 0x24, 0xf8, 0x4d, 0x3b, 0x66, 0x10, 0x0f, 0x86, 0x2a, 0x05, 0, 0 },
	  15, 9, true, "jbe rel32" },
	{ "large frame, disp32 lea",
	  { 0x4c, 0x8d, 0xa4, 0x24, 0x00, 0xf0, 0xff, 0xff, 0x4d, 0x3b, 0x66, 0x10, 0x76, 0x10 },
	  14, 12, true, "jbe rel8" },
	{ "huge frame: mov/sub/jb/cmp/jbe",
	  { 0x49, 0x89, 0xe4, 0x49, 0x81, 0xec, 0xa8, 0x1f, 0, 0, 0x0f, 0x82, 0xdd, 0, 0, 0,
	    0x4d, 0x3b, 0x66, 0x10, 0x0f, 0x86, 0xd3, 0, 0, 0 },
	  26, 20, true, "jbe rel32" },
	{ "huge frame, sub imm8 and jb rel8",
	  { 0x49, 0x89, 0xe4, 0x49, 0x83, 0xec, 0x7f, 0x72, 0x10, 0x4d, 0x3b, 0x66, 0x10, 0x76,
	    0x0a },
	  15, 13, true, "jbe rel8" },
	{ "ABI0: g from %fs:-8 first",
	  { 0x64, 0x4c, 0x8b, 0x34, 0x25, 0xf8, 0xff, 0xff, 0xff, 0x49, 0x3b, 0x66, 0x10, 0x76,
	    0x71 },
	  15, 13, true, "jbe rel8" },
	{ "ABI0 PIE: mov $-8,%r14; mov %fs:(%r14),%r14",
	  { 0x49, 0xc7, 0xc6, 0xf8, 0xff, 0xff, 0xff, 0x64, 0x4d, 0x8b, 0x36, 0x49, 0x3b, 0x66,
	    0x10, 0x76, 0x71 },
	  17, 15, true, "jbe rel8" },
	{ "NOSPLIT: push %rbp at entry", { 0x55, 0x48, 0x89, 0xe5, 0xc3 }, 5, 0, false,
	  "push r64" },
	{ "NOSPLIT leaf: mov at entry", { 0x48, 0x8b, 0x44, 0x24, 0x08, 0xc3 }, 6, 0, false,
	  NULL },
	{ "NOSPLIT starting with vpcmpeqb: not safe to probe", { 0xc5, 0xfd, 0x74, 0xc1, 0xc3 },
	  5, 0, false, NULL, true },
	{ "cmp without a jbe after it", { 0x49, 0x3b, 0x66, 0x10, 0x77, 0x05, 0xc3 }, 7, 0, false,
	  "cmp r64,m64" },
	{ "systemstack: cmp 0x18(%r14) (stackguard1)", { 0x49, 0x3b, 0x66, 0x18, 0x76, 0x05 }, 6,
	  4, true, "jbe rel8" },
	{ "cmp 0x20(%r14) is not a stack guard", { 0x49, 0x3b, 0x66, 0x20, 0x76, 0x05 }, 6, 0,
	  false, NULL },
	{ "cmp 0x10(%r15) is not g", { 0x49, 0x3b, 0x67, 0x10, 0x76, 0x05 }, 6, 0, false, NULL },
	{ "cmp of %r12 without the lea before it", { 0x4d, 0x3b, 0x66, 0x10, 0x76, 0x05 }, 6, 0,
	  false, NULL },
	{ "prologue cut before the jbe", { 0x49, 0x3b, 0x66, 0x10, 0x0f, 0x86, 0xbe }, 7, 0, false,
	  "cmp r64,m64" },
};

Test(probesite, hand_made_prologues)
{
	struct guard g;

	guard_init(&g);
	for (size_t i = 0; i < sizeof(prologues) / sizeof(prologues[0]); i++) {
		const struct prologue *t = &prologues[i];
		const uint8_t *p = guard_put(&g, t->b, t->len);
		struct gmt_probe_site site;

		cr_assert_eq(gmt_probe_site_choose(p, t->len, 0x1000, &site), 0, "%s: chosen",
			     t->what);
		cr_assert_eq(site.vaddr, 0x1000 + t->site_off, "%s: site at +%#llx, expected +%#x",
			     t->what, (unsigned long long)(site.vaddr - 0x1000), t->site_off);
		cr_assert_eq(site.offset, t->site_off, "%s: offset", t->what);
		cr_assert_eq(site.stack_check, t->check, "%s: stack_check", t->what);
		if (t->check)
			cr_assert(site.emulated && site.uprobe_ok, "%s: jbe is emulated", t->what);
		cr_assert_eq(site.uprobe_ok, !t->unsafe, "%s: uprobe_ok=%d", t->what,
			     site.uprobe_ok);
		if (t->insn)
			cr_assert_str_eq(site.insn, t->insn, "%s: insn text", t->what);
	}
	guard_free(&g);
}

Test(probesite, undecodable_entry_and_bad_arguments)
{
	static const uint8_t bad[] = { 0x06, 0x90 };
	static const uint8_t ret[] = { 0xc3 };
	struct gmt_probe_site site;
	uint64_t rets[2];

	cr_assert_eq(gmt_probe_site_choose(bad, sizeof(bad), 0, &site), -EINVAL,
		     "invalid opcode at the entry");
	cr_assert_eq(gmt_probe_site_choose(ret, 0, 0, &site), -EINVAL, "no bytes at all");
	cr_assert_eq(gmt_probe_site_choose(NULL, 1, 0, &site), -EINVAL, "NULL code");
	cr_assert_eq(gmt_probe_site_choose(ret, 1, 0, NULL), -EINVAL, "NULL site");
	cr_assert_eq(gmt_find_rets(NULL, 1, 0, rets, 2), -EINVAL, "NULL code");
	cr_assert_eq(gmt_find_rets(ret, 1, 0, NULL, 2), -EINVAL, "NULL rets with max > 0");
	cr_assert_eq(gmt_find_rets(ret, 1, 0, rets, -1), -EINVAL, "negative max");
	cr_assert_eq(gmt_find_rets(ret, 1, 0, NULL, 0), 1, "counting only (max 0)");
}

Test(probesite, find_rets_sweeps_and_counts)
{
	/* ret; mov; ret $8; rep ret; int3 padding */
	static const uint8_t code[] = { 0xc3, 0x48, 0x89, 0xc3, 0xc2, 0x08, 0x00, 0xf3, 0xc3,
					0xcc, 0xcc, 0xcc };
	/* c3 inside another instruction's bytes must not count: mov $0xc3c3c3c3,%eax */
	static const uint8_t hidden[] = { 0xb8, 0xc3, 0xc3, 0xc3, 0xc3, 0xc3 };
	static const uint8_t bad[] = { 0xc3, 0x0f, 0x04 };
	static const uint8_t cut[] = { 0xc3, 0xe8, 0x00 };
	uint64_t rets[8];

	cr_assert_eq(gmt_find_rets(code, sizeof(code), 0x100, rets, 8), 3, "three RETs");
	cr_assert(rets[0] == 0x100 && rets[1] == 0x104 && rets[2] == 0x107,
		  "RET addresses %#llx %#llx %#llx", (unsigned long long)rets[0],
		  (unsigned long long)rets[1], (unsigned long long)rets[2]);
	rets[1] = 0;
	cr_assert_eq(gmt_find_rets(code, sizeof(code), 0x100, rets, 1), 3,
		     "the count exceeds max");
	cr_assert_eq(rets[1], 0, "nothing is written past max");
	cr_assert_eq(gmt_find_rets(hidden, sizeof(hidden), 0, rets, 8), 1,
		     "only the RET on an instruction boundary");
	cr_assert_eq(rets[0], 5, "the real RET is the last byte");
	cr_assert_eq(gmt_find_rets(bad, sizeof(bad), 0, rets, 8), -EINVAL, "undefined opcode");
	cr_assert_eq(gmt_find_rets(cut, sizeof(cut), 0, rets, 8), -EINVAL,
		     "an instruction cut by the end of the function");
	cr_assert_eq(gmt_find_rets(code, 0, 0, rets, 8), 0, "empty function");
}

/* ---------------------------------------------------------------------------------------- */
/* Robustness */

static void check_result(const uint8_t *p, size_t avail, int r, const struct gmt_insn *in,
			 const char *what)
{
	char bytes[64];

	if (r == -EINVAL)
		return;
	hex(bytes, sizeof(bytes), p, avail < 15 ? avail : 15);
	cr_assert(r > 0 && (size_t)r <= avail && r <= 15,
		  "%s: result %d for avail %zu [%s]", what, r, avail, bytes);
	cr_assert_eq(in->len, r, "%s: insn.len matches [%s]", what, bytes);
	cr_assert_lt(strnlen(in->text, sizeof(in->text)), sizeof(in->text),
		     "%s: text is terminated [%s]", what, bytes);
	cr_assert_leq(in->kind, GMT_INSN_UD, "%s: kind in range [%s]", what, bytes);
	cr_assert(!in->emulated || in->uprobe_ok, "%s: emulated implies uprobe_ok [%s]", what,
		  bytes);
	cr_assert(!in->misemulated || in->emulated, "%s: misemulated implies emulated [%s]",
		  what, bytes);
}

Test(x86dec_robust, random_bytes_never_overread, .timeout = 60)
{
	/* Bytes that lead into the deeper decoding paths, drawn more often than chance. */
	static const uint8_t lead[] = { 0x66, 0x67, 0xf2, 0xf3, 0xf0, 0x2e, 0x64, 0x41, 0x48,
					0x4f, 0x0f, 0x0f, 0xc4, 0xc5, 0x62, 0x8f, 0xf6, 0xf7,
					0xc6, 0xc7, 0xff, 0xa1, 0xc8, 0xe8 };
	struct guard g;
	int ok = 0;

	guard_init(&g);
	for (uint64_t seed = 1; seed <= 300000; seed++) {
		uint64_t s = seed;
		uint8_t buf[24];
		size_t len = rnd(&s) % 24;
		const uint8_t *p;
		struct gmt_insn in;
		int r;

		for (size_t i = 0; i < len; i++) {
			uint64_t x = rnd(&s);

			buf[i] = (x & 3) == 0 && i < 4 ? lead[(x >> 8) % sizeof(lead)] : x >> 16;
		}
		p = guard_put(&g, buf, len);
		r = gmt_x86_decode(p, len, seed << 12, &in);
		check_result(p, len, r, &in, "random");
		if (r <= 0)
			continue;
		ok++;
		/* Decoding is prefix-free: exactly r bytes decode, any fewer do not. */
		for (int t = 0; t <= r; t++) {
			struct gmt_insn in2;
			const uint8_t *q = guard_put(&g, buf, t);
			int r2 = gmt_x86_decode(q, t, seed << 12, &in2);

			cr_assert_eq(r2, t == r ? r : -EINVAL,
				     "seed %llu: %d of %d bytes decode to %d",
				     (unsigned long long)seed, t, r, r2);
		}
	}
	cr_assert_gt(ok, 100000, "most random buffers decode to something (%d)", ok);
	guard_free(&g);
}

Test(x86dec_robust, probe_site_and_rets_on_random_bytes, .timeout = 60)
{
	struct guard g;

	guard_init(&g);
	for (uint64_t seed = 1; seed <= 50000; seed++) {
		uint64_t s = seed, rets[4];
		uint8_t buf[48];
		size_t len = rnd(&s) % sizeof(buf);
		struct gmt_probe_site site;
		const uint8_t *p;
		int r;

		for (size_t i = 0; i < len; i++)
			buf[i] = rnd(&s);
		/* Half of them start like a Go prologue, to get past the first matches. */
		if ((seed & 1) && len >= 4)
			memcpy(buf, (const uint8_t[]){ 0x49, 0x3b, 0x66, 0x10 }, 4);
		p = guard_put(&g, buf, len);
		r = gmt_probe_site_choose(p, len, 0x1000, &site);
		cr_assert(r == 0 || r == -EINVAL, "seed %llu: result %d", (unsigned long long)seed,
			  r);
		if (r == 0)
			cr_assert(site.vaddr >= 0x1000 && site.vaddr < 0x1000 + len,
				  "seed %llu: site inside the buffer", (unsigned long long)seed);
		r = gmt_find_rets(p, len, 0x1000, rets, 4);
		cr_assert(r >= -EINVAL && r <= (int)len, "seed %llu: find_rets %d",
			  (unsigned long long)seed, r);
	}
	guard_free(&g);
}

/* Every instruction of go1.27's .text, cut at every length: never read past the cut. */
Test(x86dec_robust, every_truncation_of_real_code, .timeout = 60)
{
	const char *path = tu_fixture("demo", "go127", "exe");
	struct guard g;
	struct text t;
	size_t off = 0, ninsns = 0;

	open_text(path, &t);
	guard_init(&g);
	while (off < t.sec->size) {
		size_t avail = t.sec->size - off < 15 ? t.sec->size - off : 15;
		struct gmt_insn in;
		int r = gmt_x86_decode(t.data + off, avail, t.sec->addr + off, &in);

		cr_assert_gt(r, 0, "%s: decodes at %#llx", path,
			     (unsigned long long)(t.sec->addr + off));
		for (int cut = 0; cut <= r; cut++) {
			const uint8_t *p = guard_put(&g, t.data + off, cut);
			int r2 = gmt_x86_decode(p, cut, t.sec->addr + off, &in);

			cr_assert_eq(r2, cut == r ? r : -EINVAL,
				     "%s: %#llx cut to %d of %d bytes gives %d", path,
				     (unsigned long long)(t.sec->addr + off), cut, r, r2);
		}
		off += r;
		ninsns++;
	}
	cr_assert_gt(ninsns, 100000, "%s: %zu instructions cut", path, ninsns);
	guard_free(&g);
	gmt_elf__free(t.elf);
}
