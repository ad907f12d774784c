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

/* The container ID in the layouts container runtimes give a process's cgroups. */
#define CID "4f1c9a3e0b7d2c5a8e6f1b3d9c0a7e2f5b8d1c4a6e9f0b2d3c5a7e8f1b4d6c9a"
Test(memusage, container_id)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		/* systemd driver, cgroup v2: docker, containerd (kubernetes), cri-o, podman */
		{ "0::/system.slice/docker-" CID ".scope\n", CID },
		{ "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/"
		  "cri-containerd-" CID ".scope\n", CID },
		{ "0::/kubepods.slice/kubepods-pod2.slice/crio-" CID ".scope\n", CID },
		{ "0::/machine.slice/libpod-" CID ".scope/container\n", CID },
		/* cgroupfs driver, cgroup v1 lines: the first with a path that names one */
		{ "12:pids:/docker/" CID "\n11:memory:/docker/" CID "\n0::/\n", CID },
		{ "3:cpu:/\n4:memory:/kubepods/besteffort/pod8c3e0f7a-1b2c-4d5e-9f60-"
		  "7a8b9c0d1e2f/" CID "\n", CID },
		/* not a container: a service, the root, 63 or 65 digits, not hex */
		{ "0::/system.slice/svc.service\n", NULL },
		{ "0::/\n", NULL },
		{ "0::/docker/" CID "0\n", NULL },
		{ "0::/docker/4f1c9a3e0b7d2c5a8e6f1b3d9c0a7e2f5b8d1c4a6e9f0b2d3c5a7e8f1b4d6c9\n",
		  NULL },
		{ "0::/docker/4f1c9a3e0b7d2c5a8e6f1b3d9c0a7e2f5b8d1c4a6e9f0b2d3c5a7e8f1b4d6c9g\n",
		  NULL },
		{ "", NULL },
		{ "garbage without colons", NULL },
	};
	char id[65];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = gmt_memusage_parse_container_id(cases[i].text, id);

		if (cases[i].want) {
			cr_expect_eq(r, 0, "case %zu", i);
			cr_expect_str_eq(id, cases[i].want, "case %zu", i);
		} else {
			cr_expect_eq(r, -ENOENT, "case %zu: %s", i, r ? "" : id);
		}
	}
}

/* ... and read with the rest. */
Test(memusage, container_id_read)
{
	char p[256], c[256];
	struct gmt_memusage u;

	put("proc/42/status", status);
	put("proc/42/cgroup", "0::/system.slice/docker-" CID ".scope\n");
	roots(p, c, sizeof(p));
	cr_assert_eq(gmt_memusage_read(p, c, 42, &u), 0);
	cr_expect_str_eq(u.container_id, CID);
	put("proc/42/cgroup", "0::/user.slice\n");
	cr_assert_eq(gmt_memusage_read(p, c, 42, &u), 0);
	cr_expect_str_eq(u.container_id, "");
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
