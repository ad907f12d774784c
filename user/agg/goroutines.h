/* SPDX-License-Identifier: MIT */
/*
 * Live goroutines by creation site (issue 8, docs/go-runtime.md, "Goroutines"): a kernel-free aggregator fed
 * with creations, exits, creation stacks and the goroutines that existed before the
 * probes.  Its outputs (goroutines.folded, the report.txt section, the summary.json
 * keys, out_goroutines.c) are declared in outputs.h; the live-count track of gc.json
 * reads gmt_goroutines__track().  Used by `record` (gor_session.c) and the daemon: it
 * owns no BPF.
 *
 * Goroutines come from origins: a creation stack (the stack of the goroutine that ran
 * the go statement), or for goroutines found at attach time, which have no stack, the go
 * statement's pc (g.gopc) and entry function (g.startpc).  A site, one row of the
 * outputs, is a go statement and the function it runs: every origin whose go statement
 * (the innermost frame at the creation pc, "func (file:line)") and goroutine function
 * are the same, so that goroutines from before and after attach, or created through
 * several call paths, count together.  The goroutine function is named as its author
 * wrote the go statement (gmt_symbolizer.go_func, gofunc.h), not after the compiler's
 * wrapper.
 *
 * Growth: the caller ticks the aggregator now and then (gmt_goroutines__tick); at the end
 * the live count of every site is read at the end of GMT_GOR_BUCKETS equal slices of the
 * recording.  A site is a probable leak when its live count never fell from one slice
 * to the next, rose in at least a third of them, and ended above where it started.
 *
 * Runtime goroutines are told apart the way runtime.NumGoroutine does
 * (isSystemGoroutine): the function at the goroutine's entry (a go-statement wrapper's
 * own, not its callee's) is in package runtime and is not runtime.main (nor
 * runtime.corostart, a coroutine's).  goroutines_live counts the others, which is what
 * NumGoroutine returns.
 */
#ifndef GMT_GOROUTINES_H
#define GMT_GOROUTINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "symbolize.h"

struct gmt_goroutines;

#define GMT_GOR_BUCKETS 10
#define GMT_GOR_REPORT_TOP 15

/* One row: a go statement and the goroutine function it runs (filled by finish). */
struct gmt_gor_site {
	uint64_t id;	   /* a hash of name and start_fn; unnamed sites: their origin's id */
	uint64_t gopc;	   /* the go statement's pc (its first origin's), 0 unknown */
	uint64_t start_pc; /* the goroutine's entry (its first origin's), 0 unknown */
	bool preexisting;  /* only goroutines from before tracing: no creation stack seen */
	bool runtime; /* created by the runtime for itself */
	bool leak;    /* probable leak */
	uint64_t created, exited, pre; /* pre: live at attach */
	uint64_t live;
	uint64_t buckets[GMT_GOR_BUCKETS + 1]; /* live at the start, then at each slice end */
	uint32_t nstacks; /* creation stacks seen for it */
	char name[160]; /* the go statement's function, "func (file:line)" */
	char start_fn[128]; /* the goroutine's function, "" unknown */
};

/* Where live goroutines came from: what goroutines.folded is made of. */
struct gmt_gor_origin {
	uint64_t id;	   /* a hash of stack_id and start_pc; pre-existing: of gopc, start_pc */
	uint64_t stack_id; /* the creation stack; 0 for pre-existing goroutines */
	uint64_t gopc;	   /* pre-existing: the go statement's pc */
	uint64_t start_pc; /* the goroutine function's entry (first one seen), 0 unknown */
	bool preexisting;
	/* Pre-existing: the creation stack they are folded under (set by finish), 0 for
	 * none: the only one seen for the same go statement pc in the same site. */
	uint64_t fold_stack;
	uint64_t created, exited, pre, live;
	const struct gmt_gor_site *site; /* its row as of the last finish */
	/* private */
	uint32_t *series; /* live count at each tick */
	size_t row;
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
/* Every origin, each with its site as of the last finish (none before). */
size_t gmt_goroutines__origins(const struct gmt_goroutines *g,
			       const struct gmt_gor_origin *const **out);
/* A creation stack by id (leaf first); false when unknown. */
bool gmt_goroutines__stack(const struct gmt_goroutines *g, uint64_t id, const uint64_t **pcs,
			   uint32_t *depth, bool *truncated);
/* The live-count samples: ts[i] and the total (user + runtime) live count. */
size_t gmt_goroutines__track(const struct gmt_goroutines *g, const uint64_t **ts,
			     const double **live);

/* True for a goroutine function NumGoroutine does not count. */
bool gmt_goroutines_is_runtime_fn(const char *fn);

#endif
