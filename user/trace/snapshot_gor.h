/* SPDX-License-Identifier: MIT */
/* The goroutine part of gomemtrace snapshot: goroutines.txt and the summary's groups. */
#ifndef GMT_SNAPSHOT_GOR_H
#define GMT_SNAPSHOT_GOR_H

#include <stdint.h>
#include <stdio.h>

#include "diag.h"
#include "gsnap.h"
#include "rtmem.h"
#include "symbolize.h"

struct gmt_gobin;
struct gmt_gorvars;
struct gmt_go_release;
struct gmt_run_info;
struct gmt_pprof_opts;
struct gmt_leakflag;

struct gmt_snapshot_gor_in {
	const struct gmt_gobin *gb;
	const struct gmt_gorvars *vars; /* allgs, as the analysis found them */
	const struct gmt_go_release *row;
	const struct gmt_rmem *mem;
	const struct gmt_symbolizer *sym;
	uint64_t bias;
	const char *dir; /* prepared output directory; NULL: no file, nothing printed (the
			  * read only feeds leaks) */
	const struct gmt_run_info *ri;	 /* for goroutines.pb.gz: time, pid, release */
	const struct gmt_pprof_opts *po; /* its mapping */
	struct gmt_leakflag *leaks;	 /* fed with this read (agg/leakflag.h), NULL: none */
};

/*
 * Reads every goroutine into s (gmt_gsnap_free() it, also on error) and the moment read
 * (CLOCK_MONOTONIC, nanotime()'s clock) into *now_ns.  Writes nothing: a snapshot reads
 * everything before it writes its first file, so that a process gone mid-read leaves none.
 */
int gmt_snapshot_gor_read(const struct gmt_snapshot_gor_in *in, struct gmt_gsnap *s,
			  int64_t *now_ns, struct gmt_diag *d);
/*
 * Writes what was read: dir/goroutines.txt and goroutines.pb.gz, feeds in->leaks, prints
 * the largest groups to out (dir NULL: feeds in->leaks only).
 */
int gmt_snapshot_gor_write(const struct gmt_snapshot_gor_in *in, const struct gmt_gsnap *s,
			   int64_t now_ns, FILE *out, struct gmt_diag *d);
/* Both in one: read, then write. */
int gmt_snapshot_goroutines(const struct gmt_snapshot_gor_in *in, FILE *out, struct gmt_diag *d);

#endif
