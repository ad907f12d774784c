// SPDX-License-Identifier: MIT
/* OTLP/HTTP sends through libcurl: see otlp_http.h. */
#include "otlp_http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"

int gmt_otlp_check_url(const char *url, struct gmt_diag *d)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *query = NULL, *frag = NULL;
	int err = 0;

	if (!u)
		return gmt_diag_set(d, -ENOMEM, "out of memory");
	/* No guessing of a scheme: "collector:4318" is refused, not read as http. */
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		err = gmt_diag_set(d, -EINVAL, "malformed OTLP endpoint URL '%s' (expected "
				   "http://HOST:PORT or https://HOST:PORT)", url);
		goto out;
	}
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	curl_url_get(u, CURLUPART_HOST, &host, 0);
	curl_url_get(u, CURLUPART_QUERY, &query, 0);
	curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0);
	if (!scheme || (strcmp(scheme, "http") && strcmp(scheme, "https")))
		err = gmt_diag_set(d, -EINVAL, "OTLP endpoint URL '%s': the scheme must be "
				   "http or https", url);
	else if (!host || !*host)
		err = gmt_diag_set(d, -EINVAL, "OTLP endpoint URL '%s' has no host", url);
	else if (query || frag)
		err = gmt_diag_set(d, -EINVAL, "OTLP endpoint URL '%s': no query or fragment "
				   "(the signal's path, /v1/metrics, is appended)", url);
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(query);
	curl_free(frag);
	curl_url_cleanup(u);
	return err;
}

/* RFC 9110 token characters, a header name's. */
static bool tchar(int c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

int gmt_otlp_check_header(const char *kv, struct gmt_diag *d)
{
	const char *eq = strchr(kv, '=');

	/* The value is a secret: messages name the key only. */
	if (!eq || eq == kv)
		return gmt_diag_set(d, -EINVAL, "--otlp-header takes KEY=VALUE");
	for (const char *p = kv; p < eq; p++)
		if (!tchar((unsigned char)*p))
			return gmt_diag_set(d, -EINVAL, "--otlp-header: '%.*s' is not a header "
					    "name", (int)(eq - kv), kv);
	if (strpbrk(eq + 1, "\r\n"))
		return gmt_diag_set(d, -EINVAL, "--otlp-header %.*s: the value has a line break",
				    (int)(eq - kv), kv);
	return 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
						      : -1;
}

/* Whether o already has a header named like kv's key (case-insensitive, as HTTP). */
static bool has_header(const struct gmt_otlp_opts *o, const char *kv, size_t klen)
{
	for (size_t i = 0; i < o->nheaders; i++)
		if (!strncasecmp(o->headers[i], kv, klen) && o->headers[i][klen] == '=')
			return true;
	return false;
}

int gmt_otlp_headers_from_env(const char *spec, struct gmt_otlp_opts *o, struct gmt_diag *d)
{
	const char *p = spec;

	for (int n = 1; *p; n++) {
		size_t len = strcspn(p, ","), klen;
		const char *e = p + len;
		char *kv, *w;
		int err;

		while (p < e && *p == ' ')
			p++;
		while (e > p && e[-1] == ' ')
			e--;
		if (e == p)
			goto next; /* an empty entry ("a=1,,b=2", a trailing comma) */
		kv = malloc((size_t)(e - p) + 1);
		if (!kv)
			return gmt_diag_set(d, -ENOMEM, "out of memory");
		for (w = kv; p < e; p++) {
			if (*p == '%' && e - p >= 3 && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
				*w++ = (char)(hexval(p[1]) * 16 + hexval(p[2]));
				p += 2;
			} else {
				*w++ = *p;
			}
		}
		*w = '\0';
		klen = strchr(kv, '=') ? (size_t)(strchr(kv, '=') - kv) : 0;
		/* a decoded NUL would cut the value short: refused like a line break */
		err = w - kv != (ptrdiff_t)strlen(kv) ? -EINVAL : gmt_otlp_check_header(kv, d);
		if (err) {
			free(kv);
			return gmt_diag_set(d, -EINVAL, "OTEL_EXPORTER_OTLP_HEADERS: entry %d is not "
					    "KEY=VALUE with a header name and a value on one line", n);
		}
		if (has_header(o, kv, klen)) {
			free(kv);
			goto next;
		}
		if (o->nheaders == GMT_OTLP_MAX_HEADERS) {
			free(kv);
			return gmt_diag_set(d, -E2BIG, "OTLP headers: at most %d", GMT_OTLP_MAX_HEADERS);
		}
		o->headers[o->nheaders++] = kv;
next:
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	return 0;
}

double gmt_otlp_backoff(const struct gmt_otlp_opts *o, int n)
{
	double w = o->backoff_s * ldexp(1.0, n > 1 ? (n - 1 > 30 ? 30 : n - 1) : 0);

	return w < o->max_wait_s ? w : o->max_wait_s;
}

struct body {
	char buf[512]; /* the start of the answer: enough for a google.rpc.Status */
	size_t len;
};

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct body *b = ctx;
	size_t take = size * n;

	if (take > sizeof(b->buf) - b->len)
		take = sizeof(b->buf) - b->len;
	memcpy(b->buf + b->len, p, take);
	b->len += take;
	return size * n;
}

static uint64_t get_varint(const uint8_t **p, const uint8_t *end, bool *ok)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64 && *p < end; shift += 7) {
		uint8_t c = *(*p)++;

		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return v;
	}
	*ok = false;
	return 0;
}

