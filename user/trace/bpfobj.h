/* SPDX-License-Identifier: MIT */
/*
 * One way to load a BPF object of a recording and attach its share of the hook plan:
 * the allocation tracer (gomemtrace.bpf.c), the GC (gc.bpf.c) and the goroutines
 * (goroutines.bpf.c) all go through gmt_bpfobj__start().  The caller opens its skeleton
 * (X_bpf__open_opts() with the BTF path) and sets its read-only data and map sizes;
 * then:
 *   gmt_bpfobj__start()   shares the recording's maps (ring buffer, counters), loads the
 *                         object, attaches each probe of the plan that the plan attaches
 *                         (gmt_hookplan_attaches) and the object has a program for, with
 *                         its cookie, then sets the
 *                         object's "enabled" flag, so that its records start once every
 *                         probe is in;
 *   gmt_bpfobj__detach()  clears "enabled" first, so that the records of all probes end
 *                         at once, then destroys the links: the target runs untouched;
 *   gmt_bpfobj__free()    detaches, frees what it holds.  The skeleton is the caller's,
 *                         destroyed after this.
 * Every failure is one line; a refusal for privileges says what the preflight says
 * (preflight.h: on this kernel only CAP_SYS_ADMIN attaches uprobes).
 */
#ifndef GMT_BPFOBJ_H
#define GMT_BPFOBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

struct bpf_link;
struct bpf_object_skeleton;
struct bpf_program;
struct gmt_hook;
struct gmt_hookplan;

struct gmt_bpfobj_spec {
	const char *name; /* "GC ", "goroutine ", or "": "cannot load the GC BPF programs" */
	struct bpf_object_skeleton *skeleton; /* opened, read-only data set */
	/*
	 * The object's "enabled" flag in .bss, or NULL when it has none: the address taken
	 * after the open stays valid, libbpf maps the loaded map at the same address.
	 */
	uint32_t *enabled;
	int pid;	 /* only this process triggers the probes */
	const char *exe; /* what the uprobes attach to (/proc/PID/exe) */
	/* > 0: the recording's map to use for the object's "events" or "counters" map. */
	int ringbuf_fd, counters_fd;
	/* The plan's probes: prog_for() gives the program for hook h, NULL to leave it. */
	const struct gmt_hookplan *plan;
	struct bpf_program *(*prog_for)(void *ctx, const struct gmt_hook *h);
	void *ctx;
};

struct gmt_bpfobj {
	struct bpf_link **links;
	size_t nlinks;
	uint32_t *enabled;
};

/* After X_bpf__open_opts() returned NULL: -errno, with the one-line reason in d. */
int gmt_bpfobj_open_failed(const char *name, struct gmt_diag *d);
/* Share, load, attach, enable (above).  On an error, __free() undoes what was done. */
int gmt_bpfobj__start(struct gmt_bpfobj *b, const struct gmt_bpfobj_spec *s,
		      struct gmt_diag *d);
/* How many probes are in. */
size_t gmt_bpfobj__nprobes(const struct gmt_bpfobj *b);
/* Records off, then probes off.  Idempotent. */
void gmt_bpfobj__detach(struct gmt_bpfobj *b);
void gmt_bpfobj__free(struct gmt_bpfobj *b);

/* libbpf's messages through our log levels (its warnings only with -v). */
void gmt_bpfobj_set_log(void);
/* A --btf file libbpf cannot read: one line here rather than its CO-RE failure log. */
int gmt_bpfobj_check_btf(const char *path, struct gmt_diag *d);

#endif
