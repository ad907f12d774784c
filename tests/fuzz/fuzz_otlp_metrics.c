// SPDX-License-Identifier: MIT
/*
 * The OTLP metrics encoder (out/otlp_metrics.c): the input becomes a batch (resource
 * attributes, names, kinds, values, attributes, histograms with any bucket counts and
 * bounds, strings with any bytes), which is encoded.  Whatever the batch, the bytes are
 * well-formed protobuf down to every data point (each length inside its parent), hold
 * one Metric per run of equal names, one point per entry, and a histogram point's packed
 * buckets are one more than its bounds; a batch refused (-EINVAL) is one the encoder
 * documents as refused (otlp_metrics.h), and only such a batch.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "otlp_metrics.h"

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t byte(struct in *in)
{
	uint8_t b = in->n ? *in->p : 0;

	if (in->n) {
		in->p++;
		in->n--;
	}
	return b;
}

static uint64_t u64(struct in *in)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | byte(in);
	return v;
}

/* A string of 0..15 bytes from the input (NUL-terminated, any other byte). */
static char *str(struct in *in, char *buf)
{
	size_t n = byte(in) % 16;

	for (size_t i = 0; i < n; i++) {
		buf[i] = (char)byte(in);
		if (!buf[i])
			buf[i] = 'x';
	}
	buf[n] = 0;
	return buf;
}

/* ---- a strict reader of the wire format ---- */

struct rd {
	const uint8_t *p, *end;
};

static bool varint(struct rd *r, uint64_t *v)
{
	*v = 0;
	for (int s = 0; s < 64; s += 7) {
		if (r->p == r->end)
			return false;
		*v |= (uint64_t)(*r->p & 0x7f) << s;
		if (!(*r->p++ & 0x80))
			return true;
	}
	return false;
}

/* The next field; a length-delimited one's body in *sub.  Aborts on malformed bytes. */
static bool field(struct rd *r, uint32_t *f, int *wt, struct rd *sub)
{
	uint64_t key, v;

	if (r->p == r->end)
		return false;
	FUZZ_CHECK(varint(r, &key));
	*f = (uint32_t)(key >> 3);
	*wt = (int)(key & 7);
	FUZZ_CHECK(*f > 0);
	switch (*wt) {
	case 0:
		FUZZ_CHECK(varint(r, &v));
		break;
	case 1:
		FUZZ_CHECK(r->end - r->p >= 8);
		r->p += 8;
		break;
	case 2:
		FUZZ_CHECK(varint(r, &v));
		FUZZ_CHECK(v <= (uint64_t)(r->end - r->p));
		sub->p = r->p;
		sub->end = r->p + v;
		r->p += v;
		break;
	default:
		FUZZ_CHECK(!"a wire type the encoder does not write");
	}
	return true;
}

/* Walks every nested message the encoder writes without caring for the field numbers. */
static void walk(struct rd r)
{
	struct rd sub;
	uint32_t f;
	int wt;

	while (field(&r, &f, &wt, &sub))
		(void)f;
}

struct counts {
	size_t metrics, points;
};

static void walk_metric(struct rd m, struct counts *c)
{
	struct rd sub, pts, p, x;
	uint32_t f, g, h;
	int wt;

	c->metrics++;
	while (field(&m, &f, &wt, &sub)) {
		if (f != 5 && f != 7 && f != 9)
			continue;
		FUZZ_CHECK(wt == 2);
		pts = sub;
		while (field(&pts, &g, &wt, &p)) {
			size_t buckets = 0, bounds = 0;

			if (g != 1)
				continue;
			c->points++;
			while (field(&p, &h, &wt, &x)) {
				/* the attribute, a KeyValue (packed numbers are not messages) */
				if (h == (f == 9 ? 9u : 7u))
					walk(x);
				if (f == 9 && h == 6)
					buckets = (size_t)(x.end - x.p);
				if (f == 9 && h == 7)
					bounds = (size_t)(x.end - x.p);
			}
			if (f == 9) {
				FUZZ_CHECK(buckets % 8 == 0 && bounds % 8 == 0);
				FUZZ_CHECK(buckets == bounds + 8);
			}
		}
	}
}

