// SPDX-License-Identifier: MIT
#include "trace_opts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "bpfobj.h"
#include "gomemtrace.h"
#include "log.h"
#include "options.h"
#include "preflight.h"
#include "recorder.h"

int gmt_trace_parse_opt(int c, const char *arg, struct gmt_session_opts *o, const char *usage)
{
	uint64_t v;

	switch (c) {
	case GMT_OPT_RATE:
		/* 1 samples every allocation; past 2^40 hardly anything is sampled. */
		if (gmt_parse_u64(arg, 1, 1ULL << 40, &v)) {
			pr_err("--rate takes bytes from 1 to 2^40\n");
			return 2;
		}
		o->rate = v;
		return 0;
	case GMT_OPT_NO_WRITE:
		o->no_write_target = true;
		return 0;
	case GMT_OPT_DEPTH:
		if (gmt_parse_u64(arg, 1, GMT_MAX_STACK, &v)) {
			pr_err("--max-depth takes 1 to %d\n", GMT_MAX_STACK);
			return 2;
		}
		o->max_depth = v;
		return 0;
	case GMT_OPT_RINGBUF:
		if (gmt_parse_u64(arg, 1, 1024, &v) || (v & (v - 1))) {
			pr_err("--ringbuf-mb takes a power of two from 1 to 1024\n");
			return 2;
		}
		o->ringbuf_mb = v;
		return 0;
	case GMT_OPT_NO_GC:
		o->no_gc = true;
		return 0;
	case GMT_OPT_GOROUTINES:
		o->goroutines = true;
		return 0;
	case GMT_OPT_UMASK: {
		char *end;

		errno = 0;
		v = strtoull(arg, &end, 8);
		if (errno || end == arg || *end || v > 0777) {
			pr_err("--umask takes an octal mask from 0 to 0777\n");
			return 2;
		}
		gmt_recorder_set_umask((mode_t)v);
		return 0;
	}
	case GMT_OPT_BTF:
		o->btf = arg;
		return 0;
	case GMT_OPT_RUNTIME_FRAMES:
		o->runtime_frames = true;
		return 0;
	case GMT_OPT_FOLDED_MAX:
		if (gmt_parse_u64(arg, 0, 1 << 20, &v)) {
			pr_err("--folded-max-mb takes 0 (no bound) to 1048576\n");
			return 2;
		}
		o->folded_max_mb = v;
		return 0;
	case 'v':
		gmt_log_set_level(GMT_LOG_DEBUG);
		return 0;
	case 'q':
		gmt_log_set_level(GMT_LOG_ERROR);
		return 0;
	default:
		fputs(usage, stderr);
		return 2;
	}
}

int gmt_trace_preflight(const struct gmt_session_opts *o, struct gmt_diag *d)
{
	int err = gmt_preflight(o->btf, d);

	return err ? err : gmt_bpfobj_check_btf(gmt_btf_path(o->btf), d);
}
