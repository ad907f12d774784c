/* SPDX-License-Identifier: MIT */
/*
 * goroutines.txt of a snapshot (goruntime/gsnap.h): the goroutines grouped by identical
 * stack, largest groups first, each group headed as /debug/pprof/goroutine?debug=1 heads
 * it ("N @ pc pc ...") and followed by its goroutines as Go's own traceback prints them
 * (debug=2): "goroutine 8 [chan receive, 47 minutes]:", frames "pkg.fn(...)" and
 * "\tfile:line" with inlined frames expanded and runtime-internal frames hidden as Go
 * hides them, "created by pkg.fn in goroutine N".  System goroutines (started in a
 * runtime function other than runtime.main) are left out, as both profiles leave them out.
 */
#ifndef GMT_OUT_GOROUTINES_SNAP_H
#define GMT_OUT_GOROUTINES_SNAP_H

#include <stdint.h>
#include <stdio.h>

#include "diag.h"
#include "gsnap.h"
#include "symbolize.h"

struct gmt_go_release;

/* One group of goroutines with the same stack (the summary prints the largest). */
struct gmt_gsnap_group {
	size_t first;	      /* index of its first goroutine in the snapshot */
	size_t count;
	int64_t longest_ns;   /* longest wait among them (0: none known) */
	const char *state;    /* the state of its first goroutine: "chan receive" */
	char func[256];	      /* its innermost shown frame */
};

/*
 * Groups s's user goroutines into *groups (malloc'd, largest first) and returns their
 * number, or a negative errno.  now_ns: CLOCK_MONOTONIC now (the clock of nanotime()).
 */
int gmt_gsnap_group(const struct gmt_gsnap *s, const struct gmt_go_release *row,
		    const struct gmt_symbolizer *sym, int64_t now_ns, struct gmt_gsnap_group **groups);

int gmt_write_goroutines_snap(const struct gmt_gsnap *s, const struct gmt_go_release *row,
			      const struct gmt_symbolizer *sym, int64_t now_ns, FILE *f);

struct gmt_run_info;
struct gmt_pprof_opts;
struct gmt_leakflag;

/*
 * One read of the leak flagger (agg/leakflag.h): every user goroutine under its key,
 * the creation site (the function of its go statement, "?" when hidden), the wait site
 * (its innermost shown frame, as the groups name it) and its state.  0, or -ENOMEM
 * said in d (the read is then dropped, the flagger's history kept).
 */
int gmt_gsnap_feed_leaks(const struct gmt_gsnap *s, const struct gmt_go_release *row,
			 const struct gmt_symbolizer *sym, int64_t now_ns, struct gmt_leakflag *lf,
			 struct gmt_diag *d);

/*
 * goroutines.pb.gz: the goroutine profile as runtime/pprof writes it (debug=0), one sample
 * per group (value: its count), stacks without wrappers and runtime.goexit.
 */
int gmt_write_goroutines_snap_pprof(const struct gmt_gsnap *s, const struct gmt_go_release *row,
				    const struct gmt_symbolizer *sym, int64_t now_ns,
				    const struct gmt_run_info *ri, const struct gmt_pprof_opts *o,
				    FILE *f);

#endif
