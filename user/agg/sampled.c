// SPDX-License-Identifier: MIT
/*
 * Sampled mode's aggregation (see sampled.h).  Rows (stripped stack, size) live in a
 * dense array; stack ids, rows and live objects are found through open-addressing
 * tables, so every record costs one probe sequence.  The object table holds the objects
 * sampled while tracing that have not died yet: its size is the target's live sampled
 * objects (about live bytes / rate), whatever the trace's length.
 */
#include "sampled.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "bits.h"

/* key -> value map; keys are two words, value an index or id. */
struct kv {
	uint64_t k1, k2, val;
	bool used;
};

struct map {
	struct kv *slots;
	size_t mask, n;
};

struct row {
	uint64_t sid, size;
	uint64_t samples, live;
	uint64_t mark; /* samples at the last snapshot */
};

/* A stripped stack, kept for snapshots: each interval's aggregators get it again. */
struct sstack {
	uint64_t sid;
	uint64_t *pcs;
	uint32_t depth;
	bool truncated;
	uint64_t typ; /* from the typer, 0 for unknown */
};

struct inuse {
	double objects, bytes;
};

struct gmt_sampled {
	struct gmt_agg *agg;
	struct gmt_agg *inuse_agg;
	uint64_t rate;
	struct gmt_pc_range *strip;
	size_t nstrip;

	struct map stacks;    /* BPF stack id -> stripped id */
	struct map rowmap;    /* (stripped id, size) -> rows[] index */
	struct map objects;   /* live object sampled while tracing -> rows[] index */
	struct map inuse_map; /* stripped id -> inuse[] index, built by flush */
	struct map types;     /* stripped id -> *_type, from the typer */
	gmt_sampled_typer typer;
	void *typer_ctx;
	struct row *rows;
	size_t nrows, cap_rows;
	struct inuse *inuse;
	size_t ninuse;
	struct gmt_sampled_stats st;
	uint64_t end_ns; /* gmt_sampled__end(), 0: none yet */

	/* Interval mode (gmt_sampled__new_intervals): stacks kept, rows bounded. */
	bool intervals;
	struct map sstack_map; /* stripped id -> sstacks[] index */
	struct sstack *sstacks;
	size_t nsstacks, cap_sstacks;
	size_t max_rows;
	void (*forget)(void *ctx, uint64_t bpf_stack_id);
	void *forget_ctx;
	struct gmt_sampled_stats mark; /* st at the last snapshot */
	struct gmt_sampled_bounds bounds;
	double live_bytes; /* running estimate of the live heap (interval mode) */
};

static uint64_t kv_hash(uint64_t k1, uint64_t k2)
{
	return gmt_mix64(k1 ^ gmt_mix64(k2));
}

static struct kv *map_find(const struct map *m, uint64_t k1, uint64_t k2)
{
	if (!m->slots)
		return NULL;
	for (size_t i = kv_hash(k1, k2) & m->mask;; i = (i + 1) & m->mask) {
		struct kv *e = &m->slots[i];

		if (!e->used || (e->k1 == k1 && e->k2 == k2))
			return e;
	}
}

/* Keeps the load under one half, so map_find always meets an empty slot. */
static int map_grow(struct map *m)
{
	size_t ncap = m->slots ? 2 * (m->mask + 1) : 64;
	struct map nm = {.slots = calloc(ncap, sizeof(struct kv)), .mask = ncap - 1, .n = m->n};

	if (!nm.slots)
		return -ENOMEM;
	for (size_t i = 0; m->slots && i <= m->mask; i++) {
		if (m->slots[i].used)
			*map_find(&nm, m->slots[i].k1, m->slots[i].k2) = m->slots[i];
	}
	free(m->slots);
	*m = nm;
	return 0;
}

/* Sets k -> val (replacing). */
static int map_put(struct map *m, uint64_t k1, uint64_t k2, uint64_t val)
{
	struct kv *e;

	if (!m->slots || 2 * (m->n + 1) > m->mask + 1) {
		int err = map_grow(m);

		if (err)
			return err;
	}
	e = map_find(m, k1, k2);
	if (!e->used)
		m->n++;
	*e = (struct kv){k1, k2, val, true};
	return 0;
}

