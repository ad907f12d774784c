// SPDX-License-Identifier: MIT
/*
 * Build IDs (gobin/buildid.c) against independent oracles: readelf's GNU build-id,
 * `go tool buildid`, and the htlhash computed by Python's hashlib from its definition.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buildid.h"
#include "testutil.h"

static char *chomp(char *s)
{
	s[strcspn(s, "\n")] = 0;
	return s;
}

/* What Python says the htlhash of path is. */
static char *py_htlhash(const char *path)
{
	return chomp(tu_run("/usr/bin/python3 -c 'import hashlib, sys\n"
			    "d = open(sys.argv[1], \"rb\").read()\n"
			    "h = hashlib.sha256(d[:4096] + d[-4096:] + len(d).to_bytes(8, \"big\"))\n"
			    "print(h.hexdigest()[:32])' %s",
			    path));
}

static void check_fixture(const char *version, const char *flavour, bool want_gnu)
{
	const char *path = tu_fixture("alloc", version, flavour);
	char *gnu = chomp(tu_run("readelf -nW %s | sed -n 's/.*Build ID: //p'", path));
	char *go = chomp(tu_run("%s tool buildid %s", tu_go(), path));
	char *htl = py_htlhash(path);
	struct gmt_build_ids ids;
	struct gmt_diag d = {};
	struct gmt_elf *e;

	cr_assert_eq(gmt_elf__open(path, &e, &d), 0, "%s opens: %s", path, d.msg);
	cr_assert_eq(gmt_build_ids(e, &ids), 0);
	cr_assert_str_eq(ids.gnu, gnu, "%s: the GNU build ID is readelf's", path);
	cr_assert_eq(ids.gnu[0] != 0, want_gnu, "%s: a GNU note %s", path,
		     want_gnu ? "since go1.24" : "only since go1.24");
	cr_assert_str_eq(ids.go, go, "%s: the Go build ID is go tool buildid's", path);
	cr_assert_gt(strlen(ids.go), 40);
	cr_assert_str_eq(ids.htlhash, htl, "%s: the htlhash is hashlib's", path);
	gmt_elf__free(e);
	free(gnu);
	free(go);
	free(htl);
}

Test(buildid, fixtures_against_readelf_go_and_hashlib, .timeout = 120)
{
	check_fixture("go126", "exe", true);
	check_fixture("go126", "stripped", true);
	check_fixture("go119", "exe", false);
}

/* Short files: head and tail overlap, the length still counts. */
Test(buildid, htlhash_of_short_buffers)
{
	static const uint8_t abc[] = "abc";
	char out[33], *want;
	FILE *f;
	char path[] = "/tmp/gmt-htl-XXXXXX";
	int fd = mkstemp(path);

	cr_assert(fd >= 0);
	f = fdopen(fd, "wb");
	cr_assert(f && fwrite(abc, 1, 3, f) == 3 && fclose(f) == 0);
	want = py_htlhash(path);
	unlink(path);
	cr_assert_eq(gmt_htlhash(abc, 3, out), 0);
	cr_assert_str_eq(out, want, "3 bytes: sha256(abc + abc + be64(3))");
	free(want);
}
