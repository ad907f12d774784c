// SPDX-License-Identifier: MIT
/*
 * Benchmark of the userspace hot paths that stand on base's hash table and growth
 * helper: the exact-mode aggregator (one add per (stack, type, size) record), sampled
 * mode's object table (a malloc or a free per record), the goroutine aggregator, the
 * string table and the pprof writer (symbolizes every distinct return address, interns
 * every name).  Synthetic, deterministic input; a benchmark, not a test.  Run by
 * scripts/bench-tables.sh: the best of REPEAT runs of each part, in CPU time.
 *
 *   gmt-bench-tables [SCALE [REPEAT [PART]]]
 *
 * SCALE multiplies every size (default 1), REPEAT runs of each part (default 3), PART
 * one of agg, pprof, sampled, goroutines, strtab (default all).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aggregate.h"
#include "goroutines.h"
#include "outputs.h"
#include "pprof.h"
#include "release.h"
#include "sampled.h"

#define DEPTH 24
#define NFUNCS 20000

/* CPU time: the figures hold on a machine busy with other work. */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* xorshift64*: deterministic, so every run sees the same input. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static char fnames[NFUNCS][48];

/* Two frames per address (one inlined), names from a pool: what a Go binary gives. */
static int frames(void *ctx, uint64_t ret_addr, struct gmt_frame *fr, int max)
{
	uint64_t f = (ret_addr >> 4) % NFUNCS;

	if (max < 2)
		return -EINVAL;
	fr[0] = (struct gmt_frame){ .func = fnames[f], .file = fnames[f / 40],
				    .line = (int)(ret_addr % 997) };
	fr[1] = (struct gmt_frame){ .func = fnames[(f * 7 + 1) % NFUNCS],
				    .file = fnames[(f * 7 + 1) % NFUNCS / 40],
				    .line = (int)(ret_addr % 991) };
	return 2;
}

static int type_info(void *ctx, uint64_t typ, struct gmt_type_info *ti)
{
	snprintf(ti->name, sizeof(ti->name), "main.T%llu", (unsigned long long)(typ >> 5));
	ti->size = 64;
	ti->ptrbytes = typ & 32 ? 8 : 0;
	return 0;
}

static const struct gmt_symbolizer sym = { .frames = frames, .type_info = type_info };

struct input {
	size_t nstacks;
	uint64_t (*pcs)[DEPTH];
};

static void make_stacks(struct input *in, size_t nstacks)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;

	in->nstacks = nstacks;
	in->pcs = malloc(nstacks * sizeof(*in->pcs));
	for (size_t i = 0; i < nstacks; i++)
		for (int d = 0; d < DEPTH; d++)
			in->pcs[i][d] = 0x400000 + (next_rand(&seed) % (1 << 22)) * 16 + 5;
}

/* Skewed like real programs: a few stacks allocate most. */
static size_t pick_stack(uint64_t *seed, size_t n)
{
	uint64_t r = next_rand(seed);

	return (r & 3) ? (r >> 8) % (n / 64 + 1) : (r >> 8) % n;
}

static double bench_agg(const struct input *in, size_t nrec, struct gmt_agg **out,
			double *t_finish)
{
	struct gmt_agg *a = gmt_agg__new(gmt_go_release_find(26));
	uint64_t seed = 42;
	double t0 = now_s(), t;

	for (size_t i = 0; i < in->nstacks; i++)
		gmt_agg__add_stack(a, i + 1, in->pcs[i], DEPTH, false);
	for (size_t i = 0; i < nrec; i++) {
		size_t s = pick_stack(&seed, in->nstacks);
		uint64_t r = next_rand(&seed);

		gmt_agg__add_allocs(a, s + 1, 0x500000 + (s % 500) * 32, 8 << (r % 8), 1 + (r >> 60));
	}
	t = now_s() - t0;
	t0 = now_s();
	gmt_agg__finish(a, &sym);
	*t_finish = now_s() - t0;
	*out = a;
	return t;
}

static double bench_pprof(const struct gmt_agg *a)
{
	FILE *f = fopen("/dev/null", "w");
	double t0 = now_s();
	int err = gmt_write_pprof(a, &sym, f, NULL, NULL);

	fclose(f);
	if (err)
		fprintf(stderr, "pprof: %s\n", strerror(-err));
	return now_s() - t0;
}

static double bench_sampled(const struct input *in, size_t nrec, size_t live)
{
	struct gmt_agg *a = gmt_agg__new(gmt_go_release_find(26)), *ia = gmt_agg__new(gmt_go_release_find(26));
	struct gmt_sampled *s = gmt_sampled__new(a, ia, 512 * 1024, NULL, 0);
	uint64_t seed = 7, *ring = calloc(live, sizeof(*ring));
	double t0;

	for (size_t i = 0; i < in->nstacks; i++)
		gmt_sampled__add_stack(s, i + 1, in->pcs[i], DEPTH, false);
	t0 = now_s();
	/* Each new object takes the place of the one allocated `live` samples ago. */
	for (size_t i = 0; i < nrec; i++) {
		uint64_t r = next_rand(&seed), p = 0xc000000000ULL + (r >> 20) * 16;
		size_t k = i % live;

		if (ring[k])
			gmt_sampled__free_obj(s, ring[k]);
		gmt_sampled__malloc(s, pick_stack(&seed, in->nstacks) + 1, p, 8 << (r % 8));
		ring[k] = p;
	}
	t0 = now_s() - t0;
	gmt_sampled__free(s);
	gmt_agg__free(a);
	gmt_agg__free(ia);
	free(ring);
	return t0;
}

