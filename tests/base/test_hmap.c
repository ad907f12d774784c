// SPDX-License-Identifier: MIT
/*
 * The hash table (hmap.h), against a model: a plain array indexed by key, or the keys
 * inserted so far.  Keys that land on the same home slot are found by brute force, so
 * that runs, wrap-around and deletion inside a run are exercised on purpose, not by luck.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"

/* xorshift64*: deterministic. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static size_t home(uint64_t key, size_t cap)
{
	return gmt_mix64(key) & (cap - 1);
}

/* n keys whose home slot in a table of capacity cap is slot. */
static void keys_at(size_t slot, size_t cap, uint64_t *out, size_t n)
{
	for (uint64_t k = 1, i = 0; i < n; k++)
		if (home(k, cap) == slot)
			out[i++] = k;
}

/* The slot a key sits in (the table's layout is public for this reason only). */
static size_t slot_of(const struct gmt_hmap *m, uint64_t key)
{
	uint64_t *v = gmt_hmap_get(m, key);

	cr_assert(v, "key %llu present", (unsigned long long)key);
	return (size_t)((struct gmt_hmap_ent *)((char *)v - offsetof(struct gmt_hmap_ent, val)) -
			m->ent);
}

Test(hmap, empty_table)
{
	struct gmt_hmap m = {};
	size_t pos = 0;
	uint64_t k, v;

	cr_assert_null(gmt_hmap_get(&m, 0));
	cr_assert_null(gmt_hmap_get(&m, 42));
	cr_assert_not(gmt_hmap_del(&m, 42));
	cr_assert_not(gmt_hmap_next(&m, &pos, &k, &v));
	gmt_hmap_clear(&m);
	gmt_hmap_free(&m);
	cr_assert_eq(m.cap, 0);
	cr_assert_eq(m.n, 0);
}

Test(hmap, put_get_replace_and_extreme_keys)
{
	struct gmt_hmap m = {};
	const uint64_t keys[] = { 0, 1, UINT64_MAX, 0x8000000000000000ULL, 42 };

	for (size_t i = 0; i < 5; i++)
		cr_assert_eq(gmt_hmap_put(&m, keys[i], i + 100), 0);
	cr_assert_eq(m.n, 5);
	for (size_t i = 0; i < 5; i++) {
		uint64_t *v = gmt_hmap_get(&m, keys[i]);

		cr_assert(v && *v == i + 100, "key %zu", i);
	}
	cr_assert_eq(gmt_hmap_put(&m, 0, 7), 0);
	cr_assert_eq(*gmt_hmap_get(&m, 0), 7, "put replaces");
	cr_assert_eq(m.n, 5, "a replacement adds nothing");
	cr_assert_null(gmt_hmap_get(&m, 2));
	gmt_hmap_free(&m);
}

Test(hmap, upsert_inserts_once_and_keeps_the_value)
{
	struct gmt_hmap m = {};
	bool added = false;
	uint64_t *v = gmt_hmap_upsert(&m, 9, 1, &added);

	cr_assert(v && added && *v == 1);
	*v = 5;
	v = gmt_hmap_upsert(&m, 9, 1, &added);
	cr_assert(v && !added && *v == 5, "the existing value, not the default");
	cr_assert_not_null(gmt_hmap_upsert(&m, 10, 2, NULL), "added may be NULL");
	cr_assert_eq(m.n, 2);
	gmt_hmap_free(&m);
}

