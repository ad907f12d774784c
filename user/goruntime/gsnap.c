// SPDX-License-Identifier: MIT
#include "gsnap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "go_release.h"
#include "grow.h"
#include "unwind.h"

#define MAX_ALLG (1u << 24) /* more goroutines than anyone runs: a misread length */

/* The fields of one g that say whether it moved while we read its stack. */
struct gview {
	uint64_t goid;
	uint32_t status;
	uint64_t pc, sp;
};

static int rd(const struct gmt_rmem *m, uint64_t base, uint32_t off, void *v, size_t len)
{
	if (off == GMT_OFF_ABSENT)
		return -ENOENT;
	return gmt_rmem_read(m, base + off, v, len);
}

bool gmt_gsnap_stopped(const struct gmt_go_release *row, uint32_t status)
{
	return status == (uint32_t)row->consts.g_runnable ||
	       status == (uint32_t)row->consts.g_waiting ||
	       status == (uint32_t)row->consts.g_syscall ||
	       (row->consts.g_preempted != GMT_CONST_ABSENT &&
		status == (uint32_t)row->consts.g_preempted);
}

static int read_view(const struct gmt_rmem *m, const struct gmt_go_release *row, uint64_t g,
		     struct gview *v)
{
	const struct gmt_rel_g *o = &row->g;
	int err;

	memset(v, 0, sizeof(*v));
	err = rd(m, g, o->atomicstatus, &v->status, 4);
	if (!err)
		err = rd(m, g, o->goid, &v->goid, 8);
	if (err)
		return err;
	v->status &= ~(uint32_t)row->consts.g_scan;
	/* In a syscall the saved registers are syscallpc/sp (as Go's traceback). */
	if (v->status == (uint32_t)row->consts.g_syscall) {
		err = rd(m, g, o->syscallpc, &v->pc, 8);
		if (!err)
			err = rd(m, g, o->syscallsp, &v->sp, 8);
	} else {
		err = rd(m, g, o->sched_pc, &v->pc, 8);
		if (!err)
			err = rd(m, g, o->sched_sp, &v->sp, 8);
	}
	return err;
}

/*
 * The reads of one snapshot.  A live process answers each read with a system call, and
 * a snapshot may hold 100,000 goroutines: the g's are read through a cache of blocks
 * (they lie packed in the heap's spans), a stack is unwound from one copy of its used
 * part ([sp, stack.hi)), and a second pass reads every g again, fresh, through a second
 * cache, to see which moved while the first pass read them.  About one read per
 * goroutine, not one per field and frame.
 */
struct reader {
	const struct gmt_go_release *row;
	const struct gmt_pcln *pcln;
	uint64_t bias;
	struct gmt_rmem_window stk;
	struct gmt_rmem sm; /* through the stack's window */
	struct gmt_unwind_memo *memo; /* NULL when out of memory: unwinds without */
};

/* What one pass read of one g, besides its struct gmt_gsnap_g. */
struct gread {
	uint64_t g;	/* its address */
	struct gview v; /* as read */
	size_t stk_at;	/* its frames in the snapshot's frame array */
	bool unwound;	/* stopped, and its stack unwound (nstk >= 0) */
};

#define STACK_WINDOW_MAX (1u << 20) /* a deeper stack is read frame by frame */

/*
 * One g through m: 1 when read, 0 when dead or idle, a negative errno.  A stopped one's
 * frames go to stk, their number to out->nstk (-1 when the stack does not unwind:
 * *unwound false).
 */
static int read_g(struct reader *r, const struct gmt_rmem *m, uint64_t g, struct gmt_gsnap_g *out,
		  struct gview *v, uint64_t stk[GMT_GSNAP_DEPTH], bool *unwound)
{
	const struct gmt_go_release *row = r->row;
	const struct gmt_rel_g *o = &row->g;
	uint64_t lo = 0, hi = 0, lockedm = 0;
	int err;

