// SPDX-License-Identifier: MIT
/*
 * GC tracing without a kernel: synthetic record sequences through the timeline state
 * machine, the outputs it feeds, and the runtime globals found in the fixture binaries
 * against an independent oracle (tests/gcoffsets/main.go: Go's debug/dwarf and
 * debug/elf on the unstripped builds).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gc_timeline.h"
#include "gcvars.h"
#include "gobin.h"
#include "go_release.h"
#include "json_writer.h"
#include "out_gc.h"
#include "testutil.h"

#define MiB (1ULL << 20)
#define US 1000ULL
#define MS 1000000ULL
#define T0 (1000 * MS) /* records start 1 s into CLOCK_MONOTONIC */

/* ---- building record sequences ---- */

static int feed(struct gmt_gc_timeline *tl, struct gmt_rec_gc *r)
{
	return gmt_gc_timeline__add(tl, r);
}

static struct gmt_rec_gc rec(uint32_t kind, uint64_t ts, uint32_t tid)
{
	struct gmt_rec_gc r;

	memset(&r, 0, sizeof(r));
	r.hdr.kind = kind;
	r.hdr.ts_ns = ts;
	r.tid = tid;
	return r;
}

static void heap(struct gmt_rec_gc *r, uint64_t live, uint64_t marked, uint64_t goal)
{
	r->flags |= GMT_GC_HAVE_HEAP;
	r->heap_live = live;
	r->heap_marked = marked;
	r->heap_goal = goal;
}

static void numgc(struct gmt_rec_gc *r, uint32_t n)
{
	r->flags |= GMT_GC_HAVE_NUMGC;
	r->numgc = n;
}

/* stopTheWorldWithSema with a go1.21+ reason. */
static void stop(struct gmt_gc_timeline *tl, uint64_t ts, int reason, uint64_t live)
{
	struct gmt_rec_gc r = rec(GMT_REC_GC_STW_STOP, ts, 7);

	if (reason >= 0) {
		r.flags |= GMT_GC_HAVE_REASON;
		r.reason = reason;
	}
	heap(&r, live, 0, 0);
	cr_assert_eq(feed(tl, &r), 0, "STW stop record accepted");
}

/* go1.19-1.20: stopTheWorld's string. */
static void stop_str(struct gmt_gc_timeline *tl, uint64_t ts, const char *why)
{
	struct gmt_rec_gc r = rec(GMT_REC_GC_STW_STOP, ts, 7);

	if (why) {
		r.flags |= GMT_GC_HAVE_REASON_STR;
		snprintf(r.reason_str, sizeof(r.reason_str), "%s", why);
	}
	cr_assert_eq(feed(tl, &r), 0, "STW stop record accepted");
}

static void start_cycle(struct gmt_gc_timeline *tl, uint64_t ts, int trigger, uint32_t done,
			uint64_t mark_start)
{
	struct gmt_rec_gc r = rec(GMT_REC_GC_CYCLE, ts, 7);

	r.arg[0] = trigger;
	r.arg[1] = mark_start;
	r.arg[2] = 2;
	numgc(&r, done);
	cr_assert_eq(feed(tl, &r), 0, "startCycle record accepted");
}

static void sweep(struct gmt_gc_timeline *tl, uint64_t ts, uint64_t marked, uint64_t goal)
{
	struct gmt_rec_gc r = rec(GMT_REC_GC_SWEEP, ts, 7);

	heap(&r, marked, marked, goal);
	cr_assert_eq(feed(tl, &r), 0, "gcSweep record accepted");
}

static void restart(struct gmt_gc_timeline *tl, uint64_t ts, uint32_t done)
{
	struct gmt_rec_gc r = rec(GMT_REC_GC_STW_START, ts, 7);

	numgc(&r, done);
	cr_assert_eq(feed(tl, &r), 0, "STW start record accepted");
}

static void done(struct gmt_gc_timeline *tl, uint64_t ts, uint64_t now, uint32_t tid)
{
	struct gmt_rec_gc r = rec(GMT_REC_GC_STW_DONE, ts, tid);

	r.arg[0] = now;
	cr_assert_eq(feed(tl, &r), 0, "STW done record accepted");
}

/* A whole cycle as go1.22+ shows it; times relative to t. */
static void full_cycle(struct gmt_gc_timeline *tl, uint64_t t, int trigger, uint32_t n)
{
	stop(tl, t, 2, 3 * MiB);
	start_cycle(tl, t + 10 * US, trigger, n - 1, t - 2 * US);
	restart(tl, t + 50 * US, n - 1);
	done(tl, t + 60 * US, t + 55 * US, 7);
	stop(tl, t + 2 * MS, 1, 5 * MiB);
	sweep(tl, t + 2 * MS + 30 * US, 1 * MiB, 6 * MiB);
	restart(tl, t + 2 * MS + 80 * US, n);
	done(tl, t + 2 * MS + 90 * US, t + 2 * MS + 70 * US, 7);
}

static const struct gmt_gc_cycle *only_cycle(struct gmt_gc_timeline *tl)
{
	const struct gmt_gc_cycle *c;

	cr_assert_eq(gmt_gc_timeline__cycles(tl, &c), 1, "exactly one cycle");
	return c;
}

/* ---- the state machine ---- */

