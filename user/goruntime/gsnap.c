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

/* One g: 1 when read, 0 when dead or idle, a negative errno. */
static int read_g(const struct gmt_rmem *m, const struct gmt_go_release *row,
		  const struct gmt_pcln *pcln, uint64_t bias, uint64_t g, struct gmt_gsnap_g *out,
		  struct gmt_gsnap *s)
{
	const struct gmt_rel_g *o = &row->g;
	struct gview v, again;
	uint64_t lo = 0, hi = 0, lockedm = 0;
	int err;

	for (int attempt = 0;; attempt++) {
		memset(out, 0, offsetof(struct gmt_gsnap_g, stk));
		err = read_view(m, row, g, &v);
		if (err)
			return err;
		if (v.status == (uint32_t)row->consts.g_idle ||
		    v.status == (uint32_t)row->consts.g_dead ||
		    (row->consts.g_deadextra != GMT_CONST_ABSENT &&
		     v.status == (uint32_t)row->consts.g_deadextra))
			return 0;
		out->goid = v.goid;
		out->status = v.status;
		out->pc = v.pc;
		out->sp = v.sp;
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
		if (!gmt_gsnap_stopped(row, v.status))
			return 1; /* running: no saved stack, as Go says */
		if (!pcln)
			return 1; /* the walker alone (fuzz_gsnap) */
		err = rd(m, g, o->stack_lo, &lo, 8);
		if (!err)
			err = rd(m, g, o->stack_hi, &hi, 8);
		if (err)
			return err;
		err = gmt_unwind(pcln, m,
				 &(struct gmt_unwind_in){ v.pc, v.sp, lo, hi, bias }, out->stk,
				 GMT_GSNAP_DEPTH);
		if (err == -ESRCH)
			return err;
		/* Did it move meanwhile?  Then what we unwound may mix two stacks. */
		if (read_view(m, row, g, &again))
			return -ESRCH;
		if (err >= 0 && !memcmp(&v, &again, sizeof(v))) {
			out->nstk = err;
			return 1;
		}
		if (attempt == 1 || memcmp(&v, &again, sizeof(v)) == 0) {
			/* Still, or unwinds to nowhere: keep it, say so. */
			out->nstk = 0;
			out->unreadable = true;
			s->unreadable++;
			return 1;
		}
		s->reread++;
	}
}

int gmt_gsnap_read(const struct gmt_rmem *m, const struct gmt_go_release *row,
		   const struct gmt_pcln *pcln, const struct gmt_gsnap_addrs *a,
		   struct gmt_gsnap *out, struct gmt_diag *d)
{
	uint64_t len = 0, ptr = 0, *gs = NULL;
	size_t cap = 0;
	int err;

	memset(out, 0, sizeof(*out));
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
	for (uint64_t i = 0; i < len; i++) {
		int r;

		if (!gs[i])
			continue;
		if (GMT_GROW(&out->gs, &cap, out->n + 1)) {
			err = gmt_diag_set(d, -ENOMEM, "out of memory for %zu goroutines",
					   out->n + 1);
			goto fail;
		}
		r = read_g(m, row, pcln, a->bias, gs[i], &out->gs[out->n], out);
		if (r == -ESRCH) {
			err = gmt_diag_set(d, -ESRCH, "the process is gone");
			goto fail;
		}
		if (r > 0)
			out->n++;
		else if (r < 0)
			out->unreadable++; /* a g pointer that leads nowhere */
	}
	free(gs);
	return 0;
fail:
	free(gs);
	gmt_gsnap_free(out);
	return err;
}

void gmt_gsnap_free(struct gmt_gsnap *s)
{
	free(s->gs);
	s->gs = NULL;
	s->n = 0;
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
