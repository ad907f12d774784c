/* SPDX-License-Identifier: MIT */
/*
 * The OTLP export options record and daemon share (--otlp-endpoint, --otlp-header,
 * --otlp-timeout, --otlp-ca, --service-name, --no-local, OTEL_EXPORTER_OTLP_HEADERS),
 * parsed in one
 * place: their getopt_long codes, the struct option rows, the parser of one of them and
 * the checks once all are read.
 */
#ifndef GMT_OTLP_OPTS_H
#define GMT_OTLP_OPTS_H

#include <getopt.h>
#include <stdbool.h>

#include "otlp_http.h"

enum gmt_otlp_opt {
	GMT_OPT_OTLP_ENDPOINT = 640,
	GMT_OPT_OTLP_HEADER,
	GMT_OPT_OTLP_TIMEOUT,
	GMT_OPT_OTLP_CA,
	GMT_OPT_SERVICE_NAME,
	GMT_OPT_NO_LOCAL,
};

#define GMT_OTLP_LONG_OPTS                                                       \
	{ "otlp-endpoint", required_argument, NULL, GMT_OPT_OTLP_ENDPOINT },     \
	{ "otlp-header", required_argument, NULL, GMT_OPT_OTLP_HEADER },         \
	{ "otlp-timeout", required_argument, NULL, GMT_OPT_OTLP_TIMEOUT },       \
	{ "otlp-ca", required_argument, NULL, GMT_OPT_OTLP_CA },                 \
	{ "service-name", required_argument, NULL, GMT_OPT_SERVICE_NAME },       \
	{ "no-local", no_argument, NULL, GMT_OPT_NO_LOCAL }

/*
 * Applies option c (with arg) to o, *service_name and *no_local (--no-local: no file of
 * the outputs, only the export): 0 when done, 2 after printing why arg is invalid, 1
 * when c is none of these.
 */
int gmt_otlp_parse_opt(int c, const char *arg, struct gmt_otlp_opts *o,
		       const char **service_name, bool *no_local);

/*
 * Once every option is read: the others need --otlp-endpoint, and the headers of
 * OTEL_EXPORTER_OTLP_HEADERS are added.  0, or 2 after printing why.
 */
int gmt_otlp_check_opts(struct gmt_otlp_opts *o, const char *service_name, bool no_local);

#endif
