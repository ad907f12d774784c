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

#include "memstats.h"
#include "memusage.h"
#include "out_memory.h"

struct gmt_analysis;

/* What was read, to be written later (snapshot writes its files only once all read). */
struct gmt_memsnap {
	struct gmt_memusage mu;
	struct gmt_memstats ms;
	char why[300]; /* when the runtime's figures could not be read */
	struct gmt_memory_report r;
};

/*
 * Reads pid (whose executable a analysed) into s.  When the runtime's figures cannot be
 * read the snapshot still holds the process's and says why.  -ESRCH with one line in d
 * when the process is gone.
 */
int gmt_memsnap_read(pid_t pid, const struct gmt_analysis *a, struct gmt_memsnap *s,
		     struct gmt_diag *d);
/* Writes s as dir/name (0600); the summary's section goes to out (NULL: none). */
int gmt_memsnap_write(const struct gmt_memsnap *s, const char *dir, const char *name, FILE *out,
		      struct gmt_diag *d);

#endif