Test(gc_timeline, one_cycle_phases_heaps_number)
{
	struct gmt_gc_timeline *tl = gmt_gc_timeline__new(tu_row(22));
	const struct gmt_gc_cycle *c;
	const struct gmt_stw *s;
	struct gmt_gc_stats st;
	uint64_t t = T0;

	full_cycle(tl, t, GMT_GC_TRIGGER_HEAP, 5);
	gmt_gc_timeline__finish(tl, t + 10 * MS);
	c = only_cycle(tl);
	cr_expect(gmt_gc_cycle_complete(c), "a cycle seen from stop to restart is complete");
	cr_expect_eq(c->num, 5, "number: numgc when the world restarts");
	cr_expect_eq(c->trigger, GMT_GC_TRIGGER_HEAP, "trigger from startCycle's argument");
	cr_expect_eq(c->procs, 2, "GOMAXPROCS from startCycle's argument");
	cr_expect_eq(c->t_sweep_term, t - 2 * US, "STW 1 starts at startCycle's markStartTime");
	cr_expect_eq(c->t_mark, t + 55 * US, "STW 1 ends at startTheWorldWithSema's result");
	cr_expect_eq(c->t_mark_term, t + 2 * MS, "STW 2 starts at the stop probe");
	cr_expect_eq(c->t_end, t + 2 * MS + 70 * US,
		     "STW 2 ends at the earlier of the entry and the returned time");
	cr_expect_eq(c->heap0, 3 * MiB, "heap0: heapLive when the world stopped for STW 1");
	cr_expect_eq(c->heap1, 5 * MiB, "heap1: heapLive when the world stopped for STW 2");
	cr_expect_eq(c->heap2, 1 * MiB, "heap2: heapMarked at gcSweep");
	cr_expect_eq(c->goal, 6 * MiB, "goal: lastHeapGoal at gcSweep");

	cr_assert_eq(gmt_gc_timeline__stws(tl, &s), 2, "two pauses");
	cr_expect_eq(s[0].kind, GMT_STW_SWEEP_TERM, "first pause: sweep termination");
	cr_expect_eq(s[1].kind, GMT_STW_MARK_TERM, "second pause: mark termination");
	cr_expect_eq(s[0].cycle, 5, "pauses carry the cycle number");
	cr_expect_eq(s[1].end - s[1].start, 70 * US, "mark termination pause length");

	gmt_gc_timeline__stats(tl, &st);
	cr_expect_eq(st.cycles, 1, "stats: one complete cycle");
	cr_expect_eq(st.partial_cycles, 0, "stats: no partial cycle");
	cr_expect_eq(st.stw_pauses, 2, "stats: two pauses");
	cr_expect_eq(st.gc_stw_pauses, 2, "stats: both are GC pauses");
	cr_expect_eq(st.stw_total_ns, 57 * US + 70 * US, "stats: total pause time");
	cr_expect_eq(st.stw_max_ns, 70 * US, "stats: longest pause");
	cr_expect_eq(st.mark_total_ns, 2 * MS - 55 * US, "stats: concurrent mark time");
	cr_expect_eq(st.lost_records, 0, "stats: nothing missing");
	gmt_gc_timeline__free(tl);
}

Test(gc_timeline, go122_mark_termination_end_from_argument)
{
	struct gmt_gc_timeline *tl = gmt_gc_timeline__new(tu_row(22));
	struct gmt_rec_gc r;
	const struct gmt_gc_cycle *c;

	stop(tl, T0, 2, MiB);
	start_cycle(tl, T0 + 5 * US, GMT_GC_TRIGGER_HEAP, 0, 0);
	restart(tl, T0 + 40 * US, 0);
	stop(tl, T0 + MS, 1, MiB);
	sweep(tl, T0 + MS + 10 * US, MiB, 4 * MiB);
	/* startTheWorldWithSema(now = tEnd, w), no RET probe seen */
	r = rec(GMT_REC_GC_STW_START, T0 + MS + 60 * US, 7);
	r.arg[0] = T0 + MS + 45 * US;
	numgc(&r, 1);
	cr_assert_eq(feed(tl, &r), 0, "STW start accepted");
	gmt_gc_timeline__finish(tl, T0 + 2 * MS);
	c = only_cycle(tl);
	cr_expect_eq(c->t_end, T0 + MS + 45 * US, "tEnd is the now argument on go1.22+");
	gmt_gc_timeline__free(tl);
}

Test(gc_timeline, forced_cycles_counted)
{
	struct gmt_gc_timeline *tl = gmt_gc_timeline__new(tu_row(24));
	struct gmt_gc_stats st;

	full_cycle(tl, T0, GMT_GC_TRIGGER_HEAP, 1);
	full_cycle(tl, T0 + 10 * MS, GMT_GC_TRIGGER_FORCED, 2);
	full_cycle(tl, T0 + 20 * MS, GMT_GC_TRIGGER_FORCED, 3);
	full_cycle(tl, T0 + 30 * MS, GMT_GC_TRIGGER_TIME, 4);
	gmt_gc_timeline__finish(tl, T0 + 40 * MS);
	gmt_gc_timeline__stats(tl, &st);
	cr_expect_eq(st.cycles, 4, "four complete cycles");
	cr_expect_eq(st.forced, 2, "two of them started by runtime.GC()");
	gmt_gc_timeline__free(tl);
}

Test(gc_timeline, non_gc_pauses_named_by_stw_reason)
{
	struct gmt_gc_timeline *tl = gmt_gc_timeline__new(tu_row(26));
	const struct gmt_stw *s;
	struct gmt_gc_stats st;
	char name[64];

	stop(tl, T0, 7, 0);
	restart(tl, T0 + 30 * US, 0);
	stop(tl, T0 + MS, 9, 0);
	restart(tl, T0 + MS + 40 * US, 0);
	stop(tl, T0 + 2 * MS, 200, 0);
	restart(tl, T0 + 2 * MS + 10 * US, 0);
	gmt_gc_timeline__finish(tl, T0 + 3 * MS);
	cr_assert_eq(gmt_gc_timeline__stws(tl, &s), 3, "three pauses");
	gmt_stw_name(&s[0], name, sizeof(name));
	cr_expect_str_eq(name, "read mem stats", "stwReason 7 is ReadMemStats");
	gmt_stw_name(&s[1], name, sizeof(name));
	cr_expect_str_eq(name, "GOMAXPROCS", "stwReason 9 is GOMAXPROCS");
	gmt_stw_name(&s[2], name, sizeof(name));
	cr_expect_str_eq(name, "stwReason 200", "an unknown reason is shown by number");
	cr_expect_eq(s[0].kind, GMT_STW_OTHER, "not a GC pause");
	gmt_gc_timeline__stats(tl, &st);
	cr_expect_eq(st.cycles, 0, "no GC cycle");
	cr_expect_eq(st.stw_pauses, 3, "three pauses counted");
	cr_expect_eq(st.gc_stw_pauses, 0, "none of them the GC's");
	gmt_gc_timeline__free(tl);
}