static const struct kv *map_get(const struct map *m, uint64_t k1, uint64_t k2)
{
	const struct kv *e = map_find(m, k1, k2);

	return e && e->used ? e : NULL;
}

/*
 * Removes e (a used slot of m) the linear-probing way: the entries after it in its run
 * move back into the hole when their home slot does not lie between the hole and them,
 * so that map_find still reaches every key without tombstones.
 */
static void map_del(struct map *m, const struct kv *e)
{
	size_t hole = (size_t)(e - m->slots), j = hole;

	for (;;) {
		size_t home;

		j = (j + 1) & m->mask;
		if (!m->slots[j].used)
			break;
		home = kv_hash(m->slots[j].k1, m->slots[j].k2) & m->mask;
		/* Cyclically, home in (hole, j]: the entry stays reachable where it is. */
		if (hole <= j ? (home > hole && home <= j) : (home > hole || home <= j))
			continue;
		m->slots[hole] = m->slots[j];
		hole = j;
	}
	m->slots[hole].used = false;
	m->n--;
}

double gmt_sampled_weight(uint64_t size, uint64_t rate)
{
	/* As pprof's scaleHeapSample: no scaling for rate 1 (every allocation) or size 0. */
	if (rate <= 1 || !size)
		return 1.0;
	return 1.0 / (1.0 - exp(-(double)size / (double)rate));
}

struct gmt_sampled *gmt_sampled__new(struct gmt_agg *agg, struct gmt_agg *inuse_agg, uint64_t rate,
				     const struct gmt_pc_range *strip, size_t nstrip)
{
	struct gmt_sampled *s;

	if (!agg || !rate || (nstrip && !strip))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->agg = agg;
	s->inuse_agg = inuse_agg;
	s->rate = rate;
	if (nstrip) {
		s->strip = calloc(nstrip, sizeof(*strip));
		if (!s->strip) {
			free(s);
			return NULL;
		}
		memcpy(s->strip, strip, nstrip * sizeof(*strip));
		s->nstrip = nstrip;
	}
	return s;
}

struct gmt_sampled *gmt_sampled__new_intervals(uint64_t rate, const struct gmt_pc_range *strip,
					       size_t nstrip, size_t max_rows,
					       void (*forget)(void *ctx, uint64_t bpf_stack_id),
					       void *ctx)
{
	/* A throwaway aggregator satisfies __new(); interval mode never writes to it. */
	struct gmt_agg *none = gmt_agg__new(NULL);
	struct gmt_sampled *s = none ? gmt_sampled__new(none, NULL, rate, strip, nstrip) : NULL;

	gmt_agg__free(none);
	if (!s || max_rows < 2) {
		gmt_sampled__free(s);
		return NULL;
	}
	s->agg = NULL;
	s->intervals = true;
	s->max_rows = max_rows;
	s->forget = forget;
	s->forget_ctx = ctx;
	return s;
}

static void free_sstacks(struct gmt_sampled *s)
{
	for (size_t i = 0; i < s->nsstacks; i++)
		free(s->sstacks[i].pcs);
	free(s->sstacks);
	free(s->sstack_map.slots);
}

void gmt_sampled__free(struct gmt_sampled *s)
{
	if (!s)
		return;
	free_sstacks(s);
	free(s->strip);
	free(s->stacks.slots);
	free(s->rowmap.slots);
	free(s->objects.slots);
	free(s->inuse_map.slots);
	free(s->types.slots);
	free(s->rows);
	free(s->inuse);
	free(s);
}

void gmt_sampled__set_typer(struct gmt_sampled *s, gmt_sampled_typer fn, void *ctx)
{
	s->typer = fn;
	s->typer_ctx = ctx;
}

static bool in_allocator(const struct gmt_sampled *s, uint64_t pc)
{
	for (size_t i = 0; i < s->nstrip; i++)
		if (pc >= s->strip[i].start && pc < s->strip[i].end)
			return true;
	return false;
}

/* Index of the first frame to keep (see sampled.h). */
static uint32_t strip_start(const struct gmt_sampled *s, const uint64_t *pcs, uint32_t depth)
{
	uint32_t i;

	for (i = 0; i < depth && i < GMT_SAMPLED_STRIP_SCAN; i++)
		if (in_allocator(s, pcs[i]))
			break;
	if (i == depth || i == GMT_SAMPLED_STRIP_SCAN)
		return 0;
	while (i + 1 < depth && in_allocator(s, pcs[i + 1]))
		i++;
	/* Nothing above the allocator (a truncated walk): keep its last frame. */
	return i + 1 < depth ? i + 1 : depth - 1;
}

