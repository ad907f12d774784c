/* SPDX-License-Identifier: MIT */
/*
 * GC cycles and stop-the-world pauses from the GC probes' records (docs/go-runtime.md, "GC").
 * Kernel-free: it consumes struct gmt_rec_gc values in the order the ring buffer
 * delivers them, so tests drive it with synthetic sequences.
 *
 * The world is stopped by one thread at a time: a stopTheWorldWithSema entry opens a
 * pause, the next startTheWorldWithSema entry closes it.  Which pause is which is
 * decided by what happens inside it, the same way on every Go version:
 *   - startCycle inside: the sweep-termination STW of a new cycle;
 *   - gcSweep inside: the mark-termination STW, which ends the cycle;
 *   - a GC pause during mark without gcSweep: a mark termination that found more work
 *     and restarted (gcMarkDone's "restart"), counted with its cycle;
 *   - anything else: a non-GC pause, named by its stwReason (go1.21+) or by the string
 *     stopTheWorld was given (go1.19-1.20).
 * A pause ends at the time startTheWorldWithSema returns (a probe on its RET
 * instructions reads it: the runtime's nanotime, the clock gctrace uses), or at its
 * entry when no RET was seen.  When gcSweep's record carries runtime.work (the
 * runtime's own tSweepTerm, tMark, tMarkTerm and heap sizes) a GC cycle's phases take
 * those values: they are what gctrace prints, free of probe latency.
 * A cycle whose start or end the tracer did not see is kept, marked partial, and not
 * counted as a cycle.
 */
#ifndef GMT_GC_TIMELINE_H
#define GMT_GC_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gomemtrace.h"

enum gmt_gc_trigger {
	GMT_GC_TRIGGER_UNKNOWN = -1,
	GMT_GC_TRIGGER_HEAP = 0,   /* gcTriggerHeap */
	GMT_GC_TRIGGER_TIME = 1,   /* gcTriggerTime: forced periodic GC (2 minutes) */
	GMT_GC_TRIGGER_FORCED = 2, /* gcTriggerCycle: runtime.GC(); gctrace says "(forced)" */
};

#define GMT_GC_PARTIAL_START 0x1 /* began before tracing did, or its start was lost */
#define GMT_GC_PARTIAL_END 0x2	 /* had not ended when tracing stopped, or its end was lost */

struct gmt_gc_cycle {
	uint32_t num;	/* gctrace's "gc N" (memstats.numgc once it ends); 0 when unknown */
	int trigger;	/* enum gmt_gc_trigger */
	uint32_t flags; /* GMT_GC_PARTIAL_* */
	uint32_t procs; /* GOMAXPROCS when it started, 0 when unknown */
	/* CLOCK_MONOTONIC ns, 0 when not seen: gctrace's tSweepTerm, tMark, tMarkTerm, tEnd */
	uint64_t t_sweep_term;	     /* STW 1 begins */
	uint64_t t_mark;	     /* STW 1 ends, concurrent mark begins */
	uint64_t t_mark_term;	     /* STW 2 (the last one) begins */
	uint64_t t_end;		     /* STW 2 ends */
	uint64_t runtime_sweep_term; /* startCycle's markStartTime: the runtime's own tSweepTerm */
	uint32_t mark_term_retries;  /* mark-termination STWs that restarted the mark */
	uint64_t retry_stw_ns;	     /* their total duration */
	/* gctrace's "A->B->C MB, D MB goal", bytes */
	bool have_heap0, have_heap1, have_heap2, have_goal;
	bool from_work; /* times and heap0-2 are the runtime's own (runtime.work) */
	uint64_t heap0; /* heap live when the cycle started */
	uint64_t heap1; /* heap live when mark termination began */
	uint64_t heap2; /* heap marked live */
	uint64_t goal;	/* the cycle's heap goal */
};

