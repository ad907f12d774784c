// SPDX-License-Identifier: MIT
/*
 * The release resolver and the analysis (user/goruntime/release.h, analysis.h).
 *
 * Oracles: `go version` of each fixture (of the unmodified twin for the binaries whose
 * version was removed), the release table's rows (generated from each toolchain's
 * DWARF: every fact the resolver decodes from the code must agree with its release's
 * row, on every release and flavour), `go tool nm` (the runtime variables the analysis
 * finds) and `go tool objdump` (the RET instructions it probes).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis.h"
#include "gobin.h"
#include "go_release.h"
#include "release.h"
#include "testutil.h"

/* The release `go version` names for path: 22 for go1.22.12. */
static int go_release_of(const char *path)
{
	char *out = tu_run("%s version %s | sed 's/^[^:]*: //'", tu_go(), path);
	int n = -1;

	cr_assert_eq(sscanf(out, "go1.%d", &n), 1, "%s: go version says %s", path, out);
	free(out);
	return n;
}

/* A copy of path with every `from` replaced by `to` (same length); at least one. */
static const char *patched_copy(const char *path, const char *from, const char *to, char *out,
				size_t outlen)
{
	size_t len, n = strlen(from);
	uint8_t *buf = tu_read_file(path, &len);
	uint8_t *hit = memmem(buf, len, from, n);
	int fd;

	cr_assert_eq(strlen(to), n);
	cr_assert_not_null(hit, "%s contains %s", path, from);
	for (; hit; hit = memmem(hit + n, len - (size_t)(hit + n - buf), from, n))
		memcpy(hit, to, n);
	snprintf(out, outlen, "/tmp/gmt-release-XXXXXX");
	fd = mkstemp(out);
	cr_assert(fd >= 0);
	cr_assert(write(fd, buf, len) == (ssize_t)len);
	close(fd);
	free(buf);
	return out;
}

Test(release, version_cmp)
{
	cr_assert_lt(gmt_go_version_cmp(&(struct gmt_go_version){ 1, 19 }, 1, 20), 0);
	cr_assert_eq(gmt_go_version_cmp(&(struct gmt_go_version){ 1, 20, 3 }, 1, 20), 0);
	cr_assert_gt(gmt_go_version_cmp(&(struct gmt_go_version){ 1, 28 }, 1, 27), 0);
}

/* Adding a release is a row and a line of the matrix: each row has its line. */
Test(release, every_row_is_in_the_test_matrix)
{
	cr_assert_eq(tu_nversions, gmt_go_nreleases, "matrix.txt has one line per row");
	for (size_t i = 0; i < gmt_go_nreleases; i++) {
		char fam[16], tag[16];

		gmt_go_release_family(&gmt_go_releases[i], fam, sizeof(fam));
		snprintf(tag, sizeof(tag), "go1%s", fam + 4);
		cr_expect(tu_has(tag, "exe") && tu_has(tag, "stripped"),
			  "%s: the matrix builds its exe and stripped fixtures", fam);
		cr_expect_str_eq(tu_versions[i], tag, "rows and matrix lines in the same order");
	}
	cr_assert_str_eq(gmt_go_release_range(), "go1.19 to go1.27");
}

/*
 * The end-to-end suites run a rotation of the matrix (tu_rotation): whatever the seed,
 * every release runs in every mode's suite, and every flavour on some release.
 */
Test(release, e2e_rotation_covers_every_release_and_flavour)
{
	for (unsigned seed = 0; seed < 4; seed++) {
		int idx[TU_ROTATION_MAX];
		size_t n = tu_rotation(idx, true, seed);
		bool rel[TU_MAX_VERSIONS] = {false}, fl[8] = {false}, exp = false;

		for (size_t k = 0; k < n; k++) {
			const char *v, *f;

			if (idx[k] < 0) {
				exp = true;
				continue;
			}
			tu_matrix_entry(idx[k], &v, &f);
			cr_assert(tu_has(v, f), "seed %u: %s-%s is built", seed, v, f);
			rel[idx[k] / 8] = true;
			fl[idx[k] % 8] = true;
		}
		cr_expect(exp, "seed %u: go126-exp runs", seed);
		for (size_t v = 0; v < tu_nversions; v++)
			cr_expect(rel[v], "seed %u: %s runs", seed, tu_versions[v]);
		for (size_t f = 0; f < tu_nflavours; f++)
			cr_expect(fl[f], "seed %u: flavour %s runs", seed, tu_flavours[f]);
		cr_expect_lt(n, tu_matrix_size(true), "seed %u: fewer runs than the matrix", seed);
	}
}

