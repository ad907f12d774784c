// SPDX-License-Identifier: MIT
/*
 * The probe-less goroutine leak flagger (user/agg/leakflag.c) on synthetic reads: a site
 * whose goroutines pile up and stay, a steady pool whose goroutines come and go, a steady
 * set that never changes, one noisy jump, and the runtime's own wait when goids change.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_writer.h"
#include "leakflag.h"

#define SEC 1000000000ll

/* n goroutines at (c, w, r) with goids first..first+n-1, each waited `waited`. */
static void add_n(struct gmt_leakflag *lf, const char *c, const char *w, const char *r,
		  uint64_t first, uint64_t n, int64_t waited)
{
	for (uint64_t i = 0; i < n; i++)
		cr_assert_eq(gmt_leakflag__add(lf, c, w, r, first + i, waited), 0);
}

static const struct gmt_leak_group *find(struct gmt_leak_group *v, int n, const char *w)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(v[i].wait_site, w))
			return &v[i];
	return NULL;
}

/*
 * Read k (0-based) at k*10 s:
 *   leak:   10 + 5k goroutines, goids 100.. (the old ones stay), waits unknown (no GC);
 *   pool:   20 goroutines whose goids all change every read (workers come and go);
 *   idle:   8 goroutines, the same goids, never growing;
 *   jump:   3, then 40 at read 2, then 40: one jump.
 */
static void read_k(struct gmt_leakflag *lf, int k)
{
	gmt_leakflag__begin(lf, (int64_t)k * 10 * SEC + 5 * SEC);
	add_n(lf, "main.leakOne", "main.leakOne.func1", "chan receive", 100, 10 + 5 * k, 0);
	add_n(lf, "main.startPool", "main.worker", "chan receive", 10000 + 100 * k, 20, 0);
	add_n(lf, "main.main", "main.idle", "select", 10, 8, 0);
	add_n(lf, "main.fanout", "main.backend", "chan send", 20000, k >= 2 ? 40 : 3, 0);
	cr_assert_eq(gmt_leakflag__end(lf), 0);
}

Test(leakflag, flags_the_growing_site_only)
{
	struct gmt_leakflag *lf = gmt_leakflag__new();
	struct gmt_leak_group *v;
	uint64_t gs;
	int n;

	cr_assert_not_null(lf);
	for (int k = 0; k < 6; k++) {
		read_k(lf, k);
		/* Four reads are needed: nothing before the fourth. */
		cr_expect_eq(gmt_leakflag__nflagged(lf, NULL), k >= 3 ? 1u : 0u,
			     "read %d: %zu flagged", k, gmt_leakflag__nflagged(lf, NULL));
	}
	cr_expect_eq(gmt_leakflag__reads(lf), 6);
	cr_expect_eq(gmt_leakflag__nflagged(lf, &gs), 1);
	cr_expect_eq(gs, 35, "goroutines in flagged groups: %llu", (unsigned long long)gs);
	n = gmt_leakflag__groups(lf, &v);
	cr_assert_eq(n, 4);
	cr_expect_str_eq(v[0].wait_site, "main.leakOne.func1", "the flagged group comes first");
	cr_expect(v[0].leak);
	cr_expect_str_eq(v[0].creator, "main.leakOne");
	cr_expect_str_eq(v[0].reason, "chan receive");
	cr_expect_eq(v[0].count, 35);
	cr_expect_eq(v[0].count_first, 20, "count 4 reads back (read 2): %llu",
		     (unsigned long long)v[0].count_first);
	/* goid 100 was first seen at read 0 (5 s), the last read is at 55 s. */
	cr_expect_eq(v[0].oldest_wait_ns, 50 * SEC, "oldest wait %lld",
		     (long long)v[0].oldest_wait_ns);
	cr_expect_not(find(v, n, "main.worker")->leak, "a pool whose goroutines come and go");
	cr_expect_not(find(v, n, "main.idle")->leak, "a steady set");
	cr_expect_not(find(v, n, "main.backend")->leak, "one jump");
	cr_expect_eq(find(v, n, "main.worker")->oldest_wait_ns, 0);
	free(v);
	gmt_leakflag__free(lf);
}

