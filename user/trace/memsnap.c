// SPDX-License-Identifier: MIT
#include "memsnap.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "analysis.h"
#include "procmaps.h"
#include "procmem.h"
#include "recorder.h"

static int w_memory(FILE *f, void *arg)
{
	return gmt_write_memory_json(f, arg);
}

/* The runtime's figures: 0, -ESRCH (gone), or another error with s->why set. */
static int read_runtime(pid_t pid, const struct gmt_analysis *a, struct gmt_memsnap *s)
{
	struct gmt_memstats_addrs ad = { a->gc.memstats, a->gc.gc_controller, a->heap.allp };
	struct gmt_procmem *pm = NULL;
	struct gmt_diag rd = {};
	uint64_t bias = 0;
	int err;

	if (!ad.memstats || !ad.gc_controller) {
		snprintf(s->why, sizeof(s->why), "%s",
			 !ad.memstats ? a->gc.why_numgc : a->gc.why_controller);
		return -ENOENT;
	}
	err = gmt_proc_exe_bias(a->gb, pid, &bias, &rd);
	if (!err)
		err = gmt_procmem__open(pid, 0, &pm, &rd);
	if (err) {
		snprintf(s->why, sizeof(s->why), "%s", rd.msg);
		return err;
	}
	ad.memstats += bias;
	ad.gc_controller += bias;
	if (ad.allp)
		ad.allp += bias;
	{
		struct gmt_rmem mem = gmt_procmem__rmem(pm);

		err = gmt_memstats_read(&mem, gmt_analysis__row(a), &ad, &s->ms);
	}
	gmt_procmem__close(pm);
	if (err)
		snprintf(s->why, sizeof(s->why), "the runtime's memory statistics do not read (%s)",
			 strerror(-err));
	return err;
}

int gmt_memsnap_read(pid_t pid, const struct gmt_analysis *a, struct gmt_memsnap *s,
		     struct gmt_diag *d)
{
	struct timespec ts;
	int err;

	memset(s, 0, sizeof(*s));
	s->r = (struct gmt_memory_report){ .pid = pid, .go_version = a->rel.name, .mu = &s->mu,
					   .ms_why = s->why };
	if (gmt_memusage_read("/proc", "/sys/fs/cgroup", pid, &s->mu))
		return gmt_diag_set(d, -ESRCH, "PID %d is gone", (int)pid);
	if (!clock_gettime(CLOCK_REALTIME, &ts))
		s->r.time_unix_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	err = read_runtime(pid, a, s);
	if (err == -ESRCH)
		return gmt_diag_set(d, err, "PID %d is gone", (int)pid);
	if (!err)
		s->r.ms = &s->ms;
	return 0;
}

int gmt_memsnap_write(const struct gmt_memsnap *s, const char *dir, const char *name, FILE *out,
		      struct gmt_diag *d)
{
	/* The report points into s: its copy must point into s as well. */
	struct gmt_memory_report r = s->r;
	int err;

	r.mu = &s->mu;
	r.ms = s->r.ms ? &s->ms : NULL;
	r.ms_why = s->why;
	err = gmt_write_file_atomic(dir, name, w_memory, &r, d);
	if (!err && out)
		gmt_print_memory(out, &r);
	return err;
}