Test(gc_timeline, go119_reason_strings_and_structural_gc)
{
	struct gmt_gc_timeline *tl = gmt_gc_timeline__new(tu_row(19));
	const struct gmt_stw *s;
	struct gmt_gc_stats st;
	char name[64];

	/* go1.19: GC pauses carry no reason; stopTheWorld's string names the others. */
	stop_str(tl, T0, NULL);
	start_cycle(tl, T0 + 5 * US, GMT_GC_TRIGGER_HEAP, 0, T0 - US);
	restart(tl, T0 + 40 * US, 0);
	stop_str(tl, T0 + 500 * US, "read mem stats");
	restart(tl, T0 + 530 * US, 0);
	stop_str(tl, T0 + MS, NULL);
	sweep(tl, T0 + MS + 10 * US, MiB, 4 * MiB);
	restart(tl, T0 + MS + 50 * US, 1);
	gmt_gc_timeline__finish(tl, T0 + 2 * MS);
	cr_assert_eq(gmt_gc_timeline__stws(tl, &s), 3, "three pauses");
	cr_expect_eq(s[0].kind, GMT_STW_SWEEP_TERM, "startCycle inside: sweep termination");
	cr_expect_eq(s[1].kind, GMT_STW_OTHER,
		     "a pause during mark with a reason string is not the GC's");
	gmt_stw_name(&s[1], name, sizeof(name));
	cr_expect_str_eq(name, "read mem stats", "named by stopTheWorld's argument");
	cr_expect_eq(s[2].kind, GMT_STW_MARK_TERM, "gcSweep inside: mark termination");
	gmt_gc_timeline__stats(tl, &st);
	cr_expect_eq(st.cycles, 1, "the cycle is complete despite the pause inside its mark");
	gmt_gc_timeline__free(tl);
}

Test(gc_timeline, restarted_mark_termination)
{
	struct gmt_gc_timeline *tl = gmt_gc_timeline__new(tu_row(22));
	const struct gmt_gc_cycle *c;
	const struct gmt_stw *s;

	stop(tl, T0, 2, MiB);
	start_cycle(tl, T0 + 5 * US, GMT_GC_TRIGGER_HEAP, 9, 0);
	restart(tl, T0 + 40 * US, 9);
	/* gcMarkDone stops the world, finds more work, restarts it and tries again. */
	stop(tl, T0 + MS, 1, 2 * MiB);
	restart(tl, T0 + MS + 25 * US, 9);
	stop(tl, T0 + 2 * MS, 1, 3 * MiB);
	sweep(tl, T0 + 2 * MS + 10 * US, MiB, 4 * MiB);
	restart(tl, T0 + 2 * MS + 60 * US, 10);
	gmt_gc_timeline__finish(tl, T0 + 3 * MS);
	c = only_cycle(tl);
	cr_expect(gmt_gc_cycle_complete(c), "complete");
	cr_expect_eq(c->mark_term_retries, 1, "one restarted mark termination");
	cr_expect_eq(c->retry_stw_ns, 25 * US, "its pause");
	cr_expect_eq(c->t_mark_term, T0 + 2 * MS, "mark termination is the last attempt");
	cr_expect_eq(c->heap1, 3 * MiB, "heap1 from the last attempt");
	cr_expect_eq(c->t_sweep_term, T0, "no markStartTime: the stop probe's time");
	cr_assert_eq(gmt_gc_timeline__stws(tl, &s), 3, "three pauses");
	cr_expect_eq(s[1].kind, GMT_STW_MARK_TERM_RETRY, "the aborted one is marked");
	gmt_gc_timeline__free(tl);
}

Test(gc_timeline, tracing_began_mid_cycle_is_partial)
{
	struct gmt_gc_timeline *tl = gmt_gc_timeline__new(tu_row(22));
	const struct gmt_gc_cycle *c;
	struct gmt_gc_stats st;

	/* The first records are the end of a cycle that started before tracing. */
	stop(tl, T0, 1, 5 * MiB);
	sweep(tl, T0 + 10 * US, MiB, 6 * MiB);
	restart(tl, T0 + 50 * US, 12);
	full_cycle(tl, T0 + MS, GMT_GC_TRIGGER_HEAP, 13);
	gmt_gc_timeline__finish(tl, T0 + 10 * MS);
	cr_assert_eq(gmt_gc_timeline__cycles(tl, &c), 2, "two cycles");
	cr_expect(c[0].flags & GMT_GC_PARTIAL_START, "the first is marked partial");
	cr_expect_eq(c[0].num, 12, "its number is still known");
	cr_expect(gmt_gc_cycle_complete(&c[1]), "the second is whole");
	gmt_gc_timeline__stats(tl, &st);
	cr_expect_eq(st.cycles, 1, "only the whole cycle is counted");
	cr_expect_eq(st.partial_cycles, 1, "the other one is counted as partial");
	gmt_gc_timeline__free(tl);
}