/*
 * Interval mode: the stripped stack goes into the own table.  When the table is full
 * the stack is not kept and the BPF side is told to forget it, so that it sends the
 * stack again once an eviction made room; until then its samples have no stack.
 */
static int keep_stack(struct gmt_sampled *s, uint64_t id, uint64_t sid, const uint64_t *pcs,
		      uint32_t depth, bool truncated)
{
	struct sstack *st;
	int err;

	if (!map_get(&s->sstack_map, sid, 0)) {
		if (s->nsstacks >= s->max_rows) {
			s->bounds.stacks_dropped++;
			if (s->forget)
				s->forget(s->forget_ctx, id);
			return 0;
		}
		if (s->nsstacks == s->cap_sstacks) {
			size_t ncap = s->cap_sstacks ? 2 * s->cap_sstacks : 256;
			struct sstack *n = realloc(s->sstacks, ncap * sizeof(*n));

			if (!n)
				return -ENOMEM;
			s->sstacks = n;
			s->cap_sstacks = ncap;
		}
		st = &s->sstacks[s->nsstacks];
		st->pcs = malloc(depth * sizeof(*pcs));
		if (!st->pcs)
			return -ENOMEM;
		memcpy(st->pcs, pcs, depth * sizeof(*pcs));
		st->sid = sid;
		st->depth = depth;
		st->typ = s->typer ? s->typer(s->typer_ctx, pcs, depth) : 0;
		st->truncated = truncated;
		err = map_put(&s->sstack_map, sid, 0, s->nsstacks);
		if (err) {
			free(st->pcs);
			return err;
		}
		s->nsstacks++;
	}
	return map_put(&s->stacks, id, 0, sid);
}

int gmt_sampled__add_stack(struct gmt_sampled *s, uint64_t id, const uint64_t *pcs, uint32_t depth,
			   bool truncated)
{
	uint64_t sid = 0xcbf29ce484222325ULL;
	uint32_t start;
	int err;

	if (!id || !depth || !pcs)
		return -EINVAL;
	if (map_get(&s->stacks, id, 0))
		return 0;
	start = strip_start(s, pcs, depth);
	for (uint32_t i = start; i < depth; i++)
		sid = gmt_mix64(sid ^ pcs[i]);
	sid = gmt_mix64(sid ^ (depth - start) ^ ((uint64_t)truncated << 63));
	if (sid == 0) /* GMT_AGG_UNKNOWN_STACK_ID */
		sid = 1;
	if (s->intervals)
		return keep_stack(s, id, sid, pcs + start, depth - start, truncated);
	err = gmt_agg__add_stack(s->agg, sid, pcs + start, depth - start, truncated);
	if (!err && s->inuse_agg)
		err = gmt_agg__add_stack(s->inuse_agg, sid, pcs + start, depth - start, truncated);
	if (!err && s->typer) {
		uint64_t typ = s->typer(s->typer_ctx, pcs + start, depth - start);

		if (typ)
			err = map_put(&s->types, sid, 0, typ);
	}
	if (err)
		return err;
	return map_put(&s->stacks, id, 0, sid);
}

/* One live object of row idx is gone: the row's count and the running estimate. */
static void object_died(struct gmt_sampled *s, size_t idx)
{
	struct row *r = &s->rows[idx];

	if (!r->live)
		return;
	r->live--;
	s->live_bytes -= gmt_sampled_weight(r->size, s->rate) * r->size;
}