Test(hmap, grows_at_three_quarters_and_keeps_everything)
{
	struct gmt_hmap m = {};
	size_t last_cap = 0, grows = 0;

	for (uint64_t k = 0; k < 100000; k++) {
		cr_assert_eq(gmt_hmap_put(&m, k * 0x1000, k), 0); /* aligned, like pointers */
		cr_assert(m.n * 4 <= m.cap * 3, "load %zu / %zu", m.n, m.cap);
		cr_assert_eq(m.cap & (m.cap - 1), 0, "capacity a power of two");
		if (m.cap != last_cap) {
			grows++;
			last_cap = m.cap;
		}
	}
	cr_assert_eq(m.cap, 131072 * 2, "100000 entries need 2^18 slots at 3/4");
	cr_assert_leq(grows, 15, "doubling, not growing by steps");
	for (uint64_t k = 0; k < 100000; k++) {
		uint64_t *v = gmt_hmap_get(&m, k * 0x1000);

		cr_assert(v && *v == k, "key %llu after growth", (unsigned long long)k);
	}
	cr_assert_null(gmt_hmap_get(&m, 100000 * 0x1000));
	gmt_hmap_free(&m);
}

Test(hmap, reserve_avoids_growth)
{
	struct gmt_hmap m = {};
	struct gmt_hmap_ent *ent;

	cr_assert_eq(gmt_hmap_reserve(&m, 1000), 0);
	cr_assert_geq(m.cap * 3, 1000 * 4);
	ent = m.ent;
	for (uint64_t k = 0; k < 1000; k++)
		cr_assert_not_null(gmt_hmap_add(&m, k, k));
	cr_assert_eq(m.ent, ent, "no rehash within the reservation");
	cr_assert_eq(gmt_hmap_reserve(&m, 10), 0, "a smaller reservation shrinks nothing");
	cr_assert_eq(m.ent, ent);
	gmt_hmap_free(&m);
}

/*
 * Five keys with the same home slot, then one homed on the slot after it (it lands at the
 * end of the run).  Deleting inside the run must leave every other key reachable: this
 * is what tombstones are for, and what the backward shift replaces.
 */
Test(hmap, delete_inside_a_run)
{
	for (size_t victim = 0; victim < 6; victim++) {
		struct gmt_hmap m = {};
		uint64_t same[5], next;

		cr_assert_eq(gmt_hmap_reserve(&m, 8), 0);
		cr_assert_eq(m.cap, 16);
		keys_at(3, 16, same, 5);
		keys_at(4, 16, &next, 1);
		for (int i = 0; i < 5; i++)
			cr_assert_eq(gmt_hmap_put(&m, same[i], i), 0);
		cr_assert_eq(gmt_hmap_put(&m, next, 5), 0);
		cr_assert_eq(slot_of(&m, next), 8, "the neighbour lands after the run");
		uint64_t all[6] = { same[0], same[1], same[2], same[3], same[4], next };

		cr_assert(gmt_hmap_del(&m, all[victim]));
		cr_assert_not(gmt_hmap_del(&m, all[victim]), "deleted once");
		cr_assert_eq(m.n, 5);
		for (size_t i = 0; i < 6; i++) {
			uint64_t *v = gmt_hmap_get(&m, all[i]);

			if (i == victim)
				cr_assert_null(v, "victim %zu gone", victim);
			else
				cr_assert(v && *v == i, "key %zu after deleting %zu", i, victim);
		}
		/* No hole is left in the run: the slots after it are empty again. */
		cr_assert_eq(m.ctrl[3 + 5], 0, "the run shrank by one (victim %zu)", victim);
		gmt_hmap_free(&m);
	}
}

/* A run that wraps from the last slot to the first, deleted from its start. */
Test(hmap, delete_across_the_wrap)
{
	struct gmt_hmap m = {};
	uint64_t last[4], first;

	cr_assert_eq(gmt_hmap_reserve(&m, 8), 0);
	keys_at(15, 16, last, 4);
	keys_at(0, 16, &first, 1);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(gmt_hmap_put(&m, last[i], i), 0);
	cr_assert_eq(gmt_hmap_put(&m, first, 4), 0);
	cr_assert_eq(slot_of(&m, last[3]), 2, "the run wrapped");
	cr_assert_eq(slot_of(&m, first), 3);
	for (int i = 0; i < 4; i++) {
		cr_assert(gmt_hmap_del(&m, last[i]));
		for (int j = i + 1; j < 4; j++)
			cr_assert(gmt_hmap_get(&m, last[j]) && *gmt_hmap_get(&m, last[j]) == (uint64_t)j);
		cr_assert(gmt_hmap_get(&m, first) && *gmt_hmap_get(&m, first) == 4);
	}
	cr_assert_eq(slot_of(&m, first), 0, "back home once the run before it left");
	cr_assert_eq(m.n, 1);
	gmt_hmap_free(&m);
}

