// SPDX-License-Identifier: MIT
#include "goroutines.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bits.h"
#include "json_writer.h"
#include "outputs.h"

#define MAX_TICKS 4096 /* past this, every other sample is dropped */
#define MAX_INLINE 16

/* ---- a u64 -> u64 open-addressing map with backward-shift deletion ---- */

struct u64map {
	uint64_t *keys, *vals;
	uint8_t *used;
	size_t cap, n; /* cap: a power of two */
};

static int map_grow(struct u64map *m);

static size_t map_slot(const struct u64map *m, uint64_t key, bool *found)
{
	size_t i = gmt_mix64(key) & (m->cap - 1);

	while (m->used[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	*found = m->used[i];
	return i;
}

static uint64_t *map_get(const struct u64map *m, uint64_t key)
{
	bool found;
	size_t i;

	if (!m->cap)
		return NULL;
	i = map_slot(m, key, &found);
	return found ? &m->vals[i] : NULL;
}

static int map_put(struct u64map *m, uint64_t key, uint64_t val)
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

static int map_grow(struct u64map *m)
{
	struct u64map b = { .cap = m->cap ? 2 * m->cap : 1024 };

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
			map_put(&b, m->keys[i], m->vals[i]); /* fits: no growth */
	free(m->keys);
	free(m->vals);
	free(m->used);
	*m = b;
	return 0;
}

static void map_del(struct u64map *m, uint64_t key)
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

static void map_free(struct u64map *m)
{
	free(m->keys);
	free(m->vals);
	free(m->used);
	memset(m, 0, sizeof(*m));
}

/* ---- the aggregator ---- */

struct stack {
	uint64_t *pcs;
	uint32_t depth;
	bool truncated;
};

struct gmt_goroutines {
	struct u64map stack_idx; /* stack id -> index in stacks */
	struct stack *stacks;
	size_t nstacks;
	struct u64map site_idx; /* site id -> index in sites */
	struct gmt_gor_site **sites;
	size_t nsites;
	struct u64map live; /* goid -> site index */
	uint64_t *tick_ts;
	double *tick_live;
	size_t nticks, tick_cap; /* every series has tick_cap entries */
	struct gmt_gor_stats st;
	bool finished;
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
	map_free(&g->stack_idx);
	map_free(&g->site_idx);
	map_free(&g->live);
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
	if (map_get(&g->stack_idx, id))
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
	if (map_put(&g->stack_idx, id, g->nstacks)) {
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
	uint64_t *v = map_get(&g->site_idx, id);
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
	if (!s || (g->tick_cap && !s->series) || map_put(&g->site_idx, id, g->nsites)) {
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

	if (map_get(&g->live, goid))
		return 0; /* its creation was recorded already */
	s = site_get(g, id, true, gopc, start_pc, &idx);
	if (!s || map_put(&g->live, goid, idx))
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
	uint64_t idx, *old = map_get(&g->live, goid);
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
	if (!s || map_put(&g->live, goid, idx))
		return -ENOMEM;
	s->created++;
	s->live++;
	g->st.created++;
	return 0;
}

int gmt_goroutines__exited(struct gmt_goroutines *g, uint64_t ts, uint64_t goid)
{
	uint64_t *v = map_get(&g->live, goid);
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
	map_del(&g->live, goid);
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
	v = s->id ? map_get(&g->stack_idx, s->id) : NULL;
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
	int err;

	if (g->finished)
		return 0;
	if (end_ns < start_ns)
		end_ns = start_ns;
	err = gmt_goroutines__tick(g, end_ns);
	if (err)
		return err;
	g->finished = true;
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
	if (g->nsites)
		qsort(g->sites, g->nsites, sizeof(*g->sites), cmp_site);
	return 0;
}

void gmt_goroutines__stats(const struct gmt_goroutines *g, struct gmt_gor_stats *st)
{
	*st = g->st;
}

size_t gmt_goroutines__sites(const struct gmt_goroutines *g, const struct gmt_gor_site *const **out)
{
	*out = (const struct gmt_gor_site *const *)g->sites;
	return g->nsites;
}

size_t gmt_goroutines__track(const struct gmt_goroutines *g, const uint64_t **ts,
			     const double **live)
{
	*ts = g->tick_ts;
	*live = g->tick_live;
	return g->nticks;
}

/* ---- outputs ---- */

struct text {
	char *buf;
	size_t len, cap;
	bool oom;
};

static void t_puts(struct text *t, const char *s)
{
	size_t n = strlen(s);

	if (t->oom)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 256;
		char *p;

		while (cap < t->len + n + 1)
			cap *= 2;
		p = realloc(t->buf, cap);
		if (!p) {
			t->oom = true;
			return;
		}
		t->buf = p;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, s, n + 1);
	t->len += n;
}

/* A folded frame: ';' separates frames and a newline ends the line. */
static void t_frame(struct text *t, const char *name)
{
	char tmp[512];
	size_t i;

	snprintf(tmp, sizeof(tmp), "%s", name);
	for (i = 0; tmp[i]; i++)
		if (tmp[i] == ';')
			tmp[i] = ',';
		else if ((unsigned char)tmp[i] < 0x20)
			tmp[i] = ' ';
	if (t->len)
		t_puts(t, ";");
	t_puts(t, tmp);
}

/* Frames of one return address, outermost first. */
static void t_pc(struct text *t, const struct gmt_symbolizer *sym, uint64_t pc)
{
	struct gmt_frame fr[MAX_INLINE];
	int n = gmt_symbolize_pc(sym, pc, fr, MAX_INLINE);
	char addr[24];

	snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)pc);
	if (n < 1) {
		t_frame(t, addr);
		return;
	}
	for (int j = n; j-- > 0;)
		t_frame(t, fr[j].func && fr[j].func[0] ? fr[j].func : addr);
}

static void fold_site(const struct gmt_goroutines *g, const struct gmt_symbolizer *sym,
		      const struct gmt_gor_site *s, struct text *t)
{
	uint64_t *v = s->id && !s->preexisting ? map_get(&g->stack_idx, s->id) : NULL;

	if (s->preexisting) {
		t_frame(t, "[pre-existing]");
		if (s->gopc)
			t_pc(t, sym, s->gopc);
	} else if (!v) {
		t_frame(t, "[unknown stack]");
	} else {
		const struct stack *st = &g->stacks[*v];

		if (st->truncated)
			t_frame(t, "[truncated]");
		for (uint32_t i = st->depth; i-- > 0;)
			t_pc(t, sym, st->pcs[i]);
	}
	if (s->start_fn[0]) {
		char go[160];

		snprintf(go, sizeof(go), "[go] %s", s->start_fn);
		t_frame(t, go);
	}
}

struct fline {
	char *text;
	uint64_t value;
};

static int cmp_fline(const void *pa, const void *pb)
{
	return strcmp(((const struct fline *)pa)->text, ((const struct fline *)pb)->text);
}

int gmt_goroutines__write_folded(const struct gmt_goroutines *g, const struct gmt_symbolizer *sym,
				 FILE *f)
{
	struct fline *lines = calloc(g->nsites ? g->nsites : 1, sizeof(*lines));
	size_t n = 0;
	int err = 0;

	if (!lines)
		return -ENOMEM;
	for (size_t i = 0; i < g->nsites; i++) {
		struct text t = {};

		if (!g->sites[i]->live)
			continue;
		fold_site(g, sym, g->sites[i], &t);
		if (t.oom || !t.buf) {
			free(t.buf);
			err = -ENOMEM;
			goto out;
		}
		lines[n].text = t.buf;
		lines[n++].value = g->sites[i]->live;
	}
	if (n)
		qsort(lines, n, sizeof(*lines), cmp_fline);
	for (size_t i = 0; i < n;) {
		uint64_t sum = 0;
		size_t j = i;

		for (; j < n && strcmp(lines[j].text, lines[i].text) == 0; j++)
			sum += lines[j].value;
		fprintf(f, "%s %llu\n", lines[i].text, (unsigned long long)sum);
		i = j;
	}
	if (ferror(f))
		err = -EIO;
out:
	for (size_t i = 0; i < n; i++)
		free(lines[i].text);
	free(lines);
	return err;
}

int gmt_goroutines__report(const struct gmt_goroutines *g, FILE *f)
{
	const struct gmt_gor_stats *st = &g->st;
	size_t shown = 0;

	fprintf(f, "\nGoroutines\n");
	fprintf(f, "  live at the end: %llu (as runtime.NumGoroutine counts them) + %llu of the "
		   "runtime itself\n",
		(unsigned long long)st->live, (unsigned long long)st->live_runtime);
	if (st->enumerated)
		fprintf(f, "  before tracing: %llu (found in runtime.allgs at attach)\n",
			(unsigned long long)st->preexisting);
	else
		fprintf(f, "  before tracing: not enumerated; %llu of them seen exiting, the "
			   "others are missing from the live counts\n",
			(unsigned long long)st->exited_unknown);
	fprintf(f, "  created while tracing: %llu; exited: %llu (%llu of them pre-existing)\n",
		(unsigned long long)st->created, (unsigned long long)st->exited,
		(unsigned long long)st->exited_pre);
	fprintf(f, "  probable leaks (live count only grew over %d slices of the trace): %llu "
		   "site%s\n",
		GMT_GOR_BUCKETS, (unsigned long long)st->leak_sites, st->leak_sites == 1 ? "" : "s");
	fprintf(f, "\n  %8s %9s %9s  %-44s %s\n", "live", "created", "exited",
		"live at start, then after each tenth", "creation site [goroutine function]");
	for (size_t i = 0; i < g->nsites && shown < GMT_GOR_REPORT_TOP; i++) {
		const struct gmt_gor_site *s = g->sites[i];
		char growth[256];
		size_t len = 0;

		if (!s->live && !s->created)
			continue;
		growth[0] = 0;
		for (int k = 0; k <= GMT_GOR_BUCKETS && len < sizeof(growth) - 24; k++)
			len += snprintf(growth + len, sizeof(growth) - len, "%s%llu", k ? " " : "",
					(unsigned long long)s->buckets[k]);
		fprintf(f, "  %8llu %9llu %9llu  %-44s %s%s%s [%s]%s\n", (unsigned long long)s->live,
			(unsigned long long)s->created, (unsigned long long)s->exited, growth,
			s->leak && !s->runtime ? "LEAK? " : "", s->preexisting ? "[pre-existing] " : "",
			s->name, s->start_fn[0] ? s->start_fn : "?", s->runtime ? " (runtime)" : "");
		shown++;
	}
	return ferror(f) ? -EIO : 0;
}

void gmt_goroutines__summary_fields(const struct gmt_goroutines *g, struct gmt_json *j)
{
	const struct gmt_gor_stats *st = &g->st;
	size_t shown = 0;

	gmt_json__kuint(j, "goroutines_live", st->live);
	gmt_json__kuint(j, "goroutines_live_runtime", st->live_runtime);
	gmt_json__kbool(j, "goroutines_enumerated", st->enumerated);
	gmt_json__kuint(j, "goroutines_preexisting", st->preexisting);
	gmt_json__kuint(j, "goroutines_created", st->created);
	gmt_json__kuint(j, "goroutines_exited", st->exited);
	gmt_json__kuint(j, "goroutines_exited_unknown", st->exited_unknown);
	gmt_json__kuint(j, "goroutine_leak_sites", st->leak_sites);
	gmt_json__key(j, "goroutine_sites");
	gmt_json__arr_begin(j);
	for (size_t i = 0; i < g->nsites && shown < GMT_GOR_REPORT_TOP; i++) {
		const struct gmt_gor_site *s = g->sites[i];

		if (!s->live && !s->created)
			continue;
		gmt_json__obj_begin(j);
		gmt_json__kstr(j, "site", s->name);
		gmt_json__kstr(j, "function", s->start_fn);
		gmt_json__kuint(j, "live", s->live);
		gmt_json__kuint(j, "created", s->created);
		gmt_json__kuint(j, "exited", s->exited);
		gmt_json__kuint(j, "preexisting", s->pre);
		gmt_json__kbool(j, "runtime", s->runtime);
		gmt_json__kbool(j, "leak", s->leak && !s->runtime);
		gmt_json__key(j, "growth");
		gmt_json__arr_begin(j);
		for (int k = 0; k <= GMT_GOR_BUCKETS; k++)
			gmt_json__uint(j, s->buckets[k]);
		gmt_json__arr_end(j);
		gmt_json__obj_end(j);
		shown++;
	}
	gmt_json__arr_end(j);
}
