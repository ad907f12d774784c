/* SPDX-License-Identifier: MIT */
/*
 * Finding the daemon's targets in /proc: which processes run a given executable or carry
 * a given name.  Each comes with its identity (proc.h), which tells a PID reused by
 * another program, or a process that exec'd another binary, from the one found before.
 * Nothing here needs a kernel beyond /proc; unit-tested on live processes.
 */
#ifndef GMT_PROCSCAN_H
#define GMT_PROCSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proc.h"

/* What selects targets.  An exe is compared by device and inode, stat'ed at each scan,
 * so that a binary replaced by a deploy is followed to its new file. */
struct gmt_proc_match {
	const pid_t *pids;
	size_t npids;
	const char *const *exes;
	size_t nexes;
	const char *const *comms; /* compared with the kernel's 15-character comm */
	size_t ncomms;
};

/* Whether id matches m; exe_ids holds (dev, ino) of m->exes, 0/0 for a missing file. */
bool gmt_proc_matches(const struct gmt_proc_match *m, const uint64_t (*exe_ids)[2],
		      const struct gmt_proc_id *id);

/*
 * Calls cb for every process of /proc that matches m (not for self_pid); stops at and
 * returns cb's first non-zero result.  Processes that vanish meanwhile are skipped.
 */
int gmt_proc_scan(const struct gmt_proc_match *m, pid_t self_pid,
		  int (*cb)(void *ctx, const struct gmt_proc_id *id), void *ctx);

#endif