/*
 * As many deletions as insertions (live objects, live goroutines): with tombstones the
 * table would fill with them and grow or slow down; here its size stays that of the live
 * set and every lookup stays right.
 */
Test(hmap, churn_leaves_no_tombstones)
{
	enum { LIVE = 1000, ROUNDS = 200000 };
	struct gmt_hmap m = {};
	uint64_t ring[LIVE] = {}, seed = 1;
	size_t cap;

	for (size_t i = 0; i < LIVE; i++) {
		ring[i] = rnd(&seed) | 1;
		cr_assert_eq(gmt_hmap_put(&m, ring[i], i), 0);
	}
	cap = m.cap;
	for (size_t r = 0; r < ROUNDS; r++) {
		size_t k = r % LIVE;

		cr_assert(gmt_hmap_del(&m, ring[k]));
		ring[k] = rnd(&seed) | 1;
		cr_assert_eq(gmt_hmap_put(&m, ring[k], k), 0);
	}
	cr_assert_eq(m.n, LIVE);
	cr_assert_eq(m.cap, cap, "the capacity of the live set, after %d deletions", ROUNDS);
	for (size_t i = 0; i < LIVE; i++) {
		uint64_t *v = gmt_hmap_get(&m, ring[i]);

		cr_assert(v && *v == i);
	}
	/* Every full slot is reachable from its home without crossing an empty one. */
	for (size_t i = 0; i < m.cap; i++) {
		if (!m.ctrl[i])
			continue;
		for (size_t j = home(m.ent[i].key, m.cap); j != i; j = (j + 1) & (m.cap - 1))
			cr_assert_neq(m.ctrl[j], 0, "slot %zu cut off from its home", i);
	}
	gmt_hmap_free(&m);
}

/* Random operations on small keys, against an array indexed by key. */
Test(hmap, random_operations_match_a_model)
{
	enum { KEYS = 512, OPS = 300000 };
	uint64_t model[KEYS];
	bool in[KEYS] = {};
	struct gmt_hmap m = {};
	uint64_t seed = 99;
	size_t n = 0;

	for (size_t op = 0; op < OPS; op++) {
		uint64_t r = rnd(&seed), k = (r >> 8) % KEYS, *v;

		switch (r % 4) {
		case 0:
		case 1:
			cr_assert_eq(gmt_hmap_put(&m, k, r), 0);
			n += !in[k];
			in[k] = true;
			model[k] = r;
			break;
		case 2:
			cr_assert_eq(gmt_hmap_del(&m, k), in[k], "op %zu: del %llu", op,
				     (unsigned long long)k);
			n -= in[k];
			in[k] = false;
			break;
		default:
			v = gmt_hmap_get(&m, k);
			cr_assert_eq(v != NULL, in[k], "op %zu: get %llu", op, (unsigned long long)k);
			if (v)
				cr_assert_eq(*v, model[k]);
		}
		cr_assert_eq(m.n, n);
	}
	gmt_hmap_free(&m);
}

Test(hmap, iteration_visits_each_entry_once)
{
	struct gmt_hmap m = {};
	uint64_t k, v, sum = 0, count = 0;
	size_t pos = 0;
	bool seen[2000] = {};

	for (uint64_t i = 0; i < 2000; i++)
		cr_assert_eq(gmt_hmap_put(&m, i * 7919, i), 0);
	for (uint64_t i = 0; i < 2000; i += 2)
		cr_assert(gmt_hmap_del(&m, i * 7919));
	while (gmt_hmap_next(&m, &pos, &k, &v)) {
		cr_assert_eq(k, v * 7919, "key and value belong together");
		cr_assert(v % 2 == 1 && !seen[v], "value %llu once, and not deleted",
			  (unsigned long long)v);
		seen[v] = true;
		sum += v;
		count++;
	}
	cr_assert_eq(count, 1000);
	cr_assert_eq(sum, 1000 * 1000, "1 + 3 + ... + 1999");
	cr_assert_not(gmt_hmap_next(&m, &pos, &k, &v), "stays at the end");
	pos = 0;
	cr_assert(gmt_hmap_next(&m, &pos, NULL, NULL), "key and value may be NULL");
	gmt_hmap_free(&m);
}

