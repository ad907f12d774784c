// SPDX-License-Identifier: MIT
#include "otlp_opts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "options.h"

int gmt_otlp_parse_opt(int c, const char *arg, struct gmt_otlp_opts *o,
		       const char **service_name, bool *no_local)
{
	struct gmt_diag d = {};
	uint64_t v;

	switch (c) {
	case GMT_OPT_OTLP_ENDPOINT:
		if (gmt_otlp_check_url(arg, &d)) {
			pr_err("%s\n", d.msg);
			return 2;
		}
		o->url = arg;
		return 0;
	case GMT_OPT_OTLP_HEADER:
		if (gmt_otlp_check_header(arg, &d)) {
			pr_err("%s\n", d.msg);
			return 2;
		}
		if (o->nheaders == GMT_OTLP_MAX_HEADERS) {
			pr_err("--otlp-header: at most %d\n", GMT_OTLP_MAX_HEADERS);
			return 2;
		}
		o->headers[o->nheaders++] = arg;
		return 0;
	case GMT_OPT_OTLP_TIMEOUT:
		if (gmt_parse_duration(arg, GMT_NS_PER_S / 1000, 3600 * GMT_NS_PER_S, &v)) {
			pr_err("invalid --otlp-timeout '%s' (1ms to 1h, e.g. 10s)\n", arg);
			return 2;
		}
		o->timeout_s = v / 1e9;
		return 0;
	case GMT_OPT_OTLP_CA:
		/* Checked now: a typo would otherwise show only when the first export goes. */
		if (access(arg, R_OK)) {
			pr_err("--otlp-ca %s: %s\n", arg, strerror(errno));
			return 2;
		}
		o->ca_file = arg;
		return 0;
	case GMT_OPT_SERVICE_NAME:
		if (!*arg) {
			pr_err("--service-name needs a name\n");
			return 2;
		}
		*service_name = arg;
		return 0;
	case GMT_OPT_NO_LOCAL:
		*no_local = true;
		return 0;
	default:
		return 1;
	}
}

int gmt_otlp_check_opts(struct gmt_otlp_opts *o, const char *service_name, bool no_local)
{
	const char *env = getenv("OTEL_EXPORTER_OTLP_HEADERS");
	struct gmt_diag d = {};

	if (!o->url && (o->nheaders || service_name || o->ca_file || no_local)) {
		pr_err("--otlp-header, --otlp-ca, --service-name and --no-local go with "
		       "--otlp-endpoint\n");
		return 2;
	}
	if (o->url && env && gmt_otlp_headers_from_env(env, o, &d)) {
		pr_err("%s\n", d.msg);
		return 2;
	}
	return 0;
}
