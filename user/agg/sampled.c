// SPDX-License-Identifier: MIT
/*
 * Sampled mode's aggregation (see sampled.h).  Rows (stripped stack, size) live in a
 * dense array; stack ids, rows and live objects are found through open-addressing
 * tables (hmap.h), so every record costs one probe sequence.  The object table holds the objects
 * sampled while tracing that have not died yet: its size is the target's live sampled
 * objects (about live bytes / rate), whatever the trace's length.
 */
#include "sampled.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "grow.h"
#include "hmap.h"

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

	struct gmt_hmap stacks;	   /* BPF stack id -> stripped id */
	struct gmt_hmap rowmap;	   /* row_hash(stripped id, size) -> rows[] index */
	struct gmt_hmap objects;   /* live object sampled while tracing -> rows[] index */
	struct gmt_hmap inuse_map; /* stripped id -> inuse[] index, built by flush */
	struct gmt_hmap types;	   /* stripped id -> *_type, from the typer */
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
	struct gmt_hmap sstack_map; /* stripped id -> sstacks[] index */
	struct sstack *sstacks;
	size_t nsstacks, cap_sstacks;
	size_t max_rows;
	void (*forget)(void *ctx, uint64_t bpf_stack_id);
	void *forget_ctx;
	struct gmt_sampled_stats mark; /* st at the last snapshot */
	struct gmt_sampled_bounds bounds;
	double live_bytes; /* running estimate of the live heap (interval mode) */
};

static uint64_t row_hash(uint64_t sid, uint64_t size)
{
	return gmt_mix64(sid ^ gmt_mix64(size));
}

struct row_key {
	const struct row *rows;
	uint64_t sid, size;
};

static bool row_is(const void *ctx, uint64_t val)
{
	const struct row_key *k = ctx;

	return k->rows[val].sid == k->sid && k->rows[val].size == k->size;
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
	gmt_hmap_free(&s->sstack_map);
}

void gmt_sampled__free(struct gmt_sampled *s)
{
	if (!s)
		return;
	free_sstacks(s);
	free(s->strip);
	gmt_hmap_free(&s->stacks);
	gmt_hmap_free(&s->rowmap);
	gmt_hmap_free(&s->objects);
	gmt_hmap_free(&s->inuse_map);
	gmt_hmap_free(&s->types);
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

	if (!gmt_hmap_get(&s->sstack_map, sid)) {
		if (s->nsstacks >= s->max_rows) {
			s->bounds.stacks_dropped++;
			if (s->forget)
				s->forget(s->forget_ctx, id);
			return 0;
		}
		if (GMT_GROW(&s->sstacks, &s->cap_sstacks, s->nsstacks + 1))
			return -ENOMEM;
		st = &s->sstacks[s->nsstacks];
		st->pcs = malloc(depth * sizeof(*pcs));
		if (!st->pcs)
			return -ENOMEM;
		memcpy(st->pcs, pcs, depth * sizeof(*pcs));
		st->sid = sid;
		st->depth = depth;
		st->typ = s->typer ? s->typer(s->typer_ctx, pcs, depth) : 0;
		st->truncated = truncated;
		err = gmt_hmap_put(&s->sstack_map, sid, s->nsstacks);
		if (err) {
			free(st->pcs);
			return err;
		}
		s->nsstacks++;
	}
	return gmt_hmap_put(&s->stacks, id, sid);
}

int gmt_sampled__add_stack(struct gmt_sampled *s, uint64_t id, const uint64_t *pcs, uint32_t depth,
			   bool truncated)
{
	uint64_t sid = 0xcbf29ce484222325ULL;
	uint32_t start;
	int err;

	if (!id || !depth || !pcs)
		return -EINVAL;
	if (gmt_hmap_get(&s->stacks, id))
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
			err = gmt_hmap_put(&s->types, sid, typ);
	}
	if (err)
		return err;
	return gmt_hmap_put(&s->stacks, id, sid);
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
	const uint64_t *e = stack_id ? gmt_hmap_get(&s->stacks, stack_id) : NULL;
	uint64_t sid = e ? *e : GMT_AGG_UNKNOWN_STACK_ID; /* walk failed, or record lost */
	struct row_key k = { s->rows, sid, size };
	const uint64_t *r = gmt_hmap_find(&s->rowmap, row_hash(sid, size), row_is, &k);
	uint64_t *old = gmt_hmap_get(&s->objects, p);
	size_t idx;

	if (old) {
		/* Two live objects never share an address: the one we had died, and the
		 * record of its free was lost. */
		object_died(s, *old);
		gmt_hmap_remove(&s->objects, old);
		s->st.unmatched++;
	}
	if (r) {
		idx = *r;
	} else {
		if (s->intervals && s->nrows >= s->max_rows) {
			/* Full until the next eviction: the sample is lost, and counted. */
			s->bounds.samples_dropped++;
			return 0;
		}
		idx = s->nrows;
		if (GMT_GROW(&s->rows, &s->cap_rows, s->nrows + 1) ||
		    !gmt_hmap_add(&s->rowmap, row_hash(sid, size), idx))
			return -ENOMEM;
		s->rows[s->nrows++] = (struct row){.sid = sid, .size = size};
		s->bounds.rows_peak = s->nrows > s->bounds.rows_peak ? s->nrows : s->bounds.rows_peak;
	}
	if (gmt_hmap_put(&s->objects, p, idx))
		return -ENOMEM;
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
	if (gmt_hmap_get(&s->objects, p))
		s->st.buckets++;
	else
		s->st.unmatched++;
	return 0;
}

