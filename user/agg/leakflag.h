/* SPDX-License-Identifier: MIT */
/*
 * Goroutine leaks without probes (issue 15): successive reads of every goroutine (the
 * snapshot's, goruntime/gsnap.h), each reduced to groups keyed by (creation site: the
 * function of the go statement, wait site: the innermost shown frame, wait reason), and
 * a group flagged as a probable leak when, over the last GMT_LEAK_READS reads:
 *   - its count never went down, and went up in at least GMT_LEAK_MIN_GROWTHS of the
 *     GMT_LEAK_READS - 1 steps (a steady pool does not grow; one noisy jump is one step);
 *   - its oldest wait went up at every step.  The oldest wait is the larger of the
 *     runtime's own (g.waitsince, which the runtime only sets when a GC finds the
 *     goroutine waiting, so it is often unknown) and how long the group's smallest goid
 *     has been seen in that group: goids are never reused, so a group whose goroutines
 *     all come and go (a busy pool) keeps no goroutine across reads and its oldest wait
 *     starts again, while leaked goroutines stay and their wait only grows.
 * A group absent from a read has count 0 in it.  Kernel-free: fed with strings.
 */
#ifndef GMT_LEAKFLAG_H
#define GMT_LEAKFLAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct gmt_json;

#define GMT_LEAK_READS 4       /* reads looked at: the last one and the 3 before it */
#define GMT_LEAK_MIN_GROWTHS 2 /* steps of those 3 in which the count must grow */

/* A group of one read, as the report and summary show it. */
struct gmt_leak_group {
	const char *creator;   /* "main.leakOne" */
	const char *wait_site; /* "main.leakOne.func1" */
	const char *reason;    /* "chan receive" */
	uint64_t count;	       /* goroutines in the group at the last read */
	uint64_t count_first;  /* ... at the first of the GMT_LEAK_READS reads */
	int64_t oldest_wait_ns;
	bool leak; /* flagged */
};

struct gmt_leakflag;

struct gmt_leakflag *gmt_leakflag__new(void);
void gmt_leakflag__free(struct gmt_leakflag *lf);

/* A read begins at now_ns (CLOCK_MONOTONIC, the clock of nanotime()). */
void gmt_leakflag__begin(struct gmt_leakflag *lf, int64_t now_ns);
/*
 * One goroutine of the read: its key, its goid, how long the runtime says it has waited
 * (0: not known).  0 or -ENOMEM (the read is then incomplete: end() discards it).
 */
int gmt_leakflag__add(struct gmt_leakflag *lf, const char *creator, const char *wait_site,
		      const char *reason, uint64_t goid, int64_t waited_ns);
/* The read is complete: every group is judged again.  0 or -ENOMEM. */
int gmt_leakflag__end(struct gmt_leakflag *lf);
/* A read was begun and could not be completed: forgotten, the history is kept. */
void gmt_leakflag__abort(struct gmt_leakflag *lf);

/* Complete reads so far. */
size_t gmt_leakflag__reads(const struct gmt_leakflag *lf);
/* The goroutines of the last complete read (0 before the first). */
uint64_t gmt_leakflag__goroutines(const struct gmt_leakflag *lf);
/*
 * The groups present at the last read, flagged ones first (largest first), into *out
 * (malloc'd, the strings owned by lf until its next read).  Their number, or -ENOMEM.
 */
int gmt_leakflag__groups(const struct gmt_leakflag *lf, struct gmt_leak_group **out);
/* Flagged groups at the last read, and the goroutines in them. */
size_t gmt_leakflag__nflagged(const struct gmt_leakflag *lf, uint64_t *goroutines);

/* report.txt's section: the rule, then every flagged group (or "none"). */
int gmt_leakflag__report(const struct gmt_leakflag *lf, FILE *f);
/*
 * summary.json's fields: goroutine_leak_reads, goroutine_leak_window (GMT_LEAK_READS),
 * goroutine_leaks: [{creator, wait_site, wait_reason, count, count_window_start,
 * oldest_wait_s}].
 */
int gmt_leakflag__summary_fields(const struct gmt_leakflag *lf, struct gmt_json *j);
/* The flagged groups alone, as that array (report.html's "leaks"): 0 or -ENOMEM. */
int gmt_leakflag__leaks_json(const struct gmt_leakflag *lf, struct gmt_json *j);

#endif