int gmt_sampled__malloc(struct gmt_sampled *s, uint64_t stack_id, uint64_t p, uint64_t size)
{
	const struct kv *e = stack_id ? map_get(&s->stacks, stack_id, 0) : NULL;
	uint64_t sid = e ? e->val : GMT_AGG_UNKNOWN_STACK_ID; /* walk failed, or record lost */
	const struct kv *r = map_get(&s->rowmap, sid, size);
	const struct kv *old = map_get(&s->objects, p, 0);
	size_t idx;
	int err;

	if (old) {
		/* Two live objects never share an address: the one we had died, and the
		 * record of its free was lost. */
		object_died(s, old->val);
		map_del(&s->objects, old);
		s->st.unmatched++;
	}
	if (r) {
		idx = r->val;
	} else {
		if (s->intervals && s->nrows >= s->max_rows) {
			/* Full until the next eviction: the sample is lost, and counted. */
			s->bounds.samples_dropped++;
			return 0;
		}
		if (s->nrows == s->cap_rows) {
			size_t ncap = s->cap_rows ? 2 * s->cap_rows : 256;
			struct row *nr = realloc(s->rows, ncap * sizeof(*nr));

			if (!nr)
				return -ENOMEM;
			s->rows = nr;
			s->cap_rows = ncap;
		}
		idx = s->nrows;
		err = map_put(&s->rowmap, sid, size, idx);
		if (err)
			return err;
		s->rows[s->nrows++] = (struct row){.sid = sid, .size = size};
		s->bounds.rows_peak = s->nrows > s->bounds.rows_peak ? s->nrows : s->bounds.rows_peak;
	}
	err = map_put(&s->objects, p, 0, idx);
	if (err)
		return err;
	s->rows[idx].samples++;
	s->rows[idx].live++;
	s->st.samples++;
	/* Running totals: the allocation rate over time reads them while tracing runs. */
	s->st.est_alloc_objects += gmt_sampled_weight(size, s->rate);
	s->st.est_alloc_bytes += gmt_sampled_weight(size, s->rate) * size;
	s->live_bytes += gmt_sampled_weight(size, s->rate) * size;
	return 0;
}

int gmt_sampled__bucket(struct gmt_sampled *s, uint64_t p, uint64_t b)
{
	/* The sample it belongs to came first, from the same thread (mProf_Malloc calls
	 * setprofilebucket).  Frees do not need b: they name their object. */
	if (map_get(&s->objects, p, 0))
		s->st.buckets++;
	else
		s->st.unmatched++;
	return 0;
}

int gmt_sampled__free_obj(struct gmt_sampled *s, uint64_t p)
{
	const struct kv *e = map_get(&s->objects, p, 0);

	/* Sampled before tracing started (or its sample was lost or dropped). */
	if (!e) {
		s->st.frees_ignored++;
		return 0;
	}
	object_died(s, e->val);
	map_del(&s->objects, e);
	s->st.frees++;
	return 0;
}

void gmt_sampled__end(struct gmt_sampled *s, uint64_t end_ns)
{
	s->end_ns = end_ns;
}

int gmt_sampled__record(struct gmt_sampled *s, const struct gmt_rec_mprof *r)
{
	if (s->end_ns && r->hdr.ts_ns > s->end_ns) {
		s->st.after_end++;
		return 0;
	}
	switch (r->hdr.kind) {
	case GMT_REC_MPROF_MALLOC:
		return gmt_sampled__malloc(s, r->stack_id, r->p, r->size);
	case GMT_REC_MPROF_BUCKET:
		return gmt_sampled__bucket(s, r->p, r->b);
	case GMT_REC_MPROF_FREE:
		return gmt_sampled__free_obj(s, r->p);
	default:
		return -EINVAL;
	}
}

/* The type of a stripped stack's allocations, 0 for unknown. */
static uint64_t stack_type(const struct gmt_sampled *s, uint64_t sid)
{
	const struct kv *e = map_get(s->intervals ? &s->sstack_map : &s->types, sid, 0);

	if (!e)
		return 0;
	return s->intervals ? s->sstacks[e->val].typ : e->val;
}

