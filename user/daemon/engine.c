// SPDX-License-Identifier: MIT
/* The daemon's engine (engine.h), out of the command that drives it. */
#include "engine.h"

#include <errno.h>
#include <math.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "analysis.h"
#include "bincache.h"
#include "goroutines.h"
#include "grow.h"
#include "log.h"
#include "memsnap.h"
#include "metrics.h"
#include "otlp_export.h"
#include "otlp_queue.h"
#include "profile_set.h"
#include "proc.h"
#include "procscan.h"
#include "recorder.h"
#include "retention.h"
#include "target.h"

struct dtarget {
	struct gmt_target t;
	struct gmt_proc_id id;
	struct gmt_session *s;
	char dir[4096]; /* OUTDIR/<comm>-<pid> */
	struct gmt_heap_alert heap; /* --alert-heap */
	struct gmt_heap_alert rss;  /* --alert-rss-pct */
	uint64_t next_mem_ns;	    /* when the memory figures are read next */
	bool heap_fallback_said, rss_cannot_said; /* said once per target */
	bool pause_alerted; /* one pause alert per interval at most */
	struct gmt_metrics_target m;
	/* --otlp-endpoint: who the requests are about, what they add up */
	struct gmt_otlp_source *src;
	uint64_t start_unix_ns;	   /* when tracing began: the sums' start time */
	double alloc_objects_total; /* estimated, since attach */
};

/* Processes that could not be traced: not retried while they live. */
struct skip {
	struct gmt_proc_id id;
};

struct gmt_daemon {
	const struct gmt_daemon_opts *o;
	struct dtarget **t;
	size_t nt, cap;
	struct skip *skip;
	size_t nskip, capskip;
	int epfd;
	bool only_pids;
	bool starting; /* attaching the -p targets: a failure is the user's error */
	struct gmt_bincache *bins; /* one analysis per executable, shared by its processes */
	uint64_t last_ts_ms; /* last directory timestamp, to keep names unique */
	uint64_t next_iv, next_scan;
	char metrics_path[4096];
	struct gmt_otlp_queue *oq; /* --otlp-endpoint */
};

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void gmt_daemon_interval_name(uint64_t ms, uint64_t *last_ms, const char *suffix, char *buf,
			      size_t len)
{
	time_t sec;
	struct tm tm;
	char t[32];

	if (ms <= *last_ms)
		ms = *last_ms + 1;
	*last_ms = ms;
	sec = (time_t)(ms / 1000);
	gmtime_r(&sec, &tm);
	strftime(t, sizeof(t), "%Y%m%dT%H%M%S", &tm);
	snprintf(buf, len, "%s.%03lluZ%s%s", t, (unsigned long long)(ms % 1000),
		 suffix ? "-" : "", suffix ? suffix : "");
}

/* A directory name from the wall clock: sortable, unique within this daemon. */
static void interval_name(struct gmt_daemon *dm, char *buf, size_t len, const char *suffix)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmt_daemon_interval_name((uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
				 &dm->last_ts_ms, suffix, buf, len);
}

void gmt_daemon_target_dir(const char *outdir, const char *comm, pid_t pid, char *buf,
			   size_t len)
{
	size_t n = strlen(outdir) + 1;

	snprintf(buf, len, "%s/%s-%d", outdir, comm, (int)pid);
	for (char *p = buf + (n < len ? n : len - 1); *p; p++)
		if (*p == '/' || *p == ' ')
			*p = '_';
}

void gmt_daemon_metrics_add(struct gmt_metrics_target *m, const struct gmt_interval *iv,
			    const struct gmt_goroutines *gor)
{
	m->alloc_bytes_per_s = iv->duration_s > 0 ? iv->est_alloc_bytes / iv->duration_s : 0;
	m->inuse_bytes = iv->est_inuse_bytes;
	m->alloc_bytes_total += iv->est_alloc_bytes;
	m->gc_cycles_total += iv->gc_cycles;
	m->stw_pauses_total += iv->stw_pauses;
	m->stw_seconds_total += iv->stw_total_ns / 1e9;
	gmt_pauses_merge(&m->pauses, &iv->pauses);
	m->records_dropped_total += iv->drops;
	m->samples_dropped_total = iv->samples_dropped; /* cumulative already */
	m->intervals_total++;
	if (iv->has_leaks) {
		m->has_leaks = true;
		m->leak_groups = iv->leak_groups;
		m->leak_goroutines = iv->leak_goroutines;
	}
	if (gor) {
		struct gmt_gor_stats gs;

		gmt_goroutines__stats(gor, &gs);
		m->has_goroutines = true;
		m->goroutines = gs.live;
	}
}

