/* SPDX-License-Identifier: MIT */
/*
 * The BPF side's lifecycle, libbpf-bootstrap style: open the skeleton, size the maps
 * and set read-only data from the options, load, attach the uprobes of the hook plan,
 * poll the ring buffer, read the counters and tables, detach.
 */
#ifndef GMT_TRACER_H
#define GMT_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "gomemtrace.h"

struct gmt_go_release;
struct gmt_hookplan;
struct gmt_tracer;

struct gmt_tracer_opts {
	int pid;		       /* only this process triggers the probes */
	const char *exe;	       /* path the uprobes attach to (/proc/PID/exe) */
	uint64_t bias;		       /* load bias of the executable */
	const struct gmt_hookplan *plan;
	bool alloc;		       /* exact mode: probe the allocators */
	bool sampled;		       /* sampled mode: probe Go's heap sampler (not with alloc) */
	const struct gmt_go_release *row; /* the binary's release: the sampler's arguments,
					   * runtime.special's layout */
	uint32_t ringbuf_mb;	       /* ring buffer size in MiB (power of two) */
	uint32_t max_depth;	       /* stack walk limit, 1..GMT_MAX_STACK */
	uint32_t agg_entries;	       /* in-kernel (stack, type, size) table size */
	const char *btf_path;	       /* kernel BTF for CO-RE; NULL: the running kernel's */
	/* Every ring-buffer record goes here; kind first (include/gomemtrace.h). */
	int (*on_record)(void *ctx, const void *data, size_t size);
	void *ctx;
};

/* libbpf's messages through our log levels (its warnings only with -v). */
void gmt_tracer_set_log(void);

/*
 * Whether the binary has what the mode needs is the analysis' check (analysis.h), made
 * before: __open() attaches what the plan has.
 */
int gmt_tracer__open(const struct gmt_tracer_opts *o, struct gmt_tracer **out,
		     struct gmt_diag *d);
/* Consumes ring-buffer records for up to timeout_ms (0: what is there, without waiting
 * for a wakeup); returns records handled or -errno. */
int gmt_tracer__poll(struct gmt_tracer *t, int timeout_ms);
/*
 * Removes the probes (the process runs untouched from here), then drains the buffer:
 * records handled or -errno.
 */
int gmt_tracer__detach(struct gmt_tracer *t);
/* Per-CPU counters, summed. */
int gmt_tracer__counters(struct gmt_tracer *t, uint64_t out[GMT_CNT__MAX]);
/* Visits every in-kernel aggregation row with its count summed over CPUs. */
int gmt_tracer__for_each_alloc(struct gmt_tracer *t,
			       int (*cb)(void *ctx, const struct gmt_alloc_key *k, uint64_t n),
			       void *ctx);
/* The BPF side sends the stack with this id again the next time it sees it. */
void gmt_tracer__forget_stack(struct gmt_tracer *t, uint64_t stack_id);
/* An fd that polls readable when the ring buffer has records (for one epoll over many). */
int gmt_tracer__epoll_fd(const struct gmt_tracer *t);
size_t gmt_tracer__nprobes(const struct gmt_tracer *t);
/* The ring buffer's map fd: other BPF objects of the recording write into it too. */
int gmt_tracer__ringbuf_fd(const struct gmt_tracer *t);
/* The per-CPU counters map's fd, shared the same way. */
int gmt_tracer__counters_fd(const struct gmt_tracer *t);
/* Probes off; records still in the ring buffer are dropped (never passed to on_record). */
void gmt_tracer__free(struct gmt_tracer *t);

#endif
