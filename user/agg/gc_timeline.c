// SPDX-License-Identifier: MIT
#include "gc_timeline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "go_release.h"
#include "grow.h"

/*
 * How far a time the runtime measured may be from the probe that saw the same moment:
 * both are CLOCK_MONOTONIC, so anything further off was not read from where we think.
 */
#define MAX_SKEW_NS 100000000LL

enum phase {
	PH_NONE,       /* no cycle open */
	PH_SWEEP_TERM, /* inside STW 1 */
	PH_MARK,       /* concurrent mark */
	PH_MARK_TERM,  /* inside STW 2 */
};

struct open_stw {
	struct gmt_stw s;
	bool have_heap;
	uint64_t heap_live; /* at the stop: gctrace's heap0 / heap1 */
	bool saw_cycle;	    /* startCycle ran inside */
	bool saw_sweep;	    /* gcSweep ran inside */
};

/* The pause startTheWorldWithSema's entry just closed, until its RET reports the time. */
enum end_role { END_OTHER, END_SWEEP_TERM, END_MARK_TERM, END_RETRY };

struct last_start {
	bool valid;
	uint32_t tid;
	uint64_t entry_ts;
	size_t stw;   /* index in stws */
	size_t cycle; /* index in cycles, for the roles that end a cycle phase */
	enum end_role role;
};

struct gmt_gc_timeline {
	const struct gmt_go_release *row;
	struct last_start ls;
	struct gmt_gc_cycle *cycles;
	size_t ncycles, cap_cycles;
	struct gmt_stw *stws;
	size_t nstws, cap_stws;

	bool stw_open;
	struct open_stw stw;
	bool cycle_open;
	size_t cur; /* index of the open cycle */
	bool have_stw1;
	size_t stw1; /* index in stws of the open cycle's sweep-termination pause */
	enum phase phase;
	int last_trigger; /* of the latest gcStart entry */
	uint32_t gc_start_calls;
	uint64_t lost;
	uint64_t first_ts, last_ts;
	bool finished;
};

struct gmt_gc_timeline *gmt_gc_timeline__new(const struct gmt_go_release *row)
{
	struct gmt_gc_timeline *tl = calloc(1, sizeof(*tl));

	if (!tl)
		return NULL;
	tl->row = row;
	tl->last_trigger = GMT_GC_TRIGGER_UNKNOWN;
	return tl;
}

void gmt_gc_timeline__free(struct gmt_gc_timeline *tl)
{
	if (!tl)
		return;
	free(tl->cycles);
	free(tl->stws);
	free(tl);
}

static int push_stw(struct gmt_gc_timeline *tl, const struct gmt_stw *s)
{
	if (GMT_GROW(&tl->stws, &tl->cap_stws, tl->nstws + 1))
		return -ENOMEM;
	tl->stws[tl->nstws++] = *s;
	return 0;
}

static struct gmt_gc_cycle *cur_cycle(struct gmt_gc_timeline *tl)
{
	return tl->cycle_open ? &tl->cycles[tl->cur] : NULL;
}

/* Ends the open cycle (if any) as seen whole or with its end missing. */
static void close_cycle(struct gmt_gc_timeline *tl, bool complete)
{
	struct gmt_gc_cycle *c = cur_cycle(tl);

	if (c && !complete)
		c->flags |= GMT_GC_PARTIAL_END;
	tl->cycle_open = false;
	tl->phase = PH_NONE;
}

static struct gmt_gc_cycle *new_cycle(struct gmt_gc_timeline *tl)
{
	struct gmt_gc_cycle *c;

	if (tl->cycle_open) {
		/* A new cycle while one is open: the old one's end was lost. */
		tl->lost++;
		close_cycle(tl, false);
	}
	if (GMT_GROW(&tl->cycles, &tl->cap_cycles, tl->ncycles + 1))
		return NULL;
	c = &tl->cycles[tl->ncycles];
	memset(c, 0, sizeof(*c));
	c->trigger = GMT_GC_TRIGGER_UNKNOWN;
	tl->cur = tl->ncycles++;
	tl->cycle_open = true;
	tl->have_stw1 = false;
	return c;
}

