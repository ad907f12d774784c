// SPDX-License-Identifier: MIT
/* Estimated allocations by the time they were sampled (ratebins.h). */
#include "ratebins.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "grow.h"

void gmt_ratebins__init(struct gmt_ratebins *b, uint64_t origin_ns, uint64_t bin_ns)
{
	memset(b, 0, sizeof(*b));
	b->origin_ns = origin_ns;
	b->bin_ns = bin_ns ? bin_ns : GMT_RATEBINS_NS;
}

void gmt_ratebins__reset(struct gmt_ratebins *b, uint64_t origin_ns)
{
	if (b->n) {
		memset(b->objects, 0, b->n * sizeof(*b->objects));
		memset(b->bytes, 0, b->n * sizeof(*b->bytes));
	}
	b->n = 0;
	b->before = 0;
	b->origin_ns = origin_ns;
}

void gmt_ratebins__free(struct gmt_ratebins *b)
{
	free(b->objects);
	free(b->bytes);
	memset(b, 0, sizeof(*b));
}

/* Halves the resolution: bins 2i and 2i+1 become bin i. */
static void coarsen(struct gmt_ratebins *b)
{
	size_t n = (b->n + 1) / 2;

	for (size_t i = 0; i < n; i++) {
		double o = b->objects[2 * i], y = b->bytes[2 * i];

		if (2 * i + 1 < b->n) {
			o += b->objects[2 * i + 1];
			y += b->bytes[2 * i + 1];
		}
		b->objects[i] = o;
		b->bytes[i] = y;
	}
	memset(b->objects + n, 0, (b->cap - n) * sizeof(*b->objects));
	memset(b->bytes + n, 0, (b->cap - n) * sizeof(*b->bytes));
	b->n = n;
	b->bin_ns *= 2;
}

/* Both series grow in step: the same need from the same capacity, the same result. */
static int grow(struct gmt_ratebins *b, size_t need)
{
	size_t co = b->cap, cy = b->cap;

	if (GMT_GROW(&b->objects, &co, need) || GMT_GROW(&b->bytes, &cy, need))
		return -ENOMEM;
	b->cap = co;
	return 0;
}

int gmt_ratebins__add(struct gmt_ratebins *b, uint64_t ts_ns, double objects, double bytes)
{
	uint64_t i;
	int err;

	if (ts_ns < b->origin_ns) {
		b->before++;
		return 0;
	}
	i = (ts_ns - b->origin_ns) / b->bin_ns;
	while (i >= GMT_RATEBINS_MAX) {
		coarsen(b);
		i = (ts_ns - b->origin_ns) / b->bin_ns;
	}
	if (i >= b->cap) {
		err = grow(b, i + 1);
		if (err)
			return err;
	}
	b->objects[i] += objects;
	b->bytes[i] += bytes;
	if (i >= b->n)
		b->n = i + 1;
	return 0;
}

int gmt_ratebins__to_points(const struct gmt_ratebins *b, uint64_t end_ns, struct gmt_agg *a)
{
	double o = 0, y = 0;
	int err;

	if (end_ns <= b->origin_ns)
		return 0;
	err = gmt_agg__add_rate_point(a, b->origin_ns, 0, 0);
	for (size_t i = 0; !err && i < b->n; i++) {
		uint64_t t = b->origin_ns + (i + 1) * b->bin_ns;

		if (b->origin_ns + i * b->bin_ns >= end_ns)
			break; /* sampled after the end (records drained at detach) */
		o += b->objects[i];
		y += b->bytes[i];
		if (t < end_ns)
			err = gmt_agg__add_rate_point(a, t, (uint64_t)llround(o),
						      (uint64_t)llround(y));
	}
	if (!err)
		err = gmt_agg__add_rate_point(a, end_ns, (uint64_t)llround(o),
					      (uint64_t)llround(y));
	return err;
}
