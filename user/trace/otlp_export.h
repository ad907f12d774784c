/* SPDX-License-Identifier: MIT */
/*
 * The OTLP export of a recording: its metrics (out/otlp_metrics.h) under the target's
 * resource attributes, encoded and sent once (otlp_http.h).  record calls it at its end.
 */
#ifndef GMT_OTLP_EXPORT_H
#define GMT_OTLP_EXPORT_H

#include "diag.h"
#include "otlp_http.h"
#include "otlp_metrics.h"
#include "otlp_profiles.h"

/* Where a Collector's OTLP/HTTP receiver takes profiles (hard-wired in v0.165.0). */
#define GMT_OTLP_PROFILES_PATH "/v1development/profiles"

/* A random UUID (version 4) as 36 characters and a NUL: service.instance.id. */
void gmt_otlp_instance_id(char out[37]);

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

/* The otlp_profiles.h build IDs of ids (which must outlive them); "" ones left out. */
struct gmt_build_ids;
struct gmt_otlp_build_ids gmt_otlp_build_ids_of(const struct gmt_build_ids *ids);

#endif
