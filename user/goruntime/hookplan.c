// SPDX-License-Identifier: MIT
#include "hookplan.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_file.h"
#include "gobin.h"
#include "go_release.h"
#include "grow.h"
#include "probesite.h"
#include "rtvars.h"
#include "x86dec.h"

struct hook_spec {
	enum gmt_hook_id id;
	enum gmt_hook_group group;
	const char *function;
	/* The releases whose runtime has and uses it: the row has every flag of `with` and
	 * none of `without`. */
	uint32_t with, without;
	int max_rets; /* > 0: probe the RET instructions (at most this many), not the entry */
};

/* docs/go-runtime.md, "Allocation" (allocation, sampler), §6 (GC), §7 (goroutines). */
static const struct hook_spec specs[] = {
	{ GMT_HOOK_MALLOCGC, GMT_GROUP_ALLOC, "runtime.mallocgc" },
	{ GMT_HOOK_MPROF_MALLOC, GMT_GROUP_SAMPLER, "runtime.mProf_Malloc" },
	{ GMT_HOOK_SETPROFILEBUCKET, GMT_GROUP_SAMPLER, "runtime.setprofilebucket" },
	{ GMT_HOOK_FREESPECIAL, GMT_GROUP_SAMPLER, "runtime.freeSpecial" },
	{ GMT_HOOK_GCSTART, GMT_GROUP_GC, "runtime.gcStart" },
	{ GMT_HOOK_STARTCYCLE, GMT_GROUP_GC, "runtime.(*gcControllerState).startCycle" },
	{ GMT_HOOK_GCSWEEP, GMT_GROUP_GC, "runtime.gcSweep" },
	{ GMT_HOOK_STW_STOP, GMT_GROUP_GC, "runtime.stopTheWorldWithSema" },
	{ GMT_HOOK_STW_START, GMT_GROUP_GC, "runtime.startTheWorldWithSema" },
	/*
	 * Plain uprobes on its RET instructions for the time it returns (never a uretprobe
	 * on Go code: docs/go-runtime.md, "Calling convention").  Without them pauses end at
	 * its entry, which on go1.22+ misses the wake-up of the other Ps that gctrace counts.
	 */
	{ GMT_HOOK_STW_START_RET, GMT_GROUP_GC, "runtime.startTheWorldWithSema", 0, 0, 16 },
	/* Up to go1.20 the non-GC pauses say why only in stopTheWorld(reason string). */
	{ GMT_HOOK_STOPTHEWORLD, GMT_GROUP_GC, "runtime.stopTheWorld",
	  GMT_REL_STOPTHEWORLD_STRING },
	{ GMT_HOOK_NEWPROC, GMT_GROUP_GOROUTINES, "runtime.newproc" },
	{ GMT_HOOK_NEWPROC1_RET, GMT_GROUP_GOROUTINES, "runtime.newproc1", 0, 0, 64 },
	{ GMT_HOOK_GEXIT, GMT_GROUP_GOROUTINES, "runtime.goexit0", 0, GMT_REL_GDESTROY },
	{ GMT_HOOK_GEXIT, GMT_GROUP_GOROUTINES, "runtime.gdestroy", GMT_REL_GDESTROY },
};

/*
 * Size-specialized allocators the compiler calls directly, bypassing mallocgc:
 * name prefixes followed by a size-class number (docs/go-runtime.md, "Allocation").
 */
static const char *const sc_prefixes[] = {
	"runtime.mallocgcTinySize",
	"runtime.mallocgcTinySC",
	"runtime.mallocgcSmallNoScanSC",
	"runtime.mallocgcSmallScanNoHeaderSC",
};

const char *gmt_hook_group_name(enum gmt_hook_group g)
{
	switch (g) {
	case GMT_GROUP_ALLOC:
		return "alloc";
	case GMT_GROUP_SAMPLER:
		return "sampler";
	case GMT_GROUP_GC:
		return "gc";
	case GMT_GROUP_GOROUTINES:
		return "goroutines";
	}
	return "?";
}

