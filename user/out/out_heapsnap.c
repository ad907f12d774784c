// SPDX-License-Identifier: MIT
/*
 * heap.pb.gz of a snapshot: the runtime's own heap profile (goruntime/mprof.h) written
 * the way runtime/pprof writes /debug/pprof/heap (protomem.go, writeHeapProto).
 *
 * A bucket's stack is what runtime.callers stored: one pc per logical frame, inlined
 * frames included (the pc of an inlined call is its inline mark in the physical
 * function, plus one).  runtime/pprof merges such runs back into one Location; so does
 * this writer, by keeping the first pc of a run (a real return address, which the
 * symbolizer expands into all its inlined frames) and dropping the pcs that follow it
 * when they are, one by one, the frames that expansion already holds.  runtime.goexit,
 * the root of every goroutine's stack, is left out as runtime/pprof leaves it out.
 */
#include "outputs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mprof.h"

#define MAX_INLINE 64

/* The innermost and the physical (outermost) function of pc; false if it does not symbolize. */
static bool ends_of(const struct gmt_symbolizer *sym, uint64_t pc, const char **inner,
		    const char **outer)
{
	struct gmt_frame fr[MAX_INLINE];
	int n = gmt_symbolize_pc(sym, pc, fr, MAX_INLINE);

	if (n <= 0 || !fr[0].func || !fr[n - 1].func)
		return false;
	*inner = fr[0].func;
	*outer = fr[n - 1].func;
	return true;
}

size_t gmt_heapsnap_physical(const struct gmt_symbolizer *sym, const uint64_t *pcs, size_t n,
			     uint64_t *out)
{
	char callee[512] = ""; /* the physical function of the last pc kept */
	size_t k = 0;

	for (size_t j = 0; j < n;) {
		struct gmt_frame fr[MAX_INLINE];
		int d = gmt_symbolize_pc(sym, pcs[j], fr, MAX_INLINE), m = 1;

		if (d > 0 && fr[0].func && !strcmp(fr[0].func, "runtime.goexit")) {
			j++; /* runtime/pprof leaves goexit out (allFrames) */
			continue;
		}
		/*
		 * A go statement's wrapper (main.main.gowrap1) with nothing inlined: go1.23+
		 * stores it (frame-pointer unwinding) and leaves it out when the profile is
		 * read (fpunwindExpand), older releases never store it.  Leave it out too.
		 * (One with its callee inlined: sym is a gmt_go_view, which hides it.)
		 */
		if (d == 1 && sym->is_wrapper && sym->is_wrapper(sym->ctx, pcs[j]) &&
		    gmt_go_elides_wrapper_calling(callee)) {
			j++;
			continue;
		}
		out[k++] = pcs[j];
		snprintf(callee, sizeof(callee), "%s", d > 0 && fr[d - 1].func ? fr[d - 1].func : "");
		/*
		 * fr[] may point into the symbolizer's storage: copy the names compared
		 * before symbolizing the next pcs.
		 */
		while (d > 1 && m < d && j + m < n) {
			const char *inner, *outer;
			char want[512], phys[512];

			if (!fr[m].func || !fr[d - 1].func)
				break;
			snprintf(want, sizeof(want), "%s", fr[m].func);
			snprintf(phys, sizeof(phys), "%s", fr[d - 1].func);
			if (!ends_of(sym, pcs[j + m], &inner, &outer) || strcmp(inner, want) ||
			    strcmp(outer, phys))
				break;
			m++;
			d = gmt_symbolize_pc(sym, pcs[j], fr, MAX_INLINE); /* fr again, as above */
		}
		j += m;
	}
	return k;
}

size_t gmt_heapsnap_runtime_skip(const struct gmt_symbolizer *sym, const uint64_t *pcs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *inner, *outer;

		if (!ends_of(sym, pcs[i], &inner, &outer))
			return 0; /* what runtime/pprof cannot name it does not hide */
		if (!gmt_func_is_runtime(inner))
			return i;
	}
	return 0; /* all runtime: runtime/pprof keeps the whole stack */
}

