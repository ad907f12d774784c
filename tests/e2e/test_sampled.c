// SPDX-License-Identifier: MIT
/*
 * End to end: `gomemtrace record --mode sampled` on the sampled fixture, for every Go
 * release, each in two of its build flavours (tu_rotation), against the runtime's own
 * MemStats.  The fixture does not
 * link the heap profiler, so its MemProfileRate is 0 and gomemtrace must set it, and
 * restore it: the fixture prints the rate again after gomemtrace detached.  These tests
 * load BPF and attach uprobes: without root or BPF they fail, they never skip.
 *
 * Sampling is random: the tolerances leave room for it.  At --rate 65536 the smallest
 * checked site (~10% of ~1.1 GB) gets ~1,600 samples (2.5% standard error), the live
 * heap (128 MiB) ~2,000; at the default rate the live heap gets ~250 (6%).
 *
 * The live heap (issue 13) has its own fixtures: churn (a live set that turns over
 * while traced, against its own HeapAlloc) and pprofsvc (a service linking
 * net/http/pprof, against its own /debug/pprof/heap); see the end of this file.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

struct site {
	char name[64];
	long bytes;
};

struct truth {
	struct site sites[16];
	int nsites;
	long total, live, rate_start, rate_end;
	bool have_rate_end;
};

static void parse_fixture_output(const char *out, struct truth *t)
{
	memset(t, 0, sizeof(*t));
	t->rate_start = t->rate_end = -1;
	for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		struct site *s = &t->sites[t->nsites];

		if (sscanf(p, "site %63s bytes=%ld", s->name, &s->bytes) == 2 && t->nsites < 15)
			t->nsites++;
		sscanf(p, "total bytes=%ld", &t->total);
		sscanf(p, "live bytes=%ld", &t->live);
		sscanf(p, "rate start=%ld", &t->rate_start);
		if (sscanf(p, "rate end=%ld", &t->rate_end) == 1)
			t->have_rate_end = true;
	}
	cr_assert_eq(t->nsites, 6, "fixture printed its six sites:\n%s", out);
	cr_assert_gt(t->total, 500L << 20, "fixture allocated at least 500 MB:\n%s", out);
	cr_assert_gt(t->live, 0, "fixture printed its live bytes:\n%s", out);
}

/* The leaf function with the most bytes in alloc_bytes.folded. */
static char *folded_top_leaf(const char *dir)
{
	return tu_run("awk '{v=$NF; $NF=\"\"; n=split($0, f, \";\"); sub(/ +$/, \"\", f[n]); "
		      "s[f[n]]+=v} END {for (k in s) print s[k], k}' %s/alloc_bytes.folded | "
		      "sort -rn | head -1 | cut -d' ' -f2",
		      dir);
}

/* The first function of `go tool pprof -top` (the most flat alloc_space). */
static char *pprof_top(const char *dir)
{
	return tu_run("cd %s && go tool pprof -top alloc.pb.gz 2>/dev/null | "
		      "awk '/flat%%/ {on=1; next} on {print $6; exit}'",
		      dir);
}

static void expect_within(double got, double want, double tol, const char *fx, const char *what)
{
	cr_expect(fabs(got - want) <= tol * want,
		  "%s: %s: estimate %.0f within %.0f%% of %.0f (%.1f%% off)", fx, what, got,
		  tol * 100, want, 100 * (got - want) / want);
}

/*
 * Attach (-p) to the fixture waiting for SIGUSR1, let it allocate, stop gomemtrace
 * with SIGINT once it printed "done", then let it print its rate after the detach.
 */
static char *run_attached(const char *fx, const char *fxargs, const char *opts, char *dir,
			  size_t dirlen)
{
	char *out = tu_run("GMT=%s FX=%s bash -c '"
			   "set -e; d=$(mktemp -d); $FX -wait %s > $d/fx.out & p=$!; "
			   "until grep -qs ready $d/fx.out; do sleep 0.05; done; "
			   "$GMT record --mode sampled %s -o $d/out -p $p 2> $d/gmt.err & g=$!; "
			   "until grep -qs \"tracing PID\" $d/gmt.err; do sleep 0.05; done; "
			   "kill -USR1 $p; until grep -qs done $d/fx.out; do sleep 0.05; done; "
			   "kill -INT $g; wait $g; echo gmt_rc=$?; kill -USR2 $p; wait $p; "
			   "cat $d/fx.out $d/gmt.err; echo dir=$d'",
			   tu_bin(), fx, fxargs, opts);
	const char *p = strstr(out, "dir=");

	cr_assert(p && sscanf(p, "dir=%255s", dir) == 1, "%s: the run finished:\n%s", fx, out);
	cr_assert(strstr(out, "gmt_rc=0"), "%s: gomemtrace exits 0 on SIGINT:\n%s", fx, out);
	strncat(dir, "/out", dirlen - strlen(dir) - 1);
	return out;
}

/*
 * Estimated bytes of type name in summary.json's list key (top_types, inuse_top_types);
 * 0 if absent.
 */
