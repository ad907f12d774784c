/* SPDX-License-Identifier: MIT */
/*
 * Synthetic goroutine scenarios with a fake symbolizer, shared by the aggregator's tests
 * (tests/agg/test_goroutines.c) and its writers' (tests/out/test_goroutines_out.c).
 */
#ifndef GMT_TEST_GOR_SCENARIOS_H
#define GMT_TEST_GOR_SCENARIOS_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "goroutines.h"

#define S 1000000000ULL

/* Fake text: one function per 0x1000 bytes. */
static inline int fake_frames(void *ctx, uint64_t ret_addr, struct gmt_frame *fr, int max)
{
	static const char *const names[] = { "?",
					     "main.leak",
					     "main.short",
					     "runtime.bgsweep",
					     "main.main",
					     "main.leak.func1",
					     "main.short.func1",
					     "runtime.main",
					     "main.search",
					     "main.search.gowrap1",
					     "main.handler",
					     "main.other",
					     "runtime.gcenable.gowrap1" };
	uint64_t pc = ret_addr - 1, i = pc / 0x1000;

	if (i == 0 || i >= sizeof(names) / sizeof(names[0]) || max < 1)
		return -1;
	fr[0].func = names[i];
	fr[0].file = "/src/main.go";
	fr[0].line = (uint32_t)(pc & 0xfff);
	return 1;
}

static const struct gmt_symbolizer fake_sym = { fake_frames, NULL, NULL };

#define PC_LEAK 0x1010	  /* in main.leak */
#define PC_SHORT 0x2010	  /* in main.short */
#define PC_MAIN 0x4010	  /* in main.main */
#define FN_LEAK 0x5000	  /* main.leak.func1's entry */
#define FN_SHORT 0x6000	  /* main.short.func1 */
#define FN_RUNTIME 0x3000 /* runtime.bgsweep */
#define FN_MAIN 0x7000	  /* runtime.main: counted by NumGoroutine */

static inline const struct gmt_gor_site *find_site(const struct gmt_goroutines *g, const char *fn)
{
	const struct gmt_gor_site *const *s;
	size_t n = gmt_goroutines__sites(g, &s);

	for (size_t i = 0; i < n; i++)
		if (strncmp(s[i]->name, fn, strlen(fn)) == 0 && s[i]->name[strlen(fn)] == ' ' &&
		    !s[i]->preexisting)
			return s[i];
	return NULL;
}

/*
 * Ten seconds: main.leak creates one goroutine a second that never ends; main.short five
 * a second that end within the second, some still running at a tick; the runtime one
 * goroutine at 0.5 s.  Before attach: runtime.main, one leak-like user goroutine and a
 * runtime one.
 */
static inline struct gmt_goroutines *scenario(void)
{
	struct gmt_goroutines *g = gmt_goroutines__new();
	uint64_t leak_pcs[] = { PC_LEAK, PC_MAIN }, short_pcs[] = { PC_SHORT, PC_MAIN };
	uint64_t goid = 100;

	cr_assert_not_null(g);
	cr_assert_eq(gmt_goroutines__preexisting(g, 1, 0x10, FN_MAIN), 0);
	cr_assert_eq(gmt_goroutines__preexisting(g, 2, PC_MAIN, FN_LEAK), 0);
	cr_assert_eq(gmt_goroutines__preexisting(g, 3, PC_MAIN, FN_RUNTIME), 0);
	gmt_goroutines__set_enumerated(g, true);
	cr_assert_eq(gmt_goroutines__add_stack(g, 11, leak_pcs, 2, false), 0);
	cr_assert_eq(gmt_goroutines__add_stack(g, 22, short_pcs, 2, false), 0);
	cr_assert_eq(gmt_goroutines__add_stack(g, 11, leak_pcs, 2, false), 0, "duplicate");
	cr_assert_eq(gmt_goroutines__created(g, S / 2, 50, 33, FN_RUNTIME), 0);
	for (uint64_t sec = 0; sec < 10; sec++) {
		uint64_t t = sec * S;

		cr_assert_eq(gmt_goroutines__created(g, t + 1, goid++, 11, FN_LEAK), 0);
		for (int k = 0; k < 5; k++)
			cr_assert_eq(gmt_goroutines__created(g, t + 2 + k, 1000 + sec * 10 + k, 22,
							     FN_SHORT), 0);
		/* Odd seconds leave two short ones running over the tick. */
		for (int k = 0; k < (sec % 2 ? 3 : 5); k++)
			cr_assert_eq(gmt_goroutines__exited(g, t + 10 + k, 1000 + sec * 10 + k), 0);
		cr_assert_eq(gmt_goroutines__tick(g, t + S / 2), 0);
		if (sec % 2)
			for (int k = 3; k < 5; k++)
				cr_assert_eq(gmt_goroutines__exited(g, t + S / 2 + k,
								    1000 + sec * 10 + k), 0);
	}
	cr_assert_eq(gmt_goroutines__exited(g, 10 * S, 999999), 0, "an exit never seen created");
	cr_assert_eq(gmt_goroutines__finish(g, &fake_sym, 0, 10 * S), 0);
	return g;
}

