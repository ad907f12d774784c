/* SPDX-License-Identifier: MIT */
/*
 * Goroutine tracking within a recording (docs/go-runtime.md, "Goroutines"): the goroutine probes, the
 * goroutines that existed before them, and the aggregator (goroutines.h) their records
 * feed.  A command drives it through these calls only; the lifecycle is gc_session's:
 * start (open -> rodata -> share the ring buffer -> load -> attach -> enumerate allgs),
 * records, ticks, stop, finish, write, free.
 */
#ifndef GMT_GOR_SESSION_H
#define GMT_GOR_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "symbolize.h"

struct gmt_analysis;
struct gmt_goroutines;
struct gmt_gor_session;

struct gmt_gor_session_opts {
	int pid;
	const char *exe; /* /proc/PID/exe, what uprobes attach to */
	uint64_t bias;	 /* load bias */
	const struct gmt_analysis *an; /* the binary: release (g's layout), hook plan, allgs */
	int ringbuf_fd;	 /* the recording's ring buffer */
	int counters_fd; /* > 0: the recording's counters map (GMT_CNT_GO_*) */
	uint32_t max_depth; /* creation stack walk limit, 1..GMT_MAX_STACK */
	const char *btf_path; /* kernel BTF for CO-RE; NULL: the running kernel's */
};

/*
 * Loads and attaches the goroutine probes, then reads the goroutines already running.
 * -ENOENT (with a message) when the binary lacks a hook it needs (the analysis'
 * goroutine check); other errors mean BPF failed.  Not finding allgs is a warning: the
 * goroutines before attach are then only seen exiting.
 */
int gmt_gor_session__start(const struct gmt_gor_session_opts *o, struct gmt_gor_session **out,
			   struct gmt_diag *d);
size_t gmt_gor_session__nprobes(const struct gmt_gor_session *s);
/*
 * A ring-buffer record: goroutine creations and exits, and the creation stacks (stack
 * records flagged GMT_STACK_GOROUTINE).  -ENOENT when the record is not one of these,
 * -ENOMEM, or 0.
 */
int gmt_gor_session__on_record(struct gmt_gor_session *s, const void *data, size_t size);
/* A live-count sample (every few hundred ms while tracing): 0 or -ENOMEM. */
int gmt_gor_session__tick(struct gmt_gor_session *s, uint64_t now_ns);
/* Removes the probes; best before the recording's last drain of the ring buffer. */
void gmt_gor_session__stop(struct gmt_gor_session *s);
/* After the last record: names, classifies and ranks the sites. */
int gmt_gor_session__finish(struct gmt_gor_session *s, const struct gmt_symbolizer *sym,
			    uint64_t start_ns, uint64_t end_ns);
/* The aggregator, for the outputs (report, summary, gc.json track). */
const struct gmt_goroutines *gmt_gor_session__agg(const struct gmt_gor_session *s);
/* Writes goroutines.folded into dir (atomically). */
int gmt_gor_session__write(struct gmt_gor_session *s, const char *dir,
			   const struct gmt_symbolizer *sym, struct gmt_diag *d);
void gmt_gor_session__free(struct gmt_gor_session *s);

#endif
