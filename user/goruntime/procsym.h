/* SPDX-License-Identifier: MIT */
/* A gmt_symbolizer for a traced process: its Go binary plus the load bias. */
#ifndef GMT_PROCSYM_H
#define GMT_PROCSYM_H

#include <stdint.h>

#include "symbolize.h"

struct gmt_gobin;

struct gmt_procsym_memo;

struct gmt_procsym {
	const struct gmt_gobin *gb;
	uint64_t bias;
	/* The frames of the return addresses already seen (a heap profile of 50,000
	 * buckets names the same few hundred pcs a million times); NULL until needed.
	 * Not for concurrent use. */
	struct gmt_procsym_memo *memo;
};

/* Fills sym with callbacks reading ps (which must outlive sym).  Call gmt_procsym_free
 * when done, and before initializing ps again. */
void gmt_procsym_init(struct gmt_procsym *ps, const struct gmt_gobin *gb, uint64_t bias,
		      struct gmt_symbolizer *sym);
/* Frees the memo; ps may be initialized again. */
void gmt_procsym_free(struct gmt_procsym *ps);

#endif
