// SPDX-License-Identifier: MIT
/* The daemon's OTLP send queue: see otlp_queue.h. */
#include "otlp_queue.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "otlp_export.h"

#define BACKOFF_FIRST_S 1.0
#define BACKOFF_MAX_S 60.0
#define RETRY_AFTER_MAX_S 600.0

struct entry {
	struct entry *next;
	uint64_t seq;
	const char *path; /* one of the two below */
	struct gmt_pb *msg;
};

struct gmt_otlp_queue {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	bool started, stop;
	char *dir;
	size_t max;
	struct gmt_otlp_opts o;
	gmt_otlp_send_fn send;
	void *ctx;
	struct entry *head, *tail, *sending;
	size_t n;
	uint64_t next_seq;
	double next_try; /* monotonic seconds; 0: now */
	double ra_until; /* the Collector's last Retry-After, as a time: drain waits for it */
	double backoff;
	bool failing;
	struct gmt_otlp_queue_stats st;
};

static const char *kind_of(const char *path)
{
	return strcmp(path, GMT_OTLP_PROFILES_PATH) == 0 ? "profiles" : "metrics";
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void spill_name(const struct gmt_otlp_queue *q, const struct entry *e, char *buf,
		       size_t len)
{
	snprintf(buf, len, "%s/%020llu-%s.pb", q->dir, (unsigned long long)e->seq,
		 kind_of(e->path));
}

static void unspill(const struct gmt_otlp_queue *q, const struct entry *e)
{
	char name[4096];

	if (!q->dir)
		return;
	spill_name(q, e, name, sizeof(name));
	unlink(name);
}

static int spill(const struct gmt_otlp_queue *q, const struct entry *e)
{
	char name[4096], tmp[4200];
	size_t len;
	const uint8_t *p = gmt_pb__data(e->msg, &len);
	int fd, err = 0;

	if (!q->dir)
		return 0;
	spill_name(q, e, name, sizeof(name));
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (len && !err) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno != EINTR)
			err = -errno;
		else if (w > 0)
			p += w, len -= (size_t)w;
	}
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, name) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

static void free_entry(struct entry *e)
{
	if (e) {
		gmt_pb__free(e->msg);
		free(e);
	}
}

/* Appends e (locked); over the bound, drops the oldest that is not being sent. */
static void append(struct gmt_otlp_queue *q, struct entry *e)
{
	if (q->tail)
		q->tail->next = e;
	else
		q->head = e;
	q->tail = e;
	q->n++;
	while (q->n > q->max) {
		struct entry **pp = &q->head, *d;

		if (*pp == q->sending)
			pp = &(*pp)->next;
		d = *pp;
		if (!d || d == e)
			break;
		*pp = d->next; /* never the tail: that is e */
		q->n--;
		q->st.dropped++;
		unspill(q, d);
		free_entry(d);
	}
	q->st.queued = q->n;
}

static int default_send(void *ctx, const char *path, const struct gmt_pb *msg,
			double *retry_after_s, struct gmt_diag *d)
{
	const struct gmt_otlp_opts *o = ctx;
	struct gmt_otlp_result r;
	int err = gmt_otlp_post(o, path, msg, &r, d);

	*retry_after_s = r.retry_after_s;
	return err;
}

