/* SPDX-License-Identifier: MIT */
/*
 * A u64 -> u64 open-addressing table (linear probing, backward-shift deletion, grown at
 * 3/4): goroutine ids, stack ids and site ids to indexes.  Zero-initialize to start.
 */
#ifndef GMT_U64MAP_H
#define GMT_U64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gmt_u64map {
	uint64_t *keys, *vals;
	uint8_t *used;
	size_t cap, n; /* cap: a power of two */
};

/* The value of key, NULL when absent (valid until the next put). */
uint64_t *gmt_u64map_get(const struct gmt_u64map *m, uint64_t key);
/* Inserts or replaces: 0 or -ENOMEM. */
int gmt_u64map_put(struct gmt_u64map *m, uint64_t key, uint64_t val);
void gmt_u64map_del(struct gmt_u64map *m, uint64_t key);
void gmt_u64map_free(struct gmt_u64map *m);

#endif