Test(gc_timeline, tracing_stopped_mid_cycle_is_partial)
{
	struct gmt_gc_timeline *tl = gmt_gc_timeline__new(tu_row(22));
	const struct gmt_gc_cycle *c;
	const struct gmt_stw *s;
	struct gmt_gc_stats st;

	full_cycle(tl, T0, GMT_GC_TRIGGER_HEAP, 1);
	stop(tl, T0 + 10 * MS, 2, 4 * MiB);
	start_cycle(tl, T0 + 10 * MS + 5 * US, GMT_GC_TRIGGER_HEAP, 1, 0);
	gmt_gc_timeline__finish(tl, T0 + 11 * MS);
	gmt_gc_timeline__finish(tl, T0 + 12 * MS); /* idempotent */
	cr_assert_eq(gmt_gc_timeline__cycles(tl, &c), 2, "two cycles");
	cr_expect(c[1].flags & GMT_GC_PARTIAL_END, "the open one ends partial");
	cr_assert_eq(gmt_gc_timeline__stws(tl, &s), 3, "the open pause is kept");
	cr_expect_eq(s[2].end, 0, "with no end");
	gmt_gc_timeline__stats(tl, &st);
	cr_expect_eq(st.cycles, 1, "one complete cycle");
	cr_expect_eq(st.partial_cycles, 1, "one partial");
	cr_expect_eq(st.stw_pauses, 2, "an unfinished pause is not a pause");
	gmt_gc_timeline__free(tl);
}

Test(gc_timeline, runtime_work_replaces_probe_times)
{
	struct gmt_gc_timeline *tl = gmt_gc_timeline__new(tu_row(26));
	struct gmt_rec_gc r;
	const struct gmt_gc_cycle *c;
	const struct gmt_stw *s;

	stop(tl, T0, 2, 3 * MiB);
	start_cycle(tl, T0 + 5 * US, GMT_GC_TRIGGER_HEAP, 0, 0);
	restart(tl, T0 + 40 * US, 0);
	stop(tl, T0 + 2 * MS, 1, 5 * MiB);
	r = rec(GMT_REC_GC_SWEEP, T0 + 2 * MS + 20 * US, 7);
	heap(&r, MiB, MiB, 8 * MiB);
	r.flags |= GMT_GC_HAVE_WORK;
	r.work[0] = T0 - 20 * US;	   /* tSweepTerm */
	r.work[1] = T0 + 90 * US;	   /* tMark */
	r.work[2] = T0 + 2 * MS - 30 * US; /* tMarkTerm */
	r.work[3] = 3 * MiB + 123;
	r.work[4] = 5 * MiB + 456;
	r.work[5] = MiB + 789;
	cr_assert_eq(feed(tl, &r), 0, "gcSweep with work accepted");
	restart(tl, T0 + 2 * MS + 60 * US, 1);
	gmt_gc_timeline__finish(tl, T0 + 3 * MS);
	c = only_cycle(tl);
	cr_expect(c->from_work, "the cycle took the runtime's own values");
	cr_expect_eq(c->t_sweep_term, T0 - 20 * US, "tSweepTerm from work");
	cr_expect_eq(c->t_mark, T0 + 90 * US, "tMark from work");
	cr_expect_eq(c->t_mark_term, T0 + 2 * MS - 30 * US, "tMarkTerm from work");
	cr_expect_eq(c->heap0, 3 * MiB + 123, "heap0 from work");
	cr_expect_eq(c->heap1, 5 * MiB + 456, "heap1 from work");
	cr_expect_eq(c->heap2, MiB + 789, "heap2 from work");
	cr_expect_eq(c->goal, 8 * MiB, "goal still from gcController");
	cr_assert_eq(gmt_gc_timeline__stws(tl, &s), 2, "two pauses");
	cr_expect_eq(s[0].end - s[0].start, 110 * US, "sweep-termination pause from work");
	cr_expect_eq(s[1].start, T0 + 2 * MS - 30 * US, "mark-termination pause from work");
	gmt_gc_timeline__free(tl);
}

Test(gc_timeline, implausible_work_is_ignored)
{
	struct gmt_gc_timeline *tl = gmt_gc_timeline__new(tu_row(26));
	struct gmt_rec_gc r;
	const struct gmt_gc_cycle *c;

	stop(tl, T0, 2, 3 * MiB);
	start_cycle(tl, T0 + 5 * US, GMT_GC_TRIGGER_HEAP, 0, 0);
	restart(tl, T0 + 40 * US, 0);
	stop(tl, T0 + 2 * MS, 1, 5 * MiB);
	r = rec(GMT_REC_GC_SWEEP, T0 + 2 * MS + 20 * US, 7);
	heap(&r, MiB, MiB, 8 * MiB);
	r.flags |= GMT_GC_HAVE_WORK;
	r.work[0] = T0 + 50 * US; /* after tMark: not this cycle's record */
	r.work[1] = T0 + 40 * US;
	r.work[2] = T0 + 2 * MS;
	cr_assert_eq(feed(tl, &r), 0, "accepted");
	restart(tl, T0 + 2 * MS + 60 * US, 1);
	gmt_gc_timeline__finish(tl, T0 + 3 * MS);
	c = only_cycle(tl);
	cr_expect(!c->from_work, "out-of-order work times are not used");
	cr_expect_eq(c->t_sweep_term, T0, "probe times stay");
	cr_expect_eq(c->heap1, 5 * MiB, "probe heap stays");
	gmt_gc_timeline__free(tl);
}

Test(gc_timeline, ret_time_from_another_thread_or_absurd_is_ignored)
{
	struct gmt_gc_timeline *tl = gmt_gc_timeline__new(tu_row(22));
	const struct gmt_stw *s;

	stop(tl, T0, 7, 0);
	restart(tl, T0 + 30 * US, 0);
	done(tl, T0 + 40 * US, T0 + 35 * US, 8); /* another thread */
	stop(tl, T0 + MS, 7, 0);
	restart(tl, T0 + MS + 30 * US, 0);
	done(tl, T0 + MS + 40 * US, T0 + 5000 * MS, 7); /* seconds away: not a time */
	stop(tl, T0 + 2 * MS, 7, 0);
	restart(tl, T0 + 2 * MS + 30 * US, 0);
	done(tl, T0 + 2 * MS + 40 * US, T0 + 2 * MS + 35 * US, 7);
	gmt_gc_timeline__finish(tl, T0 + 3 * MS);
	cr_assert_eq(gmt_gc_timeline__stws(tl, &s), 3, "three pauses");
	cr_expect_eq(s[0].end, T0 + 30 * US, "another thread's RET does not end the pause");
	cr_expect_eq(s[1].end, T0 + MS + 30 * US, "an absurd returned time is not used");
	cr_expect_eq(s[2].end, T0 + 2 * MS + 35 * US, "the returned time ends a non-GC pause");
	gmt_gc_timeline__free(tl);
}

