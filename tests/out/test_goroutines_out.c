// SPDX-License-Identifier: MIT
/*
 * The goroutine writers (user/out/out_goroutines.c): goroutines.folded and the report.txt
 * section of the synthetic scenarios of tests/support/gor_scenarios.h.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gor_scenarios.h"
#include "outputs.h"
#include "testutil.h"

static char *write_out(const struct gmt_goroutines *g, int which)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_eq(which ? gmt_goroutines__report(g, f)
			   : gmt_goroutines__write_folded(g, &wrap_sym, f),
		     0);
	fclose(f);
	return buf;
}

Test(goroutines, folded_has_live_goroutines_by_stack)
{
	struct gmt_goroutines *g = scenario();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_eq(gmt_goroutines__write_folded(g, &fake_sym, f), 0);
	fclose(f);
	cr_expect(strstr(buf, "main.main;main.leak;[go] main.leak.func1 10\n"), "%s", buf);
	cr_expect(strstr(buf, "[pre-existing];main.main;[go] main.leak.func1 1\n"), "%s", buf);
	cr_expect(strstr(buf, "[unknown stack];[go] runtime.bgsweep 1\n"), "%s", buf);
	cr_expect_null(strstr(buf, "main.short"), "no live main.short goroutines:\n%s", buf);
	free(buf);
	gmt_goroutines__free(g);
}

Test(goroutines, one_row_in_report_and_folded)
{
	struct gmt_goroutines *g = search_scenario();
	char *rep = write_out(g, 1), *fold = write_out(g, 0), *p;

	p = strstr(rep, "main.search (");
	cr_assert_not_null(p, "%s", rep);
	cr_expect_null(strstr(p + 1, "main.search ("), "one row:\n%s", rep);
	cr_expect_null(strstr(rep, "[pre-existing]"), "not split by attach time:\n%s", rep);
	{
		unsigned long long live, pre, created, exited, b[GMT_GOR_BUCKETS + 1];
		const char *row = strstr(rep, "LEAK? main.search (main.go:15) [main.backend]\n");

		cr_assert_not_null(row, "the row names the go statement and main.backend:\n%s",
				   rep);
		while (row > rep && row[-1] != '\n')
			row--;
		cr_assert_eq(sscanf(row, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu "
					 "%llu %llu %llu %llu",
				    &live, &pre, &created, &exited, &b[0], &b[1], &b[2], &b[3],
				    &b[4], &b[5], &b[6], &b[7], &b[8], &b[9], &b[10]),
			     15, "%s", row);
		cr_expect(live == 30 && pre == 20 && created == 30 && exited == 20,
			  "live, before, created, exited: %s", row);
		cr_expect(b[0] == 20 && b[5] == 25 && b[10] == 30, "growth: %s", row);
	}
	/* The pre-existing goroutines under the one creation stack of their go statement. */
	cr_expect_str_eq(fold,
			 "main.main;main.handler;main.search;[go] main.backend 10\n"
			 "main.main;main.handler;main.search;[go] main.backend;[pre-existing] 20\n",
			 "%s", fold);
	free(rep);
	free(fold);
	gmt_goroutines__free(g);
}

/*
 * The same go statement reached from two callers is one row; goroutines from before
 * attach can then not be given callers, and fold under [pre-existing].  A go statement
 * calling a func value runs different functions: a row each.
 */
Test(goroutines, two_stacks_one_row)
{
	struct gmt_goroutines *g = gmt_goroutines__new();
	uint64_t a[] = { PC_SEARCH, PC_HANDLER, PC_MAIN }, b[] = { PC_SEARCH, PC_OTHER, PC_MAIN };
	const struct gmt_gor_site *s;
	char *fold;

	cr_assert_eq(gmt_goroutines__preexisting(g, 1, PC_SEARCH, FN_WRAP), 0);
	cr_assert_eq(gmt_goroutines__add_stack(g, 1001, a, 3, false), 0);
	cr_assert_eq(gmt_goroutines__add_stack(g, 1002, b, 3, false), 0);
	cr_assert_eq(gmt_goroutines__created(g, 1, 10, 1001, FN_WRAP), 0);
	cr_assert_eq(gmt_goroutines__created(g, 2, 11, 1002, FN_WRAP), 0);
	cr_assert_eq(gmt_goroutines__created(g, 3, 12, 1002, FN_WRAP), 0);
	cr_assert_eq(gmt_goroutines__created(g, 4, 13, 1002, FN_LEAK), 0);
	cr_assert_eq(gmt_goroutines__finish(g, &wrap_sym, 0, S), 0);
	cr_assert_eq(rows_of(g, "main.search", &s), 2, "main.backend and main.leak.func1");
	cr_expect_str_eq(s->start_fn, "main.backend");
	cr_expect_eq(s->live, 4);
	cr_expect_eq(s->pre, 1);
	cr_expect_eq(s->created, 3);
	cr_expect_eq(s->nstacks, 2);
	fold = write_out(g, 0);
	cr_expect_str_eq(fold, "[pre-existing];main.search;[go] main.backend 1\n"
			       "main.main;main.handler;main.search;[go] main.backend 1\n"
			       "main.main;main.other;main.search;[go] main.backend 2\n"
			       "main.main;main.other;main.search;[go] main.leak.func1 1\n",
			 "%s", fold);
	free(fold);
	gmt_goroutines__free(g);
}
