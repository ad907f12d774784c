// SPDX-License-Identifier: MIT
/* OTLP metrics encoding and the metrics of a recording: see otlp_metrics.h. */
#include "otlp_metrics.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Field numbers: opentelemetry-proto collector/metrics/v1, metrics/v1, common/v1. */
enum {
	REQ_RESOURCE_METRICS = 1,
	RM_RESOURCE = 1, RM_SCOPE_METRICS = 2,
	RES_ATTRIBUTES = 1,
	SM_SCOPE = 1, SM_METRICS = 2,
	SCOPE_NAME = 1, SCOPE_VERSION = 2,
	KV_KEY = 1, KV_VALUE = 2,
	ANY_STRING = 1, ANY_INT = 3,
	M_NAME = 1, M_DESCRIPTION = 2, M_UNIT = 3, M_GAUGE = 5, M_SUM = 7, M_HISTOGRAM = 9,
	GAUGE_POINTS = 1,
	SUM_POINTS = 1, SUM_TEMPORALITY = 2, SUM_MONOTONIC = 3,
	HIST_POINTS = 1, HIST_TEMPORALITY = 2,
	NDP_START = 2, NDP_TIME = 3, NDP_DOUBLE = 4, NDP_INT = 6, NDP_ATTRIBUTES = 7,
	HDP_START = 2, HDP_TIME = 3, HDP_COUNT = 4, HDP_SUM = 5, HDP_BUCKETS = 6,
	HDP_BOUNDS = 7, HDP_ATTRIBUTES = 9,
};

#define TEMPORALITY_CUMULATIVE 2

void gmt_otlp_put_attr(struct gmt_pb *b, uint32_t field, const struct gmt_otlp_attr *a)
{
	size_t kv = gmt_pb__open(b, field), v;

	gmt_pb__str(b, KV_KEY, a->key);
	v = gmt_pb__open(b, KV_VALUE);
	if (a->str)
		gmt_pb__str(b, ANY_STRING, a->str);
	else
		gmt_pb__i64(b, ANY_INT, a->i);
	gmt_pb__close(b, v);
	gmt_pb__close(b, kv);
}

static void put_point(struct gmt_pb *b, uint32_t field, const struct gmt_otlp_metric *m,
		      uint64_t time_ns)
{
	size_t p = gmt_pb__open(b, field);

	/* A start time only where the value is a total since then. */
	if (m->kind != GMT_OTLP_GAUGE && m->start_unix_ns)
		gmt_pb__fixed64(b, NDP_START, m->start_unix_ns);
	gmt_pb__fixed64(b, NDP_TIME, time_ns);
	if (m->is_double)
		gmt_pb__double(b, NDP_DOUBLE, m->d);
	else
		gmt_pb__fixed64(b, NDP_INT, (uint64_t)m->i); /* sfixed64 */
	if (m->attr.key)
		gmt_otlp_put_attr(b, NDP_ATTRIBUTES, &m->attr);
	gmt_pb__close(b, p);
}

/* A HistogramDataPoint: always cumulative, with its sum (no pause is negative). */
static void put_hist_point(struct gmt_pb *b, const struct gmt_otlp_metric *m, uint64_t time_ns)
{
	size_t p = gmt_pb__open(b, HIST_POINTS);

	if (m->start_unix_ns)
		gmt_pb__fixed64(b, HDP_START, m->start_unix_ns);
	gmt_pb__fixed64(b, HDP_TIME, time_ns);
	gmt_pb__fixed64(b, HDP_COUNT, m->count);
	gmt_pb__double(b, HDP_SUM, m->d);
	gmt_pb__packed_fixed64(b, HDP_BUCKETS, m->bucket, m->nbounds + 1);
	gmt_pb__packed_double(b, HDP_BOUNDS, m->bounds, m->nbounds);
	if (m->attr.key)
		gmt_otlp_put_attr(b, HDP_ATTRIBUTES, &m->attr);
	gmt_pb__close(b, p);
}

