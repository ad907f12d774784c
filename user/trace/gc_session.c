// SPDX-License-Identifier: MIT
/*
 * GC tracing within a recording: open gc.bpf.o on the recording's ring buffer, point it
 * at gcController / memstats, attach the GC hooks of the hook plan, feed the records to
 * the timeline, write the outputs.  The lifecycle is the tracer's: open -> rodata ->
 * reuse the ring buffer -> load -> attach; stop; write; free.
 */
#include "gc_session.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "gc.skel.h"
#include "gc_timeline.h"
#include "gcvars.h"
#include "go_release.h"
#include "hookplan.h"
#include "json_writer.h"
#include "log.h"
#include "out_gc.h"
#include "probesite.h"
#include "recorder.h"

_Static_assert(sizeof(struct gmt_rec_gc) == 168, "gmt_rec_gc is part of the BPF ABI");

struct gmt_gc_session {
	struct gc_bpf *skel;
	struct bpf_link **links;
	size_t nlinks;
	struct gmt_gc_timeline *tl;
	struct gmt_gcvars vars;
	uint64_t controller; /* runtime address of gcController, 0 when not found */
	bool reason_arg;     /* stopTheWorldWithSema takes the stwReason (go1.21+) */
	bool stw_fn;	     /* runtime.stopTheWorld is hooked (its reason string, <= 1.20) */
	int ncpus;
	bool stopped, finished;
	uint64_t end_ns;
	uint64_t counters[GMT_CNT__MAX];
	bool have_counters;
	uint64_t bad_records;
	uint64_t receiver_mismatch; /* startCycle receivers that were not our gcController */
	struct gmt_run_info ri;
	bool have_ri;
	struct gmt_counter_track tracks[GMT_GC_MAX_TRACKS];
	size_t ntracks;
	char unavailable[2048]; /* one line per missing piece */
};

static struct bpf_program *prog_for(struct gc_bpf *skel, enum gmt_hook_id id)
{
	switch (id) {
	case GMT_HOOK_GCSTART:
		return skel->progs.gmt_gc_start;
	case GMT_HOOK_STARTCYCLE:
		return skel->progs.gmt_gc_cycle;
	case GMT_HOOK_GCSWEEP:
		return skel->progs.gmt_gc_sweep;
	case GMT_HOOK_STW_STOP:
		return skel->progs.gmt_gc_stw_stop;
	case GMT_HOOK_STW_START:
		return skel->progs.gmt_gc_stw_start;
	case GMT_HOOK_STW_START_RET:
		return skel->progs.gmt_gc_stw_done;
	case GMT_HOOK_STOPTHEWORLD:
		return skel->progs.gmt_gc_stoptheworld;
	default:
		return NULL;
	}
}

static int attach_one(struct gmt_gc_session *s, struct bpf_program *prog,
		      const struct gmt_gc_session_opts *o, const struct gmt_hook *h, uint64_t off,
		      bool stack_check, struct gmt_diag *d)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo);
	struct bpf_link *link;

	uo.bpf_cookie = (stack_check ? GMT_COOKIE_STACK_CHECK : 0) | (uint32_t)h->id;
	link = bpf_program__attach_uprobe_opts(prog, o->pid, o->exe, off, &uo);
	if (!link) {
		int err = -errno;

		if (err == -ESRCH)
			return gmt_diag_set(d, err, "PID %d exited while gomemtrace attached to it",
					    o->pid);
		return gmt_diag_set(d, err, "cannot attach a uprobe to %s at %s+%#llx: %s",
				    h->function, o->exe, (unsigned long long)off, strerror(-err));
	}
	s->links[s->nlinks++] = link;
	return 0;
}

static int attach_hooks(struct gmt_gc_session *s, const struct gmt_gc_session_opts *o,
			bool want_stoptheworld, struct gmt_diag *d)
{
	const struct gmt_hookplan *plan = &o->an->plan;

	s->links = calloc(plan->nhooks + 1, sizeof(*s->links));
	if (!s->links)
		return -ENOMEM;
	for (size_t i = 0; i < plan->nhooks; i++) {
		const struct gmt_hook *h = &plan->hooks[i];
		struct bpf_program *prog = prog_for(s->skel, h->id);
		int err;

		if (!prog || h->group != GMT_GROUP_GC)
			continue;
		if (h->id == GMT_HOOK_STOPTHEWORLD && !want_stoptheworld)
			continue;
		err = attach_one(s, prog, o, h, h->probe_offset, h->stack_check, d);
		if (err)
			return err;
		pr_debug("GC probe %s at %#llx (file offset %#llx, %s)\n", h->function,
			 (unsigned long long)h->probe_addr, (unsigned long long)h->probe_offset,
			 h->insn);
	}
	return 0;
}

