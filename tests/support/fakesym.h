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

struct gmt_agg;

/*
 * The writers' data set (test_pprof.c's comment has the values it must give), into a:
 *   A 0x100: 0x1010 <- 0x2020 <- 0x3030             10 x 48 + 5 x 100
 *   B 0x200: 0x1011 <- 0x2020 <- 0x3030             2 x 1000 + 1 x 48
 *   C 0x300: 0x4040 <- 0x5050, truncated            4 x 1024
 *   D 0x400: 0x2020 <- 0x3030, never allocates
 *   E 0x500: 0x6060 x3 <- 0x2020 <- 0x3030          1 x 5000
 *   F 0x600: 0x7070 <- 0x3030                       5 of size 0
 *   G 0x700: 0x900000 <- 0x2020 <- 0x3030           3 x 16
 *   unknown: 0x999 never arrives (7 x 8), 0 the walk failed (2 x 48)
 * Not finished: a caller may add more first.  Criterion asserts each step.
 */
void tu_fake_agg_fill(struct gmt_agg *a);

#endif
