// SPDX-License-Identifier: MIT
/*
 * The OTLP/HTTP sender (trace/otlp_http.c) against a scripted HTTP server on 127.0.0.1
 * in a thread of the test: what is sent (path, headers, gzipped body), which answers are
 * retried and after how long (backoff, Retry-After), which are not, and the URL and
 * header checks.  The real Collector is tests/e2e/test_otlp.c's.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "otlp_http.h"
#include "pbread.h"

#define MAX_REQ 8

struct answer {
	int status;		/* 0: close without answering */
	const char *extra;	/* more header lines, "" or e.g. "Retry-After: 1\r\n" */
	const uint8_t *body;
	size_t body_len;
};

struct request {
	double t; /* CLOCK_MONOTONIC seconds */
	char head[4096];
	uint8_t body[4096];
	size_t body_len;
};

struct server {
	int fd, port;
	pthread_t th;
	struct answer ans[MAX_REQ];
	int nans;
	struct request req[MAX_REQ];
	int nreq;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *serve(void *arg)
{
	struct server *s = arg;

	for (int i = 0; i < s->nans; i++) {
		struct request *q = &s->req[i];
		const struct answer *a = &s->ans[i];
		size_t have = 0, clen = 0;
		char *end = NULL, *cl;
		char out[1024];
		int c = accept(s->fd, NULL, NULL);

		if (c < 0)
			return NULL;
		/* The head, then Content-Length bytes of body. */
		while (!end && have < sizeof(q->head) - 1) {
			ssize_t n = read(c, q->head + have, sizeof(q->head) - 1 - have);

			if (n <= 0)
				break;
			have += n;
			q->head[have] = 0;
			end = strstr(q->head, "\r\n\r\n");
		}
		q->t = now_s();
		if (end) {
			size_t in_body = have - (end + 4 - q->head);

			cl = strcasestr(q->head, "\r\nContent-Length:");
			if (cl)
				clen = strtoul(cl + 17, NULL, 10);
			if (clen > sizeof(q->body))
				clen = sizeof(q->body);
			memcpy(q->body, end + 4, in_body < clen ? in_body : clen);
			q->body_len = in_body < clen ? in_body : clen;
			while (q->body_len < clen) {
				ssize_t n = read(c, q->body + q->body_len, clen - q->body_len);

				if (n <= 0)
					break;
				q->body_len += n;
			}
			end[2] = 0;
		}
		s->nreq = i + 1;
		if (a->status) {
			int n = snprintf(out, sizeof(out),
					 "HTTP/1.1 %d X\r\nContent-Type: application/x-protobuf\r\n"
					 "Content-Length: %zu\r\nConnection: close\r\n%s\r\n",
					 a->status, a->body_len, a->extra ? a->extra : "");

			/* A failed write: the client gave up, and its result says so. */
			if (write(c, out, n) == n && a->body_len)
				(void)!write(c, a->body, a->body_len);
		}
		close(c);
	}
	return NULL;
}

static void server_start(struct server *s)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);

	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(s->fd >= 0);
	cr_assert_eq(bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(s->fd, 8), 0);
	cr_assert_eq(getsockname(s->fd, (struct sockaddr *)&sa, &len), 0);
	s->port = ntohs(sa.sin_port);
	cr_assert_eq(pthread_create(&s->th, NULL, serve, s), 0);
}

static void server_join(struct server *s)
{
	shutdown(s->fd, SHUT_RDWR); /* an accept() still waiting returns */
	pthread_join(s->th, NULL);
	close(s->fd);
}

static struct gmt_pb *message(void)
{
	struct gmt_pb *b = gmt_pb__new();

	gmt_pb__str(b, 1, "hello");
	gmt_pb__u64(b, 2, 150);
	return b;
}

static void opts(struct gmt_otlp_opts *o, char *url, size_t len, int port)
{
	snprintf(url, len, "http://127.0.0.1:%d/", port);
	*o = (struct gmt_otlp_opts){ .url = url, .timeout_s = 5, .max_tries = 3, .backoff_s = 0.2,
				     .max_wait_s = 5 };
}

/* One send to the scripted server: its answers set, then ex_post(). */
struct exchange {
	struct server s;
	struct gmt_otlp_opts o;
	struct gmt_otlp_result r;
	struct gmt_diag d;
	struct gmt_pb *b;
	char url[64];
};

static struct exchange *ex_new(void)
{
	struct exchange *x = calloc(1, sizeof(*x));

	cr_assert(x);
	x->b = message();
	return x;
}

/* Starts the server with the answers set, posts with x->o as edit() leaves it. */
static int ex_post(struct exchange *x, void (*edit)(struct gmt_otlp_opts *o))
{
	int err;

	server_start(&x->s);
	opts(&x->o, x->url, sizeof(x->url), x->s.port);
	if (edit)
		edit(&x->o);
	err = gmt_otlp_post(&x->o, "/v1/metrics", x->b, &x->r, &x->d);
	server_join(&x->s);
	return err;
}

static void ex_free(struct exchange *x)
{
	gmt_pb__free(x->b);
	free(x);
}

