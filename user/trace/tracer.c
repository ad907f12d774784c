// SPDX-License-Identifier: MIT
#include "tracer.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gomemtrace.skel.h"
#include "hookplan.h"
#include "log.h"
#include "go_release.h"

/* The ABI is fixed-width and padded by hand: the BPF side must see the same layout. */
_Static_assert(sizeof(struct gmt_rec_hdr) == 16, "gmt_rec_hdr");
_Static_assert(sizeof(struct gmt_rec_stack) == 16 + 16 + 8 * GMT_MAX_STACK, "gmt_rec_stack");
_Static_assert(sizeof(struct gmt_alloc_key) == 24, "gmt_alloc_key");
_Static_assert(sizeof(struct gmt_rec_alloc) == 40, "gmt_rec_alloc");
_Static_assert(sizeof(struct gmt_rec_mprof) == 48, "gmt_rec_mprof");

struct gmt_tracer {
	struct gomemtrace_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link **links;
	size_t nlinks;
	int ncpus;
	int (*on_record)(void *ctx, const void *data, size_t size);
	void *ctx;
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/*
	 * libbpf's own chatter is demoted one level: its warnings are our debug output.
	 * Every failure it warns about comes back to us as an error, which we report in one
	 * line (pointing at -v where libbpf's detail helps, as with the verifier log).
	 */
	(void)level;
	if (gmt_log_level() < GMT_LOG_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void gmt_tracer_set_log(void)
{
	libbpf_set_print(libbpf_print);
}

static int rb_cb(void *ctx, void *data, size_t size)
{
	struct gmt_tracer *t = ctx;

	return t->on_record(t->ctx, data, size);
}

static int attach_one(struct gmt_tracer *t, struct bpf_program *prog,
		      const struct gmt_tracer_opts *o, const struct gmt_hook *h,
		      struct gmt_diag *d)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo);
	struct bpf_link *link;

	uo.bpf_cookie = (h->stack_check ? GMT_COOKIE_STACK_CHECK : 0) | (uint32_t)h->id;
	link = bpf_program__attach_uprobe_opts(prog, o->pid, o->exe, h->probe_offset, &uo);
	if (!link) {
		int err = -errno;

		if (err == -ESRCH)
			return gmt_diag_set(d, err, "PID %d exited while gomemtrace attached to it",
					    o->pid);
		return gmt_diag_set(d, err, "cannot attach a uprobe to %s at %s+%#llx: %s%s",
				    h->function, o->exe, (unsigned long long)h->probe_offset,
				    strerror(-err),
				    err == -EPERM || err == -EACCES
					    ? " (needs root or CAP_SYS_ADMIN)"
					    : "");
	}
	t->links[t->nlinks++] = link;
	pr_debug("probe %s at %#llx (file offset %#llx, %s)\n", h->function,
		 (unsigned long long)h->probe_addr, (unsigned long long)h->probe_offset, h->insn);
	return 0;
}

static int attach_plan(struct gmt_tracer *t, const struct gmt_tracer_opts *o, struct gmt_diag *d)
{
	const struct gmt_hookplan *plan = o->plan;
	int err;

	t->links = calloc(plan->nhooks + 1, sizeof(*t->links));
	if (!t->links)
		return -ENOMEM;
	for (size_t i = 0; i < plan->nhooks; i++) {
		const struct gmt_hook *h = &plan->hooks[i];
		struct bpf_program *prog = NULL;

		if (o->alloc && h->id == GMT_HOOK_MALLOCGC)
			prog = t->skel->progs.gmt_mallocgc;
		else if (o->alloc && h->id == GMT_HOOK_MALLOC_SC)
			prog = t->skel->progs.gmt_malloc_sc;
		else if (o->sampled && h->id == GMT_HOOK_MPROF_MALLOC)
			prog = t->skel->progs.gmt_mprof_malloc;
		else if (o->sampled && h->id == GMT_HOOK_SETPROFILEBUCKET)
			prog = t->skel->progs.gmt_setprofilebucket;
		else if (o->sampled && h->id == GMT_HOOK_FREESPECIAL)
			prog = t->skel->progs.gmt_free_special;
		if (!prog)
			continue;
		err = attach_one(t, prog, o, h, d);
		if (err)
			return err;
	}
	return 0;
}

static bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

int gmt_tracer__open(const struct gmt_tracer_opts *o, struct gmt_tracer **out,
		     struct gmt_diag *d)
{
	const struct gmt_hook *mallocgc = gmt_hookplan_find(o->plan, GMT_HOOK_MALLOCGC);
	const struct gmt_go_release *row = o->row;
	struct gmt_tracer *t;
	int err;

