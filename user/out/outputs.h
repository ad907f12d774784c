/* SPDX-License-Identifier: MIT */
/*
 * The output writers: each turns a finished aggregator (gmt_agg__finish) into one file
 * format.  They take the symbolizer interface rather than the binary reader so that
 * tests can feed them synthetic frames.  All return 0, -ENOMEM, or -EIO when writing
 * failed; they do not close f.
 */
#ifndef GMT_OUTPUTS_H
#define GMT_OUTPUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "aggregate.h"
#include "goroutines.h"
#include "json_writer.h"
#include "runinfo.h"
#include "symbolize.h"

struct gmt_gobin;

/* ---- folded stacks (out_folded.c) ---- */

/* The number after each folded line.  New values go before GMT_FOLDED__MAX. */
enum gmt_folded_value {
	GMT_FOLDED_COUNT,    /* allocations */
	GMT_FOLDED_BYTES,    /* bytes requested */
	GMT_FOLDED_RESERVED, /* bytes after size-class rounding */
	GMT_FOLDED__MAX,
};

/*
 * How a folded file is written.  Zero is the default: runtime/pprof's convention for
 * heap profiles (the allocator's leading runtime frames left out, gmt_stack_runtime_skip)
 * and no size bound.
 */
struct gmt_folded_opts {
	bool runtime_frames; /* keep the leading runtime frames (mallocgc's callers) */
	/*
	 * At most this many bytes (0: no bound).  Over it, the lines with the largest values
	 * are kept while they fill 7/8 of it; the others are merged into one
	 * "[other stacks];LEAF" line per leaf function and, past the budget, the smallest
	 * of those into one "[other stacks]" line: the values still add up to the total.
	 */
	uint64_t max_bytes;
	/* Set by the writer: distinct folded stacks, how many went into "[other stacks]"
	 * lines, and the lines written. */
	size_t stacks, merged, written_lines;
};

/*
 * `root;...;leaf value`, one line per distinct symbolized stack (stacks that symbolize
 * identically are merged), inlined frames expanded, sorted by the stack text, lines
 * whose value is 0 left out.  A truncated stack starts with a "[truncated]" frame, the
 * allocations without a stack are under "[unknown stack]", an address that does not
 * symbolize is printed as 0x....  o may be NULL (the defaults); its counts are filled
 * in.  -EINVAL for an unknown v.
 */
int gmt_write_folded(const struct gmt_agg *a, const struct gmt_symbolizer *sym, FILE *f,
		     enum gmt_folded_value v, struct gmt_folded_opts *o);

/* ---- human report, report.txt (out_report.c) ---- */

#define GMT_REPORT_TOP 20 /* stacks and types listed */

int gmt_write_report(const struct gmt_agg *a, const struct gmt_symbolizer *sym, FILE *f,
		     const struct gmt_run_info *ri);
/* Sampled mode's live heap (an aggregator of estimated live objects): stacks and types. */
int gmt_write_report_inuse(const struct gmt_agg *inuse, const struct gmt_symbolizer *sym,
			   FILE *f);

/* What sampled mode's live-heap figure covers (est_inuse_covers in summary.json). */
#define GMT_INUSE_COVERS "allocated_while_tracing"

/*
 * Sampled mode: the live heap's estimated total, and what it covers: the objects sampled
 * while tracing and not freed by its end; frees_ignored frees of older objects.
 */
int gmt_write_report_inuse_scope(FILE *f, double est_bytes, double est_objects,
				 uint64_t frees_ignored);

/* ---- summary.json (out_summary.c) ---- */

/*
 * The whole document.  A caller with more to say (GC fields) uses the three steps
 * instead: begin, the allocation fields, its own gmt_json__k*() calls, end.
 */
int gmt_write_summary_json(const struct gmt_agg *a, const struct gmt_symbolizer *sym, FILE *f,
			   const struct gmt_run_info *ri);
