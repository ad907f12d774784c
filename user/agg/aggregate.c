// SPDX-License-Identifier: MIT
/*
 * The allocation aggregator.  Stacks and (stack, type, size) rows live in dense arrays
 * indexed through hash tables (hmap.h), so an add costs one probe sequence and finishing
 * costs one pass over the rows plus the sorts: nothing scans per event.
 */
#include "aggregate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gomemtrace.h"
#include "grow.h"
#include "hmap.h"
#include "sizeclass.h"

struct row {
	uint64_t stack_id, typ, size, count;
};

struct gmt_agg {
	const struct gmt_go_release *row;
	bool finished;

	struct gmt_agg_stack *stacks; /* pcs of each are malloc'd */
	size_t nstacks, cap_stacks;
	struct gmt_hmap stack_tab; /* id -> stacks[] */

	struct row *rows;
	size_t nrows, cap_rows;
	struct gmt_hmap row_tab; /* row_hash(stack_id, typ, size) -> rows[] */

	struct gmt_rate_point *rate;
	size_t nrate, cap_rate;

	/* Built by gmt_agg__finish. */
	struct gmt_agg_type *types;
	size_t ntypes, cap_types;
	struct gmt_hmap type_tab; /* typ -> types[] */
	const struct gmt_agg_stack **by_bytes, **by_count;
	size_t nview;
	const struct gmt_agg_type **types_sorted;
	struct gmt_agg_totals totals;
};

static uint64_t row_hash(uint64_t stack_id, uint64_t typ, uint64_t size)
{
	return gmt_mix64(stack_id ^ gmt_mix64(typ ^ gmt_mix64(size)));
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

struct row_key {
	const struct gmt_agg *a;
	uint64_t stack_id, typ, size;
};

static bool row_is(const void *ctx, uint64_t val)
{
	const struct row_key *k = ctx;
	const struct row *r = &k->a->rows[val];

	return r->stack_id == k->stack_id && r->typ == k->typ && r->size == k->size;
}

struct gmt_agg *gmt_agg__new(const struct gmt_go_release *row)
{
	struct gmt_agg *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->row = row;
	return a;
}

void gmt_agg__free(struct gmt_agg *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nstacks; i++)
		free((void *)a->stacks[i].pcs);
	free(a->stacks);
	gmt_hmap_free(&a->stack_tab);
	free(a->rows);
	gmt_hmap_free(&a->row_tab);
	free(a->rate);
	free(a->types);
	gmt_hmap_free(&a->type_tab);
	free(a->by_bytes);
	free(a->by_count);
	free(a->types_sorted);
	free(a);
}

