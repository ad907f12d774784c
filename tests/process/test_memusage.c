// SPDX-License-Identifier: MIT
/*
 * process/memusage.c on files the test writes: a /proc/PID/status and /proc/PID/cgroup,
 * and a cgroup2 tree with memory.max as a number or "max"; and once on this process.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memusage.h"

static char root[64];

static void put(const char *rel, const char *text)
{
	char path[512], cmd[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	cr_assert_eq(system(cmd), 0);
	f = fopen(path, "w");
	cr_assert(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/gmt-memusage-XXXXXX");
	cr_assert(mkdtemp(root));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	(void)!system(cmd);
}

TestSuite(memusage, .init = setup, .fini = teardown);

/* The test's /proc and cgroup2 roots. */
static void roots(char *p, char *c, size_t len)
{
	snprintf(p, len, "%s/proc", root);
	snprintf(c, len, "%s/cg", root);
}

static const char status[] = "Name:\tsvc\nVmPeak:\t  900000 kB\nVmRSS:\t  123456 kB\n"
			     "RssAnon:\t  100000 kB\nThreads:\t8\n";

/* A cgroup with a limit of max bytes holding current. */
static void expect_limit(const struct gmt_memusage *u, uint64_t max, uint64_t current)
{
	cr_expect(u->have_max && !u->cgroup_unlimited);
	cr_expect_eq(u->cgroup_max, max);
	cr_expect(u->have_current);
	cr_expect_eq(u->cgroup_current, current);
}

Test(memusage, limited)
{
	char p[256], c[256];
	struct gmt_memusage u;

	put("proc/42/status", status);
	put("proc/42/cgroup", "0::/system.slice/svc.service\n");
	put("cg/system.slice/svc.service/memory.max", "4294967296\n");
	put("cg/system.slice/svc.service/memory.current", "4080218931\n");
	roots(p, c, sizeof(p));
	cr_assert_eq(gmt_memusage_read(p, c, 42, &u), 0);
	cr_expect(u.have_rss);
	cr_expect_eq(u.rss, 123456ull * 1024);
	cr_expect_str_eq(u.cgroup, "/system.slice/svc.service");
	expect_limit(&u, 4294967296ull, 4080218931ull);
}

Test(memusage, unlimited_and_v1)
{
	char p[256], c[256];
	struct gmt_memusage u;

	put("proc/7/status", status);
	put("proc/7/cgroup", "0::/user.slice\n");
	put("cg/user.slice/memory.max", "max\n");
	put("cg/user.slice/memory.current", "1024\n");
	roots(p, c, sizeof(p));
	cr_assert_eq(gmt_memusage_read(p, c, 7, &u), 0);
	cr_expect(u.have_max && u.cgroup_unlimited);
	cr_expect_eq(u.cgroup_current, 1024);
	/* cgroup v1 only: no unified line, no cgroup figures, not an error */
	put("proc/8/status", status);
	put("proc/8/cgroup", "12:memory:/docker/abc\n1:name=systemd:/docker/abc\n");
	cr_assert_eq(gmt_memusage_read(p, c, 8, &u), 0);
	cr_expect(u.have_rss);
	cr_expect_str_eq(u.cgroup, "");
	cr_expect_not(u.have_max || u.have_current);
	/* gone */
	cr_expect_eq(gmt_memusage_read(p, c, 9, &u), -ESRCH);
}

/*
 * A hybrid host: cgroup2 mounted, but the memory controller on a v1 hierarchy (the v2
 * cgroup has no memory files): the figures come from CGROUP_ROOT/memory/<v1 path>,
 * labelled v1; the kernel's "no limit" there is the page counter's maximum.
 */
Test(memusage, v1_memory_controller)
{
	char p[256], c[256];
	struct gmt_memusage u;

	put("proc/11/status", status);
	put("proc/11/cgroup", "9:name=systemd:/\n4:cpu,memory:/svc/a\n0::/\n");
	put("cg/memory/svc/a/memory.limit_in_bytes", "268435456\n");
	put("cg/memory/svc/a/memory.usage_in_bytes", "104857600\n");
	roots(p, c, sizeof(p));
	cr_assert_eq(gmt_memusage_read(p, c, 11, &u), 0);
	cr_expect_str_eq(u.cgroup, "/", "the v2 path as before");
	cr_expect_eq(u.memcg_version, 1);
	cr_expect_str_eq(u.memcg, "/svc/a");
	expect_limit(&u, 268435456ull, 104857600ull);
	/* unlimited, as v1 writes it */
	put("cg/memory/svc/a/memory.limit_in_bytes", "9223372036854771712\n");
	cr_assert_eq(gmt_memusage_read(p, c, 11, &u), 0);
	cr_expect(u.have_max && u.cgroup_unlimited);
	/* v2 files present: v2 wins, the v1 line is not used */
	put("proc/12/status", status);
	put("proc/12/cgroup", "4:memory:/svc/a\n0::/svc.slice\n");
	put("cg/svc.slice/memory.max", "1073741824\n");
	cr_assert_eq(gmt_memusage_read(p, c, 12, &u), 0);
	cr_expect_eq(u.memcg_version, 2);
	cr_expect_str_eq(u.memcg, "/svc.slice");
	cr_expect_eq(u.cgroup_max, 1073741824ull);
	/* "memoryx" is not "memory" */
	cr_expect_eq(gmt_memusage_parse_cgroup_v1("3:memoryx:/b\n", c, sizeof(c)), -ENOENT);
	cr_expect_eq(gmt_memusage_parse_cgroup_v1("3:cpu,memory:/b\n", c, sizeof(c)), 0);
	cr_expect_str_eq(c, "/b");
}

Test(memusage, parsers)
{
	uint64_t rss;
	char path[8];

	cr_expect_eq(gmt_memusage_parse_status("Name:\tx\nState:\tZ (zombie)\n", &rss), -ENOENT);
	cr_expect_eq(gmt_memusage_parse_status("VmRSS:\t 1 kB", &rss), 0);
	cr_expect_eq(rss, 1024);
	cr_expect_eq(gmt_memusage_parse_cgroup("0::/a/very/long/path\n", path, sizeof(path)),
		     -ENAMETOOLONG);
	cr_expect_eq(gmt_memusage_parse_cgroup("0::/\n", path, sizeof(path)), 0);
	cr_expect_str_eq(path, "/");
}

/* This process, against its own /proc/self/status. */
Test(memusage, self)
{
	struct gmt_memusage u;
	char buf[4096];
	FILE *f = fopen("/proc/self/status", "r");
	unsigned long long kb = 0;

	cr_assert(f);
	while (fgets(buf, sizeof(buf), f))
		sscanf(buf, "VmRSS: %llu kB", &kb);
	fclose(f);
	cr_assert_eq(gmt_memusage_read("/proc", "/sys/fs/cgroup", getpid(), &u), 0);
	cr_expect(u.have_rss);
	cr_expect_leq(llabs((long long)(u.rss / 1024) - (long long)kb), 4096);
}