int gmt_write_heap_snapshot(const struct gmt_mprof *p, int64_t rate,
			    const struct gmt_symbolizer *raw, FILE *f, const struct gmt_run_info *ri,
			    const struct gmt_pprof_opts *o)
{
	struct gmt_go_view v; /* frames as runtime/pprof shows them */
	const struct gmt_symbolizer *sym = gmt_go_view(&v, raw);
	struct gmt_pprof_opts po = o ? *o : (struct gmt_pprof_opts){};
	struct gmt_heap_sample *s = calloc(p->n ? p->n : 1, sizeof(*s));
	uint64_t *pcs = calloc(p->npcs ? p->npcs : 1, sizeof(*pcs));
	size_t used = 0;
	int err;

	if (!s || !pcs) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < p->n; i++) {
		const struct gmt_mprof_rec *r = &p->recs[i];
		const uint64_t *stk = p->pcs + r->stk;
		size_t skip = gmt_heapsnap_runtime_skip(sym, stk, r->nstk);

		s[i].pcs = pcs + used;
		s[i].depth = (uint32_t)gmt_heapsnap_physical(sym, stk + skip, r->nstk - skip,
							     pcs + used);
		used += s[i].depth;
		gmt_mprof_scale(r->allocs, r->alloc_bytes, rate, &s[i].values[0], &s[i].values[1]);
		gmt_mprof_scale(r->allocs - r->frees, r->alloc_bytes - r->free_bytes, rate,
				&s[i].values[2], &s[i].values[3]);
		s[i].block_bytes = r->allocs > 0 ? r->alloc_bytes / r->allocs : 0;
	}
	po.period = rate > 1 ? (uint64_t)rate : 1; /* the profile's period is the rate */
	err = gmt_write_heap_pprof(s, p->n, sym, f, ri, &po);
out:
	free(s);
	free(pcs);
	return err;
}

/* One bucket's stack, root first, inlined frames expanded: "a;b;c". */
static void folded_line(const struct gmt_symbolizer *sym, const uint64_t *pcs, size_t n,
			FILE *f)
{
	bool first = true;

	for (size_t i = n; i-- > 0;) {
		struct gmt_frame fr[MAX_INLINE];
		int k = gmt_symbolize_pc(sym, pcs[i], fr, MAX_INLINE);

		if (k <= 0) {
			fprintf(f, "%s0x%llx", first ? "" : ";", (unsigned long long)pcs[i]);
			first = false;
			continue;
		}
		while (k-- > 0) {
			fprintf(f, "%s%s", first ? "" : ";", fr[k].func ? fr[k].func : "?");
			first = false;
		}
	}
	if (first)
		fputs("[unknown stack]", f);
}

int gmt_write_heap_folded(const struct gmt_mprof *p, int64_t rate,
			  const struct gmt_symbolizer *raw, FILE *f)
{
	struct gmt_go_view v; /* frames as runtime/pprof shows them */
	const struct gmt_symbolizer *sym = gmt_go_view(&v, raw);
	uint64_t *pcs = calloc(p->npcs ? p->npcs : 1, sizeof(*pcs));

	if (!pcs)
		return -ENOMEM;
	for (size_t i = 0; i < p->n; i++) {
		const struct gmt_mprof_rec *r = &p->recs[i];
		const uint64_t *stk = p->pcs + r->stk;
		size_t skip = gmt_heapsnap_runtime_skip(sym, stk, r->nstk), n;
		int64_t objs, bytes;

		gmt_mprof_scale(r->allocs - r->frees, r->alloc_bytes - r->free_bytes, rate, &objs,
				&bytes);
		if (bytes <= 0)
			continue;
		n = gmt_heapsnap_physical(sym, stk + skip, r->nstk - skip, pcs);
		folded_line(sym, pcs, n, f);
		fprintf(f, " %lld\n", (long long)bytes);
	}
	free(pcs);
	return ferror(f) ? -EIO : 0;
}

struct site {
	const char *func; /* points into names */
	int64_t objects, bytes;
};

static int by_bytes(const void *a, const void *b)
{
	const struct site *x = a, *y = b;

	return x->bytes < y->bytes ? 1 : x->bytes > y->bytes ? -1 : strcmp(x->func, y->func);
}