/* One Metric from m[0..n), which share name, unit and kind. */
static void put_metric(struct gmt_pb *b, const struct gmt_otlp_metric *m, size_t n,
		       uint64_t time_ns)
{
	size_t mk = gmt_pb__open(b, SM_METRICS), data;
	bool gauge = m->kind == GMT_OTLP_GAUGE;

	gmt_pb__str(b, M_NAME, m->name);
	if (m->description && *m->description)
		gmt_pb__str(b, M_DESCRIPTION, m->description);
	if (m->unit && *m->unit)
		gmt_pb__str(b, M_UNIT, m->unit);
	if (m->kind == GMT_OTLP_HISTOGRAM) {
		data = gmt_pb__open(b, M_HISTOGRAM);
		for (size_t i = 0; i < n; i++)
			put_hist_point(b, &m[i], time_ns);
		gmt_pb__u64(b, HIST_TEMPORALITY, TEMPORALITY_CUMULATIVE);
		gmt_pb__close(b, data);
		gmt_pb__close(b, mk);
		return;
	}
	data = gmt_pb__open(b, gauge ? M_GAUGE : M_SUM);
	for (size_t i = 0; i < n; i++)
		put_point(b, gauge ? GAUGE_POINTS : SUM_POINTS, &m[i], time_ns);
	if (!gauge) {
		gmt_pb__u64(b, SUM_TEMPORALITY, TEMPORALITY_CUMULATIVE);
		if (m->kind == GMT_OTLP_COUNTER)
			gmt_pb__bool(b, SUM_MONOTONIC, 1);
	}
	gmt_pb__close(b, data);
	gmt_pb__close(b, mk);
}

int gmt_otlp_metrics_encode(const struct gmt_otlp_batch *batch, struct gmt_pb *b)
{
	size_t rm, res, sm, sc;

	for (size_t i = 0; i < batch->n; i++) {
		const struct gmt_otlp_metric *m = &batch->m[i];

		if (!m->name || !*m->name ||
		    (m->kind == GMT_OTLP_HISTOGRAM && (!m->bucket || (m->nbounds && !m->bounds))))
			return -EINVAL;
		/* the points of one Metric are of one kind */
		if (i && m->kind != m[-1].kind && !strcmp(m->name, m[-1].name))
			return -EINVAL;
	}
	for (size_t i = 0; i < batch->nresource; i++)
		if (!batch->resource[i].key)
			return -EINVAL;
	rm = gmt_pb__open(b, REQ_RESOURCE_METRICS);
	res = gmt_pb__open(b, RM_RESOURCE);
	for (size_t i = 0; i < batch->nresource; i++)
		gmt_otlp_put_attr(b, RES_ATTRIBUTES, &batch->resource[i]);
	gmt_pb__close(b, res);
	sm = gmt_pb__open(b, RM_SCOPE_METRICS);
	sc = gmt_pb__open(b, SM_SCOPE);
	gmt_pb__str(b, SCOPE_NAME, batch->scope_name ? batch->scope_name : "gomemtrace");
	if (batch->scope_version)
		gmt_pb__str(b, SCOPE_VERSION, batch->scope_version);
	gmt_pb__close(b, sc);
	for (size_t i = 0, j; i < batch->n; i = j) {
		for (j = i + 1; j < batch->n && strcmp(batch->m[j].name, batch->m[i].name) == 0; j++)
			;
		put_metric(b, &batch->m[i], j - i, batch->time_unix_ns);
	}
	gmt_pb__close(b, sm);
	gmt_pb__close(b, rm);
	return gmt_pb__err(b);
}

/* ---- the resource and the metrics of a recording ---- */

size_t gmt_otlp_resource(const struct gmt_otlp_target *t, struct gmt_otlp_attr *out, char *buf,
			 size_t len)
{
	const char *exe_name = t->exe_path ? strrchr(t->exe_path, '/') : NULL;
	size_t n = 0, vlen;

	exe_name = exe_name ? exe_name + 1 : (t->exe_path ? t->exe_path : "");
	/* "go1.27 (inferred)": the version is the first word, as runtime.Version() says it. */
	vlen = t->go_version ? strcspn(t->go_version, " ") : 0;
	snprintf(buf, len, "%.*s", (int)vlen, t->go_version ? t->go_version : "");
	out[n++] = (struct gmt_otlp_attr){ "service.name",
					   t->service_name ? t->service_name : exe_name };
	if (t->instance_id)
		out[n++] = (struct gmt_otlp_attr){ "service.instance.id", t->instance_id };
	out[n++] = (struct gmt_otlp_attr){ .key = "process.pid", .i = t->pid };
	out[n++] = (struct gmt_otlp_attr){ "process.executable.name", exe_name };
	if (t->exe_path)
		out[n++] = (struct gmt_otlp_attr){ "process.executable.path", t->exe_path };
	out[n++] = (struct gmt_otlp_attr){ "process.runtime.name", "go" };
	if (buf[0])
		out[n++] = (struct gmt_otlp_attr){ "process.runtime.version", buf };
	if (t->host_name)
		out[n++] = (struct gmt_otlp_attr){ "host.name", t->host_name };
	if (t->container_id)
		out[n++] = (struct gmt_otlp_attr){ "container.id", t->container_id };
	return n;
}


