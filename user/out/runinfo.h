/* SPDX-License-Identifier: MIT */
/* Facts about one recording that every output file repeats. */
#ifndef GMT_RUNINFO_H
#define GMT_RUNINFO_H

#include <stdbool.h>
#include <stdint.h>

#include "gomemtrace.h"

struct gmt_run_info {
	const char *mode;	/* "exact" or "sampled" */
	const char *go_version; /* "go1.26.8" */
	const char *binary;	/* path of the traced executable */
	const char *comm;	/* process name */
	int pid;
	double duration_s;
	uint64_t start_ns, end_ns;	 /* CLOCK_MONOTONIC, the BPF clock */
	uint64_t start_wall_ns;		 /* CLOCK_REALTIME at start_ns, for pprof; 0 unknown */
	uint64_t counters[GMT_CNT__MAX]; /* summed over CPUs */
	uint32_t ringbuf_mb;		 /* ring buffer size, for the drop hint */
	bool sampled;			 /* the figures are estimates from Go's heap sampler */
	uint64_t samples;		 /* sampled: samples behind them */
};

#endif
