/* SPDX-License-Identifier: MIT */
/*
 * gomemtrace snapshot: what a Go process holds right now, read from its own memory
 * through /proc/PID/mem (process/procmem.h) with no probe, no write and no stop.
 * The runtime's heap profile (goruntime/mprof.h) as heap.pb.gz and inuse_space.folded,
 * its goroutines (snapshot_gor.h), and its memory figures as memory.json (memsnap.h).
 * The daemon takes one into each interval set (trace/session.c).
 */
#ifndef GMT_SNAPSHOT_H
#define GMT_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "diag.h"

struct gmt_analysis;
struct gmt_leakflag;
struct gmt_target;

struct gmt_gsnap;

struct gmt_snapshot_opts {
	const char *dir; /* output directory (created 0700 if needed); NULL: goroutines
			  * only read (for leaks), with no heap and no_memory */
	bool heap;	 /* heap.pb.gz, inuse_space.folded */
	bool goroutines; /* goroutines.txt (trace/snapshot_gor.h) */
	/* No memory.json: record writes its own memory_end.json (cli/cmd_record.c). */
	bool no_memory;
	/* No heap profile (-ENODATA) is not said: the caller says it (r->buckets 0). */
	bool heap_quiet;
	/* Fed with every goroutine read (agg/leakflag.h): the daemon's leak flags. NULL: none. */
	struct gmt_leakflag *leaks;
	/* report.html of what was read (the snapshot command; record and the daemon write
	 * theirs with their profile set) */
	bool html;
	/* The goroutines read, moved into *keep (the caller frees it with gmt_gsnap_free)
	 * with the moment they were read in *keep_now, for the profile set's report.html;
	 * NULL: freed here. */
	struct gmt_gsnap *keep;
	int64_t *keep_now;
};

struct gmt_snapshot_result {
	char go_version[96]; /* the release, "go1.27 (inferred)" when the binary does not say */
	int64_t rate;	      /* MemProfileRate when read: the scale of the values */
	size_t buckets;	      /* heap-profile buckets read */
	bool all_cycles;      /* no GC completed yet: every cycle counted (mprof.h) */
	bool decoded;	      /* mbuckets found from the code (stripped binary) */
	/* Totals over the heap profile, scaled as runtime/pprof scales them. */
	int64_t alloc_objects, alloc_space, inuse_objects, inuse_space;
};

/*
 * Takes a snapshot of pid into o->dir and describes it in r; a summary goes to out
 * (NULL: none).  Negative errno with one line in d: a process gone, not Go, a release
 * the table does not know, no heap profile (MemProfileRate was 0: -ENODATA, an error
 * only when the goroutines are not read either: otherwise a warning, and the heap
 * files are not written), garbage where the buckets should be.  Nothing is written on
 * error.
 */
int gmt_snapshot_take(pid_t pid, const struct gmt_snapshot_opts *o, struct gmt_snapshot_result *r,
		      FILE *out, struct gmt_diag *d);

/*
 * The same for a process already attached (process/target.h) whose executable's analysis
 * the caller holds (the daemon's sessions): what gmt_snapshot_take() does once both are
 * open.  The process must still be the one t names (the caller watches for exec).
 */
int gmt_snapshot_read(const struct gmt_target *t, const struct gmt_analysis *a,
		      const struct gmt_snapshot_opts *o, struct gmt_snapshot_result *r,
		      FILE *out, struct gmt_diag *d);

/*
 * One read of every goroutine of an attached process into lf (agg/leakflag.h), as
 * gmt_snapshot_read() feeds it, with no file and nothing printed: record --goroutines's
 * reads during its window.  Negative errno with one line in d (the read is then not
 * counted).
 */
int gmt_snapshot_read_leaks(const struct gmt_target *t, const struct gmt_analysis *a,
			    struct gmt_leakflag *lf, struct gmt_diag *d);

/*
 * The runtime's heap profile alone, for record and the daemon (their live heap at the
 * end of a window): p filled (gmt_mprof_free() it; empty on error), r's rate, bucket
 * count and totals.  -ENODATA when the process has no bucket, otherwise as
 * gmt_snapshot_read(); one line in d.  Writes nothing.
 */
struct gmt_mprof;
int gmt_snapshot_read_heap(const struct gmt_target *t, const struct gmt_analysis *a,
			   struct gmt_mprof *p, struct gmt_snapshot_result *r, struct gmt_diag *d);

#endif
