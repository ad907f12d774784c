/* SPDX-License-Identifier: MIT */
/*
 * One traced process, from attach to outputs: what `record` does for its one target and
 * `daemon` for each of its targets.  It opens, runs and closes; the options and the
 * preflight are the CLI's (cli/trace_opts.h), what each mode can do the analysis', the
 * MemProfileRate the rate guard's (rateguard.h), the files the profile set's
 * (profile_set.h).  The lifecycle:
 *   gmt_session__open()    binary, hook plan, probes (the target may still be held)
 *   gmt_session__start()   lets a launched target run; sampled mode: the rate
 *   gmt_session__poll()    ring buffer
 *   gmt_session__write_interval()  daemon: one interval's profile set, repeatedly
 *   gmt_session__stop()    probes off, MemProfileRate restored
 *   gmt_session__write()   record: the whole recording's outputs
 *   gmt_session__free()    restores too, when stop was not called (error paths)
 */
#ifndef GMT_SESSION_H
#define GMT_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "gomemtrace.h"
#include "metrics.h"
#include "otlp_metrics.h"

struct gmt_analysis;
struct gmt_session;
struct gmt_target;

struct gmt_session_opts {
	bool sampled;	      /* Go's heap sampler; else exact mode */
	uint64_t rate;	      /* sampled: the MemProfileRate to set when the target's is 0 */
	bool no_write_target; /* sampled: never write the rate */
	uint32_t max_depth, ringbuf_mb, agg_entries;
	bool no_gc;
	bool goroutines; /* live goroutines by creation site (gor_session.h) */
	bool runtime_frames;	/* profiles keep the allocator's leading runtime frames */
	uint32_t folded_max_mb; /* bound of each .folded file, 0: none */
	const char *btf; /* --btf, else NULL (then $GMT_BTF_PATH or the running kernel's) */
	/* Daemon: profile sets per interval (sampled only), at most max_rows (stack, size)
	 * rows kept in memory. */
	bool intervals;
	size_t max_rows;
	/*
	 * Intervals: a snapshot of the process (snapshot.h) in every set, whose goroutines
	 * feed the probe-less leak flagger (agg/leakflag.h).
	 */
	bool snapshots;
	/*
	 * The analysis of the target's executable when the caller has one (the daemon
	 * shares one per executable): the session takes a reference.  NULL: the session
	 * reads the executable itself.
	 */
	struct gmt_analysis *an;
};

/*
 * Reads t's binary (or takes o->an), attaches the probes of its plan.  t (attached or
 * launched, see target.h) must outlive the session.  -ENOENT etc. with a one-line reason
 * in d: the analysis' own when the binary cannot be traced in the mode asked for.
 */
int gmt_session__open(const struct gmt_session_opts *o, struct gmt_target *t,
		      struct gmt_session **out, struct gmt_diag *d);
/*
 * Tracing starts: a launched target is released; in sampled mode the target's rate is
 * read and, when 0, set (announced on stderr; restored by __stop() or __free()).
 */
int gmt_session__start(struct gmt_session *s, struct gmt_diag *d);
/*
 * Handles ring-buffer records for up to timeout_ms: records handled or -errno.  Every
 * 250 ms it also takes a sample (allocation rate, live goroutines), after reading all
 * that the ring buffer holds, woken or not.
 */
int gmt_session__poll(struct gmt_session *s, int timeout_ms);
/* Readable when records wait (epoll over several sessions). */
int gmt_session__epoll_fd(const struct gmt_session *s);
/*
 * The recording's window ends now (idempotent; __stop() ends it too): heap-sampler
 * records stamped later, which the probes send until they are removed, are not counted.
 */
void gmt_session__end(struct gmt_session *s);
/* Probes off, last records drained, the target's MemProfileRate restored.  Idempotent. */
void gmt_session__stop(struct gmt_session *s);
/*
 * record: the outputs of the whole recording into dir (once, after __stop()); dir NULL
 * (--no-local): no file, the profile set's observer alone.
 */