Test(gc_timeline, lost_records_are_counted_not_guessed)
{
	struct gmt_gc_timeline *tl = gmt_gc_timeline__new(tu_row(22));
	struct gmt_rec_gc bogus = rec(99, T0, 7);
	const struct gmt_stw *s;
	struct gmt_gc_stats st;

	stop(tl, T0, 7, 0);
	stop(tl, T0 + MS, 7, 0); /* the restart in between was lost */
	restart(tl, T0 + MS + 10 * US, 0);
	cr_expect_eq(feed(tl, &bogus), -EINVAL, "an unknown kind is refused");
	gmt_gc_timeline__finish(tl, T0 + 2 * MS);
	cr_assert_eq(gmt_gc_timeline__stws(tl, &s), 2, "both pauses kept");
	cr_expect_eq(s[0].end, 0, "the first has no end");
	gmt_gc_timeline__stats(tl, &st);
	cr_expect_eq(st.lost_records, 1, "one record missing");
	cr_expect_eq(st.stw_pauses, 1, "only the whole pause counts");
	gmt_gc_timeline__free(tl);
}

/* ---- outputs ---- */

static char *render(int (*fn)(FILE *, const struct gmt_gc_out *), const struct gmt_gc_out *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_eq(fn(f, o), 0, "writer succeeds");
	fclose(f);
	return buf;
}

static struct gmt_gc_timeline *sample_timeline(void)
{
	struct gmt_gc_timeline *tl = gmt_gc_timeline__new(tu_row(22));

	full_cycle(tl, T0 + MS, GMT_GC_TRIGGER_HEAP, 1);
	full_cycle(tl, T0 + 10 * MS, GMT_GC_TRIGGER_FORCED, 2);
	stop(tl, T0 + 20 * MS, 7, MiB);
	restart(tl, T0 + 20 * MS + 40 * US, 2);
	stop(tl, T0 + 30 * MS, 2, 3 * MiB); /* still open at the end */
	start_cycle(tl, T0 + 30 * MS + 5 * US, GMT_GC_TRIGGER_TIME, 2, 0);
	gmt_gc_timeline__finish(tl, T0 + 31 * MS);
	return tl;
}

static const char validate_py[] =
    "import json, sys\n"
    "d = json.load(open(sys.argv[1]))\n"
    "ev = d['traceEvents']\n"
    "assert isinstance(ev, list) and ev, 'traceEvents is a non-empty list'\n"
    "for e in ev:\n"
    "    assert e['ph'] in 'XBECiM' and len(e['ph']) == 1, e\n"
    "    assert isinstance(e['name'], str) and e['name'], e\n"
    "    assert isinstance(e['pid'], int) and isinstance(e['tid'], int), e\n"
    "    assert isinstance(e['ts'], (int, float)), e\n"
    "    if e['ph'] == 'X': assert e['dur'] >= 0, e\n"
    "    if e['ph'] == 'C': assert all(isinstance(v, (int, float)) for v in e['args'].values()), "
    "e\n"
    "cyc = [e for e in ev if e['ph'] == 'X' and e.get('cat') == 'gc' and e['tid'] == 1]\n"
    "stw = [e for e in ev if e['ph'] == 'X' and e.get('cat') == 'stw']\n"
    "cnt = {e['name'] for e in ev if e['ph'] == 'C'}\n"
    "print(len(cyc), sum(1 for e in cyc if e['args']['partial']), len(stw),\n"
    "      ','.join(sorted(cnt)).replace(' ', '_'))\n";

static char *run_validator(const char *json)
{
	char path[] = "/tmp/gmt-gcjson-XXXXXX", py[] = "/tmp/gmt-gcpy-XXXXXX";
	int fd = mkstemp(path), pfd = mkstemp(py);
	char *out;

	cr_assert(fd >= 0 && pfd >= 0, "temporary files for the validator");
	cr_assert_eq(write(fd, json, strlen(json)), (ssize_t)strlen(json), "gc.json written");
	cr_assert_eq(write(pfd, validate_py, strlen(validate_py)), (ssize_t)strlen(validate_py),
		     "validator written");
	close(fd);
	close(pfd);
	out = tu_run("python3 %s %s", py, path);
	unlink(path);
	unlink(py);
	return out;
}

Test(gc_out, json_is_chrome_trace_events)
{
	struct gmt_gc_timeline *tl = sample_timeline();
	uint64_t rate_ts[2] = {T0 + 5 * MS, T0 + 15 * MS};
	double rate[2] = {1e8, 2e8};
	struct gmt_run_info ri = {.pid = 42, .comm = "x", .start_ns = T0, .end_ns = T0 + 31 * MS};
	struct gmt_gc_out o = {.tl = tl,
			       .ri = &ri,
			       .rate_ts = rate_ts,
			       .rate_bytes_per_s = rate,
			       .nrate = 2,
			       .unavailable = ""};
	char *json = render(gmt_write_gc_json, &o), *out;
	int ncyc = -1, npartial = -1, nstw = -1;
	char counters[256] = "";

	out = run_validator(json);
	cr_assert_eq(sscanf(out, "%d %d %d %255s", &ncyc, &npartial, &nstw, counters), 4,
		     "validator output: %s", out);
	cr_expect_eq(ncyc, 3, "one slice per cycle on the cycles track");
	cr_expect_eq(npartial, 1, "the open cycle is marked partial");
	cr_expect_eq(nstw, 6, "one slice per pause, the open one included");
	cr_expect_str_eq(counters, "allocation_rate,heap_goal,heap_live",
			 "heap live, heap goal and allocation rate counter tracks");
	free(out);
	free(json);
	gmt_gc_timeline__free(tl);
}