struct mlist {
	struct gmt_otlp_metric *m;
	size_t n;
};

static struct gmt_otlp_metric *add(struct mlist *l, const char *name, const char *unit,
				   enum gmt_otlp_kind kind, int64_t v, const char *desc)
{
	struct gmt_otlp_metric *m;

	if (l->n >= GMT_OTLP_RECORD_MAX)
		return NULL; /* not reached: the list below is shorter */
	m = &l->m[l->n++];
	*m = (struct gmt_otlp_metric){ .name = name, .unit = unit, .kind = kind, .i = v,
				       .description = desc };
	return m;
}

/* Semantic conventions for Go runtime metrics, from memory_end.json's figures. */
static void runtime_metrics(struct mlist *l, const struct gmt_memstats *s)
{
	struct gmt_otlp_metric *m;

	/* (/memory/classes/total - heap/released), split as the conventions split it:
	 * stack = /memory/classes/heap/stacks (StackInuse), other = the rest. */
	if (s->heap_consistent && s->have_heap_sys && s->Sys >= s->HeapReleased + s->StackInuse) {
		m = add(l, "go.memory.used", "By", GMT_OTLP_UPDOWN, (int64_t)s->StackInuse,
			"Memory used by the Go runtime.");
		if (m)
			m->attr = (struct gmt_otlp_attr){ .key = "go.memory.type", .str = "stack" };
		m = add(l, "go.memory.used", "By", GMT_OTLP_UPDOWN,
			(int64_t)(s->Sys - s->HeapReleased - s->StackInuse),
			"Memory used by the Go runtime.");
		if (m)
			m->attr = (struct gmt_otlp_attr){ .key = "go.memory.type", .str = "other" };
	}
	/* Left out when there is no limit (math.MaxInt64), as the conventions say. */
	if (s->GOMEMLIMIT != INT64_MAX)
		add(l, "go.memory.limit", "By", GMT_OTLP_UPDOWN, s->GOMEMLIMIT,
		    "Go runtime memory limit configured by the user, if a limit exists.");
	if (s->heap_consistent) {
		add(l, "go.memory.allocated", "By", GMT_OTLP_COUNTER, (int64_t)s->TotalAlloc,
		    "Memory allocated to the heap by the application.");
		add(l, "go.memory.allocations", "{allocation}", GMT_OTLP_COUNTER,
		    (int64_t)s->Mallocs, "Count of allocations to the heap by the application.");
	}
	if (s->next_gc_known)
		add(l, "go.memory.gc.goal", "By", GMT_OTLP_UPDOWN, (int64_t)s->NextGC,
		    "Heap size target for the end of the GC cycle.");
	add(l, "go.memory.gc.cycles", "{gc_cycle}", GMT_OTLP_COUNTER, s->NumGC,
	    "Number of completed GC cycles.");
	add(l, "go.config.gogc", "%", GMT_OTLP_UPDOWN, s->GOGC,
	    "Heap size target percentage configured by the user, otherwise 100.");
	/* No convention: HeapAlloc, the live and not yet swept heap. */
	if (s->heap_consistent)
		add(l, "gomemtrace.memory.heap.alloc", "By", GMT_OTLP_GAUGE, (int64_t)s->HeapAlloc,
		    "Bytes of allocated heap objects (runtime.MemStats.HeapAlloc).");
}

/* The histogram's finite bounds in seconds: gmt_pause_bucket_ns without the +Inf. */
#define GMT_SECONDS(ns) (ns) / 1e9,
static const double pause_bounds_s[] = { GMT_PAUSE_BOUNDS_NS(GMT_SECONDS) };
_Static_assert(sizeof(pause_bounds_s) / sizeof(pause_bounds_s[0]) == GMT_PAUSE_BUCKETS - 1,
	       "one bound per bucket but the last");

