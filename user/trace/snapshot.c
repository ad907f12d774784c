// SPDX-License-Identifier: MIT
#include "snapshot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis.h"
#include "go_release.h"
#include "gobin.h"
#include "gsnap.h"
#include "log.h"
#include "memsnap.h"
#include "mprof.h"
#include "out_html.h"
#include "outputs.h"
#include "procmaps.h"
#include "procmem.h"
#include "procsym.h"
#include "recorder.h"
#include "runinfo.h"
#include "snapshot_gor.h"
#include "target.h"

#define TOP_SITES 10

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

/*
 * The runtime's heap profile: mbuckets walked (mprof.h) and totalled into r.  -ENODATA
 * with the one line to say when the process has no bucket (MemProfileRate was 0).
 */
static int read_heap(const struct gmt_analysis *a, struct gmt_procmem *pm, uint64_t bias,
		     const struct gmt_target *t, struct gmt_mprof *p,
		     struct gmt_snapshot_result *r, struct gmt_diag *d)
{
	const struct gmt_heapvars *hv = &a->heap;
	struct gmt_rmem mem = gmt_procmem__rmem(pm);
	uint64_t rate_word;
	int err;

	if (!hv->mbuckets)
		return gmt_diag_set(d, -ENOENT, "%s: cannot find the heap profile: %s", t->path,
				    hv->why_mbuckets);
	if (a->mr_err)
		return gmt_diag_set(d, a->mr_err, "%s", a->mr_why);
	r->decoded = hv->mbuckets_src == GMT_HEAPVAR_DECODED;
	err = gmt_procmem__read_word(pm, a->mr.rate + bias, &rate_word);
	if (err)
		return gmt_procmem_explain(d, err, t->pid, a->mr.rate + bias, false, NULL);
	r->rate = (int64_t)rate_word;
	err = gmt_mprof_read(&mem, gmt_analysis__row(a),
			     &(struct gmt_mprof_addrs){ hv->mbuckets + bias, hv->mprof_cycle + bias },
			     p, d);
	if (err)
		return err;
	if (!p->n)
		return gmt_diag_set(d, -ENODATA,
				    "PID %d has no heap profile: no bucket (MemProfileRate is %lld%s); "
				    "'gomemtrace record' or 'daemon' raise the rate, later snapshots "
				    "then have buckets",
				    (int)t->pid, (long long)r->rate,
				    r->rate ? ", nothing sampled yet" : "");
	r->buckets = p->n;
	r->all_cycles = p->all_cycles;
	for (size_t i = 0; i < p->n; i++) {
		const struct gmt_mprof_rec *b = &p->recs[i];
		int64_t c, sz;

		gmt_mprof_scale(b->allocs, b->alloc_bytes, r->rate, &c, &sz);
		r->alloc_objects += c;
		r->alloc_space += sz;
		gmt_mprof_scale(b->allocs - b->frees, b->alloc_bytes - b->free_bytes, r->rate, &c,
				&sz);
		r->inuse_objects += c;
		r->inuse_space += sz;
	}
	return 0;
}

int gmt_snapshot_read_heap(const struct gmt_target *t, const struct gmt_analysis *a,
			   struct gmt_mprof *p, struct gmt_snapshot_result *r, struct gmt_diag *d)
{
	struct gmt_procmem *pm = NULL;
	uint64_t bias = 0;
	int err;

	memset(r, 0, sizeof(*r));
	memset(p, 0, sizeof(*p));
	snprintf(r->go_version, sizeof(r->go_version), "%s", a->rel.name);
	err = gmt_proc_exe_bias(a->gb, t->pid, &bias, d);
	if (!err)
		err = gmt_procmem__open(t->pid, 0, &pm, d);
	if (!err)
		err = read_heap(a, pm, bias, t, p, r, d);
	if (err)
		gmt_mprof_free(p);
	gmt_procmem__close(pm);
	return err;
}

int gmt_snapshot_read_leaks(const struct gmt_target *t, const struct gmt_analysis *a,
			    struct gmt_leakflag *lf, struct gmt_diag *d)
{
	struct gmt_procmem *pm = NULL;
	struct gmt_symbolizer sym = {};
	struct gmt_procsym ps = {};
	struct gmt_rmem mem;
	uint64_t bias = 0;
	int err;

