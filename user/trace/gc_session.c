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
#include "gc_timeline.h"
#include "gcvars.h"
#include "elf_file.h"
#include "gobin.h"
#include "hookplan.h"
#include "log.h"
#include "out_gc.h"
#include "probesite.h"

_Static_assert(sizeof(struct gmt_rec_gc) == 168, "gmt_rec_gc is part of the BPF ABI");

#define MAX_RETS 16

struct gmt_gc_session {
	struct gc_bpf *skel;
	struct gmt_bpfobj obj;
	struct gmt_gc_timeline *tl;
	struct gmt_gcvars vars;
	uint64_t controller; /* runtime address of gcController, 0 when not found */
	bool reason_arg;     /* stopTheWorldWithSema takes the stwReason (go1.21+) */
	bool stw_fn;	     /* runtime.stopTheWorld is hooked (its reason string, <= 1.20) */
	uint64_t rets[MAX_RETS]; /* file offsets of startTheWorldWithSema's RETs */
	int nrets;
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

static void add_unavailable(struct gmt_gc_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void add_unavailable(struct gmt_gc_session *s, const char *fmt, ...)
{
	size_t n = strlen(s->unavailable);
	va_list ap;

	if (n + 2 >= sizeof(s->unavailable))
		return;
	va_start(ap, fmt);
	vsnprintf(s->unavailable + n, sizeof(s->unavailable) - n - 1, fmt, ap);
	va_end(ap);
	n = strlen(s->unavailable);
	s->unavailable[n] = '\n';
	s->unavailable[n + 1] = 0;
}

/* What a missing GC hook costs the outputs. */
static const char *missing_effect(enum gmt_hook_id id)
{
	switch (id) {
	case GMT_HOOK_GCSTART:
		return "gcStart calls are not counted";
	case GMT_HOOK_STARTCYCLE:
		return "GC cycles cannot be delimited";
	case GMT_HOOK_GCSWEEP:
		return "the end of mark (and the heap marked, the goal) is not seen";
	case GMT_HOOK_STW_STOP:
	case GMT_HOOK_STW_START:
		return "stop-the-world pauses are not timed";
	case GMT_HOOK_STOPTHEWORLD:
		return "non-GC pauses have no reason";
	default:
		return "";
	}
}

static void note_missing(struct gmt_gc_session *s, const struct gmt_hookplan *plan)
{
	for (size_t i = 0; i < plan->nmissing; i++) {
		const struct gmt_missing_hook *m = &plan->missing[i];

		if (m->group == GMT_GROUP_GC)
			add_unavailable(s, "%s: %s: %s", m->function, m->reason,
					missing_effect(m->id));
	}
}

static void note_vars(struct gmt_gc_session *s)
{
	const struct gmt_gcvars *v = &s->vars;

	if (!v->gc_controller)
		add_unavailable(s, "heap sizes (live, marked, goal): %s", v->why_controller);
	else if (!v->have_offsets)
		add_unavailable(s, "heap sizes (live, marked, goal): %s", v->why_offsets);
	if (!v->numgc)
		add_unavailable(s, "cycle numbers (memstats.numgc): %s", v->why_numgc);
	if (!v->work_times)
		add_unavailable(s,
				"the runtime's own phase times and heap sizes: %s; GC phases "
				"are timed by the probes (their latency included)",
				v->why_work);
}

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
	case GMT_HOOK_STOPTHEWORLD:
		return s->want_stoptheworld ? skel->progs.gmt_gc_stoptheworld : NULL;
	default:
		return NULL;
	}
}

/*
 * Plain uprobes on the RET instructions of startTheWorldWithSema for the time it
 * returns (never a uretprobe on Go code: docs/go-runtime.md, "Calling convention").  Without them pauses end at its
 * entry, which on go1.22+ misses the wake-up of the other Ps that gctrace counts.
 */
static void find_rets(struct gmt_gc_session *s, const struct gmt_gobin *gb,
		      const struct gmt_hookplan *plan)
{
	const struct gmt_hook *h = gmt_hookplan_find(plan, GMT_HOOK_STW_START);
	struct gmt_func_info fi = {0};
	uint64_t rets[MAX_RETS];
	const uint8_t *code;
	int n;

	if (!h)
		return;
	fi.entry = h->entry;
	fi.end = h->end;
	code = gmt_gobin__func_code(gb, &fi);
	n = code ? gmt_find_rets(code, fi.end - fi.entry, fi.entry, rets, MAX_RETS) : -EINVAL;
	if (n <= 0 || n > MAX_RETS) {
		add_unavailable(s,
				"%s: %s: pauses end at its entry, before the runtime wakes "
				"the other Ps",
				h->function,
				n == 0	? "no RET instruction"
				: n > 0 ? "too many RETs"
					: "code does not decode");
		return;
	}
	for (int i = 0; i < n; i++)
		if (!gmt_elf__vaddr_to_off(gb->elf, rets[i], &s->rets[s->nrets]))
			s->nrets++;
}

