// SPDX-License-Identifier: MIT
#include "goroutines.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bits.h"
#include "outputs.h"
#include "u64map.h"

#define MAX_TICKS 4096 /* past this, every other sample is dropped */
#define MAX_INLINE 16

struct stack {
	uint64_t *pcs;
	uint32_t depth;
	bool truncated;
};

struct gmt_goroutines {
	struct gmt_u64map stack_idx; /* stack id -> index in stacks */
	struct stack *stacks;
	size_t nstacks;
	struct gmt_u64map site_idx; /* site id -> index in sites */
	struct gmt_gor_site **sites;
	size_t nsites;
	struct gmt_u64map live; /* goid -> site index */
	uint64_t *tick_ts;
	double *tick_live;
	size_t nticks, tick_cap; /* every series has tick_cap entries */
	struct gmt_gor_stats st;
	struct gmt_gor_site **ranked; /* sites by live count: the last snapshot's order */
	size_t nranked;
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
	for (size_t i = 0; i < g->nsites; i++) {
		free(g->sites[i]->series);
		free(g->sites[i]);
	}
	free(g->sites);
	free(g->ranked);
	gmt_u64map_free(&g->stack_idx);
	gmt_u64map_free(&g->site_idx);
	gmt_u64map_free(&g->live);
	free(g->tick_ts);
	free(g->tick_live);
	free(g);
}

/* Room for one more element in an array whose capacity is the next power of two. */
static int grow(void **arr, size_t n, size_t size)
{
	void *p;

	if (n && (n & (n - 1)))
		return 0;
	p = realloc(*arr, (n ? 2 * n : 16) * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	return 0;
}

int gmt_goroutines__add_stack(struct gmt_goroutines *g, uint64_t id, const uint64_t *pcs,
			      uint32_t depth, bool truncated)
{
	struct stack *s;

	if (!id || !depth || !pcs)
		return -EINVAL;
	if (gmt_u64map_get(&g->stack_idx, id))
		return 0;
	if (grow((void **)&g->stacks, g->nstacks, sizeof(*g->stacks)))
		return -ENOMEM;
	s = &g->stacks[g->nstacks];
	s->pcs = malloc(depth * sizeof(*pcs));
	if (!s->pcs)
		return -ENOMEM;
	memcpy(s->pcs, pcs, depth * sizeof(*pcs));
	s->depth = depth;
	s->truncated = truncated;
	if (gmt_u64map_put(&g->stack_idx, id, g->nstacks)) {
		free(s->pcs);
		return -ENOMEM;
	}
	g->nstacks++;
	return 0;
}

/* The site of id, created when new; NULL on -ENOMEM. */
static struct gmt_gor_site *site_get(struct gmt_goroutines *g, uint64_t id, bool pre,
				     uint64_t gopc, uint64_t start_pc, uint64_t *idx)
{
	uint64_t *v = gmt_u64map_get(&g->site_idx, id);
	struct gmt_gor_site *s;

	if (v) {
		*idx = *v;
		s = g->sites[*v];
		if (!s->start_pc)
			s->start_pc = start_pc;
		return s;
	}
	if (grow((void **)&g->sites, g->nsites, sizeof(*g->sites)))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s && g->tick_cap)
		s->series = calloc(g->tick_cap, sizeof(*s->series)); /* 0 live until now */
	if (!s || (g->tick_cap && !s->series) || gmt_u64map_put(&g->site_idx, id, g->nsites)) {
		if (s)
			free(s->series);
		free(s);
		return NULL;
	}
	s->id = id;
	s->preexisting = pre;
	s->gopc = gopc;
	s->start_pc = start_pc;
	*idx = g->nsites;
	g->sites[g->nsites++] = s;
	return s;
}

int gmt_goroutines__preexisting(struct gmt_goroutines *g, uint64_t goid, uint64_t gopc,
				uint64_t start_pc)
{
	/* Tagged so that it cannot be a creation stack's id (those are walk hashes). */
	uint64_t id = gmt_mix64(gopc ^ gmt_mix64(start_pc)) | 1, idx;
	struct gmt_gor_site *s;

	if (gmt_u64map_get(&g->live, goid))
		return 0; /* its creation was recorded already */
	s = site_get(g, id, true, gopc, start_pc, &idx);
	if (!s || gmt_u64map_put(&g->live, goid, idx))
		return -ENOMEM;
	s->pre++;
	s->live++;
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
	uint64_t idx, *old = gmt_u64map_get(&g->live, goid);
	struct gmt_gor_site *s;

	if (old) {
		/* Enumerated at attach after its creation was in flight: the record wins.
		 * (A goid created twice cannot happen; were it to, the later one counts.) */
		struct gmt_gor_site *p = g->sites[*old];

		p->live--;
		if (p->preexisting) {
			p->pre--;
			g->st.preexisting--;
		}
	}
	s = site_get(g, stack_id, false, 0, start_pc, &idx);
	if (!s || gmt_u64map_put(&g->live, goid, idx))
		return -ENOMEM;
	s->created++;
	s->live++;
	g->st.created++;
	return 0;
}

int gmt_goroutines__exited(struct gmt_goroutines *g, uint64_t ts, uint64_t goid)
{
	uint64_t *v = gmt_u64map_get(&g->live, goid);
	struct gmt_gor_site *s;

	if (!v) {
		g->st.exited_unknown++;
		return 0;
	}
	s = g->sites[*v];
	s->live--;
	s->exited++;
	if (s->preexisting)
		g->st.exited_pre++;
	g->st.exited++;
	gmt_u64map_del(&g->live, goid);
	return 0;
}