static double summary_type_bytes(const char *dir, const char *key, const char *name)
{
	char *out = tu_run("python3 -c 'import json, sys; "
			   "print(sum(t[\"est_bytes\"] for t in json.load(open(sys.argv[1]))[sys.argv[2]] "
			   "if t[\"name\"] == sys.argv[3]))' %s/summary.json %s '%s'",
			   dir, key, name);
	double v = atof(out);

	free(out);
	return v;
}

static long site_bytes(const struct truth *t, const char *fn)
{
	for (int i = 0; i < t->nsites; i++)
		if (strcmp(t->sites[i].name, fn) == 0)
			return t->sites[i].bytes;
	cr_assert_fail("the fixture printed site %s", fn);
	return 0;
}

/*
 * Per type: the sampler does not see types, gomemtrace reads them from the call sites.
 * [8]int only comes from siteSmall, *int from sitePtrs (element type of []*int), uint8
 * from the four []byte sites; the live heap is siteKeep's []byte.
 */
static void check_types(const char *fx, const char *dir, const struct truth *t)
{
	double u8 = site_bytes(t, "main.sitePages") + site_bytes(t, "main.siteKilo") +
		    site_bytes(t, "main.siteLarge") + site_bytes(t, "main.siteKeep");

	expect_within(summary_type_bytes(dir, "top_types", "[8]int"), site_bytes(t, "main.siteSmall"),
		      0.20, fx, "bytes of type [8]int");
	expect_within(summary_type_bytes(dir, "top_types", "*int"), site_bytes(t, "main.sitePtrs"),
		      0.20, fx, "bytes of type *int");
	expect_within(summary_type_bytes(dir, "top_types", "uint8"), u8, 0.20, fx,
		      "bytes of type uint8");
	expect_within(summary_type_bytes(dir, "inuse_top_types", "uint8"), t->live, 0.20, fx,
		      "in-use bytes of type uint8");
}

static void check_estimates(const char *fx, const char *dir, const struct truth *t, bool per_site)
{
	char path[512];

	expect_within(tu_summary_num(dir, "est_alloc_bytes"), t->total, 0.10, fx, "total alloc bytes");
	expect_within(tu_summary_num(dir, "est_inuse_bytes"), t->live, 0.20, fx, "in-use bytes after GC");
	snprintf(path, sizeof(path), "%s/inuse_bytes.folded", dir);
	expect_within(tu_folded_sum(path, "main.siteKeep", false), t->live, 0.20, fx,
		      "in-use bytes of main.siteKeep");
	if (!per_site)
		return;
	check_types(fx, dir, t);
	snprintf(path, sizeof(path), "%s/alloc_bytes.folded", dir);
	for (int i = 0; i < t->nsites; i++) {
		if (t->sites[i].bytes * 20 < t->total)
			continue; /* under 5% of the bytes */
		expect_within(tu_folded_sum(path, t->sites[i].name, false), t->sites[i].bytes, 0.20,
			      fx, t->sites[i].name);
	}
}

static void check_pprof_top(const char *fx, const char *dir)
{
	char *ours = folded_top_leaf(dir), *theirs = pprof_top(dir);

	cr_expect(ours[0] && strcmp(ours, theirs) == 0,
		  "%s: go tool pprof -top reads alloc.pb.gz and its top function (%s) is our "
		  "top leaf (%s)",
		  fx, theirs, ours);
	free(ours);
	free(theirs);
}

static void check_attached(const char *version, const char *flavour)
{
	const char *fx = tu_fixture("sampled", version, flavour);
	char dir[300] = "";
	char *out = run_attached(fx, "", "--rate 65536", dir, sizeof(dir));
	struct truth t;

	parse_fixture_output(out, &t);
	cr_assert_eq(t.rate_start, 0, "%s: without the heap profiler linked the rate is 0", fx);
	cr_assert(strstr(out, "gomemtrace sets it to 65536"),
		  "%s: gomemtrace announced that it writes the rate:\n%s", fx, out);
	cr_assert(t.have_rate_end && t.rate_end == t.rate_start,
		  "%s: MemProfileRate after the detach (%ld) is the original (%ld)", fx, t.rate_end,
		  t.rate_start);
	cr_assert_eq(tu_summary_num(dir, "rate"), 65536, "%s: summary.json has the rate", fx);
	cr_assert_eq(tu_summary_num(dir, "target_rate_written"), 1, "%s: summary.json says it wrote", fx);
	cr_assert_gt(tu_summary_num(dir, "samples"), 10000, "%s: samples arrived", fx);
	check_estimates(fx, dir, &t, true);
	check_pprof_top(fx, dir);
	tu_run("rm -rf \"$(dirname %s)\"", dir); /* the run's whole temporary directory */
	free(out);
}

ParameterizedTestParameters(sampled, estimates_match_memstats)
{
	static int idx[TU_ROTATION_MAX];

	return cr_make_param_array(int, idx, tu_rotation(idx, true, 1));
}

