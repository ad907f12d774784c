/* SPDX-License-Identifier: MIT */
/*
 * Unwinding a stopped goroutine's stack from outside, as the runtime's own traceback does
 * (runtime/traceback.go, amd64): the frame of the function at pc spans pcsp(pc) bytes
 * below the caller's SP, plus the return address; so the return address is at
 * sp + pcsp(pc), and the caller's SP is 8 bytes above it.  Frame pointers alone would
 * miss frames of assembly functions and frames still in their prologue.
 *
 * Stack memory is read through struct gmt_rmem (the live process or byte buffers), never
 * outside [lo, hi): the goroutine's own stack bounds.
 */
#ifndef GMT_UNWIND_H
#define GMT_UNWIND_H

#include <stdint.h>

#include "rtmem.h"

struct gmt_pcln;

#define GMT_UNWIND_MAX 256 /* frames: a longer stack is cut, as Go's traceback cuts it */

/*
 * What the pclntab says of the pcs already seen, for a caller that unwinds many stacks
 * through the same code (100,000 goroutines parked at a handful of sites): a
 * direct-mapped table, zeroed by the caller; the answers are the same without it.
 */
#define GMT_UNWIND_MEMO 4096
struct gmt_unwind_memo {
	struct gmt_unwind_memo_e {
		uint64_t pc;   /* pcln address, +1 bit 63 when it is a return address */
		int32_t delta; /* its SP delta */
		uint8_t what;  /* 0 empty, else UW_* of unwind.c */
	} e[GMT_UNWIND_MEMO];
};

struct gmt_unwind_in {
	uint64_t pc, sp;     /* g.sched.pc / g.sched.sp (process addresses) */
	uint64_t lo, hi;     /* g.stack: where the frames may be */
	uint64_t bias;	     /* load bias: pcln addresses are process addresses - bias */
	struct gmt_unwind_memo *memo; /* NULL: none */
};

/*
 * Writes the pc of each frame, innermost first (the first one as given, the others
 * return addresses) into pcs (at most max) and returns their number: the walk ends at
 * runtime.goexit or a top-of-stack function (FuncFlag TOPFRAME), or at max.  -ESRCH
 * when the process is gone, -EFAULT when a frame leads outside the stack or a pc
 * outside every function (a stack that changed while read, or garbage).
 */
int gmt_unwind(const struct gmt_pcln *pcln, const struct gmt_rmem *m,
	       const struct gmt_unwind_in *in, uint64_t *pcs, int max);

#endif
