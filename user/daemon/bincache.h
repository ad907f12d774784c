/* SPDX-License-Identifier: MIT */
/*
 * The daemon's analyses, one per executable: a service's processes (its restarts, its
 * workers) run one binary, which is read and analysed once (analysis.h) and shared by
 * every session that traces one of them.
 *
 * An executable is known by its file's identity as stat(2) gives it through
 * /proc/PID/exe: device, inode, size and modification time (a binary replaced by a
 * deploy, or rewritten in place, is another one).  Entries are reference counted: the
 * cache holds one reference, each user another.  Entries no session uses any more are
 * kept (the next restart of the service finds its analysis) up to keep_unused of them,
 * the least recently used going first.
 */
#ifndef GMT_BINCACHE_H
#define GMT_BINCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

struct gmt_analysis;
struct gmt_bincache;

struct gmt_bincache_stats {
	uint64_t hits, builds; /* gets answered from the cache, analyses built */
	size_t entries;	       /* in the cache now, used or not */
};

struct gmt_bincache *gmt_bincache__new(size_t keep_unused);
/*
 * The analysis of the executable at path (/proc/PID/exe, or any path), as a new
 * reference the caller puts back (gmt_analysis__put).  Errors: the analysis' own (a file
 * that is not a Go binary gomemtrace can trace), with the message in d; nothing is
 * cached for them.
 */
int gmt_bincache__get(struct gmt_bincache *c, const char *path, struct gmt_analysis **out,
		      struct gmt_diag *d);
struct gmt_bincache_stats gmt_bincache__stats(const struct gmt_bincache *c);
/* Drops the cache's references: analyses still in use live on with their users'. */
void gmt_bincache__free(struct gmt_bincache *c);

#endif