ParameterizedTest(int *i, sampled, estimates_match_memstats, .timeout = 300)
{
	const char *v, *f;

	tu_matrix_entry(*i, &v, &f);
	check_attached(v, f);
}

/*
 * No Go version in the binary (the nover flavour: buildinfo zeroed, go1.N.M strings
 * overwritten): the release is inferred from what the binary contains, said so when the
 * tracing starts, and the estimates hold as on the binary that names its release.  Before
 * the inference, such a go1.27 binary got go1.20's rules (mProf_Malloc without mp), and
 * sampled mode estimated ~10^17 bytes.  go1.23 is the first release with mProf_Malloc(mp,
 * p, size), go1.27 the newest.
 */
static const char *const inferred_versions[] = {"go123", "go127"};

ParameterizedTestParameters(sampled, inferred_release_estimates)
{
	static int idx[] = {0, 1};

	return cr_make_param_array(int, idx, 2);
}

ParameterizedTest(int *i, sampled, inferred_release_estimates, .timeout = 300)
{
	const char *v = inferred_versions[*i];
	char want[64];
	char *out;

	snprintf(want, sizeof(want), ", %s (inferred), stripped)", tu_release_name(v));
	out = tu_run("%s info %s 2>&1 | grep '^release:' || true", tu_bin(),
		     tu_fixture("sampled", v, "nover"));
	cr_expect(strstr(out, "inferred"), "%s-nover: info says the release is inferred: %s", v,
		  out);
	free(out);
	{
		const char *fx = tu_fixture("sampled", v, "nover");
		char dir[300] = "";
		struct truth t;

		out = run_attached(fx, "", "--rate 65536", dir, sizeof(dir));
		parse_fixture_output(out, &t);
		cr_assert(strstr(out, want), "%s: the tracing names the inferred release %s:\n%s",
			  fx, want, out);
		cr_assert(t.have_rate_end && t.rate_end == t.rate_start,
			  "%s: MemProfileRate restored (%ld, was %ld)", fx, t.rate_end,
			  t.rate_start);
		cr_assert_gt(tu_summary_num(dir, "samples"), 10000, "%s: samples arrived", fx);
		check_estimates(fx, dir, &t, true);
		tu_run("rm -rf \"$(dirname %s)\"", dir);
		free(out);
	}
}

/* The default rate (512 KiB): fewer samples, the totals still hold. */
Test(sampled, default_rate, .timeout = 300)
{
	const char *fx = tu_fixture("sampled", "go124", "exe");
	char dir[300] = "";
	char *out = run_attached(fx, "", "", dir, sizeof(dir));
	struct truth t;

	parse_fixture_output(out, &t);
	cr_assert_eq(tu_summary_num(dir, "rate"), 524288, "%s: the default rate is 524288", fx);
	cr_assert(t.rate_end == 0, "%s: MemProfileRate restored to 0 after the detach", fx);
	check_estimates(fx, dir, &t, false);
	tu_run("rm -rf \"$(dirname %s)\"", dir);
	free(out);
}

/*
 * Launch mode: the runtime zeroes the rate during its start-up, so gomemtrace sets it
 * only after that point; go1.19 (set by runtime.init) and go1.27 (by schedinit).
 */
static void check_launched(const char *version)
{
	const char *fx = tu_fixture("sampled", version, "exe");
	char dir[] = "/tmp/gmt-smp-XXXXXX", out_dir[300];
	char *out;
	struct truth t;

	cr_assert_not_null(mkdtemp(dir));
	out = tu_run("%s record --mode sampled --rate 65536 -q -o %s/out -- %s", tu_bin(), dir, fx);
	parse_fixture_output(out, &t);
	snprintf(out_dir, sizeof(out_dir), "%s/out", dir);
	cr_assert_eq(tu_summary_num(out_dir, "target_rate_written"), 1, "%s: the rate was written", fx);
	check_estimates(fx, out_dir, &t, true);
	tu_run("rm -rf %s", dir);
	free(out);
}

Test(sampled, launch_go119, .timeout = 300)
{
	check_launched("go119");
}

Test(sampled, launch_go127, .timeout = 300)
{
	check_launched("go127");
}

/* --no-write-target with a rate of 0: says so, traces nothing, writes nothing. */
Test(sampled, no_write_target_refuses, .timeout = 120)
{
	const char *fx = tu_fixture("sampled", "go122", "stripped");
	char *out = tu_run(
	    "GMT=%s FX=%s bash -c '"
	    "d=$(mktemp -d); $FX -wait > $d/fx.out & p=$!; "
	    "until grep -qs ready $d/fx.out; do sleep 0.05; done; "
	    "$GMT record --mode sampled --no-write-target -o $d/out -p $p 2> $d/gmt.err; "
	    "echo gmt_rc=$?; kill -USR1 $p; until grep -qs done $d/fx.out; do sleep 0.05; done; "
	    "kill -USR2 $p; wait $p; cat $d/fx.out $d/gmt.err; ls $d/out 2>&1; rm -rf $d'",
	    tu_bin(), fx);
	struct truth t;

	parse_fixture_output(out, &t);
	cr_assert(strstr(out, "gmt_rc=1"), "gomemtrace fails rather than pretend:\n%s", out);
	cr_assert(strstr(out, "nothing to trace"), "and says why:\n%s", out);
	cr_assert_eq(t.rate_end, 0, "the target's rate was never written");
	cr_assert(!strstr(out, "summary.json"), "no outputs written:\n%s", out);
	free(out);
}

