/* SPDX-License-Identifier: MIT */
/*
 * The OTLP export of a recording: its metrics (out/otlp_metrics.h) under the target's
 * resource attributes, encoded and sent once (otlp_http.h).  record calls it at its end.
 */
#ifndef GMT_OTLP_EXPORT_H
#define GMT_OTLP_EXPORT_H

#include "buildid.h"
#include "diag.h"
#include "otlp_http.h"
#include "otlp_metrics.h"
#include "otlp_profiles.h"

/* Where a Collector's OTLP/HTTP receiver takes profiles (hard-wired in v0.165.0). */
#define GMT_OTLP_PROFILES_PATH "/v1development/profiles"

/* A random UUID (version 4) as 36 characters and a NUL: service.instance.id. */
void gmt_otlp_instance_id(char out[37]);

/* The ExportMetricsServiceRequest of rec and mem (NULL: none) about t, stamped time_ns,
 * appended to b: 0 or the encoder's error.  The daemon queues it (otlp_queue.h). */
int gmt_otlp_encode_recording(const struct gmt_otlp_target *t,
			      const struct gmt_otlp_recording *rec,
			      const struct gmt_memory_report *mem, uint64_t time_ns, struct gmt_pb *b);

/*
 * Sends the metrics of rec and mem (NULL: no memory figures) about t, stamped time_ns,
 * to o->url + "/v1/metrics".  0, or gmt_otlp_post()'s error with d; r as it gives it.
 */
int gmt_otlp_export_recording(const struct gmt_otlp_opts *o, const struct gmt_otlp_target *t,
			      const struct gmt_otlp_recording *rec,
			      const struct gmt_memory_report *mem, uint64_t time_ns,
			      struct gmt_otlp_result *r, struct gmt_diag *d);

/*
 * The ExportProfilesServiceRequest of p about t (p's resource and scope are set here:
 * the metrics' resource attributes, scope gomemtrace) appended to b: 0 or the encoder's
 * error (gmt_otlp_profiles_encode()).
 */
int gmt_otlp_encode_profiles(const struct gmt_otlp_target *t, const struct gmt_otlp_profiles *p,
			     struct gmt_pb *b);

/*
 * Encodes p about t and sends it to o->url + GMT_OTLP_PROFILES_PATH: what a daemon
 * interval calls with gmt_otlp_profiles_of_set() of its set.  0, or the encoder's error
 * or gmt_otlp_post()'s, with d; r as gmt_otlp_post() gives it.
 */
int gmt_otlp_export_profiles(const struct gmt_otlp_opts *o, const struct gmt_otlp_target *t,
			     const struct gmt_otlp_profiles *p, struct gmt_otlp_result *r,
			     struct gmt_diag *d);

/*
 * One target as its OTLP requests describe it: the resource (service.name, a
 * service.instance.id of its own, process, runtime, host, container) and the build IDs
 * of its executable; and, once a profile set is written with gmt_otlp_source_encode_set
 * observing (profile_set.h), that set as an ExportProfilesServiceRequest.
 */
struct gmt_target;
struct gmt_analysis;
struct gmt_profile_set;

struct gmt_otlp_source {
	struct gmt_otlp_target ot;
	char host[256], id[37], container[65];
	struct gmt_build_ids ids;
	struct gmt_pb *profiles; /* NULL until a set is written; then the caller's to take */
	int profiles_err;	 /* its encoding failed: the reason */
};

void gmt_otlp_source_init(struct gmt_otlp_source *x, const char *service_name,
			  const struct gmt_target *t, const struct gmt_analysis *an);
/* The observer (ctx: a gmt_otlp_source): encodes the set into x->profiles. */
void gmt_otlp_source_encode_set(const struct gmt_profile_set *ps, void *ctx);
/* Frees x->profiles and x (NULL: nothing). */
void gmt_otlp_source_free(struct gmt_otlp_source *x);

/* The otlp_profiles.h build IDs of ids (which must outlive them); "" ones left out. */
struct gmt_build_ids;
struct gmt_otlp_build_ids gmt_otlp_build_ids_of(const struct gmt_build_ids *ids);

#endif