static int add_missing(struct gmt_hookplan *plan, const struct hook_spec *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int add_missing(struct gmt_hookplan *plan, const struct hook_spec *s, const char *fmt, ...)
{
	struct gmt_missing_hook *m;
	va_list ap;

	if (GMT_GROW(&plan->missing, &plan->cap_missing, plan->nmissing + 1))
		return -ENOMEM;
	m = &plan->missing[plan->nmissing++];
	memset(m, 0, sizeof(*m));
	m->id = s->id;
	m->group = s->group;
	snprintf(m->function, sizeof(m->function), "%s", s->function);
	va_start(ap, fmt);
	vsnprintf(m->reason, sizeof(m->reason), fmt, ap);
	va_end(ap);
	return 0;
}

static int add_hook(struct gmt_hookplan *plan, const struct gmt_gobin *gb,
		    const struct hook_spec *s, const struct gmt_func_info *fi, uint64_t addr,
		    const struct gmt_probe_site *site)
{
	struct gmt_hook *h;
	uint64_t off;

	if (gmt_elf__vaddr_to_off(gb->elf, addr, &off))
		return add_missing(plan, s, "probe address %#llx is not backed by the file",
				   (unsigned long long)addr);
	if (GMT_GROW(&plan->hooks, &plan->cap_hooks, plan->nhooks + 1))
		return -ENOMEM;
	h = &plan->hooks[plan->nhooks++];
	memset(h, 0, sizeof(*h));
	h->id = s->id;
	h->group = s->group;
	snprintf(h->function, sizeof(h->function), "%s", fi->name);
	h->entry = fi->entry;
	h->end = fi->end;
	h->probe_addr = addr;
	h->probe_offset = off;
	if (site) {
		h->stack_check = site->stack_check;
		h->emulated = site->emulated;
		snprintf(h->insn, sizeof(h->insn), "%s", site->insn);
	} else {
		/* RET is never emulated: the kernel single-steps it out of line. */
		snprintf(h->insn, sizeof(h->insn), "ret");
	}
	return 0;
}

static int plan_function(struct gmt_hookplan *plan, const struct gmt_gobin *gb,
			 const struct hook_spec *s, const struct gmt_func_info *fi)
{
	const uint8_t *code = gmt_gobin__func_code(gb, fi);
	struct gmt_probe_site site;
	uint64_t rets[64];
	int n, err;

	if (!code)
		return add_missing(plan, s, "code at %#llx is not in the file",
				   (unsigned long long)fi->entry);
	if (!s->max_rets) {
		if (gmt_probe_site_choose(code, fi->end - fi->entry, fi->entry, &site))
			return add_missing(plan, s, "cannot decode the first instruction at %#llx",
					   (unsigned long long)fi->entry);
		/* A probe the kernel refuses, or would emulate as something else, is none. */
		if (!site.uprobe_ok)
			return add_missing(plan, s, "the kernel cannot probe '%s' at %#llx safely",
					   site.insn, (unsigned long long)site.vaddr);
		return add_hook(plan, gb, s, fi, site.vaddr, &site);
	}
	n = gmt_find_rets(code, fi->end - fi->entry, fi->entry, rets, 64);
	if (n <= 0)
		return add_missing(plan, s, n == 0 ? "no RET instruction found"
						   : "its code does not decode");
	if (n > s->max_rets)
		return add_missing(plan, s, "%d RET instructions: too many to probe", n);
	for (int i = 0; i < n; i++) {
		err = add_hook(plan, gb, s, fi, rets[i], NULL);
		if (err)
			return err;
	}
	return 0;
}

static bool is_sc_name(const char *name)
{
	for (size_t i = 0; i < sizeof(sc_prefixes) / sizeof(sc_prefixes[0]); i++) {
		size_t n = strlen(sc_prefixes[i]);
		const char *p = name + n;

		if (strncmp(name, sc_prefixes[i], n) != 0 || !*p)
			continue;
		while (isdigit((unsigned char)*p))
			p++;
		if (!*p)
			return true;
	}
	return false;
}

static int plan_size_specialized(struct gmt_hookplan *plan, const struct gmt_gobin *gb)
{
	static const struct hook_spec sc = { GMT_HOOK_MALLOC_SC, GMT_GROUP_ALLOC,
					     "runtime.mallocgc<size class>" };
	size_t n = gmt_pcln__nfunc(gb->pcln);
	int err;

	for (size_t i = 0; i < n; i++) {
		struct gmt_func_info fi;

		if (gmt_pcln__func(gb->pcln, i, &fi) || !is_sc_name(fi.name))
			continue;
		plan->size_specialized = true;
		err = plan_function(plan, gb, &sc, &fi);
		if (err)
			return err;
	}
	return 0;
}

struct handoff {
	const struct gmt_gobin *gb;
	bool after_newproc1;
	uint64_t call; /* the CALL runqput that follows CALL newproc1, 0 until found */
	struct gmt_probe_site site;
};

static int on_handoff_insn(const struct gmt_insn *in, void *arg)
{
	struct handoff *h = arg;
	const char *fn = gmt_rtvars_call_target(h->gb, in);

	if (in->kind == GMT_INSN_CALL || in->kind == GMT_INSN_CALL_IND) {
		if (h->after_newproc1 && fn && strcmp(fn, "runtime.runqput") == 0) {
			h->call = in->vaddr;
			h->site.vaddr = in->vaddr;
			h->site.emulated = in->emulated;
			h->site.uprobe_ok = in->uprobe_ok && !in->misemulated;
			snprintf(h->site.insn, sizeof(h->site.insn), "%s", in->text);
			return 1;
		}
		/* Any other call in between: RBX is no longer newproc1's g. */
		h->after_newproc1 = fn && strcmp(fn, "runtime.newproc1") == 0;
	}
	return 0;
}

/*
 * `runqput(pp, newproc1(...), true)` in newproc's systemstack closure: at the CALL of
 * runqput its second argument, RBX, is the new g, and a CALL is emulated (one trap)
 * where newproc1's RETs are single-stepped (two).  Coroutines (go1.23+ iter.Pull) get
 * their g from newproc1 elsewhere: only the RETs see those.
 */
static int plan_newproc_handoff(struct gmt_hookplan *plan, const struct gmt_gobin *gb)
{
	static const struct hook_spec s = { GMT_HOOK_NEWPROC_RUNQPUT, GMT_GROUP_GOROUTINES,
					    "runtime.newproc.func1" };
	struct handoff h = { .gb = gb };
	struct gmt_func_info fi;

	if (gmt_pcln__func_by_name(gb->pcln, s.function, &fi))
		return add_missing(plan, &s, "not in this binary");
	if (gmt_rtvars_walk_func(gb, s.function, on_handoff_insn, &h) || !h.call)
		return add_missing(plan, &s, "no CALL runqput right after CALL newproc1");
	if (!h.site.uprobe_ok)
		return add_missing(plan, &s, "the kernel cannot probe '%s' at %#llx safely",
				   h.site.insn, (unsigned long long)h.call);
	return add_hook(plan, gb, &s, &fi, h.call, &h.site);
}

int gmt_hookplan_build(const struct gmt_gobin *gb, const struct gmt_go_release *row,
		       struct gmt_hookplan *plan, struct gmt_diag *d)
{
	int err = 0;

	memset(plan, 0, sizeof(*plan));
	if (!row)
		return gmt_diag_set(d, -EINVAL, "cannot build the hook plan: no Go release");
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]) && !err; i++) {
		const struct hook_spec *s = &specs[i];
		struct gmt_func_info fi;

		if ((row->flags & s->with) != s->with || (row->flags & s->without))
			continue;
		if (gmt_pcln__func_by_name(gb->pcln, s->function, &fi)) {
			err = add_missing(plan, s, "not in this binary (the linker left it out)");
			continue;
		}
		err = plan_function(plan, gb, s, &fi);
	}
	if (!err)
		err = plan_size_specialized(plan, gb);
	if (!err)
		err = plan_newproc_handoff(plan, gb);
	if (err) {
		gmt_hookplan_free(plan);
		return gmt_diag_set(d, err, "cannot build the hook plan: %s", strerror(-err));
	}
	return 0;
}

void gmt_hookplan_free(struct gmt_hookplan *plan)
{
	free(plan->hooks);
	free(plan->missing);
	memset(plan, 0, sizeof(*plan));
}

const struct gmt_hook *gmt_hookplan_find(const struct gmt_hookplan *plan, enum gmt_hook_id id)
{
	for (size_t i = 0; i < plan->nhooks; i++)
		if (plan->hooks[i].id == id)
			return &plan->hooks[i];
	return NULL;
}

bool gmt_hookplan_attaches(const struct gmt_hookplan *plan, const struct gmt_hook *h)
{
	/* The runqput hand-off replaces the RETs when found (cheaper: plan_newproc_handoff). */
	if (h->id == GMT_HOOK_NEWPROC1_RET)
		return gmt_hookplan_find(plan, GMT_HOOK_NEWPROC_RUNQPUT) == NULL;
	return true;
}
