/* SPDX-License-Identifier: MIT */
/*
 * The daemon's metrics file: Prometheus' text exposition format (0.0.4), which
 * node_exporter's textfile collector reads (one file, replaced atomically every
 * interval).  Every family has # HELP and # TYPE; counters are named *_total in both.
 * Kernel-free.
 */
#ifndef GMT_METRICS_H
#define GMT_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Upper bounds (ns) of the STW pause histogram; the last is +Inf (UINT64_MAX).  The
 * finite ones as a list X(ns) X(ns)..., for the tables that need them in other units.
 */
#define GMT_PAUSE_BOUNDS_NS(X)                                                             \
	X(10000) X(50000) X(100000) X(500000) X(1000000) X(5000000) X(10000000)           \
	X(50000000) X(100000000)
#define GMT_PAUSE_BUCKETS 10
extern const uint64_t gmt_pause_bucket_ns[GMT_PAUSE_BUCKETS];

/* The bucket a pause of dur_ns falls in. */
size_t gmt_pause_bucket(uint64_t dur_ns);

/*
 * STW pauses by reason (the runtime's stwReason, or stopTheWorld's string before go1.21),
 * each with the histogram above: the metrics file sums them, OTLP sends one histogram
 * point per reason.  A pause whose reason finds no free slot goes to the last one,
 * renamed GMT_PAUSE_OTHER: real programs stop the world for a handful of reasons.
 */
#define GMT_PAUSE_REASONS 12
#define GMT_PAUSE_REASON_LEN 48
#define GMT_PAUSE_OTHER "other"

struct gmt_pause_hist {
	char reason[GMT_PAUSE_REASON_LEN];
	uint64_t count, sum_ns;
	uint64_t bucket[GMT_PAUSE_BUCKETS]; /* per bucket, not cumulative */
};

struct gmt_pauses {
	size_t n;
	struct gmt_pause_hist r[GMT_PAUSE_REASONS];
};

void gmt_pauses_add(struct gmt_pauses *p, const char *reason, uint64_t dur_ns);
/* dst += src, reason by reason. */
void gmt_pauses_merge(struct gmt_pauses *dst, const struct gmt_pauses *src);
/* Every reason together: the histogram's buckets (per bucket); the count. */
uint64_t gmt_pauses_total(const struct gmt_pauses *p, uint64_t bucket[GMT_PAUSE_BUCKETS]);

/*
 * The file's mode: it names only process names and PIDs, which /proc shows everyone,
 * and node_exporter reads it as its own user.
 */
#define GMT_METRICS_MODE 0644

/* One target's figures: totals since it was attached, gauges of the last interval. */
struct gmt_metrics_target {
	const char *comm;
	int pid;
	double alloc_bytes_per_s; /* last interval */
	double inuse_bytes;	  /* live heap estimate at the last interval's end */
	double alloc_bytes_total; /* estimated, since attach */
	uint64_t gc_cycles_total;
	uint64_t stw_pauses_total;
	double stw_seconds_total;
	struct gmt_pauses pauses;		/* their durations, by reason */
	uint64_t records_dropped_total;		/* ring buffer full */
	uint64_t samples_dropped_total;		/* bounded tables full */
	uint64_t intervals_total;
	/* --goroutines: live goroutines at the last interval's end, as NumGoroutine counts */
	bool has_goroutines;
	uint64_t goroutines;
	/* Snapshots: goroutine groups flagged as probable leaks at the last read (leakflag.h) */
	bool has_leaks;
	uint64_t leak_groups, leak_goroutines;
};

/* The OTLP export's figures (daemon --otlp-endpoint), since the daemon started. */
struct gmt_metrics_export {
	uint64_t sent;	   /* requests the Collector accepted */
	uint64_t failures; /* tries that failed */
	uint64_t dropped;  /* requests dropped from the full queue */
	uint64_t queued;   /* requests waiting now */
};

/* Appends the export's families (no labels): 0 or -EIO. */
int gmt_write_export_metrics(FILE *f, const struct gmt_metrics_export *e);

/*
 * All targets, label sets {comm, pid}.  A family without a sample (no target, or no
 * target with goroutine tracking) is left out.  0 or -EIO.
 */
int gmt_write_metrics(FILE *f, const struct gmt_metrics_target *t, size_t n);

#endif
