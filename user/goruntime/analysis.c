// SPDX-License-Identifier: MIT
/* One analysis per binary (see analysis.h): release, hook plan, variables, modes. */
#include "analysis.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gobin.h"
#include "go_release.h"

static void add_line(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Appends one line (a '\n' is added) if it fits whole. */
static void add_line(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n + 2 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n - 1, fmt, ap);
	va_end(ap);
	n = strlen(buf);
	buf[n] = '\n';
	buf[n + 1] = 0;
}

static int fail(struct gmt_mode_check *m, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct gmt_mode_check *m, int err, const char *fmt, ...)
{
	va_list ap;

	m->works = false;
	m->err = err;
	va_start(ap, fmt);
	vsnprintf(m->why, sizeof(m->why), fmt, ap);
	va_end(ap);
	return err;
}

/* ---- exact and sampled mode: the allocation and sampler probes ---- */

static void check_exact(const struct gmt_analysis *a, struct gmt_mode_check *m)
{
	if (!gmt_hookplan_find(&a->plan, GMT_HOOK_MALLOCGC))
		fail(m, -ENOENT, "runtime.mallocgc is not in this binary");
}

static void check_sampled(const struct gmt_analysis *a, struct gmt_mode_check *m)
{
	static const enum gmt_hook_id need[] = { GMT_HOOK_MPROF_MALLOC, GMT_HOOK_SETPROFILEBUCKET,
						 GMT_HOOK_FREESPECIAL };
	const struct gmt_go_release *row = a->rel.row;

	/* Before anything is attached: a binary where it cannot be found is an error. */
	if (a->mr_err) {
		fail(m, a->mr_err, "%s", a->mr_why);
		return;
	}
	/* Without all three the in-use join is wrong, not just incomplete. */
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!gmt_hookplan_find(&a->plan, need[i])) {
			fail(m, -ENOENT,
			     "the heap sampler's hooks (mProf_Malloc, setprofilebucket, freeSpecial) "
			     "are not all in this binary: try --mode exact");
			return;
		}
	if (row->special.kind == GMT_OFF_ABSENT || row->specialprofile.b == GMT_OFF_ABSENT ||
	    row->consts.kind_special_profile == GMT_CONST_ABSENT)
		fail(m, -ENOENT,
		     "sampled mode: the layout of runtime.special in %s is not known: try --mode "
		     "exact",
		     a->rel.name);
}

/* ---- GC tracing ---- */

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
	case GMT_HOOK_STW_START_RET:
		return "pauses end at its entry, before the runtime wakes the other Ps";
	case GMT_HOOK_STOPTHEWORLD:
		return "non-GC pauses have no reason";
	default:
		return "";
	}
}

static void check_gc(const struct gmt_analysis *a, struct gmt_mode_check *m)
{
	const struct gmt_gcvars *v = &a->gc;
	bool any = false;

	for (size_t i = 0; i < a->plan.nhooks; i++)
		any |= a->plan.hooks[i].group == GMT_GROUP_GC;
	if (!any) {
		fail(m, -ENOENT, "GC tracing: none of the runtime's GC functions is in this binary");
		return;
	}
	for (size_t i = 0; i < a->plan.nmissing; i++) {
		const struct gmt_missing_hook *h = &a->plan.missing[i];

		if (h->group == GMT_GROUP_GC)
			add_line(m->unavailable, sizeof(m->unavailable), "%s: %s: %s", h->function,
				 h->reason, missing_effect(h->id));
	}
	if (!v->gc_controller)
		add_line(m->unavailable, sizeof(m->unavailable),
			 "heap sizes (live, marked, goal): %s", v->why_controller);
	else if (!v->have_offsets)
		add_line(m->unavailable, sizeof(m->unavailable),
			 "heap sizes (live, marked, goal): %s", v->why_offsets);
	if (!v->numgc)
		add_line(m->unavailable, sizeof(m->unavailable), "cycle numbers (memstats.numgc): %s",
			 v->why_numgc);
	if (!v->work_times)
		add_line(m->unavailable, sizeof(m->unavailable),
			 "the runtime's own phase times and heap sizes: %s; GC phases are timed "
			 "by the probes (their latency included)",
			 v->why_work);
	if (!(a->rel.row->flags & GMT_REL_STW_REASON) &&
	    !gmt_hookplan_find(&a->plan, GMT_HOOK_STOPTHEWORLD))
		add_line(m->unavailable, sizeof(m->unavailable),
			 "non-GC pause reasons: runtime.stopTheWorld is not hooked");
}

/* ---- goroutine tracking ---- */

