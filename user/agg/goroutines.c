// SPDX-License-Identifier: MIT
#include "goroutines.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "hmap.h"

#define MAX_TICKS 4096 /* past this, every other sample is dropped */
#define MAX_INLINE 16

struct stack {
	uint64_t *pcs;
	uint32_t depth;
	bool truncated;
};

struct gmt_goroutines {
	struct gmt_hmap stack_idx; /* stack id -> index in stacks */
	struct stack *stacks;
	size_t nstacks, cap_stacks;
	struct gmt_hmap origin_idx; /* origin id -> index in origins */
	struct gmt_gor_origin **origins;
	size_t norigins, cap_origins;
	struct gmt_hmap live; /* goid -> origin index */
	uint64_t *tick_ts;
	double *tick_live;
	size_t nticks, tick_cap; /* every series has tick_cap entries */
	struct gmt_gor_stats st;
	/* The last snapshot's sites (finish), and the same by live count. */
	struct gmt_gor_site *sites;
	struct gmt_gor_site **ranked;
	size_t nsites;
	/* Per origin, between finish's passes. */
	struct oname *onames;
};

/* What finish works out about an origin before sites are formed. */
struct oname {
	char name[160];	     /* the go statement's function, "func (file:line)" */
	char start_fn[128];  /* the goroutine function, as the go statement names it */
	bool named;	     /* name is a symbolized go statement: may be shared */
	bool runtime;
};

struct gmt_goroutines *gmt_goroutines__new(void)
{
	return calloc(1, sizeof(struct gmt_goroutines));
}

void gmt_goroutines__free(struct gmt_goroutines *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->nstacks; i++)
		free(g->stacks[i].pcs);
	free(g->stacks);
	for (size_t i = 0; i < g->norigins; i++) {
		free(g->origins[i]->series);
		free(g->origins[i]);
	}
	free(g->origins);
	free(g->sites);
	free(g->ranked);
	free(g->onames);
	gmt_hmap_free(&g->stack_idx);
	gmt_hmap_free(&g->origin_idx);
	gmt_hmap_free(&g->live);
	free(g->tick_ts);
	free(g->tick_live);
	free(g);
}

int gmt_goroutines__add_stack(struct gmt_goroutines *g, uint64_t id, const uint64_t *pcs,
			      uint32_t depth, bool truncated)
{
	struct stack *s;

	if (!id || !depth || !pcs)
		return -EINVAL;
	if (gmt_hmap_get(&g->stack_idx, id))
		return 0;
	if (GMT_GROW(&g->stacks, &g->cap_stacks, g->nstacks + 1))
		return -ENOMEM;
	s = &g->stacks[g->nstacks];
	s->pcs = malloc(depth * sizeof(*pcs));
	if (!s->pcs)
		return -ENOMEM;
	memcpy(s->pcs, pcs, depth * sizeof(*pcs));
	s->depth = depth;
	s->truncated = truncated;
	if (gmt_hmap_put(&g->stack_idx, id, g->nstacks)) {
		free(s->pcs);
		return -ENOMEM;
	}
	g->nstacks++;
	return 0;
}

/* The origin of id, created when new; NULL on -ENOMEM. */
static struct gmt_gor_origin *origin_get(struct gmt_goroutines *g, uint64_t id, bool pre,
					 uint64_t stack_id, uint64_t gopc, uint64_t start_pc,
					 uint64_t *idx)
{
	uint64_t *v = gmt_hmap_get(&g->origin_idx, id);
	struct gmt_gor_origin *o;

	if (v) {
		*idx = *v;
		o = g->origins[*v];
		if (!o->start_pc)
			o->start_pc = start_pc;
		return o;
	}
	if (GMT_GROW(&g->origins, &g->cap_origins, g->norigins + 1))
		return NULL;
	o = calloc(1, sizeof(*o));
	if (o && g->tick_cap)
		o->series = calloc(g->tick_cap, sizeof(*o->series)); /* 0 live until now */
	if (!o || (g->tick_cap && !o->series) ||
	    gmt_hmap_put(&g->origin_idx, id, g->norigins)) {
		if (o)
			free(o->series);
		free(o);
		return NULL;
	}
	o->id = id;
	o->stack_id = stack_id;
	o->preexisting = pre;
	o->gopc = gopc;
	o->start_pc = start_pc;
	*idx = g->norigins;
	g->origins[g->norigins++] = o;
	return o;
}