/* One point per reason: the pauses since the recording started. */
static void pause_histograms(struct mlist *l, const struct gmt_otlp_recording *rec)
{
	for (size_t i = 0; i < rec->pauses.n; i++) {
		const struct gmt_pause_hist *h = &rec->pauses.r[i];
		struct gmt_otlp_metric *m =
			add(l, "gomemtrace.stw.pause.duration", "s", GMT_OTLP_HISTOGRAM, 0,
			    "Stop-the-world pause durations while traced, by reason.");

		if (!m)
			return;
		m->start_unix_ns = rec->start_unix_ns;
		m->count = h->count;
		m->d = h->sum_ns / 1e9;
		m->bounds = pause_bounds_s;
		m->nbounds = GMT_PAUSE_BUCKETS - 1;
		m->bucket = h->bucket;
		m->attr = (struct gmt_otlp_attr){ .key = "gomemtrace.stw.reason", .str = h->reason };
	}
}

size_t gmt_otlp_record_metrics(const struct gmt_otlp_recording *rec,
			       const struct gmt_memory_report *mem, struct gmt_otlp_metric *out)
{
	struct mlist l = { .m = out };
	struct gmt_otlp_metric *m;

	if (mem && mem->mu->have_rss)
		add(&l, "process.memory.usage", "By", GMT_OTLP_UPDOWN, (int64_t)mem->mu->rss,
		    "The amount of physical memory in use (VmRSS).");
	if (mem && mem->ms)
		runtime_metrics(&l, mem->ms);
	/* The recording's own totals: from its start, estimates in sampled mode. */
	m = add(&l, "gomemtrace.alloc.bytes", "By", GMT_OTLP_COUNTER, (int64_t)rec->alloc_bytes,
		rec->sampled ? "Bytes allocated while traced (estimated from Go's heap sampler)."
			     : "Bytes allocated while traced.");
	if (m)
		m->start_unix_ns = rec->start_unix_ns;
	m = add(&l, "gomemtrace.alloc.objects", "{allocation}", GMT_OTLP_COUNTER,
		(int64_t)rec->alloc_objects,
		rec->sampled ? "Allocations while traced (estimated from Go's heap sampler)."
			     : "Allocations while traced.");
	if (m)
		m->start_unix_ns = rec->start_unix_ns;
	if (rec->has_inuse)
		add(&l, "gomemtrace.heap.live", "By", GMT_OTLP_GAUGE, (int64_t)rec->inuse_bytes,
		    "Estimated live heap of the objects allocated while traced.");
	if (rec->has_gc) {
		m = add(&l, "gomemtrace.gc.cycles", "{gc_cycle}", GMT_OTLP_COUNTER,
			(int64_t)rec->gc_cycles, "GC cycles seen while traced.");
		if (m)
			m->start_unix_ns = rec->start_unix_ns;
		m = add(&l, "gomemtrace.stw.pauses", "{pause}", GMT_OTLP_COUNTER,
			(int64_t)rec->stw_pauses, "Stop-the-world pauses seen while traced.");
		if (m)
			m->start_unix_ns = rec->start_unix_ns;
		m = add(&l, "gomemtrace.stw.duration", "s", GMT_OTLP_COUNTER, 0,
			"Total stop-the-world pause time while traced.");
		if (m) {
			m->is_double = true;
			m->d = rec->stw_total_ns / 1e9;
			m->start_unix_ns = rec->start_unix_ns;
		}
	}
	if (rec->has_gc)
		pause_histograms(&l, rec);
	if (rec->has_goroutines)
		add(&l, "go.goroutine.count", "{goroutine}", GMT_OTLP_UPDOWN,
		    (int64_t)rec->goroutines, "Count of live goroutines.");
	if (rec->has_leaks) {
		add(&l, "gomemtrace.goroutine.leak.groups", "{group}", GMT_OTLP_GAUGE,
		    (int64_t)rec->leak_groups,
		    "Goroutine groups flagged as probable leaks at the last read.");
		add(&l, "gomemtrace.goroutine.leak.goroutines", "{goroutine}", GMT_OTLP_GAUGE,
		    (int64_t)rec->leak_goroutines,
		    "Goroutines in the groups flagged as probable leaks at the last read.");
	}
	m = add(&l, "gomemtrace.drops", "{record}", GMT_OTLP_COUNTER, (int64_t)rec->dropped,
		"Allocation records lost (ring buffer full).");
	if (m)
		m->start_unix_ns = rec->start_unix_ns;
	return l.n;
}
