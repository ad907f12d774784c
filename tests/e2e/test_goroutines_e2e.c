// SPDX-License-Identifier: MIT
/*
 * End to end: `gomemtrace record --goroutines` attached to the goleak fixture, for every
 * Go release, each in two of its build flavours (tu_rotation).  The fixture leaks goroutines at
 * main.leakOne (blocked on a channel nobody sends to), runs short-lived ones at
 * main.shortOne, and prints runtime.NumGoroutine() after gomemtrace has stopped: our
 * live count must equal it, with the runtime's own goroutines counted apart.  These
 * tests load BPF and attach uprobes: without root or BPF they fail, they never skip.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

struct truth {
	long leaked, shorts, numgoroutine;
};

static void parse_fixture_output(const char *out, struct truth *t)
{
	memset(t, 0, sizeof(*t));
	t->numgoroutine = -1;
	for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		sscanf(p, "done leaked=%ld short=%ld", &t->leaked, &t->shorts);
		sscanf(p, "goroutines=%ld", &t->numgoroutine);
	}
	cr_assert_gt(t->leaked, 0, "fixture printed what it leaked:\n%s", out);
	cr_assert_gt(t->shorts, 0, "fixture printed its short-lived goroutines:\n%s", out);
	cr_assert_gt(t->numgoroutine, t->leaked, "fixture printed NumGoroutine:\n%s", out);
}

/*
 * Attach (-p) to the fixture waiting for SIGUSR1, start its goroutines once tracing
 * runs, stop gomemtrace with SIGINT once the fixture printed `marker`, then let it print
 * NumGoroutine.
 */
static char *run_attached_until(const char *fx, const char *fx_args, const char *marker,
				char *dir, size_t dirlen)
{
	char *out = tu_run("GMT=%s FX=%s bash -c '"
			   "set -e; d=$(mktemp -d); $FX -wait %s > $d/fx.out & p=$!; "
			   "until grep -qs ready $d/fx.out; do sleep 0.05; done; "
			   "$GMT record --goroutines -o $d/out -p $p 2> $d/gmt.err & g=$!; "
			   /* a failing step must not leave the fixture holding the test's output */
			   "trap \"kill -9 $p $g 2>/dev/null\" EXIT; "
			   "until grep -qs \"tracing PID\" $d/gmt.err; do sleep 0.05; done; "
			   "kill -USR1 $p; until grep -qs %s $d/fx.out; do sleep 0.05; done; "
			   "kill -INT $g; wait $g; echo gmt_rc=$?; kill -USR2 $p; wait $p; trap - EXIT; "
			   "cat $d/fx.out $d/gmt.err; echo dir=$d'",
			   tu_bin(), fx, fx_args, marker);
	const char *p = strstr(out, "dir=");

	cr_assert(p && sscanf(p, "dir=%255s", dir) == 1, "%s: the run finished:\n%s", fx, out);
	cr_assert(strstr(out, "gmt_rc=0"), "%s: gomemtrace exits 0 on SIGINT:\n%s", fx, out);
	strncat(dir, "/out", dirlen - strlen(dir) - 1);
	return out;
}

static char *run_attached(const char *fx, const char *fx_args, char *dir, size_t dirlen)
{
	return run_attached_until(fx, fx_args, "done", dir, dirlen);
}

struct site {
	long live, created, exited, leak, runtime;
	bool found;
};

/* The goroutine_sites entry of summary.json whose site is in function fn. */
static struct site summary_site(const char *dir, const char *fn)
{
	struct site s = {};
	char *line = tu_run("python3 -c 'import json,sys\n"
			    "for s in json.load(open(sys.argv[1]))[\"goroutine_sites\"]:\n"
			    "  if s[\"site\"].split(\" \")[0] == sys.argv[2]:\n"
			    "    print(s[\"live\"], s[\"created\"], s[\"exited\"], int(s[\"leak\"]), "
			    "int(s[\"runtime\"])); break' %s/summary.json %s",
			    dir, fn);

	s.found = sscanf(line, "%ld %ld %ld %ld %ld", &s.live, &s.created, &s.exited, &s.leak,
			 &s.runtime) == 5;
	free(line);
	return s;
}

