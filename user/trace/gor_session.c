// SPDX-License-Identifier: MIT
/*
 * Goroutine tracking within a recording: open goroutines.bpf.o on the recording's ring
 * buffer, attach newproc, the hand-off of newproc1's g to runqput (or newproc1's RETs)
 * and goexit0/gdestroy from the hook plan, enumerate runtime.allgs, hand the records
 * to the aggregator, write its outputs.
 */
#include "gor_session.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "goroutines.skel.h"
#include "go_release.h"
#include "gomemtrace.h"
#include "goroutines.h"
#include "gorvars.h"
#include "hookplan.h"
#include "log.h"
#include "outputs.h"
#include "recorder.h"

_Static_assert(sizeof(struct gmt_rec_go) == 48, "gmt_rec_go is part of the BPF ABI");

struct gmt_gor_session {
	struct goroutines_bpf *skel;
	struct bpf_link **links;
	size_t nlinks;
	struct gmt_goroutines *agg;
	uint64_t bad_records;
	bool stopped;
	struct gmt_symbolizer sym;
};

static struct bpf_program *prog_for(struct goroutines_bpf *skel, enum gmt_hook_id id)
{
	switch (id) {
	case GMT_HOOK_NEWPROC:
		return skel->progs.gmt_go_newproc;
	case GMT_HOOK_NEWPROC1_RET:
		return skel->progs.gmt_go_created;
	case GMT_HOOK_NEWPROC_RUNQPUT:
		return skel->progs.gmt_go_handoff;
	case GMT_HOOK_GEXIT:
		return skel->progs.gmt_go_exit;
	default:
		return NULL;
	}
}

static int attach(struct gmt_gor_session *s, const struct gmt_gor_session_opts *o,
		  struct gmt_diag *d)
{
	const struct gmt_hookplan *plan = &o->an->plan;

	s->links = calloc(plan->nhooks + 1, sizeof(*s->links));
	if (!s->links)
		return -ENOMEM;
	for (size_t i = 0; i < plan->nhooks; i++) {
		const struct gmt_hook *h = &plan->hooks[i];
		struct bpf_program *prog = prog_for(s->skel, h->id);
		LIBBPF_OPTS(bpf_uprobe_opts, uo);
		struct bpf_link *link;

		if (!prog || h->group != GMT_GROUP_GOROUTINES)
			continue;
		if (!gmt_hookplan_attaches(plan, h))
			continue;
		uo.bpf_cookie = (h->stack_check ? GMT_COOKIE_STACK_CHECK : 0) | (uint32_t)h->id;
		link = bpf_program__attach_uprobe_opts(prog, o->pid, o->exe, h->probe_offset, &uo);
		if (!link) {
			int err = -errno;

			return gmt_diag_set(d, err, "cannot attach a uprobe to %s at %s+%#llx: %s",
					    h->function, o->exe,
					    (unsigned long long)h->probe_offset, strerror(-err));
		}
		s->links[s->nlinks++] = link;
		pr_debug("goroutine probe %s at %#llx (%s)\n", h->function,
			 (unsigned long long)h->probe_addr, h->insn);
	}
	return 0;
}

static int setup_bpf(struct gmt_gor_session *s, const struct gmt_gor_session_opts *o,
		     struct gmt_diag *d)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = o->btf_path);
	int err;

	s->skel = goroutines_bpf__open_opts(&oo);
	if (!s->skel)
		return gmt_diag_set(d, -errno, "cannot open the goroutine BPF object: %s",
				    strerror(errno));
	s->skel->rodata->off_goid = gmt_analysis__row(o->an)->g.goid;
	s->skel->rodata->max_depth = o->max_depth ? o->max_depth : GMT_MAX_STACK;
	err = bpf_map__reuse_fd(s->skel->maps.events, o->ringbuf_fd);
	if (!err && o->counters_fd > 0)
		err = bpf_map__reuse_fd(s->skel->maps.counters, o->counters_fd);
	if (err)
		return gmt_diag_set(d, err, "cannot share the recording's maps: %s",
				    strerror(-err));
	err = goroutines_bpf__load(s->skel);
	if (err)
		return gmt_diag_set(d, err < 0 ? err : -EINVAL,
				    "cannot load the goroutine BPF programs: %s (run with -v for "
				    "the verifier log)",
				    strerror(err < 0 ? -err : EINVAL));
	return attach(s, o, d);
}

/* The goroutines already running, read after the probes are in (see goroutines.h). */
static int enumerate(struct gmt_gor_session *s, const struct gmt_gor_session_opts *o)
{
	const struct gmt_gorvars *v = &o->an->gor;
	struct gmt_pre_g *pre = NULL;
	struct gmt_diag d = {};
	size_t n = 0;
	int err = gmt_gorvars_enumerate(o->pid, v, o->bias, gmt_analysis__row(o->an), &pre, &n,
					&d);

	if (err == -ENOMEM)
		return err;
	if (err) {
		pr_warn("goroutines: cannot list the goroutines running before tracing (%s): they "
			"are counted only when seen exiting\n",
			gmt_diag_msg(&d, err));
		return 0;
	}
	for (size_t i = 0; i < n && !err; i++)
		err = gmt_goroutines__preexisting(s->agg, pre[i].goid, pre[i].gopc, pre[i].startpc);
	free(pre);
	if (err)
		return err;
	gmt_goroutines__set_enumerated(s->agg, true);
	pr_debug("goroutines: %zu running at attach (allgs %s)\n", n,
		 v->decoded ? "decoded" : "from .symtab");
	return 0;
}

