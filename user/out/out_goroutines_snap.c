// SPDX-License-Identifier: MIT
#include "out_goroutines_snap.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "go_release.h"
#include "grow.h"
#include "hmap.h"
#include "leakflag.h"
#include "outputs.h"

#define MAXF 64 /* inlined frames at one pc */

/* Go's showfuncinfo: runtime-internal functions are not shown, exported ones are. */
static bool shown(const char *fn)
{
	if (!fn || !strchr(fn, '.'))
		return false;
	if (strncmp(fn, "runtime.", 8))
		return true;
	return isupper((unsigned char)fn[8]);
}

/* The go statement's goroutine ran a runtime function: a system goroutine (not shown). */
static bool is_system(const struct gmt_symbolizer *sym, const struct gmt_gsnap_g *g)
{
	struct gmt_frame fr[MAXF];
	int n;

	/* startpc is an entry, not a return address: +1 so that the symbolizer's -1 lands on it. */
	n = gmt_symbolize_pc(sym, g->startpc + 1, fr, MAXF);
	if (n < 1)
		return false;
	return !strncmp(fr[n - 1].func, "runtime.", 8) && strcmp(fr[n - 1].func, "runtime.main");
}

static int64_t waited(const struct gmt_go_release *row, const struct gmt_gsnap_g *g, int64_t now)
{
	if ((g->status != (uint32_t)row->consts.g_waiting &&
	     g->status != (uint32_t)row->consts.g_syscall) ||
	    g->waitsince <= 0 || now < g->waitsince)
		return 0;
	return now - g->waitsince;
}

static bool same_stack(const struct gmt_gsnap_g *a, const struct gmt_gsnap_g *b)
{
	return a->nstk == b->nstk &&
	       (!a->nstk || !memcmp(a->stk, b->stk, a->nstk * sizeof(a->stk[0]))) &&
	       (a->nstk || a->status == b->status);
}

static void first_shown(const struct gmt_symbolizer *sym, const struct gmt_gsnap_g *g, char *buf,
			size_t len)
{
	snprintf(buf, len, "%s", g->nstk ? "?" : "(running)");
	for (int i = 0; i < g->nstk; i++) {
		struct gmt_frame fr[MAXF];
		int n = gmt_symbolize_pc(sym, g->stk[i], fr, MAXF);

		for (int k = 0; k < n; k++)
			if (shown(fr[k].func)) {
				snprintf(buf, len, "%s", fr[k].func);
				return;
			}
	}
}

static int by_count(const void *a, const void *b)
{
	const struct gmt_gsnap_group *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x->first < y->first ? -1 : x->first > y->first;
}

struct same_ctx {
	const struct gmt_gsnap *s;
	const struct gmt_gsnap_group *gr;
	const struct gmt_gsnap_g *g;
};

static bool is_group_of(const void *ctx, uint64_t k)
{
	const struct same_ctx *c = ctx;

	return same_stack(&c->s->gs[c->gr[k].first], c->g);
}

/* What same_stack compares. */
static uint64_t stack_hash(const struct gmt_gsnap_g *g)
{
	if (!g->nstk)
		return gmt_mix64(g->status + 1);
	return gmt_hash_bytes(0, g->stk, (size_t)g->nstk * sizeof(g->stk[0]));
}

int gmt_gsnap_group(const struct gmt_gsnap *s, const struct gmt_go_release *row,
		    const struct gmt_symbolizer *sym, int64_t now_ns, struct gmt_gsnap_group **groups)
{
	struct gmt_gsnap_group *gr = NULL;
	struct gmt_hmap by_stack = {};
	size_t ng = 0, cap = 0;

	*groups = NULL;
	/* Goroutines to their group through a table: 100,000 goroutines may have as many
	 * different stacks. */
	for (size_t i = 0; i < s->n; i++) {
		const struct gmt_gsnap_g *g = &s->gs[i];
		uint64_t h, *k;

		if (is_system(sym, g))
			continue;
		h = stack_hash(g);
		k = gmt_hmap_find(&by_stack, h, is_group_of, &(struct same_ctx){ s, gr, g });
		if (!k) {
			if (GMT_GROW(&gr, &cap, ng + 1) || !(k = gmt_hmap_add(&by_stack, h, ng))) {
				free(gr);
				gmt_hmap_free(&by_stack);
				return -ENOMEM;
			}
			gr[ng].first = i;
			gr[ng].state = gmt_gsnap_state(row, g);
			first_shown(sym, g, gr[ng].func, sizeof(gr[ng].func));
			ng++;
		}
		gr[*k].count++;
		if (waited(row, g, now_ns) > gr[*k].longest_ns)
			gr[*k].longest_ns = waited(row, g, now_ns);
	}
	gmt_hmap_free(&by_stack);
	if (!gr && !(gr = calloc(1, sizeof(*gr))))
		return -ENOMEM;
	qsort(gr, ng, sizeof(*gr), by_count);
	*groups = gr;
	return (int)ng;
}