	err = gmt_proc_exe_bias(a->gb, t->pid, &bias, d);
	if (!err)
		err = gmt_procmem__open(t->pid, 0, &pm, d);
	if (err)
		goto out;
	mem = gmt_procmem__rmem(pm);
	gmt_procsym_init(&ps, a->gb, bias, &sym);
	err = gmt_snapshot_goroutines(
		&(struct gmt_snapshot_gor_in){ .gb = a->gb, .vars = &a->gor,
					       .row = gmt_analysis__row(a), .mem = &mem,
					       .sym = &sym, .bias = bias, .leaks = lf },
		NULL, d);
out:
	gmt_procsym_free(&ps);
	gmt_procmem__close(pm);
	return err;
}

int gmt_snapshot_take(pid_t pid, const struct gmt_snapshot_opts *o, struct gmt_snapshot_result *r,
		      FILE *out, struct gmt_diag *d)
{
	struct gmt_target t = { .pidfd = -1 };
	struct gmt_analysis *a = NULL;
	int err;

	memset(r, 0, sizeof(*r));
	if (!o->dir && (o->heap || !o->no_memory))
		return gmt_diag_set(d, -EINVAL, "snapshot: no directory for its files");
	if (!o->heap && !o->goroutines)
		return gmt_snapshot_read(NULL, NULL, o, r, out, d); /* says what is wrong */
	err = gmt_target__attach(pid, &t, d);
	/* The binary's release row and runtime variables, as `info` lists them. */
	if (!err)
		err = gmt_analysis__open(t.exe, &a, d);
	if (err) {
		if (t.pid)
			gmt_target__name_exe(&t, d);
	} else {
		err = gmt_snapshot_read(&t, a, o, r, out, d);
	}
	gmt_analysis__put(a);
	gmt_target__close(&t);
	return err;
}

static int w_html(FILE *f, void *in)
{
	return gmt_write_html_report(f, in);
}