/*
 * Go's own heap profile: the heapprof fixture links runtime/pprof and writes its heap
 * profile before and after the window gomemtrace is attached around.  Both rest on the
 * same samples, so `go tool pprof` ranks the sites the same way for both; runtime frames
 * are hidden so that each site's leaf is its function.  The fixture's MemProfileRate
 * (65536) is not 0: gomemtrace reads it and writes nothing.
 */
static char *pprof_top5(const char *profiles)
{
	return tu_run("go tool pprof -top -sample_index=alloc_space -hide='^runtime\\.' %s "
		      "2>/dev/null | awk '/flat%%/ {on=1; next} on && n < 5 {print $6; n++}'",
		      profiles);
}

/*
 * The first function of `go tool pprof -top` by alloc_space, nothing hidden: the top of
 * "flat", where Go's own heap profile names the function whose code allocated.
 */
static char *pprof_top_flat(const char *profiles)
{
	return tu_run("go tool pprof -top -sample_index=alloc_space %s 2>/dev/null | "
		      "awk '/flat%%/ {on=1; next} on {print $6; exit}'",
		      profiles);
}

static void check_ranking(const char *version, const char *flavour)
{
	const char *fx = tu_fixture("heapprof", version, flavour);
	char dir[300] = "", profiles[700], want[256] = "";
	char *out = run_attached(fx, "-prof $d", "", dir, sizeof(dir));
	char *ours, *theirs;
	struct truth t;

	memset(&t, 0, sizeof(t));
	for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		struct site *s = &t.sites[t.nsites];

		if (sscanf(p, "site %63s bytes=%ld", s->name, &s->bytes) == 2 && t.nsites < 15)
			t.nsites++;
		sscanf(p, "rate end=%ld", &t.rate_end);
	}
	cr_assert_eq(t.nsites, 6, "%s: the fixture printed its six sites:\n%s", fx, out);
	cr_assert_eq(tu_summary_num(dir, "rate"), 65536, "%s: the target's own rate is used", fx);
	cr_assert_eq(tu_summary_num(dir, "target_rate_written"), 0, "%s: nothing written", fx);
	cr_assert_eq(t.rate_end, 65536, "%s: the rate is untouched", fx);
	/* The fixture lists its sites by decreasing bytes: the truth's ranking. */
	for (int i = 0; i < 5; i++) {
		cr_assert_gt(t.sites[i].bytes, t.sites[i + 1].bytes, "%s: sites in order", fx);
		strcat(want, t.sites[i].name);
		strcat(want, "\n");
	}
	snprintf(profiles, sizeof(profiles), "-base %s/../before.pb.gz %s/../after.pb.gz", dir, dir);
	theirs = pprof_top5(profiles);
	snprintf(profiles, sizeof(profiles), "%s/alloc.pb.gz", dir);
	ours = pprof_top5(profiles);
	cr_expect_str_eq(theirs, want, "%s: Go's own heap profile ranks the sites by their bytes", fx);
	cr_expect_str_eq(ours, theirs, "%s: our top 5 (\n%s) are Go's own (\n%s)", fx, ours, theirs);
	free(ours);
	free(theirs);
	/* Without hiding anything: our profile leaves the allocator's frames out as Go's does. */
	snprintf(profiles, sizeof(profiles), "-base %s/../before.pb.gz %s/../after.pb.gz", dir, dir);
	theirs = pprof_top_flat(profiles);
	snprintf(profiles, sizeof(profiles), "%s/alloc.pb.gz", dir);
	ours = pprof_top_flat(profiles);
	snprintf(want, sizeof(want), "%s\n", t.sites[0].name);
	cr_expect_str_eq(theirs, want, "%s: Go's own heap profile's top flat function", fx);
	cr_expect_str_eq(ours, theirs, "%s: our top flat function (%s) is Go's own (%s)", fx, ours,
			 theirs);
	expect_within(summary_type_bytes(dir, "top_types", "[64]int"), site_bytes(&t, "main.siteB"),
		      0.20, fx, "bytes of type [64]int");
	expect_within(summary_type_bytes(dir, "top_types", "main.record"),
		      site_bytes(&t, "main.siteE"), 0.20, fx, "bytes of type main.record");
	tu_run("rm -rf \"$(dirname %s)\"", dir);
	free(ours);
	free(theirs);
	free(out);
}

ParameterizedTestParameters(sampled, top5_as_go_heap_profile)
{
	static int idx[TU_ROTATION_MAX];

	return cr_make_param_array(int, idx, tu_rotation(idx, true, 3));
}