/* "inuse_top_types": the live heap's types, as top_types. */
void gmt_summary__inuse_types(struct gmt_json *j, const struct gmt_agg *inuse);
/* Opens the top-level object; NULL on -ENOMEM. */
struct gmt_json *gmt_summary__begin(FILE *f);
/* The run's identity, totals, counters, top types and allocation rate: 0 or -ENOMEM. */
int gmt_summary__alloc_fields(struct gmt_json *j, const struct gmt_agg *a,
			       const struct gmt_symbolizer *sym, const struct gmt_run_info *ri);
/* Closes the object and frees j: 0 or -EIO. */
int gmt_summary__end(struct gmt_json *j);

/* ---- pprof profile.proto, alloc.pb.gz (out_pprof.c) ---- */

/*
 * The traced binary as the process mapped it: the profile's one Mapping.  pprof reads
 * profiles without the binary at hand: the Mapping says every Location is already
 * symbolized (has_functions, has_filenames, has_line_numbers, has_inline_frames), so
 * pprof does not try again.
 */
struct gmt_pprof_mapping {
	const char *filename; /* NULL: the run info's binary ("" without run info) */
	const char *build_id; /* NULL or "" when unknown */
	/*
	 * [memory_start, memory_limit): the runtime addresses of the executable segment;
	 * Locations outside it get no mapping_id (cgo libraries, the vdso).  memory_limit
	 * 0 when the range is unknown: then every address is put in the mapping.
	 */
	uint64_t memory_start, memory_limit;
	uint64_t file_offset; /* file offset of memory_start */
};
/*
 * The mapping of gb's executable segment (the first PT_LOAD with PF_X) as a process
 * maps it at load bias bias, named path.
 */
void gmt_pprof_exe_mapping(const struct gmt_gobin *gb, uint64_t bias, const char *path,
			   struct gmt_pprof_mapping *m);

/*
 * In-use values of one stack, for sampled mode: objects of the stack still live when the
 * recording ended and their bytes, estimated like the stack's count and bytes.  Called
 * once per stack of the aggregator's views (its id identifies it), only when opts.inuse
 * is set.  Returns 0, or a negative errno that aborts the write.
 *
 * A callback rather than fields in struct gmt_agg_stack because the live heap comes from
 * a different source (mProf_Free, object to bucket) that the aggregator does not track
 * yet; if it learns to, the caller's callback becomes a read of those fields and this
 * writer does not change.
 */
typedef int (*gmt_pprof_inuse_fn)(void *ctx, const struct gmt_agg_stack *s, uint64_t *objects,
				  uint64_t *bytes);

struct gmt_pprof_opts {
	/* Profile.period, of period_type space/bytes: 1 in exact mode, the sampling rate
	 * (MemProfileRate) in sampled mode, as Go's heap profiles say it.  0 reads as 1.
	 * pprof does not scale values by it: sampled counts must already be estimates. */
	uint64_t period;
	/* Add the sample types inuse_objects/count and inuse_space/bytes: inuse_fn is then
	 * required (-EINVAL without). */
	bool inuse;
	gmt_pprof_inuse_fn inuse_fn;
	void *inuse_ctx;
	/* An in-use profile: the aggregator holds live objects, and the sample types are
	 * inuse_objects/count and inuse_space/bytes only (the default inuse_space); inuse
	 * and inuse_fn are then ignored. */
	bool inuse_only;
	/* Keep the leading runtime frames that runtime/pprof leaves out of heap profiles
	 * (gmt_stack_runtime_skip); by default they go, as in Go's own profiles. */
	bool runtime_frames;
	struct gmt_pprof_mapping mapping;
};

