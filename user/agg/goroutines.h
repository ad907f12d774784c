/* SPDX-License-Identifier: MIT */
/*
 * Live goroutines by creation site (issue 8, DESIGN.md §7): a kernel-free aggregator fed
 * with creations, exits, creation stacks and the goroutines that existed before the
 * probes, plus its outputs: goroutines.folded, the report.txt section, the summary.json
 * keys and the live-count track of gc.json.  Used by `record` (gor_session.c) and meant
 * for any other command that traces goroutines: it owns no BPF.
 *
 * A site is a creation stack (the stack of the goroutine that ran the go statement).
 * Goroutines found at attach time have no stack: their site is the go statement's pc
 * (g.gopc) and entry function (g.startpc) under "[pre-existing]".
 *
 * Growth: the caller ticks the aggregator now and then (gmt_goroutines__tick); at the end
 * the live count of every site is read at the end of GMT_GOR_BUCKETS equal slices of the
 * recording.  A site is a probable leak when its live count never fell from one slice
 * to the next, rose in at least a third of them, and ended above where it started.
 *
 * Runtime goroutines are told apart the way runtime.NumGoroutine does
 * (isSystemGoroutine): the goroutine's function is in package runtime and is not
 * runtime.main (nor runtime.corostart, a coroutine's).  goroutines_live counts the others, which is what NumGoroutine returns.
 */
#ifndef GMT_GOROUTINES_H
#define GMT_GOROUTINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "symbolize.h"

struct gmt_json;
struct gmt_goroutines;

#define GMT_GOR_BUCKETS 10
#define GMT_GOR_REPORT_TOP 15

struct gmt_gor_site {
	uint64_t id;	   /* creation stack id; pre-existing sites: a hash of gopc, startpc */
	uint64_t gopc;	   /* pre-existing sites: the go statement's pc */
	uint64_t start_pc; /* the goroutine function's entry (first one seen), 0 unknown */
	bool preexisting;
	bool runtime; /* created by the runtime for itself (set by finish) */
	bool leak;    /* probable leak (set by finish) */
	uint64_t created, exited, pre; /* pre: live at attach */
	uint64_t live;
	uint64_t buckets[GMT_GOR_BUCKETS + 1]; /* live at the start, then at each slice end */
	char name[160]; /* the go statement's function, "func (file:line)" (set by finish) */
	char start_fn[128]; /* the goroutine's function (set by finish), "" unknown */
	/* private */
	uint32_t *series; /* live count at each tick */
};

struct gmt_gor_stats {
	uint64_t live, live_runtime;	/* at the end: user (NumGoroutine), runtime */
	uint64_t preexisting;		/* enumerated at attach */
	uint64_t created, exited;	/* during the recording */
	uint64_t exited_pre;		/* ... of which pre-existing */
	uint64_t exited_unknown;	/* exits of goroutines never seen (not enumerated) */
	uint64_t sites, leak_sites;
	bool enumerated;		/* the goroutines before attach are known */
};

struct gmt_goroutines *gmt_goroutines__new(void);
void gmt_goroutines__free(struct gmt_goroutines *g);

/* A creation stack, leaf first (duplicates ignored): 0, -EINVAL or -ENOMEM. */
int gmt_goroutines__add_stack(struct gmt_goroutines *g, uint64_t id, const uint64_t *pcs,
			      uint32_t depth, bool truncated);
/* A goroutine alive at attach (before any creation is recorded): 0 or -ENOMEM. */
int gmt_goroutines__preexisting(struct gmt_goroutines *g, uint64_t goid, uint64_t gopc,
				uint64_t start_pc);
/* The enumeration of pre-existing goroutines is complete (for the outputs). */
void gmt_goroutines__set_enumerated(struct gmt_goroutines *g, bool done);
int gmt_goroutines__created(struct gmt_goroutines *g, uint64_t ts, uint64_t goid,
			    uint64_t stack_id, uint64_t start_pc);
int gmt_goroutines__exited(struct gmt_goroutines *g, uint64_t ts, uint64_t goid);
/* A live-count sample at ts (CLOCK_MONOTONIC ns), for growth and the gc.json track. */
int gmt_goroutines__tick(struct gmt_goroutines *g, uint64_t ts);
/*
 * A snapshot for the outputs, after the last record or at any time (a long-running
 * command may take one per interval and keep feeding records): ticks end_ns, names the
 * sites, classifies them, fills the buckets over [start_ns, end_ns], flags leaks and
 * ranks the sites.  0 or -ENOMEM.
 */
int gmt_goroutines__finish(struct gmt_goroutines *g, const struct gmt_symbolizer *sym,
			   uint64_t start_ns, uint64_t end_ns);

void gmt_goroutines__stats(const struct gmt_goroutines *g, struct gmt_gor_stats *st);
/* Sites by live count, then created, descending, as of the last finish (none before). */
size_t gmt_goroutines__sites(const struct gmt_goroutines *g, const struct gmt_gor_site *const **out);
/* A creation stack by id (leaf first); false when unknown. */
bool gmt_goroutines__stack(const struct gmt_goroutines *g, uint64_t id, const uint64_t **pcs,
			   uint32_t *depth, bool *truncated);
/* The live-count samples: ts[i] and the total (user + runtime) live count. */
size_t gmt_goroutines__track(const struct gmt_goroutines *g, const uint64_t **ts,
			     const double **live);

/* True for a goroutine function NumGoroutine does not count. */
bool gmt_goroutines_is_runtime_fn(const char *fn);

/* ---- outputs (out_goroutines.c) ---- */

/* goroutines.folded: live goroutines at the end by creation stack, root first. */
int gmt_goroutines__write_folded(const struct gmt_goroutines *g, const struct gmt_symbolizer *sym,
				 FILE *f);
/* The goroutines section of report.txt. */
int gmt_goroutines__report(const struct gmt_goroutines *g, FILE *f);
/* goroutines_* keys and the goroutine_sites array of summary.json. */
void gmt_goroutines__summary_fields(const struct gmt_goroutines *g, struct gmt_json *j);

#endif