ParameterizedTest(int *i, sampled, top5_as_go_heap_profile, .timeout = 300)
{
	const char *v, *f;

	tu_matrix_entry(*i, &v, &f);
	check_ranking(v, f);
}

/* ---- The live heap (issue 13) ---- */

/* The string value of key in DIR/summary.json. */
static char *summary_str(const char *dir, const char *key)
{
	return tu_run("python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "
		      "%s/summary.json %s",
		      dir, key);
}

/*
 * Bash: waits until file $1 has a line matching $2, failing (exit 1, the file on stderr)
 * if process $3 is gone first: a fixture or gomemtrace that died is a failure, not a
 * hang.  On any exit, gomemtrace ($g) is stopped (so that it restores the rate) and the
 * fixture ($p, which ignores SIGTERM until its end) killed: nothing is left running.
 */
#define WAITFOR                                                                          \
	"p=; g=; waitfor() { until grep -qs \"$2\" $1; do kill -0 $3 2>/dev/null || "      \
	"{ echo \"$3 died waiting for $2\" >&2; cat $1 >&2; exit 1; }; sleep 0.02; done; }; " \
	"cleanup() { if [ -n \"$g\" ]; then kill $g || true; wait $g || true; fi; "          \
	"if [ -n \"$p\" ]; then kill -9 $p || true; fi; } 2>/dev/null; trap cleanup EXIT; "

/*
 * The churn fixture keeps ~50 MB live in a ring that turns over every 0.75 s.  Attach,
 * wait for two more turnovers (the second started after the attach, so every object
 * live at the end was allocated while tracing), stop the churning: the fixture
 * collects and prints its own HeapAlloc.  Then end gomemtrace's window (SIGINT) and, as
 * soon as it says so, let the fixture drop its ring and collect again while the probes
 * are being removed: those frees come after the end and must not count.
 */
static char *run_churn(const char *fx, const char *fxargs, const char *opts, char *dir,
		       size_t dirlen)
{
	char *out = tu_run("GMT=%s FX=%s bash -c '" WAITFOR
			   "set -e; d=$(mktemp -d); $FX %s > $d/fx.out & p=$!; "
			   "waitfor $d/fx.out ready $p; "
			   "$GMT record --mode sampled %s -o $d/out -p $p 2> $d/gmt.err & g=$!; "
			   "waitfor $d/gmt.err \"tracing PID\" $g; "
			   "t0=$(grep -c turnover $d/fx.out || true); "
			   "until [ $(grep -c turnover $d/fx.out) -ge $((t0 + 2)) ]; do "
			   "kill -0 $p; sleep 0.02; done; "
			   "kill -USR1 $p; waitfor $d/fx.out \"^live\" $p; "
			   "kill -INT $g; waitfor $d/gmt.err \"tracing ended\" $g; "
			   "kill -USR2 $p; waitfor $d/fx.out released $p; "
			   "wait $g && echo gmt_rc=0; g=; kill -TERM $p; wait $p; p=; "
			   "cat $d/fx.out $d/gmt.err; echo dir=$d'",
			   tu_bin(), fx, fxargs, opts);
	const char *p = strstr(out, "dir=");

	cr_assert(p && sscanf(p, "dir=%255s", dir) == 1, "%s: the run finished:\n%s", fx, out);
	cr_assert(strstr(out, "gmt_rc=0"), "%s: gomemtrace exits 0 on SIGINT:\n%s", fx, out);
	strncat(dir, "/out", dirlen - strlen(dir) - 1);
	return out;
}

struct churn_case {
	const char *version, *flavour;
	bool own_rate; /* the program sets MemProfileRate itself, before gomemtrace attaches */
};

/* Every release, a flavour each, both ways of getting a rate. */
static const struct churn_case churn_cases[] = {
	{ "go119", "exe", false },    { "go119", "stripped", true }, { "go122", "pie", false },
	{ "go122", "nosh", true },    { "go124", "stripped", false }, { "go124", "exe", true },
	{ "go126", "nosh", false },   { "go126", "exp", true },      { "go127", "exe", false },
	{ "go127", "pie", true },
};

#define NCHURN (sizeof(churn_cases) / sizeof(churn_cases[0]))

ParameterizedTestParameters(sampled, live_heap_of_churning_ring)
{
	static int idx[NCHURN];

	for (size_t i = 0; i < NCHURN; i++)
		idx[i] = (int)i;
	return cr_make_param_array(int, idx, NCHURN);
}

/*
 * The estimated live heap within 15 % of the program's own HeapAlloc after a GC, at
 * --rate 32768 (written by gomemtrace) and at the program's own rate 32768 (objects
 * sampled before the attach die during the trace, in the same buckets).  At that rate
 * the ring's 440 x (80 + 24 + 4 + 2 x 1 KiB + small) objects give the estimate a
 * standard error of about 1.5 % (sum of size^2 (1/q - 1), q = 1 - exp(-size/rate)).
 */
