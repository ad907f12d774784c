/* SPDX-License-Identifier: MIT */
/*
 * A made-up binary for the writers' unit tests: a table of return addresses and the
 * frames each symbolizes to, behind the gmt_symbolizer interface.
 */
#ifndef GMT_TEST_FAKESYM_H
#define GMT_TEST_FAKESYM_H

#include <stddef.h>
#include <stdint.h>

#include "symbolize.h"

struct tu_fake_pc {
	uint64_t pc;
	int n;
	struct gmt_frame f[3]; /* innermost first */
};

struct tu_fake_bin {
	const struct tu_fake_pc *pcs;
	size_t n;
};

/* The entry of pc, NULL when it does not symbolize. */
const struct tu_fake_pc *tu_fake_lookup(const struct tu_fake_bin *b, uint64_t pc);

/* gmt_symbolizer.frames over a struct tu_fake_bin (ctx); -ENOENT for unknown pcs. */
int tu_fake_frames(void *ctx, uint64_t pc, struct gmt_frame *out, int max);

#endif
