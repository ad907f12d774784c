// SPDX-License-Identifier: MIT
/*
 * The OTLP metrics encoder (out/otlp_metrics.c): the request is decoded back field by
 * field with the field numbers of opentelemetry-proto metrics/v1 (tests/collector/README.md
 * lists them), and the metrics of a recording are checked against the figures they come
 * from.  The Collector's own decoding of these bytes is tests/e2e/test_otlp.c's.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "otlp_metrics.h"
#include "pbread.h"
#include "testutil.h"

/* A decoded NumberDataPoint / Metric, enough to compare with what was encoded. */
struct dpoint {
	uint64_t start, time;
	bool has_int, has_double;
	int64_t i;
	double d;
	char akey[64], astr[64];
	int64_t aint;
	bool has_attr;
};

struct dmetric {
	char name[64], desc[128], unit[16];
	int type; /* 5 gauge, 7 sum */
	uint64_t temporality;
	bool monotonic;
	struct dpoint p[4];
	int np;
};

struct dreq {
	char rkey[16][48], rstr[16][128];
	int64_t rint[16];
	bool risint[16];
	int nres;
	char scope[32], scope_version[32];
	struct dmetric m[32];
	int nm;
	int nrm, nsm; /* ResourceMetrics and ScopeMetrics seen */
};

static void copy_str(char *dst, size_t cap, const struct tu_pbr *s)
{
	size_t n = (size_t)(s->end - s->p);

	cr_assert(n < cap, "string of %zu bytes fits", n);
	memcpy(dst, s->p, n);
	dst[n] = 0;
}

/* KeyValue: key 1, AnyValue 2 (string 1 or int 3). */
static void decode_kv(struct tu_pbr kv, char *key, size_t kcap, char *str, size_t scap,
		      int64_t *iv, bool *is_int)
{
	struct tu_pbr sub, x, y;
	uint64_t v;
	uint32_t f;
	int wt;
	bool have_value = false;

	*is_int = false;
	str[0] = key[0] = 0;
	while (tu_pbr_field(&kv, &f, &wt, &v, &sub)) {
		if (f == 1) {
			cr_assert_eq(wt, 2, "KeyValue.key is a string");
			copy_str(key, kcap, &sub);
		} else if (f == 2) {
			cr_assert_eq(wt, 2, "KeyValue.value is a message");
			have_value = true;
			x = sub;
			while (tu_pbr_field(&x, &f, &wt, &v, &y)) {
				if (f == 1) {
					cr_assert_eq(wt, 2);
					copy_str(str, scap, &y);
				} else if (f == 3) {
					cr_assert_eq(wt, 0, "int_value is a varint");
					*iv = (int64_t)v;
					*is_int = true;
				} else {
					cr_assert_fail("AnyValue field %u not expected", f);
				}
			}
		} else {
			cr_assert_fail("KeyValue field %u not expected", f);
		}
	}
	cr_assert(have_value, "KeyValue %s has a value", key);
}

static void decode_point(struct tu_pbr r, struct dpoint *p)
{
	struct tu_pbr sub;
	uint64_t v;
	uint32_t f;
	int wt;

	memset(p, 0, sizeof(*p));
	while (tu_pbr_field(&r, &f, &wt, &v, &sub)) {
		switch (f) {
		case 2:
			cr_assert_eq(wt, 1, "start_time_unix_nano is fixed64");
			p->start = v;
			break;
		case 3:
			cr_assert_eq(wt, 1, "time_unix_nano is fixed64");
			p->time = v;
			break;
		case 4:
			cr_assert_eq(wt, 1, "as_double is a double");
			memcpy(&p->d, &v, sizeof(p->d));
			p->has_double = true;
			break;
		case 6:
			cr_assert_eq(wt, 1, "as_int is sfixed64");
			p->i = (int64_t)v;
			p->has_int = true;
			break;
		case 7: {
			bool is_int;

			cr_assert(!p->has_attr, "one attribute per point here");
			decode_kv(sub, p->akey, sizeof(p->akey), p->astr, sizeof(p->astr), &p->aint,
				  &is_int);
			p->has_attr = true;
			break;
		}
		default:
			cr_assert_fail("NumberDataPoint field %u not expected", f);
		}
	}
	cr_assert(p->has_int != p->has_double, "a point has exactly one value");
}

