/* SPDX-License-Identifier: MIT */
/*
 * The function a goroutine runs, as its author wrote it.
 *
 * A goroutine starts at the entry its go statement gave newproc (g.startpc).  For
 * `go f()` that is f.  For a go statement with arguments or a receiver, `go f(x, y)`, the
 * compiler generates a closure that holds the arguments and calls f: pkg.caller.gowrapN
 * (go1.21+), pkg.caller.funcN before that; both carry abi.FuncIDWrapper, which user
 * closures do not.  Go's own tracebacks leave such wrappers out and show f; so do we.
 *
 * The callee is read from the wrapper's code: either f was inlined into it (the inline
 * tree names it: the outermost inlined function), or the wrapper's own code calls it
 * directly, the call that returns straight into the wrapper's epilogue.  A wrapper whose
 * call is indirect (`go fv(x)` with fv a func value, an interface method) or whose code
 * gives more than one candidate has no static callee: it is then named after the
 * function holding the go statement, marked as such: "? (go in pkg.caller)".
 */
#ifndef GMT_GOFUNC_H
#define GMT_GOFUNC_H

#include <stddef.h>
#include <stdint.h>

struct gmt_gobin;

enum gmt_gofunc_how {
	GMT_GOFUNC_PLAIN,      /* the entry's own function: not a wrapper */
	GMT_GOFUNC_WRAPPED,    /* a go-statement wrapper whose callee was found */
	GMT_GOFUNC_UNRESOLVED, /* a wrapper whose callee is not in its code */
};

struct gmt_gofunc {
	enum gmt_gofunc_how how;
	const char *entry_fn; /* the function at the entry (what isSystemGoroutine looks at) */
	const char *callee;   /* GMT_GOFUNC_WRAPPED: the function the wrapper calls */
};

/*
 * Resolves the goroutine function at entry (a static address of gb, the entry of a
 * function).  Names point into gb's pclntab.  -ENOENT when entry is in no function.
 */
int gmt_gofunc_resolve(const struct gmt_gobin *gb, uint64_t entry, struct gmt_gofunc *out);

/*
 * The name to show: the callee, the entry's function, or for an unresolved wrapper
 * "? (go in pkg.caller)" (the wrapper's name without its .gowrapN / .funcN / .N suffix).
 */
void gmt_gofunc_name(const struct gmt_gofunc *r, char *buf, size_t len);

#endif