int gmt_agg__add_stack(struct gmt_agg *a, uint64_t id, const uint64_t *pcs, uint32_t depth,
		       bool truncated)
{
	struct gmt_agg_stack *s;
	uint64_t *copy;

	if (!a || a->finished || id == GMT_AGG_UNKNOWN_STACK_ID || !depth || !pcs)
		return -EINVAL;
	if (depth > GMT_MAX_STACK)
		depth = GMT_MAX_STACK;
	if (gmt_hmap_get(&a->stack_tab, id))
		return 0; /* the BPF side re-sends stacks once its own table is full */
	if (GMT_GROW(&a->stacks, &a->cap_stacks, a->nstacks + 1))
		return -ENOMEM;
	copy = malloc(depth * sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	memcpy(copy, pcs, depth * sizeof(*copy));
	if (gmt_hmap_put(&a->stack_tab, id, a->nstacks)) {
		free(copy);
		return -ENOMEM;
	}
	s = &a->stacks[a->nstacks];
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->pcs = copy;
	s->depth = depth;
	s->truncated = truncated;
	a->nstacks++;
	return 0;
}

int gmt_agg__add_allocs(struct gmt_agg *a, uint64_t stack_id, uint64_t typ, uint64_t size,
			uint64_t count)
{
	uint64_t h = row_hash(stack_id, typ, size), *v;
	struct row_key k = { a, stack_id, typ, size };

	if (!a || a->finished)
		return -EINVAL;
	if (!count)
		return 0;
	v = gmt_hmap_find(&a->row_tab, h, row_is, &k);
	if (v) {
		a->rows[*v].count = add_sat(a->rows[*v].count, count);
		return 0;
	}
	if (GMT_GROW(&a->rows, &a->cap_rows, a->nrows + 1) ||
	    !gmt_hmap_add(&a->row_tab, h, a->nrows))
		return -ENOMEM;
	a->rows[a->nrows++] = (struct row){ stack_id, typ, size, count };
	return 0;
}

int gmt_agg__add_rate_point(struct gmt_agg *a, uint64_t ts_ns, uint64_t allocs, uint64_t bytes)
{
	if (!a || a->finished)
		return -EINVAL;
	if (GMT_GROW(&a->rate, &a->cap_rate, a->nrate + 1))
		return -ENOMEM;
	a->rate[a->nrate++] = (struct gmt_rate_point){ ts_ns, allocs, bytes };
	return 0;
}

/* The type entry for typ, resolving it through the symbolizer the first time. */
static int type_for(struct gmt_agg *a, const struct gmt_symbolizer *sym, uint64_t typ,
		    struct gmt_agg_type **out)
{
	struct gmt_agg_type *t;
	uint64_t *v = gmt_hmap_get(&a->type_tab, typ);

	if (v) {
		*out = &a->types[*v];
		return 0;
	}
	if (GMT_GROW(&a->types, &a->cap_types, a->ntypes + 1) ||
	    gmt_hmap_put(&a->type_tab, typ, a->ntypes))
		return -ENOMEM;
	t = &a->types[a->ntypes];
	memset(t, 0, sizeof(*t));
	t->typ = typ;
	if (typ && sym && sym->type_info && sym->type_info(sym->ctx, typ, &t->info) >= 0) {
		t->known = true;
		t->info.name[sizeof(t->info.name) - 1] = 0;
	} else {
		memset(&t->info, 0, sizeof(t->info));
	}
	a->ntypes++;
	*out = t;
	return 0;
}

static int stack_index(struct gmt_agg *a, uint64_t id, size_t *unknown_idx, size_t *out)
{
	uint64_t *v = id != GMT_AGG_UNKNOWN_STACK_ID ? gmt_hmap_get(&a->stack_tab, id) : NULL;

	if (v) {
		*out = *v;
		return 0;
	}
	if (*unknown_idx == SIZE_MAX) {
		/* Not in stack_tab: a lookup of id 0 must keep missing. */
		if (GMT_GROW(&a->stacks, &a->cap_stacks, a->nstacks + 1))
			return -ENOMEM;
		memset(&a->stacks[a->nstacks], 0, sizeof(a->stacks[0]));
		*unknown_idx = a->nstacks++;
	}
	*out = *unknown_idx;
	return 1;
}

static int hist_bucket(uint64_t size)
{
	return 63 - __builtin_clzll(size); /* size > 0 */
}

static int cmp_u64_desc(uint64_t a, uint64_t b)
{
	return a < b ? 1 : a > b ? -1 : 0;
}

static int cmp_stack_tail(const struct gmt_agg_stack *a, const struct gmt_agg_stack *b)
{
	/* The unknown stack sorts after real stacks of equal weight; then by id. */
	if (gmt_agg_stack_is_unknown(a) != gmt_agg_stack_is_unknown(b))
		return gmt_agg_stack_is_unknown(a) ? 1 : -1;
	return a->id < b->id ? -1 : a->id > b->id;
}

static int cmp_stack_bytes(const void *pa, const void *pb)
{
	const struct gmt_agg_stack *a = *(const struct gmt_agg_stack *const *)pa;
	const struct gmt_agg_stack *b = *(const struct gmt_agg_stack *const *)pb;
	int c = cmp_u64_desc(a->bytes, b->bytes);

	if (!c)
		c = cmp_u64_desc(a->count, b->count);
	if (!c)
		c = cmp_u64_desc(a->zero_size, b->zero_size);
	return c ? c : cmp_stack_tail(a, b);
}

static int cmp_stack_count(const void *pa, const void *pb)
{
	const struct gmt_agg_stack *a = *(const struct gmt_agg_stack *const *)pa;
	const struct gmt_agg_stack *b = *(const struct gmt_agg_stack *const *)pb;
	int c = cmp_u64_desc(a->count, b->count);

	if (!c)
		c = cmp_u64_desc(a->bytes, b->bytes);
	if (!c)
		c = cmp_u64_desc(a->zero_size, b->zero_size);
	return c ? c : cmp_stack_tail(a, b);
}

static int cmp_type(const void *pa, const void *pb)
{
	const struct gmt_agg_type *a = *(const struct gmt_agg_type *const *)pa;
	const struct gmt_agg_type *b = *(const struct gmt_agg_type *const *)pb;
	int c = cmp_u64_desc(a->bytes, b->bytes);

	if (!c)
		c = cmp_u64_desc(a->count, b->count);
	if (!c)
		c = cmp_u64_desc(a->zero_size, b->zero_size);
	return c ? c : (a->typ < b->typ ? -1 : a->typ > b->typ);
}

static int cmp_rate(const void *pa, const void *pb)
{
	const struct gmt_rate_point *a = pa, *b = pb;

	if (a->ts_ns != b->ts_ns)
		return a->ts_ns < b->ts_ns ? -1 : 1;
	return a->allocs < b->allocs ? -1 : a->allocs > b->allocs;
}

static int account_row(struct gmt_agg *a, const struct gmt_symbolizer *sym, const struct row *r,
		       size_t *unknown_idx)
{
	struct gmt_agg_totals *tot = &a->totals;
	struct gmt_agg_type *t;
	struct gmt_agg_stack *s;
	uint64_t bytes, reserved;
	size_t si;
	bool noscan;
	int err, unknown;

	err = type_for(a, sym, r->typ, &t);
	if (err)
		return err;
	unknown = stack_index(a, r->stack_id, unknown_idx, &si);
	if (unknown < 0)
		return unknown;
	s = &a->stacks[si];
	if (r->size == 0) {
		s->zero_size = add_sat(s->zero_size, r->count);
		t->zero_size = add_sat(t->zero_size, r->count);
		tot->zero_size = add_sat(tot->zero_size, r->count);
		return 0;
	}
	/* An unresolved type might hold pointers: assume it does, as mallocgc would see it. */
	noscan = r->typ == 0 || (t->known && t->info.ptrbytes == 0);
	bytes = mul_sat(r->size, r->count);
	reserved = gmt_go_alloc_size_n(r->size, noscan, a->row, r->count);

	s->count = add_sat(s->count, r->count);
	s->bytes = add_sat(s->bytes, bytes);
	s->reserved = add_sat(s->reserved, reserved);
	s->hist[hist_bucket(r->size)] += r->count;
	t->count = add_sat(t->count, r->count);
	t->bytes = add_sat(t->bytes, bytes);
	t->reserved = add_sat(t->reserved, reserved);
	tot->allocs = add_sat(tot->allocs, r->count);
	tot->bytes = add_sat(tot->bytes, bytes);
	tot->reserved = add_sat(tot->reserved, reserved);
	if (unknown)
		tot->unknown_stack_allocs = add_sat(tot->unknown_stack_allocs, r->count);
	return 0;
}

size_t gmt_agg__stack_types(const struct gmt_agg *a, uint64_t stack_id,
			    struct gmt_agg_stack_type *out, size_t max)
{
	size_t n = 0;

	if (!a->finished || !max)
		return 0;
	/* One pass over the rows: called for a few stacks (report.html's hot paths). */
	for (size_t i = 0; i < a->nrows; i++) {
		const struct row *r = &a->rows[i];
		const uint64_t *v;
		size_t k;

		if (r->stack_id != stack_id || !r->size || !(v = gmt_hmap_get(&a->type_tab, r->typ)))
			continue;
		for (k = 0; k < n && out[k].type != &a->types[*v]; k++)
			;
		if (k == n) {
			if (n == max)
				continue;
			out[n++] = (struct gmt_agg_stack_type){ .type = &a->types[*v] };
		}
		out[k].count = add_sat(out[k].count, r->count);
		out[k].bytes = add_sat(out[k].bytes, mul_sat(r->size, r->count));
	}
	/* by bytes, a few entries: insertion sort */
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && out[k].bytes > out[k - 1].bytes; k--) {
			struct gmt_agg_stack_type t = out[k];

			out[k] = out[k - 1];
			out[k - 1] = t;
		}
	return n;
}