static void check_attached(const char *version, const char *flavour, const char *fx_args)
{
	const char *fx = tu_fixture("goleak", version, flavour);
	char dir[300] = "", path[400];
	char *out = run_attached(fx, fx_args, dir, sizeof(dir));
	struct truth t;
	struct site leak, shorts;
	char *n;

	parse_fixture_output(out, &t);
	cr_assert_eq(tu_summary_num(dir, "goroutines_enumerated"), 1,
		     "%s: the goroutines before attach were read from allgs:\n%s", fx, out);
	cr_expect_eq(tu_summary_num(dir, "goroutines_live"), t.numgoroutine,
		     "%s: goroutines_live (%.0f) equals runtime.NumGoroutine() (%ld)", fx,
		     tu_summary_num(dir, "goroutines_live"), t.numgoroutine);
	cr_expect_geq(tu_summary_num(dir, "goroutines_live_runtime"), 2,
		      "%s: the runtime's own goroutines (forcegc, sweeper, ...) are counted apart",
		      fx);
	cr_expect_eq(tu_summary_num(dir, "goroutines_exited_unknown"), 0,
		     "%s: every exit is of a goroutine we knew", fx);

	leak = summary_site(dir, "main.leakOne");
	cr_assert(leak.found, "%s: main.leakOne is a creation site in summary.json", fx);
	cr_expect_eq(leak.created, t.leaked, "%s: main.leakOne created %ld (fixture: %ld)", fx,
		     leak.created, t.leaked);
	cr_expect_eq(leak.live, t.leaked, "%s: main.leakOne: %ld live (fixture leaked %ld)", fx,
		     leak.live, t.leaked);
	cr_expect_eq(leak.leak, 1, "%s: main.leakOne is flagged as a probable leak", fx);
	cr_expect_eq(leak.runtime, 0, "%s: main.leakOne is not the runtime's", fx);

	shorts = summary_site(dir, "main.shortOne");
	cr_assert(shorts.found, "%s: main.shortOne is a creation site in summary.json", fx);
	cr_expect_eq(shorts.created, t.shorts, "%s: main.shortOne created %ld (fixture: %ld)", fx,
		     shorts.created, t.shorts);
	cr_expect_eq(shorts.exited, t.shorts, "%s: main.shortOne: %ld exited (fixture: %ld)", fx,
		     shorts.exited, t.shorts);
	cr_expect_eq(shorts.live, 0, "%s: main.shortOne: none live at the end", fx);
	cr_expect_eq(shorts.leak, 0, "%s: main.shortOne is not flagged", fx);
	cr_expect_eq(tu_summary_num(dir, "goroutine_leak_sites"), 1, "%s: one leak site", fx);

	snprintf(path, sizeof(path), "%s/goroutines.folded", dir);
	cr_expect_eq(tu_folded_sum(path, "main.leakOne", false), t.leaked,
		     "%s: goroutines.folded holds the %ld leaked goroutines under main.leakOne", fx,
		     t.leaked);
	cr_expect_eq(tu_folded_sum(path, "main.shortOne", false), 0,
		     "%s: and none of main.shortOne", fx);
	n = tu_run("grep -o '\"name\":\"goroutines live\",[^}]*\"ph\":\"C\"' %s/gc.json | wc -l",
		   dir);
	cr_expect_gt(atoi(n), 2, "%s: gc.json has a live-goroutine counter track", fx);
	free(n);
	n = tu_run("grep -c 'LEAK? main.leakOne' %s/report.txt || true", dir);
	cr_expect_eq(atoi(n), 1, "%s: report.txt flags main.leakOne", fx);
	free(n);
	tu_run("rm -rf \"$(dirname %s)\"", dir); /* the run's whole temporary directory */
	free(out);
}

ParameterizedTestParameters(goroutines, live_equals_numgoroutine)
{
	static int idx[TU_ROTATION_MAX];

	return cr_make_param_array(int, idx, tu_rotation(idx, false, 3));
}

ParameterizedTest(int *i, goroutines, live_equals_numgoroutine, .timeout = 300)
{
	const char *v, *f;

	tu_matrix_entry(*i, &v, &f);
	check_attached(v, f, "-leak 150 -short 15000 -dur 3");
}