/* The OTLP queue's counters as the metrics file and summary.json give them. */
static void export_stats(struct gmt_daemon *dm, struct gmt_metrics_export *ex)
{
	struct gmt_otlp_queue_stats st;

	gmt_otlp_queue_stats(dm->oq, &st);
	*ex = (struct gmt_metrics_export){ .sent = st.sent, .failures = st.failures,
					   .dropped = st.dropped, .queued = st.queued };
}

/*
 * --otlp-endpoint: the interval's metrics (the sums since attach, as the metrics file
 * has them, cumulative from dt->start_unix_ns; the memory figures read now) and its
 * profiles (encoded while the set was written) into the send queue.
 */
static void export_interval(struct gmt_daemon *dm, struct dtarget *dt,
			    const struct gmt_interval *iv, const struct gmt_memsnap *ms)
{
	struct gmt_otlp_recording rec = {
		.sampled = true, .start_unix_ns = dt->start_unix_ns,
		.alloc_bytes = (uint64_t)llround(dt->m.alloc_bytes_total),
		.alloc_objects = (uint64_t)llround(dt->alloc_objects_total),
		.has_inuse = true, .inuse_bytes = (uint64_t)llround(iv->est_inuse_bytes),
		.has_gc = !dm->o->so.no_gc, .gc_cycles = dt->m.gc_cycles_total,
		.stw_pauses = dt->m.stw_pauses_total,
		.stw_total_ns = (uint64_t)llround(dt->m.stw_seconds_total * 1e9),
		.pauses = dt->m.pauses,
		.dropped = dt->m.records_dropped_total,
		/* the snapshot's read, else the probes' live count (--goroutines) */
		.has_goroutines = iv->has_leaks || dt->m.has_goroutines,
		.goroutines = iv->has_leaks ? iv->goroutines : dt->m.goroutines,
		.has_leaks = iv->has_leaks, .leak_groups = iv->leak_groups,
		.leak_goroutines = iv->leak_goroutines,
	};
	struct gmt_pb *b = gmt_pb__new();
	int err = b ? gmt_otlp_encode_recording(&dt->src->ot, &rec, ms ? &ms->r : NULL,
						ms ? ms->r.time_unix_ns : wall_ns(), b)
		    : -ENOMEM;

	if (!err)
		err = gmt_otlp_queue_push(dm->oq, "/v1/metrics", b);
	if (err)
		pr_warn("PID %d: OTLP metrics %s: %s\n", (int)dt->t.pid,
			err == -EIO ? "queued in memory only, not in .otlp-queue" : "not queued",
			strerror(-err));
	gmt_pb__free(b);
	if (dt->src->profiles && !dt->src->profiles_err)
		err = gmt_otlp_queue_push(dm->oq, GMT_OTLP_PROFILES_PATH, dt->src->profiles);
	else
		err = dt->src->profiles ? dt->src->profiles_err : -ENODATA;
	if (err)
		pr_warn("PID %d: OTLP profiles %s: %s\n", (int)dt->t.pid,
			err == -EIO ? "queued in memory only, not in .otlp-queue" : "not queued",
			strerror(-err));
	gmt_pb__free(dt->src->profiles);
	dt->src->profiles = NULL;
}

/*
 * One profile set of a target into DIR/<name>: written into a hidden .partial directory
 * first and renamed when complete.  --no-local: no file, the set only sent.
 */