int gmt_sampled__free_obj(struct gmt_sampled *s, uint64_t p)
{
	uint64_t *e = gmt_hmap_get(&s->objects, p);

	/* Sampled before tracing started (or its sample was lost or dropped). */
	if (!e) {
		s->st.frees_ignored++;
		return 0;
	}
	object_died(s, *e);
	gmt_hmap_remove(&s->objects, e);
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
	const uint64_t *e = gmt_hmap_get(s->intervals ? &s->sstack_map : &s->types, sid);

	if (!e)
		return 0;
	return s->intervals ? s->sstacks[*e].typ : *e;
}

/* The inuse[] index of stripped stack sid, a new one the first time; NULL on -ENOMEM. */
static uint64_t *inuse_slot(struct gmt_sampled *s, uint64_t sid)
{
	bool added;
	uint64_t *e = gmt_hmap_upsert(&s->inuse_map, sid, s->ninuse, &added);

	s->ninuse += e && added;
	return e;
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
		uint64_t *e;
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
		e = inuse_slot(s, r->sid);
		if (!e)
			return -ENOMEM;
		s->inuse[*e].objects += r->live * w;
		s->inuse[*e].bytes += r->live * w * r->size;
	}
	return 0;
}

void gmt_sampled__inuse(const struct gmt_sampled *s, uint64_t agg_stack_id, uint64_t *objects,
			uint64_t *bytes)
{
	const uint64_t *e = gmt_hmap_get(&s->inuse_map, agg_stack_id);

	*objects = e ? (uint64_t)llround(s->inuse[*e].objects) : 0;
	*bytes = e ? (uint64_t)llround(s->inuse[*e].bytes) : 0;
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
	const uint64_t *e = gmt_hmap_get(&s->sstack_map, sid);
	const struct sstack *st;

	if (!e)
		return 0; /* the unknown stack, or one the full table did not keep */
	st = &s->sstacks[*e];
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
	gmt_hmap_clear(&s->inuse_map);
	s->ninuse = 0;
	s->inuse = calloc(s->nrows ? s->nrows : 1, sizeof(*s->inuse));
	if (!s->inuse)
		return -ENOMEM;
	for (size_t i = 0; i < s->nrows && !err; i++) {
		struct row *r = &s->rows[i];
		double w = gmt_sampled_weight(r->size, s->rate);
		uint64_t d = r->samples - r->mark;
		uint64_t *e;

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
		e = err ? NULL : inuse_slot(s, r->sid);
		if (!e && !err)
			err = -ENOMEM;
		if (e) {
			s->inuse[*e].objects += r->live * w;
			s->inuse[*e].bytes += r->live * w * r->size;
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
	struct gmt_hmap rowmap = {0}, objects = {0}, stacks = {0}, smap = {0};
	uint64_t key, val;
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
		const uint64_t *e;

		if (!r->live && r->samples == r->mark) {
			remap[i] = 0;
			s->bounds.rows_evicted++;
			continue;
		}
		s->rows[nr] = *r;
		remap[i] = (uint32_t)++nr;
		if (!gmt_hmap_add(&rowmap, row_hash(r->sid, r->size), nr - 1))
			goto out;
		e = gmt_hmap_get(&s->sstack_map, r->sid);
		if (e)
			used[*e] = true;
	}
	/* A live object's row has something live: it is never evicted. */
	for (size_t pos = 0; gmt_hmap_next(&s->objects, &pos, &key, &val);)
		if (remap[val] && gmt_hmap_put(&objects, key, remap[val] - 1))
			goto out;
	for (size_t i = 0; i < s->nsstacks; i++) {
		if (!used[i]) {
			free(s->sstacks[i].pcs);
			s->bounds.stacks_evicted++;
			continue;
		}
		s->sstacks[ns] = s->sstacks[i];
		if (gmt_hmap_put(&smap, s->sstacks[ns].sid, ns))
			goto out;
		ns++;
	}
	for (size_t pos = 0; gmt_hmap_next(&s->stacks, &pos, &key, &val);) {
		if (gmt_hmap_get(&smap, val)) {
			if (gmt_hmap_put(&stacks, key, val))
				goto out;
		} else if (s->forget) {
			s->forget(s->forget_ctx, key);
		}
	}
	s->nrows = nr;
	s->nsstacks = ns;
	gmt_hmap_free(&s->rowmap);
	gmt_hmap_free(&s->objects);
	gmt_hmap_free(&s->stacks);
	gmt_hmap_free(&s->sstack_map);
	s->rowmap = rowmap;
	s->objects = objects;
	s->stacks = stacks;
	s->sstack_map = smap;
	/* Indices changed: the in-use view of the last snapshot is rebuilt by the next. */
	gmt_hmap_clear(&s->inuse_map);
	free(s->inuse);
	s->inuse = NULL;
	s->ninuse = 0;
	rowmap = objects = stacks = smap = (struct gmt_hmap){0};
	err = 0;
out:
	gmt_hmap_free(&rowmap);
	gmt_hmap_free(&objects);
	gmt_hmap_free(&stacks);
	gmt_hmap_free(&smap);
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
