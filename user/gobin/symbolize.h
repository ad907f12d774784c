/* SPDX-License-Identifier: MIT */
/*
 * Turning what a traced process reported (return addresses, type pointers) into names.
 * Outputs take this interface, not the binary reader, so that they can be tested with
 * synthetic frames and types.
 */
#ifndef GMT_SYMBOLIZE_H
#define GMT_SYMBOLIZE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pclntab.h"

struct gmt_type_info {
	char name[256]; /* as reflect prints it: "main.record", "*main.record", "[]uint8" */
	uint64_t size;	/* _type.size */
	uint64_t ptrbytes; /* _type.ptrdata: 0 means pointer-free (noscan) */
};

struct gmt_symbolizer {
	/*
	 * Frames for one return address as the process saw it (runtime address, load bias
	 * not yet removed), innermost first, the physical function last.  Returns the
	 * number of frames (>= 1) or a negative errno; writers then print the address.
	 */
	int (*frames)(void *ctx, uint64_t ret_addr, struct gmt_frame *frames, int max);
	/* The runtime type at a process address; negative errno when unknown. */
	int (*type_info)(void *ctx, uint64_t typ, struct gmt_type_info *ti);
	void *ctx;
	/*
	 * Optional: the function a goroutine whose entry is at entry (a process address)
	 * runs, as the go statement names it: for the compiler's wrapper of `go f(x)`, f
	 * (gofunc.h).  0 or a negative errno; NULL: the entry's own function, from frames.
	 */
	int (*go_func)(void *ctx, uint64_t entry, char *buf, size_t len);
	/*
	 * Optional: whether the function holding return address ret_addr is compiler-made
	 * code Go's tracebacks hide (abi.FuncIDWrapper: go-statement and method wrappers).
	 */
	bool (*is_wrapper)(void *ctx, uint64_t ret_addr);
};

/*
 * Frames of one return address, innermost first: sym->frames, or a negative errno when
 * there is no symbolizer or the address does not symbolize.
 */
static inline int gmt_symbolize_pc(const struct gmt_symbolizer *sym, uint64_t pc,
				   struct gmt_frame *frames, int max)
{
	int n;

	if (!sym || !sym->frames || max < 1)
		return -ENOENT;
	n = sym->frames(sym->ctx, pc, frames, max);
	if (n == 0)
		return -ENOENT; /* the contract says >= 1: do not trust 0 */
	return n > max ? max : n;
}

/*
 * Whether Go's tracebacks and profiles leave out a compiler-made wrapper frame whose
 * callee is the function named callee: always, but above runtime.gopanic, sigpanic and
 * panicwrap (the runtime's elideWrapperCalling).
 */
bool gmt_go_elides_wrapper_calling(const char *callee);

/*
 * A symbolizer that shows frames as Go's own profiles show them: a wrapper (is_wrapper)
 * with its callee inlined into it (main.main.gowrap1 with net/http.Serve inlined) gives
 * the callee's frames only, as the runtime's expansion of a profile's stack
 * (fpunwindExpand, CallersFrames) leaves the wrapper out.  A wrapper with nothing
 * inlined stays one frame (a symbolizer names at least one): a writer that follows Go
 * leaves that whole return address out (out_heapsnap.c).  Everything else is inner's.
 */
struct gmt_go_view {
	struct gmt_symbolizer sym;
	const struct gmt_symbolizer *inner;
};

/* Sets v up over inner (which may be NULL) and returns its symbolizer. */
const struct gmt_symbolizer *gmt_go_view(struct gmt_go_view *v,
					  const struct gmt_symbolizer *inner);

#endif