/*
 * Whether an open pause is a GC one by what the runtime told us: the stwReason on
 * go1.21+; on go1.19-1.20 every non-GC pause comes through stopTheWorld(reason), so a
 * pause without a reason string is the GC's own.
 */
/* The row's stwGCMarkTerm or stwGCSweepTerm (go1.21+). */
static bool gc_reason(const struct gmt_gc_timeline *tl, int reason)
{
	return tl->row && reason >= 0 &&
	       (reason == tl->row->consts.stw_gc_mark_term ||
		reason == tl->row->consts.stw_gc_sweep_term);
}

static bool stw_says_gc(const struct gmt_gc_timeline *tl, const struct gmt_stw *s)
{
	if (s->reason >= 0)
		return gc_reason(tl, s->reason);
	if (s->reason_str[0])
		return false;
	return tl->row && (tl->row->flags & GMT_REL_STOPTHEWORLD_STRING);
}

static int on_stw_stop(struct gmt_gc_timeline *tl, const struct gmt_rec_gc *r)
{
	struct open_stw *o = &tl->stw;
	int err = 0;

	tl->ls.valid = false;
	if (tl->stw_open) {
		/* Two stops in a row: the start in between was lost. */
		tl->lost++;
		o->s.end = 0;
		err = push_stw(tl, &o->s);
	}
	memset(o, 0, sizeof(*o));
	o->s.start = r->hdr.ts_ns;
	o->s.tid = r->tid;
	o->s.reason = -1;
	if (r->flags & GMT_GC_HAVE_REASON)
		o->s.reason = (int)(r->reason & 0xff);
	if (o->s.reason >= 0 && tl->row && tl->row->strings.stw_reasons.s &&
	    (uint32_t)o->s.reason < tl->row->strings.stw_reasons.n)
		o->s.reason_name = tl->row->strings.stw_reasons.s[o->s.reason];
	if (r->flags & GMT_GC_HAVE_REASON_STR) {
		memcpy(o->s.reason_str, r->reason_str, sizeof(o->s.reason_str));
		o->s.reason_str[sizeof(o->s.reason_str) - 1] = 0;
	}
	o->have_heap = r->flags & GMT_GC_HAVE_HEAP;
	o->heap_live = r->heap_live;
	tl->stw_open = true;
	return err;
}

static int valid_trigger(uint64_t kind)
{
	return kind <= GMT_GC_TRIGGER_FORCED ? (int)kind : GMT_GC_TRIGGER_UNKNOWN;
}

static int on_cycle(struct gmt_gc_timeline *tl, const struct gmt_rec_gc *r)
{
	struct gmt_gc_cycle *c = new_cycle(tl);

	if (!c)
		return -ENOMEM;
	c->trigger = valid_trigger(r->arg[0]);
	if (c->trigger == GMT_GC_TRIGGER_UNKNOWN)
		c->trigger = tl->last_trigger;
	c->runtime_sweep_term = r->arg[1];
	c->procs = r->arg[2] <= 1u << 20 ? (uint32_t)r->arg[2] : 0;
	if (r->flags & GMT_GC_HAVE_NUMGC)
		c->num = r->numgc + 1; /* numgc counts the cycles already completed */
	if (tl->stw_open) {
		struct open_stw *o = &tl->stw;

		o->saw_cycle = true;
		o->s.kind = GMT_STW_SWEEP_TERM;
		o->s.cycle = c->num;
		/* gcStart took tSweepTerm (markStartTime) just before it stopped the world. */
		if (r->arg[1] && r->arg[1] <= o->s.start &&
		    o->s.start - r->arg[1] <= (uint64_t)MAX_SKEW_NS)
			o->s.start = r->arg[1];
		c->t_sweep_term = o->s.start;
		/* gcStart reads heapLive just before it stops the world. */
		if (o->have_heap) {
			c->heap0 = o->heap_live;
			c->have_heap0 = true;
		}
	} else {
		c->flags |= GMT_GC_PARTIAL_START;
	}
	if (!c->have_heap0 && (r->flags & GMT_GC_HAVE_HEAP)) {
		c->heap0 = r->heap_live;
		c->have_heap0 = true;
	}
	tl->phase = PH_SWEEP_TERM;
	return 0;
}