static void walk_request(const uint8_t *buf, size_t len, struct counts *c)
{
	struct rd r = { buf, buf + len }, rm, sm, m;
	uint32_t f;
	int wt;

	while (field(&r, &f, &wt, &rm)) {
		FUZZ_CHECK(f == 1 && wt == 2);
		while (field(&rm, &f, &wt, &sm)) {
			FUZZ_CHECK(wt == 2);
			if (f != 2) {
				walk(sm);
				continue;
			}
			while (field(&sm, &f, &wt, &m)) {
				FUZZ_CHECK(wt == 2);
				if (f == 2)
					walk_metric(m, c);
				else
					walk(m);
			}
		}
	}
}

#define MAXM 24

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	char names[4][16], strs[MAXM][16], keys[MAXM][16], rstr[4][16], rkey[4][16];
	struct gmt_otlp_attr res[4];
	struct gmt_otlp_metric m[MAXM];
	uint64_t buckets[MAXM][12];
	double bounds[11];
	size_t nres = byte(&in) % 5, n = byte(&in) % (MAXM + 1), runs = 0;
	bool refused = false;
	struct counts c = {0};
	struct gmt_pb *b;
	const uint8_t *out;
	size_t len;
	int err;

	for (size_t i = 0; i < nres; i++) {
		res[i] = (struct gmt_otlp_attr){ .key = str(&in, rkey[i]) };
		if (byte(&in) & 1)
			res[i].str = str(&in, rstr[i]);
		else
			res[i].i = (int64_t)u64(&in);
	}
	for (size_t i = 0; i < 4; i++)
		str(&in, names[i]);
	for (size_t i = 0; i < 11; i++) {
		uint64_t bits = u64(&in);

		memcpy(&bounds[i], &bits, sizeof(bits));
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t k = byte(&in);

		m[i] = (struct gmt_otlp_metric){
			.name = names[k % 4], .kind = (enum gmt_otlp_kind)(k / 4 % 4),
			.is_double = k & 0x10, .i = (int64_t)u64(&in), .start_unix_ns = u64(&in),
			.unit = (k & 0x20) ? "s" : NULL, .description = (k & 0x40) ? "d" : "",
		};
		memcpy(&m[i].d, &m[i].i, sizeof(m[i].d));
		if (byte(&in) & 1)
			m[i].attr = (struct gmt_otlp_attr){ .key = str(&in, keys[i]),
							    .str = str(&in, strs[i]) };
		if (m[i].kind == GMT_OTLP_HISTOGRAM) {
			m[i].nbounds = byte(&in) % 12;
			m[i].count = u64(&in);
			m[i].bounds = (k & 0x80) && m[i].nbounds ? NULL : bounds;
			m[i].bucket = buckets[i];
			for (size_t j = 0; j < 12; j++)
				buckets[i][j] = u64(&in);
			if (m[i].nbounds > 11)
				m[i].nbounds = 11;
		}
		if (!m[i].name[0] || (m[i].kind == GMT_OTLP_HISTOGRAM && m[i].nbounds &&
				      !m[i].bounds) ||
		    (i && m[i].kind != m[i - 1].kind && !strcmp(m[i].name, m[i - 1].name)))
			refused = true;
		/* A run of equal names is one Metric. */
		if (!i || strcmp(m[i].name, m[i - 1].name))
			runs++;
	}
	for (size_t i = 0; i < nres; i++)
		fuzz_touch_str(res[i].key);
	b = gmt_pb__new();
	if (!b)
		return 0;
	err = gmt_otlp_metrics_encode(&(struct gmt_otlp_batch){ .resource = res, .nresource = nres,
		.scope_name = (n & 1) ? names[0] : NULL, .time_unix_ns = 1, .m = m, .n = n }, b);
	if (refused) {
		FUZZ_CHECK(err == -EINVAL);
	} else if (!err) {
		out = gmt_pb__data(b, &len);
		walk_request(out, len, &c);
		FUZZ_CHECK(c.metrics == runs);
		FUZZ_CHECK(c.points == n);
	} else {
		FUZZ_CHECK(err == -ENOMEM);
	}
	gmt_pb__free(b);
	return 0;
}
