// SPDX-License-Identifier: MIT
/*
 * GC tracing within a recording: open gc.bpf.o on the recording's ring buffer, point it
 * at gcController / memstats, attach the GC hooks of the hook plan, feed the records to
 * the timeline, write the outputs.  The object is loaded and attached as the tracer's
 * and the goroutines' are (bpfobj.h): open -> rodata -> share the ring buffer -> load ->
 * attach -> enable; stop; write; free.
 */
#include "gc_session.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "bpfobj.h"
#include "gc.skel.h"
#include "analysis.h"
#include "gc_timeline.h"
#include "gcvars.h"
#include "go_release.h"
#include "hookplan.h"
#include "log.h"
#include "out_gc.h"
#include "probesite.h"

_Static_assert(sizeof(struct gmt_rec_gc) == 168, "gmt_rec_gc is part of the BPF ABI");

struct gmt_gc_session {
	struct gc_bpf *skel;
	struct gmt_bpfobj obj;
	struct gmt_gc_timeline *tl;
	struct gmt_gcvars vars;
	uint64_t controller; /* runtime address of gcController, 0 when not found */
	bool reason_arg;     /* stopTheWorldWithSema takes the stwReason (go1.21+) */
	bool stw_fn;	     /* runtime.stopTheWorld is hooked (its reason string, <= 1.20) */
	bool want_stoptheworld; /* runtime.stopTheWorld probed (its reason, <= 1.20) */
	int ncpus;
	bool stopped, finished;
	uint64_t end_ns;
	uint64_t counters[GMT_CNT__MAX];
	bool have_counters;
	uint64_t bad_records;
	uint64_t receiver_mismatch; /* startCycle receivers that were not our gcController */
	char unavailable[2048]; /* one line per missing piece */
};

/* The plan's GC hooks, with their programs. */
static struct bpf_program *prog_for(void *ctx, const struct gmt_hook *h)
{
	const struct gmt_gc_session *s = ctx;
	struct gc_bpf *skel = s->skel;

	if (h->group != GMT_GROUP_GC)
		return NULL;
	switch (h->id) {
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
		return s->want_stoptheworld ? skel->progs.gmt_gc_stoptheworld : NULL;
	default:
		return NULL;
	}
}

static int setup_bpf(struct gmt_gc_session *s, const struct gmt_gc_session_opts *o,
		     struct gmt_diag *d)
{
	const struct gmt_gcvars *v = &s->vars;
	const struct gmt_go_release *row = gmt_analysis__row(o->an);
	bool reason_arg = s->reason_arg, stw_fn = s->stw_fn;

	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = o->btf_path);

	s->skel = gc_bpf__open_opts(&oo);
	if (!s->skel)
		return gmt_bpfobj_open_failed("GC ", d);
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
	s->want_stoptheworld = !reason_arg && stw_fn;
	bpf_program__set_autoload(s->skel->progs.gmt_gc_stoptheworld, s->want_stoptheworld);
	/* On the recording's ring buffer, and its counters when it shares them. */
	return gmt_bpfobj__start(&s->obj,
				 &(struct gmt_bpfobj_spec){
					 .name = "GC ", .skeleton = s->skel->skeleton,
					 .enabled = &s->skel->bss->enabled,
					 .pid = o->pid, .exe = o->exe,
					 .ringbuf_fd = o->ringbuf_fd, .counters_fd = o->counters_fd,
					 .plan = &o->an->plan, .prog_for = prog_for, .ctx = s,
				 },
				 d);
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
	for (const char *p = s->unavailable; *p;) {
		const char *nl = strchr(p, '\n');

		pr_warn("GC: unavailable: %.*s\n", (int)(nl - p), p);
		p = nl + 1;
	}
	pr_debug("GC: gcController %#llx (%s), numgc %#llx, %zu probes\n",
		 (unsigned long long)s->vars.gc_controller,
		 s->vars.controller_src == GMT_GCVAR_SYMTAB ? "symbol" : "decoded",
		 (unsigned long long)s->vars.numgc, gmt_bpfobj__nprobes(&s->obj));
	*out = s;
	return 0;
fail:
	gmt_gc_session__free(s);
	return err;
}

size_t gmt_gc_session__nprobes(const struct gmt_gc_session *s)
{
	return s && !s->stopped ? gmt_bpfobj__nprobes(&s->obj) : 0;
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
	/* The flag first, then the links (bpfobj.h): the sequences end all at once. */
	gmt_bpfobj__detach(&s->obj);
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
static void finish(struct gmt_gc_session *s)
{
	if (s->finished)
		return;
	s->finished = true;
	gmt_gc_timeline__finish(s->tl, s->end_ns);
}

void gmt_gc_session__out(struct gmt_gc_session *s, const struct gmt_gc_timeline *tl,
			 struct gmt_gc_out *o)
{
	if (!tl) {
		finish(s);
		tl = s->tl;
	}
	memset(o, 0, sizeof(*o));
	o->tl = tl;
	o->counters = s->have_counters ? s->counters : NULL;
	o->unavailable = s->unavailable;
}

size_t gmt_gc_session__stws(const struct gmt_gc_session *s, const struct gmt_stw **out)
{
	return gmt_gc_timeline__stws(s->tl, out);
}

struct gmt_gc_timeline *gmt_gc_session__rotate(struct gmt_gc_session *s, uint64_t cut_ns)
{
	return gmt_gc_timeline__rotate(s->tl, cut_ns);
}

void gmt_gc_session__free(struct gmt_gc_session *s)
{
	if (!s)
		return;
	gmt_bpfobj__free(&s->obj);
	gc_bpf__destroy(s->skel);
	gmt_gc_timeline__free(s->tl);
	free(s);
}