int gmt_goroutines__preexisting(struct gmt_goroutines *g, uint64_t goid, uint64_t gopc,
				uint64_t start_pc)
{
	/* Odd: never the id of a created goroutine's origin (even). */
	uint64_t id = gmt_mix64(gopc ^ gmt_mix64(start_pc)) | 1, idx;
	struct gmt_gor_origin *o;

	if (gmt_hmap_get(&g->live, goid))
		return 0; /* its creation was recorded already */
	o = origin_get(g, id, true, 0, gopc, start_pc, &idx);
	if (!o || gmt_hmap_put(&g->live, goid, idx))
		return -ENOMEM;
	o->pre++;
	o->live++;
	g->st.preexisting++;
	return 0;
}

void gmt_goroutines__set_enumerated(struct gmt_goroutines *g, bool done)
{
	g->st.enumerated = done;
}

int gmt_goroutines__created(struct gmt_goroutines *g, uint64_t ts, uint64_t goid,
			    uint64_t stack_id, uint64_t start_pc)
{
	/* A creation stack may run a go statement of a func value: one origin per function. */
	uint64_t id = gmt_mix64(stack_id ^ gmt_mix64(start_pc)) & ~1ULL, idx;
	uint64_t *old = gmt_hmap_get(&g->live, goid);
	struct gmt_gor_origin *o;

	if (old) {
		/* Enumerated at attach after its creation was in flight: the record wins.
		 * (A goid created twice cannot happen; were it to, the later one counts.) */
		struct gmt_gor_origin *p = g->origins[*old];

		p->live--;
		if (p->preexisting) {
			p->pre--;
			g->st.preexisting--;
		}
	}
	o = origin_get(g, id, false, stack_id, 0, start_pc, &idx);
	if (!o || gmt_hmap_put(&g->live, goid, idx))
		return -ENOMEM;
	o->created++;
	o->live++;
	g->st.created++;
	return 0;
}

int gmt_goroutines__exited(struct gmt_goroutines *g, uint64_t ts, uint64_t goid)
{
	uint64_t *v = gmt_hmap_get(&g->live, goid);
	struct gmt_gor_origin *o;

	if (!v) {
		g->st.exited_unknown++;
		return 0;
	}
	o = g->origins[*v];
	o->live--;
	o->exited++;
	if (o->preexisting)
		g->st.exited_pre++;
	g->st.exited++;
	gmt_hmap_del(&g->live, goid);
	return 0;
}

/* Keeps every other sample (the later of each pair) of every series. */
static void halve_ticks(struct gmt_goroutines *g)
{
	size_t n = g->nticks / 2;

	for (size_t i = 0; i < n; i++) {
		g->tick_ts[i] = g->tick_ts[2 * i + 1];
		g->tick_live[i] = g->tick_live[2 * i + 1];
		for (size_t k = 0; k < g->norigins; k++)
			g->origins[k]->series[i] = g->origins[k]->series[2 * i + 1];
	}
	g->nticks = n;
}

int gmt_goroutines__tick(struct gmt_goroutines *g, uint64_t ts)
{
	size_t n;
	double total = 0;

	if (g->nticks == MAX_TICKS)
		halve_ticks(g);
	n = g->nticks;
	if (n == g->tick_cap) {
		/* Every series grows to the same capacity: asked for exactly, from tick_cap. */
		size_t want = n ? 2 * n : 16, cap = g->tick_cap;

		if (GMT_GROW(&g->tick_ts, &cap, want))
			return -ENOMEM;
		cap = g->tick_cap;
		if (GMT_GROW(&g->tick_live, &cap, want))
			return -ENOMEM;
		for (size_t k = 0; k < g->norigins; k++) {
			cap = g->tick_cap;
			if (GMT_GROW(&g->origins[k]->series, &cap, want))
				return -ENOMEM;
		}
		g->tick_cap = cap;
	}
	for (size_t k = 0; k < g->norigins; k++) {
		struct gmt_gor_origin *o = g->origins[k];

		o->series[n] = o->live > UINT32_MAX ? UINT32_MAX : (uint32_t)o->live;
		total += (double)o->live;
	}
	g->tick_ts[n] = ts;
	g->tick_live[n] = total;
	g->nticks = n + 1;
	return 0;
}