/*
 * A gzip-compressed profile.proto (github.com/google/pprof/proto/profile.proto), what
 * `go tool pprof` reads.  Sample types alloc_objects/count and alloc_space/bytes (the
 * requested bytes, as the report and alloc_bytes.folded count them), then the in-use pair
 * when o->inuse; the default is alloc_space.  One Sample per stack, location ids leaf
 * first; one Location per distinct return address (address as the process saw it), its
 * Lines innermost first with the physical function last, none when the address does not
 * symbolize; Functions deduplicated by (name, file).  A truncated stack ends in a
 * "[truncated]" root, the allocations without a stack are one "[unknown stack]" frame.
 * Stacks whose values are all 0 (only zero-size allocations) are left out.  time_nanos
 * and duration_nanos come from ri when it has them; ri and o may be NULL.  Besides the
 * writers' usual errors: -EINVAL for bad arguments, -E2BIG past 2^32 distinct strings,
 * and whatever inuse_fn returned.
 */
int gmt_write_pprof(const struct gmt_agg *a, const struct gmt_symbolizer *sym, FILE *f,
		    const struct gmt_run_info *ri, const struct gmt_pprof_opts *o);

/*
 * What alloc.pb.gz and the OTLP profiles (otlp_profiles.h) are both built from, so that
 * the two say the same: the sample types, and each aggregator stack as one row.
 */
#define GMT_PPROF_MAX_TYPES 4

/* gmt_write_pprof()'s sample types for o (may be NULL), in order: {type, unit}; the count. */
int gmt_pprof_sample_types(const struct gmt_pprof_opts *o, const char *out[GMT_PPROF_MAX_TYPES][2]);

/* One aggregator stack as gmt_write_pprof() writes it. */
struct gmt_pprof_row {
	int64_t vals[GMT_PPROF_MAX_TYPES]; /* one per sample type, in their order */
	uint32_t skip;			    /* leading pcs left out (the allocator's frames) */
	bool unknown;			    /* one "[unknown stack]" frame, no pcs */
	bool truncated;			    /* a "[truncated]" frame after the pcs (the root) */
};
#define GMT_PPROF_UNKNOWN_STACK "[unknown stack]"
#define GMT_PPROF_TRUNCATED "[truncated]"

/*
 * s as a row: 1, or 0 when it is left out (every value 0: only zero-size allocations),
 * or o->inuse_fn's error (-EINVAL for a positive one).
 */
int gmt_pprof_row(const struct gmt_agg_stack *s, const struct gmt_symbolizer *sym,
		  const struct gmt_pprof_opts *o, struct gmt_pprof_row *row);

#define GMT_PPROF_MAX_INLINE 64 /* frames per return address */

/*
 * The Lines of the Location of return address pc into fr[GMT_PPROF_MAX_INLINE]:
 * innermost first, the physical function last, nameless frames left out, an unknown
 * file ("?") as "".  The count, 0 when pc does not symbolize.
 */
int gmt_pprof_lines(const struct gmt_symbolizer *sym, uint64_t pc, struct gmt_frame *fr);

/* The profile's duration from ri (duration_nanos): 0 when unknown. */
int64_t gmt_pprof_duration_ns(const struct gmt_run_info *ri);

/*
 * One sample of a heap profile read from the runtime's own buckets (snapshot): its
 * stack as return addresses (leaf first, each symbolized with its inlined frames, the
 * runtime's leading frames already cut as runtime/pprof cuts them), the four values
 * runtime/pprof writes (alloc_objects, alloc_space, inuse_objects, inuse_space, already
 * scaled) and the allocation size, the sample's numeric label "bytes" (0: none).
 */
struct gmt_heap_sample {
	const uint64_t *pcs;
	uint32_t depth;
	int64_t values[4];
	int64_t block_bytes;
};

/*
 * A heap profile as runtime/pprof writes one (protomem.go, writeHeapProto): sample types
 * alloc_objects/count, alloc_space/bytes, inuse_objects/count, inuse_space/bytes, no
 * default sample type (pprof shows the last, inuse_space), period_type space/bytes with
 * period o->period (MemProfileRate), one Sample per given sample in order.  Locations,
 * Functions and the Mapping as gmt_write_pprof() writes them; o->inuse* and
 * o->runtime_frames are ignored.  -EINVAL for bad arguments, or the writer's errors.
 */
