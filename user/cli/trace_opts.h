/* SPDX-License-Identifier: MIT */
/*
 * The tracing options record and daemon share, parsed in one place (their getopt_long
 * codes, the struct option rows, the parser of one of them), and what both check
 * before anything is started.
 */
#ifndef GMT_TRACE_OPTS_H
#define GMT_TRACE_OPTS_H

#include <getopt.h>

#include "diag.h"
#include "session.h"

enum gmt_trace_opt {
	GMT_OPT_RATE = 512,
	GMT_OPT_NO_WRITE,
	GMT_OPT_DEPTH,
	GMT_OPT_RINGBUF,
	GMT_OPT_NO_GC,
	GMT_OPT_GOROUTINES,
	GMT_OPT_UMASK,
	GMT_OPT_BTF,
	GMT_OPT_RUNTIME_FRAMES,
	GMT_OPT_FOLDED_MAX,
};

#define GMT_FOLDED_MAX_MB 16 /* default of --folded-max-mb */

#define GMT_TRACE_LONG_OPTS                                                        \
	{ "rate", required_argument, NULL, GMT_OPT_RATE },                         \
	{ "no-write-target", no_argument, NULL, GMT_OPT_NO_WRITE },                \
	{ "max-depth", required_argument, NULL, GMT_OPT_DEPTH },                   \
	{ "ringbuf-mb", required_argument, NULL, GMT_OPT_RINGBUF },                \
	{ "no-gc", no_argument, NULL, GMT_OPT_NO_GC },                             \
	{ "goroutines", no_argument, NULL, GMT_OPT_GOROUTINES },                   \
	{ "umask", required_argument, NULL, GMT_OPT_UMASK },                       \
	{ "btf", required_argument, NULL, GMT_OPT_BTF },                           \
	{ "runtime-frames", no_argument, NULL, GMT_OPT_RUNTIME_FRAMES },           \
	{ "folded-max-mb", required_argument, NULL, GMT_OPT_FOLDED_MAX },          \
	{ "verbose", no_argument, NULL, 'v' },                                     \
	{ "quiet", no_argument, NULL, 'q' }

/*
 * Applies option c (with arg) to o; -v/-q set the log level and --umask the outputs'
 * mask, which are the whole process's.  0 when done; 2 after printing why arg is
 * invalid or, for an option that is none of these, usage.
 */
int gmt_trace_parse_opt(int c, const char *arg, struct gmt_session_opts *o, const char *usage);

/*
 * What the kernel and our privileges must allow, checked before any target is touched
 * (preflight.h), and a --btf file libbpf can read: 0, or the one-line reason in d.
 */
int gmt_trace_preflight(const struct gmt_session_opts *o, struct gmt_diag *d);

#endif