static void two_headers(struct gmt_otlp_opts *o)
{
	o->headers[0] = "Authorization=Bearer s3cret";
	o->headers[1] = "X-Scope-OrgID=tenant-1";
	o->nheaders = 2;
}

Test(otlp_http, what_is_sent)
{
	struct exchange *x = ex_new();
	const struct request *q = &x->s.req[0];
	const uint8_t *raw;
	uint8_t *plain;
	size_t len, rlen;

	x->s.ans[0] = (struct answer){ .status = 200, .body = (const uint8_t *)"\x0a\x00",
				       .body_len = 2 };
	x->s.nans = 1;
	cr_assert_eq(ex_post(x, two_headers), 0, "sent: %s", x->d.msg);
	cr_assert_eq(x->r.status, 200);
	cr_assert_eq(x->r.tries, 1);
	cr_assert_eq(x->s.nreq, 1);
	cr_assert(!strncmp(q->head, "POST /v1/metrics HTTP/1.1\r\n", 27),
		  "POST to the prefix's /v1/metrics, the trailing '/' dropped: %.40s", q->head);
	cr_assert(strcasestr(q->head, "\r\nContent-Type: application/x-protobuf\r\n"));
	cr_assert(strcasestr(q->head, "\r\nContent-Encoding: gzip\r\n"));
	cr_assert(strstr(q->head, "\r\nAuthorization: Bearer s3cret\r\n"), "the header as given");
	cr_assert(strstr(q->head, "\r\nX-Scope-OrgID: tenant-1\r\n"));
	plain = tu_gunzip(q->body, q->body_len, &len);
	raw = gmt_pb__data(x->b, &rlen);
	cr_assert(len == rlen && !memcmp(plain, raw, len), "the body inflates to the message");
	free(plain);
	ex_free(x);
}

Test(otlp_http, retry_after_is_honoured_then_sent_once)
{
	struct exchange *x = ex_new();
	const struct request *q = x->s.req;

	x->s.ans[0] = (struct answer){ .status = 503, .extra = "Retry-After: 1\r\n" };
	x->s.ans[1] = (struct answer){ .status = 429, .extra = "Retry-After: 2\r\n" };
	x->s.ans[2] = (struct answer){ .status = 200 };
	x->s.nans = 3;
	cr_assert_eq(ex_post(x, NULL), 0, "sent: %s", x->d.msg);
	cr_assert_eq(x->r.tries, 3);
	cr_assert_eq(x->s.nreq, 3);
	cr_assert(q[1].t - q[0].t >= 1.0, "Retry-After 1 honoured (%.3f s)", q[1].t - q[0].t);
	cr_assert(q[2].t - q[1].t >= 2.0, "Retry-After 2 honoured (%.3f s)", q[2].t - q[1].t);
	cr_assert(x->r.waited_s >= 3.0 && x->r.waited_s < 3.5, "waited 3 s (%.3f)", x->r.waited_s);
	for (int i = 1; i < 3; i++)
		cr_assert_eq(q[i].body_len, q[0].body_len, "the same body again");
	ex_free(x);
}

Test(otlp_http, backoff_doubles_and_gives_up_after_max_tries)
{
	static const uint8_t status[] = { 0x08, 0x0e, 0x12, 0x04, 'b', 'u', 's', 'y' };
	struct exchange *x = ex_new();
	const struct request *q = x->s.req;

	for (int i = 0; i < 3; i++)
		x->s.ans[i] = (struct answer){ .status = 503, .body = status,
					       .body_len = sizeof(status) };
	x->s.nans = 3;
	cr_assert_eq(ex_post(x, NULL), -EIO);
	cr_assert_eq(x->r.tries, 3, "3 tries");
	cr_assert_eq(x->r.status, 503);
	cr_assert(q[1].t - q[0].t >= 0.2, "first wait: backoff_s");
	cr_assert(q[2].t - q[1].t >= 0.4, "then doubled");
	cr_assert(strstr(x->d.msg, "HTTP 503: busy"), "status and the Collector's message: %s",
		  x->d.msg);
	cr_assert_float_eq(gmt_otlp_backoff(&x->o, 1), 0.2, 1e-9);
	cr_assert_float_eq(gmt_otlp_backoff(&x->o, 3), 0.8, 1e-9);
	cr_assert_float_eq(gmt_otlp_backoff(&x->o, 40), 5.0, 1e-9, "bounded by max_wait_s");
	ex_free(x);
}

static void wrong_token(struct gmt_otlp_opts *o)
{
	o->headers[0] = "Authorization=Bearer wrong-secret";
	o->nheaders = 1;
}

Test(otlp_http, a_refused_token_is_not_retried_and_not_logged)
{
	static const uint8_t status[] = { 0x08, 0x10, 0x12, 0x07, 'n', 'o', ' ', 't', 'o', 'k', 'n' };
	struct exchange *x = ex_new();

	x->s.ans[0] = (struct answer){ .status = 401, .body = status, .body_len = sizeof(status) };
	x->s.nans = 1;
	cr_assert_eq(ex_post(x, wrong_token), -EIO);
	cr_assert_eq(x->r.tries, 1, "401 is not retried");
	cr_assert(strstr(x->d.msg, "HTTP 401: no tokn"), "%s", x->d.msg);
	cr_assert_null(strstr(x->d.msg, "wrong-secret"), "the token is not in the message");
	ex_free(x);
}