static void decode_metric(struct tu_pbr r, struct dmetric *m)
{
	struct tu_pbr sub, x, y;
	uint64_t v;
	uint32_t f;
	int wt;

	memset(m, 0, sizeof(*m));
	while (tu_pbr_field(&r, &f, &wt, &v, &sub)) {
		switch (f) {
		case 1:
			copy_str(m->name, sizeof(m->name), &sub);
			break;
		case 2:
			copy_str(m->desc, sizeof(m->desc), &sub);
			break;
		case 3:
			copy_str(m->unit, sizeof(m->unit), &sub);
			break;
		case 5:
		case 7:
			cr_assert_eq(m->type, 0, "one data kind per metric");
			m->type = (int)f;
			x = sub;
			while (tu_pbr_field(&x, &f, &wt, &v, &y)) {
				if (f == 1) {
					cr_assert(m->np < 4);
					decode_point(y, &m->p[m->np++]);
				} else if (f == 2 && m->type == 7) {
					m->temporality = v;
				} else if (f == 3 && m->type == 7) {
					m->monotonic = v != 0;
				} else {
					cr_assert_fail("%s field %u not expected",
						       m->type == 5 ? "Gauge" : "Sum", f);
				}
			}
			break;
		default:
			cr_assert_fail("Metric field %u not expected", f);
		}
	}
}

static void decode_request(const uint8_t *buf, size_t len, struct dreq *q)
{
	struct tu_pbr r = { buf, buf + len }, rm, sub, x, y, z;
	uint64_t v;
	uint32_t f;
	int wt;

	memset(q, 0, sizeof(*q));
	while (tu_pbr_field(&r, &f, &wt, &v, &rm)) {
		cr_assert_eq(f, 1, "ExportMetricsServiceRequest has only resource_metrics");
		q->nrm++;
		while (tu_pbr_field(&rm, &f, &wt, &v, &sub)) {
			if (f == 1) { /* Resource */
				x = sub;
				while (tu_pbr_field(&x, &f, &wt, &v, &y)) {
					cr_assert_eq(f, 1, "Resource has only attributes");
					cr_assert(q->nres < 16);
					decode_kv(y, q->rkey[q->nres], 48, q->rstr[q->nres], 128,
						  &q->rint[q->nres], &q->risint[q->nres]);
					q->nres++;
				}
			} else if (f == 2) { /* ScopeMetrics */
				q->nsm++;
				x = sub;
				while (tu_pbr_field(&x, &f, &wt, &v, &y)) {
					if (f == 1) {
						while (tu_pbr_field(&y, &f, &wt, &v, &z)) {
							if (f == 1)
								copy_str(q->scope, 32, &z);
							else if (f == 2)
								copy_str(q->scope_version, 32, &z);
							else
								cr_assert_fail("scope field %u", f);
						}
					} else if (f == 2) {
						cr_assert(q->nm < 32);
						decode_metric(y, &q->m[q->nm++]);
					} else {
						cr_assert_fail("ScopeMetrics field %u not expected", f);
					}
				}
			} else {
				cr_assert_fail("ResourceMetrics field %u not expected", f);
			}
		}
	}
}

static const struct dmetric *find(const struct dreq *q, const char *name)
{
	for (int i = 0; i < q->nm; i++)
		if (!strcmp(q->m[i].name, name))
			return &q->m[i];
	return NULL;
}

static const struct gmt_otlp_attr resource[] = {
	{ .key = "service.name", .str = "checkout" },
	{ .key = "process.pid", .i = 4242 },
	{ .key = "process.runtime.name", .str = "go" },
	{ .key = "big.negative", .i = -5 },
};

