/* SPDX-License-Identifier: MIT */
/*
 * One process as /proc shows it: who it is, what state it is in, and when it counts as
 * gone.  Every part of gomemtrace that names a process (the traced target, the daemon's
 * targets and skip list, the MemProfileRate state file and its owner) uses these.
 *
 * Identity: the PID, the start time (/proc/PID/stat field 22, clock ticks after boot)
 * and the device and inode of the executable (/proc/PID/exe).  A PID reused by another
 * program has another start time; a process that exec'd another binary has another
 * executable.
 *
 * The zombie/exec rule: a process whose /proc/PID/stat cannot be read, or whose state
 * is Z (zombie) or X (dead), is gone: its address space is.  A process that is not gone
 * but has no /proc/PID/exe is a kernel thread, or one in the middle of an exec (between
 * its new address space and its new executable; an exec by a thread other than the
 * leader even shows the leader as a zombie for a moment, see target.c).  Exec'd: the
 * same PID and start time, another executable.
 *
 * Nothing here needs a kernel beyond /proc; unit-tested on strings and live processes.
 */
#ifndef GMT_PROC_H
#define GMT_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "diag.h"

struct gmt_proc_id {
	pid_t pid;
	uint64_t start_time;	   /* clock ticks after boot */
	uint64_t exe_dev, exe_ino; /* of /proc/PID/exe; 0 when unknown */
	char comm[16];		   /* the kernel's name of it, 15 characters at most */
};

/* The fields of /proc/PID/stat that gomemtrace reads. */
struct gmt_proc_stat {
	char comm[16];	     /* between the first '(' and the last ')', cut to 15 */
	char state;	     /* R, S, D, T, t, Z, X, I, ... */
	uint64_t start_time; /* field 22 */
};

/*
 * Parses the contents of /proc/PID/stat: comm (between the first '(' and the last ')',
 * which may hold spaces and parentheses), the state and the start time.  -EINVAL when
 * malformed.
 */
int gmt_proc_parse_stat(const char *buf, struct gmt_proc_stat *st);
/* Reads and parses /proc/PID/stat: -ESRCH when there is none (or it reads empty). */
int gmt_proc_read_stat(pid_t pid, struct gmt_proc_stat *st);
/* The rule above: Z and X are gone. */
bool gmt_proc_state_gone(char state);
/* Is pid gone (no stat, or a zombie)? */
bool gmt_proc_gone(pid_t pid);

/* Device and inode of /proc/PID/exe: 0 or -errno of stat() (ENOENT: none). */
int gmt_proc_exe_id(pid_t pid, uint64_t *dev, uint64_t *ino);

/*
 * The identity of pid: 0 with every field; -ESRCH when it is gone (no such process, a
 * zombie), -EINVAL for a stat that does not parse.  Without the executable's identity:
 * -ENOEXEC when it has no executable (a kernel thread, or in the middle of an exec),
 * -EACCES or -EPERM when we may not look at it; then pid, start time and comm are filled
 * and exe_dev, exe_ino are 0.
 */
int gmt_proc_identity(pid_t pid, struct gmt_proc_id *id);

/*
 * The same process: same PID and start time, and the same executable when both know
 * theirs (exe_ino != 0; the state file does not record its owner's).
 */
bool gmt_proc_same(const struct gmt_proc_id *a, const struct gmt_proc_id *b);
/* Is the process id names still there, and still the same one? */
bool gmt_proc_alive(const struct gmt_proc_id *id);

/*
 * Checks that pid exists and has an executable we can read, before anything is done to
 * it: 0, or -ESRCH, -ENOEXEC, -EACCES with a one-line reason that names what is missing
 * (a hidepid= /proc hides existing processes: said as such).
 */
int gmt_proc_check(pid_t pid, struct gmt_diag *d);

#endif