/* Whether work[] (tSweepTerm, tMark, tMarkTerm, heap0-2) reads as this cycle's record. */
static bool work_plausible(const struct gmt_gc_cycle *c, const struct gmt_rec_gc *r)
{
	const __u64 *w = r->work;

	if (!(r->flags & GMT_GC_HAVE_WORK) || !w[0] || w[0] > w[1] || w[1] > w[2] ||
	    w[2] > r->hdr.ts_ns + MAX_SKEW_NS)
		return false;
	for (int i = 3; i < 6; i++)
		if (w[i] > 1ULL << 50)
			return false;
	/* Where the probes saw the same moments, they must agree. */
	if (c->t_sweep_term &&
	    (w[0] > c->t_sweep_term + MAX_SKEW_NS || c->t_sweep_term > w[0] + MAX_SKEW_NS))
		return false;
	if (c->t_mark_term &&
	    (w[2] > c->t_mark_term + MAX_SKEW_NS || c->t_mark_term > w[2] + MAX_SKEW_NS))
		return false;
	return true;
}

/*
 * runtime.work holds the times and heap sizes gctrace prints, measured by the runtime
 * where they happen: they replace what the probes measured around them, which includes
 * the probes' own latency and whatever delayed the thread in between.
 */
static void use_work(struct gmt_gc_timeline *tl, struct gmt_gc_cycle *c, const struct gmt_rec_gc *r)
{
	const __u64 *w = r->work;

	if (!work_plausible(c, r))
		return;
	c->t_sweep_term = w[0];
	c->t_mark = w[1];
	c->t_mark_term = w[2];
	c->heap0 = w[3];
	c->heap1 = w[4];
	c->heap2 = w[5];
	c->have_heap0 = c->have_heap1 = c->have_heap2 = true;
	c->from_work = true;
	if (tl->have_stw1) {
		tl->stws[tl->stw1].start = w[0];
		tl->stws[tl->stw1].end = w[1];
	}
	if (tl->stw_open)
		tl->stw.s.start = w[2];
}

static int on_sweep(struct gmt_gc_timeline *tl, const struct gmt_rec_gc *r)
{
	struct gmt_gc_cycle *c = cur_cycle(tl);
	struct open_stw *o = tl->stw_open ? &tl->stw : NULL;

	if (!c || tl->phase == PH_MARK_TERM) {
		/* Tracing began during this cycle's mark (or its start was lost). */
		c = new_cycle(tl);
		if (!c)
			return -ENOMEM;
		c->flags |= GMT_GC_PARTIAL_START;
		if (r->flags & GMT_GC_HAVE_NUMGC)
			c->num = r->numgc + 1;
	} else if (tl->phase == PH_SWEEP_TERM) {
		/* STW 1's end was lost. */
		tl->lost++;
		c->flags |= GMT_GC_PARTIAL_START;
	}
	tl->phase = PH_MARK_TERM;
	if (o) {
		o->saw_sweep = true;
		o->s.kind = GMT_STW_MARK_TERM;
		o->s.cycle = c->num;
		c->t_mark_term = o->s.start;
		/* gcMarkTermination's heap1 is heapLive once the world is stopped. */
		if (o->have_heap) {
			c->heap1 = o->heap_live;
			c->have_heap1 = true;
		}
	} else {
		c->flags |= GMT_GC_PARTIAL_START;
	}
	/* gcMark has run resetLive(bytesMarked); gcMarkDone's endCycle set lastHeapGoal. */
	if (r->flags & GMT_GC_HAVE_HEAP) {
		c->heap2 = r->heap_marked;
		c->goal = r->heap_goal;
		c->have_heap2 = c->have_goal = true;
	}
	use_work(tl, c, r);
	return 0;
}

/* Pushes the pause that just ended and remembers it for the RET's time (on_stw_done). */
static int push_ended(struct gmt_gc_timeline *tl, const struct gmt_stw *s, uint32_t tid,
		      size_t cycle, enum end_role role)
{
	int err = push_stw(tl, s);

	if (err)
		return err;
	tl->ls = (struct last_start){.valid = true,
				     .tid = tid,
				     .entry_ts = s->end,
				     .stw = tl->nstws - 1,
				     .cycle = cycle,
				     .role = role};
	if (role == END_SWEEP_TERM) {
		tl->have_stw1 = true;
		tl->stw1 = tl->nstws - 1;
	}
	return 0;
}

