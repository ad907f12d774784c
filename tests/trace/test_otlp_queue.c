// SPDX-License-Identifier: MIT
/*
 * trace/otlp_queue.c with a send function of the test's: order, the bound and its drop
 * count, failures kept and retried, the spill directory reloaded by a new queue (a
 * daemon restart), and the Collector's Retry-After.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "otlp_export.h"
#include "otlp_queue.h"

/* A Collector: accepts or refuses, records what it accepted. */
struct fake {
	pthread_mutex_t mu;
	int up;		    /* 0: every send fails */
	double retry_after; /* what a failure answers with */
	char got[64][32];   /* the first bytes of each accepted message, as a string */
	char paths[64][32];
	int ngot, tries;
	double first_fail, retry_at;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fake_send(void *ctx, const char *path, const struct gmt_pb *msg, double *ra,
		     struct gmt_diag *d)
{
	struct fake *f = ctx;
	size_t len;
	const uint8_t *p = gmt_pb__data(msg, &len);
	int err = 0;

	pthread_mutex_lock(&f->mu);
	f->tries++;
	*ra = 0;
	if (!f->up) {
		if (!f->first_fail)
			f->first_fail = now_s();
		else if (!f->retry_at)
			f->retry_at = now_s();
		*ra = f->retry_after;
		err = gmt_diag_set(d, -ECONNREFUSED, "refused");
	} else if (f->ngot < 64) {
		snprintf(f->got[f->ngot], sizeof(f->got[0]), "%.*s", (int)len, (const char *)p);
		snprintf(f->paths[f->ngot], sizeof(f->paths[0]), "%s", path);
		f->ngot++;
	}
	pthread_mutex_unlock(&f->mu);
	return err;
}

static void push_str(struct gmt_otlp_queue *q, const char *path, const char *s)
{
	struct gmt_pb *b = gmt_pb__new();

	gmt_pb__raw(b, s, strlen(s));
	cr_assert_eq(gmt_otlp_queue_push(q, path, b), 0);
	gmt_pb__free(b);
}

static const struct gmt_otlp_opts no_opts;

Test(otlp_queue, in_order_and_once)
{
	struct fake f = { .mu = PTHREAD_MUTEX_INITIALIZER, .up = 1 };
	struct gmt_otlp_queue *q;
	struct gmt_otlp_queue_stats st;
	struct gmt_diag d = {};

	cr_assert_eq(gmt_otlp_queue_open(NULL, 16, &no_opts, fake_send, &f, &q, &d), 0);
	push_str(q, "/v1/metrics", "m1");
	push_str(q, GMT_OTLP_PROFILES_PATH, "p1");
	push_str(q, "/v1/metrics", "m2");
	cr_assert(gmt_otlp_queue_drain(q, 10));
	gmt_otlp_queue_stats(q, &st);
	cr_expect_eq(st.sent, 3);
	cr_expect_eq(st.queued, 0);
	cr_assert_eq(f.ngot, 3);
	cr_expect_str_eq(f.got[0], "m1");
	cr_expect_str_eq(f.got[1], "p1");
	cr_expect_str_eq(f.paths[1], GMT_OTLP_PROFILES_PATH);
	cr_expect_str_eq(f.got[2], "m2");
	gmt_otlp_queue_free(q);
}

/* Away: kept, the oldest dropped over the bound and counted; back: the rest in order,
 * and a new queue on the same directory finds what an earlier one could not send. */
Test(otlp_queue, bound_spill_and_reload)
{
	struct fake f = { .mu = PTHREAD_MUTEX_INITIALIZER, .up = 0 };
	char dir[] = "/tmp/gmt-oq-XXXXXX";
	struct gmt_otlp_queue *q;
	struct gmt_otlp_queue_stats st;
	struct gmt_diag d = {};
	char cmd[128], name[8];
	FILE *p;
	int files = 0;

	cr_assert(mkdtemp(dir));
	cr_assert_eq(gmt_otlp_queue_open(dir, 4, &no_opts, fake_send, &f, &q, &d), 0);
	for (int i = 1; i <= 6; i++) {
		snprintf(name, sizeof(name), "r%d", i);
		push_str(q, "/v1/metrics", name);
		/* the first try fails before the rest come: none of them is in flight then */
		while (i == 1 && !__atomic_load_n(&f.tries, __ATOMIC_SEQ_CST))
			usleep(1000);
	}
	cr_assert_not(gmt_otlp_queue_drain(q, 0.3), "the Collector is away");
	gmt_otlp_queue_stats(q, &st);
	cr_expect_eq(st.sent, 0);
	cr_expect_eq(st.dropped, 2, "6 into a bound of 4");
	cr_expect_eq(st.queued, 4);
	cr_expect_geq(st.failures, 1);
	snprintf(cmd, sizeof(cmd), "ls %s | grep -c 'metrics.pb$'", dir);
	p = popen(cmd, "r");
	cr_assert(p && fscanf(p, "%d", &files) == 1);
	pclose(p);
	cr_expect_eq(files, 4, "one file per queued request");
	/* the daemon restarts: a new queue, the Collector back */
	gmt_otlp_queue_free(q);
	f.up = 1;
	cr_assert_eq(gmt_otlp_queue_open(dir, 8, &no_opts, fake_send, &f, &q, &d), 0);
	push_str(q, "/v1/metrics", "r7");
	cr_assert(gmt_otlp_queue_drain(q, 10));
	gmt_otlp_queue_stats(q, &st);
	cr_expect_eq(st.reloaded, 4);
	cr_assert_eq(f.ngot, 5, "%d: %s %s", f.ngot, f.got[0], f.got[1]);
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "r%d", i + 3);
		cr_expect_str_eq(f.got[i], name, "in order: %d", i);
	}
	gmt_otlp_queue_free(q);
	p = popen(cmd, "r");
	cr_assert(p && fscanf(p, "%d", &files) == 1);
	pclose(p);
	cr_expect_eq(files, 0, "sent: the files are gone");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

/* A failure with Retry-After 2 s: the next try not before it (and not the 1 s backoff). */
Test(otlp_queue, retry_after_is_honoured)
{
	struct fake f = { .mu = PTHREAD_MUTEX_INITIALIZER, .up = 0, .retry_after = 2 };
	struct gmt_otlp_queue *q;
	struct gmt_diag d = {};

	cr_assert_eq(gmt_otlp_queue_open(NULL, 4, &no_opts, fake_send, &f, &q, &d), 0);
	push_str(q, "/v1/metrics", "x");
	for (int i = 0; i < 100; i++) {
		pthread_mutex_lock(&f.mu);
		bool two = f.retry_at != 0;
		pthread_mutex_unlock(&f.mu);
		if (two)
			break;
		usleep(50000);
	}
	cr_assert(f.retry_at, "tried again");
	cr_expect_geq(f.retry_at - f.first_fail, 1.95, "after %.2f s", f.retry_at - f.first_fail);
	gmt_otlp_queue_free(q);
}
