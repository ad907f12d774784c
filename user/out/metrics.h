/* SPDX-License-Identifier: MIT */
/*
 * The daemon's metrics file: OpenMetrics text, as node_exporter's textfile collector
 * reads it (one file, replaced atomically every interval).  Kernel-free.
 */
#ifndef GMT_METRICS_H
#define GMT_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Upper bounds (ns) of the STW pause histogram; the last is +Inf (UINT64_MAX). */
#define GMT_PAUSE_BUCKETS 10
extern const uint64_t gmt_pause_bucket_ns[GMT_PAUSE_BUCKETS];

/* The bucket a pause of dur_ns falls in. */
size_t gmt_pause_bucket(uint64_t dur_ns);

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
	uint64_t pause_hist[GMT_PAUSE_BUCKETS]; /* per bucket, not cumulative */
	uint64_t records_dropped_total;		/* ring buffer full */
	uint64_t samples_dropped_total;		/* bounded tables full */
	uint64_t intervals_total;
};

/* All targets, label sets {comm, pid}; ends with "# EOF".  0 or -EIO. */
int gmt_write_metrics(FILE *f, const struct gmt_metrics_target *t, size_t n);

#endif