static int setup_bpf(struct gmt_gc_session *s, const struct gmt_gc_session_opts *o,
		     struct gmt_diag *d)
{
	const struct gmt_gcvars *v = &s->vars;
	const struct gmt_go_release *row = gmt_analysis__row(o->an);
	bool reason_arg = s->reason_arg, stw_fn = s->stw_fn;
	int err;

	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = o->btf_path);

	s->skel = gc_bpf__open_opts(&oo);
	if (!s->skel)
		return gmt_diag_set(d, -errno, "cannot open the GC BPF object: %s",
				    strerror(errno));
	if (v->gc_controller && v->have_offsets) {
		s->controller = v->gc_controller + o->bias;
		s->skel->rodata->gc_controller = s->controller;
		s->skel->rodata->off_heap_live = v->off.heap_live;
		s->skel->rodata->off_heap_marked = v->off.heap_marked;
		s->skel->rodata->off_heap_goal = v->off.last_heap_goal;
	}
	if (v->numgc)
		s->skel->rodata->numgc_addr = v->numgc + o->bias;
	if (v->work_times && v->work_heaps) {
		s->skel->rodata->work_times = v->work_times + o->bias;
		s->skel->rodata->work_heaps = v->work_heaps + o->bias;
	}
	s->skel->rodata->stw_reason_arg = reason_arg;
	if (!reason_arg) {
		s->skel->rodata->off_g_m = row->g.m;
		s->skel->rodata->off_m_curg = row->m.curg;
	}
	bpf_program__set_autoload(s->skel->progs.gmt_gc_stoptheworld, !reason_arg && stw_fn);

	err = bpf_map__reuse_fd(s->skel->maps.events, o->ringbuf_fd);
	if (err)
		return gmt_diag_set(d, err, "cannot share the recording's ring buffer: %s",
				    strerror(-err));
	if (o->counters_fd > 0) {
		err = bpf_map__reuse_fd(s->skel->maps.counters, o->counters_fd);
		if (err)
			return gmt_diag_set(d, err, "cannot share the recording's counters: %s",
					    strerror(-err));
	}
	err = gc_bpf__load(s->skel);
	if (err)
		return gmt_diag_set(d, err < 0 ? err : -EINVAL,
				    "cannot load the GC BPF programs: %s (run with -v for the "
				    "verifier log)",
				    strerror(err < 0 ? -err : EINVAL));
	return attach_hooks(s, o, !reason_arg && stw_fn, d);
}

int gmt_gc_session__start(const struct gmt_gc_session_opts *o, struct gmt_gc_session **out,
			  struct gmt_diag *d)
{
	struct gmt_gc_session *s;
	int err;

	*out = NULL;
	if (!o->an || !o->exe || o->ringbuf_fd < 0)
		return gmt_diag_set(d, -EINVAL, "GC tracing: invalid options");
	/* What the binary has for GC tracing, and what it lacks, is the analysis'. */
	err = gmt_analysis__check(o->an, GMT_MODE_GC, d);
	if (err)
		return err;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->vars = o->an->gc;
	snprintf(s->unavailable, sizeof(s->unavailable), "%s",
		 o->an->modes[GMT_MODE_GC].unavailable);
	s->reason_arg = gmt_analysis__row(o->an)->flags & GMT_REL_STW_REASON;
	s->stw_fn = gmt_hookplan_find(&o->an->plan, GMT_HOOK_STOPTHEWORLD) != NULL;
	if (s->vars.have_offsets && s->vars.why_offsets[0])
		pr_warn("GC: %s\n", s->vars.why_offsets);
	s->ncpus = libbpf_num_possible_cpus();
	s->tl = gmt_gc_timeline__new(gmt_analysis__row(o->an));
	if (!s->tl || s->ncpus <= 0) {
		err = gmt_diag_set(d, s->tl ? -EINVAL : -ENOMEM, "GC tracing: cannot set up");
		goto fail;
	}
	err = setup_bpf(s, o, d);
	if (err)
		goto fail;
	/* Every probe is in: records from here on are whole sequences. */
	__atomic_store_n(&s->skel->bss->enabled, 1, __ATOMIC_RELEASE);
	for (const char *p = s->unavailable; *p;) {
		const char *nl = strchr(p, '\n');

		pr_warn("GC: unavailable: %.*s\n", (int)(nl - p), p);
		p = nl + 1;
	}
	pr_debug("GC: gcController %#llx (%s), numgc %#llx, %zu probes\n",
		 (unsigned long long)s->vars.gc_controller,
		 s->vars.controller_src == GMT_GCVAR_SYMTAB ? "symbol" : "decoded",
		 (unsigned long long)s->vars.numgc, s->nlinks);
	*out = s;
	return 0;
fail:
	gmt_gc_session__free(s);
	return err;
}