/*
 * go1.21 gave stopTheWorldWithSema its stwReason argument.  When only the pclntab
 * family (1.20+) is known, the gcController layout tells 1.20 (lastHeapGoal at +72)
 * from 1.21+.
 */
static bool has_reason_arg(const struct gmt_gc_session *s, const struct gmt_gobin *gb)
{
	int minor = gmt_gobin__minor(gb);

	if (gb->version_source != GMT_VERSION_PCLNTAB)
		return minor >= 21;
	return !(s->vars.have_offsets && s->vars.off.last_heap_goal == 72);
}

static int setup_bpf(struct gmt_gc_session *s, const struct gmt_gc_session_opts *o,
		     struct gmt_diag *d)
{
	const struct gmt_gcvars *v = &s->vars;
	const struct gmt_hook *stw_start = gmt_hookplan_find(o->plan, GMT_HOOK_STW_START);
	bool reason_arg = s->reason_arg, stw_fn = s->stw_fn;
	struct gmt_bpfobj_probe rets[MAX_RETS];
	struct gmt_gc_offsets legacy;
	int nrets = 0;

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
	if (!reason_arg && !gmt_gc_offsets_for(20, &legacy)) {
		/* g.m and m.curg: the same in go1.19 and 1.20. */
		s->skel->rodata->off_g_m = legacy.g_m;
		s->skel->rodata->off_m_curg = legacy.m_curg;
	}
	s->want_stoptheworld = !reason_arg && stw_fn;
	bpf_program__set_autoload(s->skel->progs.gmt_gc_stoptheworld, s->want_stoptheworld);
	for (int i = 0; stw_start && i < s->nrets; i++)
		rets[nrets++] = (struct gmt_bpfobj_probe){
			.prog = s->skel->progs.gmt_gc_stw_done, .hook = stw_start,
			.offset = s->rets[i], .ret = true,
		};
	/* On the recording's ring buffer, and its counters when it shares them. */
	return gmt_bpfobj__start(&s->obj,
				 &(struct gmt_bpfobj_spec){
					 .name = "GC ", .skeleton = s->skel->skeleton,
					 .enabled = &s->skel->bss->enabled,
					 .pid = o->pid, .exe = o->exe,
					 .ringbuf_fd = o->ringbuf_fd, .counters_fd = o->counters_fd,
					 .plan = o->plan, .prog_for = prog_for, .ctx = s,
					 .extra = rets, .nextra = (size_t)nrets,
				 },
				 d);
}

static bool any_gc_hook(const struct gmt_hookplan *plan)
{
	for (size_t i = 0; i < plan->nhooks; i++)
		if (plan->hooks[i].group == GMT_GROUP_GC)
			return true;
	return false;
}

/*
 * The binary's part: what it has for GC tracing and what it lacks (s->unavailable), before
 * anything is loaded.  __start() and gmt_gc_session_check() share it.
 */
static int prepare(struct gmt_gc_session *s, const struct gmt_gobin *gb,
		   const struct gmt_hookplan *plan, struct gmt_diag *d)
{
	int err;

	if (!any_gc_hook(plan))
		return gmt_diag_set(d, -ENOENT,
				    "GC tracing: none of the runtime's GC functions "
				    "is in this binary");
	err = gmt_gcvars_find(gb, 0, &s->vars);
	if (err)
		return gmt_diag_set(d, err, "GC tracing: cannot read the binary: %s",
				    strerror(-err));
	note_missing(s, plan);
	note_vars(s);
	s->reason_arg = has_reason_arg(s, gb);
	s->stw_fn = gmt_hookplan_find(plan, GMT_HOOK_STOPTHEWORLD) != NULL;
	if (!s->reason_arg && !s->stw_fn)
		add_unavailable(s, "non-GC pause reasons: runtime.stopTheWorld is not hooked");
	find_rets(s, gb, plan);
	return 0;
}

int gmt_gc_session_check(const struct gmt_gobin *gb, const struct gmt_hookplan *plan,
			 char *unavailable, size_t len, struct gmt_diag *d)
{
	struct gmt_gc_session *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return gmt_diag_set(d, -ENOMEM, "out of memory");
	err = prepare(s, gb, plan, d);
	if (!err && len)
		snprintf(unavailable, len, "%s", s->unavailable);
	free(s);
	return err;
}

int gmt_gc_session__start(const struct gmt_gc_session_opts *o, struct gmt_gc_session **out,
			  struct gmt_diag *d)
{
	struct gmt_gc_session *s;
	int err;

	*out = NULL;
	if (!o->gb || !o->plan || !o->exe || o->ringbuf_fd < 0)
		return gmt_diag_set(d, -EINVAL, "GC tracing: invalid options");
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	err = prepare(s, o->gb, o->plan, d);
	if (err)
		goto fail;
	if (s->vars.have_offsets && s->vars.why_offsets[0])
		pr_warn("GC: %s\n", s->vars.why_offsets);
	s->ncpus = libbpf_num_possible_cpus();
	s->tl = gmt_gc_timeline__new(gmt_gobin__minor(o->gb));
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
