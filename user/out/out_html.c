// SPDX-License-Identifier: MIT
/* report.html: see out_html.h and user/out/report/DATA.md. */
#include "out_html.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "gc_timeline.h"
#include "gsnap.h"
#include "grow.h"
#include "hmap.h"
#include "json_writer.h"
#include "leakflag.h"
#include "metrics.h"
#include "mprof.h"
#include "out_gc.h"
#include "out_goroutines_snap.h"
#include "out_memory.h"
#include "memstats.h"
#include "memusage.h"
#include "runinfo.h"
#include "symbolize.h"

/* The page around the data (generated from user/out/report/ by embed.py). */
extern const char gmt_report_html_head[], gmt_report_html_tail[];

#define HOT_PATHS 3
#define TOP_TYPES 20
#define MAX_VALUES 2
#define FLAG_ALLOC 1u	/* one of the allocator's frames (the page's toggle folds them) */
#define FLAG_INLINED 2u

/* ---- the flame graphs: a tree of frames, names interned once for all of them ---- */

struct strtab {
	char **s;
	size_t n, cap;
	struct gmt_hmap idx; /* hash of the string -> index */
};

struct node {
	uint32_t name, parent;
	uint32_t flags;
	int64_t v[MAX_VALUES];
	uint32_t first_child, next; /* 0: none (node 0 is the root, never a child) */
};

struct flame {
	struct node *n;
	size_t nn, cap;
	struct gmt_hmap kids; /* hash of (parent, name, flags) -> node index */
	int err;
	/* Written: the nodes whose first value is above keep_above; the others of a parent
	 * become one "[other stacks]" child (name other), so the page stays small. */
	int64_t keep_above;
	uint32_t other;
	size_t merged; /* nodes merged so */
};

/*
 * The page holds at most GMT_HTML_MAX_NODES frames over all its flame graphs: 10,000
 * deep stacks that share little would otherwise make it many megabytes (about 25 bytes
 * a frame).  The smallest go first, as in the bounded folded files.
 */
#define GMT_HTML_MAX_NODES 100000
#define OTHER_STACKS "[other stacks]"

struct str_key {
	const struct strtab *t;
	const char *s;
};

static bool str_eq(const void *ctx, uint64_t v)
{
	const struct str_key *k = ctx;

	return !strcmp(k->t->s[v], k->s);
}

static int intern(struct strtab *t, const char *s, uint32_t *out)
{
	uint64_t h = gmt_hash_bytes(GMT_HASH_SEED, s, strlen(s));
	uint64_t *v = gmt_hmap_find(&t->idx, h, str_eq, &(struct str_key){ t, s });

	if (v) {
		*out = (uint32_t)*v;
		return 0;
	}
	if (GMT_GROW(&t->s, &t->cap, t->n + 1))
		return -ENOMEM;
	t->s[t->n] = strdup(s);
	if (!t->s[t->n] || !gmt_hmap_add(&t->idx, h, t->n)) {
		free(t->s[t->n]);
		return -ENOMEM;
	}
	*out = (uint32_t)t->n++;
	return 0;
}

static void strtab_free(struct strtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->s[i]);
	free(t->s);
	gmt_hmap_free(&t->idx);
}

struct kid_key {
	const struct flame *f;
	uint32_t parent, name, flags;
};

static bool kid_eq(const void *ctx, uint64_t v)
{
	const struct kid_key *k = ctx;
	const struct node *n = &k->f->n[v];

	return n->parent == k->parent && n->name == k->name && n->flags == k->flags;
}

static int cmp_desc(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x > y ? -1 : x < y;
}

/*
 * Chooses keep_above so that at most max frames are written: half of them kept (a
 * node's value is at least its children's, so what is kept is a tree), and at most as
 * many "[other stacks]" frames.
 */
static int flame_bound(struct flame *f, struct strtab *t, size_t max)
{
	int64_t *v;

	f->keep_above = INT64_MIN;
	if (f->nn <= max)
		return 0;
	v = malloc(f->nn * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < f->nn; i++)
		v[i] = f->n[i].v[0];
	qsort(v, f->nn, sizeof(*v), cmp_desc);
	f->keep_above = v[max / 2];
	free(v);
	for (size_t i = 1; i < f->nn; i++)
		f->merged += f->n[i].v[0] <= f->keep_above;
	return intern(t, OTHER_STACKS, &f->other);
}

static int flame_init(struct flame *f)
{
	memset(f, 0, sizeof(*f));
	if (GMT_GROW(&f->n, &f->cap, 1))
		return -ENOMEM;
	f->n[0] = (struct node){ .name = 0 }; /* strings[0] is "all" */
	f->nn = 1;
	return 0;
}

static void flame_free(struct flame *f)
{
	free(f->n);
	gmt_hmap_free(&f->kids);
}

