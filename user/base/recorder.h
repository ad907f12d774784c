/* SPDX-License-Identifier: MIT */
/* Writing a recording's output directory: files appear whole or not at all. */
#ifndef GMT_RECORDER_H
#define GMT_RECORDER_H

#include <stdio.h>
#include <sys/types.h>

#include "diag.h"

/*
 * Output files are created with mode 0666 & ~mask and directories 0777 & ~mask: the
 * default mask, 077, keeps them to their owner (profiles name the traced service's
 * functions and source paths).  --umask sets another; the process umask is not used,
 * so that a command gomemtrace launches keeps its own.
 */
#define GMT_OUT_UMASK_DEFAULT 077
void gmt_recorder_set_umask(mode_t mask);

/* Creates dir (mode 0700 by default) if needed; checks that it is a writable directory. */
int gmt_outdir_prepare(const char *dir, struct gmt_diag *d);

/*
 * Writes dir/name through a temporary file and a rename, so that a reader (or a crash)
 * never sees half a file.  write() returns 0 or a negative errno.
 */
int gmt_write_file_atomic(const char *dir, const char *name,
			  int (*write)(FILE *f, void *ctx), void *ctx, struct gmt_diag *d);
/* The same with the file's mode given, not from the output mask. */
int gmt_write_file_atomic_mode(const char *dir, const char *name, mode_t mode,
			       int (*write)(FILE *f, void *ctx), void *ctx, struct gmt_diag *d);

#endif
