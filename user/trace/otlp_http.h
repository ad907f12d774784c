/* SPDX-License-Identifier: MIT */
/*
 * OTLP over HTTP: one protobuf message POSTed, gzipped, to an OpenTelemetry Collector's
 * receiver (URL + "/v1/metrics"), through libcurl.  A send retries, with exponential
 * backoff, what may pass later (no connection, a timeout, 429, 502, 503, 504), waiting
 * as long as the Collector's Retry-After says when it says it, and gives up at once on
 * what will not (another 4xx: a wrong token, a body it refuses).  The headers given
 * (--otlp-header, e.g. an Authorization token) are sent and never logged: messages
 * name the URL and the answer only.
 */
#ifndef GMT_OTLP_HTTP_H
#define GMT_OTLP_HTTP_H

#include <signal.h>
#include <stddef.h>

#include "diag.h"
#include "pprof.h"

#define GMT_OTLP_MAX_HEADERS 16

struct gmt_otlp_opts {
	const char *url;		/* checked by gmt_otlp_check_url() */
	const char *headers[GMT_OTLP_MAX_HEADERS]; /* "KEY=VALUE", checked */
	size_t nheaders;
	const char *ca_file;		/* PEM CAs for https (--otlp-ca); NULL: the system's */
	double timeout_s;		/* per try, connection included */
	int max_tries;			/* >= 1 */
	double backoff_s;		/* wait before the 2nd try; doubles after each */
	double max_wait_s;		/* bound of one wait, Retry-After included */
	volatile sig_atomic_t *stop;	/* non-zero: no more tries (a signal); may be NULL */
};

/* What a send ended with. */
struct gmt_otlp_result {
	long status; /* the last HTTP status, 0 when no answer came */
	int tries;
	double waited_s; /* between tries */
	double retry_after_s; /* the last answer's Retry-After (seconds), 0: none */
};

/*
 * "http://host[:port][/prefix]" or https: 0, or -EINVAL with one line in d (a
 * malformed URL, another scheme, no host, a query or fragment).
 */
int gmt_otlp_check_url(const char *url, struct gmt_diag *d);
/* "KEY=VALUE" with KEY an HTTP header name and no line break: 0, or -EINVAL with d. */
int gmt_otlp_check_header(const char *kv, struct gmt_diag *d);
/*
 * The headers of OTEL_EXPORTER_OTLP_HEADERS, as the OpenTelemetry SDKs read that
 * variable: "key1=value1,key2=value2", values percent-encoded, spaces around entries
 * ignored.  Appended to o->headers (copies that live as long as the process), but a key
 * o already has (--otlp-header) is left to it.  A secret kept there stays out of the
 * command line, which every user of the host can read in /proc/PID/cmdline.  0, or
 * -EINVAL / -E2BIG / -ENOMEM with one line in d (naming keys, never values).
 */
int gmt_otlp_headers_from_env(const char *spec, struct gmt_otlp_opts *o, struct gmt_diag *d);

/*
 * POSTs msg, gzipped, to o->url + path ("/v1/metrics").  0 on a 2xx; else -EIO (an
 * error answer: d says the status and the Collector's message), -ETIMEDOUT,
 * -ECONNREFUSED or -EHOSTUNREACH (no answer: d says curl's reason), -ECANCELED (o->stop),
 * -ENOMEM; r (may be NULL) gets the status, tries and waits.
 */
int gmt_otlp_post(const struct gmt_otlp_opts *o, const char *path, const struct gmt_pb *msg,
		  struct gmt_otlp_result *r, struct gmt_diag *d);

/*
 * The message of the google.rpc.Status (field 2) a Collector answers an error with, from
 * the answer's first len bytes (protobuf, as we send; untrusted), made printable ('?' for
 * other bytes) and cut to outlen - 1: "" when there is none.
 */
void gmt_otlp_status_message(const void *buf, size_t len, char *out, size_t outlen);

/* The wait before try n + 1 (n >= 1): backoff_s * 2^(n-1), bounded by max_wait_s. */
double gmt_otlp_backoff(const struct gmt_otlp_opts *o, int n);

#endif