int gmt_write_heap_top_sites(FILE *f, const struct gmt_mprof *p, int64_t rate,
			     const struct gmt_symbolizer *raw, size_t max)
{
	struct gmt_go_view v; /* frames as runtime/pprof shows them */
	const struct gmt_symbolizer *sym = gmt_go_view(&v, raw);
	struct site *s = calloc(p->n ? p->n : 1, sizeof(*s));
	char(*names)[256] = calloc(p->n ? p->n : 1, sizeof(*names));
	size_t n = 0;
	int err = 0;

	if (!s || !names) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < p->n; i++) {
		const struct gmt_mprof_rec *r = &p->recs[i];
		const uint64_t *stk = p->pcs + r->stk;
		size_t skip = gmt_heapsnap_runtime_skip(sym, stk, r->nstk), k;
		struct gmt_frame fr[MAX_INLINE];
		int64_t objs, bytes;
		int nf;

		gmt_mprof_scale(r->allocs - r->frees, r->alloc_bytes - r->free_bytes, rate, &objs,
				&bytes);
		if (bytes <= 0)
			continue;
		nf = skip < r->nstk ? gmt_symbolize_pc(sym, stk[skip], fr, MAX_INLINE) : -ENOENT;
		snprintf(names[n], sizeof(names[n]), "%s", nf > 0 && fr[0].func ? fr[0].func : "?");
		for (k = 0; k < n && strcmp(s[k].func, names[n]); k++)
			;
		if (k == n) {
			s[n].func = names[n];
			n++;
		}
		s[k].objects += objs;
		s[k].bytes += bytes;
	}
	qsort(s, n, sizeof(*s), by_bytes);
	if (n)
		fprintf(f, "  top in-use sites (function that allocated):\n");
	for (size_t i = 0; i < n && i < max; i++)
		fprintf(f, "    %12.1f KiB %10lld objects  %s\n", (double)s[i].bytes / 1024,
			(long long)s[i].objects, s[i].func);
	err = ferror(f) ? -EIO : 0;
out:
	free(s);
	free(names);
	return err;
}

#define LIVE_TOP_SITES 20

const char *gmt_live_heap_covers(const struct gmt_live_heap *lh)
{
	return lh->rate_raised ? "since_rate_raised" : "since_process_start";
}

int gmt_live_heap_report(FILE *f, const struct gmt_live_heap *lh,
			 const struct gmt_symbolizer *sym)
{
	const struct gmt_mprof *p = lh->p;

	if (!p) {
		fprintf(f, "Live heap (runtime's heap profile): not read: %s\n\n",
			lh->why ? lh->why : "unknown");
		return ferror(f) ? -EIO : 0;
	}
	fprintf(f, "Live heap (runtime's heap profile, read at the end): %.1f MiB in %lld objects\n",
		(double)lh->inuse_space / (1 << 20), (long long)lh->inuse_objects);
	if (p->all_cycles)
		fprintf(f, "  no GC completed since sampling began: every sampled object counted, "
			   "frees too\n");
	else
		fprintf(f, "  as of the last completed GC (profile cycle %u): objects sampled after "
			   "it are\n  not in it yet, nor are frees not yet swept\n",
			p->cycle);
	fprintf(f, "  sampled at MemProfileRate %lld, %s\n", (long long)lh->rate,
		lh->rate_raised ? "since gomemtrace raised the rate from 0 (objects allocated "
				  "before that are not in it)"
				: "since the process started (objects sampled before the attach "
				  "included)");
	fprintf(f, "  files: heap.pb.gz, inuse_space.folded; allocated since then: %.1f MiB in "
		   "%lld objects\n",
		(double)lh->alloc_space / (1 << 20), (long long)lh->alloc_objects);
	gmt_write_heap_top_sites(f, p, lh->rate, sym, LIVE_TOP_SITES);
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}

void gmt_live_heap_summary(struct gmt_json *j, const struct gmt_live_heap *lh)
{
	if (!lh->p) {
		gmt_json__kstr(j, "live_heap_source", "none");
		gmt_json__kstr(j, "live_heap_error", lh->why ? lh->why : "unknown");
		return;
	}
	gmt_json__kstr(j, "live_heap_source", "runtime_buckets");
	gmt_json__kint(j, "live_heap_inuse_objects", lh->inuse_objects);
	gmt_json__kint(j, "live_heap_inuse_bytes", lh->inuse_space);
	gmt_json__kint(j, "live_heap_alloc_objects", lh->alloc_objects);
	gmt_json__kint(j, "live_heap_alloc_bytes", lh->alloc_space);
	gmt_json__kint(j, "live_heap_rate", lh->rate);
	gmt_json__kuint(j, "live_heap_buckets", lh->p->n);
	gmt_json__kuint(j, "live_heap_gc_cycle", lh->p->cycle);
	gmt_json__kstr(j, "live_heap_as_of",
		       lh->p->all_cycles ? "no_gc_completed" : "last_completed_gc");
	gmt_json__kstr(j, "live_heap_covers", gmt_live_heap_covers(lh));
}