Test(otlp_metrics, request_decodes_field_by_field)
{
	struct gmt_otlp_metric m[] = {
		{ .name = "g", .unit = "By", .kind = GMT_OTLP_GAUGE, .i = 300, .start_unix_ns = 7,
		  .description = "a gauge" },
		{ .name = "c", .unit = "{x}", .kind = GMT_OTLP_COUNTER, .i = 1LL << 40,
		  .start_unix_ns = 1000 },
		{ .name = "u", .unit = "By", .kind = GMT_OTLP_UPDOWN, .i = 1, .attr = { "t", "stack" } },
		{ .name = "u", .unit = "By", .kind = GMT_OTLP_UPDOWN, .i = 2, .attr = { "t", "other" } },
		{ .name = "d", .unit = "s", .kind = GMT_OTLP_COUNTER, .is_double = true, .d = 0.125 },
		{ .name = "neg", .kind = GMT_OTLP_UPDOWN, .i = -1 },
	};
	struct gmt_otlp_batch batch = { .resource = resource, .nresource = 4,
					.scope_name = "gomemtrace", .scope_version = "0.1.0",
					.time_unix_ns = 1796379025924177676ULL, .m = m, .n = 6 };
	struct gmt_pb *b = gmt_pb__new();
	const struct dmetric *x;
	size_t len;
	const uint8_t *buf;
	struct dreq *q = calloc(1, sizeof(*q));

	cr_assert_eq(gmt_otlp_metrics_encode(&batch, b), 0, "encodes");
	buf = gmt_pb__data(b, &len);
	decode_request(buf, len, q);
	cr_assert_eq(q->nrm, 1, "one ResourceMetrics");
	cr_assert_eq(q->nsm, 1, "one ScopeMetrics");
	cr_assert_str_eq(q->scope, "gomemtrace");
	cr_assert_str_eq(q->scope_version, "0.1.0");
	cr_assert_eq(q->nres, 4, "4 resource attributes");
	cr_assert_str_eq(q->rkey[0], "service.name");
	cr_assert_str_eq(q->rstr[0], "checkout");
	cr_assert(!q->risint[0]);
	cr_assert_str_eq(q->rkey[1], "process.pid");
	cr_assert(q->risint[1] && q->rint[1] == 4242, "process.pid is an int 4242");
	cr_assert(q->risint[3] && q->rint[3] == -5, "a negative int reads back");
	cr_assert_eq(q->nm, 5, "two points of u make one metric: 5 metrics (got %d)", q->nm);

	x = find(q, "g");
	cr_assert(x && x->type == 5, "g is a Gauge");
	cr_assert_str_eq(x->desc, "a gauge");
	cr_assert_str_eq(x->unit, "By");
	cr_assert_eq(x->np, 1);
	cr_assert(x->p[0].has_int && x->p[0].i == 300);
	cr_assert_eq(x->p[0].start, 0, "a gauge has no start time");
	cr_assert_eq(x->p[0].time, 1796379025924177676ULL, "time_unix_nano");

	x = find(q, "c");
	cr_assert(x && x->type == 7, "c is a Sum");
	cr_assert_eq(x->temporality, 2, "cumulative");
	cr_assert(x->monotonic, "monotonic");
	cr_assert_eq(x->p[0].i, 1LL << 40);
	cr_assert_eq(x->p[0].start, 1000, "start_time_unix_nano");
	cr_assert_str_eq(x->desc, "", "no description: none written");

	x = find(q, "u");
	cr_assert(x && x->type == 7 && x->temporality == 2 && !x->monotonic,
		  "u is a cumulative non-monotonic Sum");
	cr_assert_eq(x->np, 2);
	cr_assert_str_eq(x->p[0].akey, "t");
	cr_assert_str_eq(x->p[0].astr, "stack");
	cr_assert_eq(x->p[0].i, 1);
	cr_assert_str_eq(x->p[1].astr, "other");
	cr_assert_eq(x->p[1].i, 2);

	x = find(q, "d");
	cr_assert(x && x->p[0].has_double && x->p[0].d == 0.125, "as_double 0.125");
	x = find(q, "neg");
	cr_assert(x && x->p[0].i == -1, "sfixed64 -1");
	cr_assert_str_eq(x->unit, "", "no unit: none written");

	free(q);
	gmt_pb__free(b);
}