/*
 * The resolver decodes the same facts from the flag functions the spec names: a
 * renamed function in the spec would otherwise make inference silently weaker.
 */
Test(release, flag_functions_are_the_specs)
{
	const char *root = getenv("GMT_SOURCE_ROOT");
	static const char *const flags[] = { "GMT_REL_GDESTROY", "GMT_REL_MALLOCGC_SPLIT",
					     "GMT_REL_SIZE_SPECIALIZED" };
	const char *path = tu_fixture("demo", "go127", "nover");
	struct gmt_gobin *gb = tu_open_gobin(path);
	struct gmt_release r;
	struct gmt_diag d = {};

	cr_assert(root);
	cr_assert_eq(gmt_release_resolve(gb, &r, &d), 0, "%s", d.msg);
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		char *fn = tu_run("awk '$1 == \"%s\" && $2 == \"func\" {print $3}' "
				  "%s/scripts/gooffsets/spec.txt",
				  flags[i], root);
		char want[128];

		fn[strcspn(fn, "\n")] = 0;
		cr_assert(fn[0], "spec has %s", flags[i]);
		snprintf(want, sizeof(want), "%s present", fn);
		cr_expect(strstr(r.evidence, want), "%s: the evidence looks at %s: %s", flags[i], fn,
			  r.evidence);
		free(fn);
	}
	gmt_gobin__free(gb);
}

/*
 * Every fixture that names its version gets its release's row, exactly, and every fact
 * the inference would use agrees with that row (no note): the decoders read on every
 * release and flavour what the DWARF says.
 */
Test(release, exact_rows_and_their_facts, .timeout = 600)
{
	for (size_t v = 0; v < tu_nversions; v++) {
		const char *exe = tu_fixture("demo", tu_versions[v], "exe");
		int want = go_release_of(exe);

		for (size_t f = 0; f < tu_nflavours; f++) {
			struct gmt_release r;
			struct gmt_diag d = {};
			struct gmt_gobin *gb;
			const char *path;

			if (!tu_has(tu_versions[v], tu_flavours[f]))
				continue;
			path = tu_fixture("demo", tu_versions[v], tu_flavours[f]);
			gb = tu_open_gobin(path);
			cr_assert_eq(gmt_release_resolve(gb, &r, &d), 0, "%s: %s", path, d.msg);
			cr_expect(r.exact, "%s: exact", path);
			cr_expect_eq(r.row, gmt_go_release_find(want), "%s: row of go1.%d, got %s",
				     path, want, r.row->version);
			cr_expect_str_eq(r.notes, "", "%s: the code agrees with the row", path);
			cr_expect(strstr(r.evidence, "casgstatus swaps g.atomicstatus") &&
					  strstr(r.evidence, "acquirem/releasem count m.locks"),
				  "%s: every fact seen: %s", path, r.evidence);
			gmt_gobin__free(gb);
		}
	}
}

/*
 * Without buildinfo and version strings (the nover flavour): the release is inferred,
 * marked inexact, and is the one `go version` names for the unmodified twin.
 */
ParameterizedTestParameters(release, inferred_without_version)
{
	return cr_make_param_array(int, tu_version_params(), tu_nversions);
}

ParameterizedTest(int *i, release, inferred_without_version, .timeout = 300)
{
	const char *v = tu_versions[*i];
	static const char *const fixtures[] = { "demo", "sampled", "goleak", "gcwork" };

	if (!tu_has(v, "nover"))
		cr_skip_test("%s has no nover build in the matrix", v);
	for (size_t k = 0; k < sizeof(fixtures) / sizeof(fixtures[0]); k++) {
		const char *path = tu_fixture(fixtures[k], v, "nover");
		int want = go_release_of(tu_fixture(fixtures[k], v, "stripped"));
		char *out = tu_run("%s version %s 2>&1 || true", tu_go(), path);
		struct gmt_release r;
		struct gmt_diag d = {};
		struct gmt_gobin *gb = tu_open_gobin(path);

		cr_expect_null(strstr(out, "go1."), "%s: `go version` finds no version: %s", path,
			       out);
		free(out);
		cr_expect_eq(gb->version_source, GMT_VERSION_PCLNTAB, "%s: no version read", path);
		cr_assert_eq(gmt_release_resolve(gb, &r, &d), 0, "%s: %s", path, d.msg);
		cr_expect_not(r.exact, "%s: marked inexact", path);
		cr_expect_eq(r.row, gmt_go_release_find(want), "%s: go1.%d inferred as %s", path,
			     want, r.row->version);
		cr_expect(strstr(r.name, "(inferred)"), "%s: named %s", path, r.name);
		cr_expect(strstr(r.evidence, "pclntab magic"), "%s: evidence %s", path, r.evidence);
		gmt_gobin__free(gb);
	}
}