int gmt_write_heap_pprof(const struct gmt_heap_sample *s, size_t n,
			 const struct gmt_symbolizer *sym, FILE *f, const struct gmt_run_info *ri,
			 const struct gmt_pprof_opts *o);

/*
 * The goroutine profile as runtime/pprof writes it (debug=0): sample type goroutine/count,
 * period_type goroutine/count, period 1; s[i].values[0] is the number of goroutines with
 * that stack (the other values are ignored; block_bytes 0: no label).
 */
int gmt_write_goroutine_pprof(const struct gmt_heap_sample *s, size_t n,
			      const struct gmt_symbolizer *sym, FILE *f,
			      const struct gmt_run_info *ri, const struct gmt_pprof_opts *o);

/* ---- the runtime's own heap profile, for snapshot (out_heapsnap.c) ---- */

struct gmt_mprof;

/*
 * heap.pb.gz from the runtime's buckets as runtime/pprof writes it: per bucket the
 * stack with its leading runtime frames left out, values scaled at rate
 * (MemProfileRate now, as runtime/pprof scales; also the profile's period), label
 * "bytes" the object size.  o: the Mapping (o->period is ignored), may be NULL.
 */
int gmt_write_heap_snapshot(const struct gmt_mprof *p, int64_t rate,
			    const struct gmt_symbolizer *sym, FILE *f, const struct gmt_run_info *ri,
			    const struct gmt_pprof_opts *o);
/*
 * inuse_space.folded: `root;...;leaf bytes` per bucket with in-use bytes (scaled as in
 * heap.pb.gz, the same stacks, inlined frames expanded), for flame graph tools, which
 * sum identical stacks.
 */
int gmt_write_heap_folded(const struct gmt_mprof *p, int64_t rate,
			  const struct gmt_symbolizer *sym, FILE *f);
/*
 * The logical stack a bucket holds (one pc per frame, inlined ones included) as return
 * addresses, one per physical frame, runtime.goexit left out: into out (room for n),
 * the count.
 */
size_t gmt_heapsnap_physical(const struct gmt_symbolizer *sym, const uint64_t *pcs, size_t n,
			     uint64_t *out);
/* How many leading pcs runtime/pprof hides (innermost function in the runtime). */
size_t gmt_heapsnap_runtime_skip(const struct gmt_symbolizer *sym, const uint64_t *pcs, size_t n);
/*
 * The in-use heap by allocating function (the leaf runtime/pprof shows), the max largest
 * first, one line each under a title line: snapshot's summary and report.txt.
 */
int gmt_write_heap_top_sites(FILE *f, const struct gmt_mprof *p, int64_t rate,
			     const struct gmt_symbolizer *sym, size_t max);

/*
 * The live heap of a recording or of a daemon interval in sampled mode: the runtime's
 * own heap profile read at the end of the window (trace/ reads it).  Its in-use figures
 * are MemProfile's: as of the last completed GC cycle, every sampled object still live,
 * whether sampled before or after the attach.  rate_raised: gomemtrace raised the
 * target's MemProfileRate from 0, so the buckets hold only what was sampled since.
 */
struct gmt_live_heap {
	const struct gmt_mprof *p; /* NULL: not read; why says why */
	const char *why;
	int64_t rate;		   /* MemProfileRate when read: the values' scale */
	bool rate_raised;
	/* Totals over p, scaled as runtime/pprof scales them. */
	int64_t alloc_objects, alloc_space, inuse_objects, inuse_space;
};

/* "since_process_start" or "since_rate_raised": summary.json's live_heap_covers. */
const char *gmt_live_heap_covers(const struct gmt_live_heap *lh);
/* report.txt's section: what the figure covers, its totals, its top sites. */
int gmt_live_heap_report(FILE *f, const struct gmt_live_heap *lh,
			 const struct gmt_symbolizer *sym);