/* ---- sites: one row per go statement and goroutine function ---- */

#define PC_SEARCH 0x8010   /* the go statement in main.search */
#define PC_HANDLER 0xa010  /* main.handler's call of main.search */
#define PC_OTHER 0xb010	   /* main.other's call of main.search */
#define FN_WRAP 0x9000	   /* main.search.gowrap1: calls main.backend */
#define FN_RT_WRAP 0xc000  /* runtime.gcenable.gowrap1: calls runtime.bgsweep */

/* The compiler's go-statement wrappers, as gofunc.c would name them. */
static inline int fake_go_func(void *ctx, uint64_t entry, char *buf, size_t len)
{
	(void)ctx;
	if (entry == FN_WRAP)
		snprintf(buf, len, "main.backend");
	else if (entry == FN_RT_WRAP)
		snprintf(buf, len, "runtime.bgsweep");
	else
		return -2;
	return 0;
}

static const struct gmt_symbolizer wrap_sym = { fake_frames, NULL, NULL, fake_go_func };

/* The rows whose go statement is in fn (name "fn (file:line)"). */
static inline size_t rows_of(const struct gmt_goroutines *g, const char *fn,
		      const struct gmt_gor_site **first)
{
	const struct gmt_gor_site *const *s;
	size_t n = gmt_goroutines__sites(g, &s), found = 0;

	*first = NULL;
	for (size_t i = 0; i < n; i++) {
		if (strncmp(s[i]->name, fn, strlen(fn)) || s[i]->name[strlen(fn)] != ' ')
			continue;
		if (!found++)
			*first = s[i];
	}
	return found;
}


/*
 * A service leaking at `go backend(q, ch)` in main.search: 20 goroutines from before
 * attach (allgs: gopc in main.search, startpc the wrapper), then one more leaked each
 * second for 10 s through main.handler -> main.search, and two short-lived ones a
 * second that end at once.
 */
static inline struct gmt_goroutines *search_scenario(void)
{
	struct gmt_goroutines *g = gmt_goroutines__new();
	uint64_t pcs[] = { PC_SEARCH, PC_HANDLER, PC_MAIN }, goid = 1000;

	cr_assert_not_null(g);
	for (uint64_t i = 1; i <= 20; i++)
		cr_assert_eq(gmt_goroutines__preexisting(g, i, PC_SEARCH, FN_WRAP), 0);
	gmt_goroutines__set_enumerated(g, true);
	cr_assert_eq(gmt_goroutines__add_stack(g, 77, pcs, 3, false), 0);
	for (uint64_t sec = 0; sec < 10; sec++) {
		uint64_t t = sec * S;

		cr_assert_eq(gmt_goroutines__created(g, t + 1, goid++, 77, FN_WRAP), 0);
		for (int k = 0; k < 2; k++) {
			cr_assert_eq(gmt_goroutines__created(g, t + 2, goid, 77, FN_WRAP), 0);
			cr_assert_eq(gmt_goroutines__exited(g, t + 3, goid++), 0);
		}
		cr_assert_eq(gmt_goroutines__tick(g, t + S / 2), 0);
	}
	cr_assert_eq(gmt_goroutines__finish(g, &wrap_sym, 0, 10 * S), 0);
	return g;
}

#endif