int gmt_gor_session__start(const struct gmt_gor_session_opts *o, struct gmt_gor_session **out,
			   struct gmt_diag *d)
{
	struct gmt_gor_session *s;
	int err;

	*out = NULL;
	if (!o->an || !o->exe || o->ringbuf_fd < 0)
		return gmt_diag_set(d, -EINVAL, "goroutine tracking: invalid options");
	err = gmt_analysis__check(o->an, GMT_MODE_GOROUTINES, d);
	if (err)
		return err;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->agg = gmt_goroutines__new();
	if (!s->agg) {
		err = -ENOMEM;
		goto fail;
	}
	err = setup_bpf(s, o, d);
	if (err)
		goto fail;
	__atomic_store_n(&s->skel->bss->enabled, 1, __ATOMIC_RELEASE);
	err = enumerate(s, o);
	if (err) {
		gmt_diag_set(d, err, "goroutine tracking: %s", strerror(-err));
		goto fail;
	}
	*out = s;
	return 0;
fail:
	gmt_gor_session__free(s);
	return err;
}

size_t gmt_gor_session__nprobes(const struct gmt_gor_session *s)
{
	return s && !s->stopped ? s->nlinks : 0;
}

int gmt_gor_session__on_record(struct gmt_gor_session *s, const void *data, size_t size)
{
	const struct gmt_rec_hdr *h = data;
	const struct gmt_rec_go *r = data;

	if (size < sizeof(*h))
		return -ENOENT;
	if (h->kind == GMT_REC_STACK) {
		const struct gmt_rec_stack *st = data;
		int err;

		if (size < sizeof(*st) || !(st->flags & GMT_STACK_GOROUTINE))
			return -ENOENT;
		if (st->depth > GMT_MAX_STACK) {
			s->bad_records++;
			return 0;
		}
		err = gmt_goroutines__add_stack(s->agg, st->stack_id, (const uint64_t *)st->pcs,
						st->depth, st->flags & GMT_STACK_TRUNCATED);
		if (err == -EINVAL)
			s->bad_records++;
		return err == -ENOMEM ? err : 0;
	}
	if (h->kind != GMT_REC_GO_CREATE && h->kind != GMT_REC_GO_EXIT)
		return -ENOENT;
	if (size < sizeof(*r)) {
		s->bad_records++;
		return 0;
	}
	if (h->kind == GMT_REC_GO_CREATE)
		return gmt_goroutines__created(s->agg, h->ts_ns, r->goid, r->stack_id, r->start_pc);
	return gmt_goroutines__exited(s->agg, h->ts_ns, r->goid);
}

int gmt_gor_session__tick(struct gmt_gor_session *s, uint64_t now_ns)
{
	return gmt_goroutines__tick(s->agg, now_ns);
}

void gmt_gor_session__stop(struct gmt_gor_session *s)
{
	if (!s || s->stopped)
		return;
	s->stopped = true;
	__atomic_store_n(&s->skel->bss->enabled, 0, __ATOMIC_RELEASE);
	for (size_t i = 0; i < s->nlinks; i++)
		bpf_link__destroy(s->links[i]);
	s->nlinks = 0;
	if (s->bad_records)
		pr_warn("goroutines: %llu malformed records ignored\n",
			(unsigned long long)s->bad_records);
}

int gmt_gor_session__finish(struct gmt_gor_session *s, const struct gmt_symbolizer *sym,
			    uint64_t start_ns, uint64_t end_ns)
{
	s->sym = *sym;
	return gmt_goroutines__finish(s->agg, sym, start_ns, end_ns);
}

const struct gmt_goroutines *gmt_gor_session__agg(const struct gmt_gor_session *s)
{
	return s->agg;
}

static int w_folded(FILE *f, void *ctx)
{
	struct gmt_gor_session *s = ctx;

	return gmt_goroutines__write_folded(s->agg, &s->sym, f);
}

int gmt_gor_session__write(struct gmt_gor_session *s, const char *dir,
			   const struct gmt_symbolizer *sym, struct gmt_diag *d)
{
	int err = gmt_outdir_prepare(dir, d);

	s->sym = *sym;
	return err ? err : gmt_write_file_atomic(dir, "goroutines.folded", w_folded, s, d);
}

void gmt_gor_session__free(struct gmt_gor_session *s)
{
	if (!s)
		return;
	/* An error path of __start() comes here with the probes in and enabled. */
	if (s->skel && s->skel->bss)
		__atomic_store_n(&s->skel->bss->enabled, 0, __ATOMIC_RELEASE);
	for (size_t i = 0; i < s->nlinks; i++)
		bpf_link__destroy(s->links[i]);
	free(s->links);
	goroutines_bpf__destroy(s->skel);
	gmt_goroutines__free(s->agg);
	free(s);
}
