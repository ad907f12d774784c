/* SPDX-License-Identifier: MIT */
/*
 * The hash table of gomemtrace: 64-bit keys to 64-bit values (an index into the
 * caller's dense array, an id, a pointer cast to uintptr_t).  Every table of the
 * userspace is one of these: stack ids, (stack, type, size) rows, live objects, goroutine
 * ids, return addresses, strings.
 *
 * Open addressing with linear probing, at most 3/4 full, grown by doubling.  Each slot
 * has a control byte, 0 when empty, otherwise 0x80 | 7 bits of the key's hash, so that a
 * probe reads the entries themselves only when those bits match: a lookup that misses
 * walks a few consecutive bytes.  Deletion shifts the following entries of the run back
 * (no tombstones), so a table that sees as many deletions as insertions (live objects,
 * live goroutines) stays as fast as a fresh one and never needs a rebuild.
 *
 * Keys wider than 64 bits (a (stack, type, size) row, a string) are stored by their
 * hash: the caller hashes the key (gmt_hash_bytes, gmt_mix64), keeps the key itself in
 * its own array, and looks it up with gmt_hmap_find() and an equality callback on the
 * value; gmt_hmap_add() stores an entry without looking, so that two keys with the same
 * hash both have theirs.
 *
 * A zero-initialized struct is an empty table.  Pointers to values (get, find, add)
 * stay valid until the next insertion or deletion.  Not thread-safe.
 */
#ifndef GMT_HMAP_H
#define GMT_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gmt_hmap_ent {
	uint64_t key, val;
};

struct gmt_hmap {
	struct gmt_hmap_ent *ent;
	uint8_t *ctrl; /* cap bytes: 0 empty, 0x80 | hash tag full */
	size_t cap;    /* 0, or a power of two */
	size_t n;
};

static inline uint64_t gmt_mix64(uint64_t x);

/* ---- 64-bit keys ---- */

/* The value of key, NULL when absent.  Inline, as find: lookups are the hot path. */
static inline uint64_t *gmt_hmap_get(const struct gmt_hmap *m, uint64_t key);
/* Sets key to val, inserting it when absent: 0 or -ENOMEM. */
int gmt_hmap_put(struct gmt_hmap *m, uint64_t key, uint64_t val);
/*
 * The value of key; when absent, key is inserted with val first and *added set (added
 * may be NULL).  One probe sequence either way.  NULL on -ENOMEM.
 */
uint64_t *gmt_hmap_upsert(struct gmt_hmap *m, uint64_t key, uint64_t val, bool *added);
/* Removes key: true when it was there. */
bool gmt_hmap_del(struct gmt_hmap *m, uint64_t key);

/* ---- wider keys, stored by their hash ---- */

/* Is the entry with this value the key the caller is looking for? */
typedef bool (*gmt_hmap_eq_fn)(const void *ctx, uint64_t val);

/*
 * The value of the first entry with key hash for which eq(ctx, value) holds, or NULL.
 * eq is called only for entries whose key is hash; with eq a static function, the
 * compiler inlines it here.
 */
static inline uint64_t *gmt_hmap_find(const struct gmt_hmap *m, uint64_t hash,
				      gmt_hmap_eq_fn eq, const void *ctx);
/*
 * Adds an entry without looking for its key (absent, or a second key with the same
 * hash): a pointer to its value, NULL on -ENOMEM.
 */
uint64_t *gmt_hmap_add(struct gmt_hmap *m, uint64_t key, uint64_t val);

/* ---- both ---- */

/* Removes the entry whose value val points to (from get, find, add or upsert). */
void gmt_hmap_remove(struct gmt_hmap *m, uint64_t *val);
/* Room for n entries in all without growing: 0 or -ENOMEM. */
int gmt_hmap_reserve(struct gmt_hmap *m, size_t n);
/*
 * Iteration, in no particular order: start with *pos = 0; each call fills the next
 * entry and returns true, false at the end.  No insertion or deletion meanwhile.
 */
bool gmt_hmap_next(const struct gmt_hmap *m, size_t *pos, uint64_t *key, uint64_t *val);
/* Empties the table, keeping its memory. */
void gmt_hmap_clear(struct gmt_hmap *m);
/* Frees the memory: the table is empty and zeroed again. */
void gmt_hmap_free(struct gmt_hmap *m);

/* ---- hashes for keys ---- */

/*
 * splitmix64's finalizer: spreads keys that are already hashes (stack ids) or aligned
 * pointers (types, return addresses); the table applies it to every key.  Combine
 * words as gmt_mix64(a ^ gmt_mix64(b)).
 */
static inline uint64_t gmt_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* FNV-1a over len bytes from h (start with GMT_HASH_SEED): names, strings. */
#define GMT_HASH_SEED 0xcbf29ce484222325ULL
static inline uint64_t gmt_hash_bytes(uint64_t h, const void *p, size_t len)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < len; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* ---- the lookups, inline ---- */

/* The control byte of a full slot: 0x80 and the top bits of the hash (the index uses the
 * bottom ones). */
static inline uint8_t gmt_hmap__tag(uint64_t h)
{
	return 0x80 | (uint8_t)(h >> 57);
}

static inline uint64_t *gmt_hmap_get(const struct gmt_hmap *m, uint64_t key)
{
	uint64_t h = gmt_mix64(key);
	size_t mask = m->cap - 1, i = h & mask;
	uint8_t tag = gmt_hmap__tag(h), c;

	if (!m->n)
		return NULL;
	while ((c = m->ctrl[i])) {
		if (c == tag && m->ent[i].key == key)
			return &m->ent[i].val;
		i = (i + 1) & mask;
	}
	return NULL;
}

static inline uint64_t *gmt_hmap_find(const struct gmt_hmap *m, uint64_t hash,
				      gmt_hmap_eq_fn eq, const void *ctx)
{
	uint64_t h = gmt_mix64(hash);
	size_t mask = m->cap - 1, i = h & mask;
	uint8_t tag = gmt_hmap__tag(h), c;

	if (!m->n)
		return NULL;
	while ((c = m->ctrl[i])) {
		if (c == tag && m->ent[i].key == hash && eq(ctx, m->ent[i].val))
			return &m->ent[i].val;
		i = (i + 1) & mask;
	}
	return NULL;
}

#endif