enum gmt_stw_kind {
	GMT_STW_OTHER,		 /* not a GC pause: see reason */
	GMT_STW_SWEEP_TERM,	 /* GC sweep termination */
	GMT_STW_MARK_TERM,	 /* GC mark termination */
	GMT_STW_MARK_TERM_RETRY, /* GC mark termination that restarted the mark */
};

struct gmt_stw {
	uint64_t start; /* 0: began before tracing did */
	uint64_t end;	/* 0: had not ended when tracing stopped */
	enum gmt_stw_kind kind;
	uint32_t cycle;			    /* the GC cycle's number for GC pauses, else 0 */
	int reason;			    /* stwReason on go1.21+, -1 when not known */
	const char *reason_name;	    /* its name in the release (static), or NULL */
	char reason_str[GMT_GC_REASON_LEN]; /* go1.19-1.20: stopTheWorld's string */
	uint32_t tid;			    /* the thread that stopped the world */
};

struct gmt_gc_stats {
	uint32_t cycles;	 /* complete cycles */
	uint32_t partial_cycles; /* cycles with a start or end not seen */
	uint32_t forced;	 /* complete cycles started by runtime.GC() */
	uint32_t gc_start_calls; /* gcStart entries (not all start a cycle) */
	uint64_t stw_pauses;	 /* complete pauses, GC or not */
	uint64_t stw_total_ns;
	uint64_t stw_max_ns;
	uint64_t gc_stw_pauses; /* of which GC pauses */
	uint64_t gc_stw_total_ns;
	uint64_t mark_total_ns;	    /* concurrent mark, complete cycles */
	uint64_t lost_records;	    /* records found missing (a stop without a restart...) */
	uint64_t first_ts, last_ts; /* first and last record */
};

struct gmt_gc_timeline;

struct gmt_go_release;

/*
 * row, the traced binary's release, tells how STW records are read (a reason argument
 * on 1.21+, startTheWorldWithSema's `now` on 1.22+) and names the reasons.  NULL on
 * -ENOMEM.
 */
struct gmt_gc_timeline *gmt_gc_timeline__new(const struct gmt_go_release *row);
void gmt_gc_timeline__free(struct gmt_gc_timeline *tl);

/* One record, in ring-buffer order.  0, -ENOMEM, or -EINVAL for a kind it does not know. */
int gmt_gc_timeline__add(struct gmt_gc_timeline *tl, const struct gmt_rec_gc *r);
/* Tracing stopped at end_ns: what is still open becomes partial.  Idempotent. */
void gmt_gc_timeline__finish(struct gmt_gc_timeline *tl, uint64_t end_ns);

/*
 * For tracing that writes one interval at a time (the daemon): moves everything that
 * has ended into a new, finished timeline, which the outputs read like any other, and
 * keeps here only what is still open (the running cycle and its pauses), so that memory
 * stays bounded by one interval.  A cycle goes into the interval it ends in.  Statistics
 * (gcStart calls, lost records) restart from zero.  NULL on -ENOMEM (nothing moved).
 */
struct gmt_gc_timeline *gmt_gc_timeline__rotate(struct gmt_gc_timeline *tl, uint64_t cut_ns);

/* Cycles in the order they started; pauses in the order they began. */
size_t gmt_gc_timeline__cycles(const struct gmt_gc_timeline *tl, const struct gmt_gc_cycle **out);
size_t gmt_gc_timeline__stws(const struct gmt_gc_timeline *tl, const struct gmt_stw **out);
void gmt_gc_timeline__stats(const struct gmt_gc_timeline *tl, struct gmt_gc_stats *st);

/* Whether the cycle was seen whole. */
static inline bool gmt_gc_cycle_complete(const struct gmt_gc_cycle *c)
{
	return !(c->flags & (GMT_GC_PARTIAL_START | GMT_GC_PARTIAL_END));
}

/* A pause's display name: the runtime's stwReason string, or stopTheWorld's argument. */
void gmt_stw_name(const struct gmt_stw *s, char *buf, size_t len);
/* "heap", "time", "forced", "?" */
const char *gmt_gc_trigger_name(int trigger);

#endif