int gmt_session__write(struct gmt_session *s, const char *dir, struct gmt_diag *d);
/*
 * record --goroutines: one read of every goroutine of the target (trace/snapshot.h), with
 * no probe, into the probe-less leak flagger (agg/leakflag.h) whose flags __write() puts
 * into report.txt and summary.json.  0, or negative errno with one line in d (the read
 * is not counted; the recording goes on).
 */
int gmt_session__read_goroutines(struct gmt_session *s, struct gmt_diag *d);
/*
 * record, at the end of its window (after __end(), before __stop(), the target still
 * there): snapshot's files into dir: goroutines.txt and goroutines.pb.gz, and in exact
 * mode heap.pb.gz and inuse_space.folded (sampled mode's live heap is those files
 * already, written by __write()).  Its goroutines are the flagger's last read when
 * __read_goroutines() was called before.  0, or negative errno with one line in d.
 */
int gmt_session__write_snapshot(struct gmt_session *s, const char *dir, struct gmt_diag *d);
/*
 * The target's memory as the next profile set's report.html shows it (NULL: none); mem
 * must stay valid until that set is written.
 */
void gmt_session__set_memory(struct gmt_session *s, const struct gmt_memory_report *mem);
/* record, after __write(): the figures of its summary.json that OTLP export sends. */
int gmt_session__recording(const struct gmt_session *s, struct gmt_otlp_recording *r);


/* What one interval held: for logs, thresholds and metrics. */
struct gmt_interval {
	double duration_s;
	uint64_t samples;
	double est_alloc_bytes, est_alloc_objects; /* allocated during the interval */
	double est_inuse_bytes, est_inuse_objects; /* live at its end */
	uint32_t gc_cycles;
	uint64_t stw_pauses, stw_total_ns, stw_max_ns;
	struct gmt_pauses pauses;		/* the pauses that ended in it, by reason */
	uint64_t drops;				/* records lost (ring buffer), this interval */
	uint64_t samples_dropped;		/* samples lost to the bounded tables */
	uint64_t rows, stacks, rows_evicted;	/* table state after the interval */
	/* Snapshots: groups flagged as probable leaks, and their goroutines, at the last read;
	 * the user goroutines of that read. */
	bool has_leaks;
	uint64_t leak_groups, leak_goroutines, goroutines;
};

/*
 * Daemon: the profile set of the interval since the previous call (or the start) into
 * dir, every file atomically: alloc.pb.gz (allocations of the interval, with the live
 * heap as in-use sample types), inuse.pb.gz (live heap), alloc_bytes.folded,
 * alloc_count.folded, inuse_bytes.folded, report.txt, summary.json, gc.txt, gc.json;
 * with o->snapshots the snapshot's files (heap.pb.gz, goroutines.txt, goroutines.pb.gz)
 * and the leak flags in report.txt and summary.json.
 * ex (NULL: none) goes into summary.json: the OTLP export so far.  dir NULL
 * (--no-local): no file, the profile set's observer alone.
 * *iv gets the figures.  The interval's tables are released afterwards (and cold
 * stacks evicted), so memory stays bounded.
 */
int gmt_session__write_interval(struct gmt_session *s, const char *dir,
				const struct gmt_metrics_export *ex, struct gmt_interval *iv,
				struct gmt_diag *d);

/* Sampled mode: the estimated live heap now (bytes). */
double gmt_session__live_bytes(const struct gmt_session *s);
/* The longest stop-the-world pause (ns) that ended since the previous call; 0 if none. */
uint64_t gmt_session__new_max_pause(struct gmt_session *s);

/* --goroutines: the goroutine aggregator as of the last write, else NULL. */
const struct gmt_goroutines *gmt_session__goroutines(const struct gmt_session *s);

/* The analysis of the target's executable (the session holds a reference). */
const struct gmt_analysis *gmt_session__analysis(const struct gmt_session *s);
/* For messages: the binary's release ("go1.26.8", "go1.27 (inferred)"). */
const char *gmt_session__go_version(const struct gmt_session *s);
uint64_t gmt_session__rate(const struct gmt_session *s);
size_t gmt_session__nprobes(const struct gmt_session *s);
bool gmt_session__rate_written(const struct gmt_session *s);
void gmt_session__free(struct gmt_session *s);

#endif
