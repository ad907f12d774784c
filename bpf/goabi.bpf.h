/* SPDX-License-Identifier: MIT */
/*
 * Go's register ABI (ABIInternal, go1.17+), the only place that reads pt_regs.
 *
 * PT_REGS_PARM* follow the C calling convention and are wrong for Go code: Go passes
 * integer arguments in RAX, RBX, RCX, RDI, RSI, R8, R9, R10, R11 and keeps the current
 * g in R14 (docs/go-runtime.md, "Calling convention").
 */
#ifndef GMT_GOABI_BPF_H
#define GMT_GOABI_BPF_H

#include "vmlinux.h"

#if defined(__TARGET_ARCH_x86)
#define GO_ARG1(ctx) ((ctx)->ax)
#define GO_ARG2(ctx) ((ctx)->bx)
#define GO_ARG3(ctx) ((ctx)->cx)
#define GO_ARG4(ctx) ((ctx)->di)
#define GO_ARG5(ctx) ((ctx)->si)
#define GO_RET1(ctx) ((ctx)->ax)
#define GO_G(ctx) ((ctx)->r14)
#define GO_SP(ctx) ((ctx)->sp)
#define GO_FP(ctx) ((ctx)->bp)
#define GO_FLAGS(ctx) ((ctx)->flags)

/* At a probe on the stack check's jbe: the branch to morestack is taken iff CF or ZF. */
#define X86_FLAG_CF 0x0001
#define X86_FLAG_ZF 0x0040
static __always_inline int go_stack_check_will_branch(struct pt_regs *ctx)
{
	return (GO_FLAGS(ctx) & (X86_FLAG_CF | X86_FLAG_ZF)) != 0;
}
#else
#error "gomemtrace's BPF programs support x86-64 only"
#endif

#endif
