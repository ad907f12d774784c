// SPDX-License-Identifier: MIT
/* The OTLP export of a recording: see otlp_export.h. */
#include "otlp_export.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "analysis.h"
#include "buildid.h"
#include "gobin.h"
#include "memusage.h"
#include "profile_set.h"
#include "target.h"

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

int gmt_otlp_encode_recording(const struct gmt_otlp_target *t,
			      const struct gmt_otlp_recording *rec,
			      const struct gmt_memory_report *mem, uint64_t time_ns, struct gmt_pb *b)
{
	struct gmt_otlp_attr res[GMT_OTLP_RESOURCE_MAX];
	struct gmt_otlp_metric m[GMT_OTLP_RECORD_MAX];
	struct gmt_otlp_batch batch = { .resource = res, .scope_name = "gomemtrace",
					.scope_version = GMT_VERSION, .time_unix_ns = time_ns,
					.m = m };
	char buf[64];

	batch.nresource = gmt_otlp_resource(t, res, buf, sizeof(buf));
	batch.n = gmt_otlp_record_metrics(rec, mem, m);
	return gmt_otlp_metrics_encode(&batch, b);
}

int gmt_otlp_export_recording(const struct gmt_otlp_opts *o, const struct gmt_otlp_target *t,
			      const struct gmt_otlp_recording *rec,
			      const struct gmt_memory_report *mem, uint64_t time_ns,
			      struct gmt_otlp_result *r, struct gmt_diag *d)
{
	struct gmt_pb *b = gmt_pb__new();
	int err;

	if (r)
		*r = (struct gmt_otlp_result){};
	if (!b)
		return gmt_diag_set(d, -ENOMEM, "out of memory");
	err = gmt_otlp_encode_recording(t, rec, mem, time_ns, b);
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

void gmt_otlp_source_init(struct gmt_otlp_source *x, const char *service_name,
			  const struct gmt_target *t, const struct gmt_analysis *an)
{
	memset(x, 0, sizeof(*x));
	x->ot = (struct gmt_otlp_target){ .service_name = service_name, .pid = (int)t->pid,
					  .exe_path = t->path, .go_version = an->rel.name };
	gmt_otlp_instance_id(x->id);
	x->ot.instance_id = x->id;
	if (!gethostname(x->host, sizeof(x->host) - 1))
		x->ot.host_name = x->host;
	if (!gmt_memusage_container_id("/proc", t->pid, x->container))
		x->ot.container_id = x->container;
	/* Without them the Mapping has no build ID: the profiles go all the same. */
	if (gmt_build_ids(an->gb->elf, &x->ids))
		memset(&x->ids, 0, sizeof(x->ids));
}

void gmt_otlp_source_encode_set(const struct gmt_profile_set *ps, void *ctx)
{
	struct gmt_otlp_source *x = ctx;
	struct gmt_otlp_profiles p;

	gmt_otlp_profiles_of_set(ps, &p);
	p.ids = gmt_otlp_build_ids_of(&x->ids);
	gmt_pb__free(x->profiles);
	x->profiles = gmt_pb__new();
	x->profiles_err = x->profiles ? gmt_otlp_encode_profiles(&x->ot, &p, x->profiles)
				      : -ENOMEM;
}

void gmt_otlp_source_free(struct gmt_otlp_source *x)
{
	if (x)
		gmt_pb__free(x->profiles);
	free(x);
}
