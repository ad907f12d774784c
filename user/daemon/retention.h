/* SPDX-License-Identifier: MIT */
/*
 * The daemon's output tree, ROOT/<comm>-<pid>/<timestamp>[-alert-...]/, kept within
 * limits: at most keep interval directories per process, at most max_disk bytes in all;
 * oldest first (by the timestamp the directory is named after).  The newest interval
 * is never removed.  Directories being written (".name.partial") are not intervals:
 * gmt_retention_clean() removes the ones a crash left behind.
 */
#ifndef GMT_RETENTION_H
#define GMT_RETENTION_H

#include <stdint.h>

struct gmt_retention_stats {
	uint64_t intervals;   /* interval directories after pruning */
	uint64_t bytes;	      /* their size after pruning (file sizes) */
	uint64_t removed;     /* directories removed by this call */
	uint64_t removed_bytes;
};

/* keep 0 and max_disk 0 mean no limit.  0 or a negative errno (listing failed). */
int gmt_retention_apply(const char *root, uint64_t keep, uint64_t max_disk,
			struct gmt_retention_stats *st);

/* Removes ROOT/<process>/.<name>.partial directories: returns how many, or -errno. */
int gmt_retention_clean(const char *root);

/* Removes a directory of plain files (one level): 0 or -errno. */
int gmt_remove_dir(const char *path, uint64_t *bytes);

#endif