Test(gc_out, text_has_a_line_per_cycle_and_percentiles)
{
	struct gmt_gc_timeline *tl = sample_timeline();
	struct gmt_run_info ri = {.pid = 42, .comm = "x", .start_ns = T0};
	struct gmt_gc_out o = {.tl = tl, .ri = &ri, .unavailable = "cycle numbers: test\n"};
	char *txt = render(gmt_write_gc_txt, &o);

	cr_expect(strstr(txt, "\ngc 1 @0.001s: 0.057+1.945+0.070 ms clock, 3->5->1 MB, 6 MB goal"),
		  "gctrace-like line for cycle 1:\n%s", txt);
	cr_expect(strstr(txt, "\ngc 2 @"), "a line for cycle 2");
	cr_expect(strstr(txt, "(forced)"), "forced cycles say so");
	cr_expect(strstr(txt, "[partial: not finished when tracing stopped]"),
		  "the open cycle is marked partial");
	cr_expect(strstr(txt, "2 cycles (1 forced by runtime.GC), 1 partial"), "totals line");
	cr_expect(strstr(txt, "p50 ") && strstr(txt, "p99 "), "percentiles");
	cr_expect(strstr(txt, "pause histogram:"), "histogram");
	cr_expect(strstr(txt, "read mem stats"), "non-GC pause reasons");
	cr_expect(strstr(txt, "GC CPU fraction (estimate)"), "CPU estimate");
	cr_expect(strstr(txt, "unavailable:\n  cycle numbers: test\n"),
		  "unavailable fields listed");
	free(txt);
	gmt_gc_timeline__free(tl);
}

Test(gc_out, summary_fields_parse)
{
	struct gmt_gc_timeline *tl = sample_timeline();
	struct gmt_gc_out o = {.tl = tl, .unavailable = "a\nb\n"};
	char *buf = NULL, *out;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct gmt_json *j = gmt_json__new(f, true);

	gmt_json__obj_begin(j);
	gmt_gc_summary_fields(j, &o);
	gmt_json__obj_end(j);
	cr_assert_eq(gmt_json__free(j), 0, "balanced JSON");
	fclose(f);
	out = tu_run_input(buf, "python3 -c 'import json,sys; d=json.load(sys.stdin); "
				"print(d[\"gc_cycles\"], d[\"gc_forced\"], d[\"stw_pauses\"], "
				"d[\"stw_max_ns\"], d[\"stw_reasons\"][\"read mem stats\"], "
				"len(d[\"gc_unavailable\"]))'");
	cr_expect_str_eq(out, "2 1 5 70000 1 2\n",
			 "gc_cycles, gc_forced, stw_pauses, stw_max_ns, a reason count, "
			 "unavailable items");
	free(out);
	free(buf);
	gmt_gc_timeline__free(tl);
}

Test(gc_out, percentile_nearest_rank)
{
	uint64_t v[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

	cr_expect_eq(gmt_percentile(v, 10, 50), 5, "p50 of 1..10");
	cr_expect_eq(gmt_percentile(v, 10, 90), 9, "p90 of 1..10");
	cr_expect_eq(gmt_percentile(v, 10, 99), 10, "p99 of 1..10");
	cr_expect_eq(gmt_percentile(v, 1, 50), 1, "one value");
	cr_expect_eq(gmt_percentile(v, 0, 50), 0, "no values");
}

/* ---- gcvars against the DWARF / symbol oracle ---- */

struct oracle {
	uint64_t controller, memstats, work;
	char controller_sec[32], memstats_sec[32], work_sec[32];
	long heap_live, heap_marked, goal, numgc, g_m, m_curg, t_sweep_term, heap0;
	char secs[32][32];
	uint64_t sec_addr[32];
	int nsecs;
};

static uint64_t oracle_sec(const struct oracle *o, const char *name)
{
	for (int i = 0; i < o->nsecs; i++)
		if (strcmp(o->secs[i], name) == 0)
			return o->sec_addr[i];
	cr_assert_fail("section %s not in the oracle's output", name);
	return 0;
}

static void run_oracle(const char *bin, struct oracle *o)
{
	const char *root = getenv("GMT_SOURCE_ROOT");
	char *out, *save = NULL;

	cr_assert(root, "GMT_SOURCE_ROOT is not set: run through meson test");
	memset(o, 0, sizeof(*o));
	o->heap_live = o->heap_marked = o->goal = o->numgc = o->g_m = o->m_curg = -1;
	o->t_sweep_term = o->heap0 = -1;
	out = tu_run("cd %s && GOFLAGS=-mod=mod %s run tests/gcoffsets/main.go %s", root, tu_go(),
		     bin);
	for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char name[128], sec[32];
		unsigned long long v;
		long off;

		if (sscanf(l, "sec %31s %llx", sec, &v) == 2 && o->nsecs < 32) {
			snprintf(o->secs[o->nsecs], sizeof(o->secs[0]), "%s", sec);
			o->sec_addr[o->nsecs++] = v;
		} else if (sscanf(l, "sym %127s %llx %31s", name, &v, sec) == 3) {
			if (!strcmp(name, "runtime.gcController")) {
				o->controller = v;
				snprintf(o->controller_sec, sizeof(o->controller_sec), "%s", sec);
			} else if (!strcmp(name, "runtime.memstats")) {
				o->memstats = v;
				snprintf(o->memstats_sec, sizeof(o->memstats_sec), "%s", sec);
			} else if (!strcmp(name, "runtime.work")) {
				o->work = v;
				snprintf(o->work_sec, sizeof(o->work_sec), "%s", sec);
			}
		} else if (sscanf(l, "off %127s %ld", name, &off) == 2) {
			if (!strcmp(name, "runtime.gcControllerState.heapLive"))
				o->heap_live = off;
			else if (!strcmp(name, "runtime.gcControllerState.heapMarked"))
				o->heap_marked = off;
			else if (!strcmp(name, "runtime.gcControllerState.lastHeapGoal"))
				o->goal = off;
			else if (!strcmp(name, "runtime.mstats.numgc"))
				o->numgc = off;
			else if (!strcmp(name, "runtime.g.m"))
				o->g_m = off;
			else if (!strcmp(name, "runtime.m.curg"))
				o->m_curg = off;
			else if (!strcmp(name, "runtime.workType.tSweepTerm"))
				o->t_sweep_term = off;
			else if (!strcmp(name, "runtime.workType.heap0"))
				o->heap0 = off;
		}
	}
	free(out);
}