void gmt_otlp_status_message(const void *buf, size_t len, char *out, size_t outlen)
{
	const uint8_t *p = buf, *end = p + len;
	bool ok = true;

	if (!outlen)
		return;
	out[0] = 0;
	while (p < end && ok) {
		uint64_t key = get_varint(&p, end, &ok), v;

		if (!ok)
			break;
		if ((key & 7) == 0) {
			get_varint(&p, end, &ok);
		} else if ((key & 7) == 2) {
			v = get_varint(&p, end, &ok);
			if (!ok || v > (uint64_t)(end - p))
				break;
			if (key >> 3 == 2) {
				size_t n = v < outlen - 1 ? v : outlen - 1;

				for (size_t i = 0; i < n; i++)
					out[i] = isprint(p[i]) ? (char)p[i] : '?';
				out[n] = 0;
				return;
			}
			p += v;
		} else {
			break;
		}
	}
}

static bool retryable_status(long s)
{
	return s == 429 || s == 502 || s == 503 || s == 504;
}

static bool retryable_curl(CURLcode c)
{
	return c == CURLE_COULDNT_CONNECT || c == CURLE_OPERATION_TIMEDOUT ||
	       c == CURLE_COULDNT_RESOLVE_HOST || c == CURLE_GOT_NOTHING ||
	       c == CURLE_SEND_ERROR || c == CURLE_RECV_ERROR || c == CURLE_PARTIAL_FILE;
}

static int curl_errno(CURLcode c)
{
	switch (c) {
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EHOSTUNREACH;
	}
}

/* Sleeps s seconds unless o->stop is raised: false when it was. */
static bool wait_s(const struct gmt_otlp_opts *o, double s)
{
	struct timespec end, now;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += (time_t)s;
	end.tv_nsec += (long)((s - floor(s)) * 1e9);
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	for (;;) {
		if (o->stop && *o->stop)
			return false;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
			return true;
		/* Short steps: a signal that does not interrupt the sleep is still seen. */
		nanosleep(&(struct timespec){ .tv_nsec = 50000000L }, NULL);
	}
}

static struct curl_slist *make_headers(const struct gmt_otlp_opts *o)
{
	struct curl_slist *h = NULL, *t;
	char line[8192];

	static const char *const fixed[] = { "Content-Type: application/x-protobuf",
					     "Content-Encoding: gzip", "Expect:" };
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		t = curl_slist_append(h, fixed[i]);
		if (!t)
			goto fail;
		h = t;
	}
	for (size_t i = 0; i < o->nheaders; i++) {
		const char *eq = strchr(o->headers[i], '=');

		if (!eq || (size_t)snprintf(line, sizeof(line), "%.*s: %s",
					    (int)(eq - o->headers[i]), o->headers[i],
					    eq + 1) >= sizeof(line))
			goto fail;
		t = curl_slist_append(h, line);
		explicit_bzero(line, sizeof(line));
		if (!t)
			goto fail;
		h = t;
	}
	return h;