static int on_stw_start(struct gmt_gc_timeline *tl, const struct gmt_rec_gc *r)
{
	struct gmt_gc_cycle *c = cur_cycle(tl);
	size_t ci = tl->cur;
	enum end_role role = END_OTHER;
	struct gmt_stw s;

	if (!tl->stw_open) {
		/* The world was stopped before tracing began (or the stop was lost). */
		memset(&s, 0, sizeof(s));
		s.reason = -1;
		s.tid = r->tid;
		s.end = r->hdr.ts_ns;
		if (c && tl->phase == PH_SWEEP_TERM) {
			s.kind = GMT_STW_SWEEP_TERM;
			c->t_mark = s.end;
			tl->phase = PH_MARK;
			role = END_SWEEP_TERM;
		} else if (c && tl->phase == PH_MARK_TERM) {
			s.kind = GMT_STW_MARK_TERM;
			c->t_end = s.end;
			if (r->flags & GMT_GC_HAVE_NUMGC)
				c->num = r->numgc;
			close_cycle(tl, true);
			role = END_MARK_TERM;
		}
		s.cycle = c ? c->num : 0;
		return push_ended(tl, &s, r->tid, ci, role);
	}
	tl->stw_open = false;
	s = tl->stw.s;
	s.end = r->hdr.ts_ns;
	if (tl->stw.saw_cycle && c && tl->phase == PH_SWEEP_TERM) {
		c->t_mark = s.end;
		tl->phase = PH_MARK;
		role = END_SWEEP_TERM;
	} else if (tl->stw.saw_sweep && c && tl->phase == PH_MARK_TERM) {
		/*
		 * go1.22+: startTheWorldWithSema(now, w) gets gcMarkTermination's tEnd; before
		 * 1.22 tEnd was taken just before this entry.  (The RET may still refine it.)
		 */
		if (tl->row && (tl->row->flags & GMT_REL_START_NOW) && r->arg[0] > s.start &&
		    r->arg[0] <= s.end &&
		    s.end - r->arg[0] <= (uint64_t)MAX_SKEW_NS)
			s.end = r->arg[0];
		c->t_end = s.end;
		/* numgc++ happens just before the world restarts: the number gctrace prints. */
		if (r->flags & GMT_GC_HAVE_NUMGC)
			c->num = r->numgc;
		s.cycle = c->num;
		close_cycle(tl, true);
		role = END_MARK_TERM;
	} else if (c && tl->phase == PH_MARK && stw_says_gc(tl, &s)) {
		s.kind = GMT_STW_MARK_TERM_RETRY;
		s.cycle = c->num;
		c->mark_term_retries++;
		c->retry_stw_ns += s.end - s.start;
		role = END_RETRY;
	} else if (gc_reason(tl, s.reason)) {
		/* A GC pause with neither startCycle nor gcSweep inside: records were lost. */
		tl->lost++;
	}
	return push_ended(tl, &s, r->tid, ci, role);
}

/*
 * A RET of startTheWorldWithSema returns the time the runtime itself takes as the end
 * of the pause (on go1.22+ after it woke the other Ps; for mark termination the time
 * gcMarkTermination measured).  gctrace's clock columns use it: so do we.
 */