ParameterizedTestParameters(gcvars, offsets_match_dwarf)
{
	return cr_make_param_array(int, tu_version_params(), tu_nversions);
}

ParameterizedTest(int *i, gcvars, offsets_match_dwarf, .timeout = 300)
{
	const char *v = tu_versions[*i];
	const char *path = tu_fixture("gcwork", v, "exe");
	struct gmt_gobin *gb = tu_open_gobin(path);
	const struct gmt_go_release *row = tu_release(gb);
	struct gmt_gcvars gv;
	struct gmt_gc_offsets off;
	struct oracle o;

	run_oracle(path, &o);
	cr_assert_eq(gmt_gcvars_find(gb, row, 0, &gv), 0, "%s: gcvars runs", v);
	off = gv.off;
	cr_assert(gv.have_offsets, "%s: table knows it", v);
	cr_expect_eq(off.heap_live, o.heap_live, "%s: gcControllerState.heapLive", v);
	cr_expect_eq(off.heap_marked, o.heap_marked, "%s: gcControllerState.heapMarked", v);
	cr_expect_eq(off.last_heap_goal, o.goal, "%s: gcControllerState.lastHeapGoal", v);
	cr_expect_eq(off.numgc, o.numgc, "%s: mstats.numgc", v);
	cr_expect_eq(row->g.m, o.g_m, "%s: g.m", v);
	cr_expect_eq(row->m.curg, o.m_curg, "%s: m.curg", v);
	/* The layout gcvars decodes by: heapLive/heapMarked after lastHeapGoal, tSweepTerm
	 * two words before tMarkTerm, heap0 one word before heap1. */
	cr_expect_eq(o.heap_live - o.goal, 8, "%s: heapLive = lastHeapGoal + 8", v);
	cr_expect_eq(o.heap_marked - o.goal, 56, "%s: heapMarked = lastHeapGoal + 56", v);
	gmt_gobin__free(gb);
}

ParameterizedTestParameters(gcvars, found_in_every_flavour)
{
	return cr_make_param_array(int, tu_matrix_params(false), tu_matrix_size(false));
}

/*
 * Unstripped (exe, pie): what gcvars decodes from the code equals the symbols plus the
 * DWARF offsets.  Stripped (stripped, nosh): the linker moves the data sections by a
 * few bytes, so the decoded address must sit at the same offset into its section as the
 * symbol in the exe build; nosh has no sections and must equal stripped.
 */
ParameterizedTest(int *i, gcvars, found_in_every_flavour, .timeout = 300)
{
	const char *v, *fl;
	char exe_path[4096], strip_path[4096], path[4096];
	struct gmt_gcvars sym, dec;
	struct oracle ox, os;
	struct gmt_gobin *gb;
	uint64_t want_ctrl, want_numgc, want_times, want_heaps;

	tu_matrix_entry(*i, &v, &fl);
	snprintf(exe_path, sizeof(exe_path), "%s", tu_fixture("gcwork", v, "exe"));
	snprintf(strip_path, sizeof(strip_path), "%s", tu_fixture("gcwork", v, "stripped"));
	snprintf(path, sizeof(path), "%s", tu_fixture("gcwork", v, fl));
	run_oracle(exe_path, &ox);
	cr_assert(ox.controller && ox.memstats && ox.work, "%s: oracle has the symbols", v);

	if (!strcmp(fl, "exe") || !strcmp(fl, "pie")) {
		run_oracle(path, &os);
		want_ctrl = os.controller;
		want_numgc = os.memstats + ox.numgc;
		want_times = os.work + ox.t_sweep_term;
		want_heaps = os.work + ox.heap0;
	} else {
		uint64_t (*base)(const struct oracle *, const char *) = oracle_sec;

		run_oracle(strip_path, &os);
		want_ctrl =
		    ox.controller - base(&ox, ox.controller_sec) + base(&os, ox.controller_sec);
		want_numgc = ox.memstats + ox.numgc - base(&ox, ox.memstats_sec) +
			     base(&os, ox.memstats_sec);
		want_times =
		    ox.work + ox.t_sweep_term - base(&ox, ox.work_sec) + base(&os, ox.work_sec);
		want_heaps = ox.work + ox.heap0 - base(&ox, ox.work_sec) + base(&os, ox.work_sec);
	}

	gb = tu_open_gobin(path);
	cr_assert_eq(gmt_gcvars_find(gb, tu_release(gb), 0, &sym), 0, "%s-%s: gcvars runs", v, fl);
	cr_assert_eq(gmt_gcvars_find(gb, tu_release(gb), GMT_GCVARS_NO_SYMTAB, &dec), 0,
		     "%s-%s: decoding", v, fl);
	cr_expect_eq(dec.gc_controller, want_ctrl, "%s-%s: gcController decoded (%s)", v, fl,
		     dec.why_controller);
	cr_expect_eq(dec.numgc, want_numgc, "%s-%s: memstats.numgc decoded (%s)", v, fl,
		     dec.why_numgc);
	cr_expect_eq(dec.work_times, want_times, "%s-%s: work.tSweepTerm decoded (%s)", v, fl,
		     dec.why_work);
	cr_expect_eq(dec.work_heaps, want_heaps, "%s-%s: work.heap0 decoded", v, fl);
	cr_expect_eq(sym.gc_controller, want_ctrl, "%s-%s: gcController as used", v, fl);
	cr_expect_eq(sym.numgc, want_numgc, "%s-%s: memstats.numgc as used", v, fl);
	cr_expect(sym.have_offsets, "%s-%s: offsets known", v, fl);
	if (gb->stripped)
		cr_expect_eq(sym.controller_src, GMT_GCVAR_DECODED, "%s-%s: decoded", v, fl);
	else
		cr_expect_eq(sym.controller_src, GMT_GCVAR_SYMTAB, "%s-%s: from .symtab", v, fl);
	{
		uint32_t goal = 0;

		cr_expect_eq(gmt_gcvars_decode_goal_offset(gb, dec.gc_controller, &goal), 0,
			     "%s-%s: lastHeapGoal offset decodes", v, fl);
		cr_expect_eq(goal, (uint32_t)ox.goal, "%s-%s: decoded lastHeapGoal offset", v, fl);
	}
	gmt_gobin__free(gb);
}

