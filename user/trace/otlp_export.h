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

#endif