static void check_goroutines(const struct gmt_analysis *a, struct gmt_mode_check *m)
{
	static const enum gmt_hook_id need[] = { GMT_HOOK_NEWPROC, GMT_HOOK_NEWPROC1_RET,
						 GMT_HOOK_GEXIT };
	const struct gmt_hookplan *plan = &a->plan;
	const struct gmt_rel_g *g = &a->rel.row->g;

	/* Every goroutine hook must be there: without one, the live counts would drift. */
	for (size_t i = 0; i < plan->nmissing; i++)
		if (plan->missing[i].group == GMT_GROUP_GOROUTINES &&
		    plan->missing[i].id != GMT_HOOK_NEWPROC_RUNQPUT) {
			fail(m, -ENOENT, "goroutine tracking: %s: %s", plan->missing[i].function,
			     plan->missing[i].reason);
			return;
		}
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!gmt_hookplan_find(plan, need[i])) {
			fail(m, -ENOENT, "goroutine tracking: this binary has no %s",
			     need[i] == GMT_HOOK_NEWPROC	 ? "runtime.newproc"
			     : need[i] == GMT_HOOK_NEWPROC1_RET ? "runtime.newproc1"
								 : "goroutine exit hook");
			return;
		}
	if (g->goid == GMT_OFF_ABSENT || g->atomicstatus == GMT_OFF_ABSENT ||
	    g->gopc == GMT_OFF_ABSENT || g->startpc == GMT_OFF_ABSENT) {
		fail(m, -ENOENT, "goroutine tracking: the layout of runtime.g in %s is not known",
		     a->rel.name);
		return;
	}
	/* Without allgs tracking goes on, with less (gor_session.c). */
	if (!a->gor.allglen || !a->gor.allgptr)
		add_line(m->unavailable, sizeof(m->unavailable),
			 "the goroutines running before tracing (runtime.allgs: %s): counted only "
			 "when seen exiting",
			 a->gor.why);
}

/* ---- the variables, for info ---- */

static struct gmt_rtvar *var(struct gmt_analysis *a, const char *name, const char *used_by)
{
	struct gmt_rtvar *v = &a->vars[a->nvars++];

	v->name = name;
	v->used_by = used_by;
	return v;
}

static const char *gc_src(enum gmt_gcvar_source s)
{
	return s == GMT_GCVAR_SYMTAB ? "symbol" : "decoded";
}

static const char *mr_src(enum gmt_memrate_src s)
{
	return s == GMT_MEMRATE_SRC_SYMTAB ? "symbol" : "decoded";
}

static const char *heap_src(enum gmt_heapvar_src s)
{
	return s == GMT_HEAPVAR_SYMTAB ? "symbol" : "decoded";
}

static void list_vars(struct gmt_analysis *a)
{
	struct gmt_rtvar *v;

	v = var(a, "runtime.gcController", "gc");
	if ((v->addr = a->gc.gc_controller))
		v->source = gc_src(a->gc.controller_src);
	else
		snprintf(v->why, sizeof(v->why), "%s", a->gc.why_controller);
	v = var(a, "runtime.memstats", "gc");
	if ((v->addr = a->gc.memstats))
		v->source = a->gc.numgc_src == GMT_GCVAR_SYMTAB ? "symbol" : "from memstats.numgc";
	else
		snprintf(v->why, sizeof(v->why), "%s", a->gc.why_numgc);
	v = var(a, "runtime.memstats.numgc", "gc");
	if ((v->addr = a->gc.numgc))
		v->source = gc_src(a->gc.numgc_src);
	else
		snprintf(v->why, sizeof(v->why), "%s", a->gc.why_numgc);
	v = var(a, "runtime.work", "gc");
	if ((v->addr = a->gc.work))
		v->source = "decoded";
	else if (a->gc.why_work[0])
		snprintf(v->why, sizeof(v->why), "%s", a->gc.why_work);
	else
		snprintf(v->why, sizeof(v->why), "runtime.work: where tMarkTerm and heap1 were "
			 "found does not fit the release's layout of the variable");
	v = var(a, "runtime.allgs", "goroutines");
	if ((v->addr = a->gor.allgptr))
		v->source = a->gor.decoded ? "decoded" : "symbol";
	else
		snprintf(v->why, sizeof(v->why), "%s", a->gor.why);
	v = var(a, "runtime.allglen", "goroutines");
	if ((v->addr = a->gor.allglen))
		v->source = a->gor.decoded ? "decoded" : "symbol";
	else
		snprintf(v->why, sizeof(v->why), "%s", a->gor.why);
	v = var(a, "runtime.MemProfileRate", "sampled");
	if ((v->addr = a->mr.rate))
		v->source = mr_src(a->mr.rate_src);
	else
		snprintf(v->why, sizeof(v->why), "%s", a->mr_why);
	v = var(a, "runtime.disableMemoryProfiling", "sampled");
	if ((v->addr = a->mr.disable))
		v->source = mr_src(a->mr.disable_src);
	else
		snprintf(v->why, sizeof(v->why), "%s",
			 a->mr.why_disable[0] ? a->mr.why_disable
					      : "not looked for: runtime.MemProfileRate is not known");
	if (a->mr.init == GMT_MEMRATE_INIT_DYNAMIC && !a->mr_err) {
		v = var(a, "runtime..inittask", "sampled");
		if ((v->addr = a->mr.inittask))
			v->source = "decoded";
		else
			snprintf(v->why, sizeof(v->why), "%s", a->mr.why_inittask);
	}
	v = var(a, "runtime.mbuckets", "snapshot");
	if ((v->addr = a->heap.mbuckets))
		v->source = heap_src(a->heap.mbuckets_src);
	else
		snprintf(v->why, sizeof(v->why), "%s", a->heap.why_mbuckets);
	v = var(a, "runtime.mProfCycle", "snapshot");
	if ((v->addr = a->heap.mprof_cycle))
		v->source = heap_src(a->heap.mbuckets_src);
	else
		snprintf(v->why, sizeof(v->why), "%s", a->heap.why_mbuckets);
	v = var(a, "runtime.mheap_", "snapshot");
	if ((v->addr = a->heap.mheap))
		v->source = heap_src(a->heap.mheap_src);
	else
		snprintf(v->why, sizeof(v->why), "%s", a->heap.why_mheap);
	v = var(a, "runtime.allp", "snapshot");
	if ((v->addr = a->heap.allp))
		v->source = heap_src(a->heap.allp_src);
	else
		snprintf(v->why, sizeof(v->why), "%s", a->heap.why_allp);
}

