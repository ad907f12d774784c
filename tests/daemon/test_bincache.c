// SPDX-License-Identifier: MIT
/*
 * The daemon's analyses per executable (user/daemon/bincache.h): one per file identity,
 * shared while in use, rebuilt when the file is another one (a copy, a rewrite), unused
 * ones kept up to the bound.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analysis.h"
#include "bincache.h"
#include "gobin.h"
#include "testutil.h"

static void copy_file(const char *from, const char *to)
{
	char *out = tu_run("cp %s %s && echo ok", from, to);

	cr_assert(strstr(out, "ok"));
	free(out);
}

Test(bincache, one_analysis_per_executable)
{
	const char *fx = tu_fixture("demo", "go126", "exe");
	char dir[] = "/tmp/gmt-bincache-XXXXXX", copy[128], link[160];
	struct gmt_bincache *c = gmt_bincache__new(8);
	struct gmt_analysis *a, *b, *x, *y;
	struct gmt_bincache_stats st;
	struct gmt_diag d = {};
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { 1000000000, 0 } };

	cr_assert(c && mkdtemp(dir));
	snprintf(copy, sizeof(copy), "%s/demo", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	copy_file(fx, copy);
	cr_assert_eq(symlink(copy, link), 0);

	cr_assert_eq(gmt_bincache__get(c, copy, &a, &d), 0, "%s", d.msg);
	/* The same file by another name (as /proc/PID/exe names it): the same analysis. */
	cr_assert_eq(gmt_bincache__get(c, link, &b, &d), 0, "%s", d.msg);
	cr_assert_eq(a, b, "one analysis for one file");
	st = gmt_bincache__stats(c);
	cr_assert(st.builds == 1 && st.hits == 1 && st.entries == 1, "builds %llu hits %llu",
		  (unsigned long long)st.builds, (unsigned long long)st.hits);
	cr_assert_eq(a->refs, 3, "the cache's reference and two users'");

	/* Another file with the same bytes is another executable. */
	cr_assert_eq(gmt_bincache__get(c, fx, &x, &d), 0, "%s", d.msg);
	cr_assert_neq(x, a);
	/* Rewritten in place (its mtime changes): analysed again. */
	cr_assert_eq(utimensat(AT_FDCWD, copy, ts, 0), 0);
	cr_assert_eq(gmt_bincache__get(c, copy, &y, &d), 0, "%s", d.msg);
	cr_assert_neq(y, a, "a rewritten file is analysed again");
	st = gmt_bincache__stats(c);
	cr_assert(st.builds == 3 && st.hits == 1, "builds %llu", (unsigned long long)st.builds);

	/* Users go; the analyses outlive the cache while used. */
	gmt_analysis__put(b);
	gmt_bincache__free(c);
	cr_assert_eq(a->refs, 1, "only the first user's reference is left");
	cr_assert_str_eq(a->rel.row->version, "go1.26.8", "still readable");
	gmt_analysis__put(a);
	gmt_analysis__put(x);
	gmt_analysis__put(y);
	unlink(link);
	unlink(copy);
	rmdir(dir);
}

Test(bincache, unused_entries_are_bounded)
{
	const char *vs[] = { "go122", "go124", "go126", "go127" };
	struct gmt_bincache *c = gmt_bincache__new(2);
	struct gmt_analysis *a;
	struct gmt_diag d = {};

	cr_assert(c);
	for (size_t i = 0; i < 4; i++) {
		cr_assert_eq(gmt_bincache__get(c, tu_fixture("demo", vs[i], "exe"), &a, &d), 0,
			     "%s", d.msg);
		/* The cache trims when it is asked: the one in use and at most 2 unused. */
		cr_assert_leq(gmt_bincache__stats(c).entries, 3, "at most 2 unused kept");
		gmt_analysis__put(a); /* the process that used it is gone */
	}
	/* The most recent ones are kept: go1.27's comes back without a build. */
	cr_assert_eq(gmt_bincache__get(c, tu_fixture("demo", "go127", "exe"), &a, &d), 0);
	cr_assert_eq(gmt_bincache__stats(c).builds, 4);
	gmt_analysis__put(a);
	/* Not a Go binary: the analysis' error, nothing cached. */
	cr_assert_lt(gmt_bincache__get(c, "/bin/true", &a, &d), 0);
	cr_assert(strstr(d.msg, "not a Go binary"), "%s", d.msg);
	cr_assert_null(a);
	gmt_bincache__free(c);
}
