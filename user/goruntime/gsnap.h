/* SPDX-License-Identifier: MIT */
/*
 * Every goroutine of a running process, read from outside (issue 15): runtime.allgs
 * (found by gorvars.h), each g's status, wait reason, waitsince, creation site and saved
 * registers (g.sched), laid out as the release row says, and the stack of each stopped
 * goroutine unwound from g.sched (gobin/unwind.h).  Reads go through struct gmt_rmem.
 *
 * The process keeps running: a goroutine whose status, goid or g.sched changed while its
 * stack was unwound is read again once; if it changes again, or its stack does not
 * unwind, it is kept with no frames and counted in unreadable.
 */
#ifndef GMT_GSNAP_H
#define GMT_GSNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "rtmem.h"

struct gmt_go_release;
struct gmt_pcln;

#define GMT_GSNAP_DEPTH 128 /* frames kept per goroutine (Go's traceback prints 100) */

struct gmt_gsnap_g {
	uint64_t goid, parent_goid; /* parent_goid 0 when unknown (before go1.21) */
	uint64_t gopc, startpc;	    /* process addresses */
	int64_t waitsince;	    /* nanotime() when the wait began, 0 when not known */
	uint64_t pc, sp, bp;	    /* g.sched (g.syscallpc/sp in a syscall) */
	uint32_t status;	    /* without the scan bit */
	uint8_t waitreason;
	bool locked;	  /* g.lockedm: locked to its thread */
	bool unreadable;  /* stopped, but its stack could not be read consistently */
	int nstk;	  /* frames in stk; 0 for a running goroutine */
	/* pcs, innermost first: the first as saved, then return addresses.  Points into
	 * the snapshot's one frame array (struct gmt_gsnap.frames): a goroutine costs its
	 * own frames, not GMT_GSNAP_DEPTH of them (100,000 goroutines, issue 15). */
	const uint64_t *stk;
};

struct gmt_gsnap {
	struct gmt_gsnap_g *gs;
	size_t n;	    /* goroutines not dead */
	uint64_t *frames;   /* every goroutine's frames, one after the other */
	size_t nframes;
	size_t reread;	    /* goroutines that changed while read and were read again */
	size_t unreadable;  /* goroutines whose stack could not be read consistently */
};

struct gmt_gsnap_addrs {
	uint64_t allgptr, allglen; /* process addresses of the two variables */
	uint64_t bias;		   /* load bias: pcln addresses are process addresses - bias */
};

/*
 * Reads every goroutine that is not dead (_Gidle, _Gdead left out), and unwinds the
 * stopped ones with pcln (NULL: no stacks, the walker alone).  0, or a negative
 * errno with one line in d: -ESRCH gone, -EFAULT/-EINVAL garbage where allgs should be.
 */
int gmt_gsnap_read(const struct gmt_rmem *m, const struct gmt_go_release *row,
		   const struct gmt_pcln *pcln, const struct gmt_gsnap_addrs *a,
		   struct gmt_gsnap *out, struct gmt_diag *d);
void gmt_gsnap_free(struct gmt_gsnap *s);

/* Go's name of a status or wait reason: "chan receive", "runnable", ... ("" unknown). */
const char *gmt_gsnap_state(const struct gmt_go_release *row, const struct gmt_gsnap_g *g);
/* The goroutine is stopped with a saved stack (not running, not in a syscall's C code). */
bool gmt_gsnap_stopped(const struct gmt_go_release *row, uint32_t status);

#endif
