// SPDX-License-Identifier: MIT
#include "out_memory.h"

#include <errno.h>
#include <time.h>

#include "json_writer.h"

#define MIB(x) ((double)(x) / (1 << 20))

/* A figure, or null when it was not read. */
static void opt_u64(struct gmt_json *j, const char *k, bool have, uint64_t v)
{
	gmt_json__key(j, k);
	if (have)
		gmt_json__uint(j, v);
	else
		gmt_json__null(j);
}

static void process_json(struct gmt_json *j, const struct gmt_memusage *u)
{
	gmt_json__key(j, "process");
	gmt_json__obj_begin(j);
	opt_u64(j, "rss_bytes", u->have_rss, u->rss);
	gmt_json__kstr(j, "cgroup", u->cgroup);
	/* The container the cgroup names (docker-ID.scope, /docker/ID, ...), or null. */
	gmt_json__key(j, "container_id");
	if (u->container_id[0])
		gmt_json__str(j, u->container_id);
	else
		gmt_json__null(j);
	/* Where the two figures below come from: the v2 cgroup, or v1's memory controller. */
	gmt_json__kstr(j, "memory_cgroup", u->memcg);
	gmt_json__key(j, "memory_cgroup_version");
	if (u->memcg_version)
		gmt_json__uint(j, (uint64_t)u->memcg_version);
	else
		gmt_json__null(j);
	opt_u64(j, "cgroup_memory_current", u->have_current, u->cgroup_current);
	/* "max" as the kernel writes it: no limit. */
	gmt_json__key(j, "cgroup_memory_max");
	if (!u->have_max)
		gmt_json__null(j);
	else if (u->cgroup_unlimited)
		gmt_json__str(j, "max");
	else
		gmt_json__uint(j, u->cgroup_max);
	gmt_json__obj_end(j);
}

/* Figures of the heap counters (null when they never read consistently). */
static void heap_u64(struct gmt_json *j, const struct gmt_memstats *s, const char *k, uint64_t v)
{
	opt_u64(j, k, s->heap_consistent, v);
}

/* Figures of the controller (null when the release has no such fields). */
static void sys_u64(struct gmt_json *j, const struct gmt_memstats *s, const char *k, uint64_t v)
{
	opt_u64(j, k, s->have_heap_sys, v);
}

static void runtime_json(struct gmt_json *j, const struct gmt_memstats *s)
{
	gmt_json__key(j, "runtime");
	gmt_json__obj_begin(j);
	gmt_json__kint(j, "GOGC", s->GOGC);
	gmt_json__kint(j, "GOMEMLIMIT", s->GOMEMLIMIT);
	heap_u64(j, s, "HeapAlloc", s->HeapAlloc);
	heap_u64(j, s, "TotalAlloc", s->TotalAlloc);
	heap_u64(j, s, "HeapObjects", s->HeapObjects);
	heap_u64(j, s, "Mallocs", s->Mallocs);
	heap_u64(j, s, "Frees", s->Frees);
	sys_u64(j, s, "HeapInuse", s->HeapInuse);
	sys_u64(j, s, "HeapIdle", s->HeapIdle);
	sys_u64(j, s, "HeapReleased", s->HeapReleased);
	sys_u64(j, s, "HeapSys", s->HeapSys);
	opt_u64(j, "NextGC", s->next_gc_known, s->NextGC);
	if (!s->next_gc_known)
		gmt_json__kstr(j, "NextGC_unavailable", s->next_gc_why);
	heap_u64(j, s, "StackInuse", s->StackInuse);
	heap_u64(j, s, "StackSys", s->StackSys);
	gmt_json__kuint(j, "MSpanSys", s->MSpanSys);
	gmt_json__kuint(j, "MCacheSys", s->MCacheSys);
	gmt_json__kuint(j, "BuckHashSys", s->BuckHashSys);
	heap_u64(j, s, "GCSys", s->GCSys);
	gmt_json__kuint(j, "OtherSys", s->OtherSys);
	opt_u64(j, "Sys", s->heap_consistent && s->have_heap_sys, s->Sys);
	gmt_json__kuint(j, "NumGC", s->NumGC);
	gmt_json__kuint(j, "NumForcedGC", s->NumForcedGC);
	gmt_json__kuint(j, "LastGC", s->LastGC);
	gmt_json__kuint(j, "PauseTotalNs", s->PauseTotalNs);
	/* How the heap figures were read: the race rule, and the per-P caches. */
	gmt_json__kbool(j, "heap_consistent", s->heap_consistent);
	gmt_json__kint(j, "heap_reads", s->tries);
	/* What the heap figures may be short by: objects allocated while read (0: exact). */
	opt_u64(j, "heap_uncertainty_bytes", s->heap_uncertainty != UINT64_MAX,
		s->heap_uncertainty);
	gmt_json__kbool(j, "per_p_cached_spans_included", s->per_p_included);
	if (!s->heap_consistent)
		gmt_json__kstr(j, "heap_inconsistent",
			       "the runtime's heap counters moved too much while they were read "
			       "(heap_uncertainty_bytes over 1 % of the heap): HeapAlloc, "
			       "TotalAlloc, HeapObjects, Stack*, GCSys and Sys left out");
	else if (!s->per_p_included)
		gmt_json__kstr(j, "excludes",
			       "HeapAlloc, TotalAlloc and HeapObjects exclude the objects allocated "
			       "from spans cached per P since their last flush (runtime.allp not "
			       "found)");
	gmt_json__obj_end(j);
}

