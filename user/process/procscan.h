/* SPDX-License-Identifier: MIT */
/*
 * Finding the daemon's targets in /proc: which processes run a given executable or carry
 * a given name, and whether a PID still names the process it named before.  A process is
 * identified by its start time (/proc/PID/stat field 22, in clock ticks since boot) and
 * the device and inode of its executable: a PID reused by another program, or a process
 * that exec'd another binary, no longer matches.
 * Nothing here needs a kernel beyond /proc; unit-tested on strings and live processes.
 */
#ifndef GMT_PROCSCAN_H
#define GMT_PROCSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct gmt_proc_id {
	pid_t pid;
	uint64_t start_time; /* clock ticks after boot */
	uint64_t exe_dev, exe_ino;
	char comm[16];
};

/*
 * Parses the contents of /proc/PID/stat: comm (between the first '(' and the last ')',
 * which may hold spaces and parentheses) and the start time.  -EINVAL when malformed.
 */
int gmt_parse_proc_stat(const char *buf, char comm[16], uint64_t *start_time);

/* The identity of a live process: -ESRCH when it is gone, -ENOEXEC without an executable
 * (kernel threads, zombies), -EACCES when we may not look. */
int gmt_proc_identity(pid_t pid, struct gmt_proc_id *id);

/* Same process: same PID, start time and executable. */
bool gmt_proc_same(const struct gmt_proc_id *a, const struct gmt_proc_id *b);

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
