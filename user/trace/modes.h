/* SPDX-License-Identifier: MIT */
/*
 * What each way of tracing can do with a binary, from the binary alone, for `info`: the
 * checks gmt_session__open() and the tracers it starts run before anything is loaded,
 * in the order it meets them, so that the first error is its own.  What depends on the
 * process (privileges, a MemProfileRate of 0 with --no-write-target, a process that
 * exits) is not in it.
 */
#ifndef GMT_MODES_H
#define GMT_MODES_H

#include <stdbool.h>

struct gmt_gobin;
struct gmt_hookplan;

enum gmt_mode_kind { GMT_MODE_EXACT, GMT_MODE_SAMPLED, GMT_MODE_GC, GMT_MODE_GOROUTINES,
		     GMT_MODE__COUNT };
struct gmt_mode_check {
	const char *name;	/* exact, sampled, gc, goroutines */
	bool works;
	char why[256];		/* when it does not: the session's one-line error */
	char unavailable[2048]; /* when it works: what it lacks, one line each, or "" */
};
/* Fills m[]: 0, or -ENOMEM when a check could not run. */
int gmt_session_check_modes(const struct gmt_gobin *gb, const struct gmt_hookplan *plan,
			    struct gmt_mode_check m[GMT_MODE__COUNT]);

#endif
