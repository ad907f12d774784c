// SPDX-License-Identifier: MIT
/*
 * Benchmark of the Go binary reader: how long indexing a large binary takes and how
 * many PCs per second it resolves (to a function, and to full frames with file:line
 * and inlining).  Run by scripts/bench-symbolize.sh; a benchmark, not a test.
 *
 *   gmt-bench-symbolize BINARY [NPCS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "gobin.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* xorshift64*: deterministic, so every run resolves the same PCs. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

int main(int argc, char **argv)
{
	size_t npcs = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000;
	struct gmt_frame frames[32];
	struct gmt_func_info fi, lo, hi;
	struct gmt_diag d = {};
	struct gmt_gobin *gb;
	uint64_t seed = 0x9e3779b97f4a7c15ULL, *pcs, sink = 0;
	double t0, t_open, t_func, t_sym;
	size_t nframes = 0, nfunc;
	int err;

	if (argc < 2) {
		fprintf(stderr, "usage: %s BINARY [NPCS]\n", argv[0]);
		return 2;
	}
	t0 = now_s();
	err = gmt_gobin__open(argv[1], &gb, &d);
	t_open = now_s() - t0;
	if (err) {
		fprintf(stderr, "%s\n", gmt_diag_msg(&d, err));
		return 1;
	}
	nfunc = gmt_pcln__nfunc(gb->pcln);
	gmt_pcln__func(gb->pcln, 0, &lo);
	gmt_pcln__func(gb->pcln, nfunc - 1, &hi);
	pcs = malloc(npcs * sizeof(*pcs));
	for (size_t i = 0; i < npcs; i++)
		pcs[i] = lo.entry + next_rand(&seed) % (hi.end - lo.entry);

	t0 = now_s();
	for (size_t i = 0; i < npcs; i++)
		if (gmt_pcln__func_by_pc(gb->pcln, pcs[i], &fi) == 0)
			sink += fi.entry;
	t_func = now_s() - t0;

	t0 = now_s();
	for (size_t i = 0; i < npcs; i++) {
		int n = gmt_pcln__symbolize(gb->pcln, pcs[i], frames, 32);

		if (n > 0)
			nframes += n;
	}
	t_sym = now_s() - t0;

	printf("binary:            %s (%s, %zu functions)\n", argv[1], gb->version, nfunc);
	printf("open + index:      %.1f ms\n", t_open * 1e3);
	printf("pc -> function:    %.2f M PCs/s\n", npcs / t_func / 1e6);
	printf("pc -> frames:      %.2f M PCs/s (file:line, inlining; %.2f frames per PC)\n",
	       npcs / t_sym / 1e6, (double)nframes / npcs);
	free(pcs);
	gmt_gobin__free(gb);
	return sink == 42; /* keep the lookups from being optimised away */
}