int gmt_write_memory_json(FILE *f, const struct gmt_memory_report *r)
{
	struct gmt_json *j = gmt_json__new(f, true);

	if (!j)
		return -ENOMEM;
	gmt_json__obj_begin(j);
	gmt_json__kint(j, "pid", r->pid);
	gmt_json__kstr(j, "go_version", r->go_version ? r->go_version : "");
	gmt_json__kuint(j, "time_unix_ns", r->time_unix_ns);
	process_json(j, r->mu);
	if (r->ms)
		runtime_json(j, r->ms);
	else
		gmt_json__kstr(j, "runtime_unavailable", r->ms_why ? r->ms_why : "");
	gmt_json__obj_end(j);
	return gmt_json__free(j);
}

void gmt_print_memory(FILE *out, const struct gmt_memory_report *r)
{
	const struct gmt_memusage *u = r->mu;
	const struct gmt_memstats *s = r->ms;

	fprintf(out, "memory of PID %d:\n", (int)r->pid);
	if (u->have_rss)
		fprintf(out, "  RSS %.1f MiB", MIB(u->rss));
	else
		fprintf(out, "  RSS unknown");
	if (u->have_current && u->have_max && !u->cgroup_unlimited && u->cgroup_max)
		fprintf(out, "; cgroup%s %s: memory.current %.1f MiB of memory.max %.1f MiB "
			"(%.0f %%)", u->memcg_version == 1 ? " (v1)" : "", u->memcg,
			MIB(u->cgroup_current), MIB(u->cgroup_max),
			100.0 * (double)u->cgroup_current / (double)u->cgroup_max);
	else if (u->have_current)
		fprintf(out, "; cgroup%s %s: memory.current %.1f MiB, no memory.max",
			u->memcg_version == 1 ? " (v1)" : "", u->memcg, MIB(u->cgroup_current));
	fprintf(out, "\n");
	if (!s) {
		fprintf(out, "  runtime figures unavailable: %s\n", r->ms_why ? r->ms_why : "");
		return;
	}
	fprintf(out, "  GOGC %s%d, GOMEMLIMIT ", s->GOGC < 0 ? "off " : "", (int)s->GOGC);
	if (s->GOMEMLIMIT == INT64_MAX)
		fprintf(out, "none\n");
	else
		fprintf(out, "%.1f MiB\n", MIB(s->GOMEMLIMIT));
	if (s->heap_consistent)
		fprintf(out, "  HeapAlloc %.1f MiB in %llu objects%s, StackInuse %.1f MiB, "
			     "GCSys %.1f MiB\n",
			MIB(s->HeapAlloc), (unsigned long long)s->HeapObjects,
			s->per_p_included ? "" : " (without per-P cached spans)",
			MIB(s->StackInuse), MIB(s->GCSys));
	else
		fprintf(out, "  heap counters moved too much while read: not given\n");
	if (s->heap_consistent && s->heap_uncertainty)
		fprintf(out, "  (allocating fast: the heap figures may miss up to %.1f KiB "
			     "allocated while they were read)\n",
			(double)s->heap_uncertainty / 1024);
	if (s->have_heap_sys)
		fprintf(out, "  HeapInuse %.1f MiB, HeapIdle %.1f MiB, HeapReleased %.1f MiB\n",
			MIB(s->HeapInuse), MIB(s->HeapIdle), MIB(s->HeapReleased));
	if (s->next_gc_known)
		fprintf(out, "  NextGC (heap goal) %.1f MiB\n", MIB(s->NextGC));
	else
		fprintf(out, "  NextGC unavailable: %s\n", s->next_gc_why);
	fprintf(out, "  NumGC %u", s->NumGC);
	if (s->LastGC && r->time_unix_ns >= s->LastGC)
		fprintf(out, ", last %.1f s ago", (double)(r->time_unix_ns - s->LastGC) / 1e9);
	fprintf(out, ", PauseTotalNs %.3f ms\n", (double)s->PauseTotalNs / 1e6);
}
