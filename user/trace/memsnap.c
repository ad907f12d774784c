// SPDX-License-Identifier: MIT
#include "memsnap.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "analysis.h"
#include "memstats.h"
#include "memusage.h"
#include "out_memory.h"
#include "procmaps.h"
#include "procmem.h"
#include "recorder.h"

static int w_memory(FILE *f, void *arg)
{
	return gmt_write_memory_json(f, arg);
}

int gmt_memsnap_write(pid_t pid, const struct gmt_analysis *a, const char *dir, const char *name,
		      FILE *out, struct gmt_diag *d)
{
	struct gmt_memstats_addrs ad = {};
	struct gmt_procmem *pm = NULL;
	struct gmt_diag rd = {};
	struct gmt_memusage mu;
	struct gmt_memstats ms;
	struct timespec ts;
	char why[300] = "";
	uint64_t bias = 0;
	struct gmt_memory_report r = { .pid = pid, .go_version = a->rel.name, .mu = &mu };
	int err;

	if (gmt_memusage_read("/proc", "/sys/fs/cgroup", pid, &mu))
		return gmt_diag_set(d, -ESRCH, "PID %d is gone", (int)pid);
	if (!clock_gettime(CLOCK_REALTIME, &ts))
		r.time_unix_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	ad.memstats = a->gc.memstats;
	ad.gc_controller = a->gc.gc_controller;
	ad.allp = a->heap.allp;
	if (!ad.memstats || !ad.gc_controller) {
		snprintf(why, sizeof(why), "%s", !ad.memstats ? a->gc.why_numgc
							      : a->gc.why_controller);
	} else {
		err = gmt_proc_exe_bias(a->gb, pid, &bias, &rd);
		if (!err)
			err = gmt_procmem__open(pid, 0, &pm, &rd);
		if (!err) {
			struct gmt_rmem mem = gmt_procmem__rmem(pm);

			ad.memstats += bias;
			ad.gc_controller += bias;
			if (ad.allp)
				ad.allp += bias;
			err = gmt_memstats_read(&mem, gmt_analysis__row(a), &ad, &ms);
			if (err == -ESRCH) {
				gmt_procmem__close(pm);
				return gmt_diag_set(d, err, "PID %d is gone", (int)pid);
			}
			if (err)
				snprintf(why, sizeof(why), "the runtime's memory statistics do not "
					 "read (%s)", strerror(-err));
		} else {
			snprintf(why, sizeof(why), "%s", rd.msg);
		}
		gmt_procmem__close(pm);
		if (!err)
			r.ms = &ms;
	}
	r.ms_why = why;
	err = gmt_write_file_atomic(dir, name, w_memory, &r, d);
	if (err)
		return err;
	if (out)
		gmt_print_memory(out, &r);
	return 0;
}