ParameterizedTest(int *i, sampled, live_heap_of_churning_ring, .timeout = 300)
{
	const struct churn_case *c = &churn_cases[*i];
	const char *fx = tu_fixture("churn", c->version, c->flavour);
	char dir[300] = "", *covers;
	char *out = run_churn(fx, c->own_rate ? "-rate 32768" : "",
			      c->own_rate ? "" : "--rate 32768", dir, sizeof(dir));
	long live = 0, start = -1, end = -1;
	double est, ignored, bk;

	for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		sscanf(p, "live heapalloc=%ld", &live);
		sscanf(p, "rate start=%ld", &start);
		sscanf(p, "rate end=%ld", &end);
	}
	cr_assert_gt(live, 40L << 20, "%s: the fixture printed its live heap:\n%s", fx, out);
	cr_assert_eq(start, c->own_rate ? 32768 : 0, "%s: the rate it started with", fx);
	cr_assert_eq(end, start, "%s: its rate is back to %ld after the detach", fx, start);
	cr_assert_eq(tu_summary_num(dir, "rate"), 32768, "%s: sampled at 32768", fx);
	cr_assert_eq(tu_summary_num(dir, "target_rate_written"), !c->own_rate,
		     "%s: the rate written only when it was 0", fx);
	est = tu_summary_num(dir, "est_inuse_bytes");
	ignored = tu_summary_num(dir, "sampled_frees_ignored");
	cr_log_info("%s, %s rate: live heap %.0f, HeapAlloc %ld (%+.1f%%), %.0f samples, %.0f "
		    "frees, %.0f ignored, %.0f records after the end",
		    fx, c->own_rate ? "its own" : "gomemtrace's", est, live,
		    100 * (est - live) / live, tu_summary_num(dir, "samples"),
		    tu_summary_num(dir, "sampled_frees"), ignored,
		    tu_summary_num(dir, "sampler_after_end"));
	cr_expect(fabs(est - live) <= 0.15 * live,
		  "%s (%s rate): estimated live heap %.0f within 15%% of HeapAlloc %ld (%.1f%% "
		  "off; %.0f frees of older objects ignored, %.0f records after the end)",
		  fx, c->own_rate ? "its own" : "gomemtrace's", est, live,
		  100 * (est - live) / live, ignored, tu_summary_num(dir, "sampler_after_end"));
	/* Sampling on its own, the program had sampled ring objects before the attach: they
	 * all died while tracing.  Otherwise nothing was sampled before: no free is not ours. */
	if (c->own_rate)
		cr_expect_gt(ignored, 0, "%s: frees of objects sampled before the attach seen", fx);
	else
		cr_expect_eq(ignored, 0, "%s: every free seen is of an object we saw sampled", fx);
	covers = summary_str(dir, "est_inuse_covers");
	cr_expect_str_eq(covers, "allocated_while_tracing\n", "%s: summary.json says what it covers",
			 fx);
	free(covers);
	free(tu_run("grep -q 'allocated before gomemtrace attached are not in this figure' "
		    "%s/report.txt",
		    dir));
	/* The runtime's buckets: since the start, or since gomemtrace raised the rate. */
	covers = summary_str(dir, "live_heap_covers");
	cr_expect_str_eq(covers, c->own_rate ? "since_process_start\n" : "since_rate_raised\n",
			 "%s: summary.json says what the buckets cover", fx);
	free(covers);
	/* As of the fixture's GC, the last before the end: the same 15 % as the probes'
	 * (the same sampling error; measured -3.2 % to +1.8 % over the ten cases). */
	bk = tu_summary_num(dir, "live_heap_inuse_bytes");
	cr_log_info("%s: the buckets' live heap %.0f, HeapAlloc %ld (%+.1f%%)", fx, bk, live,
		    100 * (bk - live) / live);
	cr_expect(fabs(bk - live) <= 0.15 * live,
		  "%s: the buckets' live heap %.0f within 15%% of HeapAlloc %ld", fx, bk, live);
	tu_run("rm -rf \"$(dirname %s)\"", dir);
	free(out);
}

/*
 * A service linking net/http/pprof samples at 512 KiB from its start.  After the attach
 * it allocates sessions (main.sessionKeep) and keeps turning its cache (main.cacheFill)
 * and its tiny tokens (main.tokenFill) over until they hold only objects allocated while
 * tracing; then it goes quiet and its own /debug/pprof/heap?gc=1 is fetched before the
 * window ends.  For these three sites both profiles rest on the very same samples: ours
 * must match its in-use bytes within 2 % (what rounding of weighted estimates leaves).
 * main.preload, allocated before the attach and kept, is in its profile and must not be
 * in ours.
 */
static double pprof_inuse_flat(const char *profile, const char *fn)
{
	char *out = tu_run("%s tool pprof -sample_index=inuse_space -top -unit=B -nodecount=1000 "
			   "-hide='^runtime\\.' %s 2>/dev/null | "
			   "awk '$6 == \"%s\" {sub(/B$/, \"\", $1); print $1; exit}'",
			   tu_go(), profile, fn);
	double v = atof(out);

	free(out);
	return v;
}

/*
 * Site fn's in-use bytes in profile a within tol (a fraction) of those in the reference
 * profile b, which must have more than 4 MiB of it live.
 */