int gmt_agg__finish(struct gmt_agg *a, const struct gmt_symbolizer *sym)
{
	size_t unknown_idx = SIZE_MAX, n = 0;
	int err;

	if (!a || a->finished)
		return -EINVAL;
	a->finished = true; /* even on failure: the tables may be half-accounted */
	memset(&a->totals, 0, sizeof(a->totals));
	for (size_t i = 0; i < a->nrows; i++) {
		err = account_row(a, sym, &a->rows[i], &unknown_idx);
		if (err)
			return err;
	}

	/* The stacks array no longer moves: pointers into it are safe from here on. */
	a->by_bytes = calloc(a->nstacks ? a->nstacks : 1, sizeof(*a->by_bytes));
	a->by_count = calloc(a->nstacks ? a->nstacks : 1, sizeof(*a->by_count));
	a->types_sorted = calloc(a->ntypes ? a->ntypes : 1, sizeof(*a->types_sorted));
	if (!a->by_bytes || !a->by_count || !a->types_sorted)
		return -ENOMEM;
	for (size_t i = 0; i < a->nstacks; i++) {
		const struct gmt_agg_stack *s = &a->stacks[i];

		/* A stack can arrive without rows (its allocations were dropped). */
		if (s->count || s->zero_size)
			a->by_bytes[n++] = s;
	}
	a->nview = n;
	memcpy(a->by_count, a->by_bytes, n * sizeof(*a->by_count));
	qsort(a->by_bytes, n, sizeof(*a->by_bytes), cmp_stack_bytes);
	qsort(a->by_count, n, sizeof(*a->by_count), cmp_stack_count);
	a->totals.stacks = n;

	for (size_t i = 0; i < a->ntypes; i++)
		a->types_sorted[i] = &a->types[i];
	qsort(a->types_sorted, a->ntypes, sizeof(*a->types_sorted), cmp_type);

	if (a->nrate)
		qsort(a->rate, a->nrate, sizeof(*a->rate), cmp_rate);
	return 0;
}

static const struct gmt_agg_totals zero_totals;

const struct gmt_agg_totals *gmt_agg__totals(const struct gmt_agg *a)
{
	return a ? &a->totals : &zero_totals;
}

size_t gmt_agg__stacks_by_bytes(const struct gmt_agg *a, const struct gmt_agg_stack *const **out)
{
	*out = a ? a->by_bytes : NULL;
	return a && a->by_bytes ? a->nview : 0;
}

size_t gmt_agg__stacks_by_count(const struct gmt_agg *a, const struct gmt_agg_stack *const **out)
{
	*out = a ? a->by_count : NULL;
	return a && a->by_count ? a->nview : 0;
}

size_t gmt_agg__types(const struct gmt_agg *a, const struct gmt_agg_type *const **out)
{
	*out = a ? a->types_sorted : NULL;
	return a && a->types_sorted ? a->ntypes : 0;
}

size_t gmt_agg__rate(const struct gmt_agg *a, const struct gmt_rate_point **out)
{
	*out = a ? a->rate : NULL;
	return a ? a->nrate : 0;
}

const struct gmt_go_release *gmt_agg__release(const struct gmt_agg *a)
{
	return a ? a->row : NULL;
}