/*
 * A slow leak (issue 13): 3 goroutines a second for 15 s.  The live counts must move
 * with every sample, not once a batch of records has piled up in the ring buffer, or
 * the site is not seen growing.
 */
ParameterizedTestParameters(goroutines, slow_leak_flagged)
{
	return cr_make_param_array(int, tu_version_params(), tu_nversions);
}

ParameterizedTest(int *i, goroutines, slow_leak_flagged, .timeout = 300)
{
	check_attached(tu_versions[*i], "exe", "-leak 45 -short 900 -dur 15");
}

/*
 * Launch mode: every goroutine, main's included, is created under the probes; the
 * program exits right after printing NumGoroutine, with its leaked goroutines alive.
 */
static void check_launched(const char *version)
{
	const char *fx = tu_fixture("goleak", version, "exe");
	char dir[] = "/tmp/gmt-gor-XXXXXX", out_dir[300];
	struct site leak;
	struct truth t;
	char *out;

	cr_assert_not_null(mkdtemp(dir));
	out = tu_run("%s record --goroutines -q -o %s/out -- %s -leak 40 -short 2000 -dur 1",
		     tu_bin(), dir, fx);
	parse_fixture_output(out, &t);
	snprintf(out_dir, sizeof(out_dir), "%s/out", dir);
	cr_expect_eq(tu_summary_num(out_dir, "goroutines_preexisting"), 0,
		     "%s: nothing ran before the probes", fx);
	cr_expect_eq(tu_summary_num(out_dir, "goroutines_live"), t.numgoroutine,
		     "%s: goroutines_live (%.0f) equals runtime.NumGoroutine() (%ld)", fx,
		     tu_summary_num(out_dir, "goroutines_live"), t.numgoroutine);
	leak = summary_site(out_dir, "main.leakOne");
	cr_assert(leak.found, "%s: main.leakOne is a creation site", fx);
	cr_expect_eq(leak.live, t.leaked, "%s: main.leakOne: %ld live of %ld leaked", fx,
		     leak.live, t.leaked);
	tu_run("rm -rf %s", dir);
	free(out);
}

Test(goroutines, launch_go119, .timeout = 300)
{
	check_launched("go119");
}

Test(goroutines, launch_go127, .timeout = 300)
{
	check_launched("go127");
}

/*
 * record --goroutines reads every goroutine with no probe at the start, every quarter of
 * -d and at the end, for the probe-less leak flags (agg/leakflag.h), as the daemon does
 * per interval (test_daemon's snapshot_leak_flags).  -d 10: reads at 0, 2.5, 5, 7.5 and
 * 10 s; the fixture leaks 150 goroutines at main.leakOne over 6 s (so the site grows
 * through 2 of the last 3 steps whatever the machine's load: the leaks are paced by
 * sleeps) among 15,000 short-lived ones, and has printed "done" before the end.  The
 * oracle is the fixture's own count: the leaking group alone is flagged, with the 150
 * goroutines it printed, and the end's goroutines.txt counts them and, in all, what
 * runtime.NumGoroutine() printed.
 */
#define LEAK_KEY                                                                            \
	"{\"creator\":\"main.leakOne\",\"wait_site\":\"main.leakOne.func1\",\"wait_reason\":" \
	"\"chan receive\",\"count\":"