static void *sender(void *arg)
{
	struct gmt_otlp_queue *q = arg;

	pthread_mutex_lock(&q->mu);
	while (!q->stop) {
		struct gmt_diag d = {};
		struct entry *e;
		double now = mono_s(), ra = 0;
		int err;

		if (!q->head || now < q->next_try) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			/* until the next try, or a push, or a drain, or the stop */
			double w = q->head ? q->next_try - now : 3600;

			ts.tv_sec += (time_t)w;
			ts.tv_nsec += (long)((w - (double)(time_t)w) * 1e9);
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&q->cv, &q->mu, &ts);
			continue;
		}
		e = q->sending = q->head;
		pthread_mutex_unlock(&q->mu);
		err = q->send(q->ctx, e->path, e->msg, &ra, &d);
		pthread_mutex_lock(&q->mu);
		q->sending = NULL;
		if (!err) {
			/* still the head: nothing drops the entry being sent */
			q->head = e->next;
			if (!q->head)
				q->tail = NULL;
			q->n--;
			q->st.sent++;
			q->st.queued = q->n;
			unspill(q, e);
			free_entry(e);
			q->backoff = 0;
			q->next_try = 0;
			if (q->failing)
				pr_info("OTLP export works again (%zu request%s still queued)\n", q->n,
					q->n == 1 ? "" : "s");
			q->failing = false;
		} else {
			q->st.failures++;
			q->backoff = q->backoff ? q->backoff * 2 : BACKOFF_FIRST_S;
			if (q->backoff > BACKOFF_MAX_S)
				q->backoff = BACKOFF_MAX_S;
			if (ra > RETRY_AFTER_MAX_S)
				ra = RETRY_AFTER_MAX_S;
			q->next_try = mono_s() + (ra > 0 ? ra : q->backoff);
			q->ra_until = ra > 0 ? q->next_try : 0;
			if (!q->failing)
				pr_warn("OTLP export failing, kept for later (%zu queued, at most %zu): "
					"%s\n", q->n, q->max, gmt_diag_msg(&d, err));
			else
				pr_debug("OTLP export: %s; next try in %.0f s\n", gmt_diag_msg(&d, err),
					 ra > 0 ? ra : q->backoff);
			q->failing = true;
		}
		pthread_cond_broadcast(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What an earlier daemon left in q->dir, oldest first. */
static int reload(struct gmt_otlp_queue *q)
{
	DIR *dir = opendir(q->dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int err = 0;

	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		unsigned long long seq;
		char kind[16];

		if (sscanf(de->d_name, "%20llu-%15[a-z].pb", &seq, kind) != 2 ||
		    strlen(de->d_name) != 20 + 1 + strlen(kind) + 3)
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(*names));

			if (!nn) {
				err = -ENOMEM;
				break;
			}
			names = nn;
		}
		if (!(names[n] = strdup(de->d_name))) {
			err = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(dir);
	if (n) /* qsort wants an array, even of none */
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n && !err; i++) {
		char path[4096], kind[16];
		unsigned long long seq;
		struct entry *e = calloc(1, sizeof(*e));
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", q->dir, names[i]);
		sscanf(names[i], "%20llu-%15[a-z].pb", &seq, kind);
		f = fopen(path, "rb");
		if (!e || !(e->msg = gmt_pb__new())) {
			free_entry(e);
			if (f)
				fclose(f);
			err = -ENOMEM;
			break;
		}
		if (!f) {
			free_entry(e);
			continue;
		}
		for (char buf[65536];;) {
			size_t r = fread(buf, 1, sizeof(buf), f);

			if (!r)
				break;
			gmt_pb__raw(e->msg, buf, r);
		}
		fclose(f);
		e->seq = seq;
		e->path = strcmp(kind, "profiles") == 0 ? GMT_OTLP_PROFILES_PATH : "/v1/metrics";
		if (seq >= q->next_seq)
			q->next_seq = seq + 1;
		q->st.reloaded++;
		append(q, e);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return err;
}

int gmt_otlp_queue_open(const char *spill_dir, size_t max, const struct gmt_otlp_opts *o,
			gmt_otlp_send_fn send, void *ctx, struct gmt_otlp_queue **out,
			struct gmt_diag *d)
{
	struct gmt_otlp_queue *q = calloc(1, sizeof(*q));
	int err;

	*out = NULL;
	if (!q)
		return gmt_diag_set(d, -ENOMEM, "out of memory");
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	q->max = max ? max : 1;
	q->o = *o;
	q->send = send ? send : default_send;
	q->ctx = send ? ctx : &q->o;
	q->next_seq = 1;
	if (spill_dir) {
		q->dir = strdup(spill_dir);
		if (!q->dir) {
			gmt_otlp_queue_free(q);
			return gmt_diag_set(d, -ENOMEM, "out of memory");
		}
		if (mkdir(spill_dir, 0700) < 0 && errno != EEXIST) {
			err = -errno;
			gmt_otlp_queue_free(q);
			return gmt_diag_set(d, err, "OTLP queue %s: %s", spill_dir, strerror(-err));
		}
		err = reload(q);
		if (err) {
			gmt_otlp_queue_free(q);
			return gmt_diag_set(d, err, "OTLP queue %s: %s", spill_dir, strerror(-err));
		}
	}
	err = -pthread_create(&q->thread, NULL, sender, q);
	if (err) {
		gmt_otlp_queue_free(q);
		return gmt_diag_set(d, err, "OTLP queue: no thread: %s", strerror(-err));
	}
	q->started = true;
	*out = q;
	return 0;
}

int gmt_otlp_queue_push(struct gmt_otlp_queue *q, const char *path, const struct gmt_pb *msg)
{
	struct entry *e = calloc(1, sizeof(*e));
	const uint8_t *p;
	size_t len;
	int err;

	if (!e || !(e->msg = gmt_pb__new())) {
		free_entry(e);
		return -ENOMEM;
	}
	p = gmt_pb__data(msg, &len);
	gmt_pb__raw(e->msg, p, len);
	if (gmt_pb__err(e->msg)) {
		free_entry(e);
		return -ENOMEM;
	}
	e->path = strcmp(path, GMT_OTLP_PROFILES_PATH) == 0 ? GMT_OTLP_PROFILES_PATH
							     : "/v1/metrics";
	pthread_mutex_lock(&q->mu);
	e->seq = q->next_seq++;
	err = spill(q, e);
	append(q, e);
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return err ? -EIO : 0;
}

bool gmt_otlp_queue_drain(struct gmt_otlp_queue *q, double max_s)
{
	double end = mono_s() + max_s;
	bool empty;

	pthread_mutex_lock(&q->mu);
	/* now, unless the Collector said when: a backoff of ours need not be waited out */
	q->next_try = q->ra_until;
	pthread_cond_broadcast(&q->cv);
	while (q->head && mono_s() < end) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&q->cv, &q->mu, &ts);
	}
	empty = !q->head;
	pthread_mutex_unlock(&q->mu);
	return empty;
}

void gmt_otlp_queue_stats(struct gmt_otlp_queue *q, struct gmt_otlp_queue_stats *s)
{
	pthread_mutex_lock(&q->mu);
	*s = q->st;
	s->queued = q->n;
	pthread_mutex_unlock(&q->mu);
}

void gmt_otlp_queue_free(struct gmt_otlp_queue *q)
{
	if (!q)
		return;
	if (q->started) {
		pthread_mutex_lock(&q->mu);
		q->stop = true;
		pthread_cond_broadcast(&q->cv);
		pthread_mutex_unlock(&q->mu);
		pthread_join(q->thread, NULL);
	}
	while (q->head) {
		struct entry *e = q->head;

		q->head = e->next;
		free_entry(e);
	}
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	free(q->dir);
	free(q);
}