static int on_stw_done(struct gmt_gc_timeline *tl, const struct gmt_rec_gc *r)
{
	struct last_start *ls = &tl->ls;
	int64_t now = (int64_t)r->arg[0];
	struct gmt_stw *s;
	uint64_t old;

	if (!ls->valid || ls->tid != r->tid)
		return 0;
	ls->valid = false;
	s = &tl->stws[ls->stw];
	if (now <= 0 || (s->start && (uint64_t)now <= s->start) ||
	    now - (int64_t)ls->entry_ts > MAX_SKEW_NS || (int64_t)ls->entry_ts - now > MAX_SKEW_NS)
		return 0;
	old = s->end;
	s->end = (uint64_t)now;
	switch (ls->role) {
	case END_SWEEP_TERM:
		tl->cycles[ls->cycle].t_mark = s->end;
		break;
	case END_MARK_TERM:
		/*
		 * gcMarkTermination takes tEnd just before it restarts the world and, from
		 * go1.22, passes it in and gets it back; before 1.22 the function returns
		 * a later time of its own, and the entry is closer to tEnd.
		 */
		if (old < s->end)
			s->end = old;
		tl->cycles[ls->cycle].t_end = s->end;
		break;
	case END_RETRY:
		tl->cycles[ls->cycle].retry_stw_ns += s->end - old;
		break;
	case END_OTHER:
		break;
	}
	return 0;
}

int gmt_gc_timeline__add(struct gmt_gc_timeline *tl, const struct gmt_rec_gc *r)
{
	int err;

	switch (r->hdr.kind) {
	case GMT_REC_GC_START:
		tl->gc_start_calls++;
		tl->last_trigger = valid_trigger(r->arg[0]);
		err = 0;
		break;
	case GMT_REC_GC_CYCLE:
		err = on_cycle(tl, r);
		break;
	case GMT_REC_GC_SWEEP:
		err = on_sweep(tl, r);
		break;
	case GMT_REC_GC_STW_STOP:
		err = on_stw_stop(tl, r);
		break;
	case GMT_REC_GC_STW_START:
		err = on_stw_start(tl, r);
		break;
	case GMT_REC_GC_STW_DONE:
		err = on_stw_done(tl, r);
		break;
	default:
		return -EINVAL;
	}
	if (!tl->first_ts || r->hdr.ts_ns < tl->first_ts)
		tl->first_ts = r->hdr.ts_ns;
	if (r->hdr.ts_ns > tl->last_ts)
		tl->last_ts = r->hdr.ts_ns;
	return err;
}

void gmt_gc_timeline__finish(struct gmt_gc_timeline *tl, uint64_t end_ns)
{
	if (tl->finished)
		return;
	tl->finished = true;
	if (tl->stw_open) {
		tl->stw.s.end = 0;
		push_stw(tl, &tl->stw.s);
		tl->stw_open = false;
	}
	if (tl->cycle_open)
		close_cycle(tl, false);
	if (end_ns > tl->last_ts)
		tl->last_ts = end_ns;
}

struct gmt_gc_timeline *gmt_gc_timeline__rotate(struct gmt_gc_timeline *tl, uint64_t cut_ns)
{
	struct gmt_gc_timeline *snap = gmt_gc_timeline__new(tl->row);
	size_t keep_stw = tl->nstws, keep_cycle = tl->ncycles, ci = 0;

	if (!snap)
		return NULL;
	/* The open cycle stays, with the pauses that its sweep (use_work) may still amend. */
	if (tl->cycle_open) {
		keep_cycle = tl->cur;
		if (tl->have_stw1)
			keep_stw = tl->stw1;
	}
	/* A RET still to come amends the last pause, and the open cycle at most. */
	if (tl->ls.valid) {
		bool open_cycle = tl->cycle_open && tl->ls.cycle == tl->cur;

		if (tl->ls.role == END_OTHER || open_cycle)
			keep_stw = tl->ls.stw < keep_stw ? tl->ls.stw : keep_stw;
		else
			tl->ls.valid = false; /* its cycle ended: the entry's time stands */
	}
	snap->cycles = malloc((keep_cycle ? keep_cycle : 1) * sizeof(*snap->cycles));
	snap->stws = malloc((keep_stw ? keep_stw : 1) * sizeof(*snap->stws));
	if (!snap->cycles || !snap->stws) {
		gmt_gc_timeline__free(snap);
		return NULL;
	}
	snap->cap_cycles = keep_cycle ? keep_cycle : 1;
	snap->cap_stws = keep_stw ? keep_stw : 1;
	/* Only the open cycle can sit after keep_cycle (cycles close in order). */
	for (size_t i = 0; i < tl->ncycles; i++) {
		if (tl->cycle_open && i == tl->cur)
			continue;
		snap->cycles[snap->ncycles++] = tl->cycles[i];
	}
	if (tl->cycle_open) {
		tl->cycles[0] = tl->cycles[tl->cur];
		tl->cur = 0;
		ci = 1;
	}
	tl->ncycles = ci;
	/* tl->stws is NULL until the first pause: no memcpy/memmove from NULL, even of 0. */
	if (keep_stw)
		memcpy(snap->stws, tl->stws, keep_stw * sizeof(*tl->stws));
	snap->nstws = keep_stw;
	if (tl->nstws > keep_stw)
		memmove(tl->stws, tl->stws + keep_stw, (tl->nstws - keep_stw) * sizeof(*tl->stws));
	tl->nstws -= keep_stw;
	if (tl->have_stw1 && tl->cycle_open && tl->stw1 >= keep_stw)
		tl->stw1 -= keep_stw;
	else
		tl->have_stw1 = false;
	if (tl->ls.valid) {
		tl->ls.stw -= keep_stw;
		tl->ls.cycle = 0;
	}
	snap->gc_start_calls = tl->gc_start_calls;
	snap->lost = tl->lost;
	snap->first_ts = tl->first_ts;
	snap->last_ts = cut_ns > tl->last_ts ? cut_ns : tl->last_ts;
	snap->finished = true;
	tl->gc_start_calls = 0;
	tl->lost = 0;
	tl->first_ts = 0;
	return snap;
}