	*out = NULL;
	if (!is_pow2(o->ringbuf_mb) || o->max_depth < 1 || o->max_depth > GMT_MAX_STACK ||
	    !row || (o->alloc && o->sampled))
		return gmt_diag_set(d, -EINVAL, "invalid tracer options");
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->on_record = o->on_record;
	t->ctx = o->ctx;
	t->ncpus = libbpf_num_possible_cpus();
	if (t->ncpus <= 0) {
		err = gmt_diag_set(d, -EINVAL, "cannot count CPUs");
		goto fail;
	}

	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = o->btf_path);

	t->skel = gomemtrace_bpf__open_opts(&oo);
	if (!t->skel) {
		err = gmt_diag_set(d, -errno, "cannot open the BPF object: %s", strerror(errno));
		goto fail;
	}
	t->skel->rodata->max_depth = o->max_depth;
	if (mallocgc) {
		t->skel->rodata->mallocgc_start = mallocgc->entry + o->bias;
		t->skel->rodata->mallocgc_end = mallocgc->end + o->bias;
	}
	bpf_map__set_max_entries(t->skel->maps.events, o->ringbuf_mb << 20);
	bpf_map__set_max_entries(t->skel->maps.allocs, o->agg_entries);
	bpf_program__set_autoload(t->skel->progs.gmt_mallocgc, o->alloc);
	bpf_program__set_autoload(t->skel->progs.gmt_malloc_sc, o->alloc);
	bpf_program__set_autoload(t->skel->progs.gmt_mprof_malloc, o->sampled);
	bpf_program__set_autoload(t->skel->progs.gmt_setprofilebucket, o->sampled);
	bpf_program__set_autoload(t->skel->progs.gmt_free_special, o->sampled);
	/* docs/go-runtime.md, "Allocation": go1.23 added mp to mProf_Malloc. */
	t->skel->rodata->mprof_malloc_has_mp = row->flags & GMT_REL_MPROF_MALLOC_MP;
	if (o->sampled) {
		t->skel->rodata->special_kind_off = row->special.kind;
		t->skel->rodata->special_profile_kind = (uint32_t)row->consts.kind_special_profile;
		t->skel->rodata->special_bucket_off = row->specialprofile.b;
	}

	err = gomemtrace_bpf__load(t->skel);
	if (err) {
		err = gmt_diag_set(d, err < 0 ? err : -EINVAL,
				   "cannot load the BPF programs: %s (needs root, CAP_SYS_ADMIN or "
				   "CAP_BPF+CAP_PERFMON, and a kernel with BTF; run with -v for "
				   "the verifier log)",
				   strerror(err < 0 ? -err : EINVAL));
		goto fail;
	}
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), rb_cb, t, NULL);
	if (!t->rb) {
		err = gmt_diag_set(d, -errno, "cannot set up the ring buffer: %s", strerror(errno));
		goto fail;
	}
	err = attach_plan(t, o, d);
	if (err)
		goto fail;
	*out = t;
	return 0;
fail:
	gmt_tracer__free(t);
	return err;
}

int gmt_tracer__poll(struct gmt_tracer *t, int timeout_ms)
{
	/*
	 * Without a wait, read whatever is there: the kernel's wakeups are adaptive, and a
	 * ring whose wakeup went to an outer epoll would otherwise keep its records.
	 */
	int n = timeout_ms ? ring_buffer__poll(t->rb, timeout_ms) : ring_buffer__consume(t->rb);

	return n == -EINTR ? 0 : n;
}

int gmt_tracer__detach(struct gmt_tracer *t)
{
	for (size_t i = 0; i < t->nlinks; i++)
		bpf_link__destroy(t->links[i]);
	t->nlinks = 0;
	/* Whatever the probes wrote before they went away. */
	return t->rb ? ring_buffer__consume(t->rb) : 0;
}

int gmt_tracer__counters(struct gmt_tracer *t, uint64_t out[GMT_CNT__MAX])
{
	int fd = bpf_map__fd(t->skel->maps.counters);
	uint64_t *vals = calloc(t->ncpus, sizeof(*vals));

	if (!vals)
		return -ENOMEM;
	for (uint32_t k = 0; k < GMT_CNT__MAX; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (int c = 0; c < t->ncpus; c++)
			out[k] += vals[c];
	}
	free(vals);
	return 0;
}

int gmt_tracer__for_each_alloc(struct gmt_tracer *t,
			       int (*cb)(void *ctx, const struct gmt_alloc_key *k, uint64_t n),
			       void *ctx)
{
	int fd = bpf_map__fd(t->skel->maps.allocs);
	struct gmt_alloc_key key, next;
	uint64_t *vals = calloc(t->ncpus, sizeof(*vals));
	void *prev = NULL;
	int err = 0;

	if (!vals)
		return -ENOMEM;
	/* Start from NULL and always advance the key (STYLE.md's pitfall). */
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		uint64_t sum = 0;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;
		for (int c = 0; c < t->ncpus; c++)
			sum += vals[c];
		err = cb(ctx, &key, sum);
		if (err)
			break;
	}
	free(vals);
	return err;
}

void gmt_tracer__forget_stack(struct gmt_tracer *t, uint64_t stack_id)
{
	bpf_map_delete_elem(bpf_map__fd(t->skel->maps.stacks_seen), &stack_id);
}

int gmt_tracer__epoll_fd(const struct gmt_tracer *t)
{
	return ring_buffer__epoll_fd(t->rb);
}

int gmt_tracer__ringbuf_fd(const struct gmt_tracer *t)
{
	return bpf_map__fd(t->skel->maps.events);
}

int gmt_tracer__counters_fd(const struct gmt_tracer *t)
{
	return bpf_map__fd(t->skel->maps.counters);
}

size_t gmt_tracer__nprobes(const struct gmt_tracer *t)
{
	return t->nlinks;
}

void gmt_tracer__free(struct gmt_tracer *t)
{
	if (!t)
		return;
	/*
	 * Probes off, and what they wrote is dropped, not handed to on_record: its consumers
	 * may be gone by now (the error paths of gmt_tracer__open() and of the session).
	 * Whoever wants those records calls gmt_tracer__detach() first.
	 */
	for (size_t i = 0; i < t->nlinks; i++)
		bpf_link__destroy(t->links[i]);
	t->nlinks = 0;
	ring_buffer__free(t->rb);
	gomemtrace_bpf__destroy(t->skel);
	free(t->links);
	free(t);
}
