/* SPDX-License-Identifier: MIT */
/*
 * OTLP metrics (opentelemetry-proto metrics/v1, the body of POST /v1/metrics) encoded
 * with the pprof writer's protobuf encoder (pprof.h), and the metrics `record` sends at
 * its end, named as the OpenTelemetry semantic conventions for Go runtime metrics name
 * them where one exists and under `gomemtrace.` otherwise (README.md, "OTLP export").
 * Kernel-free: the tests decode the bytes field by field (tests/out/test_otlp_metrics.c).
 */
#ifndef GMT_OTLP_METRICS_H
#define GMT_OTLP_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"
#include "out_memory.h"
#include "pprof.h"

/* An attribute: a string value, or an integer one when str is NULL. */
struct gmt_otlp_attr {
	const char *key;
	const char *str;
	int64_t i;
};

/* a as a KeyValue (common/v1), field `field` of b: resources, data points. */
void gmt_otlp_put_attr(struct gmt_pb *b, uint32_t field, const struct gmt_otlp_attr *a);

enum gmt_otlp_kind {
	GMT_OTLP_GAUGE,	       /* a value now */
	GMT_OTLP_UPDOWN,       /* non-monotonic cumulative Sum (an UpDownCounter) */
	GMT_OTLP_COUNTER,      /* monotonic cumulative Sum: a running total */
	GMT_OTLP_HISTOGRAM,    /* cumulative Histogram with explicit bounds */
};

/* One data point of one metric (a metric with several points repeats its name). */
struct gmt_otlp_metric {
	const char *name, *description, *unit;
	enum gmt_otlp_kind kind;
	bool is_double;
	int64_t i;
	double d;
	uint64_t start_unix_ns; /* cumulative: when the total started, 0 unknown */
	struct gmt_otlp_attr attr; /* one point attribute, key NULL: none */
	/* GMT_OTLP_HISTOGRAM: count, sum (d), nbounds finite upper bounds (ascending) and
	 * nbounds + 1 bucket counts (the last one above every bound), per bucket. */
	uint64_t count;
	const double *bounds;
	size_t nbounds;
	const uint64_t *bucket;
};

/* One ExportMetricsServiceRequest: one resource, one scope, its metrics. */
struct gmt_otlp_batch {
	const struct gmt_otlp_attr *resource;
	size_t nresource;
	const char *scope_name, *scope_version;
	uint64_t time_unix_ns; /* every point's time */
	const struct gmt_otlp_metric *m;
	size_t n;
};

/*
 * Appends the request to b.  Consecutive entries of m with the same name become one
 * Metric with several data points.  0, or -EINVAL (a name missing, a histogram without
 * its buckets or bounds, consecutive entries of one name and different kinds) / the
 * encoder's error.
 */
int gmt_otlp_metrics_encode(const struct gmt_otlp_batch *batch, struct gmt_pb *b);

/* The figures of a recording that summary.json holds (record's end). */
struct gmt_otlp_recording {
	bool sampled;			/* alloc_* and inuse_bytes are estimates */
	uint64_t start_unix_ns;		/* when tracing began */
	uint64_t alloc_bytes, alloc_objects; /* bytes/allocs, or est_alloc_bytes/objects */
	bool has_inuse;			/* sampled: est_inuse_bytes */
	uint64_t inuse_bytes;
	bool has_gc;			/* GC traced: gc_cycles, stw_pauses, stw_total_ns, pauses */
	uint64_t gc_cycles, stw_pauses, stw_total_ns;
	struct gmt_pauses pauses;	/* the pauses' durations by reason (metrics.h) */
	uint64_t dropped;
	bool has_goroutines;		/* the user goroutines at the end, as NumGoroutine */
	uint64_t goroutines;
	bool has_leaks;			/* goroutine groups flagged as probable leaks */
	uint64_t leak_groups, leak_goroutines;
};

/* Who the metrics are about: the resource's attributes. */
struct gmt_otlp_target {
	const char *service_name; /* --service-name; NULL: the executable's name */
	const char *instance_id;  /* service.instance.id */
	int pid;
	const char *exe_path;	  /* the executable, as /proc/PID/exe names it */
	const char *go_version;	  /* the release row's name: "go1.26.8", "go1.27 (inferred)" */
	const char *host_name;
	const char *container_id; /* NULL: not in a container its cgroup names */
};

#define GMT_OTLP_RESOURCE_MAX 12

/*
 * The resource attributes of t into out[GMT_OTLP_RESOURCE_MAX]: the count.  They point
 * into t and into buf (len bytes), which must outlive them.
 */
size_t gmt_otlp_resource(const struct gmt_otlp_target *t, struct gmt_otlp_attr *out, char *buf,
			 size_t len);

#define GMT_OTLP_RECORD_MAX (24 + GMT_PAUSE_REASONS) /* bound of the list below */

/*
 * The metrics of a recording (rec) and of the target's memory at its end (mem, NULL when
 * memory_end.json was not written) into out[GMT_OTLP_RECORD_MAX]: the count.  A figure
 * the runtime could not give (heap figures read inconsistently, no heap goal, no limit)
 * is left out, never sent as 0.
 */
size_t gmt_otlp_record_metrics(const struct gmt_otlp_recording *rec,
			       const struct gmt_memory_report *mem, struct gmt_otlp_metric *out);

#endif