static void expect_site_inuse(const char *fx, const char *fn, const char *an, const char *a,
			      const char *bn, const char *b, double tol)
{
	double o = pprof_inuse_flat(a, fn), t = pprof_inuse_flat(b, fn);

	cr_log_info("%s: %s in use: %s %.0f, %s %.0f (%+.2f%%)", fx, fn, an, o, bn, t,
		    100 * (o - t) / t);
	cr_expect_gt(t, 4 << 20, "%s: %s has %s live (%.0f bytes)", fx, bn, fn, t);
	cr_expect(fabs(o - t) <= tol * t, "%s: %s in use: %s %.0f, %s %.0f (%.2f%% off)", fx, fn,
		  an, o, bn, t, 100 * (o - t) / t);
}

/*
 * The pprofsvc run both service tests share: attach, open the window, wait for two
 * turnovers, go quiet, fetch the service's own /debug/pprof/heap?gc=1 into $d/heap.pb.gz,
 * stop gomemtrace ($d/out); the fixture's and gomemtrace's output, then dir=$d.
 */
static char *run_svc(const char *fx)
{
	return tu_run("GMT=%s FX=%s bash -c '" WAITFOR
		      "set -e; d=$(mktemp -d); $FX > $d/fx.out & p=$!; "
		      "waitfor $d/fx.out ready $p; addr=$(sed -n \"s/^addr=//p\" $d/fx.out); "
		      "$GMT record --mode sampled -o $d/out -p $p 2> $d/gmt.err & g=$!; "
		      "waitfor $d/gmt.err \"tracing PID\" $g; "
		      "kill -USR1 $p; waitfor $d/fx.out \"^window\" $p; "
		      "t0=$(grep -c turnover $d/fx.out || true); "
		      "until [ $(grep -c turnover $d/fx.out) -ge $((t0 + 2)) ]; do "
		      "kill -0 $p; sleep 0.02; done; "
		      "kill -USR2 $p; waitfor $d/fx.out \"^quiet\" $p; "
		      "curl -sf -o $d/heap.pb.gz \"http://$addr/debug/pprof/heap?gc=1\"; "
		      "kill -INT $g; wait $g && echo gmt_rc=0; g=; kill -TERM $p; wait $p; p=; "
		      "cat $d/fx.out $d/gmt.err; echo dir=$d'",
		      tu_bin(), fx);
}

static const char *const svc_cases[][2] = {
	{ "go119", "stripped" }, { "go122", "exe" }, { "go124", "nosh" },
	{ "go126", "pie" },	 { "go127", "stripped" },
};