bool gmt_goroutines_is_runtime_fn(const char *fn)
{
	/* isSystemGoroutine's exceptions: the main goroutine and coroutines (go1.23+). */
	return fn && strncmp(fn, "runtime.", 8) == 0 && strcmp(fn, "runtime.main") != 0 &&
	       strcmp(fn, "runtime.corostart") != 0;
}

/* The innermost frame at a return address, as "func (file:line)"; false if none. */
static bool describe_pc(const struct gmt_symbolizer *sym, uint64_t ret_addr, char *buf,
			size_t len)
{
	struct gmt_frame fr[MAX_INLINE];
	const char *base;

	if (gmt_symbolize_pc(sym, ret_addr, fr, MAX_INLINE) < 1 || !fr[0].func)
		return false;
	base = fr[0].file ? strrchr(fr[0].file, '/') : NULL;
	snprintf(buf, len, "%s (%s:%u)", fr[0].func, base ? base + 1 : fr[0].file ? fr[0].file : "?",
		 fr[0].line);
	return true;
}

static void name_origin(const struct gmt_goroutines *g, const struct gmt_symbolizer *sym,
			const struct gmt_gor_origin *o, struct oname *on)
{
	struct gmt_frame fr[MAX_INLINE];
	const char *entry_fn = "";
	uint64_t *v;
	int n;

	memset(on, 0, sizeof(*on));
	/* An entry, not a return address: frames() looks at ret_addr - 1. */
	if (o->start_pc) {
		n = gmt_symbolize_pc(sym, o->start_pc + 1, fr, MAX_INLINE);
		if (n >= 1 && fr[n - 1].func)
			entry_fn = fr[n - 1].func;
		if (!sym->go_func ||
		    sym->go_func(sym->ctx, o->start_pc, on->start_fn, sizeof(on->start_fn)))
			snprintf(on->start_fn, sizeof(on->start_fn), "%s", entry_fn);
	}
	/* What isSystemGoroutine looks at: the entry's function, a wrapper's own. */
	on->runtime = gmt_goroutines_is_runtime_fn(entry_fn);
	if (o->preexisting) {
		on->named = o->gopc && describe_pc(sym, o->gopc, on->name, sizeof(on->name));
		if (!on->named)
			snprintf(on->name, sizeof(on->name), "[pre-existing]");
		return;
	}
	v = o->stack_id ? gmt_hmap_get(&g->stack_idx, o->stack_id) : NULL;
	on->named = v && describe_pc(sym, g->stacks[*v].pcs[0], on->name, sizeof(on->name));
	if (!on->named)
		snprintf(on->name, sizeof(on->name), "%s", v ? "[unsymbolized]" : "[unknown stack]");
}