/* The child of parent named name (with flags), created empty when absent. */
static uint32_t child(struct flame *f, uint32_t parent, uint32_t name, uint32_t flags)
{
	uint64_t h = gmt_mix64(((uint64_t)parent << 32 | name) ^ ((uint64_t)flags << 60));
	struct kid_key k = { f, parent, name, flags };
	uint64_t *v = gmt_hmap_find(&f->kids, h, kid_eq, &k);
	uint32_t i;

	if (v)
		return (uint32_t)*v;
	if (GMT_GROW(&f->n, &f->cap, f->nn + 1) || !gmt_hmap_add(&f->kids, h, f->nn)) {
		f->err = -ENOMEM;
		return 0;
	}
	i = (uint32_t)f->nn++;
	f->n[i] = (struct node){ .name = name, .parent = parent, .flags = flags,
				 .next = f->n[parent].first_child };
	f->n[parent].first_child = i;
	return i;
}

/* One stack, frames root first (name indexes and flags), with its values. */
static void flame_add(struct flame *f, const uint32_t *names, const uint32_t *flags, size_t n,
		      const int64_t *v, size_t nv)
{
	uint32_t at = 0;

	for (size_t k = 0; k < nv; k++)
		f->n[0].v[k] += v[k];
	for (size_t i = 0; i < n && !f->err; i++) {
		at = child(f, at, names[i], flags[i]);
		if (f->err)
			return;
		for (size_t k = 0; k < nv; k++)
			f->n[at].v[k] += v[k];
	}
}

/* A stack being built, root first. */
struct frames {
	uint32_t *name, *flags;
	size_t n, cap_name, cap_flags;
};

static int push_frame(struct frames *fs, struct strtab *t, const char *name, uint32_t flags)
{
	if (GMT_GROW(&fs->name, &fs->cap_name, fs->n + 1) ||
	    GMT_GROW(&fs->flags, &fs->cap_flags, fs->n + 1))
		return -ENOMEM;
	fs->flags[fs->n] = flags;
	return intern(t, name, &fs->name[fs->n++]);
}

/* pcs (leaf first, return addresses) as frames root first, inlined ones expanded; the
 * first `alloc` pcs flagged as the allocator's. */
static int push_pcs(struct frames *fs, struct strtab *t, const struct gmt_symbolizer *sym,
		    const uint64_t *pcs, size_t n, size_t alloc)
{
	struct gmt_frame fr[GMT_PPROF_MAX_INLINE];

	for (size_t i = n; i-- > 0;) {
		int m = gmt_pprof_lines(sym, pcs[i], fr);
		int err = 0;

		if (m <= 0) {
			char hex[32];

			snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)pcs[i]);
			err = push_frame(fs, t, hex, i < alloc ? FLAG_ALLOC : 0);
		}
		/* innermost first: the physical frame is the last, the root side */
		for (int k = m - 1; k >= 0 && !err; k--)
			err = push_frame(fs, t, fr[k].func,
					 (i < alloc ? FLAG_ALLOC : 0) | (k < m - 1 ? FLAG_INLINED : 0));
		if (err)
			return err;
	}
	return 0;
}

static int by_name(const void *a, const void *b, void *ctx)
{
	const struct strtab *t = ((void **)ctx)[0];
	const struct flame *f = ((void **)ctx)[1];
	const struct node *x = &f->n[*(const uint32_t *)a], *y = &f->n[*(const uint32_t *)b];
	int c = strcmp(t->s[x->name], t->s[y->name]);

	return c ? c : (int)x->flags - (int)y->flags;
}

/*
 * NODE = [name, [values], flags, [children sorted by name]] (DATA.md), written as text:
 * a stack may be hundreds of frames deep, deeper than the JSON writer nests.  Only
 * integers: nothing to escape.
 */
static int put_node(FILE *out, const struct flame *f, const struct strtab *t, uint32_t i,
		    size_t nv)
{
	const struct node *n = &f->n[i];
	uint32_t *kids = NULL;
	size_t nk = 0, cap = 0;
	int64_t other[MAX_VALUES] = {0};
	bool merged = false;
	int err = 0;

	for (uint32_t c = n->first_child; c; c = f->n[c].next) {
		if (f->n[c].v[0] <= f->keep_above) {
			for (size_t k = 0; k < nv; k++)
				other[k] += f->n[c].v[k];
			merged = true;
			continue;
		}
		if (GMT_GROW(&kids, &cap, nk + 1)) {
			free(kids);
			return -ENOMEM;
		}
		kids[nk++] = c;
	}
	if (nk > 1) /* qsort_r must not see a NULL array, even empty */
		qsort_r(kids, nk, sizeof(*kids), by_name, (void *[]){ (void *)t, (void *)f });
	fprintf(out, "[%u,[", n->name);
	for (size_t k = 0; k < nv; k++)
		fprintf(out, "%s%lld", k ? "," : "", (long long)n->v[k]);
	fprintf(out, "],%u,[", n->flags);
	for (size_t k = 0; k < nk && !err; k++) {
		if (k)
			fputc(',', out);
		err = put_node(out, f, t, kids[k], nv);
	}
	if (merged) {
		/* "[other stacks]" last, after the frames kept */
		fprintf(out, "%s[%u,[", nk ? "," : "", f->other);
		for (size_t k = 0; k < nv; k++)
			fprintf(out, "%s%lld", k ? "," : "", (long long)other[k]);
		fputs("],0,[]]", out);
	}
	fputs("]]", out);
	free(kids);
	return err;
}

