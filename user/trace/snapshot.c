// SPDX-License-Identifier: MIT
#include "snapshot.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "elf_file.h"
#include "go_release.h"
#include "gobin.h"
#include "memrate.h"
#include "mprof.h"
#include "outputs.h"
#include "procmem.h"
#include "procsym.h"
#include "recorder.h"
#include "release.h"
#include "runinfo.h"
#include "snapshot_gor.h"
#include "target.h"

#define TOP_SITES 10

/* The executable's first PT_LOAD as the process maps it: the load bias (0 unless PIE). */
static int exe_bias(const struct gmt_gobin *gb, pid_t pid, uint64_t *bias, struct gmt_diag *d)
{
	const struct gmt_elf_seg *first = NULL;

	*bias = 0;
	for (size_t i = 0; i < gmt_elf__nsegs(gb->elf); i++) {
		const struct gmt_elf_seg *s = gmt_elf__seg(gb->elf, i);

		if (s->type == PT_LOAD && (!first || s->off < first->off))
			first = s;
	}
	if (!first)
		return gmt_diag_set(d, -ENOEXEC, "no loadable segment");
	if (!gb->pie)
		return 0;
	return gmt_target__load_bias(pid, first->vaddr, first->off, bias, d);
}

static void exe_mapping(const struct gmt_gobin *gb, uint64_t bias, const char *path,
			struct gmt_pprof_mapping *m)
{
	for (size_t i = 0; i < gmt_elf__nsegs(gb->elf); i++) {
		const struct gmt_elf_seg *s = gmt_elf__seg(gb->elf, i);

		if (s->type == PT_LOAD && (s->flags & PF_X)) {
			m->memory_start = s->vaddr + bias;
			m->memory_limit = s->vaddr + s->memsz + bias;
			m->file_offset = s->off;
			break;
		}
	}
	m->filename = path;
}

struct heap_ctx {
	const struct gmt_mprof *p;
	int64_t rate;
	const struct gmt_symbolizer *sym;
	const struct gmt_run_info *ri;
	const struct gmt_pprof_opts *po;
};

static int w_heap(FILE *f, void *arg)
{
	struct heap_ctx *c = arg;

	return gmt_write_heap_snapshot(c->p, c->rate, c->sym, f, c->ri, c->po);
}