static void print_frames(FILE *f, const struct gmt_symbolizer *sym, const struct gmt_gsnap_g *g)
{
	for (int i = 0; i < g->nstk; i++) {
		struct gmt_frame fr[MAXF];
		int n = gmt_symbolize_pc(sym, g->stk[i], fr, MAXF);

		if (n < 1) {
			fprintf(f, "?()\n\t?:0 pc=0x%llx\n", (unsigned long long)g->stk[i]);
			continue;
		}
		for (int k = 0; k < n; k++) {
			/* The physical frame of a wrapper is hidden, as Go hides it. */
			if (k == n - 1 && sym->is_wrapper && sym->is_wrapper(sym->ctx, g->stk[i]))
				continue;
			if (shown(fr[k].func))
				fprintf(f, "%s(...)\n\t%s:%u\n", fr[k].func, fr[k].file, fr[k].line);
		}
	}
}

/*
 * created by: the function holding the go statement, into fr (its frames at gopc, the
 * go statement's function last); none (-ENOENT) for goroutine 1 and when the creator is
 * a hidden runtime function (printcreatedby).
 */
static int creator_frames(const struct gmt_symbolizer *sym, const struct gmt_gsnap_g *g,
			  struct gmt_frame *fr)
{
	int n = g->gopc && g->goid != 1 ? gmt_symbolize_pc(sym, g->gopc, fr, MAXF) : -ENOENT;

	return n >= 1 && shown(fr[n - 1].func) ? n : -ENOENT;
}

static void print_g(FILE *f, const struct gmt_go_release *row, const struct gmt_symbolizer *sym,
		    const struct gmt_gsnap_g *g, int64_t now)
{
	int64_t min = waited(row, g, now) / 60000000000ll;
	struct gmt_frame fr[MAXF];
	int n;

	fprintf(f, "goroutine %llu [%s", (unsigned long long)g->goid, gmt_gsnap_state(row, g));
	if (min >= 1)
		fprintf(f, ", %lld minutes", (long long)min);
	if (g->locked)
		fprintf(f, ", locked to thread");
	fprintf(f, "]:\n");
	if (!gmt_gsnap_stopped(row, g->status))
		fprintf(f, "\tgoroutine running on other thread; stack unavailable\n");
	else if (g->unreadable)
		fprintf(f, "\tstack not readable: it changed while read\n");
	else
		print_frames(f, sym, g);
	n = creator_frames(sym, g, fr);
	if (n >= 1) {
		fprintf(f, "created by %s", fr[n - 1].func);
		if (g->parent_goid)
			fprintf(f, " in goroutine %llu", (unsigned long long)g->parent_goid);
		fprintf(f, "\n\t%s:%u\n", fr[0].file, fr[0].line);
	}
	fprintf(f, "\n");
}