struct value_name {
	const char *name, *unit;
};

static int put_flame(struct gmt_json *j, const struct flame *f, const struct strtab *t,
		     const char *id, const char *title, const struct value_name *vn, size_t nv)
{
	gmt_json__obj_begin(j);
	gmt_json__kstr(j, "id", id);
	gmt_json__kstr(j, "title", title);
	gmt_json__key(j, "values");
	gmt_json__arr_begin(j);
	for (size_t k = 0; k < nv; k++) {
		gmt_json__obj_begin(j);
		gmt_json__kstr(j, "name", vn[k].name);
		gmt_json__kstr(j, "unit", vn[k].unit);
		gmt_json__obj_end(j);
	}
	gmt_json__arr_end(j);
	gmt_json__key(j, "total");
	gmt_json__arr_begin(j);
	for (size_t k = 0; k < nv; k++)
		gmt_json__int(j, f->n[0].v[k]);
	gmt_json__arr_end(j);
	gmt_json__key(j, "root");
	{
		int err = put_node(gmt_json__raw_begin(j), f, t, 0, nv);

		gmt_json__obj_end(j);
		return err;
	}
}

/* ---- the flame graphs of each source ---- */

struct page {
	const struct gmt_html_in *in;
	struct strtab t;
	struct flame alloc, inuse, heap, gor;
	bool has_alloc, has_inuse, has_heap, has_gor;
	struct frames fs;
	int err;
};

/* alloc.pb.gz's rows: [bytes, count] allocated, and in sampled mode the live ones. */
static int alloc_flames(struct page *p)
{
	const struct gmt_agg_stack *const *st;
	size_t n = gmt_agg__stacks_by_bytes(p->in->agg, &st);
	const struct gmt_pprof_opts *o = p->in->pprof;
	int err = 0;

	p->has_alloc = true;
	p->has_inuse = o && o->inuse;
	for (size_t i = 0; i < n && !err; i++) {
		struct gmt_pprof_row row;
		const struct gmt_agg_stack *s = st[i];
		uint32_t alloc = gmt_stack_runtime_skip(s, p->in->sym);

		err = gmt_pprof_row(s, p->in->sym, o, &row);
		if (err <= 0)
			continue;
		err = 0;
		p->fs.n = 0;
		if (row.truncated)
			err = push_frame(&p->fs, &p->t, GMT_PPROF_TRUNCATED, 0);
		if (!err && row.unknown)
			err = push_frame(&p->fs, &p->t, GMT_PPROF_UNKNOWN_STACK, 0);
		if (!err)
			err = push_pcs(&p->fs, &p->t, p->in->sym, s->pcs, s->depth, alloc);
		if (err)
			break;
		flame_add(&p->alloc, p->fs.name, p->fs.flags, p->fs.n,
			  (int64_t[]){ row.vals[1], row.vals[0] }, 2);
		if (p->has_inuse && (row.vals[2] || row.vals[3]))
			flame_add(&p->inuse, p->fs.name, p->fs.flags, p->fs.n,
				  (int64_t[]){ row.vals[3], row.vals[2] }, 2);
	}
	return err ?: p->alloc.err ?: p->inuse.err;
}

/* heap.pb.gz's samples: the live heap the runtime's buckets hold, [bytes, objects]. */
static int heap_flame(struct page *p)
{
	const struct gmt_mprof *m = p->in->live->p;
	struct gmt_go_view v;
	const struct gmt_symbolizer *sym = gmt_go_view(&v, p->in->sym);
	uint64_t *pcs = calloc(m->npcs ? m->npcs : 1, sizeof(*pcs));
	int err = 0;

	if (!pcs)
		return -ENOMEM;
	p->has_heap = true;
	for (size_t i = 0; i < m->n && !err; i++) {
		const struct gmt_mprof_rec *r = &m->recs[i];
		const uint64_t *stk = m->pcs + r->stk;
		size_t skip = gmt_heapsnap_runtime_skip(sym, stk, r->nstk), n;
		int64_t objs, bytes;

		gmt_mprof_scale(r->allocs - r->frees, r->alloc_bytes - r->free_bytes,
				p->in->live->rate, &objs, &bytes);
		if (bytes <= 0)
			continue;
		n = gmt_heapsnap_physical(sym, stk + skip, r->nstk - skip, pcs);
		p->fs.n = 0;
		err = push_pcs(&p->fs, &p->t, sym, pcs, n, 0);
		if (!err)
			flame_add(&p->heap, p->fs.name, p->fs.flags, p->fs.n,
				  (int64_t[]){ bytes, objs }, 2);
	}
	free(pcs);
	return err ?: p->heap.err;
}

