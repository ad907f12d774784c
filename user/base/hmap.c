// SPDX-License-Identifier: MIT
/* The hash table: see hmap.h. */
#include "hmap.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define MIN_CAP 16

#define tag_of gmt_hmap__tag

/* Would n entries overflow the 3/4 load with capacity cap? */
static inline bool over_load(size_t n, size_t cap)
{
	return n > cap / 4 * 3;
}

/* The slot of key (*found), or the empty slot that ends its run. */
static inline size_t slot_of(const struct gmt_hmap *m, uint64_t key, bool *found)
{
	uint64_t h = gmt_mix64(key);
	size_t mask = m->cap - 1, i = h & mask;
	uint8_t tag = tag_of(h), c;

	while ((c = m->ctrl[i])) {
		if (c == tag && m->ent[i].key == key) {
			*found = true;
			return i;
		}
		i = (i + 1) & mask;
	}
	*found = false;
	return i;
}

/* Moves every entry into a table of capacity ncap (a power of two that holds them). */
static int rehash(struct gmt_hmap *m, size_t ncap)
{
	struct gmt_hmap b = { .cap = ncap, .n = m->n };
	size_t mask = ncap - 1;

	if (ncap > SIZE_MAX / (sizeof(*b.ent) + 1))
		return -ENOMEM;
	b.ent = malloc(ncap * (sizeof(*b.ent) + 1));
	if (!b.ent)
		return -ENOMEM;
	b.ctrl = (uint8_t *)(b.ent + ncap);
	memset(b.ctrl, 0, ncap);
	for (size_t i = 0; i < m->cap; i++) {
		size_t j;

		if (!m->ctrl[i])
			continue;
		for (j = gmt_mix64(m->ent[i].key) & mask; b.ctrl[j]; j = (j + 1) & mask)
			;
		b.ent[j] = m->ent[i];
		b.ctrl[j] = m->ctrl[i]; /* the same key, the same tag */
	}
	free(m->ent);
	*m = b;
	return 0;
}

int gmt_hmap_reserve(struct gmt_hmap *m, size_t n)
{
	size_t ncap = m->cap ? m->cap : MIN_CAP;

	while (over_load(n, ncap)) {
		if (ncap > SIZE_MAX / 2)
			return -ENOMEM;
		ncap *= 2;
	}
	return ncap == m->cap ? 0 : rehash(m, ncap);
}

/* Room for one more entry. */
static inline int make_room(struct gmt_hmap *m)
{
	if (m->cap && !over_load(m->n + 1, m->cap))
		return 0;
	return gmt_hmap_reserve(m, m->n + 1);
}

uint64_t *gmt_hmap_upsert(struct gmt_hmap *m, uint64_t key, uint64_t val, bool *added)
{
	bool found;
	size_t i;

	if (make_room(m))
		return NULL;
	i = slot_of(m, key, &found);
	if (!found) {
		m->ent[i] = (struct gmt_hmap_ent){ key, val };
		m->ctrl[i] = tag_of(gmt_mix64(key));
		m->n++;
	}
	if (added)
		*added = !found;
	return &m->ent[i].val;
}

int gmt_hmap_put(struct gmt_hmap *m, uint64_t key, uint64_t val)
{
	uint64_t *v = gmt_hmap_upsert(m, key, val, NULL);

	if (!v)
		return -ENOMEM;
	*v = val;
	return 0;
}

bool gmt_hmap_del(struct gmt_hmap *m, uint64_t key)
{
	uint64_t *v = gmt_hmap_get(m, key);

	if (v)
		gmt_hmap_remove(m, v);
	return v != NULL;
}

uint64_t *gmt_hmap_add(struct gmt_hmap *m, uint64_t key, uint64_t val)
{
	uint64_t h = gmt_mix64(key);
	size_t mask, i;

	if (make_room(m))
		return NULL;
	mask = m->cap - 1;
	for (i = h & mask; m->ctrl[i]; i = (i + 1) & mask)
		;
	m->ent[i] = (struct gmt_hmap_ent){ key, val };
	m->ctrl[i] = tag_of(h);
	m->n++;
	return &m->ent[i].val;
}

void gmt_hmap_remove(struct gmt_hmap *m, uint64_t *val)
{
	struct gmt_hmap_ent *e = (void *)((char *)val - offsetof(struct gmt_hmap_ent, val));
	size_t mask = m->cap - 1, hole = (size_t)(e - m->ent), j = hole;

	/*
	 * Linear probing without tombstones: every later entry of the run whose home slot
	 * is not cyclically in (hole, j] would no longer be reached past the hole, so it
	 * moves into it, and its own slot becomes the hole.
	 */
	for (j = (j + 1) & mask; m->ctrl[j]; j = (j + 1) & mask) {
		size_t home = gmt_mix64(m->ent[j].key) & mask;

		if (((j - home) & mask) >= ((j - hole) & mask)) {
			m->ent[hole] = m->ent[j];
			m->ctrl[hole] = m->ctrl[j];
			hole = j;
		}
	}
	m->ctrl[hole] = 0;
	m->n--;
}

bool gmt_hmap_next(const struct gmt_hmap *m, size_t *pos, uint64_t *key, uint64_t *val)
{
	for (size_t i = *pos; i < m->cap; i++) {
		if (m->ctrl[i]) {
			if (key)
				*key = m->ent[i].key;
			if (val)
				*val = m->ent[i].val;
			*pos = i + 1;
			return true;
		}
	}
	*pos = m->cap;
	return false;
}

void gmt_hmap_clear(struct gmt_hmap *m)
{
	if (m->cap)
		memset(m->ctrl, 0, m->cap);
	m->n = 0;
}

void gmt_hmap_free(struct gmt_hmap *m)
{
	free(m->ent); /* ctrl lives in the same block */
	memset(m, 0, sizeof(*m));
}