fail:
	curl_slist_free_all(h);
	return NULL;
}

int gmt_otlp_post(const struct gmt_otlp_opts *o, const char *path, const struct gmt_pb *msg,
		  struct gmt_otlp_result *r, struct gmt_diag *d)
{
	static bool curl_ready;
	struct gmt_otlp_result res = {};
	struct curl_slist *hdr = NULL;
	char url[4096], errbuf[CURL_ERROR_SIZE], smsg[200];
	uint8_t *gz = NULL;
	size_t gzlen, ulen;
	CURL *c = NULL;
	int err;

	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT))
			return gmt_diag_set(d, -ENOMEM, "libcurl could not start");
		curl_ready = true;
	}
	ulen = strlen(o->url);
	while (ulen && o->url[ulen - 1] == '/')
		ulen--;
	if ((size_t)snprintf(url, sizeof(url), "%.*s%s", (int)ulen, o->url, path) >= sizeof(url))
		return gmt_diag_set(d, -EINVAL, "OTLP endpoint URL too long");
	err = gmt_pb__gzip(msg, &gz, &gzlen);
	if (err)
		return gmt_diag_set(d, err, "compressing the OTLP request: %s", strerror(-err));
	c = curl_easy_init();
	hdr = make_headers(o);
	if (!c || !hdr) {
		err = gmt_diag_set(d, -ENOMEM, "out of memory");
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, gz);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)gzlen);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(o->timeout_s * 1000));
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "gomemtrace");
	/* http and https only, also after a redirect (which is not followed anyway). */
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	/* Certificates are always verified: --otlp-ca only says which CAs vouch for them. */
	if (o->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
	for (;;) {
		struct body body = {};
		curl_off_t retry_after = -1;
		CURLcode cc;
		double wait;

		errbuf[0] = 0;
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
		cc = curl_easy_perform(c);
		res.tries++;
		res.status = 0;
		if (cc == CURLE_OK) {
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res.status);
			if (res.status >= 200 && res.status < 300) {
				err = 0;
				break;
			}
			gmt_otlp_status_message(body.buf, body.len, smsg, sizeof(smsg));
			err = gmt_diag_set(d, -EIO, "OTLP export to %s: HTTP %ld%s%s", url,
					   res.status, smsg[0] ? ": " : "", smsg);
			if (!retryable_status(res.status))
				break;
			/* Seconds or an HTTP-date, which curl turns into seconds from now. */
			curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &retry_after);
			res.retry_after_s = retry_after > 0 ? (double)retry_after : 0;
		} else {
			err = gmt_diag_set(d, curl_errno(cc), "OTLP export to %s: %s", url,
					   errbuf[0] ? errbuf : curl_easy_strerror(cc));
			if (!retryable_curl(cc))
				break;
		}
		if (res.tries >= o->max_tries)
			break;
		wait = retry_after > 0 ? (double)retry_after : gmt_otlp_backoff(o, res.tries);
		if (wait > o->max_wait_s) {
			/* Longer than we may wait: say so rather than come back too early. */
			char prev[sizeof(d->msg)];

			snprintf(prev, sizeof(prev), "%s", gmt_diag_msg(d, err));
			gmt_diag_set(d, err, "%s (Retry-After %.0f s is beyond the %.0f s we wait)",
				     prev, wait, o->max_wait_s);
			break;
		}
		pr_debug("OTLP export: try %d failed (%s); next in %.1f s\n", res.tries,
			 gmt_diag_msg(d, err), wait);
		if (!wait_s(o, wait)) {
			err = gmt_diag_set(d, -ECANCELED, "OTLP export to %s: cancelled", url);
			break;
		}
		res.waited_s += wait;
	}
out:
	if (r)
		*r = res;
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	free(gz);
	return err;
}