	memset(out, 0, sizeof(*out));
	*unwound = false;
	err = read_view(m, row, g, v);
	if (err)
		return err;
	if (v->status == (uint32_t)row->consts.g_idle || v->status == (uint32_t)row->consts.g_dead ||
	    (row->consts.g_deadextra != GMT_CONST_ABSENT &&
	     v->status == (uint32_t)row->consts.g_deadextra))
		return 0;
	out->goid = v->goid;
	out->status = v->status;
	out->pc = v->pc;
	out->sp = v->sp;
	if (rd(m, g, o->gopc, &out->gopc, 8))
		out->gopc = 0;
	if (rd(m, g, o->startpc, &out->startpc, 8))
		out->startpc = 0;
	if (rd(m, g, o->parent_goid, &out->parent_goid, 8))
		out->parent_goid = 0;
	if (rd(m, g, o->waitsince, &out->waitsince, 8))
		out->waitsince = 0;
	if (rd(m, g, o->waitreason, &out->waitreason, 1))
		out->waitreason = 0;
	if (rd(m, g, o->sched_bp, &out->bp, 8))
		out->bp = 0;
	if (!rd(m, g, o->lockedm, &lockedm, 8))
		out->locked = lockedm != 0;
	if (!gmt_gsnap_stopped(row, v->status) || !r->pcln)
		return 1; /* running: no saved stack, as Go says; or the walker alone (fuzz) */
	err = rd(m, g, o->stack_lo, &lo, 8);
	if (!err)
		err = rd(m, g, o->stack_hi, &hi, 8);
	if (err)
		return err;
	r->stk.len = 0;
	if (v->sp >= lo && v->sp < hi && hi - v->sp <= STACK_WINDOW_MAX) {
		/* Unmapped: left empty, the unwinder's own reads say so. */
		err = gmt_rmem_window_load(&r->stk, v->sp, hi - v->sp);
		if (err == -ESRCH)
			return err;
	}
	err = gmt_unwind(r->pcln, &r->sm,
			 &(struct gmt_unwind_in){ v->pc, v->sp, lo, hi, r->bias, r->memo }, stk,
			 GMT_GSNAP_DEPTH);
	if (err == -ESRCH)
		return err;
	*unwound = err >= 0;
	out->nstk = err >= 0 ? err : 0;
	return 1;
}

/* Files n frames in the snapshot's frame array: 0 or -ENOMEM. */
static int keep_frames(struct gmt_gsnap *s, size_t *cap, const uint64_t *stk, int n, size_t *at)
{
	*at = s->nframes;
	if (n <= 0)
		return 0;
	if (GMT_GROW(&s->frames, cap, s->nframes + (size_t)n))
		return -ENOMEM;
	memcpy(s->frames + s->nframes, stk, (size_t)n * sizeof(stk[0]));
	s->nframes += (size_t)n;
	return 0;
}

int gmt_gsnap_read(const struct gmt_rmem *m, const struct gmt_go_release *row,
		   const struct gmt_pcln *pcln, const struct gmt_gsnap_addrs *a,
		   struct gmt_gsnap *out, struct gmt_diag *d)
{
	uint64_t len = 0, ptr = 0, *gs = NULL, stk[GMT_GSNAP_DEPTH];
	struct reader r = { .row = row, .pcln = pcln, .bias = a->bias, .stk = { .under = m } };
	struct gmt_rmem_cache c1, c2;
	struct gmt_rmem first = gmt_rmem_cache_mem(&c1), fresh = gmt_rmem_cache_mem(&c2);
	struct gread *rd_of = NULL;
	size_t cap = 0, rcap = 0, fcap = 0, kept = 0;
	int err;

