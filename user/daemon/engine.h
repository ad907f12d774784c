/* SPDX-License-Identifier: MIT */
/*
 * The daemon's engine: continuous sampled tracing of several processes, a profile set per
 * process every interval.  It finds its targets (-p PIDs once, --exe/--comm by scanning
 * /proc), opens a session on each (session.h), polls them, writes their intervals into
 * OUTDIR/<comm>-<pid>/<UTC time>[-alert-...]/ (a hidden .partial directory renamed when
 * complete), raises the alerts, applies the retention and writes the metrics file.  A
 * target leaves when it exits, exec's or cannot be traced on; one that cannot be traced
 * is said once and not retried while it lives.
 *
 * The command (cli/cmd_daemon.c) parses the options, runs the preflight, handles the
 * signals and drives it:
 *   gmt_daemon__open()    output directory, -p targets
 *   gmt_daemon__step()    repeatedly: scan, poll, alerts, intervals when due
 *   gmt_daemon__finish()  probes off and rates restored for every target, last intervals
 *   gmt_daemon__free()
 * The pieces that need no process (names, metrics, the alerts' rules) are below,
 * for the unit tests.
 */
#ifndef GMT_DAEMON_ENGINE_H
#define GMT_DAEMON_ENGINE_H

#include <stdbool.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "diag.h"
#include "memusage.h"
#include "otlp_http.h"
#include "session.h"

struct gmt_goroutines;
struct gmt_metrics_target;

struct gmt_daemon_opts {
	pid_t *pids;
	size_t npids;
	const char **exes;
	size_t nexes;
	const char **comms;
	size_t ncomms;
	const char *outdir;
	const char *metrics; /* the metrics file; NULL: OUTDIR/gomemtrace.prom; "none" */
	double interval_s;
	uint64_t keep, max_disk; /* retention.h; 0: no bound */
	uint64_t alert_heap;	 /* bytes of heap (HeapAlloc), 0: no alert */
	double alert_rss_pct;	 /* RSS above this % of the cgroup's memory limit, 0: none */
	double alert_for_s;	 /* ... for that long (both) */
	uint64_t alert_pause_ns; /* a stop-the-world pause longer than this, 0: no alert */
	struct gmt_session_opts so; /* the tracing options */
	/* --otlp-endpoint (otlp.url NULL: none): every interval's metrics and profiles go
	 * to the Collector through a queue of at most otlp_queue requests, spilled into
	 * OUTDIR/.otlp-queue (trace/otlp_queue.h) */
	struct gmt_otlp_opts otlp;
	const char *service_name;
	size_t otlp_queue;
	/* --no-local (with otlp.url): no interval set, no alert set, and no metrics file
	 * unless o->metrics names one; OUTDIR holds only the queue's spilled requests */
	bool no_local;
};

struct gmt_daemon;

/*
 * Prepares o->outdir (removing what a previous run left half-written) and attaches to
 * the -p targets: one that cannot be traced is said and skipped.  o must outlive the
 * daemon.  0, or an error with its one-line reason in d (none of the -p targets can be
 * traced and nothing else is to be watched, out of memory...).
 */
int gmt_daemon__open(const struct gmt_daemon_opts *o, struct gmt_daemon **out,
		     struct gmt_diag *d);
/*
 * One turn, at most ~100 ms: new processes (every 500 ms), the ring buffers, the
 * alerts, and every target's interval when it is due or when *write_now (a signal
 * handler's flag, may be NULL) was set by the end of the turn: then "WHY: writing the
 * current intervals" is said and the flag cleared.  0 to go on; 1 when no target is
 * left and none can come; -ENOMEM (said) when the daemon cannot go on.
 */
int gmt_daemon__step(struct gmt_daemon *dm, volatile sig_atomic_t *write_now, const char *why);
/*
 * The end (why: the signal's name, or NULL): every target's probes off and rate
 * restored first, then their last intervals, the retention and the metrics.
 */
void gmt_daemon__finish(struct gmt_daemon *dm, const char *why);
size_t gmt_daemon__ntargets(const struct gmt_daemon *dm);
void gmt_daemon__free(struct gmt_daemon *dm);

/* ---- kernel-free pieces ---- */

/*
 * An interval's directory name from the wall clock in ms: "YYYYMMDDTHHMMSS.mmmZ" and
 * "-suffix" if any.  Sortable and unique within a daemon: a time not after *last_ms is
 * moved to *last_ms + 1 ms; *last_ms gets the time used.
 */
void gmt_daemon_interval_name(uint64_t ms, uint64_t *last_ms, const char *suffix, char *buf,
			      size_t len);
/* A target's directory: OUTDIR/<comm>-<pid>, with '/' and ' ' in comm made '_'. */
void gmt_daemon_target_dir(const char *outdir, const char *comm, pid_t pid, char *buf,
			   size_t len);
/* Adds an interval's figures to a target's metrics; gor: its goroutines, or NULL. */
void gmt_daemon_metrics_add(struct gmt_metrics_target *m, const struct gmt_interval *iv,
			    const struct gmt_goroutines *gor);

/*
 * The threshold alerts (--alert-heap, --alert-rss-pct): once per excursion above the
 * threshold that lasts for_s seconds.  Below (or at) the threshold it re-arms.
 */
struct gmt_heap_alert {
	uint64_t since_ns; /* above the threshold since, 0 below */
	bool alerted;
};
/* true when the alert fires now (monotonic now_ns), with *above_s how long it was above. */
bool gmt_heap_alert_update(struct gmt_heap_alert *a, double live_bytes, uint64_t threshold,
			   double for_s, uint64_t now_ns, double *above_s);

/*
 * --alert-rss-pct's threshold: pct % of the memory limit of the process's cgroup (u, as
 * process/memusage.h read it), in *bytes.  0; -ENODATA when its RSS was not read;
 * -ENOENT when no memory limit of a cgroup could be read; -ERANGE when the cgroup has
 * none ("max"): then the alert cannot fire.
 */
int gmt_rss_alert_threshold(const struct gmt_memusage *u, double pct, uint64_t *bytes);

struct gmt_memsnap;
/* The figure --alert-heap compares, and its label for the ALERT line. */
enum gmt_heap_figure {
	GMT_HEAP_NONE,	   /* the runtime's heap moved under every read: no decision now */
	GMT_HEAP_ALLOC,	   /* the runtime's own HeapAlloc */
	GMT_HEAP_ESTIMATE, /* its figures cannot be read: the sampled estimate since attach */
};
/*
 * From a memory read s (trace/memsnap.h) and the sampled estimate of the live heap:
 * which figure, in *bytes, and *what names it.
 */
enum gmt_heap_figure gmt_heap_alert_figure(const struct gmt_memsnap *s, double estimate,
					   double *bytes, const char **what);

#endif