/* The runtime's own wait counts when it is known: a growing group whose smallest goid changes. */
Test(leakflag, runtime_wait_when_goids_change)
{
	struct gmt_leakflag *lf = gmt_leakflag__new();

	for (int k = 0; k < 4; k++) {
		gmt_leakflag__begin(lf, k * 10 * SEC);
		add_n(lf, "main.a", "main.b", "sleep", 1000 * (k + 1), 5 + k, (k + 1) * 60 * SEC);
		cr_assert_eq(gmt_leakflag__end(lf), 0);
	}
	cr_expect_eq(gmt_leakflag__nflagged(lf, NULL), 1);
	gmt_leakflag__free(lf);

	/* The same growth, but the runtime's wait does not grow and goids change: a busy pool. */
	lf = gmt_leakflag__new();
	for (int k = 0; k < 4; k++) {
		gmt_leakflag__begin(lf, k * 10 * SEC);
		add_n(lf, "main.a", "main.b", "sleep", 1000 * (k + 1), 5 + k, 60 * SEC);
		cr_assert_eq(gmt_leakflag__end(lf), 0);
	}
	cr_expect_eq(gmt_leakflag__nflagged(lf, NULL), 0);
	gmt_leakflag__free(lf);
}

/* A count that falls once in the window un-flags; growth in only one step does not flag. */
Test(leakflag, falls_and_single_growth)
{
	static const int counts[] = { 5, 6, 7, 8, 7, 7, 7, 7, 9 };
	static const bool flagged[] = { 0, 0, 0, 1, 0, 0, 0, 0, 0 };
	struct gmt_leakflag *lf = gmt_leakflag__new();

	for (int k = 0; k < 9; k++) {
		gmt_leakflag__begin(lf, k * 10 * SEC);
		add_n(lf, "main.a", "main.b", "chan receive", 1, counts[k], 0);
		cr_assert_eq(gmt_leakflag__end(lf), 0);
		cr_expect_eq(gmt_leakflag__nflagged(lf, NULL) == 1, flagged[k], "read %d", k);
	}
	gmt_leakflag__free(lf);
}

/* A group that vanishes has count 0 and is forgotten once the window holds none of it. */
Test(leakflag, vanished_groups_forgotten)
{
	struct gmt_leakflag *lf = gmt_leakflag__new();
	struct gmt_leak_group *v;

	gmt_leakflag__begin(lf, 0);
	add_n(lf, "main.a", "main.gone", "sleep", 1, 3, 0);
	cr_assert_eq(gmt_leakflag__end(lf), 0);
	for (int k = 1; k <= GMT_LEAK_READS; k++) {
		gmt_leakflag__begin(lf, k * SEC);
		add_n(lf, "main.a", "main.stays", "sleep", 1, 1, 0);
		cr_assert_eq(gmt_leakflag__end(lf), 0);
		cr_expect_eq(gmt_leakflag__groups(lf, &v), 1, "only the present group is listed");
		free(v);
	}
	/* An aborted read leaves the history as it was. */
	gmt_leakflag__begin(lf, 100 * SEC);
	add_n(lf, "main.a", "main.other", "sleep", 1, 9, 0);
	gmt_leakflag__abort(lf);
	cr_expect_eq(gmt_leakflag__reads(lf), GMT_LEAK_READS + 1);
	cr_expect_eq(gmt_leakflag__end(lf), -EINVAL, "end without a read");
	cr_expect_eq(gmt_leakflag__add(lf, "x", "y", "z", 1, 0), -EINVAL, "add without a read");
	gmt_leakflag__free(lf);
}

/* report.txt's section and summary.json's fields name the flagged group. */
Test(leakflag, report_and_summary)
{
	struct gmt_leakflag *lf = gmt_leakflag__new();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct gmt_json *j;

	for (int k = 0; k < 4; k++)
		read_k(lf, k);
	cr_assert_eq(gmt_leakflag__report(lf, f), 0);
	fflush(f);
	cr_expect(strstr(buf, "PROBABLE LEAK       25 goroutines (+15 over the last 4 reads), "
			      "oldest wait 30.0 s: [chan receive] main.leakOne.func1, created "
			      "by main.leakOne\n"),
		  "%s", buf);
	cr_expect_null(strstr(buf, "main.worker"), "%s", buf);
	fclose(f);
	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	j = gmt_json__new(f, false);
	gmt_json__obj_begin(j);
	cr_assert_eq(gmt_leakflag__summary_fields(lf, j), 0);
	gmt_json__obj_end(j);
	gmt_json__free(j);
	fclose(f);
	cr_expect(strstr(buf, "\"goroutine_leak_reads\":4"), "%s", buf);
	cr_expect(strstr(buf, "\"goroutine_leaks\":[{\"creator\":\"main.leakOne\","
			      "\"wait_site\":\"main.leakOne.func1\",\"wait_reason\":\"chan "
			      "receive\",\"count\":25,\"count_window_start\":10,"),
		  "%s", buf);
	free(buf);
	gmt_leakflag__free(lf);
}