int gmt_snapshot_read(const struct gmt_target *t, const struct gmt_analysis *a,
		      const struct gmt_snapshot_opts *o, struct gmt_snapshot_result *r,
		      FILE *out, struct gmt_diag *d)
{
	pid_t pid;
	const struct gmt_release *relinfo;
	struct gmt_procmem *pm = NULL;
	struct gmt_mprof p = {};
	struct gmt_memsnap *ms = NULL;
	const struct gmt_gobin *gb;
	struct gmt_symbolizer sym = {};
	struct gmt_pprof_opts po = {};
	struct gmt_run_info ri;
	struct gmt_procsym ps = {};
	struct gmt_gsnap gs = {};
	struct gmt_snapshot_gor_in gi;
	struct timespec ts;
	struct gmt_rmem mem;
	bool heap = o->heap;
	int64_t gnow = 0;
	uint64_t bias = 0;
	int err;

	memset(r, 0, sizeof(*r));
	if (!o->dir && (o->heap || !o->no_memory))
		return gmt_diag_set(d, -EINVAL, "snapshot: no directory for its files");
	if (!o->heap && !o->goroutines)
		return gmt_diag_set(d, -EINVAL, "snapshot: nothing to read (--no-heap and "
						"--no-goroutines)");
	pid = t->pid;
	gb = a->gb;
	relinfo = &a->rel;
	snprintf(r->go_version, sizeof(r->go_version), "%s", relinfo->name);
	err = gmt_proc_exe_bias(gb, pid, &bias, d);
	if (!err)
		err = gmt_procmem__open(pid, 0, &pm, d);
	if (err)
		goto out;
	/*
	 * Everything is read before the first file is written: a process gone or exec'd
	 * mid-read (procmem says -ESRCH) leaves no file behind.
	 */
	if (heap) {
		err = read_heap(a, pm, bias, t, &p, r, d);
		/* No heap profile: said in one line, and the goroutines are still read. */
		if (err == -ENODATA && o->goroutines) {
			if (!o->heap_quiet)
				pr_warn("%s\n", d->msg);
			heap = false;
			err = 0;
		}
		if (err)
			goto out;
	}
	mem = gmt_procmem__rmem(pm);
	gmt_procsym_init(&ps, gb, bias, &sym);
	/* What the profiles say of the process: the same for the heap and the goroutines. */
	ri = (struct gmt_run_info){ .mode = "snapshot", .go_version = relinfo->name,
				    .binary = t->path, .comm = t->comm, .pid = pid };
	if (!clock_gettime(CLOCK_REALTIME, &ts))
		ri.start_wall_ns = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	gmt_pprof_exe_mapping(gb, bias, t->path, &po.mapping);
	gi = (struct gmt_snapshot_gor_in){
		.gb = gb, .vars = &a->gor, .row = gmt_analysis__row(a), .mem = &mem,
		.sym = &sym, .bias = bias, .dir = o->dir, .ri = &ri, .po = &po,
		.leaks = o->leaks,
	};
	if (o->goroutines) {
		err = gmt_snapshot_gor_read(&gi, &gs, &gnow, d);
		if (err)
			goto out;
	}
	/*
	 * The memory figures last: reading through /proc/PID/mem faults in pages of the
	 * target that it never touched (VmRSS grew by 2 MiB in a test when this read came
	 * first), and memory.json's RSS is the process as the snapshot leaves it.
	 */
	if (!o->no_memory) {
		ms = malloc(sizeof(*ms));
		err = ms ? gmt_memsnap_read(pid, a, ms, d) :
			   gmt_diag_set(d, -ENOMEM, "out of memory");
		if (err)
			goto out;
	}
	/* Read: from here on only files. */
	if (heap) {
		struct heap_ctx c = { &p, r->rate, &sym, &ri, &po };

		err = gmt_outdir_prepare(o->dir, d);
		if (!err)
			err = gmt_write_file_atomic(o->dir, "heap.pb.gz", w_heap, &c, d);
		if (!err)
			err = gmt_write_file_atomic(o->dir, "inuse_space.folded", w_folded, &c, d);
		if (err)
			goto out;
	}
	if (heap && out) {
		fprintf(out, "PID %d (%s, %s): heap profile of %zu buckets at MemProfileRate %lld%s\n",
			(int)pid, t->comm, relinfo->name, p.n, (long long)r->rate,
			p.all_cycles ? " (no GC completed yet: every cycle counted)" : "");
		fprintf(out, "  in use:    %.1f MiB in %lld objects\n",
			(double)r->inuse_space / (1 << 20), (long long)r->inuse_objects);
		fprintf(out, "  allocated: %.1f MiB in %lld objects since the process started\n",
			(double)r->alloc_space / (1 << 20), (long long)r->alloc_objects);
		gmt_write_heap_top_sites(out, &p, r->rate, &sym, TOP_SITES);
		fprintf(out, "wrote %s/heap.pb.gz and inuse_space.folded\n", o->dir);
	}
	if (o->goroutines) {
		err = o->dir ? gmt_outdir_prepare(o->dir, d) : 0;
		if (!err)
			err = gmt_snapshot_gor_write(&gi, &gs, gnow, out, d);
	}
	if (!err && ms)
		err = gmt_outdir_prepare(o->dir, d);
	if (!err && ms)
		err = gmt_memsnap_write(ms, o->dir, "memory.json", out, d);
	if (!err && ms && out)
		fprintf(out, "wrote %s/memory.json\n", o->dir);
	if (!err && o->html) {
		struct gmt_live_heap lh = { .p = heap ? &p : NULL, .rate = r->rate };
		struct gmt_html_in in = {
			.ri = &ri, .sym = &sym, .mode = "snapshot",
			.what = "the process as read now, with no probe",
			.live = heap ? &lh : NULL, .gsnap = o->goroutines ? &gs : NULL,
			.row = gmt_analysis__row(a), .gsnap_now_ns = gnow,
			.mem = ms ? &ms->r : NULL };

		err = gmt_outdir_prepare(o->dir, d);
		if (!err)
			err = gmt_write_file_atomic(o->dir, "report.html", w_html, &in, d);
		if (!err && out)
			fprintf(out, "wrote %s/report.html\n", o->dir);
	}
out:
	/* The readers below procmem do not know the PID: say which process and why. */
	if (err == -ESRCH)
		gmt_diag_set(d, err, "PID %d exited or exec'd while it was read: nothing written",
			     (int)pid);
	if (!err && o->keep && o->goroutines) {
		*o->keep = gs;
		*o->keep_now = gnow;
		memset(&gs, 0, sizeof(gs));
	}
	gmt_gsnap_free(&gs);
	gmt_procsym_free(&ps);
	free(ms);
	gmt_mprof_free(&p);
	gmt_procmem__close(pm);
	return err;
}