/* A release newer than the table, named by the binary: one line naming the newest. */
Test(release, newer_release_is_refused)
{
	const char *path = tu_fixture("demo", "go127", "stripped");
	char copy[64];
	struct gmt_release r;
	struct gmt_diag d = {};
	struct gmt_gobin *gb;

	patched_copy(path, "go1.27.0", "go1.28.0", copy, sizeof(copy));
	gb = tu_open_gobin(copy);
	cr_assert_str_eq(gb->version, "go1.28.0");
	cr_assert_eq(gmt_release_resolve(gb, &r, &d), -ENOTSUP);
	cr_expect(strstr(d.msg, "go1.28.0 is newer than gomemtrace knows") &&
			  strstr(d.msg, "go1.19 to go1.27") && strstr(d.msg, "go1.27.0") &&
			  !strchr(d.msg, '\n'),
		  "message: %s", d.msg);
	gmt_gobin__free(gb);
	unlink(copy);
}

/*
 * No version, and what the binary contains fits no row (a go1.27 whose gdestroy was
 * renamed away): refused with the evidence, never a guess.
 */
Test(release, contradictory_facts_are_refused)
{
	const char *path = tu_fixture("demo", "go127", "nover");
	char copy[64];
	struct gmt_release r;
	struct gmt_diag d = {};
	struct gmt_gobin *gb;

	patched_copy(path, "runtime.gdestroy", "runtime.gdestrox", copy, sizeof(copy));
	gb = tu_open_gobin(copy);
	cr_assert_eq(gmt_release_resolve(gb, &r, &d), -ENOTSUP);
	cr_expect(strstr(d.msg, "no release gomemtrace knows (go1.19 to go1.27) fits it") &&
			  strstr(d.msg, "the nearest, go1.27, is ruled out by runtime.gdestroy absent") &&
			  !strchr(d.msg, '\n') && strlen(d.msg) < sizeof(d.msg) - 1,
		  "message: %s", d.msg);
	gmt_gobin__free(gb);
	unlink(copy);
}

/* ---- the analysis ---- */

/* The RET instructions of fn, as go tool objdump lists them. */
static size_t objdump_rets(const char *path, const char *fn, unsigned long long *out, size_t max)
{
	char *txt = tu_run("%s tool objdump -s '^%s$' %s | awk '$4 == \"RET\" {print $2}'",
			   tu_go(), fn, path);
	size_t n = 0;

	for (char *p = txt; *p && n < max;) {
		out[n++] = strtoull(p, &p, 16);
		p += strspn(p, "\n");
	}
	free(txt);
	return n;
}

static void expect_rets(const struct gmt_analysis *a, const char *path, enum gmt_hook_id id,
			const char *fn)
{
	unsigned long long want[64];
	size_t n = objdump_rets(path, fn, want, 64), got = 0;

	cr_assert_gt(n, 0, "%s: objdump shows RETs in %s", path, fn);
	for (size_t i = 0; i < a->plan.nhooks; i++) {
		const struct gmt_hook *h = &a->plan.hooks[i];
		bool listed = false;

		if (h->id != id)
			continue;
		got++;
		for (size_t k = 0; k < n; k++)
			listed |= want[k] == h->probe_addr;
		cr_expect(listed, "%s: %s probe at %#llx is one of objdump's RETs", path, fn,
			  (unsigned long long)h->probe_addr);
		cr_expect_str_eq(h->insn, "ret");
	}
	cr_expect_eq(got, n, "%s: a probe on each of %s's %zu RETs", path, fn, n);
}

static const struct gmt_rtvar *find_var(const struct gmt_analysis *a, const char *name)
{
	for (size_t i = 0; i < a->nvars; i++)
		if (!strcmp(a->vars[i].name, name))
			return &a->vars[i];
	cr_assert_fail("no variable %s in the analysis", name);
	return NULL;
}

ParameterizedTestParameters(analysis, plan_and_variables)
{
	return cr_make_param_array(int, tu_version_params(), tu_nversions);
}

/*
 * On every release: the plan has a probe on each RET of startTheWorldWithSema and of
 * newproc1, each variable is found where the symbol table says (exe) and is decoded to
 * the same address when the symbols are gone (stripped builds read the code: mheap_,
 * mbuckets, mProfCycle and allp from their users), and every mode works.
 */