/* ---- the daemon's intervals: rotation ---- */

Test(gc_timeline, rotate_moves_what_ended_keeps_the_running_cycle)
{
	struct gmt_gc_timeline *tl = gmt_gc_timeline__new(tu_row(22)), *snap, *snap2;
	const struct gmt_gc_cycle *c;
	const struct gmt_stw *s;
	struct gmt_gc_stats st;
	uint64_t t = T0, t6 = T0 + 20 * MS;

	full_cycle(tl, t, GMT_GC_TRIGGER_HEAP, 5);
	/* Cycle 6 has passed its sweep termination and is marking. */
	stop(tl, t6, 2, 3 * MiB);
	start_cycle(tl, t6 + 10 * US, GMT_GC_TRIGGER_HEAP, 5, t6 - 2 * US);
	restart(tl, t6 + 50 * US, 5);
	done(tl, t6 + 60 * US, t6 + 55 * US, 7);

	snap = gmt_gc_timeline__rotate(tl, t6 + 1 * MS);
	cr_assert_not_null(snap, "rotation");
	c = only_cycle(snap);
	cr_expect(c->num == 5 && gmt_gc_cycle_complete(c), "the ended cycle 5 moved, complete");
	cr_expect_eq(gmt_gc_timeline__stws(snap, &s), 2, "with its two pauses");
	gmt_gc_timeline__stats(snap, &st);
	cr_expect_eq(st.partial_cycles, 0, "the running cycle is not in the interval");
	cr_expect_eq(gmt_gc_timeline__cycles(tl, &c), 1, "only the running cycle stays");
	cr_expect_eq(gmt_gc_timeline__stws(tl, &s), 1, "with its sweep-termination pause");

	/* Cycle 6 ends after the cut: whole, in the next interval. */
	stop(tl, t6 + 3 * MS, 1, 5 * MiB);
	sweep(tl, t6 + 3 * MS + 30 * US, 1 * MiB, 6 * MiB);
	restart(tl, t6 + 3 * MS + 80 * US, 6);
	done(tl, t6 + 3 * MS + 90 * US, t6 + 3 * MS + 70 * US, 7);
	snap2 = gmt_gc_timeline__rotate(tl, t6 + 10 * MS);
	cr_assert_not_null(snap2, "second rotation");
	c = only_cycle(snap2);
	cr_expect(c->num == 6 && gmt_gc_cycle_complete(c), "cycle 6 complete in the second interval");
	cr_expect_eq(c->t_mark, t6 + 55 * US, "its STW 1 end, seen before the cut, is kept");
	cr_expect_eq(c->t_end, t6 + 3 * MS + 70 * US, "its end after the cut");
	gmt_gc_timeline__stats(snap2, &st);
	cr_expect_eq(st.stw_pauses, 2, "both of its pauses are in the second interval");
	cr_expect_eq(st.stw_total_ns, 57 * US + 70 * US, "their total");
	cr_expect_eq(gmt_gc_timeline__cycles(tl, &c), 0, "nothing running: nothing left");
	cr_expect_eq(gmt_gc_timeline__stws(tl, &s), 0, "no pause left");
	gmt_gc_timeline__free(snap);
	gmt_gc_timeline__free(snap2);
	gmt_gc_timeline__free(tl);
}

Test(gc_timeline, rotation_bounds_memory)
{
	struct gmt_gc_timeline *tl = gmt_gc_timeline__new(tu_row(22));
	uint64_t cycles = 0;
	const struct gmt_gc_cycle *c;
	const struct gmt_stw *s;

	for (uint32_t i = 1; i <= 1000; i++) {
		full_cycle(tl, T0 + i * 10 * MS, GMT_GC_TRIGGER_HEAP, i);
		if (i % 10 == 0) {
			struct gmt_gc_timeline *snap = gmt_gc_timeline__rotate(tl, T0 + i * 10 * MS + 5 * MS);
			struct gmt_gc_stats st;

			cr_assert_not_null(snap, "rotation %u", i);
			gmt_gc_timeline__stats(snap, &st);
			cycles += st.cycles;
			cr_assert_eq(st.cycles, 10, "ten cycles per interval");
			gmt_gc_timeline__free(snap);
			cr_assert_eq(gmt_gc_timeline__cycles(tl, &c), 0, "nothing kept between intervals");
			cr_assert_eq(gmt_gc_timeline__stws(tl, &s), 0, "no pause kept");
		}
	}
	cr_expect_eq(cycles, 1000, "every cycle counted once over all intervals");
	gmt_gc_timeline__free(tl);
}

/* An interval with no GC and no pause at all (an idle target): empty, twice. */
Test(gc_timeline, rotate_with_nothing_seen)
{
	struct gmt_gc_timeline *tl = gmt_gc_timeline__new(tu_row(24));

	cr_assert_not_null(tl);
	for (int i = 0; i < 2; i++) {
		struct gmt_gc_timeline *snap = gmt_gc_timeline__rotate(tl, T0 + i * MS);
		const struct gmt_stw *stws;

		cr_assert_not_null(snap);
		cr_expect_eq(gmt_gc_timeline__stws(snap, &stws), 0);
		gmt_gc_timeline__free(snap);
	}
	gmt_gc_timeline__free(tl);
}