	memset(out, 0, sizeof(*out));
	gmt_rmem_cache_init(&c1, m);
	gmt_rmem_cache_init(&c2, m);
	r.sm = gmt_rmem_window_mem(&r.stk);
	/* Length first: the runtime publishes allgptr before allglen. */
	err = gmt_rmem_u64(m, a->allglen, &len);
	if (!err)
		err = gmt_rmem_u64(m, a->allgptr, &ptr);
	if (err)
		return gmt_diag_set(d, err == -ESRCH ? -ESRCH : -EFAULT,
				    "cannot read runtime.allglen/allgptr: %s",
				    err == -ESRCH ? "the process is gone" : "not mapped");
	if (len > MAX_ALLG || (len && !ptr))
		return gmt_diag_set(d, -EINVAL, "runtime.allglen reads %llu: not a length",
				    (unsigned long long)len);
	/* The g pointers first: a garbage length fails on the read, before any result. */
	gs = calloc(len ? len : 1, sizeof(*gs));
	if (!gs) {
		err = gmt_diag_set(d, -ENOMEM, "out of memory for %llu goroutines",
				   (unsigned long long)len);
		goto fail;
	}
	err = len ? gmt_rmem_read(m, ptr, gs, len * sizeof(*gs)) : 0;
	if (err) {
		err = gmt_diag_set(d, err == -ESRCH ? -ESRCH : -EFAULT,
				   "cannot read runtime.allgs (%llu at 0x%llx): %s",
				   (unsigned long long)len, (unsigned long long)ptr,
				   err == -ESRCH ? "the process is gone" : "not mapped");
		goto fail;
	}
	if (pcln)
		r.memo = calloc(1, sizeof(*r.memo));
	/* Pass 1: every g, through the first cache. */
	for (uint64_t i = 0; i < len; i++) {
		struct gread *gr;
		int got;

		if (!gs[i])
			continue;
		if (GMT_GROW(&out->gs, &cap, out->n + 1) || GMT_GROW(&rd_of, &rcap, out->n + 1))
			goto nomem;
		gr = &rd_of[out->n];
		gr->g = gs[i];
		got = read_g(&r, &first, gs[i], &out->gs[out->n], &gr->v, stk, &gr->unwound);
		if (got == -ESRCH)
			goto gone;
		if (got < 0)
			out->unreadable++; /* a g pointer that leads nowhere */
		if (got <= 0)
			continue;
		if (keep_frames(out, &fcap, stk, out->gs[out->n].nstk, &gr->stk_at))
			goto nomem;
		out->n++;
	}
	/*
	 * Pass 2: did a stopped one move while we read its stack?  Then what we unwound
	 * may mix two stacks: read it again, alone and fresh; if it moves again, or does
	 * not unwind, keep it with no frames and say so.  One that ended meanwhile is left
	 * out.
	 */
	for (size_t i = 0; i < out->n; i++) {
		struct gmt_gsnap_g *g = &out->gs[i];
		struct gread *gr = &rd_of[i];
		struct gview again;
		bool unwound;
		int got;

		if (gmt_gsnap_stopped(row, g->status) && pcln) {
			if (read_view(&fresh, row, gr->g, &again))
				goto gone;
			if (memcmp(&gr->v, &again, sizeof(again))) {
				out->reread++;
				got = read_g(&r, m, gr->g, g, &gr->v, stk, &unwound);
				if (got == -ESRCH)
					goto gone;
				if (got <= 0)
					continue; /* ended meanwhile, or leads nowhere now: left out */
				if (unwound && gmt_gsnap_stopped(row, g->status) &&
				    (read_view(m, row, gr->g, &again) ||
				     memcmp(&gr->v, &again, sizeof(again))))
					unwound = false;
				gr->unwound = unwound || !gmt_gsnap_stopped(row, g->status);
				if (keep_frames(out, &fcap, stk, g->nstk, &gr->stk_at))
					goto nomem;
			}
			if (!gr->unwound) {
				g->nstk = 0;
				g->unreadable = true;
				out->unreadable++;
			}
		}
		out->gs[kept] = *g;
		rd_of[kept++] = *gr;
	}
	out->n = kept;
	/* The array has stopped moving: point each goroutine at its frames. */
	for (size_t i = 0; i < out->n; i++)
		out->gs[i].stk = out->gs[i].nstk ? out->frames + rd_of[i].stk_at : NULL;
	err = 0;
	goto done;
nomem:
	err = gmt_diag_set(d, -ENOMEM, "out of memory for %zu goroutines", out->n + 1);
	goto fail;
gone:
	err = gmt_diag_set(d, -ESRCH, "the process is gone");
fail:
	gmt_gsnap_free(out);
done:
	free(gs);
	free(rd_of);
	gmt_rmem_window_free(&r.stk);
	free(r.memo);
	return err;
}

void gmt_gsnap_free(struct gmt_gsnap *s)
{
	free(s->gs);
	free(s->frames);
	s->gs = NULL;
	s->frames = NULL;
	s->n = s->nframes = 0;
}

const char *gmt_gsnap_state(const struct gmt_go_release *row, const struct gmt_gsnap_g *g)
{
	static const char *const names[] = { "idle", "runnable", "running", "syscall",
					     "waiting", "dead", "", "copystack", "preempted" };
	const struct gmt_str_table *w = &row->strings.wait_reasons;

	if (g->status == (uint32_t)row->consts.g_waiting && g->waitreason && w->s &&
	    g->waitreason < w->n && w->s[g->waitreason])
		return w->s[g->waitreason];
	if (g->status < sizeof(names) / sizeof(names[0]))
		return names[g->status];
	return "???";
}