Test(hmap, clear_keeps_the_memory)
{
	struct gmt_hmap m = {};
	size_t cap;

	for (uint64_t i = 0; i < 100; i++)
		gmt_hmap_put(&m, i, i);
	cap = m.cap;
	gmt_hmap_clear(&m);
	cr_assert_eq(m.n, 0);
	cr_assert_eq(m.cap, cap);
	for (uint64_t i = 0; i < 100; i++)
		cr_assert_null(gmt_hmap_get(&m, i));
	cr_assert_eq(gmt_hmap_put(&m, 5, 6), 0);
	cr_assert_eq(*gmt_hmap_get(&m, 5), 6);
	gmt_hmap_free(&m);
}

/* ---- wider keys, by hash: strings of a caller's array ---- */

struct strs {
	const char *s[8];
};

struct lookup {
	const struct strs *t;
	const char *s;
};

static bool str_is(const void *ctx, uint64_t val)
{
	const struct lookup *l = ctx;

	return strcmp(l->t->s[val], l->s) == 0;
}

Test(hmap, hashed_keys_with_equal_hashes_stay_apart)
{
	struct strs t = { { "alpha", "beta", "gamma" } };
	struct gmt_hmap m = {};
	struct lookup l = { &t, NULL };
	const uint64_t h = 12345; /* every string on one hash: only eq tells them apart */
	uint64_t *v;

	for (uint64_t i = 0; i < 3; i++)
		cr_assert_not_null(gmt_hmap_add(&m, h, i));
	cr_assert_eq(m.n, 3, "add stores equal keys side by side");
	for (uint64_t i = 0; i < 3; i++) {
		l.s = t.s[i];
		v = gmt_hmap_find(&m, h, str_is, &l);
		cr_assert(v && *v == i, "%s", t.s[i]);
	}
	l.s = "delta";
	cr_assert_null(gmt_hmap_find(&m, h, str_is, &l));
	l.s = "alpha";
	cr_assert_null(gmt_hmap_find(&m, h + 1, str_is, &l), "another hash is another key");

	/* Remove the middle one by its value pointer: the others stay. */
	l.s = "beta";
	gmt_hmap_remove(&m, gmt_hmap_find(&m, h, str_is, &l));
	cr_assert_null(gmt_hmap_find(&m, h, str_is, &l));
	l.s = "gamma";
	v = gmt_hmap_find(&m, h, str_is, &l);
	cr_assert(v && *v == 2);
	l.s = "alpha";
	v = gmt_hmap_find(&m, h, str_is, &l);
	cr_assert(v && *v == 0);
	gmt_hmap_free(&m);
}

Test(hmap, hash_bytes_is_fnv1a)
{
	/* FNV-1a 64 test vectors (Fowler, Noll, Vo). */
	cr_assert_eq(gmt_hash_bytes(GMT_HASH_SEED, "", 0), 0xcbf29ce484222325ULL);
	cr_assert_eq(gmt_hash_bytes(GMT_HASH_SEED, "a", 1), 0xaf63dc4c8601ec8cULL);
	cr_assert_eq(gmt_hash_bytes(GMT_HASH_SEED, "foobar", 6), 0x85944171f73967e8ULL);
	/* Chaining continues the same hash. */
	cr_assert_eq(gmt_hash_bytes(gmt_hash_bytes(GMT_HASH_SEED, "foo", 3), "bar", 3),
		     0x85944171f73967e8ULL);
}