Test(otlp_metrics, bytes_of_a_minimal_request)
{
	/* One resource attribute, one gauge point: every byte, from the .proto by hand. */
	static const struct gmt_otlp_attr res[] = { { .key = "k", .str = "v" } };
	struct gmt_otlp_metric m = { .name = "n", .kind = GMT_OTLP_GAUGE, .i = 1 };
	struct gmt_otlp_batch batch = { .resource = res, .nresource = 1, .scope_name = "s",
					.time_unix_ns = 2, .m = &m, .n = 1 };
	static const uint8_t want[] = {
		0x0a, 0x2e,			    /* resource_metrics */
		0x0a, 0x0a,			    /*  resource */
		0x0a, 0x08, 0x0a, 0x01, 'k', 0x12, 0x03, 0x0a, 0x01, 'v', /* attr k=v */
		0x12, 0x20,			    /*  scope_metrics */
		0x0a, 0x03, 0x0a, 0x01, 's',	    /*   scope name */
		0x12, 0x19,			    /*   metric */
		0x0a, 0x01, 'n',		    /*    name */
		0x2a, 0x14,			    /*    gauge */
		0x0a, 0x12,			    /*     data point */
		0x19, 2, 0, 0, 0, 0, 0, 0, 0,	    /*      time_unix_nano fixed64 */
		0x31, 1, 0, 0, 0, 0, 0, 0, 0,	    /*      as_int sfixed64 */
	};
	struct gmt_pb *b = gmt_pb__new();
	const uint8_t *got;
	size_t len;

	cr_assert_eq(gmt_otlp_metrics_encode(&batch, b), 0);
	got = gmt_pb__data(b, &len);
	cr_assert_eq(len, sizeof(want), "%zu bytes (got %zu)", sizeof(want), len);
	for (size_t i = 0; i < len; i++)
		cr_assert_eq(got[i], want[i], "byte %zu: 0x%02x, want 0x%02x", i, got[i], want[i]);
	gmt_pb__free(b);
}

Test(otlp_metrics, a_metric_without_a_name_is_refused)
{
	struct gmt_otlp_metric m = { .kind = GMT_OTLP_GAUGE };
	struct gmt_otlp_batch batch = { .m = &m, .n = 1 };
	struct gmt_pb *b = gmt_pb__new();

	cr_assert_eq(gmt_otlp_metrics_encode(&batch, b), -EINVAL);
	gmt_pb__free(b);
}

/* One Metric holds points of one kind; a histogram needs its buckets (and bounds). */
Test(otlp_metrics, malformed_batches_are_refused)
{
	uint64_t bucket[2] = { 1, 2 };
	struct gmt_otlp_metric mixed[2] = {
		{ .name = "x", .kind = GMT_OTLP_HISTOGRAM, .bucket = bucket },
		{ .name = "x", .kind = GMT_OTLP_GAUGE },
	};
	struct gmt_otlp_metric nobounds = { .name = "h", .kind = GMT_OTLP_HISTOGRAM,
					    .bucket = bucket, .nbounds = 1 };
	struct gmt_otlp_metric nobucket = { .name = "h", .kind = GMT_OTLP_HISTOGRAM };
	struct gmt_pb *b = gmt_pb__new();

	cr_assert_eq(gmt_otlp_metrics_encode(&(struct gmt_otlp_batch){ .m = mixed, .n = 2 }, b),
		     -EINVAL, "two kinds under one name");
	cr_assert_eq(gmt_otlp_metrics_encode(&(struct gmt_otlp_batch){ .m = &nobounds, .n = 1 }, b),
		     -EINVAL, "bounds missing");
	cr_assert_eq(gmt_otlp_metrics_encode(&(struct gmt_otlp_batch){ .m = &nobucket, .n = 1 }, b),
		     -EINVAL, "buckets missing");
	mixed[1].kind = GMT_OTLP_HISTOGRAM;
	mixed[1].bucket = bucket;
	cr_assert_eq(gmt_otlp_metrics_encode(&(struct gmt_otlp_batch){ .m = mixed, .n = 2 }, b), 0,
		     "two histogram points, no bound: one bucket each");
	gmt_pb__free(b);
}