Test(goroutines, record_reads_flag_leak, .timeout = 300)
{
	const char *fx = tu_fixture("goleak", "go126", "stripped");
	char *out = tu_run(
		"GMT=%s FX=%s bash -c '"
		"set -e; d=$(mktemp -d); $FX -wait -leak 150 -short 15000 -dur 6 > $d/fx.out & p=$!; "
		"trap \"kill -9 $p 2>/dev/null; rm -rf $d\" EXIT; "
		"until grep -qs ready $d/fx.out; do sleep 0.05; done; "
		"$GMT record --goroutines -d 10 -o $d/out -p $p 2> $d/gmt.err & g=$!; "
		"trap \"kill -9 $p $g 2>/dev/null; rm -rf $d\" EXIT; "
		"until grep -qs \"tracing PID\" $d/gmt.err; do sleep 0.05; done; "
		"kill -USR1 $p; wait $g; echo gmt_rc=$?; "
		"echo done_before_end=$(grep -c ^done $d/fx.out || true); "
		"kill -USR2 $p; wait $p; trap \"rm -rf $d\" EXIT; cat $d/fx.out $d/gmt.err; "
		"python3 -c \"import json, sys; j = json.load(open(sys.argv[1])); "
		"print(\\\"reads=%%d\\\" %% j[\\\"goroutine_leak_reads\\\"]); "
		"print(\\\"\\\\\\\"goroutine_leaks\\\\\\\":\\\" + json.dumps(j[\\\"goroutine_leaks\\\"], "
		"separators=(\\\",\\\", \\\":\\\")))\" $d/out/summary.json; "
		"echo report_flags=$(grep -c \"PROBABLE LEAK .* main.leakOne.func1, created by "
		"main.leakOne\\$\" $d/out/report.txt || true); "
		"echo report_all=$(grep -c \"PROBABLE LEAK\" $d/out/report.txt || true); "
		"awk \"/^[0-9]+ @/{n=\\$1; c=0} /^main\\.leakOne\\.func1\\(/ && !c {s+=n; c=1} "
		"END{print \\\"leak_count=\\\" s+0}\" $d/out/goroutines.txt; "
		"sed -n \"s/^goroutine profile: total /total=/p\" $d/out/goroutines.txt; "
		"gzip -t $d/out/goroutines.pb.gz && echo pb_ok=1'",
		tu_bin(), fx);
	struct truth t;
	const char *json, *key;

	parse_fixture_output(out, &t);
	cr_assert(strstr(out, "gmt_rc=0"), "record exits 0:\n%s", out);
	cr_assert_eq(tu_field(out, "done_before_end"), 1,
		     "the fixture finished leaking before the recording's end:\n%s", out);
	/* A read that comes, late on a loaded machine, less than 1.25 s before the end is
	 * left to the end's: 4 reads then. */
	cr_expect(tu_field(out, "reads") == 5 || tu_field(out, "reads") == 4,
		  "reads at 0, 2.5, 5, 7.5 s and the end:\n%s", out);
	json = strstr(out, "\"goroutine_leaks\":");
	cr_assert(json, "summary.json has goroutine_leaks:\n%s", out);
	key = strstr(json, LEAK_KEY);
	cr_expect(key == json + strlen("\"goroutine_leaks\":["),
		  "the leaking group is flagged first:\n%s", out);
	cr_expect_null(strstr(json, "},{"), "one group flagged only:\n%s", out);
	if (key)
		cr_expect_eq(strtol(key + strlen(LEAK_KEY), NULL, 10), t.leaked,
			     "the flag counts the %ld goroutines the fixture leaked:\n%s", t.leaked,
			     out);
	cr_expect_eq(tu_field(out, "report_flags"), 1, "report.txt flags it:\n%s", out);
	cr_expect_eq(tu_field(out, "report_all"), 1, "and nothing else:\n%s", out);
	cr_expect_eq(tu_field(out, "leak_count"), t.leaked,
		     "goroutines.txt counts %ld at main.leakOne.func1, the fixture leaked %ld",
		     tu_field(out, "leak_count"), t.leaked);
	cr_expect_eq(tu_field(out, "total"), t.numgoroutine,
		     "goroutines.txt total %ld is NumGoroutine %ld", tu_field(out, "total"),
		     t.numgoroutine);
	cr_expect_eq(tu_field(out, "pb_ok"), 1, "goroutines.pb.gz is gzip:\n%s", out);
	free(out);
}

/*
 * A service (the fixture's -serve mode): 10 s at 40 requests a second, every second
 * request leaking one goroutine at `go backend(q, r, ch)` in main.search, a pool of
 * workers started once, and 40 requests served before gomemtrace attached.  The oracle
 * is the fixture's own count and runtime.Stack's view of every goroutine (its function as
 * Go's traceback names it, and the function of the go statement that created it).
 */
