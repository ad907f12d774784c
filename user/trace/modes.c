// SPDX-License-Identifier: MIT
/* What each way of tracing can do with a binary, for `info` (modes.h). */
#include "modes.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gc_session.h"
#include "gobin.h"
#include "gor_session.h"
#include "memrate.h"
#include "tracer.h"

int gmt_session_check_modes(const struct gmt_gobin *gb, const struct gmt_hookplan *plan,
			    struct gmt_mode_check m[GMT_MODE__COUNT])
{
	static const char *const names[] = { "exact", "sampled", "gc", "goroutines" };
	struct gmt_memrate_vars mv;

	for (int i = 0; i < GMT_MODE__COUNT; i++) {
		struct gmt_diag d = {};
		int err;

		memset(&m[i], 0, sizeof(m[i]));
		m[i].name = names[i];
		/* In the order gmt_session__open() meets them, so the first error is its own. */
		switch (i) {
		case GMT_MODE_EXACT:
			err = gmt_tracer_check(plan, true, false, gmt_gobin__minor(gb), &d);
			break;
		case GMT_MODE_SAMPLED:
			err = gmt_memrate_find(gb, 0, &mv, &d);
			if (!err)
				err = gmt_tracer_check(plan, false, true, gmt_gobin__minor(gb), &d);
			break;
		case GMT_MODE_GC:
			err = gmt_gc_session_check(gb, plan, m[i].unavailable,
						   sizeof(m[i].unavailable), &d);
			break;
		default:
			err = gmt_gor_session_check(gb, plan, m[i].unavailable,
						    sizeof(m[i].unavailable), &d);
			break;
		}
		if (err == -ENOMEM)
			return err;
		m[i].works = !err;
		if (err)
			snprintf(m[i].why, sizeof(m[i].why), "%s", gmt_diag_msg(&d, err));
	}
	return 0;
}