Test(otlp_metrics, gzip_of_the_request_inflates_to_it)
{
	struct gmt_otlp_metric m = { .name = "n", .kind = GMT_OTLP_GAUGE, .i = 1 };
	struct gmt_otlp_batch batch = { .m = &m, .n = 1 };
	struct gmt_pb *b = gmt_pb__new();
	uint8_t *z, *plain;
	const uint8_t *raw;
	size_t zlen, len, rlen;

	cr_assert_eq(gmt_otlp_metrics_encode(&batch, b), 0);
	cr_assert_eq(gmt_pb__gzip(b, &z, &zlen), 0, "gzip in memory");
	plain = tu_gunzip(z, zlen, &len);
	raw = gmt_pb__data(b, &rlen);
	cr_assert(len == rlen && !memcmp(plain, raw, len), "inflates to the request");
	free(plain);
	free(z);
	gmt_pb__free(b);
}

/* ---- the metrics of a recording ---- */

static const struct gmt_otlp_metric *mfind(const struct gmt_otlp_metric *m, size_t n,
					    const char *name, const char *attr)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(m[i].name, name) &&
		    (!attr || (m[i].attr.str && !strcmp(m[i].attr.str, attr))))
			return &m[i];
	return NULL;
}

Test(otlp_metrics, recording_metrics_from_their_figures)
{
	struct gmt_memusage mu = { .have_rss = true, .rss = 9000000 };
	struct gmt_memstats ms = {
		.heap_consistent = true, .have_heap_sys = true, .HeapAlloc = 5000, .TotalAlloc = 80000,
		.Mallocs = 321,
		.HeapReleased = 1000, .StackInuse = 300, .Sys = 20000, .NumGC = 7, .GOGC = 150,
		.GOMEMLIMIT = INT64_MAX, .next_gc_known = true, .NextGC = 8192,
	};
	struct gmt_memory_report mem = { .pid = 1, .mu = &mu, .ms = &ms };
	struct gmt_otlp_recording rec = { .sampled = true, .start_unix_ns = 111, .alloc_bytes = 4096,
					  .alloc_objects = 64, .has_inuse = true, .inuse_bytes = 2048,
					  .has_gc = true, .gc_cycles = 3, .stw_pauses = 6,
					  .stw_total_ns = 1500000, .dropped = 2 };
	struct gmt_otlp_metric m[GMT_OTLP_RECORD_MAX];
	const struct gmt_otlp_metric *x;
	size_t n = gmt_otlp_record_metrics(&rec, &mem, m);

	cr_assert(n > 0 && n <= GMT_OTLP_RECORD_MAX);
	x = mfind(m, n, "go.memory.used", "stack");
	cr_assert(x && x->i == 300 && x->kind == GMT_OTLP_UPDOWN, "stack = StackInuse");
	x = mfind(m, n, "go.memory.used", "other");
	cr_assert(x && x->i == 20000 - 1000 - 300, "other = Sys - HeapReleased - StackInuse");
	cr_assert_null(mfind(m, n, "go.memory.limit", NULL), "no GOMEMLIMIT: no go.memory.limit");
	x = mfind(m, n, "go.memory.allocated", NULL);
	cr_assert(x && x->i == 80000 && x->kind == GMT_OTLP_COUNTER, "TotalAlloc, a counter");
	x = mfind(m, n, "go.memory.allocations", NULL);
	cr_assert(x && x->i == 321 && x->kind == GMT_OTLP_COUNTER, "Mallocs, a counter");
	x = mfind(m, n, "go.memory.gc.goal", NULL);
	cr_assert(x && x->i == 8192, "NextGC");
	x = mfind(m, n, "go.memory.gc.cycles", NULL);
	cr_assert(x && x->i == 7, "NumGC");
	x = mfind(m, n, "go.config.gogc", NULL);
	cr_assert(x && x->i == 150 && !strcmp(x->unit, "%"), "GOGC in %%");
	x = mfind(m, n, "process.memory.usage", NULL);
	cr_assert(x && x->i == 9000000, "VmRSS");
	x = mfind(m, n, "gomemtrace.memory.heap.alloc", NULL);
	cr_assert(x && x->i == 5000 && x->kind == GMT_OTLP_GAUGE, "HeapAlloc");
	x = mfind(m, n, "gomemtrace.alloc.bytes", NULL);
	cr_assert(x && x->i == 4096 && x->start_unix_ns == 111, "alloc bytes since the start");
	x = mfind(m, n, "gomemtrace.alloc.objects", NULL);
	cr_assert(x && x->i == 64);
	x = mfind(m, n, "gomemtrace.heap.live", NULL);
	cr_assert(x && x->i == 2048);
	x = mfind(m, n, "gomemtrace.gc.cycles", NULL);
	cr_assert(x && x->i == 3);
	x = mfind(m, n, "gomemtrace.stw.pauses", NULL);
	cr_assert(x && x->i == 6);
	x = mfind(m, n, "gomemtrace.stw.duration", NULL);
	cr_assert(x && x->is_double && fabs(x->d - 0.0015) < 1e-12, "1.5 ms in seconds");
	x = mfind(m, n, "gomemtrace.drops", NULL);
	cr_assert(x && x->i == 2);

	/* What the runtime could not give is left out, never sent as 0. */
	ms.heap_consistent = false;
	ms.next_gc_known = false;
	ms.GOMEMLIMIT = 1 << 30;
	rec.has_inuse = rec.has_gc = false;
	n = gmt_otlp_record_metrics(&rec, &mem, m);
	cr_assert_null(mfind(m, n, "go.memory.used", NULL));
	cr_assert_null(mfind(m, n, "go.memory.allocated", NULL));
	cr_assert_null(mfind(m, n, "go.memory.allocations", NULL));
	cr_assert_null(mfind(m, n, "go.memory.gc.goal", NULL));
	cr_assert_null(mfind(m, n, "gomemtrace.memory.heap.alloc", NULL));
	cr_assert_null(mfind(m, n, "gomemtrace.heap.live", NULL));
	cr_assert_null(mfind(m, n, "gomemtrace.gc.cycles", NULL));
	x = mfind(m, n, "go.memory.limit", NULL);
	cr_assert(x && x->i == 1 << 30, "GOMEMLIMIT when set");

	/* No memory_end.json: only the recording's own figures. */
	n = gmt_otlp_record_metrics(&rec, NULL, m);
	cr_assert_eq(n, 3, "alloc.bytes, alloc.objects, drops (got %zu)", n);
}