/* A snapshot's user goroutines by stack: [goroutines]. */
static int goroutine_flame(struct page *p, const struct gmt_gsnap_group *gr, int ng)
{
	const struct gmt_gsnap *s = p->in->gsnap;
	int err = 0;

	p->has_gor = true;
	for (int k = 0; k < ng && !err; k++) {
		const struct gmt_gsnap_g *g = &s->gs[gr[k].first];

		p->fs.n = 0;
		if (!g->nstk)
			err = push_frame(&p->fs, &p->t, "(running)", 0);
		else
			err = push_pcs(&p->fs, &p->t, p->in->sym, g->stk, (size_t)g->nstk, 0);
		if (!err)
			flame_add(&p->gor, p->fs.name, p->fs.flags, p->fs.n,
				  (int64_t[]){ (int64_t)gr[k].count }, 1);
	}
	return err ?: p->gor.err;
}

/* ---- the other sections ---- */

static void put_frames(struct gmt_json *j, const struct gmt_symbolizer *sym,
		       const uint64_t *pcs, size_t n)
{
	struct gmt_frame fr[GMT_PPROF_MAX_INLINE];

	gmt_json__key(j, "frames");
	gmt_json__arr_begin(j);
	for (size_t i = 0; i < n; i++) {
		int m = gmt_pprof_lines(sym, pcs[i], fr);

		for (int k = 0; k < m; k++) {
			gmt_json__obj_begin(j);
			gmt_json__kstr(j, "func", fr[k].func);
			gmt_json__kstr(j, "file", fr[k].file);
			gmt_json__kuint(j, "line", fr[k].line);
			gmt_json__kbool(j, "inlined", k < m - 1);
			gmt_json__obj_end(j);
		}
	}
	gmt_json__arr_end(j);
}

static void put_header(struct gmt_json *j, const struct gmt_html_in *in)
{
	const struct gmt_run_info *ri = in->ri;
	char target[96];

	gmt_json__key(j, "header");
	gmt_json__obj_begin(j);
	snprintf(target, sizeof(target), "%s (PID %d)", ri->comm ? ri->comm : "?", ri->pid);
	gmt_json__kstr(j, "target", target);
	if (ri->binary)
		gmt_json__kstr(j, "binary", ri->binary);
	if (ri->go_version)
		gmt_json__kstr(j, "go_version", ri->go_version);
	gmt_json__kstr(j, "mode", in->mode);
	if (ri->duration_s > 0)
		gmt_json__kdouble(j, "duration_s", ri->duration_s);
	if (ri->start_wall_ns)
		gmt_json__kuint(j, "start_unix_ns", ri->start_wall_ns);
	if (in->what)
		gmt_json__kstr(j, "what", in->what);
	gmt_json__obj_end(j);
}

static void kopt(struct gmt_json *j, const char *k, bool have, uint64_t v)
{
	gmt_json__key(j, k);
	if (have)
		gmt_json__uint(j, v);
	else
		gmt_json__null(j);
}

static void put_memory(struct gmt_json *j, const struct gmt_memory_report *mem)
{
	const struct gmt_memusage *mu;
	const struct gmt_memstats *s;

	gmt_json__key(j, "memory");
	if (!mem) {
		gmt_json__null(j);
		return;
	}
	mu = mem->mu;
	s = mem->ms;
	gmt_json__obj_begin(j);
	kopt(j, "rss_bytes", mu->have_rss, mu->rss);
	kopt(j, "cgroup_limit_bytes", mu->have_max && !mu->cgroup_unlimited, mu->cgroup_max);
	kopt(j, "cgroup_usage_bytes", mu->have_current, mu->cgroup_current);
	if (s) {
		kopt(j, "heap_alloc_bytes", s->heap_consistent, s->HeapAlloc);
		kopt(j, "heap_inuse_bytes", s->have_heap_sys, s->HeapInuse);
		kopt(j, "heap_sys_bytes", s->have_heap_sys, s->HeapSys);
		kopt(j, "heap_goal_bytes", s->next_gc_known, s->NextGC);
		gmt_json__kint(j, "gogc", s->GOGC);
		kopt(j, "gomemlimit_bytes", s->GOMEMLIMIT != INT64_MAX, (uint64_t)s->GOMEMLIMIT);
	}
	gmt_json__obj_end(j);
}