ParameterizedTestParameters(sampled, live_heap_as_service_profile)
{
	static int idx[] = { 0, 1, 2, 3, 4 };

	return cr_make_param_array(int, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(int *i, sampled, live_heap_as_service_profile, .timeout = 300)
{
	const char *fx = tu_fixture("pprofsvc", svc_cases[*i][0], svc_cases[*i][1]);
	static const char *const sites[] = { "main.cacheFill", "main.tokenFill",
					     "main.sessionKeep" };
	char dir[300] = "", outdir[320], ours[400], theirs[400];
	char *out = run_svc(fx);
	const char *p = strstr(out, "dir=");
	long rate = -1;

	cr_assert(p && sscanf(p, "dir=%255s", dir) == 1, "%s: the run finished:\n%s", fx, out);
	cr_assert(strstr(out, "gmt_rc=0"), "%s: gomemtrace exits 0 on SIGINT:\n%s", fx, out);
	p = strstr(out, "rate end=");
	cr_assert(p && sscanf(p, "rate end=%ld", &rate) == 1 && rate == 524288,
		  "%s: the service's own rate, untouched:\n%s", fx, out);
	snprintf(outdir, sizeof(outdir), "%s/out", dir);
	snprintf(ours, sizeof(ours), "%s/alloc.pb.gz", outdir);
	snprintf(theirs, sizeof(theirs), "%s/heap.pb.gz", dir);
	cr_assert_eq(tu_summary_num(outdir, "rate"), 524288, "%s: its own rate is used", fx);
	cr_assert_eq(tu_summary_num(outdir, "target_rate_written"), 0, "%s: nothing written", fx);
	for (size_t k = 0; k < sizeof(sites) / sizeof(sites[0]); k++)
		expect_site_inuse(fx, sites[k], "ours", ours, "its /debug/pprof/heap", theirs, 0.02);
	cr_log_info("%s: main.preload in use: ours %.0f, its own %.0f; %.0f frees of older "
		    "objects ignored",
		    fx, pprof_inuse_flat(ours, "main.preload"), pprof_inuse_flat(theirs, "main.preload"),
		    tu_summary_num(outdir, "sampled_frees_ignored"));
	cr_expect_gt(pprof_inuse_flat(theirs, "main.preload"), 8 << 20,
		     "%s: its profile has the objects preloaded before the attach", fx);
	cr_expect_eq(pprof_inuse_flat(ours, "main.preload"), 0,
		     "%s: ours does not: they were allocated before the attach", fx);
	tu_run("rm -rf %s", dir);
	free(out);
}

/*
 * record's live heap comes from the runtime's own buckets read at the end of the window
 * (heap.pb.gz, summary.json's live_heap_*, report.txt).  Oracle: the service's own
 * /debug/pprof/heap?gc=1, fetched after it went quiet and before the window ended: both
 * are MemProfile as of the same GC cycle (the fetch's; no GC runs between it and the
 * end), so heap.pb.gz must equal it per stack in all four sample types (heap_compare.py,
 * as snapshot's test), preload included: the buckets hold what was sampled before the
 * attach too.  Then the probe-based live heap (alloc.pb.gz's inuse_space, kept for its
 * types) must agree with the buckets for the three sites whose live objects were all
 * sampled while tracing: the same samples, so within 0.5 %: the probes round each
 * (stack, size) row to whole weighted objects and runtime/pprof's scaling truncates
 * each bucket, at most an object of 32 KiB per row on 16+ MiB sites (0.2 %).  Frees not
 * yet swept and the GC cycle boundary cannot differ here (the fetch's GC swept
 * everything and is the last cycle); main.preload is in the buckets only.
 */
ParameterizedTestParameters(sampled, live_heap_from_buckets)
{
	static int idx[] = { 1, 4 }; /* go122 exe, go127 stripped */

	return cr_make_param_array(int, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(int *i, sampled, live_heap_from_buckets, .timeout = 300)
{
	const char *fx = tu_fixture("pprofsvc", svc_cases[*i][0], svc_cases[*i][1]);
	static const char *const sites[] = { "main.cacheFill", "main.tokenFill",
					     "main.sessionKeep" };
	char dir[300] = "", outdir[320], probes[400], buckets[400], theirs[400];
	char *out = run_svc(fx), *cmp, *s;
	const char *p = strstr(out, "dir=");
	double pre;

	cr_assert(p && sscanf(p, "dir=%255s", dir) == 1, "%s: the run finished:\n%s", fx, out);
	cr_assert(strstr(out, "gmt_rc=0"), "%s: gomemtrace exits 0 on SIGINT:\n%s", fx, out);
	snprintf(outdir, sizeof(outdir), "%s/out", dir);
	snprintf(probes, sizeof(probes), "%s/alloc.pb.gz", outdir);
	snprintf(buckets, sizeof(buckets), "%s/heap.pb.gz", outdir);
	snprintf(theirs, sizeof(theirs), "%s/heap.pb.gz", dir);

	s = summary_str(outdir, "live_heap_source");
	cr_expect_str_eq(s, "runtime_buckets\n", "%s: the live heap is the runtime's", fx);
	free(s);
	s = summary_str(outdir, "live_heap_covers");
	cr_expect_str_eq(s, "since_process_start\n", "%s: its own rate: since the start", fx);
	free(s);
	s = summary_str(outdir, "live_heap_as_of");
	cr_expect_str_eq(s, "last_completed_gc\n", "%s: as of a GC", fx);
	free(s);
	cr_expect_eq(tu_summary_num(outdir, "live_heap_rate"), 524288, "%s: at its rate", fx);
	free(tu_run("grep -q 'since the process started' %s/report.txt", outdir));

	cmp = tu_run("python3 %s/tests/e2e/heap_compare.py %s %s %s", getenv("GMT_SOURCE_ROOT"),
		     tu_go(), buckets, theirs);
	cr_log_info("%s: buckets vs its own heap profile:\n%s", fx, cmp);
	cr_assert_gt(tu_field(cmp, "stacks_b"), 3, "%s: its profile has stacks:\n%s", fx, cmp);
	cr_expect_eq(tu_field(cmp, "stacks_differ"), 0,
		     "%s: heap.pb.gz equals its /debug/pprof/heap per stack:\n%s", fx, cmp);
	for (int k = 0; k < 4; k++) {
		char ka[16], kb[16];

		snprintf(ka, sizeof(ka), "totals_a_%d", k);
		snprintf(kb, sizeof(kb), "totals_b_%d", k);
		cr_expect_eq(tu_field(cmp, ka), tu_field(cmp, kb), "%s: sample type %d totals", fx,
			     k);
	}
	cr_expect_eq(tu_summary_num(outdir, "live_heap_inuse_bytes"), tu_field(cmp, "totals_b_3"),
		     "%s: summary.json's live heap is its in-use total", fx);

	for (size_t k = 0; k < sizeof(sites) / sizeof(sites[0]); k++)
		expect_site_inuse(fx, sites[k], "probes", probes, "buckets", buckets, 0.005);
	pre = pprof_inuse_flat(buckets, "main.preload");
	cr_expect_gt(pre, 8 << 20, "%s: the buckets have what was preloaded before the attach", fx);
	cr_expect_eq(pre, pprof_inuse_flat(theirs, "main.preload"), "%s: preload as its own", fx);
	tu_run("rm -rf %s", dir);
	free(cmp);
	free(out);
}
