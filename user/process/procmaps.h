/* SPDX-License-Identifier: MIT */
/*
 * A process's mappings (/proc/PID/maps): which address is mapped, by what and with which
 * permissions, and where the executable was loaded (its load bias).  The parser works on
 * the text, so that it is tested on strings; the readers add the file.
 */
#ifndef GMT_PROCMAPS_H
#define GMT_PROCMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "diag.h"

struct gmt_gobin;

struct gmt_map {
	uint64_t start, end; /* [start, end) */
	uint64_t off;	     /* file offset of start */
	uint64_t ino;	     /* 0 for anonymous memory */
	uint32_t dev_major, dev_minor;
	char perms[5];	  /* "r-xp": read, write, execute, private/shared */
	const char *path; /* "" when anonymous; "[heap]", "/x/y (deleted)"... */
};

/* All mappings, in the kernel's order (ascending addresses, not overlapping). */
struct gmt_maps {
	struct gmt_map *v;
	size_t n;
	char *text; /* the parsed text; the paths point into it */
};

/*
 * Parses len bytes of /proc/PID/maps text into m (which must be zeroed or hold an earlier
 * result, replaced).  -EINVAL for a line the kernel would not write (m is then empty),
 * -ENOMEM.
 */
int gmt_maps_parse(const char *text, size_t len, struct gmt_maps *m);
/*
 * Reads fd, an open /proc/PID/maps, from its start: kept open, it shows the mappings of
 * the address space it was opened on (not of whatever process has the PID later).
 * A read torn by the process changing its mappings meanwhile (lines out of order) is
 * read again.  -ESRCH when it is empty: the address space is gone (a zombie).
 */
int gmt_maps_read_fd(int fd, struct gmt_maps *m);
/* Opens and reads /proc/PID/maps: -ESRCH when gone, -EACCES etc. with the reason in d. */
int gmt_maps_read(pid_t pid, struct gmt_maps *m, struct gmt_diag *d);
void gmt_maps_free(struct gmt_maps *m);

/* The mapping holding addr, or NULL. */
const struct gmt_map *gmt_maps_find(const struct gmt_maps *m, uint64_t addr);
/*
 * How many of the len bytes at addr are mapped without a gap (adjacent mappings
 * continue each other): len when all are, 0 when addr is not mapped.
 */
size_t gmt_maps_span(const struct gmt_maps *m, uint64_t addr, size_t len);

/*
 * The load bias of an executable (runtime address = static address + bias): the mapping
 * of inode ino at the page-aligned file offset of the segment (seg_vaddr, seg_off), its
 * start minus the segment's page-aligned address.  -ENOENT when it is not mapped.
 */
int gmt_maps_load_bias(const struct gmt_maps *m, uint64_t ino, uint64_t seg_vaddr,
		       uint64_t seg_off, uint64_t *bias);
/* The same for process pid's own executable (/proc/PID/exe), with messages. */
int gmt_proc_load_bias(pid_t pid, uint64_t seg_vaddr, uint64_t seg_off, uint64_t *bias,
		       struct gmt_diag *d);
/*
 * The load bias of gb as process pid runs it: 0 for a non-PIE executable, else from its
 * lowest-offset PT_LOAD (the mapping /proc/PID/maps shows at that offset).
 */
int gmt_proc_exe_bias(const struct gmt_gobin *gb, pid_t pid, uint64_t *bias,
		      struct gmt_diag *d);

#endif
