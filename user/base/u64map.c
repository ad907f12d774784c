// SPDX-License-Identifier: MIT
#include "u64map.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bits.h"

static int map_grow(struct gmt_u64map *m);

static size_t map_slot(const struct gmt_u64map *m, uint64_t key, bool *found)
{
	size_t i = gmt_mix64(key) & (m->cap - 1);

	while (m->used[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	*found = m->used[i];
	return i;
}

uint64_t *gmt_u64map_get(const struct gmt_u64map *m, uint64_t key)
{
	bool found;
	size_t i;

	if (!m->cap)
		return NULL;
	i = map_slot(m, key, &found);
	return found ? &m->vals[i] : NULL;
}

int gmt_u64map_put(struct gmt_u64map *m, uint64_t key, uint64_t val)
{
	bool found;
	size_t i;

	if ((m->n + 1) * 4 > m->cap * 3 && map_grow(m))
		return -ENOMEM;
	i = map_slot(m, key, &found);
	if (!found) {
		m->used[i] = 1;
		m->keys[i] = key;
		m->n++;
	}
	m->vals[i] = val;
	return 0;
}

static int map_grow(struct gmt_u64map *m)
{
	struct gmt_u64map b = { .cap = m->cap ? 2 * m->cap : 1024 };

	b.keys = malloc(b.cap * sizeof(*b.keys));
	b.vals = malloc(b.cap * sizeof(*b.vals));
	b.used = calloc(b.cap, 1);
	if (!b.keys || !b.vals || !b.used) {
		free(b.keys);
		free(b.vals);
		free(b.used);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++)
		if (m->used[i])
			gmt_u64map_put(&b, m->keys[i], m->vals[i]); /* fits: no growth */
	free(m->keys);
	free(m->vals);
	free(m->used);
	*m = b;
	return 0;
}

void gmt_u64map_del(struct gmt_u64map *m, uint64_t key)
{
	bool found;
	size_t i, j;

	if (!m->cap)
		return;
	i = map_slot(m, key, &found);
	if (!found)
		return;
	/* Shift back the entries of the probe run that follows, so lookups still find them. */
	for (j = (i + 1) & (m->cap - 1); m->used[j]; j = (j + 1) & (m->cap - 1)) {
		size_t home = gmt_mix64(m->keys[j]) & (m->cap - 1);

		/* j's entry may move to i iff i lies cyclically in [home, j). */
		if (((j - home) & (m->cap - 1)) >= ((j - i) & (m->cap - 1))) {
			m->keys[i] = m->keys[j];
			m->vals[i] = m->vals[j];
			i = j;
		}
	}
	m->used[i] = 0;
	m->n--;
}

void gmt_u64map_free(struct gmt_u64map *m)
{
	free(m->keys);
	free(m->vals);
	free(m->used);
	memset(m, 0, sizeof(*m));
}