ParameterizedTest(int *i, analysis, plan_and_variables, .timeout = 300)
{
	const char *v = tu_versions[*i];
	const char *exe = tu_fixture("goleak", v, "exe");
	static const char *const syms[][2] = {
		{ "runtime.gcController", "runtime.gcController" },
		{ "runtime.memstats", "runtime.memstats" },
		{ "runtime.work", "runtime.work" },
		{ "runtime.allgs", "runtime.allgptr" },
		{ "runtime.allglen", "runtime.allglen" },
		{ "runtime.MemProfileRate", "runtime.MemProfileRate" },
		{ "runtime.disableMemoryProfiling", "runtime.disableMemoryProfiling" },
		{ "runtime.mbuckets", "runtime.mbuckets" },
		{ "runtime.mProfCycle", "runtime.mProfCycle" },
		{ "runtime.mheap_", "runtime.mheap_" },
		{ "runtime.allp", "runtime.allp" },
	};
	struct gmt_analysis *a, *s;
	struct gmt_heapvars hv;
	struct gmt_diag d = {};

	cr_assert_eq(gmt_analysis__open(exe, &a, &d), 0, "%s: %s", exe, d.msg);
	expect_rets(a, exe, GMT_HOOK_STW_START_RET, "runtime.startTheWorldWithSema");
	expect_rets(a, exe, GMT_HOOK_NEWPROC1_RET, "runtime.newproc1");
	for (size_t k = 0; k < sizeof(syms) / sizeof(syms[0]); k++) {
		const struct gmt_rtvar *rv = find_var(a, syms[k][0]);

		cr_expect_eq(rv->addr, tu_nm_addr(exe, syms[k][1]), "%s: %s at %#llx (%s)", exe,
			     syms[k][0], (unsigned long long)rv->addr, rv->why);
	}
	for (int m = 0; m < GMT_MODE__COUNT; m++)
		cr_expect(a->modes[m].works, "%s: %s works (%s)", exe, a->modes[m].name,
			  a->modes[m].why);
	/* The heap's variables decoded from their users' code, without the symbols. */
	cr_assert_eq(gmt_heapvars_find(a->gb, a->rel.row, GMT_HEAPVARS_NO_SYMTAB, &hv), 0);
	cr_expect_eq(hv.mheap, tu_nm_addr(exe, "runtime.mheap_"), "%s: mheap_ decoded (%s)", exe,
		     hv.why_mheap);
	cr_expect_eq(hv.mbuckets, tu_nm_addr(exe, "runtime.mbuckets"), "%s: mbuckets decoded (%s)",
		     exe, hv.why_mbuckets);
	cr_expect_eq(hv.mprof_cycle, tu_nm_addr(exe, "runtime.mProfCycle"),
		     "%s: mProfCycle decoded (%s)", exe, hv.why_mbuckets);
	cr_expect_eq(hv.mheap_src, GMT_HEAPVAR_DECODED);
	cr_expect_eq(hv.allp, tu_nm_addr(exe, "runtime.allp"), "%s: allp decoded (%s)", exe,
		     hv.why_allp);
	cr_expect_eq(hv.allp_src, GMT_HEAPVAR_DECODED);
	/* Stripped: everything is decoded, and every mode still works. */
	cr_assert_eq(gmt_analysis__open(tu_fixture("goleak", v, "stripped"), &s, &d), 0, "%s",
		     d.msg);
	for (size_t k = 0; k < s->nvars; k++)
		if (strcmp(s->vars[k].name, "runtime..inittask"))
			cr_expect_neq(s->vars[k].addr, 0, "%s stripped: %s found (%s)", v,
				      s->vars[k].name, s->vars[k].why);
	for (int m = 0; m < GMT_MODE__COUNT; m++)
		cr_expect(s->modes[m].works, "%s stripped: %s works (%s)", v, s->modes[m].name,
			  s->modes[m].why);
	cr_expect_eq(s->plan.nhooks, a->plan.nhooks, "%s: the same plan stripped", v);
	gmt_analysis__put(s);
	gmt_analysis__put(a);
}

Test(analysis, references)
{
	struct gmt_analysis *a;
	struct gmt_diag d = {};

	cr_assert_eq(gmt_analysis__open(tu_fixture("demo", "go126", "exe"), &a, &d), 0, "%s",
		     d.msg);
	cr_assert_eq(a->refs, 1);
	cr_assert_eq(gmt_analysis__get(a), a);
	gmt_analysis__put(a);
	cr_assert_eq(a->refs, 1, "one put of two references leaves it");
	gmt_analysis__put(a);
	cr_assert_eq(gmt_analysis__open("/bin/true", &a, &d), -ENOEXEC);
	cr_assert_null(a);
	cr_expect(strstr(d.msg, "not a Go binary"), "%s", d.msg);
}