int gmt_sampled__flush(struct gmt_sampled *s)
{
	if (s->inuse || s->intervals)
		return -EINVAL; /* once; interval mode takes snapshots instead */
	s->inuse = calloc(s->nrows ? s->nrows : 1, sizeof(*s->inuse));
	if (!s->inuse)
		return -ENOMEM;
	for (size_t i = 0; i < s->nrows; i++) {
		const struct row *r = &s->rows[i];
		double w = gmt_sampled_weight(r->size, s->rate);
		uint64_t typ = stack_type(s, r->sid);
		const struct kv *e;
		uint64_t n = (uint64_t)llround(r->samples * w);
		uint64_t live = (uint64_t)llround(r->live * w);
		int err;

		s->st.est_inuse_objects += r->live * w;
		s->st.est_inuse_bytes += r->live * w * r->size;
		err = gmt_agg__add_allocs(s->agg, r->sid, typ, r->size, n ? n : 1);
		if (!err && s->inuse_agg && r->live)
			err = gmt_agg__add_allocs(s->inuse_agg, r->sid, typ, r->size,
						  live ? live : 1);
		if (err)
			return err;
		e = map_get(&s->inuse_map, r->sid, 0);
		if (!e) {
			err = map_put(&s->inuse_map, r->sid, 0, s->ninuse);
			if (err)
				return err;
			e = map_get(&s->inuse_map, r->sid, 0);
			s->ninuse++;
		}
		s->inuse[e->val].objects += r->live * w;
		s->inuse[e->val].bytes += r->live * w * r->size;
	}
	return 0;
}

void gmt_sampled__inuse(const struct gmt_sampled *s, uint64_t agg_stack_id, uint64_t *objects,
			uint64_t *bytes)
{
	const struct kv *e = map_get(&s->inuse_map, agg_stack_id, 0);

	*objects = e ? (uint64_t)llround(s->inuse[e->val].objects) : 0;
	*bytes = e ? (uint64_t)llround(s->inuse[e->val].bytes) : 0;
}

void gmt_sampled__stats(const struct gmt_sampled *s, struct gmt_sampled_stats *out)
{
	*out = s->st;
}

uint64_t gmt_sampled__rate(const struct gmt_sampled *s)
{
	return s->rate;
}

static int add_stack_to(const struct gmt_sampled *s, struct gmt_agg *a, uint64_t sid)
{
	const struct kv *e = map_get(&s->sstack_map, sid, 0);
	const struct sstack *st;

	if (!e)
		return 0; /* the unknown stack, or one the full table did not keep */
	st = &s->sstacks[e->val];
	return gmt_agg__add_stack(a, sid, st->pcs, st->depth, st->truncated);
}


int gmt_sampled__snapshot(struct gmt_sampled *s, struct gmt_agg *alloc, struct gmt_agg *inuse,
			  struct gmt_sampled_stats *iv)
{
	int err = 0;

	if (!s->intervals || !alloc)
		return -EINVAL;
	memset(iv, 0, sizeof(*iv));
	free(s->inuse);
	free(s->inuse_map.slots);
	s->inuse_map = (struct map){0};
	s->ninuse = 0;
	s->inuse = calloc(s->nrows ? s->nrows : 1, sizeof(*s->inuse));
	if (!s->inuse)
		return -ENOMEM;
	for (size_t i = 0; i < s->nrows && !err; i++) {
		struct row *r = &s->rows[i];
		double w = gmt_sampled_weight(r->size, s->rate);
		uint64_t d = r->samples - r->mark;
		const struct kv *e;

		r->mark = r->samples;
		if (d) {
			uint64_t n = (uint64_t)llround(d * w);

			err = add_stack_to(s, alloc, r->sid);
			if (!err)
				err = gmt_agg__add_allocs(alloc, r->sid, stack_type(s, r->sid),
							  r->size, n ? n : 1);
			iv->est_alloc_objects += d * w;
			iv->est_alloc_bytes += d * w * r->size;
		}
		if (!r->live || err)
			continue;
		iv->est_inuse_objects += r->live * w;
		iv->est_inuse_bytes += r->live * w * r->size;
		if (inuse) {
			uint64_t live = (uint64_t)llround(r->live * w);

			err = add_stack_to(s, inuse, r->sid);
			if (!err)
				err = gmt_agg__add_allocs(inuse, r->sid, stack_type(s, r->sid),
							  r->size, live ? live : 1);
		}
		e = map_get(&s->inuse_map, r->sid, 0);
		if (!e && !err) {
			err = map_put(&s->inuse_map, r->sid, 0, s->ninuse);
			e = err ? NULL : map_get(&s->inuse_map, r->sid, 0);
			s->ninuse += !err;
		}
		if (e) {
			s->inuse[e->val].objects += r->live * w;
			s->inuse[e->val].bytes += r->live * w * r->size;
		}
	}
	if (err)
		return err;
	s->live_bytes = iv->est_inuse_bytes; /* no drift from rounding */
	iv->samples = s->st.samples - s->mark.samples;
	iv->buckets = s->st.buckets - s->mark.buckets;
	iv->frees = s->st.frees - s->mark.frees;
	iv->frees_ignored = s->st.frees_ignored - s->mark.frees_ignored;
	iv->unmatched = s->st.unmatched - s->mark.unmatched;
	iv->after_end = s->st.after_end - s->mark.after_end;
	s->mark = s->st;
	s->st.est_inuse_objects = iv->est_inuse_objects;
	s->st.est_inuse_bytes = iv->est_inuse_bytes;
	return 0;
}