/* summary.json's live_heap_* fields. */
void gmt_live_heap_summary(struct gmt_json *j, const struct gmt_live_heap *lh);

/* ---- shared by the writers (out_common.c) ---- */

/* The counter's name in summary.json ("rb_drops"), NULL for an unused slot. */
const char *gmt_counter_name(unsigned int c);

/* Allocations lost: allocation records the full ring buffer could not take. */
uint64_t gmt_dropped(const struct gmt_run_info *ri);

/*
 * A type as the outputs print it: its Go name, "[no type]" for untyped pointer-free
 * data (typ 0), "[type 0x...]" when the binary could not name it.
 */
void gmt_type_display_name(const struct gmt_agg_type *t, char *buf, size_t len);

/*
 * Function names as Go prints them.  runtime: package runtime or internal/runtime/...,
 * the frames runtime/pprof hides at the leaf of heap profiles.  std: the standard
 * library (runtime included) as the go command tells it, no dot in the first element of
 * the import path, and not package main.
 */
bool gmt_func_is_runtime(const char *name);
bool gmt_func_is_std(const char *name);

/*
 * How many leading return addresses (leaf first) of s runtime/pprof leaves out of a heap
 * profile (runtime/pprof/protomem.go, writeHeapProto): those whose innermost function
 * (what runtime.FuncForPC names) is in the runtime, up to the first one that is not.  A
 * stack that is all runtime, or whose first frame does not symbolize, loses nothing.
 * The allocator's own frames (mallocgc, newobject, makeslice, growslice, maps...) go,
 * and the leaf is the function whose code allocated.
 */
uint32_t gmt_stack_runtime_skip(const struct gmt_agg_stack *s, const struct gmt_symbolizer *sym);

/*
 * The allocation rate over time, in buckets of equal length from the start of the
 * recording (the last one up to 1.5 buckets long: a sliver at the end is no bucket of
 * its own).  The rate points are cumulative counts since ri->start_ns (0 there); the
 * count at a bucket's edge is interpolated linearly between the points around it.
 */
struct gmt_rate_interval {
	double t_s;  /* end of the bucket, seconds since the recording started */
	double dt_s; /* its length */
	double allocs_per_s, bytes_per_s;
};

/* At least one second; in sampled mode long enough for GMT_RATE_MIN_SAMPLES samples per
 * bucket on average (10 % standard error); at most GMT_RATE_MAX_BUCKETS buckets. */
#define GMT_RATE_MIN_SAMPLES 100
#define GMT_RATE_MAX_BUCKETS 600

/* The bucket length for a recording of span_s seconds (ri->samples in sampled mode). */
uint64_t gmt_rate_bucket_ns(double span_s, const struct gmt_run_info *ri);

/*
 * The buckets from ri->start_ns (or the first point) to the last point.  Returns the
 * number of buckets in *out (malloc'd, NULL when none) or -ENOMEM.
 */
int gmt_rate_intervals(const struct gmt_agg *a, const struct gmt_run_info *ri,
		       struct gmt_rate_interval **out);

/* ---- outputs (out_goroutines.c) ---- */

/*
 * goroutines.folded: live goroutines at the end by creation stack, root first; the
 * pre-existing ones under their fold_stack with a [pre-existing] leaf, or without one
 * under a [pre-existing] root and their go statement.
 */
int gmt_goroutines__write_folded(const struct gmt_goroutines *g, const struct gmt_symbolizer *sym,
				 FILE *f);
/* The goroutines section of report.txt. */
int gmt_goroutines__report(const struct gmt_goroutines *g, FILE *f);
/* goroutines_* keys and the goroutine_sites array of summary.json. */
void gmt_goroutines__summary_fields(const struct gmt_goroutines *g, struct gmt_json *j);

#endif