static int w_folded(FILE *f, void *arg)
{
	struct heap_ctx *c = arg;

	return gmt_write_heap_folded(c->p, c->rate, c->sym, f);
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

/* The in-use heap by allocating function (the leaf runtime/pprof shows), largest first. */
static void print_sites(FILE *out, const struct gmt_mprof *p, int64_t rate,
			const struct gmt_symbolizer *sym)
{
	struct site *s = calloc(p->n ? p->n : 1, sizeof(*s));
	char(*names)[256] = calloc(p->n ? p->n : 1, sizeof(*names));
	size_t n = 0;

	if (!s || !names)
		goto out;
	for (size_t i = 0; i < p->n; i++) {
		const struct gmt_mprof_rec *r = &p->recs[i];
		const uint64_t *stk = p->pcs + r->stk;
		size_t skip = gmt_heapsnap_runtime_skip(sym, stk, r->nstk), k;
		struct gmt_frame fr[64];
		int64_t objs, bytes;
		int nf;

		gmt_mprof_scale(r->allocs - r->frees, r->alloc_bytes - r->free_bytes, rate, &objs,
				&bytes);
		if (bytes <= 0)
			continue;
		nf = skip < r->nstk ? gmt_symbolize_pc(sym, stk[skip], fr, 64) : -ENOENT;
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
		fprintf(out, "  top in-use sites (function that allocated):\n");
	for (size_t i = 0; i < n && i < TOP_SITES; i++)
		fprintf(out, "    %12.1f KiB %10lld objects  %s\n", (double)s[i].bytes / 1024,
			(long long)s[i].objects, s[i].func);
out:
	free(s);
	free(names);
}

int gmt_snapshot_take(pid_t pid, const struct gmt_snapshot_opts *o, struct gmt_snapshot_result *r,
		      FILE *out, struct gmt_diag *d)
{
	struct gmt_target t = { .pidfd = -1 };
	const struct gmt_go_release *rel;
	struct gmt_release relinfo;
	struct gmt_memrate_vars rv;
	struct gmt_mprof_vars mv;
	struct gmt_procmem pm = { .fd = -1 };
	struct gmt_mprof p = {};
	struct gmt_gobin *gb = NULL;
	struct gmt_symbolizer sym = {};
	struct gmt_procsym ps;
	struct gmt_rmem mem;
	uint64_t bias = 0;
	int64_t rate = 0;
	int err;

	memset(r, 0, sizeof(*r));
	err = gmt_target__attach(pid, &t, d);
	if (!err)
		err = gmt_gobin__open(t.exe, &gb, d);
	if (err) {
		if (t.pid)
			gmt_target__name_exe(&t, d);
		goto out;
	}
	/* The release table's row: named by the binary, or inferred from its code. */
	err = gmt_release_resolve(gb, &relinfo, d);
	if (err)
		goto out;
	rel = relinfo.row;
	snprintf(r->go_version, sizeof(r->go_version), "%s", relinfo.name);
	err = exe_bias(gb, pid, &bias, d);
	if (!err)
		err = gmt_mprof_find(gb, 0, &mv, d);
	if (err)
		goto out;
	r->decoded = mv.decoded;
	err = gmt_memrate_find(gb, rel, 0, &rv, d);
	if (!err)
		err = gmt_memrate_read(pid, rv.rate + bias, &rate, d);
	if (err)
		goto out;
	r->rate = rate;
	err = gmt_procmem_open(&pm, pid, d);
	if (err)
		goto out;
	mem = gmt_procmem_rmem(&pm);
	err = gmt_mprof_read(&mem, rel,
			     &(struct gmt_mprof_addrs){ mv.mbuckets + bias, mv.mprof_cycle + bias },
			     &p, d);
	if (err)
		goto out;
	if (!p.n) {
		err = gmt_diag_set(d, -ENODATA,
				   "PID %d has no heap profile: no bucket (MemProfileRate is %lld%s); "
				   "'gomemtrace record' or 'daemon' raise the rate, later snapshots "
				   "then have buckets",
				   (int)pid, (long long)rate, rate ? ", nothing sampled yet" : "");
		goto out;
	}
	r->buckets = p.n;
	r->all_cycles = p.all_cycles;
	for (size_t i = 0; i < p.n; i++) {
		const struct gmt_mprof_rec *b = &p.recs[i];
		int64_t c, s;

		gmt_mprof_scale(b->allocs, b->alloc_bytes, rate, &c, &s);
		r->alloc_objects += c;
		r->alloc_space += s;
		gmt_mprof_scale(b->allocs - b->frees, b->alloc_bytes - b->free_bytes, rate, &c, &s);
		r->inuse_objects += c;
		r->inuse_space += s;
	}
	gmt_procsym_init(&ps, gb, bias, &sym);
	if (o->heap) {
		struct gmt_run_info ri = { .mode = "snapshot", .go_version = relinfo.name,
					   .binary = t.path, .comm = t.comm, .pid = pid };
		struct gmt_pprof_opts po = {};
		struct heap_ctx c = { &p, rate, &sym, &ri, &po };
		struct timespec ts;

		if (!clock_gettime(CLOCK_REALTIME, &ts))
			ri.start_wall_ns = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
		exe_mapping(gb, bias, t.path, &po.mapping);
		err = gmt_outdir_prepare(o->dir, d);
		if (!err)
			err = gmt_write_file_atomic(o->dir, "heap.pb.gz", w_heap, &c, d);
		if (!err)
			err = gmt_write_file_atomic(o->dir, "inuse_space.folded", w_folded, &c, d);
		if (err)
			goto out;
	}
	if (out) {
		fprintf(out, "PID %d (%s, %s): heap profile of %zu buckets at MemProfileRate %lld%s\n",
			(int)pid, t.comm, relinfo.name, p.n, (long long)rate,
			p.all_cycles ? " (no GC completed yet: every cycle counted)" : "");
		fprintf(out, "  in use:    %.1f MiB in %lld objects\n",
			(double)r->inuse_space / (1 << 20), (long long)r->inuse_objects);
		fprintf(out, "  allocated: %.1f MiB in %lld objects since the process started\n",
			(double)r->alloc_space / (1 << 20), (long long)r->alloc_objects);
		print_sites(out, &p, rate, &sym);
		if (o->heap)
			fprintf(out, "wrote %s/heap.pb.gz and inuse_space.folded\n", o->dir);
	}
	if (o->goroutines) {
		struct gmt_run_info ri = { .mode = "snapshot", .go_version = relinfo.name,
					   .binary = t.path, .comm = t.comm, .pid = pid };
		struct gmt_pprof_opts po = {};
		struct gmt_snapshot_gor_in gi = { gb, rel, &mem, &sym, bias, o->dir, &ri, &po };
		struct timespec ts;

		if (!clock_gettime(CLOCK_REALTIME, &ts))
			ri.start_wall_ns = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
		exe_mapping(gb, bias, t.path, &po.mapping);

		err = gmt_outdir_prepare(o->dir, d);
		if (!err)
			err = gmt_snapshot_goroutines(&gi, out, d);
	}
out:
	gmt_mprof_free(&p);
	gmt_procmem_close(&pm);
	gmt_gobin__free(gb);
	gmt_target__close(&t);
	return err;
}
