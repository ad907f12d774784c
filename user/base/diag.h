/* SPDX-License-Identifier: MIT */
/*
 * A small error-message carrier.  Library functions return negative errno; when the
 * caller passes a struct gmt_diag they also leave a one-line human explanation in it.
 * The caller decides whether and how to print it.
 */
#ifndef GMT_DIAG_H
#define GMT_DIAG_H

#include <stddef.h>

struct gmt_diag {
	char msg[256];
};

/* Records a formatted message (if d != NULL) and returns err, which must be negative. */
int gmt_diag_set(struct gmt_diag *d, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The recorded message, or strerror(-err) when none was recorded. */
const char *gmt_diag_msg(const struct gmt_diag *d, int err);

#endif