/*
 * Rows with nothing live and no sample since the last snapshot carry no information
 * the next snapshot needs: no object refers to them, and a new sample on their stack
 * makes the row again.  They go, with the stacks no row uses any more and the BPF stack ids
 * that named those stacks (the BPF side is told to forget them, so it sends them again
 * when they recur).  Every table is rebuilt without them.
 */
int gmt_sampled__evict(struct gmt_sampled *s)
{
	struct map rowmap = {0}, objects = {0}, stacks = {0}, smap = {0};
	uint32_t *remap = NULL;
	bool *used = NULL;
	size_t nr = 0, ns = 0;
	int err = -ENOMEM;

	if (!s->intervals)
		return -EINVAL;
	remap = calloc(s->nrows ? s->nrows : 1, sizeof(*remap));
	used = calloc(s->nsstacks ? s->nsstacks : 1, sizeof(*used));
	if (!remap || !used)
		goto out;
	for (size_t i = 0; i < s->nrows; i++) {
		struct row *r = &s->rows[i];
		const struct kv *e;

		if (!r->live && r->samples == r->mark) {
			remap[i] = 0;
			s->bounds.rows_evicted++;
			continue;
		}
		s->rows[nr] = *r;
		remap[i] = (uint32_t)++nr;
		if (map_put(&rowmap, r->sid, r->size, nr - 1))
			goto out;
		e = map_get(&s->sstack_map, r->sid, 0);
		if (e)
			used[e->val] = true;
	}
	/* A live object's row has something live: it is never evicted. */
	for (size_t i = 0; s->objects.slots && i <= s->objects.mask; i++) {
		const struct kv *e = &s->objects.slots[i];

		if (e->used && remap[e->val] && map_put(&objects, e->k1, 0, remap[e->val] - 1))
			goto out;
	}
	for (size_t i = 0; i < s->nsstacks; i++) {
		if (!used[i]) {
			free(s->sstacks[i].pcs);
			s->bounds.stacks_evicted++;
			continue;
		}
		s->sstacks[ns] = s->sstacks[i];
		if (map_put(&smap, s->sstacks[ns].sid, 0, ns))
			goto out;
		ns++;
	}
	for (size_t i = 0; s->stacks.slots && i <= s->stacks.mask; i++) {
		const struct kv *e = &s->stacks.slots[i];

		if (!e->used)
			continue;
		if (map_get(&smap, e->val, 0)) {
			if (map_put(&stacks, e->k1, 0, e->val))
				goto out;
		} else if (s->forget) {
			s->forget(s->forget_ctx, e->k1);
		}
	}
	s->nrows = nr;
	s->nsstacks = ns;
	free(s->rowmap.slots);
	free(s->objects.slots);
	free(s->stacks.slots);
	free(s->sstack_map.slots);
	s->rowmap = rowmap;
	s->objects = objects;
	s->stacks = stacks;
	s->sstack_map = smap;
	/* Indices changed: the in-use view of the last snapshot is rebuilt by the next. */
	free(s->inuse_map.slots);
	s->inuse_map = (struct map){0};
	free(s->inuse);
	s->inuse = NULL;
	s->ninuse = 0;
	rowmap = objects = stacks = smap = (struct map){0};
	err = 0;
out:
	free(rowmap.slots);
	free(objects.slots);
	free(stacks.slots);
	free(smap.slots);
	free(remap);
	free(used);
	return err;
}

void gmt_sampled__bounds(const struct gmt_sampled *s, struct gmt_sampled_bounds *out)
{
	*out = s->bounds;
	out->rows = s->nrows;
	out->stacks = s->nsstacks;
}

double gmt_sampled__live_bytes(const struct gmt_sampled *s)
{
	return s->live_bytes > 0 ? s->live_bytes : 0;
}