size_t gmt_gc_timeline__cycles(const struct gmt_gc_timeline *tl, const struct gmt_gc_cycle **out)
{
	*out = tl->cycles;
	return tl->ncycles;
}

size_t gmt_gc_timeline__stws(const struct gmt_gc_timeline *tl, const struct gmt_stw **out)
{
	*out = tl->stws;
	return tl->nstws;
}

void gmt_gc_timeline__stats(const struct gmt_gc_timeline *tl, struct gmt_gc_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < tl->ncycles; i++) {
		const struct gmt_gc_cycle *c = &tl->cycles[i];

		if (!gmt_gc_cycle_complete(c)) {
			st->partial_cycles++;
			continue;
		}
		st->cycles++;
		st->forced += c->trigger == GMT_GC_TRIGGER_FORCED;
		st->mark_total_ns += c->t_mark_term - c->t_mark;
	}
	for (size_t i = 0; i < tl->nstws; i++) {
		const struct gmt_stw *s = &tl->stws[i];
		uint64_t d;

		if (!s->start || !s->end)
			continue;
		d = s->end - s->start;
		st->stw_pauses++;
		st->stw_total_ns += d;
		if (d > st->stw_max_ns)
			st->stw_max_ns = d;
		if (s->kind != GMT_STW_OTHER) {
			st->gc_stw_pauses++;
			st->gc_stw_total_ns += d;
		}
	}
	st->gc_start_calls = tl->gc_start_calls;
	st->lost_records = tl->lost;
	st->first_ts = tl->first_ts;
	st->last_ts = tl->last_ts;
}

void gmt_stw_name(const struct gmt_stw *s, char *buf, size_t len)
{
	switch (s->kind) {
	case GMT_STW_SWEEP_TERM:
		snprintf(buf, len, "GC sweep termination");
		return;
	case GMT_STW_MARK_TERM:
		snprintf(buf, len, "GC mark termination");
		return;
	case GMT_STW_MARK_TERM_RETRY:
		snprintf(buf, len, "GC mark termination (restarted)");
		return;
	case GMT_STW_OTHER:
		break;
	}
	if (s->reason_str[0])
		snprintf(buf, len, "%.*s", GMT_GC_REASON_LEN, s->reason_str);
	else if (s->reason_name)
		snprintf(buf, len, "%s", s->reason_name);
	else if (s->reason >= 0)
		snprintf(buf, len, "stwReason %d", s->reason);
	else
		snprintf(buf, len, "unknown");
}

const char *gmt_gc_trigger_name(int trigger)
{
	switch (trigger) {
	case GMT_GC_TRIGGER_HEAP:
		return "heap";
	case GMT_GC_TRIGGER_TIME:
		return "time";
	case GMT_GC_TRIGGER_FORCED:
		return "forced";
	}
	return "?";
}
