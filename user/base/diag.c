// SPDX-License-Identifier: MIT
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int gmt_diag_set(struct gmt_diag *d, int err, const char *fmt, ...)
{
	va_list ap;

	if (!d)
		return err;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	return err;
}

const char *gmt_diag_msg(const struct gmt_diag *d, int err)
{
	if (d && d->msg[0])
		return d->msg;
	return strerror(err < 0 ? -err : err);
}