/* ---- building it ---- */

static int analyse(struct gmt_analysis *a, struct gmt_diag *d)
{
	static const char *const names[] = { "exact", "sampled", "gc", "goroutines" };
	const struct gmt_go_release *row;
	struct gmt_diag md = {};
	int err;

	err = gmt_release_resolve(a->gb, &a->rel, d);
	if (err)
		return err;
	row = a->rel.row;
	err = gmt_hookplan_build(a->gb, row, &a->plan, d);
	if (err)
		return err;
	err = gmt_gcvars_find(a->gb, row, 0, &a->gc);
	if (!err)
		err = gmt_gorvars_find(a->gb, 0, &a->gor);
	if (!err)
		err = gmt_heapvars_find(a->gb, row, 0, &a->heap);
	if (err)
		return gmt_diag_set(d, err, "%s: cannot read the binary: %s", a->gb->path,
				    strerror(-err));
	if (a->gor.allglen && a->gor.allgptr)
		a->gor.why[0] = 0;
	a->mr_err = gmt_memrate_find(a->gb, row, 0, &a->mr, &md);
	if (a->mr_err == -ENOMEM)
		return gmt_diag_set(d, -ENOMEM, "out of memory");
	if (a->mr_err)
		snprintf(a->mr_why, sizeof(a->mr_why), "%s", gmt_diag_msg(&md, a->mr_err));
	list_vars(a);
	for (int i = 0; i < GMT_MODE__COUNT; i++) {
		a->modes[i].name = names[i];
		a->modes[i].works = true;
	}
	check_exact(a, &a->modes[GMT_MODE_EXACT]);
	check_sampled(a, &a->modes[GMT_MODE_SAMPLED]);
	check_gc(a, &a->modes[GMT_MODE_GC]);
	check_goroutines(a, &a->modes[GMT_MODE_GOROUTINES]);
	return 0;
}

int gmt_analysis__from_gobin(struct gmt_gobin *gb, struct gmt_analysis **out, struct gmt_diag *d)
{
	struct gmt_analysis *a;
	int err;

	*out = NULL;
	a = calloc(1, sizeof(*a));
	if (!a) {
		gmt_gobin__free(gb);
		return gmt_diag_set(d, -ENOMEM, "out of memory");
	}
	a->gb = gb;
	a->refs = 1;
	err = analyse(a, d);
	if (err) {
		gmt_analysis__put(a);
		return err;
	}
	*out = a;
	return 0;
}

int gmt_analysis__open(const char *path, struct gmt_analysis **out, struct gmt_diag *d)
{
	struct gmt_gobin *gb;
	int err;

	*out = NULL;
	err = gmt_gobin__open(path, &gb, d);
	if (err)
		return err;
	return gmt_analysis__from_gobin(gb, out, d);
}

struct gmt_analysis *gmt_analysis__get(struct gmt_analysis *a)
{
	if (a)
		a->refs++;
	return a;
}

void gmt_analysis__put(struct gmt_analysis *a)
{
	if (!a || --a->refs)
		return;
	gmt_hookplan_free(&a->plan);
	gmt_gobin__free(a->gb);
	free(a);
}

int gmt_analysis__check(const struct gmt_analysis *a, enum gmt_mode_kind mode,
			struct gmt_diag *d)
{
	const struct gmt_mode_check *m = &a->modes[mode];

	if (m->works)
		return 0;
	return gmt_diag_set(d, m->err, "%s", m->why);
}
