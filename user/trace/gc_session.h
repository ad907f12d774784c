/* SPDX-License-Identifier: MIT */
/*
 * GC tracing within a recording (docs/go-runtime.md, "GC"): the GC/STW probes, their records,
 * the cycle timeline and its outputs.  cmd_record drives it through these calls only.
 */
#ifndef GMT_GC_SESSION_H
#define GMT_GC_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"
#include "out_gc.h"
#include "runinfo.h"

struct gmt_analysis;
struct gmt_json;
struct gmt_gc_session;

struct gmt_gc_session_opts {
	int pid;
	const char *exe; /* /proc/PID/exe, what uprobes attach to */
	uint64_t bias;	 /* load bias */
	const struct gmt_analysis *an; /* the binary: its release, hook plan, gcController... */
	int ringbuf_fd; /* the recording's ring buffer: GC records go there too */
	/*
	 * Optional: > 0 to share the recording's per-CPU counters map, so that the
	 * GMT_CNT_GC_* counters appear in gmt_run_info.counters as well; otherwise the GC
	 * object keeps its own (gc.txt and report.txt show them either way).
	 */
	int counters_fd;
	const char *btf_path; /* kernel BTF for CO-RE; NULL: the running kernel's */
};

/*
 * Loads and attaches the GC probes.  What the binary lacks (the analysis' GC check) is
 * reported with pr_warn and listed in the outputs.  -ENOENT (with a message) when the
 * binary has none of the GC functions: the recording can go on without GC; other errors
 * mean BPF failed.
 */
int gmt_gc_session__start(const struct gmt_gc_session_opts *o, struct gmt_gc_session **out,
			  struct gmt_diag *d);
/* How many uprobes the GC tracing attached (for the "tracing with N probes" line). */
size_t gmt_gc_session__nprobes(const struct gmt_gc_session *s);
/* A ring-buffer record; returns -ENOENT when it is not a GC record (not an error). */
int gmt_gc_session__on_record(struct gmt_gc_session *s, const void *data, size_t size);
/*
 * Removes the probes; cycles still open are marked partial when the outputs are
 * written, so records that the recording drains after this call still count.  Best
 * called before the recording drains its ring buffer for the last time.
 */
void gmt_gc_session__stop(struct gmt_gc_session *s, uint64_t end_ns);
/*
 * Only removes the probes, saying nothing (error paths; __stop() and __free() do it
 * too).  GC records already written stay in the ring buffer until it is drained.
 */
void gmt_gc_session__detach(struct gmt_gc_session *s);
/*
 * Writes gc.txt and gc.json into dir (atomically); alloc_rate points may be NULL.
 * Allocation-rate counter track: pairs of (ts_ns, bytes/s), n points.
 */
int gmt_gc_session__write(struct gmt_gc_session *s, const char *dir, const struct gmt_run_info *ri,
			  const uint64_t *rate_ts, const double *rate_bytes_per_s, size_t nrate,
			  struct gmt_diag *d);
/*
 * Another counter track for gc.json (live goroutines...): the arrays must live until
 * gmt_gc_session__write.  A track of the same name is replaced.  -ENOSPC past
 * GMT_GC_MAX_TRACKS.
 */
int gmt_gc_session__add_track(struct gmt_gc_session *s, const struct gmt_counter_track *t);
/*
 * The daemon writes one interval at a time: __rotate() takes what has ended out of the
 * session's timeline (gmt_gc_timeline__rotate, the caller frees it), the other two write
 * gc.txt/gc.json and the summary fields of such an interval timeline.
 */
struct gmt_gc_timeline;
struct gmt_stw;
/* The pauses that ended since the last rotation (or the start), in order. */
size_t gmt_gc_session__stws(const struct gmt_gc_session *s, const struct gmt_stw **out);
struct gmt_gc_timeline *gmt_gc_session__rotate(struct gmt_gc_session *s, uint64_t cut_ns);
int gmt_gc_session__write_interval(struct gmt_gc_session *s, const struct gmt_gc_timeline *tl,
				   const char *dir, const struct gmt_run_info *ri,
				   const uint64_t *rate_ts, const double *rate_bytes_per_s,
				   size_t nrate, struct gmt_diag *d);
void gmt_gc_session__interval_summary_fields(const struct gmt_gc_session *s,
					     const struct gmt_gc_timeline *tl, struct gmt_json *j);
/* Adds gc_cycles, gc_forced, stw_pauses, stw_total_ns, stw_max_ns to summary.json. */
void gmt_gc_session__summary_fields(const struct gmt_gc_session *s, struct gmt_json *j);
/* Appends the GC summary section to report.txt. */
void gmt_gc_session__report(const struct gmt_gc_session *s, FILE *f);
void gmt_gc_session__free(struct gmt_gc_session *s);

#endif
