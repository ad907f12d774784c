/* SPDX-License-Identifier: MIT */
/*
 * Everything gomemtrace learns from a Go binary before it touches a process, in one
 * place and computed once: the binary itself, the row of its Go release (exact or
 * inferred, release.h), the complete hook plan (every probe, the RET probes included),
 * the runtime variables the tracers read (found, or why not), and for each way of
 * tracing whether it works with this binary and why not.  `info` prints it; a session
 * traces with it; the daemon shares one per executable among the processes that run it.
 *
 * What depends on a process (privileges, its load bias, a MemProfileRate of 0 with
 * --no-write-target) is not in it.  It is read-only once built, and reference counted.
 */
#ifndef GMT_ANALYSIS_H
#define GMT_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "gcvars.h"
#include "gorvars.h"
#include "heapvars.h"
#include "hookplan.h"
#include "memrate.h"
#include "release.h"

struct gmt_gobin;

/* The ways of tracing, in the order a session meets their checks. */
enum gmt_mode_kind { GMT_MODE_EXACT, GMT_MODE_SAMPLED, GMT_MODE_GC, GMT_MODE_GOROUTINES,
		     GMT_MODE__COUNT };

struct gmt_mode_check {
	const char *name;	/* exact, sampled, gc, goroutines */
	bool works;
	int err;		/* when it does not: the negative errno the session returns */
	char why[256];		/* when it does not: the session's one-line error */
	char unavailable[2048]; /* when it works: what it lacks, one line each, or "" */
};

/* One runtime variable, for `info`. */
struct gmt_rtvar {
	const char *name;    /* "runtime.gcController" */
	const char *used_by; /* "gc", "sampled", "goroutines", "snapshot" */
	uint64_t addr;	     /* static address, 0 when not found */
	const char *source;  /* "symbol", "decoded", "from numgc"... when found */
	char why[256];	     /* when not found */
};

#define GMT_ANALYSIS_MAX_VARS 16

struct gmt_analysis {
	struct gmt_gobin *gb; /* owned */
	struct gmt_release rel;
	struct gmt_hookplan plan;
	struct gmt_gcvars gc;	    /* gcController, memstats.numgc, work */
	struct gmt_gorvars gor;	    /* allgs */
	struct gmt_memrate_vars mr; /* MemProfileRate, disableMemoryProfiling */
	int mr_err;		    /* gmt_memrate_find()'s result; its message is in mr_why */
	char mr_why[256];
	struct gmt_heapvars heap; /* mbuckets, mProfCycle, mheap_ */
	struct gmt_rtvar vars[GMT_ANALYSIS_MAX_VARS];
	size_t nvars;
	struct gmt_mode_check modes[GMT_MODE__COUNT];
	unsigned refs;
};

/*
 * Reads the Go binary at path and analyses it.  -ENOEXEC / -ENOTSUP etc. with the one-line
 * reason in d when it is not a Go binary gomemtrace can trace at all (not Go, 32-bit, a
 * release it does not know); a mode that does not work is not an error (modes[] says).
 * The result holds one reference.
 */
int gmt_analysis__open(const char *path, struct gmt_analysis **out, struct gmt_diag *d);
/* The same for a binary already read; takes gb over (freed with the analysis, or on error). */
int gmt_analysis__from_gobin(struct gmt_gobin *gb, struct gmt_analysis **out,
			     struct gmt_diag *d);
/* Another reference. */
struct gmt_analysis *gmt_analysis__get(struct gmt_analysis *a);
/* Drops a reference; the last one frees.  NULL is ignored. */
void gmt_analysis__put(struct gmt_analysis *a);

/* The row (never NULL in an analysis). */
static inline const struct gmt_go_release *gmt_analysis__row(const struct gmt_analysis *a)
{
	return a->rel.row;
}

/*
 * 0 when mode works with this binary, else its error (a negative errno) with the
 * session's one-line message in d.
 */
int gmt_analysis__check(const struct gmt_analysis *a, enum gmt_mode_kind mode,
			struct gmt_diag *d);

#endif