int gmt_write_goroutines_snap(const struct gmt_gsnap *s, const struct gmt_go_release *row,
			      const struct gmt_symbolizer *sym, int64_t now_ns, FILE *f)
{
	struct gmt_gsnap_group *gr;
	size_t total = 0;
	int ng = gmt_gsnap_group(s, row, sym, now_ns, &gr);

	if (ng < 0)
		return ng;
	for (int k = 0; k < ng; k++)
		total += gr[k].count;
	fprintf(f, "goroutine profile: total %zu\n", total);
	if (s->reread || s->unreadable)
		fprintf(f, "# read from a running process: %zu goroutines read again, %zu not "
			   "readable consistently\n",
			s->reread, s->unreadable);
	fprintf(f, "\n");
	for (int k = 0; k < ng; k++) {
		const struct gmt_gsnap_g *first = &s->gs[gr[k].first];

		fprintf(f, "%zu @", gr[k].count);
		for (int i = 0; i < first->nstk; i++)
			fprintf(f, " 0x%llx", (unsigned long long)first->stk[i]);
		fprintf(f, "\n# %s", gr[k].state);
		if (gr[k].longest_ns >= 60000000000ll)
			fprintf(f, ", longest %lld minutes", (long long)(gr[k].longest_ns / 60000000000ll));
		fprintf(f, "\n\n");
		for (size_t i = gr[k].first; i < s->n; i++)
			if (same_stack(&s->gs[i], first) && !is_system(sym, &s->gs[i]))
				print_g(f, row, sym, &s->gs[i], now_ns);
	}
	free(gr);
	return ferror(f) ? -EIO : 0;
}

int gmt_gsnap_feed_leaks(const struct gmt_gsnap *s, const struct gmt_go_release *row,
			 const struct gmt_symbolizer *sym, int64_t now_ns, struct gmt_leakflag *lf,
			 struct gmt_diag *d)
{
	gmt_leakflag__begin(lf, now_ns);
	for (size_t i = 0; i < s->n; i++) {
		const struct gmt_gsnap_g *g = &s->gs[i];
		struct gmt_frame fr[MAXF];
		char wait_site[256];
		int n;

		if (is_system(sym, g))
			continue;
		first_shown(sym, g, wait_site, sizeof(wait_site));
		n = creator_frames(sym, g, fr);
		if (gmt_leakflag__add(lf, n >= 1 ? fr[n - 1].func : "?", wait_site,
				      gmt_gsnap_state(row, g), g->goid, waited(row, g, now_ns))) {
			gmt_leakflag__abort(lf);
			return gmt_diag_set(d, -ENOMEM, "out of memory");
		}
	}
	if (gmt_leakflag__end(lf))
		return gmt_diag_set(d, -ENOMEM, "out of memory");
	return 0;
}

/* A group's stack as runtime/pprof records it: wrappers and runtime.goexit left out. */
static uint32_t proto_stack(const struct gmt_symbolizer *sym, const struct gmt_gsnap_g *g,
			    uint64_t *pcs)
{
	uint32_t d = 0;

	for (int i = 0; i < g->nstk; i++) {
		struct gmt_frame fr[MAXF];
		int n = gmt_symbolize_pc(sym, g->stk[i], fr, MAXF);

		if (n >= 1 && !strcmp(fr[n - 1].func, "runtime.goexit"))
			break;
		if (sym->is_wrapper && sym->is_wrapper(sym->ctx, g->stk[i]))
			continue;
		pcs[d++] = g->stk[i];
	}
	return d;
}

int gmt_write_goroutines_snap_pprof(const struct gmt_gsnap *s, const struct gmt_go_release *row,
				    const struct gmt_symbolizer *sym, int64_t now_ns,
				    const struct gmt_run_info *ri, const struct gmt_pprof_opts *o,
				    FILE *f)
{
	struct gmt_gsnap_group *gr;
	struct gmt_heap_sample *smp = NULL;
	uint64_t *pcs = NULL;
	int ng = gmt_gsnap_group(s, row, sym, now_ns, &gr), err;

	if (ng < 0)
		return ng;
	smp = calloc(ng ? (size_t)ng : 1, sizeof(*smp));
	pcs = calloc(ng ? (size_t)ng * GMT_GSNAP_DEPTH : 1, sizeof(*pcs));
	if (!smp || !pcs) {
		err = -ENOMEM;
		goto out;
	}
	for (int k = 0; k < ng; k++) {
		smp[k].pcs = pcs + (size_t)k * GMT_GSNAP_DEPTH;
		smp[k].depth = proto_stack(sym, &s->gs[gr[k].first], pcs + (size_t)k * GMT_GSNAP_DEPTH);
		smp[k].values[0] = (int64_t)gr[k].count;
	}
	err = gmt_write_goroutine_pprof(smp, (size_t)ng, sym, f, ri, o);
out:
	free(smp);
	free(pcs);
	free(gr);
	return err;
}
