/* SPDX-License-Identifier: MIT */
/* A gmt_symbolizer for a traced process: its Go binary plus the load bias. */
#ifndef GMT_PROCSYM_H
#define GMT_PROCSYM_H

#include <stdint.h>

#include "symbolize.h"

struct gmt_gobin;

struct gmt_procsym {
	const struct gmt_gobin *gb;
	uint64_t bias;
};

/* Fills sym with callbacks reading ps (which must outlive sym). */
void gmt_procsym_init(struct gmt_procsym *ps, const struct gmt_gobin *gb, uint64_t bias,
		      struct gmt_symbolizer *sym);

#endif