/* A HistogramDataPoint (metrics/v1): the fields the encoder writes. */
struct dhist {
	uint64_t start, time, count;
	double sum;
	uint64_t bucket[16];
	double bound[16];
	int nbucket, nbound;
	char akey[64], astr[64];
};

static void decode_hist_point(struct tu_pbr r, struct dhist *h)
{
	struct tu_pbr sub;
	uint64_t v;
	uint32_t f;
	int wt;

	memset(h, 0, sizeof(*h));
	while (tu_pbr_field(&r, &f, &wt, &v, &sub)) {
		if (f == 2 || f == 3 || f == 4 || f == 5) {
			cr_assert_eq(wt, 1, "field %u is 8 bytes", f);
			if (f == 2)
				h->start = v;
			else if (f == 3)
				h->time = v;
			else if (f == 4)
				h->count = v;
			else
				memcpy(&h->sum, &v, sizeof(h->sum));
		} else if (f == 6 || f == 7) {
			size_t n = (size_t)(sub.end - sub.p);

			cr_assert_eq(wt, 2, "field %u is packed", f);
			cr_assert(n % 8 == 0 && n / 8 <= 16, "whole 8-byte values");
			for (size_t i = 0; i < n / 8; i++) {
				uint64_t x = 0;

				for (int k = 7; k >= 0; k--)
					x = x << 8 | sub.p[8 * i + (size_t)k];
				if (f == 6)
					h->bucket[h->nbucket++] = x;
				else
					memcpy(&h->bound[h->nbound++], &x, sizeof(double));
			}
		} else if (f == 9) {
			int64_t iv;
			bool is_int;

			decode_kv(sub, h->akey, sizeof(h->akey), h->astr, sizeof(h->astr), &iv,
				  &is_int);
		} else {
			cr_assert_fail("HistogramDataPoint field %u not expected", f);
		}
	}
}