static int write_interval(struct gmt_daemon *dm, struct dtarget *dt, const char *suffix)
{
	char name[64], part[4096 + 80], final[4096 + 80];
	bool local = !dm->o->no_local;
	struct gmt_metrics_export ex, *exp = NULL;
	/* --no-snapshot: the target's memory is not read (the export reads it still) */
	struct gmt_memsnap *ms = dm->o->so.snapshots || dt->src ? malloc(sizeof(*ms)) : NULL;
	struct gmt_interval iv;
	struct gmt_diag d = {};
	int err;

	/* The memory figures now: report.html's header and the OTLP metrics. */
	if (ms && (dt->t.exited || gmt_target__execd(&dt->t) ||
		   gmt_memsnap_read(dt->t.pid, gmt_session__analysis(dt->s), ms, &d))) {
		free(ms);
		ms = NULL;
	}
	gmt_session__set_memory(dt->s, ms ? &ms->r : NULL);

	interval_name(dm, name, sizeof(name), suffix);
	snprintf(part, sizeof(part), "%s/.%s.partial", dt->dir, name);
	snprintf(final, sizeof(final), "%s/%s", dt->dir, name);
	if (dm->oq) {
		export_stats(dm, &ex);
		exp = &ex;
	}
	err = local ? gmt_outdir_prepare(dt->dir, &d) : 0;
	if (!err && dt->src)
		gmt_profile_set_observe(gmt_otlp_source_encode_set, dt->src);
	if (!err)
		err = gmt_session__write_interval(dt->s, local ? part : NULL, exp, &iv, &d);
	gmt_profile_set_observe(NULL, NULL);
	gmt_session__set_memory(dt->s, NULL);
	if (!err && local && rename(part, final) < 0)
		err = gmt_diag_set(&d, -errno, "cannot rename %s: %s", part, strerror(errno));
	if (err) {
		pr_err("PID %d: %s\n", (int)dt->t.pid, gmt_diag_msg(&d, err));
		if (local)
			gmt_remove_dir(part, NULL);
		free(ms);
		return err;
	}
	gmt_daemon_metrics_add(&dt->m, &iv, gmt_session__goroutines(dt->s));
	dt->alloc_objects_total += iv.est_alloc_objects;
	if (dt->src)
		export_interval(dm, dt, &iv, ms);
	free(ms);
	pr_debug("PID %d: %s: %.1f s, %llu samples, ~%.0f bytes allocated, ~%.0f live, %u GC "
		 "cycles, %llu rows\n", (int)dt->t.pid, final, iv.duration_s,
		 (unsigned long long)iv.samples, iv.est_alloc_bytes, iv.est_inuse_bytes,
		 iv.gc_cycles, (unsigned long long)iv.rows);
	if (iv.drops || iv.samples_dropped)
		pr_warn("PID %d: %llu records lost (ring buffer full: --ringbuf-mb), %llu samples "
			"dropped in all (tables full: --max-stacks)\n", (int)dt->t.pid,
			(unsigned long long)iv.drops, (unsigned long long)iv.samples_dropped);
	return 0;
}

static int w_metrics(FILE *f, void *ctx)
{
	struct gmt_daemon *dm = ctx;
	struct gmt_metrics_target *m = calloc(dm->nt + 1, sizeof(*m));
	int err;

	if (!m)
		return -ENOMEM;
	for (size_t i = 0; i < dm->nt; i++)
		m[i] = dm->t[i]->m;
	err = gmt_write_metrics(f, m, dm->nt);
	if (!err && dm->oq) {
		struct gmt_metrics_export ex;

		export_stats(dm, &ex);
		err = gmt_write_export_metrics(f, &ex);
	}
	free(m);
	return err;
}

