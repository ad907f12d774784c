/* SPDX-License-Identifier: MIT */
/* Writing a recording's output directory: files appear whole or not at all. */
#ifndef GMT_RECORDER_H
#define GMT_RECORDER_H

#include <stdio.h>

#include "diag.h"

/* Creates dir (mode 0700) if needed; checks that it is a writable directory. */
int gmt_outdir_prepare(const char *dir, struct gmt_diag *d);

/*
 * Writes dir/name through a temporary file and a rename, so that a reader (or a crash)
 * never sees half a file.  write() returns 0 or a negative errno.
 */
int gmt_write_file_atomic(const char *dir, const char *name,
			  int (*write)(FILE *f, void *ctx), void *ctx, struct gmt_diag *d);

#endif