Test(otlp_http, nobody_listening)
{
	struct server s = {};
	struct gmt_otlp_opts o;
	struct gmt_otlp_result r;
	struct gmt_diag d = {};
	struct gmt_pb *b = message();
	char url[64];

	/* A port that was just free: bind, read it, close. */
	server_start(&s);
	server_join(&s);
	opts(&o, url, sizeof(url), s.port);
	o.max_tries = 2;
	cr_assert_eq(gmt_otlp_post(&o, "/v1/metrics", b, &r, &d), -ECONNREFUSED, "%s", d.msg);
	cr_assert_eq(r.tries, 2, "retried");
	cr_assert_eq(r.status, 0, "no answer");
	gmt_pb__free(b);
}

Test(otlp_http, a_silent_server_times_out)
{
	struct gmt_otlp_opts o;
	struct gmt_otlp_result r;
	struct gmt_diag d = {};
	struct gmt_pb *b = message();
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char url[64];
	double t0;

	/* Listening, never accepting: the connection is made, no answer comes. */
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(fd, 8), 0);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	opts(&o, url, sizeof(url), ntohs(sa.sin_port));
	o.timeout_s = 0.5;
	o.max_tries = 1;
	t0 = now_s();
	cr_assert_eq(gmt_otlp_post(&o, "/v1/metrics", b, &r, &d), -ETIMEDOUT, "%s", d.msg);
	cr_assert(now_s() - t0 >= 0.5 && now_s() - t0 < 5, "within the timeout");
	close(fd);
	gmt_pb__free(b);
}

Test(otlp_http, url_and_header_checks)
{
	static const char *const good[] = { "http://127.0.0.1:4318", "https://collector.example",
					    "http://[::1]:4318/otlp/", "http://c:4318/prefix" };
	static const char *const bad[] = { "", "127.0.0.1:4318", "ftp://x", "http://",
					   "http://h:4318/?a=b", "http://h:99999" };
	struct gmt_diag d = {};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_assert_eq(gmt_otlp_check_url(good[i], &d), 0, "%s: %s", good[i], d.msg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d.msg[0] = 0;
		cr_assert_eq(gmt_otlp_check_url(bad[i], &d), -EINVAL, "'%s' refused", bad[i]);
		cr_assert(d.msg[0] && !strchr(d.msg, '\n'), "one line: %s", d.msg);
	}
	cr_assert_eq(gmt_otlp_check_header("Authorization=Bearer x=y", &d), 0);
	cr_assert_eq(gmt_otlp_check_header("=v", &d), -EINVAL);
	cr_assert_eq(gmt_otlp_check_header("novalue", &d), -EINVAL);
	cr_assert_eq(gmt_otlp_check_header("Bad Name=v", &d), -EINVAL);
	cr_assert_eq(gmt_otlp_check_header("K=secret\r\nX: y", &d), -EINVAL);
	cr_assert_null(strstr(d.msg, "secret"), "the value is not in the message: %s", d.msg);
}

/* OTEL_EXPORTER_OTLP_HEADERS: entries, percent-decoding, the command line winning. */
Test(otlp_http, headers_from_env)
{
	struct gmt_otlp_opts o = { .headers = { "x-scope-orgid=cli" }, .nheaders = 1 };
	struct gmt_diag d = {};

	cr_assert_eq(gmt_otlp_headers_from_env(" Authorization=Bearer%20s3cret , X-Scope-OrgID=env,"
					       ",api-key=a%3Db%2Cc", &o, &d), 0, "%s",
		     gmt_diag_msg(&d, 0));
	cr_assert_eq(o.nheaders, 3, "X-Scope-OrgID given on the command line stays its");
	cr_expect_str_eq(o.headers[0], "x-scope-orgid=cli");
	cr_expect_str_eq(o.headers[1], "Authorization=Bearer s3cret");
	cr_expect_str_eq(o.headers[2], "api-key=a=b,c");
	cr_expect_eq(gmt_otlp_headers_from_env("", &o, &d), 0);
	cr_expect_eq(o.nheaders, 3);
	/* refused, naming the entry and never the value */
	cr_expect_eq(gmt_otlp_headers_from_env("a=1,novalue", &o, &d), -EINVAL);
	cr_expect(strstr(gmt_diag_msg(&d, -EINVAL), "entry 2"), "%s", gmt_diag_msg(&d, -EINVAL));
	cr_expect_eq(gmt_otlp_headers_from_env("k=line%0Abreak", &o, &d), -EINVAL);
	cr_expect_null(strstr(gmt_diag_msg(&d, -EINVAL), "break"));
	cr_expect_eq(gmt_otlp_headers_from_env("k=cut%00here", &o, &d), -EINVAL);
	cr_expect_eq(gmt_otlp_headers_from_env("bad key=1", &o, &d), -EINVAL);
}