size_t gmt_gc_session__nprobes(const struct gmt_gc_session *s)
{
	return s && !s->stopped ? s->nlinks : 0;
}

int gmt_gc_session__on_record(struct gmt_gc_session *s, const void *data, size_t size)
{
	const struct gmt_rec_hdr *h = data;
	const struct gmt_rec_gc *r = data;

	if (size < sizeof(*h) || h->kind < GMT_REC_GC_START || h->kind > GMT_REC_GC_STW_DONE)
		return -ENOENT;
	if (size < sizeof(*r)) {
		s->bad_records++;
		return 0;
	}
	if (h->kind == GMT_REC_GC_CYCLE && s->controller && r->arg[3] != s->controller)
		s->receiver_mismatch++;
	return gmt_gc_timeline__add(s->tl, r) == -ENOMEM ? -ENOMEM : 0;
}

static void read_counters(struct gmt_gc_session *s)
{
	int fd = bpf_map__fd(s->skel->maps.counters);
	uint64_t *vals = calloc(s->ncpus, sizeof(*vals));

	if (!vals)
		return;
	for (uint32_t k = 0; k < GMT_CNT__MAX; k++) {
		s->counters[k] = 0;
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (int c = 0; c < s->ncpus; c++)
			s->counters[k] += vals[c];
	}
	s->have_counters = true;
	free(vals);
}

void gmt_gc_session__detach(struct gmt_gc_session *s)
{
	if (!s)
		return;
	/* Before any probe goes: the sequence ends for all of them at once. */
	if (s->skel && s->skel->bss)
		__atomic_store_n(&s->skel->bss->enabled, 0, __ATOMIC_RELEASE);
	for (size_t i = 0; i < s->nlinks; i++)
		bpf_link__destroy(s->links[i]);
	s->nlinks = 0;
}

void gmt_gc_session__stop(struct gmt_gc_session *s, uint64_t end_ns)
{
	if (!s || s->stopped)
		return;
	s->stopped = true;
	s->end_ns = end_ns;
	gmt_gc_session__detach(s);
	read_counters(s);
	if (s->counters[GMT_CNT_GC_RB_DROPS])
		pr_warn("GC: %llu GC records lost: the ring buffer was full (--ringbuf-mb); the "
			"cycles around them are marked partial\n",
			(unsigned long long)s->counters[GMT_CNT_GC_RB_DROPS]);
	if (s->counters[GMT_CNT_GC_READ_ERR])
		pr_warn("GC: %llu reads of gcController/memstats faulted\n",
			(unsigned long long)s->counters[GMT_CNT_GC_READ_ERR]);
	if (s->receiver_mismatch)
		pr_warn("GC: startCycle ran on a gcController other than the one found in the "
			"binary (%#llx): heap sizes are not trustworthy\n",
			(unsigned long long)s->controller);
	if (s->bad_records)
		pr_warn("GC: %llu malformed GC records ignored\n",
			(unsigned long long)s->bad_records);
}

/* Closes what is still open; after the last record (the final drain) has been seen. */
static void finish(const struct gmt_gc_session *cs)
{
	struct gmt_gc_session *s = (struct gmt_gc_session *)cs;

	if (s->finished)
		return;
	s->finished = true;
	gmt_gc_timeline__finish(s->tl, s->end_ns);
}

