/* SPDX-License-Identifier: MIT */
/*
 * A live process's memory as the runtime-structure readers see it (goruntime/rtmem.h):
 * reads through /proc/PID/mem, each one checked first against the mappings of
 * /proc/PID/maps as they were when it was opened (readable ones only), so that a
 * pointer read out of the target that leads outside them is -EFAULT, whatever
 * /proc/PID/mem would do with it.  Never writes.
 *
 * The mappings are a snapshot: the heap grows while it is read, so an address past
 * them is looked up again once (the maps re-read) before it is refused.  -ESRCH once
 * the process is gone, or exec'd (its executable changed since the open).
 */
#ifndef GMT_PROCMEM_H
#define GMT_PROCMEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "diag.h"
#include "rtmem.h"

struct gmt_procmem_map {
	uint64_t start, end;
};

struct gmt_procmem {
	pid_t pid;
	int fd;
	uint64_t exe_dev, exe_ino; /* /proc/PID/exe at open: an exec changes them */
	struct gmt_procmem_map *maps;
	size_t nmaps;
	unsigned long reads;
};

/* Opens pid's memory: 0, or -ESRCH/-EACCES... with a line in d. */
int gmt_procmem_open(struct gmt_procmem *pm, pid_t pid, struct gmt_diag *d);
void gmt_procmem_close(struct gmt_procmem *pm);
/* A reader over pm (which must outlive it). */
struct gmt_rmem gmt_procmem_rmem(struct gmt_procmem *pm);

/*
 * Parses the text of /proc/PID/maps into readable [start, end) ranges, sorted (the
 * kernel lists them in order): the count, or -EINVAL / -ENOMEM.  Exposed for tests.
 */
int gmt_procmem_parse_maps(const char *text, struct gmt_procmem_map **out);

#endif