/*
 * The pause histograms: one Metric, a Histogram (field 9) with one point per reason,
 * cumulative, each with its bounds in seconds, its buckets (one more than the bounds),
 * count, sum and reason; decoded here with the field numbers of metrics/v1.
 */
Test(otlp_metrics, pause_histogram_by_reason)
{
	struct gmt_otlp_recording rec = { .start_unix_ns = 111, .has_gc = true, .stw_pauses = 5,
					  .stw_total_ns = 2060000 };
	struct gmt_otlp_metric m[GMT_OTLP_RECORD_MAX];
	struct gmt_pb *b = gmt_pb__new();
	const uint8_t *buf;
	struct tu_pbr r, rm, sm, met, data, x;
	struct dhist h[4];
	int nh = 0, metrics_named = 0;
	uint64_t temporality = 0, v;
	uint32_t f;
	int wt;
	size_t n, len;

	gmt_pauses_add(&rec.pauses, "GC mark termination", 20000);
	gmt_pauses_add(&rec.pauses, "GC mark termination", 40000);
	gmt_pauses_add(&rec.pauses, "GC sweep termination", 5000);
	gmt_pauses_add(&rec.pauses, "ReadMemStats", 1000000);
	gmt_pauses_add(&rec.pauses, "ReadMemStats", 995000);
	n = gmt_otlp_record_metrics(&rec, NULL, m);
	cr_assert_eq(gmt_otlp_metrics_encode(&(struct gmt_otlp_batch){ .resource = resource,
		.nresource = 1, .time_unix_ns = 222, .m = m, .n = n }, b), 0);
	buf = gmt_pb__data(b, &len);
	r = (struct tu_pbr){ buf, buf + len };
	cr_assert(tu_pbr_field(&r, &f, &wt, &v, &rm));
	while (tu_pbr_field(&rm, &f, &wt, &v, &sm)) {
		if (f != 2)
			continue;
		while (tu_pbr_field(&sm, &f, &wt, &v, &met)) {
			struct tu_pbr m2 = met, y;
			bool ours = false;

			if (f != 2)
				continue;
			while (tu_pbr_field(&m2, &f, &wt, &v, &y))
				if (f == 1 && (size_t)(y.end - y.p) == 29 &&
				    !memcmp(y.p, "gomemtrace.stw.pause.duration", 29))
					ours = true;
			if (!ours)
				continue;
			metrics_named++;
			while (tu_pbr_field(&met, &f, &wt, &v, &data)) {
				if (f != 9)
					continue;
				while (tu_pbr_field(&data, &f, &wt, &v, &x)) {
					if (f == 1) {
						cr_assert(nh < 4);
						decode_hist_point(x, &h[nh++]);
					} else if (f == 2) {
						temporality = v;
					}
				}
			}
		}
	}
	gmt_pb__free(b);
	cr_assert_eq(metrics_named, 1, "one Metric for every reason");
	cr_assert_eq(nh, 3, "one point per reason");
	cr_assert_eq(temporality, 2, "cumulative");
	for (int i = 0; i < nh; i++) {
		cr_assert_eq(h[i].start, 111);
		cr_assert_eq(h[i].time, 222);
		cr_assert_str_eq(h[i].akey, "gomemtrace.stw.reason");
		cr_assert_eq(h[i].nbound, GMT_PAUSE_BUCKETS - 1);
		cr_assert_eq(h[i].nbucket, GMT_PAUSE_BUCKETS, "one more bucket than bounds");
		for (int k = 0; k < h[i].nbound; k++)
			cr_assert_float_eq(h[i].bound[k], gmt_pause_bucket_ns[k] / 1e9, 1e-15,
					   "bound %d in seconds", k);
	}
	cr_assert_str_eq(h[0].astr, "GC mark termination");
	cr_assert_eq(h[0].count, 2);
	cr_assert_float_eq(h[0].sum, 60e-6, 1e-15);
	cr_assert_eq(h[0].bucket[1], 2, "20 and 40 us: (10, 50] us");
	cr_assert_str_eq(h[1].astr, "GC sweep termination");
	cr_assert_eq(h[1].bucket[0], 1, "5 us: up to 10 us");
	cr_assert_str_eq(h[2].astr, "ReadMemStats");
	cr_assert_eq(h[2].bucket[4], 2, "995 us and 1 ms: (0.5, 1] ms");
	{
		uint64_t sum = 0, count = 0;

		for (int i = 0; i < nh; i++) {
			count += h[i].count;
			for (int k = 0; k < h[i].nbucket; k++)
				sum += h[i].bucket[k];
		}
		cr_assert_eq(count, rec.stw_pauses, "the reasons add up to every pause");
		cr_assert_eq(sum, count, "and so do the buckets");
	}
}

