/* SPDX-License-Identifier: MIT */
/*
 * The type an allocation site passes to the allocator, read from the caller's code.
 *
 * Go's sampler hooks (mProf_Malloc) do not see the type, but compiled code loads a
 * constant *_type into the argument register with a RIP-relative LEA just before it
 * calls the allocator:
 *
 *   LEAQ type:[8]int(SB), AX ; CALL runtime.newobject
 *   LEAQ type:uint8(SB), AX ; MOVL $1024, BX ; MOVQ BX, CX ; CALL runtime.makeslice
 *   LEAQ type:[8]int(SB), BX ; MOVL $1, CX ; CALL runtime.mallocgcSmallNoScanSC6 (1.27)
 *
 * Given a stack whose first frame is the allocator's caller (as exact and sampled mode
 * stacks are), gmt_calltype() finds the CALL before each return address, and when it
 * calls an allocator entry point, looks back in the same basic block for the LEA that set
 * that entry point's type register.  Only instructions whose destination is known (moves,
 * LEA, XOR, stores, nops) may sit between the LEA and the CALL, and none of them may be
 * a branch target: otherwise the answer is "unknown", never a guess.  When the frame is
 * itself an allocator entry point passing its caller's type on (newobject, makeslice,
 * growslice...), the next frame is asked.
 *
 * Type registers (ABIInternal, docs/go-runtime.md, "Calling convention"): newobject, newarray, makeslice,
 * makeslicecopy, convT, convTnoptr, reflect.unsafe_New/NewArray: AX; mallocgc and the
 * size-specialized allocators: BX; growslice: SI from go1.20 (oldPtr, newLen, oldCap,
 * num, et), AX in go1.19 (et, old, cap).
 *
 * No kernel needed; tested on the fixture binaries against the types their sources
 * allocate.
 */
#ifndef GMT_CALLTYPE_H
#define GMT_CALLTYPE_H

#include <stdint.h>

struct gmt_gobin;
struct gmt_go_release;

/* Frames looked at, from the leaf. */
#define GMT_CALLTYPE_FRAMES 4

/*
 * pcs are return addresses at runtime, bias the load bias (runtime - static address),
 * row the binary's release (where the allocators take their type).  Returns the runtime
 * address of the *_type, or 0 when it cannot be told.
 */
uint64_t gmt_calltype(const struct gmt_gobin *gb, const struct gmt_go_release *row, uint64_t bias,
		      const uint64_t *pcs, uint32_t depth);

#endif