static void write_metrics(struct gmt_daemon *dm)
{
	char dir[4096], *slash;
	struct gmt_diag d = {};

	if (!dm->metrics_path[0])
		return;
	snprintf(dir, sizeof(dir), "%s", dm->metrics_path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	if (gmt_write_file_atomic_mode(slash ? dir : ".", slash ? slash + 1 : dm->metrics_path,
				       GMT_METRICS_MODE, w_metrics, dm, &d))
		pr_warn("metrics: %s\n", d.msg);
}

static void apply_retention(struct gmt_daemon *dm)
{
	struct gmt_retention_stats st;
	int err;

	if (!dm->o->keep && !dm->o->max_disk)
		return;
	err = gmt_retention_apply(dm->o->outdir, dm->o->keep, dm->o->max_disk, &st);
	if (err)
		pr_warn("retention: cannot list %s: %s\n", dm->o->outdir, strerror(-err));
	else if (st.removed)
		pr_info("retention: removed %llu old intervals (%llu bytes); %llu kept, %llu "
			"bytes\n", (unsigned long long)st.removed,
			(unsigned long long)st.removed_bytes, (unsigned long long)st.intervals,
			(unsigned long long)st.bytes);
}

static bool skipped(const struct gmt_daemon *dm, const struct gmt_proc_id *id)
{
	for (size_t i = 0; i < dm->nskip; i++)
		if (gmt_proc_same(&dm->skip[i].id, id))
			return true;
	return false;
}

static struct dtarget *find_target(const struct gmt_daemon *dm, pid_t pid)
{
	for (size_t i = 0; i < dm->nt; i++)
		if (dm->t[i]->t.pid == pid)
			return dm->t[i];
	return NULL;
}

static void free_target(struct dtarget *dt)
{
	gmt_otlp_source_free(dt->src);
	gmt_session__free(dt->s);
	gmt_target__close(&dt->t);
	free(dt);
}

/* Attaches to a new process; one that cannot be traced is remembered and not retried. */
static int add_target(void *ctx, const struct gmt_proc_id *id)
{
	struct gmt_daemon *dm = ctx;
	struct epoll_event ev = { .events = EPOLLIN };
	struct dtarget *dt, *old = find_target(dm, id->pid);
	struct gmt_session_opts so = dm->o->so;
	struct gmt_diag d = {};
	int err;

	if (old || skipped(dm, id))
		return 0;
	dt = calloc(1, sizeof(*dt));
	if (!dt)
		return -ENOMEM;
	dt->id = *id;
	err = gmt_target__attach(id->pid, &dt->t, &d);
	if (!err) {
		struct gmt_bincache_stats before = gmt_bincache__stats(dm->bins);

		err = gmt_bincache__get(dm->bins, dt->t.exe, &so.an, &d);
		if (err)
			gmt_target__name_exe(&dt->t, &d);
		else
			pr_debug("PID %d (%s): %s analysis of %s\n", (int)id->pid, id->comm,
				 gmt_bincache__stats(dm->bins).hits > before.hits ? "shared"
										  : "new",
				 dt->t.path);
	}
	if (!err)
		err = gmt_session__open(&so, &dt->t, &dt->s, &d);
	gmt_analysis__put(so.an); /* the session holds its own */
	if (!err)
		err = gmt_session__start(dt->s, &d);
	if (!err && epoll_ctl(dm->epfd, EPOLL_CTL_ADD, gmt_session__epoll_fd(dt->s), &ev) < 0)
		err = gmt_diag_set(&d, -errno, "epoll: %s", strerror(errno));
	if (!err)
		err = GMT_GROW(&dm->t, &dm->cap, dm->nt + 1);
	if (!err)
		dm->t[dm->nt++] = dt;
	if (err) {
		/*
		 * One target that cannot be traced never stops the others: it is said in one
		 * line (an error for a -p target, which the user named) and skipped.  Its
		 * session is gone, probes and rate included, before anything else happens.
		 */
		if (dm->starting)
			pr_err("PID %d (%s) cannot be traced: %s; skipped\n", (int)id->pid, id->comm,
			       gmt_diag_msg(&d, err));
		else
			pr_warn("PID %d (%s): not traced: %s\n", (int)id->pid, id->comm,
				gmt_diag_msg(&d, err));
		free_target(dt);
		if (GMT_GROW(&dm->skip, &dm->capskip, dm->nskip + 1))
			return -ENOMEM;
		dm->skip[dm->nskip++].id = *id;
		return err == -ENOMEM ? err : 0;
	}
	gmt_daemon_target_dir(dm->o->outdir, dt->t.comm, id->pid, dt->dir, sizeof(dt->dir));
	dt->m.comm = dt->t.comm;
	dt->m.pid = dt->t.pid;
	dt->start_unix_ns = wall_ns();
	if (dm->oq) {
		dt->src = malloc(sizeof(*dt->src));
		if (dt->src)
			gmt_otlp_source_init(dt->src, dm->o->service_name, &dt->t,
					     gmt_session__analysis(dt->s));
		else /* the target stays, traced and written, without export */
			pr_warn("PID %d: out of memory: its intervals are not sent over OTLP\n",
				(int)id->pid);
	}
	return 0;
}

/* A target leaves: probes off, rate restored, its last interval written. */
static void drop_target(struct gmt_daemon *dm, size_t i, const char *why)
{
	struct dtarget *dt = dm->t[i];

	pr_info("PID %d (%s) %s: writing its last interval\n", (int)dt->t.pid, dt->t.comm, why);
	epoll_ctl(dm->epfd, EPOLL_CTL_DEL, gmt_session__epoll_fd(dt->s), NULL);
	gmt_session__stop(dt->s);
	write_interval(dm, dt, NULL);
	free_target(dt);
	dm->t[i] = dm->t[--dm->nt];
}

/* Targets gone, PIDs reused; the skip list forgets processes that are gone. */
static void check_targets(struct gmt_daemon *dm)
{
	for (size_t i = 0; i < dm->nt;) {
		struct dtarget *dt = dm->t[i];
		struct gmt_proc_id now;
		int err = gmt_proc_identity(dt->t.pid, &now);

		if (err == -ESRCH || err == -ENOEXEC || gmt_target__poll_exit(&dt->t)) {
			drop_target(dm, i, "exited");
			continue;
		}
		if (!err && !gmt_proc_same(&now, &dt->id)) {
			drop_target(dm, i, now.start_time != dt->id.start_time
						   ? "exited (its PID now names another process)"
						   : "exec'd another program");
			continue;
		}
		i++;
	}
	for (size_t i = 0; i < dm->nskip;) {
		struct gmt_proc_id now;

		if (gmt_proc_identity(dm->skip[i].id.pid, &now) || !gmt_proc_same(&now, &dm->skip[i].id))
			dm->skip[i] = dm->skip[--dm->nskip];
		else
			i++;
	}
}

static int scan(struct gmt_daemon *dm)
{
	struct gmt_proc_match m = {
		.pids = dm->o->pids, .npids = dm->o->npids,
		.exes = dm->o->exes, .nexes = dm->o->nexes,
		.comms = dm->o->comms, .ncomms = dm->o->ncomms,
	};

	check_targets(dm);
	/* -p targets are taken once, at the start: a PID seen again later is another process. */
	if (dm->only_pids)
		return 0;
	m.npids = 0;
	return gmt_proc_scan(&m, getpid(), add_target, dm);
}

bool gmt_heap_alert_update(struct gmt_heap_alert *a, double live_bytes, uint64_t threshold,
			   double for_s, uint64_t now_ns, double *above_s)
{
	if (live_bytes <= (double)threshold) {
		a->since_ns = 0;
		a->alerted = false;
		return false;
	}
	if (!a->since_ns)
		a->since_ns = now_ns;
	*above_s = (now_ns - a->since_ns) / 1e9;
	if (a->alerted || *above_s < for_s)
		return false;
	a->alerted = true;
	return true;
}

int gmt_rss_alert_threshold(const struct gmt_memusage *u, double pct, uint64_t *bytes)
{
	if (!u->have_rss)
		return -ENODATA;
	if (!u->have_max)
		return -ENOENT;
	if (u->cgroup_unlimited || !u->cgroup_max)
		return -ERANGE;
	*bytes = (uint64_t)((double)u->cgroup_max * pct / 100.0);
	return 0;
}

/*
 * The memory figures, read from outside (trace/memsnap.h) once a second at most: the
 * runtime's figures are a few hundred reads of the target's memory.
 */
#define MEM_PERIOD_NS 1000000000ULL

/*
 * --alert-heap on the runtime's own HeapAlloc (as runtime.ReadMemStats gives it: every
 * live object and the garbage not yet swept, whenever allocated); the sampled estimate,
 * which counts only objects sampled since the daemon attached, only when the runtime's
 * figures cannot be read, labelled so.
 */
enum gmt_heap_figure gmt_heap_alert_figure(const struct gmt_memsnap *s, double estimate,
					   double *bytes, const char **what)
{
	if (s->r.ms && !s->ms.heap_consistent)
		return GMT_HEAP_NONE;
	if (s->r.ms) {
		*bytes = (double)s->ms.HeapAlloc;
		*what = "HeapAlloc (the runtime's own figure)";
		return GMT_HEAP_ALLOC;
	}
	*bytes = estimate;
	*what = "estimated live heap (sampled since attach)";
	return GMT_HEAP_ESTIMATE;
}

static void heap_alert(struct gmt_daemon *dm, struct dtarget *dt, const struct gmt_memsnap *s,
		       uint64_t now)
{
	const char *what;
	double heap, above_s;

	switch (gmt_heap_alert_figure(s, gmt_session__live_bytes(dt->s), &heap, &what)) {
	case GMT_HEAP_NONE:
		return; /* decided at the next read */
	case GMT_HEAP_ALLOC:
		break;
	case GMT_HEAP_ESTIMATE:
		if (!dt->heap_fallback_said) {
			pr_warn("PID %d (%s): --alert-heap compares the sampled estimate of "
				"the live heap (objects sampled since the daemon attached): the "
				"runtime's own figures do not read: %s\n", (int)dt->t.pid,
				dt->t.comm, s->why);
			dt->heap_fallback_said = true;
		}
		break;
	}
	if (gmt_heap_alert_update(&dt->heap, heap, dm->o->alert_heap, dm->o->alert_for_s, now,
				  &above_s)) {
		pr_warn("ALERT PID %d (%s): %s %.0f bytes, above %llu for %.1f s: writing a marked "
			"profile set\n", (int)dt->t.pid, dt->t.comm, what, heap,
			(unsigned long long)dm->o->alert_heap, above_s);
		write_interval(dm, dt, "alert-heap");
	}
}

/* --alert-rss-pct: VmRSS against the memory limit of the target's cgroup. */
static void rss_alert(struct gmt_daemon *dm, struct dtarget *dt, const struct gmt_memusage *u,
		      uint64_t now)
{
	const char *file = u->memcg_version == 1 ? "memory.limit_in_bytes" : "memory.max";
	uint64_t thr;
	double above_s;
	int err = gmt_rss_alert_threshold(u, dm->o->alert_rss_pct, &thr);

	if (err) {
		dt->rss = (struct gmt_heap_alert){};
		if (err == -ENODATA || dt->rss_cannot_said)
			return;
		dt->rss_cannot_said = true;
		if (err == -ERANGE)
			pr_warn("PID %d (%s): --alert-rss-pct cannot fire: its cgroup %s%s has no "
				"memory limit (%s is unlimited)\n", (int)dt->t.pid, dt->t.comm,
				u->memcg, u->memcg_version == 1 ? " (v1)" : "", file);
		else
			pr_warn("PID %d (%s): --alert-rss-pct cannot fire: no memory limit of its "
				"cgroup can be read (no memory.max in cgroup v2 %s, no v1 memory "
				"controller)\n", (int)dt->t.pid, dt->t.comm,
				u->cgroup[0] ? u->cgroup : "(none)");
		return;
	}
	dt->rss_cannot_said = false; /* a limit set later, then removed, is said again */
	if (gmt_heap_alert_update(&dt->rss, (double)u->rss, thr, dm->o->alert_for_s, now,
				  &above_s)) {
		pr_warn("ALERT PID %d (%s): RSS %llu bytes is %.1f %% of its cgroup's memory limit "
			"%llu (%s%s %s), above %g %% (%llu bytes) for %.1f s: writing a marked "
			"profile set\n", (int)dt->t.pid, dt->t.comm, (unsigned long long)u->rss,
			100.0 * (double)u->rss / (double)u->cgroup_max,
			(unsigned long long)u->cgroup_max, u->memcg_version == 1 ? "v1 " : "", file,
			u->memcg, dm->o->alert_rss_pct, (unsigned long long)thr, above_s);
		write_interval(dm, dt, "alert-rss");
	}
}

static void memory_alerts(struct gmt_daemon *dm, struct dtarget *dt, uint64_t now)
{
	struct gmt_memsnap s;
	struct gmt_diag d = {};

	if (now < dt->next_mem_ns)
		return;
	dt->next_mem_ns = now + MEM_PERIOD_NS;
	/* Gone: the next scan drops it. */
	if (gmt_memsnap_read(dt->t.pid, gmt_session__analysis(dt->s), &s, &d))
		return;
	pr_debug("PID %d: memory read: RSS %llu bytes, cgroup memory limit %llu%s, HeapAlloc "
		 "%llu%s\n", (int)dt->t.pid, (unsigned long long)s.mu.rss,
		 (unsigned long long)s.mu.cgroup_max,
		 s.mu.have_max && !s.mu.cgroup_unlimited ? "" : " (none)",
		 (unsigned long long)s.ms.HeapAlloc,
		 s.r.ms && s.ms.heap_consistent ? "" : " (not read)");
	if (dm->o->alert_heap)
		heap_alert(dm, dt, &s, now);
	if (dm->o->alert_rss_pct > 0)
		rss_alert(dm, dt, &s.mu, now);
}

static void check_alerts(struct gmt_daemon *dm, uint64_t now)
{
	for (size_t i = 0; i < dm->nt; i++) {
		struct dtarget *dt = dm->t[i];

		if (dm->o->alert_pause_ns) {
			uint64_t p = gmt_session__new_max_pause(dt->s);

			if (p > dm->o->alert_pause_ns && !dt->pause_alerted) {
				dt->pause_alerted = true;
				pr_warn("ALERT PID %d (%s): stop-the-world pause of %.3f ms (above "
					"%.3f ms): writing a marked profile set\n",
					(int)dt->t.pid, dt->t.comm, p / 1e6,
					dm->o->alert_pause_ns / 1e6);
				write_interval(dm, dt, "alert-pause");
			}
		}
		if (dm->o->alert_heap || dm->o->alert_rss_pct > 0)
			memory_alerts(dm, dt, now);
	}
}

static void write_all(struct gmt_daemon *dm)
{
	if (dm->o->alert_pause_ns)
		check_alerts(dm, mono_ns()); /* pauses about to move into the interval */
	for (size_t i = 0; i < dm->nt; i++) {
		write_interval(dm, dm->t[i], NULL);
		dm->t[i]->pause_alerted = false;
	}
	apply_retention(dm);
	write_metrics(dm);
	/* What the interval's tables freed goes back to the system (the command sets a fixed
	 * mmap threshold for the same reason, cmd_daemon()). */
	malloc_trim(0);
}

int gmt_daemon__open(const struct gmt_daemon_opts *o, struct gmt_daemon **out,
		     struct gmt_diag *d)
{
	struct gmt_daemon *dm;
	int err;

	*out = NULL;
	dm = calloc(1, sizeof(*dm));
	if (!dm)
		return gmt_diag_set(d, -ENOMEM, "out of memory");
	dm->o = o;
	dm->epfd = -1;
	dm->only_pids = !o->nexes && !o->ncomms;
	if (!o->metrics && !o->no_local)
		snprintf(dm->metrics_path, sizeof(dm->metrics_path), "%s/gomemtrace.prom",
			 o->outdir);
	else if (o->metrics && strcmp(o->metrics, "none") != 0)
		snprintf(dm->metrics_path, sizeof(dm->metrics_path), "%s", o->metrics);
	err = gmt_outdir_prepare(o->outdir, d);
	if (err)
		goto fail;
	err = gmt_retention_clean(o->outdir);
	if (err > 0)
		pr_info("removed %d partial intervals a previous run left in %s\n", err,
			o->outdir);
	if (o->otlp.url) {
		char qdir[4096];
		struct gmt_otlp_queue_stats st;

		snprintf(qdir, sizeof(qdir), "%s/.otlp-queue", o->outdir);
		err = gmt_otlp_queue_open(qdir, o->otlp_queue, &o->otlp, NULL, NULL, &dm->oq, d);
		if (err)
			goto fail;
		gmt_otlp_queue_stats(dm->oq, &st);
		if (st.reloaded)
			pr_info("OTLP: %llu request%s a previous run could not send, sent first\n",
				(unsigned long long)st.reloaded, st.reloaded == 1 ? "" : "s");
	}
	dm->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (dm->epfd < 0) {
		err = gmt_diag_set(d, -errno, "epoll: %s", strerror(errno));
		goto fail;
	}
	dm->bins = gmt_bincache__new(8);
	if (!dm->bins) {
		err = gmt_diag_set(d, -ENOMEM, "out of memory");
		goto fail;
	}
	/* -p targets: one that cannot be traced is said and skipped; the others are served. */
	dm->starting = true;
	for (size_t i = 0; i < o->npids; i++) {
		struct gmt_diag pd = {};
		struct gmt_proc_id id;

		err = gmt_proc_check(o->pids[i], &pd);
		if (!err)
			err = gmt_proc_identity(o->pids[i], &id);
		if (err) {
			pr_err("%s; skipped\n", gmt_diag_msg(&pd, err));
			continue;
		}
		if (add_target(dm, &id) == -ENOMEM) {
			err = gmt_diag_set(d, -ENOMEM, "out of memory");
			goto fail;
		}
	}
	dm->starting = false;
	if (dm->only_pids && !dm->nt) {
		err = gmt_diag_set(d, -ESRCH,
				   "none of the -p targets can be traced, and there is no --exe or "
				   "--comm: nothing to do");
		goto fail;
	}
	if (o->no_local)
		pr_info("daemon: %zu targets by PID, %zu executables, %zu names; a profile set "
			"every %g s sent to %s, no local file (--no-local)\n", o->npids,
			o->nexes, o->ncomms, o->interval_s, o->otlp.url);
	else
		pr_info("daemon: %zu targets by PID, %zu executables, %zu names; a profile set "
			"every %g s into %s/\n", o->npids, o->nexes, o->ncomms, o->interval_s,
			o->outdir);
	dm->next_iv = mono_ns() + (uint64_t)(o->interval_s * 1e9);
	*out = dm;
	return 0;
fail:
	gmt_daemon__free(dm);
	return err;
}

int gmt_daemon__step(struct gmt_daemon *dm, volatile sig_atomic_t *write_now, const char *why)
{
	struct epoll_event evs[16];
	uint64_t now = mono_ns();
	int err;

	if (now >= dm->next_scan) {
		err = scan(dm);
		if (err == -ENOMEM) {
			pr_err("out of memory\n");
			return err;
		}
		dm->next_scan = now + 500000000ULL; /* new processes within a second */
		if (dm->only_pids && !dm->nt) {
			pr_info("no target left\n");
			return 1;
		}
	}
	epoll_wait(dm->epfd, evs, 16, 100);
	for (size_t i = 0; i < dm->nt; i++) {
		err = gmt_session__poll(dm->t[i]->s, 0);
		if (err < 0) {
			/* This target only: the others are served on. */
			pr_err("PID %d: %s\n", (int)dm->t[i]->t.pid,
			       err == -ENOMEM ? "out of memory" : strerror(-err));
			drop_target(dm, i, "cannot be traced on");
			i--;
		}
	}
	now = mono_ns();
	if (dm->o->alert_heap || dm->o->alert_rss_pct > 0 || dm->o->alert_pause_ns)
		check_alerts(dm, now);
	if ((write_now && *write_now) || now >= dm->next_iv) {
		if (write_now && *write_now)
			pr_info("%s: writing the current intervals\n", why);
		if (write_now)
			*write_now = 0;
		write_all(dm);
		dm->next_iv = now + (uint64_t)(dm->o->interval_s * 1e9);
	}
	return 0;
}

void gmt_daemon__finish(struct gmt_daemon *dm, const char *why)
{
	if (why)
		pr_info("%s: writing the last intervals, restoring the targets and detaching\n",
			why);
	/* Probes off and rates restored first, for every target, then the outputs. */
	for (size_t i = 0; i < dm->nt; i++)
		gmt_session__stop(dm->t[i]->s);
	write_all(dm);
	if (dm->oq) {
		struct gmt_otlp_queue_stats st;

		/* The last intervals go now if the Collector takes them; else the next run's. */
		gmt_otlp_queue_drain(dm->oq, 10);
		write_metrics(dm); /* with the figures after the drain */
		gmt_otlp_queue_stats(dm->oq, &st);
		pr_info("OTLP: %llu request%s sent, %llu failed tr%s, %llu dropped (queue full), "
			"%llu left for the next run in %s/.otlp-queue\n",
			(unsigned long long)st.sent, st.sent == 1 ? "" : "s",
			(unsigned long long)st.failures, st.failures == 1 ? "y" : "ies",
			(unsigned long long)st.dropped, (unsigned long long)st.queued,
			dm->o->outdir);
	}
}

size_t gmt_daemon__ntargets(const struct gmt_daemon *dm)
{
	return dm->nt;
}

void gmt_daemon__free(struct gmt_daemon *dm)
{
	if (!dm)
		return;
	while (dm->nt)
		free_target(dm->t[--dm->nt]);
	free(dm->t);
	free(dm->skip);
	gmt_bincache__free(dm->bins);
	gmt_otlp_queue_free(dm->oq);
	if (dm->epfd >= 0)
		close(dm->epfd);
	free(dm);
}
