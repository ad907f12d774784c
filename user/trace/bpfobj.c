// SPDX-License-Identifier: MIT
#include "bpfobj.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gomemtrace.h"
#include "hookplan.h"
#include "log.h"
#include "preflight.h"

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

void gmt_bpfobj_set_log(void)
{
	libbpf_set_print(libbpf_print);
}

int gmt_bpfobj_check_btf(const char *path, struct gmt_diag *d)
{
	libbpf_print_fn_t print;
	struct btf *btf;
	int err;

	if (!path)
		return 0;
	print = libbpf_set_print(NULL);
	btf = btf__parse(path, NULL);
	err = libbpf_get_error(btf);
	libbpf_set_print(print);
	if (err)
		return gmt_diag_set(d, -EINVAL, "%s is not a kernel BTF file (libbpf: %s)", path,
				    strerror(err < 0 ? -err : EINVAL));
	btf__free(btf);
	return 0;
}

int gmt_bpfobj_open_failed(const char *name, struct gmt_diag *d)
{
	int err = errno ? -errno : -EINVAL;

	return gmt_diag_set(d, err, "cannot open the %sBPF object: %s", name, strerror(-err));
}

static int share(struct bpf_object_skeleton *skel, const char *map, int fd, const char *what,
		 struct gmt_diag *d)
{
	struct bpf_map *m = bpf_object__find_map_by_name(*skel->obj, map);
	int err;

	if (fd <= 0)
		return 0;
	err = m ? bpf_map__reuse_fd(m, fd) : -ENOENT;
	if (err)
		return gmt_diag_set(d, err, "cannot share the recording's %s: %s", what,
				    strerror(-err));
	return 0;
}

static int load(const struct gmt_bpfobj_spec *s, struct gmt_diag *d)
{
	char what[64];
	int err = bpf_object__load_skeleton(s->skeleton);

	if (!err)
		return 0;
	err = err < 0 ? err : -EINVAL;
	snprintf(what, sizeof(what), "cannot load the %sBPF programs", s->name);
	if (err == -EPERM || err == -EACCES)
		return gmt_explain_refusal(err, what, d);
	return gmt_diag_set(d, err, "%s: %s (run with -v for the verifier log)", what,
			    strerror(-err));
}

static int attach(struct gmt_bpfobj *b, const struct gmt_bpfobj_spec *s,
		  struct bpf_program *prog, const struct gmt_hook *h, struct gmt_diag *d)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo);
	struct bpf_link *link;
	char what[192];
	int err;

	uo.bpf_cookie = (h->stack_check ? GMT_COOKIE_STACK_CHECK : 0) | (uint32_t)h->id;
	link = bpf_program__attach_uprobe_opts(prog, s->pid, s->exe, h->probe_offset, &uo);
	if (link) {
		b->links[b->nlinks++] = link;
		pr_debug("%sprobe %s at %#llx (file offset %#llx, %s)\n", s->name, h->function,
			 (unsigned long long)h->probe_addr, (unsigned long long)h->probe_offset,
			 h->insn);
		return 0;
	}
	err = errno ? -errno : -EINVAL;
	if (err == -ESRCH)
		return gmt_diag_set(d, err, "PID %d exited while gomemtrace attached to it", s->pid);
	snprintf(what, sizeof(what), "cannot attach a uprobe to %s at %s+%#llx", h->function,
		 s->exe, (unsigned long long)h->probe_offset);
	if (err == -EPERM || err == -EACCES)
		return gmt_explain_refusal(err, what, d);
	return gmt_diag_set(d, err, "%s: %s", what, strerror(-err));
}

int gmt_bpfobj__start(struct gmt_bpfobj *b, const struct gmt_bpfobj_spec *s,
		      struct gmt_diag *d)
{
	const struct gmt_hookplan *plan = s->plan;
	size_t nplan = plan ? plan->nhooks : 0;
	int err;

	memset(b, 0, sizeof(*b));
	b->links = calloc(nplan + 1, sizeof(*b->links));
	if (!b->links)
		return gmt_diag_set(d, -ENOMEM, "out of memory");
	err = share(s->skeleton, "events", s->ringbuf_fd, "ring buffer", d);
	if (!err)
		err = share(s->skeleton, "counters", s->counters_fd, "counters", d);
	if (!err)
		err = load(s, d);
	for (size_t i = 0; !err && i < nplan; i++) {
		const struct gmt_hook *h = &plan->hooks[i];
		/* The plan's rule first (the runqput hand-off or newproc1's RETs). */
		struct bpf_program *prog =
			gmt_hookplan_attaches(plan, h) ? s->prog_for(s->ctx, h) : NULL;

		if (prog)
			err = attach(b, s, prog, h, d);
	}
	if (err)
		return err;
	/* Every probe is in: from here on the records are whole sequences. */
	b->enabled = s->enabled;
	if (b->enabled)
		__atomic_store_n(b->enabled, 1, __ATOMIC_RELEASE);
	return 0;
}

size_t gmt_bpfobj__nprobes(const struct gmt_bpfobj *b)
{
	return b->nlinks;
}

void gmt_bpfobj__detach(struct gmt_bpfobj *b)
{
	/* Before any probe goes: the sequences end for all of them at once. */
	if (b->enabled)
		__atomic_store_n(b->enabled, 0, __ATOMIC_RELEASE);
	for (size_t i = 0; i < b->nlinks; i++)
		bpf_link__destroy(b->links[i]);
	b->nlinks = 0;
}

void gmt_bpfobj__free(struct gmt_bpfobj *b)
{
	gmt_bpfobj__detach(b);
	free(b->links);
	b->links = NULL;
}
