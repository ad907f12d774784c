/* SPDX-License-Identifier: MIT */
/*
 * What every reader of Go runtime globals needs in a stripped binary (docs/go-runtime.md, "Binary"): walk
 * the instructions of a runtime function found through the pclntab, recognise the few
 * instruction forms the Go compiler uses to reach a global (RIP-relative mov/lea/cmp),
 * name the function a call goes to, and check that a decoded address is a global the
 * process can write.  gcvars.c and memrate.c decode different globals with these.
 *
 * Linear scans, no control flow: the callers look for short, fixed idioms and validate
 * what they find (agreement between functions, segment, initial value).
 */
#ifndef GMT_RTVARS_H
#define GMT_RTVARS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gmt_elf;
struct gmt_gobin;
struct gmt_insn;

/*
 * Called for each instruction in order: 0 to go on, > 0 to stop (the walk returns 0),
 * < 0 to stop with that error.
 */
typedef int (*gmt_rtvars_insn_fn)(const struct gmt_insn *in, void *ctx);

/*
 * Decodes the function called name from its entry to its end.  -ENOENT when the pclntab
 * has no such function or its code is not in the file, -EINVAL on an undecodable
 * instruction (Go pads with int3, so that is a real error).
 */
int gmt_rtvars_walk_func(const struct gmt_gobin *gb, const char *name, gmt_rtvars_insn_fn cb,
			 void *ctx);

/* The function a direct call enters, NULL when it is not a call or not a function entry. */
const char *gmt_rtvars_call_target(const struct gmt_gobin *gb, const struct gmt_insn *in);

/*
 * Whether the instruction (probably) writes register reg: calls (Go calls clobber every
 * register) and the forms the Go compiler uses to load a register (mov, lea, movzx,
 * xor/add/sub/or/and into it, mov imm).
 */
bool gmt_rtvars_writes_reg(const struct gmt_insn *in, int reg);

/* lea reg, X(%rip) with a 64-bit destination. */
bool gmt_rtvars_is_rip_lea_to(const struct gmt_insn *in, int reg);
/* mov r64, X(%rip): an 8-byte load (in->reg is the destination). */
bool gmt_rtvars_is_rip_load64(const struct gmt_insn *in);
/* mov X(%rip), r64: an 8-byte store of a register (in->reg is the source). */
bool gmt_rtvars_is_rip_store64(const struct gmt_insn *in);

/* [addr, addr+len) lies in the memory of one writable PT_LOAD segment: a global. */
bool gmt_rtvars_writable(const struct gmt_elf *e, uint64_t addr, uint64_t len);

/*
 * A global passed as the receiver of a method: `LEAQ X(RIP), AX` ... `CALL
 * <method_prefix>...` in the functions named (runtime.gcController before the
 * (*gcControllerState) methods, runtime.mheap_ before (*mheap)'s).  0 with *addr when
 * at least one call shows it and none shows another, else -ENOENT.
 */
int gmt_rtvars_find_receiver(const struct gmt_gobin *gb, const char *const *funcs, size_t nfuncs,
			     const char *method_prefix, uint64_t *addr);

/* The .symtab value of name; false when stripped, absent or 0. */
bool gmt_rtvars_sym_addr(const struct gmt_gobin *gb, const char *name, uint64_t *addr);

#endif
