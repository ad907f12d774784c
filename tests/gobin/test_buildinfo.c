// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "buildinfo.h"
#include "elf_file.h"
#include "testutil.h"

static void split(const char *in, const char *ver, const char *exps)
{
	char v[80], e[160];

	gmt_go_version_split(in, strlen(in), v, sizeof(v), e, sizeof(e));
	cr_assert_str_eq(v, ver, "version part of '%s'", in);
	cr_assert_str_eq(e, exps, "experiments part of '%s'", in);
}

Test(buildinfo, version_string_grammar)
{
	split("go1.26.8", "go1.26.8", "");
	split("go1.22.1 X:loopvar,rangefunc", "go1.22.1", "loopvar,rangefunc");
	split("go1.26.0-X:sizespecializedmalloc", "go1.26.0", "sizespecializedmalloc");
	split("devel go1.27-1234abcd Mon Jan 1", "devel go1.27-1234abcd Mon Jan 1", "");
	cr_assert(gmt_go_has_experiment("a,sizespecializedmalloc,b", "sizespecializedmalloc"));
	cr_assert_not(gmt_go_has_experiment("nosizespecializedmalloc", "sizespecializedmalloc"),
		      "a 'no' experiment is not the experiment");
}

Test(buildinfo, version_parse)
{
	struct gmt_go_version v;

	cr_assert_eq(gmt_go_version_parse("go1.26.8", &v), 0);
	cr_assert(v.major == 1 && v.minor == 26 && v.patch == 8 && !v.devel);
	cr_assert_eq(gmt_go_version_parse("go1.21rc2", &v), 0);
	cr_assert(v.minor == 21 && v.patch == 0, "release candidate");
	cr_assert_eq(gmt_go_version_parse("devel go1.27-abc", &v), 0);
	cr_assert(v.devel && v.minor == 27);
	cr_assert_eq(gmt_go_version_parse("gox", &v), -EINVAL);
	cr_assert_eq(gmt_go_version_parse("go2.0", &v), -EINVAL);
	cr_assert_eq(gmt_go_version_parse("", &v), -EINVAL);
}

/* The oracle: `go version -m` on the same file. */
static void check_against_go_version(const char *path)
{
	char *out = tu_run("%s version %s | sed 's/^[^:]*: //'", tu_go(), path);
	char want_v[80], want_e[160];
	struct gmt_buildinfo bi;
	struct gmt_diag d = {};
	struct gmt_elf *e;
	uint64_t addr;

	out[strcspn(out, "\n")] = 0;
	gmt_go_version_split(out, strlen(out), want_v, sizeof(want_v), want_e, sizeof(want_e));
	cr_assert_eq(gmt_elf__open(path, &e, &d), 0, "%s", d.msg);
	cr_assert_eq(gmt_buildinfo_locate(e, &addr), 0, "%s: build info found", path);
	cr_assert_eq(gmt_buildinfo_parse(e, addr, &bi, &d), 0, "%s: %s", path, d.msg);
	cr_assert_str_eq(bi.version, want_v, "%s: version as go version prints it", path);
	cr_assert_str_eq(bi.experiments, want_e, "%s: experiments", path);
	cr_assert_eq(bi.ptrsize, 8);
	cr_assert(bi.has_modinfo, "%s: module info present", path);
	cr_assert_str_eq(bi.main_path, strstr(path, "/symbols-") ? "gomemtrace/fixtures/symbols"
								  : "gomemtrace/fixtures/demo",
			 "%s: main package path", path);
	cr_assert_not(bi.cgo, "%s: built with CGO_ENABLED=0", path);
	gmt_elf__free(e);
	free(out);
}

Test(buildinfo, every_fixture_matches_go_version)
{
	for (size_t v = 0; v < tu_nversions; v++)
		for (size_t f = 0; f < tu_nflavours; f++)
			if (tu_has(tu_versions[v], tu_flavours[f]))
				check_against_go_version(
				    tu_fixture("demo", tu_versions[v], tu_flavours[f]));
	check_against_go_version(tu_fixture("demo", "go126", "exp"));
}

Test(buildinfo, cgo_flag)
{
	const char *path = tu_fixture("cgo", "go126", "exe");
	struct gmt_buildinfo bi;
	struct gmt_elf *e;
	uint64_t addr;

	cr_assert_eq(gmt_elf__open(path, &e, NULL), 0);
	cr_assert_eq(gmt_buildinfo_locate(e, &addr), 0);
	cr_assert_eq(gmt_buildinfo_parse(e, addr, &bi, NULL), 0);
	cr_assert(bi.cgo, "cgo fixture says CGO_ENABLED=1");
	gmt_elf__free(e);
}

Test(buildinfo, absent_in_non_go_binary)
{
	struct gmt_elf *e;
	uint64_t addr;

	cr_assert_eq(gmt_elf__open("/bin/ls", &e, NULL), 0);
	cr_assert_eq(gmt_buildinfo_locate(e, &addr), -ENOENT, "/bin/ls has no Go build info");
	gmt_elf__free(e);
}