static double bench_goroutines(const struct input *in, size_t ncreated, size_t live)
{
	struct gmt_goroutines *g = gmt_goroutines__new();
	size_t nst = in->nstacks < 1000 ? in->nstacks : 1000;
	double t0;

	for (size_t i = 0; i < nst; i++)
		gmt_goroutines__add_stack(g, i + 1, in->pcs[i], DEPTH, false);
	t0 = now_s();
	for (size_t i = 0; i < ncreated; i++) {
		gmt_goroutines__created(g, i, i + 1, i % nst + 1, in->pcs[i % nst][0] + 0x40);
		if (i >= live)
			gmt_goroutines__exited(g, i, i + 1 - live);
		if (i % 100000 == 0)
			gmt_goroutines__tick(g, i);
	}
	gmt_goroutines__finish(g, &sym, 0, ncreated);
	t0 = now_s() - t0;
	gmt_goroutines__free(g);
	return t0;
}

static double bench_strtab(size_t n, size_t distinct)
{
	struct gmt_strtab *t = gmt_strtab__new();
	char (*names)[64] = malloc(distinct * sizeof(*names));
	uint64_t seed = 11;
	double t0;

	for (size_t i = 0; i < distinct; i++)
		snprintf(names[i], sizeof(names[i]), "example.com/pkg%zu.(*T).method%zu", i % 97, i);
	t0 = now_s();
	for (size_t i = 0; i < n; i++)
		gmt_strtab__intern(t, names[next_rand(&seed) % distinct]);
	t0 = now_s() - t0;
	gmt_strtab__free(t);
	free(names);
	return t0;
}

#define BEST(var, expr)                                                                         \
	do {                                                                                    \
		for (int _r = 0; _r < repeat; _r++) {                                           \
			double _t = (expr);                                                     \
			if (_r == 0 || _t < var)                                                \
				var = _t;                                                       \
		}                                                                               \
	} while (0)

static bool want(const char *part, const char *name)
{
	return !part || !strcmp(part, name);
}

int main(int argc, char **argv)
{
	double scale = argc > 1 ? atof(argv[1]) : 1;
	int repeat = argc > 2 ? atoi(argv[2]) : 3;
	const char *part = argc > 3 ? argv[3] : NULL;
	size_t nstacks = (size_t)(20000 * scale), nrec = (size_t)(10000000 * scale);
	double t_add = 0, t_fin = 0, t_pp = 0, t_samp = 0, t_gor = 0, t_str = 0;
	struct input in;
	struct gmt_agg *a = NULL;

	for (int i = 0; i < NFUNCS; i++)
		snprintf(fnames[i], sizeof(fnames[i]), "example.com/m/pkg%d.func%d", i % 300, i);
	make_stacks(&in, nstacks);
	for (int r = 0; (want(part, "agg") || want(part, "pprof")) && r < repeat; r++) {
		double tf, ta = bench_agg(&in, nrec, &a, &tf);
		double tp = want(part, "pprof") ? bench_pprof(a) : 0;

		if (r == 0 || ta < t_add)
			t_add = ta;
		if (r == 0 || tf < t_fin)
			t_fin = tf;
		if (r == 0 || tp < t_pp)
			t_pp = tp;
		gmt_agg__free(a);
	}
	if (want(part, "sampled"))
		BEST(t_samp, bench_sampled(&in, nrec / 2, (size_t)(200000 * scale)));
	if (want(part, "goroutines"))
		BEST(t_gor, bench_goroutines(&in, nrec / 5, (size_t)(50000 * scale)));
	if (want(part, "strtab"))
		BEST(t_str, bench_strtab(nrec / 5, (size_t)(100000 * scale)));

	if (t_add) {
		printf("aggregator adds:   %6.1f M records/s (%zu records, %zu stacks)\n",
		       nrec / t_add / 1e6, nrec, nstacks);
		printf("aggregator finish: %6.1f ms\n", t_fin * 1e3);
	}
	if (t_pp)
		printf("pprof writer:      %6.1f ms\n", t_pp * 1e3);
	if (t_samp)
		printf("sampled records:   %6.1f M records/s (%zu mallocs and frees, %zu live)\n",
		       nrec / t_samp / 1e6, nrec / 2, (size_t)(200000 * scale));
	if (t_gor)
		printf("goroutines:        %6.1f M creations/s (with exits, %zu live)\n",
		       nrec / 5 / t_gor / 1e6, (size_t)(50000 * scale));
	if (t_str)
		printf("string table:      %6.1f M interns/s (%zu distinct)\n",
		       nrec / 5 / t_str / 1e6, (size_t)(100000 * scale));
	free(in.pcs);
	return 0;
}
