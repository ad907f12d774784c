/* SPDX-License-Identifier: MIT */
/*
 * The traced process: started by us (held at its first instruction until the probes
 * are in place) or attached to by PID.  Nothing is written into it here.
 */
#ifndef GMT_TARGET_H
#define GMT_TARGET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "diag.h"
#include "proc.h"


struct gmt_target {
	pid_t pid;
	struct gmt_proc_id id; /* who it was when attached or launched (proc.h) */
	bool launched;	   /* we started it (and are its parent) */
	bool running;	   /* released / not stopped by us */
	bool exited;
	int exit_status;   /* as a shell reports it: code, or 128 + signal */
	int pidfd;	   /* readable when the process exits; -1 if unsupported */
	char comm[16];	   /* id.comm, or "pidN" when it has no name: for names and messages */
	char exe[64];	   /* "/proc/PID/exe": stable across container/deleted files */
	char path[4096];   /* what that link names, for people */
	bool execd;	   /* it exec'd another program (gmt_target__execd()) */
};

/*
 * Starts argv[0] (PATH lookup) stopped right after exec, so probes can be attached
 * before it runs a single instruction.  -ENOENT etc. with a message when it cannot run.
 */
int gmt_target__launch(char *const argv[], struct gmt_target *t, struct gmt_diag *d);
/* Lets a launched target run. */
int gmt_target__release(struct gmt_target *t, struct gmt_diag *d);
/*
 * Has the process exec'd another program since it was attached to or launched (its
 * executable is not t->id's any more, proc.h)?  Its probes then no longer fire (they
 * are on the old executable) and what was written into its memory is gone with the old
 * image.  Sets t->execd.
 */
bool gmt_target__execd(struct gmt_target *t);
/* Checks that pid exists and is a user process we may trace (gmt_proc_check()). */
int gmt_target__attach(pid_t pid, struct gmt_target *t, struct gmt_diag *d);
/* Non-blocking: true once the process has exited (reaps it if we launched it). */
bool gmt_target__poll_exit(struct gmt_target *t);
/* Kills a launched target that has not been released (an error during setup). */
void gmt_target__abort(struct gmt_target *t);
/*
 * A message about t's "/proc/PID/exe" names the program the user knows instead:
 * "PATH (PID N)...", PATH being what the link pointed to when t was attached.
 */
void gmt_target__name_exe(const struct gmt_target *t, struct gmt_diag *d);
void gmt_target__close(struct gmt_target *t);

#endif
