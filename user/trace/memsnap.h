/* SPDX-License-Identifier: MIT */
/*
 * memory.json of a live process (out/out_memory.h): its RSS and cgroup
 * (process/memusage.h) and its runtime's figures (goruntime/memstats.h), read from
 * outside with no probe and no write.  snapshot writes memory.json; record writes
 * memory_start.json and memory_end.json.
 */
#ifndef GMT_MEMSNAP_H
#define GMT_MEMSNAP_H

#include <stdio.h>
#include <sys/types.h>

#include "diag.h"

struct gmt_analysis;

/*
 * Reads pid (whose executable a analysed) and writes dir/name (0600); the summary's
 * section goes to out (NULL: none).  When the runtime's figures cannot be read the file
 * still holds the process's and says why.  Negative errno with one line in d when
 * the process is gone or the file cannot be written.
 */
int gmt_memsnap_write(pid_t pid, const struct gmt_analysis *a, const char *dir, const char *name,
		      FILE *out, struct gmt_diag *d);

#endif