static void out_init(const struct gmt_gc_session *s, const struct gmt_gc_timeline *tl,
		     struct gmt_gc_out *o)
{
	memset(o, 0, sizeof(*o));
	o->tl = tl;
	o->ri = s->have_ri ? &s->ri : NULL;
	o->counters = s->have_counters ? s->counters : NULL;
	o->unavailable = s->unavailable;
	o->tracks = s->tracks;
	o->ntracks = s->ntracks;
}

int gmt_gc_session__add_track(struct gmt_gc_session *s, const struct gmt_counter_track *t)
{
	for (size_t i = 0; i < s->ntracks; i++) {
		if (strcmp(s->tracks[i].name, t->name) == 0) {
			s->tracks[i] = *t; /* a newer copy of the same track */
			return 0;
		}
	}
	if (s->ntracks == GMT_GC_MAX_TRACKS)
		return -ENOSPC;
	s->tracks[s->ntracks++] = *t;
	return 0;
}

static int w_txt(FILE *f, void *ctx)
{
	return gmt_write_gc_txt(f, ctx);
}

static int w_json(FILE *f, void *ctx)
{
	return gmt_write_gc_json(f, ctx);
}

static int write_tl(struct gmt_gc_session *s, const struct gmt_gc_timeline *tl, const char *dir,
		    const struct gmt_run_info *ri, const uint64_t *rate_ts,
		    const double *rate_bytes_per_s, size_t nrate, struct gmt_diag *d)
{
	struct gmt_gc_out o;
	int err;

	if (ri) {
		s->ri = *ri;
		s->have_ri = true;
	}
	out_init(s, tl, &o);
	if (rate_ts && rate_bytes_per_s) {
		o.rate_ts = rate_ts;
		o.rate_bytes_per_s = rate_bytes_per_s;
		o.nrate = nrate;
	}
	err = gmt_outdir_prepare(dir, d);
	if (!err)
		err = gmt_write_file_atomic(dir, "gc.txt", w_txt, &o, d);
	if (!err)
		err = gmt_write_file_atomic(dir, "gc.json", w_json, &o, d);
	return err;
}

int gmt_gc_session__write(struct gmt_gc_session *s, const char *dir, const struct gmt_run_info *ri,
			  const uint64_t *rate_ts, const double *rate_bytes_per_s, size_t nrate,
			  struct gmt_diag *d)
{
	finish(s);
	return write_tl(s, s->tl, dir, ri, rate_ts, rate_bytes_per_s, nrate, d);
}

size_t gmt_gc_session__stws(const struct gmt_gc_session *s, const struct gmt_stw **out)
{
	return gmt_gc_timeline__stws(s->tl, out);
}

struct gmt_gc_timeline *gmt_gc_session__rotate(struct gmt_gc_session *s, uint64_t cut_ns)
{
	return gmt_gc_timeline__rotate(s->tl, cut_ns);
}

int gmt_gc_session__write_interval(struct gmt_gc_session *s, const struct gmt_gc_timeline *tl,
				   const char *dir, const struct gmt_run_info *ri,
				   const uint64_t *rate_ts, const double *rate_bytes_per_s,
				   size_t nrate, struct gmt_diag *d)
{
	return write_tl(s, tl, dir, ri, rate_ts, rate_bytes_per_s, nrate, d);
}

void gmt_gc_session__interval_summary_fields(const struct gmt_gc_session *s,
					     const struct gmt_gc_timeline *tl, struct gmt_json *j)
{
	struct gmt_gc_out o;

	out_init(s, tl, &o);
	gmt_gc_summary_fields(j, &o);
}

void gmt_gc_session__summary_fields(const struct gmt_gc_session *s, struct gmt_json *j)
{
	struct gmt_gc_out o;

	finish(s);
	out_init(s, s->tl, &o);
	gmt_gc_summary_fields(j, &o);
}

void gmt_gc_session__report(const struct gmt_gc_session *s, FILE *f)
{
	struct gmt_gc_out o;

	finish(s);
	out_init(s, s->tl, &o);
	gmt_gc_report(f, &o);
}

void gmt_gc_session__free(struct gmt_gc_session *s)
{
	if (!s)
		return;
	gmt_gc_session__detach(s);
	free(s->links);
	gc_bpf__destroy(s->skel);
	gmt_gc_timeline__free(s->tl);
	free(s);
}
