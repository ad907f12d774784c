/* SPDX-License-Identifier: MIT */
/*
 * OTLP profiles: the body of POST /v1development/profiles (an ExportProfilesServiceRequest
 * of opentelemetry-proto profiles/v1development as of v1.10.0/v1.11.0, the layout the
 * Collector v0.165.0's pdata decodes: one ProfilesDictionary per request shared by its
 * profiles, a stack table, one sample type per Profile), encoded with the pprof writer's
 * protobuf encoder.  tests/collector/README.md lists the field numbers.
 *
 * The profiles are built from what gmt_write_pprof() is given, through the same rows
 * (gmt_pprof_row, gmt_pprof_lines): the values, the allocator frames left out, the
 * synthetic roots and the inlined Lines are alloc.pb.gz's.  One Profile per sample type
 * (alloc_objects, alloc_space, and inuse_objects, inuse_space when there is a live heap),
 * each with the stacks whose value of that type is not 0.  The executable is Mapping 1,
 * its build IDs attributes of it.  Kernel-free; the input is the aggregator's, not
 * untrusted bytes.
 */
#ifndef GMT_OTLP_PROFILES_H
#define GMT_OTLP_PROFILES_H

#include <stddef.h>
#include <stdint.h>

#include "otlp_metrics.h"
#include "outputs.h"
#include "pprof.h"

/* The executable's build IDs, as the OpenTelemetry semantic conventions name them. */
struct gmt_otlp_build_ids {
	const char *gnu;     /* process.executable.build_id.gnu: the GNU note, hex */
	const char *go;	     /* process.executable.build_id.go: what `go tool buildid` prints */
	const char *htlhash; /* process.executable.build_id.htlhash: hex */
};

struct gmt_otlp_profiles {
	/* alloc_objects, alloc_space (and inuse_* with o->inuse), as gmt_write_pprof(). */
	const struct gmt_agg *agg;
	/*
	 * Or NULL: a live heap of its own (the daemon's inuse.pb.gz, written with
	 * o->inuse_only) as inuse_objects and inuse_space, when o->inuse is not set.
	 */
	const struct gmt_agg *inuse_agg;
	const struct gmt_symbolizer *sym;
	const struct gmt_run_info *ri; /* time and duration; may be NULL */
	const struct gmt_pprof_opts *o; /* period, in-use callback, mapping; may be NULL */
	struct gmt_otlp_build_ids ids;
	/* The resource (the metrics' attributes, gmt_otlp_resource()) and the scope. */
	const struct gmt_otlp_attr *resource;
	size_t nresource;
	const char *scope_name, *scope_version;
};

/*
 * Appends the request to b: 0, or -EINVAL (no aggregator), -E2BIG (a table past 2^31
 * entries), inuse_fn's error, the encoder's error.
 */
int gmt_otlp_profiles_encode(const struct gmt_otlp_profiles *p, struct gmt_pb *b);

struct gmt_profile_set;

/*
 * The profiles of a profile set, as its alloc.pb.gz (and inuse.pb.gz, when written) are:
 * agg, inuse_agg, sym, ri and o from ps (which must outlive p); ids, resource and scope
 * left for the caller.
 */
void gmt_otlp_profiles_of_set(const struct gmt_profile_set *ps, struct gmt_otlp_profiles *p);

#endif
