/* SPDX-License-Identifier: MIT */
/*
 * The daemon's OTLP requests not yet accepted by the Collector, in the order they were
 * made, and the thread that sends them (so that a Collector that is slow or away never
 * holds up the tracing loop).  Each request is also a file in the spill directory
 * (NNNNNNNNNNNNNNNNNNNN-metrics.pb or -profiles.pb, the encoded message, written
 * atomically, mode 0600) until it is accepted: a daemon that restarts sends what the
 * previous one could not, first.  Beyond max requests the oldest not being sent is
 * dropped (and its file removed) and counted.  A failed send is tried again after 1 s,
 * doubling to 60 s, or after the Collector's Retry-After; every failure keeps the
 * request, a refused token included (said in the log; the intervals wait for a
 * Collector that takes them, up to the bound).  The log says when sending starts
 * failing and when it recovers, not every try.
 */
#ifndef GMT_OTLP_QUEUE_H
#define GMT_OTLP_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "otlp_http.h"

/* How a request is sent: 0, or a negative errno with d; *retry_after_s (0: none). */
typedef int (*gmt_otlp_send_fn)(void *ctx, const char *path, const struct gmt_pb *msg,
				double *retry_after_s, struct gmt_diag *d);

struct gmt_otlp_queue_stats {
	uint64_t sent;	      /* requests accepted */
	uint64_t failures;    /* tries that failed */
	uint64_t dropped;     /* requests dropped over the bound */
	uint64_t queued;      /* waiting now */
	uint64_t reloaded;    /* found in the spill directory at open */
};

struct gmt_otlp_queue;

/*
 * Opens the queue over spill_dir (created 0700 if needed; NULL: memory only), loading
 * what an earlier daemon left there, oldest first; max >= 1.  send (ctx) sends one
 * request; NULL: gmt_otlp_post() with *o, one try each (the queue does the waiting).  The
 * sending thread starts here.  0, or a negative errno with d.
 */
int gmt_otlp_queue_open(const char *spill_dir, size_t max, const struct gmt_otlp_opts *o,
			gmt_otlp_send_fn send, void *ctx, struct gmt_otlp_queue **out,
			struct gmt_diag *d);
/* Adds a copy of msg for path ("/v1/metrics" or GMT_OTLP_PROFILES_PATH): 0, -ENOMEM, or
 * -EIO when its spill file cannot be written (it is still queued, in memory). */
int gmt_otlp_queue_push(struct gmt_otlp_queue *q, const char *path, const struct gmt_pb *msg);
/* Tries what is queued at once (or when the Collector's last Retry-After says) and
 * waits until it is all sent, at most max_s seconds: true when nothing is left. */
bool gmt_otlp_queue_drain(struct gmt_otlp_queue *q, double max_s);
void gmt_otlp_queue_stats(struct gmt_otlp_queue *q, struct gmt_otlp_queue_stats *s);
/* Stops the thread (a send in flight ends first); what is left stays in the spill
 * directory for the next daemon. */
void gmt_otlp_queue_free(struct gmt_otlp_queue *q);

#endif