struct serve_truth {
	long requests, leaked, pre_leaked, pool, numgoroutine;
};

/* The "gostack fn=F creator=C line=L n=N" line of the fixture for creator: F and N. */
static long gostack(const char *out, const char *creator, char *fn, size_t fnlen)
{
	char want[160];
	long n = -1;

	snprintf(want, sizeof(want), " creator=%s line=", creator);
	fn[0] = 0;
	for (const char *p = strstr(out, "gostack fn="); p; p = strstr(p + 1, "gostack fn=")) {
		const char *c = strstr(p, want), *eol = strchr(p, '\n'), *nn;

		if (!c || (eol && c > eol) || !(nn = strstr(c, " n=")) || (eol && nn > eol))
			continue;
		p += strlen("gostack fn=");
		snprintf(fn, fnlen, "%.*s", (int)(c - p), p);
		n = atol(nn + 3);
		break;
	}
	cr_assert_geq(n, 0, "the fixture's runtime.Stack lists goroutines created by %s:\n%s",
		      creator, out);
	return n;
}

struct row {
	long live, pre, created, exited, leak, runtime, rows;
	char function[160];
};

/* The goroutine_sites entries of summary.json whose go statement is in fn: how many, and
 * the fields of the first. */
static struct row summary_row(const char *dir, const char *fn)
{
	struct row r = {};
	char *line = tu_run("python3 -c 'import json,sys\n"
			    "rows = [s for s in json.load(open(sys.argv[1]))[\"goroutine_sites\"]\n"
			    "        if s[\"site\"].split(\" \")[0] == sys.argv[2]]\n"
			    "s = rows[0] if rows else dict(live=-1, preexisting=-1, created=-1, "
			    "exited=-1, leak=-1, runtime=-1, function=\"-\")\n"
			    "print(len(rows), s[\"live\"], s[\"preexisting\"], s[\"created\"], "
			    "s[\"exited\"], int(s[\"leak\"]), int(s[\"runtime\"]), "
			    "s[\"function\"] or \"-\")' "
			    "%s/summary.json %s",
			    dir, fn);

	cr_assert_eq(sscanf(line, "%ld %ld %ld %ld %ld %ld %ld %159s", &r.rows, &r.live, &r.pre,
			    &r.created, &r.exited, &r.leak, &r.runtime, r.function),
		     8, "summary.json: %s", line);
	free(line);
	return r;
}