Test(otlp_metrics, goroutines_and_leak_suspects)
{
	struct gmt_otlp_recording rec = { .start_unix_ns = 1, .has_goroutines = true,
					  .goroutines = 1234, .has_leaks = true, .leak_groups = 2,
					  .leak_goroutines = 900 };
	struct gmt_otlp_metric m[GMT_OTLP_RECORD_MAX];
	const struct gmt_otlp_metric *x;
	size_t n = gmt_otlp_record_metrics(&rec, NULL, m);

	x = mfind(m, n, "go.goroutine.count", NULL);
	cr_assert(x && x->i == 1234 && x->kind == GMT_OTLP_UPDOWN && !strcmp(x->unit, "{goroutine}"),
		  "the semantic conventions' goroutine count");
	x = mfind(m, n, "gomemtrace.goroutine.leak.groups", NULL);
	cr_assert(x && x->i == 2 && x->kind == GMT_OTLP_GAUGE);
	x = mfind(m, n, "gomemtrace.goroutine.leak.goroutines", NULL);
	cr_assert(x && x->i == 900);
	rec.has_goroutines = rec.has_leaks = false;
	n = gmt_otlp_record_metrics(&rec, NULL, m);
	cr_assert_null(mfind(m, n, "go.goroutine.count", NULL), "not read: not sent");
	cr_assert_null(mfind(m, n, "gomemtrace.goroutine.leak.groups", NULL));
}

Test(otlp_metrics, resource_attributes)
{
	struct gmt_otlp_target t = { .instance_id = "6f1c0e52-0a49-4b7b-9d2e-0c5a1b9e8f01",
				     .pid = 4242, .exe_path = "/srv/bin/checkout",
				     .go_version = "go1.27 (inferred)", .host_name = "web-3" };
	struct gmt_otlp_attr a[GMT_OTLP_RESOURCE_MAX];
	char buf[64];
	size_t n = gmt_otlp_resource(&t, a, buf, sizeof(buf));
	static const char *const keys[] = { "service.name", "service.instance.id", "process.pid",
					    "process.executable.name", "process.executable.path",
					    "process.runtime.name", "process.runtime.version",
					    "host.name" };
	static const char *const vals[] = { "checkout", "6f1c0e52-0a49-4b7b-9d2e-0c5a1b9e8f01", NULL,
					    "checkout", "/srv/bin/checkout", "go", "go1.27", "web-3" };

	cr_assert_eq(n, 8);
	for (size_t i = 0; i < n; i++) {
		cr_assert_str_eq(a[i].key, keys[i]);
		if (vals[i])
			cr_assert_str_eq(a[i].str, vals[i], "%s", keys[i]);
	}
	cr_assert(!a[2].str && a[2].i == 4242, "process.pid is an int");
	t.service_name = "shop";
	n = gmt_otlp_resource(&t, a, buf, sizeof(buf));
	cr_assert_str_eq(a[0].str, "shop", "--service-name wins");
	/* In a container its cgroup names: container.id, last. */
	t.container_id = "4f1c9a3e0b7d2c5a8e6f1b3d9c0a7e2f5b8d1c4a6e9f0b2d3c5a7e8f1b4d6c9a";
	n = gmt_otlp_resource(&t, a, buf, sizeof(buf));
	cr_assert_eq(n, 9);
	cr_assert_str_eq(a[8].key, "container.id");
	cr_assert_str_eq(a[8].str, t.container_id);
}
