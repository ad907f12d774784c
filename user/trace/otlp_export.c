// SPDX-License-Identifier: MIT
/* The OTLP export of a recording: see otlp_export.h. */
#include "otlp_export.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "buildid.h"

void gmt_otlp_instance_id(char out[37])
{
	uint8_t u[16];

	/* getrandom() does not fail for 16 bytes once the pool is up; time is a fallback. */
	if (getrandom(u, sizeof(u), 0) != sizeof(u)) {
		uint64_t t = (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32);

		for (int i = 0; i < 16; i++)
			u[i] = (uint8_t)(t >> (8 * (i % 8))) ^ (uint8_t)(i * 37);
	}
	u[6] = (u[6] & 0x0f) | 0x40; /* version 4 */
	u[8] = (u[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
		 u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
		 u[14], u[15]);
}

int gmt_otlp_export_recording(const struct gmt_otlp_opts *o, const struct gmt_otlp_target *t,
			      const struct gmt_otlp_recording *rec,
			      const struct gmt_memory_report *mem, uint64_t time_ns,
			      struct gmt_otlp_result *r, struct gmt_diag *d)
{
	struct gmt_otlp_attr res[GMT_OTLP_RESOURCE_MAX];
	struct gmt_otlp_metric m[GMT_OTLP_RECORD_MAX];
	struct gmt_otlp_batch batch = { .resource = res, .scope_name = "gomemtrace",
					.scope_version = GMT_VERSION, .time_unix_ns = time_ns,
					.m = m };
	struct gmt_pb *b = gmt_pb__new();
	char buf[64];
	int err;

	if (r)
		*r = (struct gmt_otlp_result){};
	if (!b)
		return gmt_diag_set(d, -ENOMEM, "out of memory");
	batch.nresource = gmt_otlp_resource(t, res, buf, sizeof(buf));
	batch.n = gmt_otlp_record_metrics(rec, mem, m);
	err = gmt_otlp_metrics_encode(&batch, b);
	if (err)
		err = gmt_diag_set(d, err, "encoding the OTLP metrics: %s", strerror(-err));
	else
		err = gmt_otlp_post(o, "/v1/metrics", b, r, d);
	gmt_pb__free(b);
	return err;
}

int gmt_otlp_encode_profiles(const struct gmt_otlp_target *t, const struct gmt_otlp_profiles *p,
			     struct gmt_pb *b)
{
	struct gmt_otlp_attr res[GMT_OTLP_RESOURCE_MAX];
	struct gmt_otlp_profiles q = *p;
	char buf[64];

	q.resource = res;
	q.nresource = gmt_otlp_resource(t, res, buf, sizeof(buf));
	q.scope_name = "gomemtrace";
	q.scope_version = GMT_VERSION;
	return gmt_otlp_profiles_encode(&q, b);
}

int gmt_otlp_export_profiles(const struct gmt_otlp_opts *o, const struct gmt_otlp_target *t,
			     const struct gmt_otlp_profiles *p, struct gmt_otlp_result *r,
			     struct gmt_diag *d)
{
	struct gmt_pb *b = gmt_pb__new();
	int err;

	if (r)
		*r = (struct gmt_otlp_result){};
	if (!b)
		return gmt_diag_set(d, -ENOMEM, "out of memory");
	err = gmt_otlp_encode_profiles(t, p, b);
	if (err)
		err = gmt_diag_set(d, err, "encoding the OTLP profiles: %s", strerror(-err));
	else
		err = gmt_otlp_post(o, GMT_OTLP_PROFILES_PATH, b, r, d);
	gmt_pb__free(b);
	return err;
}

struct gmt_otlp_build_ids gmt_otlp_build_ids_of(const struct gmt_build_ids *ids)
{
	return (struct gmt_otlp_build_ids){ .gnu = ids->gnu, .go = ids->go,
					    .htlhash = ids->htlhash };
}