/* The types a path allocated, largest first: "type" the first, "types" up to 3. */
static void put_path_types(struct gmt_json *j, const struct gmt_agg *a,
			   const struct gmt_agg_stack *s)
{
	struct gmt_agg_stack_type t[3];
	size_t n = gmt_agg_stack_is_unknown(s) ? 0 : gmt_agg__stack_types(a, s->id, t, 3);
	char name[256];

	gmt_json__key(j, "type");
	if (n) {
		gmt_type_display_name(t[0].type, name, sizeof(name));
		gmt_json__str(j, name);
	} else {
		gmt_json__null(j);
	}
	gmt_json__key(j, "types");
	gmt_json__arr_begin(j);
	for (size_t i = 0; i < n; i++) {
		gmt_type_display_name(t[i].type, name, sizeof(name));
		gmt_json__obj_begin(j);
		gmt_json__kstr(j, "type", name);
		gmt_json__kuint(j, "bytes", t[i].bytes);
		gmt_json__kuint(j, "count", t[i].count);
		gmt_json__obj_end(j);
	}
	gmt_json__arr_end(j);
}

static void put_hot_paths(struct gmt_json *j, const struct gmt_html_in *in)
{
	const struct gmt_agg_stack *const *st;
	size_t n = in->agg ? gmt_agg__stacks_by_bytes(in->agg, &st) : 0, shown = 0;

	gmt_json__key(j, "hot_paths");
	gmt_json__arr_begin(j);
	for (size_t i = 0; i < n && shown < HOT_PATHS; i++) {
		const struct gmt_agg_stack *s = st[i];
		uint32_t skip = gmt_stack_runtime_skip(s, in->sym);

		if (!s->bytes)
			break;
		shown++;
		gmt_json__obj_begin(j);
		gmt_json__kuint(j, "bytes", s->bytes);
		gmt_json__kuint(j, "count", s->count);
		put_path_types(j, in->agg, s);
		put_frames(j, in->sym, s->pcs + skip, s->depth - skip);
		gmt_json__key(j, "sizes");
		gmt_json__arr_begin(j);
		for (size_t b = 0; b < GMT_HIST_BUCKETS; b++) {
			if (!s->hist[b])
				continue;
			gmt_json__arr_begin(j);
			gmt_json__uint(j, b + 1 < 64 ? 1ull << (b + 1) : UINT64_MAX);
			gmt_json__uint(j, s->hist[b]);
			gmt_json__arr_end(j);
		}
		gmt_json__arr_end(j);
		gmt_json__obj_end(j);
	}
	gmt_json__arr_end(j);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void series(struct gmt_json *j, const char *name, const char *unit)
{
	gmt_json__obj_begin(j);
	gmt_json__kstr(j, "name", name);
	gmt_json__kstr(j, "unit", unit);
	gmt_json__key(j, "points");
	gmt_json__arr_begin(j);
}

static void point(struct gmt_json *j, uint64_t t, double v)
{
	gmt_json__arr_begin(j);
	gmt_json__uint(j, t);
	gmt_json__double(j, v);
	gmt_json__arr_end(j);
}

static void series_end(struct gmt_json *j)
{
	gmt_json__arr_end(j);
	gmt_json__obj_end(j);
}

/* gc.json's cycles and pauses, its counter tracks as series, the pause histogram. */
static int put_gc(struct gmt_json *j, const struct gmt_html_in *in)
{
	const struct gmt_gc_out *o = in->gc;
	const struct gmt_gc_cycle *c;
	const struct gmt_stw *s;
	size_t nc, ns, nd = 0;
	uint64_t *d, hist[GMT_PAUSE_BUCKETS] = {0};
	char name[64];

	gmt_json__key(j, "gc");
	if (!o) {
		gmt_json__null(j);
		return 0;
	}
	nc = gmt_gc_timeline__cycles(o->tl, &c);
	ns = gmt_gc_timeline__stws(o->tl, &s);
	d = calloc(ns ? ns : 1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	gmt_json__obj_begin(j);
	gmt_json__kuint(j, "start_ns", in->ri->start_ns);
	gmt_json__kuint(j, "end_ns", in->ri->end_ns);
	gmt_json__key(j, "cycles");
	gmt_json__arr_begin(j);
	for (size_t i = 0; i < nc; i++) {
		if (!c[i].t_sweep_term && !c[i].t_end)
			continue;
		gmt_json__obj_begin(j);
		gmt_json__kuint(j, "num", c[i].num);
		gmt_json__kuint(j, "start_ns", c[i].t_sweep_term ? c[i].t_sweep_term : in->ri->start_ns);
		gmt_json__kuint(j, "end_ns", c[i].t_end ? c[i].t_end : in->ri->end_ns);
		gmt_json__key(j, "stw");
		gmt_json__arr_begin(j);
		if (c[i].t_sweep_term && c[i].t_mark) {
			gmt_json__arr_begin(j);
			gmt_json__uint(j, c[i].t_sweep_term);
			gmt_json__uint(j, c[i].t_mark);
			gmt_json__arr_end(j);
		}
		if (c[i].t_mark_term && c[i].t_end) {
			gmt_json__arr_begin(j);
			gmt_json__uint(j, c[i].t_mark_term);
			gmt_json__uint(j, c[i].t_end);
			gmt_json__arr_end(j);
		}
		gmt_json__arr_end(j);
		gmt_json__kbool(j, "forced", c[i].trigger == GMT_GC_TRIGGER_FORCED);
		kopt(j, "heap_live_bytes", c[i].have_heap2, c[i].heap2);
		kopt(j, "heap_goal_bytes", c[i].have_goal, c[i].goal);
		gmt_json__obj_end(j);
	}
	gmt_json__arr_end(j);
	/* The whole pauses, as summary.json's stw_pauses counts them. */
	gmt_json__key(j, "pauses");
	gmt_json__arr_begin(j);
	for (size_t i = 0; i < ns; i++) {
		if (!s[i].start || !s[i].end)
			continue;
		gmt_stw_name(&s[i], name, sizeof(name));
		gmt_json__obj_begin(j);
		gmt_json__kuint(j, "start_ns", s[i].start);
		gmt_json__kuint(j, "end_ns", s[i].end);
		gmt_json__kstr(j, "reason", name);
		gmt_json__kbool(j, "gc", s[i].kind != GMT_STW_OTHER);
		gmt_json__obj_end(j);
		d[nd++] = s[i].end - s[i].start;
		hist[gmt_pause_bucket(d[nd - 1])]++;
	}
	gmt_json__arr_end(j);
	gmt_json__key(j, "series");
	gmt_json__arr_begin(j);
	series(j, "heap live", "bytes");
	for (size_t i = 0; i < nc; i++) {
		if (c[i].have_heap0 && c[i].t_sweep_term)
			point(j, c[i].t_sweep_term, (double)c[i].heap0);
		if (c[i].have_heap1 && c[i].t_mark_term)
			point(j, c[i].t_mark_term, (double)c[i].heap1);
		if (c[i].have_heap2 && c[i].t_end)
			point(j, c[i].t_end, (double)c[i].heap2);
	}
	series_end(j);
	series(j, "heap goal", "bytes");
	for (size_t i = 0; i < nc; i++)
		if (c[i].have_goal && (c[i].t_mark_term || c[i].t_end))
			point(j, c[i].t_mark_term ? c[i].t_mark_term : c[i].t_end, (double)c[i].goal);
	series_end(j);
	series(j, "allocation rate", "bytes/s");
	for (size_t i = 0; i < o->nrate; i++)
		point(j, o->rate_ts[i], o->rate_bytes_per_s[i]);
	series_end(j);
	for (size_t k = 0; k < o->ntracks; k++) {
		series(j, o->tracks[k].name, o->tracks[k].unit);
		for (size_t i = 0; i < o->tracks[k].n; i++)
			point(j, o->tracks[k].ts[i], o->tracks[k].v[i]);
		series_end(j);
	}
	gmt_json__arr_end(j);
	gmt_json__key(j, "pause_hist");
	gmt_json__obj_begin(j);
	gmt_json__key(j, "bounds_ns");
	gmt_json__arr_begin(j);
	for (size_t b = 0; b + 1 < GMT_PAUSE_BUCKETS; b++)
		gmt_json__uint(j, gmt_pause_bucket_ns[b]);
	gmt_json__arr_end(j);
	gmt_json__key(j, "counts");
	gmt_json__arr_begin(j);
	for (size_t b = 0; b < GMT_PAUSE_BUCKETS; b++)
		gmt_json__uint(j, hist[b]);
	gmt_json__arr_end(j);
	gmt_json__obj_end(j);
	gmt_json__key(j, "percentiles_ns");
	if (nd) {
		qsort(d, nd, sizeof(*d), cmp_u64);
		gmt_json__obj_begin(j);
		gmt_json__kuint(j, "p50", gmt_percentile(d, nd, 50));
		gmt_json__kuint(j, "p90", gmt_percentile(d, nd, 90));
		gmt_json__kuint(j, "p99", gmt_percentile(d, nd, 99));
		gmt_json__kuint(j, "max", d[nd - 1]);
		gmt_json__obj_end(j);
	} else {
		gmt_json__null(j);
	}
	gmt_json__obj_end(j);
	free(d);
	return 0;
}

/* A group's fields, its object left open (for its frames). */
static void group_begin(struct gmt_json *j, uint64_t count, const char *state, int64_t wait_ns,
			const char *where, bool leak)
{
	gmt_json__obj_begin(j);
	gmt_json__kuint(j, "count", count);
	gmt_json__kstr(j, "state", state);
	gmt_json__key(j, "longest_wait_s");
	if (wait_ns > 0)
		gmt_json__double(j, wait_ns / 1e9);
	else
		gmt_json__null(j);
	gmt_json__kstr(j, "where", where);
	gmt_json__kbool(j, "leak", leak);
}

/* Goroutine groups: a snapshot's by stack, else the leak flagger's by (creator, wait
 * site, reason); the flagged ones first either way. */
static int put_goroutines(struct gmt_json *j, const struct gmt_html_in *in,
			  const struct gmt_gsnap_group *gr, int ng)
{
	struct gmt_leak_group *lg = NULL;
	int nl = in->leaks && gmt_leakflag__reads(in->leaks) ?
			 gmt_leakflag__groups(in->leaks, &lg) : 0;

	if (nl < 0)
		return nl;
	gmt_json__key(j, "goroutines");
	if (!in->gsnap && !nl) {
		gmt_json__null(j);
	} else {
		uint64_t total = 0;

		gmt_json__obj_begin(j);
		gmt_json__key(j, "groups");
		gmt_json__arr_begin(j);
		for (int k = 0; in->gsnap && k < ng; k++) {
			const struct gmt_gsnap_g *g = &in->gsnap->gs[gr[k].first];

			total += gr[k].count;
			group_begin(j, gr[k].count, gr[k].state, gr[k].longest_ns, gr[k].func, false);
			put_frames(j, in->sym, g->stk, (size_t)g->nstk);
			gmt_json__obj_end(j);
		}
		for (int k = 0; !in->gsnap && k < nl; k++) {
			total += lg[k].count;
			group_begin(j, lg[k].count, lg[k].reason, lg[k].oldest_wait_ns, lg[k].wait_site,
				    lg[k].leak);
			gmt_json__obj_end(j);
		}
		gmt_json__arr_end(j);
		gmt_json__kuint(j, "total", total);
		gmt_json__obj_end(j);
	}
	free(lg);
	/* summary.json's goroutine_leaks */
	gmt_json__key(j, "leaks");
	if (in->leaks)
		return gmt_leakflag__leaks_json(in->leaks, j);
	gmt_json__arr_begin(j);
	gmt_json__arr_end(j);
	return 0;
}

static void put_types(struct gmt_json *j, const struct gmt_html_in *in)
{
	const struct gmt_agg_type *const *ty;
	size_t n = in->agg ? gmt_agg__types(in->agg, &ty) : 0;
	char name[256];

	gmt_json__key(j, "types");
	gmt_json__arr_begin(j);
	for (size_t i = 0; i < n && i < TOP_TYPES; i++) {
		gmt_type_display_name(ty[i], name, sizeof(name));
		gmt_json__obj_begin(j);
		gmt_json__kstr(j, "type", name);
		gmt_json__kuint(j, "bytes", ty[i]->bytes);
		gmt_json__kuint(j, "count", ty[i]->count);
		gmt_json__obj_end(j);
	}
	gmt_json__arr_end(j);
}

static void put_notes(struct gmt_json *j, const struct gmt_html_in *in, struct flame **fl)
{
	static const char *const flame_names[] = { "allocation", "live heap (sampled)",
						   "live heap", "goroutine" };
	char line[512];
	uint64_t dropped = in->ri ? gmt_dropped(in->ri) : 0;

	gmt_json__key(j, "notes");
	gmt_json__arr_begin(j);
	for (size_t i = 0; i < 4; i++) {
		if (!fl[i]->merged)
			continue;
		snprintf(line, sizeof(line),
			 "the %s flame graph's %zu smallest frames of %zu are merged into \"%s\" "
			 "frames to keep this page small (the pprof files have them all)",
			 flame_names[i], fl[i]->merged, fl[i]->nn - 1, OTHER_STACKS);
		gmt_json__str(j, line);
	}
	if (dropped) {
		snprintf(line, sizeof(line),
			 "%llu allocation records lost (ring buffer full: --ringbuf-mb); the "
			 "figures are short by them",
			 (unsigned long long)dropped);
		gmt_json__str(j, line);
	}
	if (in->live && !in->live->p && in->live->why) {
		snprintf(line, sizeof(line), "the runtime's heap profile was not read: %s",
			 in->live->why);
		gmt_json__str(j, line);
	}
	if (in->mem && !in->mem->ms && in->mem->ms_why) {
		snprintf(line, sizeof(line), "the runtime's memory figures were not read: %s",
			 in->mem->ms_why);
		gmt_json__str(j, line);
	}
	if (in->gsnap && (in->gsnap->reread || in->gsnap->unreadable)) {
		snprintf(line, sizeof(line),
			 "%zu goroutines changed while read and were read again; %zu could not be "
			 "read consistently",
			 in->gsnap->reread, in->gsnap->unreadable);
		gmt_json__str(j, line);
	}
	for (const char *p = in->gc ? in->gc->unavailable : NULL; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		snprintf(line, sizeof(line), "GC: %.*s", (int)len, p);
		gmt_json__str(j, line);
		p += len + (nl ? 1 : 0);
	}
	gmt_json__arr_end(j);
}

static const struct value_name alloc_values[] = { { "bytes", "bytes" }, { "count", "objects" } };
static const struct value_name gor_values[] = { { "goroutines", "goroutines" } };

int gmt_write_html_data(FILE *f, const struct gmt_html_in *in)
{
	struct page p = { .in = in };
	struct gmt_gsnap_group *gr = NULL;
	struct gmt_json *j = NULL;
	uint32_t all;
	int ng = 0, err;

	err = intern(&p.t, "all", &all);
	if (!err)
		err = flame_init(&p.alloc) ?: flame_init(&p.inuse) ?: flame_init(&p.heap) ?:
		      flame_init(&p.gor);
	if (!err && in->agg)
		err = alloc_flames(&p);
	if (!err && in->live && in->live->p)
		err = heap_flame(&p);
	if (!err && in->gsnap) {
		ng = gmt_gsnap_group(in->gsnap, in->row, in->sym, in->gsnap_now_ns, &gr);
		err = ng < 0 ? ng : goroutine_flame(&p, gr, ng);
	}
	if (!err) {
		size_t nf = p.has_alloc + p.has_inuse + p.has_heap + p.has_gor;
		size_t max = GMT_HTML_MAX_NODES / (nf ? nf : 1);

		err = flame_bound(&p.alloc, &p.t, max) ?: flame_bound(&p.inuse, &p.t, max) ?:
		      flame_bound(&p.heap, &p.t, max) ?: flame_bound(&p.gor, &p.t, max);
	}
	if (!err && !(j = gmt_json__new(f, false)))
		err = -ENOMEM;
	if (err)
		goto out;
	gmt_json__obj_begin(j);
	gmt_json__kint(j, "version", 1);
	put_header(j, in);
	put_memory(j, in->mem);
	put_hot_paths(j, in);
	gmt_json__key(j, "strings");
	gmt_json__arr_begin(j);
	for (size_t i = 0; i < p.t.n; i++)
		gmt_json__str(j, p.t.s[i]);
	gmt_json__arr_end(j);
	gmt_json__key(j, "flames");
	gmt_json__arr_begin(j);
	if (p.has_alloc)
		err = put_flame(j, &p.alloc, &p.t, "alloc",
				in->ri && in->ri->sampled ? "Allocated (estimated)" : "Allocated",
				alloc_values, 2);
	if (!err && p.has_inuse)
		err = put_flame(j, &p.inuse, &p.t, "inuse", "Live heap of what was sampled while traced",
				alloc_values, 2);
	if (!err && p.has_heap)
		err = put_flame(j, &p.heap, &p.t, "heap", "Live heap (the runtime's heap profile)",
				alloc_values, 2);
	if (!err && p.has_gor)
		err = put_flame(j, &p.gor, &p.t, "goroutines", "Goroutines by stack", gor_values, 1);
	gmt_json__arr_end(j);
	if (!err)
		err = put_gc(j, in);
	if (!err)
		err = put_goroutines(j, in, gr, ng);
	put_types(j, in);
	put_notes(j, in, (struct flame *[]){ &p.alloc, &p.inuse, &p.heap, &p.gor });
	gmt_json__obj_end(j);
out:
	if (j) {
		int e = gmt_json__free(j);

		err = err ?: e;
	}
	free(gr);
	free(p.fs.name);
	free(p.fs.flags);
	flame_free(&p.alloc);
	flame_free(&p.inuse);
	flame_free(&p.heap);
	flame_free(&p.gor);
	strtab_free(&p.t);
	return err;
}

int gmt_write_html_report(FILE *f, const struct gmt_html_in *in)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int err;

	if (!m)
		return -ENOMEM;
	err = gmt_write_html_data(m, in);
	if (fclose(m) && !err)
		err = -ENOMEM;
	if (!err) {
		fputs(gmt_report_html_head, f);
		/* '<' only occurs inside JSON strings: as \u003c it cannot end the script. */
		for (size_t i = 0; i < len; i++) {
			if (buf[i] == '<')
				fputs("\\u003c", f);
			else
				fputc(buf[i], f);
		}
		fputs(gmt_report_html_tail, f);
		err = ferror(f) ? -EIO : 0;
	}
	free(buf);
	return err;
}