static void check_serve(const char *version, const char *flavour)
{
	const char *fx = tu_fixture("goleak", version, flavour);
	char dir[300] = "", path[400], fn[160];
	char *out = run_attached_until(fx, "-serve 400 -rate 40 -leakevery 2 -pre 40 -pool 4",
				       "served", dir, sizeof(dir));
	struct serve_truth t = { .numgoroutine = -1 };
	const char *p = strstr(out, "served ");
	struct row search, pool;
	long n;
	char *c;

	cr_assert(p && sscanf(p, "served requests=%ld leaked=%ld pre_leaked=%ld pool=%ld",
			      &t.requests, &t.leaked, &t.pre_leaked, &t.pool) == 4,
		  "%s: the fixture printed what it served:\n%s", fx, out);
	cr_assert((p = strstr(out, "goroutines=")) && sscanf(p, "goroutines=%ld", &t.numgoroutine),
		  "%s: the fixture printed NumGoroutine:\n%s", fx, out);
	cr_assert_gt(t.pre_leaked, 0, "%s: goroutines leaked before attach:\n%s", fx, out);
	cr_expect_eq(tu_summary_num(dir, "goroutines_live"), t.numgoroutine,
		     "%s: goroutines_live (%.0f) equals runtime.NumGoroutine() (%ld)", fx,
		     tu_summary_num(dir, "goroutines_live"), t.numgoroutine);

	/* One row for the go statement in main.search, pre-existing goroutines included. */
	n = gostack(out, "main.search", fn, sizeof(fn));
	cr_expect_eq(n, t.leaked, "%s: runtime.Stack lists the %ld leaked goroutines (%ld)", fx,
		     t.leaked, n);
	search = summary_row(dir, "main.search");
	cr_expect_eq(search.rows, 1, "%s: one row for the go statement in main.search, not %ld",
		     fx, search.rows);
	cr_expect_str_eq(search.function, fn,
			 "%s: its goroutine function is %s (runtime.Stack), not %s", fx, fn,
			 search.function);
	cr_expect_eq(search.live, t.leaked, "%s: main.search: %ld live, the fixture leaked %ld",
		     fx, search.live, t.leaked);
	cr_expect_eq(search.pre, t.pre_leaked, "%s: main.search: %ld of them before attach (%ld)",
		     fx, search.pre, t.pre_leaked);
	cr_expect_eq(search.created, t.requests + t.leaked - t.pre_leaked,
		     "%s: main.search: %ld created while tracing, the fixture made %ld", fx,
		     search.created, t.requests + t.leaked - t.pre_leaked);
	cr_expect_eq(search.exited, t.requests,
		     "%s: main.search: %ld exited (one answer per request: %ld)", fx, search.exited,
		     t.requests);
	cr_expect_eq(search.leak, 1, "%s: main.search leaks: flagged", fx);

	/* The pool: started once while tracing, then steady. */
	n = gostack(out, "main.serve", fn, sizeof(fn));
	pool = summary_row(dir, "main.serve");
	cr_expect_eq(pool.rows, 1, "%s: one row for the pool", fx);
	cr_expect_str_eq(pool.function, fn, "%s: the pool's function is %s, not %s", fx, fn,
			 pool.function);
	cr_expect_eq(pool.live, t.pool, "%s: %ld pool workers live (fixture: %ld, runtime.Stack: "
		     "%ld)", fx, pool.live, t.pool, n);
	cr_expect_eq(pool.leak, 0, "%s: a pool started once is not a leak", fx);
	cr_expect_eq(tu_summary_num(dir, "goroutine_leak_sites"), 1, "%s: one leak site", fx);

	snprintf(path, sizeof(path), "%s/report.txt", dir);
	c = tu_run("grep -c 'LEAK? main.search .*\\[main.backend\\]' %s || true", path);
	cr_expect_eq(atoi(c), 1, "%s: report.txt flags main.search, running main.backend", fx);
	free(c);
	c = tu_run("grep -c 'main.search (' %s || true", path);
	cr_expect_eq(atoi(c), 1, "%s: and has one row for it", fx);
	free(c);
	snprintf(path, sizeof(path), "%s/goroutines.folded", dir);
	cr_expect_eq(tu_folded_sum(path, "[go] main.backend", false), t.leaked,
		     "%s: goroutines.folded holds the %ld leaked goroutines under "
		     "[go] main.backend",
		     fx, t.leaked);
	/* The ones from before attach: folded onto the creation stack of the goroutines
	 * their go statement made while tracing (one stack here), with a [pre-existing]
	 * leaf. */
	c = tu_run("python3 -c 'import sys\n"
		   "lines = [l.rsplit(\" \", 1) for l in open(sys.argv[1])]\n"
		   "st = set(s for s, n in lines)\n"
		   "tail = \";main.search;[go] main.backend\"\n"
		   "print(sum(int(n) for s, n in lines if s.endswith(tail + \";[pre-existing]\") "
		   "and s[:-len(\";[pre-existing]\")] in st))' %s",
		   path);
	cr_expect_eq(atol(c), t.pre_leaked,
		     "%s: the %ld from before attach are under the creation stack of main.search's "
		     "go statement, marked [pre-existing] (%ld)",
		     fx, t.pre_leaked, atol(c));
	free(c);
	tu_run("rm -rf \"$(dirname %s)\"", dir);
	free(out);
}

/*
 * A short trace of a service: 10 s.  Every version, each with another build flavour
 * (stripped, PIE and section-less binaries name the wrapper's callee the same way).
 */
ParameterizedTestParameters(goroutines, short_trace_of_a_service)
{
	return cr_make_param_array(int, tu_version_params(), tu_nversions);
}

ParameterizedTest(int *i, goroutines, short_trace_of_a_service, .timeout = 300)
{
	check_serve(tu_versions[*i], tu_flavours[tu_flavour_index(tu_versions[*i], *i)]);
}
