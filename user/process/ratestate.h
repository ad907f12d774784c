/* SPDX-License-Identifier: MIT */
/*
 * What sampled mode wrote into a target, on disk, so that it can be undone when
 * gomemtrace itself cannot: a gomemtrace that is SIGKILLed loses its probes (the kernel
 * drops them with its file descriptors) but leaves runtime.MemProfileRate raised.  The
 * state file is written before the target is modified and removed once the original
 * value is back.  It is also the lock that keeps two gomemtrace from writing the same
 * target's rate: it is created with O_EXCL and names the gomemtrace that owns it.
 *
 * One file per target process: DIR/PID-STARTTIME.json, DIR being $GMT_STATE_DIR or
 * /run/gomemtrace (mode 0700).  The target's start time (field 22 of /proc/PID/stat)
 * and executable (device, inode): its identity (proc.h), which tells a reused PID or an
 * exec'd process from the one that was written to.
 */
#ifndef GMT_RATESTATE_H
#define GMT_RATESTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "diag.h"
#include "proc.h"

#define GMT_STATE_DIR_DEFAULT "/run/gomemtrace"

struct gmt_ratestate {
	struct gmt_proc_id target;
	struct gmt_proc_id tracer; /* the gomemtrace that wrote the rate (no executable) */
	uint64_t addr;		   /* runtime address of runtime.MemProfileRate */
	int64_t original;	   /* its value before */
	int64_t written;	   /* what gomemtrace wrote */
};

const char *gmt_ratestate_dir(void);
void gmt_ratestate__path(const struct gmt_proc_id *target, char *buf, size_t len);
/* O_EXCL: -EEXIST when the target already has a state file. */
int gmt_ratestate__create(const struct gmt_ratestate *s, struct gmt_diag *d);
int gmt_ratestate__load(const char *path, struct gmt_ratestate *s, struct gmt_diag *d);
/* Text form (what the file holds) and its parser: the unit-testable part. */
int gmt_ratestate__format(const struct gmt_ratestate *s, char *buf, size_t len);
int gmt_ratestate__parse(const char *text, struct gmt_ratestate *s);
void gmt_ratestate__remove(const struct gmt_ratestate *s);

/*
 * Undoes what s records, if the target is still the process it names: writes the
 * original rate back when the word still holds the written one (GMT_GUARD_WROTE,
 * wordguard.h), leaves a value the program stored since (GMT_GUARD_LEFT, *seen), -ESRCH
 * when the process is gone or is another one now.  Does not remove the file.
 */
int gmt_ratestate__undo(const struct gmt_ratestate *s, int64_t *seen, struct gmt_diag *d);

/*
 * Sampled mode, before the target's rate is read: a state file for target left by a
 * gomemtrace that is gone is undone and removed (*undone: its gmt_ratestate__undo()
 * result, or GMT_GUARD_NOOP when there was none, with *found the file's contents);
 * one owned by a live gomemtrace gives -EBUSY and a message naming it.
 */
int gmt_ratestate__check(const struct gmt_proc_id *target, struct gmt_ratestate *found,
			 int *undone, struct gmt_diag *d);

#endif