/* Keeps every other sample (the later of each pair) of every series. */
static void halve_ticks(struct gmt_goroutines *g)
{
	size_t n = g->nticks / 2;

	for (size_t i = 0; i < n; i++) {
		g->tick_ts[i] = g->tick_ts[2 * i + 1];
		g->tick_live[i] = g->tick_live[2 * i + 1];
		for (size_t k = 0; k < g->nsites; k++)
			g->sites[k]->series[i] = g->sites[k]->series[2 * i + 1];
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
		size_t cap = n ? 2 * n : 16;
		uint64_t *ts_arr = realloc(g->tick_ts, cap * sizeof(*ts_arr));
		double *l_arr;

		if (!ts_arr)
			return -ENOMEM;
		g->tick_ts = ts_arr;
		l_arr = realloc(g->tick_live, cap * sizeof(*l_arr));
		if (!l_arr)
			return -ENOMEM;
		g->tick_live = l_arr;
		for (size_t k = 0; k < g->nsites; k++) {
			uint32_t *p = realloc(g->sites[k]->series, cap * sizeof(*p));

			if (!p)
				return -ENOMEM;
			g->sites[k]->series = p;
		}
		g->tick_cap = cap;
	}
	for (size_t k = 0; k < g->nsites; k++) {
		struct gmt_gor_site *s = g->sites[k];

		s->series[n] = s->live > UINT32_MAX ? UINT32_MAX : (uint32_t)s->live;
		total += (double)s->live;
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

static void name_site(const struct gmt_goroutines *g, const struct gmt_symbolizer *sym,
		      struct gmt_gor_site *s)
{
	struct gmt_frame fr[MAX_INLINE];
	uint64_t *v;
	int n;

	s->start_fn[0] = 0;
	/* An entry, not a return address: frames() looks at ret_addr - 1. */
	if (s->start_pc) {
		n = gmt_symbolize_pc(sym, s->start_pc + 1, fr, MAX_INLINE);
		if (n >= 1 && fr[n - 1].func)
			snprintf(s->start_fn, sizeof(s->start_fn), "%s", fr[n - 1].func);
	}
	s->runtime = gmt_goroutines_is_runtime_fn(s->start_fn);
	if (s->preexisting) {
		if (!s->gopc || !describe_pc(sym, s->gopc, s->name, sizeof(s->name)))
			snprintf(s->name, sizeof(s->name), "[pre-existing]");
		return;
	}
	v = s->id ? gmt_u64map_get(&g->stack_idx, s->id) : NULL;
	if (!v || !describe_pc(sym, g->stacks[*v].pcs[0], s->name, sizeof(s->name)))
		snprintf(s->name, sizeof(s->name), "%s", v ? "[unsymbolized]" : "[unknown stack]");
}

/* The last sample at or before t, or before the first sample the site's start value. */
static uint64_t live_at(const struct gmt_goroutines *g, const struct gmt_gor_site *s, uint64_t t)
{
	size_t lo = 0, hi = g->nticks;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (g->tick_ts[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? s->series[lo - 1] : s->pre;
}

static void classify(const struct gmt_goroutines *g, struct gmt_gor_site *s, uint64_t start_ns,
		     uint64_t end_ns)
{
	unsigned int rises = 0;
	bool fell = false;

	s->buckets[0] = s->pre;
	for (int k = 1; k <= GMT_GOR_BUCKETS; k++) {
		uint64_t t = start_ns + (end_ns - start_ns) * k / GMT_GOR_BUCKETS;

		s->buckets[k] = k == GMT_GOR_BUCKETS ? s->live : live_at(g, s, t);
		if (s->buckets[k] > s->buckets[k - 1])
			rises++;
		else if (s->buckets[k] < s->buckets[k - 1])
			fell = true;
	}
	s->leak = !fell && rises * 3 >= GMT_GOR_BUCKETS &&
		  s->buckets[GMT_GOR_BUCKETS] > s->buckets[0];
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
	struct gmt_gor_site **ranked;
	int err;

	if (end_ns < start_ns)
		end_ns = start_ns;
	err = gmt_goroutines__tick(g, end_ns);
	if (err)
		return err;
	/* A copy: g->sites stays in the order the goid table's indexes refer to. */
	ranked = realloc(g->ranked, (g->nsites ? g->nsites : 1) * sizeof(*ranked));
	if (!ranked)
		return -ENOMEM;
	g->ranked = ranked;
	g->st.live = g->st.live_runtime = g->st.leak_sites = 0;
	for (size_t i = 0; i < g->nsites; i++) {
		struct gmt_gor_site *s = g->sites[i];

		name_site(g, sym, s);
		classify(g, s, start_ns, end_ns);
		if (s->runtime)
			g->st.live_runtime += s->live;
		else
			g->st.live += s->live;
		g->st.leak_sites += s->leak && !s->runtime;
	}
	g->st.sites = g->nsites;
	g->nranked = g->nsites;
	if (g->nsites) {
		memcpy(ranked, g->sites, g->nsites * sizeof(*ranked));
		qsort(ranked, g->nsites, sizeof(*ranked), cmp_site);
	}
	return 0;
}

void gmt_goroutines__stats(const struct gmt_goroutines *g, struct gmt_gor_stats *st)
{
	*st = g->st;
}

size_t gmt_goroutines__sites(const struct gmt_goroutines *g, const struct gmt_gor_site *const **out)
{
	*out = (const struct gmt_gor_site *const *)g->ranked;
	return g->ranked ? g->nranked : 0;
}

bool gmt_goroutines__stack(const struct gmt_goroutines *g, uint64_t id, const uint64_t **pcs,
			   uint32_t *depth, bool *truncated)
{
	uint64_t *v = id ? gmt_u64map_get(&g->stack_idx, id) : NULL;

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