/* The last sample at or before t, or before the first sample the origin's start value. */
static uint64_t live_at(const struct gmt_goroutines *g, const struct gmt_gor_origin *o,
			uint64_t t)
{
	size_t lo = 0, hi = g->nticks;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (g->tick_ts[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? o->series[lo - 1] : o->pre;
}

static uint64_t hash_str(uint64_t h, const char *s)
{
	while (*s)
		h = gmt_mix64(h ^ (uint8_t)*s++);
	return gmt_mix64(h ^ 0xff);
}

struct site_key {
	const struct gmt_goroutines *g;
	const struct oname *on;
};

static bool site_is(const void *ctx, uint64_t val)
{
	const struct site_key *k = ctx;
	const struct gmt_gor_site *s = &k->g->sites[val];

	return strcmp(s->name, k->on->name) == 0 && strcmp(s->start_fn, k->on->start_fn) == 0;
}

/*
 * The site of origin i: the one named the same (go statement and goroutine function), or
 * a new one.  Unnamed origins get a site each: "[unsymbolized]" says nothing in common.
 */
static int site_for(struct gmt_goroutines *g, struct gmt_hmap *idx, size_t i, size_t *out)
{
	const struct gmt_gor_origin *o = g->origins[i];
	const struct oname *on = &g->onames[i];
	uint64_t key = on->named ? hash_str(hash_str(0, on->name), on->start_fn) : o->id;
	struct site_key k = { g, on };
	struct gmt_gor_site *s;
	uint64_t *v;

	if (on->named) {
		v = gmt_hmap_find(idx, key, site_is, &k);
		if (v) {
			*out = *v;
			return 0;
		}
		if (!gmt_hmap_add(idx, key, g->nsites))
			return -ENOMEM;
	}
	s = &g->sites[g->nsites];
	memset(s, 0, sizeof(*s));
	s->id = key;
	s->start_pc = o->start_pc;
	s->preexisting = true;
	s->runtime = on->runtime;
	snprintf(s->name, sizeof(s->name), "%s", on->name);
	snprintf(s->start_fn, sizeof(s->start_fn), "%s", on->start_fn);
	*out = g->nsites++;
	return 0;
}

static void classify(struct gmt_gor_site *s)
{
	unsigned int rises = 0;
	bool fell = false;

	for (int k = 1; k <= GMT_GOR_BUCKETS; k++) {
		if (s->buckets[k] > s->buckets[k - 1])
			rises++;
		else if (s->buckets[k] < s->buckets[k - 1])
			fell = true;
	}
	s->leak = !fell && rises * 3 >= GMT_GOR_BUCKETS &&
		  s->buckets[GMT_GOR_BUCKETS] > s->buckets[0];
}

/* The go statement pc of a creation stack origin, 0 when its stack is unknown. */
static uint64_t stack_gopc(const struct gmt_goroutines *g, const struct gmt_gor_origin *o)
{
	uint64_t *v = o->stack_id ? gmt_hmap_get(&g->stack_idx, o->stack_id) : NULL;

	return v ? g->stacks[*v].pcs[0] : 0;
}

/* Adds origin o to its site: counts, and its live count at each slice end. */
static void add_to_site(const struct gmt_goroutines *g, const struct gmt_gor_origin *o,
			struct gmt_gor_site *s, uint64_t start_ns, uint64_t end_ns)
{
	s->created += o->created;
	s->exited += o->exited;
	s->pre += o->pre;
	s->live += o->live;
	if (!o->preexisting) {
		s->preexisting = false;
		s->nstacks++;
	}
	if (!s->gopc)
		s->gopc = o->preexisting ? o->gopc : stack_gopc(g, o);
	s->buckets[0] += o->pre;
	for (int k = 1; k <= GMT_GOR_BUCKETS; k++) {
		uint64_t t = start_ns + (end_ns - start_ns) * k / GMT_GOR_BUCKETS;

		s->buckets[k] += k == GMT_GOR_BUCKETS ? o->live : live_at(g, o, t);
	}
}

#define MANY UINT64_MAX

/*
 * A pre-existing origin's creation stack is unknown; when its site saw exactly one
 * creation stack leave from the same go statement pc while tracing, that is the one
 * (goroutines.folded then keeps the site in one place).
 */
static int set_fold_stacks(struct gmt_goroutines *g)
{
	struct gmt_hmap by_pc = {}; /* (site, go statement pc) -> origin index + 1, or MANY */
	int err = 0;

	for (size_t i = 0; i < g->norigins && !err; i++) {
		const struct gmt_gor_origin *o = g->origins[i];
		uint64_t pc = stack_gopc(g, o), key = gmt_mix64(o->row) ^ pc, *v;

		if (!pc)
			continue;
		v = gmt_hmap_get(&by_pc, key);
		if (v)
			*v = MANY; /* a second stack (or a colliding key: no guess either way) */
		else
			err = gmt_hmap_put(&by_pc, key, i + 1);
	}
	for (size_t i = 0; i < g->norigins && !err; i++) {
		struct gmt_gor_origin *p = g->origins[i];
		uint64_t *v = p->preexisting && p->gopc
				      ? gmt_hmap_get(&by_pc, gmt_mix64(p->row) ^ p->gopc)
				      : NULL;
		const struct gmt_gor_origin *o = v && *v != MANY ? g->origins[*v - 1] : NULL;

		p->fold_stack = o && o->row == p->row && stack_gopc(g, o) == p->gopc ? o->stack_id : 0;
	}
	gmt_hmap_free(&by_pc);
	return err;
}

static int cmp_site(const void *pa, const void *pb)
{
	const struct gmt_gor_site *a = *(const struct gmt_gor_site *const *)pa;
	const struct gmt_gor_site *b = *(const struct gmt_gor_site *const *)pb;

	if (a->live != b->live)
		return a->live < b->live ? 1 : -1;
	if (a->created != b->created)
		return a->created < b->created ? 1 : -1;
	return a->id < b->id ? -1 : a->id > b->id;
}

int gmt_goroutines__finish(struct gmt_goroutines *g, const struct gmt_symbolizer *sym,
			   uint64_t start_ns, uint64_t end_ns)
{
	size_t n = g->norigins ? g->norigins : 1;
	struct gmt_hmap idx = {};
	int err;

	if (end_ns < start_ns)
		end_ns = start_ns;
	err = gmt_goroutines__tick(g, end_ns);
	if (err)
		return err;
	/* The sites are formed anew: the origins' names may have been learnt since. */
	free(g->sites);
	free(g->ranked);
	free(g->onames);
	g->nsites = 0;
	g->sites = calloc(n, sizeof(*g->sites));
	g->ranked = calloc(n, sizeof(*g->ranked));
	g->onames = calloc(n, sizeof(*g->onames));
	if (!g->sites || !g->ranked || !g->onames)
		goto nomem;
	for (size_t i = 0; i < g->norigins; i++)
		name_origin(g, sym, g->origins[i], &g->onames[i]);
	for (size_t i = 0; i < g->norigins; i++) {
		struct gmt_gor_origin *o = g->origins[i];

		if (site_for(g, &idx, i, &o->row))
			goto nomem;
		add_to_site(g, o, &g->sites[o->row], start_ns, end_ns);
	}
	gmt_hmap_free(&idx);
	free(g->onames);
	g->onames = NULL;
	for (size_t i = 0; i < g->norigins; i++)
		g->origins[i]->site = &g->sites[g->origins[i]->row];
	if (set_fold_stacks(g))
		goto nomem;
	g->st.live = g->st.live_runtime = g->st.leak_sites = 0;
	for (size_t i = 0; i < g->nsites; i++) {
		struct gmt_gor_site *s = &g->sites[i];

		classify(s);
		if (s->runtime)
			g->st.live_runtime += s->live;
		else
			g->st.live += s->live;
		g->st.leak_sites += s->leak && !s->runtime;
		g->ranked[i] = s;
	}
	g->st.sites = g->nsites;
	if (g->nsites)
		qsort(g->ranked, g->nsites, sizeof(*g->ranked), cmp_site);
	return 0;
nomem:
	gmt_hmap_free(&idx);
	free(g->sites);
	free(g->ranked);
	free(g->onames);
	g->sites = NULL;
	g->ranked = NULL;
	g->onames = NULL;
	g->nsites = 0;
	for (size_t i = 0; i < g->norigins; i++)
		g->origins[i]->site = NULL;
	return -ENOMEM;
}

void gmt_goroutines__stats(const struct gmt_goroutines *g, struct gmt_gor_stats *st)
{
	*st = g->st;
}

size_t gmt_goroutines__sites(const struct gmt_goroutines *g, const struct gmt_gor_site *const **out)
{
	*out = (const struct gmt_gor_site *const *)g->ranked;
	return g->ranked ? g->nsites : 0;
}

size_t gmt_goroutines__origins(const struct gmt_goroutines *g,
			       const struct gmt_gor_origin *const **out)
{
	*out = (const struct gmt_gor_origin *const *)g->origins;
	return g->ranked ? g->norigins : 0;
}

bool gmt_goroutines__stack(const struct gmt_goroutines *g, uint64_t id, const uint64_t **pcs,
			   uint32_t *depth, bool *truncated)
{
	uint64_t *v = id ? gmt_hmap_get(&g->stack_idx, id) : NULL;

	if (!v)
		return false;
	*pcs = g->stacks[*v].pcs;
	*depth = g->stacks[*v].depth;
	*truncated = g->stacks[*v].truncated;
	return true;
}

size_t gmt_goroutines__track(const struct gmt_goroutines *g, const uint64_t **ts,
			     const double **live)
{
	*ts = g->tick_ts;
	*live = g->tick_live;
	return g->nticks;
}
