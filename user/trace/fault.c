// SPDX-License-Identifier: MIT
#include "fault.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int gmt_fault(const char *step, pid_t pid, struct gmt_diag *d)
{
	const char *f = getenv("GMT_FAULT");
	size_t n = strlen(step);

	while (f && *f) {
		const char *end = f + strcspn(f, ",");

		if ((size_t)(end - f) >= n && !strncmp(f, step, n) &&
		    (f + n == end || (f[n] == '@' && atoi(f + n + 1) == (int)pid)))
			return gmt_diag_set(d, -EIO, "GMT_FAULT: injected failure at step %s",
					    step);
		f = *end ? end + 1 : end;
	}
	return 0;
}
