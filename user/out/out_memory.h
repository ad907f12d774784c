/* SPDX-License-Identifier: MIT */
/*
 * memory.json and the memory section of snapshot's summary: the process's resident set
 * and cgroup limit (process/memusage.h) beside the runtime's own figures
 * (goruntime/memstats.h), named as runtime.MemStats names them.  README.md, "memory.json",
 * describes the file.
 */
#ifndef GMT_OUT_MEMORY_H
#define GMT_OUT_MEMORY_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "memstats.h"
#include "memusage.h"

struct gmt_memory_report {
	pid_t pid;
	const char *go_version;
	uint64_t time_unix_ns;		/* when it was read */
	const struct gmt_memusage *mu;	/* never NULL */
	const struct gmt_memstats *ms;	/* NULL when the runtime could not be read ... */
	const char *ms_why;		/* ... and why */
};

/* memory.json: 0 or -EIO. */
int gmt_write_memory_json(FILE *f, const struct gmt_memory_report *r);
/* The summary's section, a few lines. */
void gmt_print_memory(FILE *out, const struct gmt_memory_report *r);

#endif
