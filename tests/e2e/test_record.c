// SPDX-License-Identifier: MIT
/*
 * End to end: `gomemtrace record --mode exact` on the alloc fixture, for every Go
 * release, each in two of its build flavours (tu_rotation: every flavour on several
 * releases), against the runtime's own MemStats.  These tests load BPF
 * and attach uprobes: without root or BPF they fail, they never skip.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

struct site {
	char name[64];
	long n, size, mallocs, total;
};

struct truth {
	struct site sites[32];
	int nsites;
	long final_mallocs;
	bool check_ok;
};

static void parse_fixture_output(const char *out, struct truth *t)
{
	const char *p = out;

	memset(t, 0, sizeof(*t));
	while (p && *p) {
		struct site *s = &t->sites[t->nsites];

		if (sscanf(p, "site %63s n=%ld size=%ld mallocs=%ld total=%ld", s->name, &s->n,
			   &s->size, &s->mallocs, &s->total) == 5 && t->nsites < 31)
			t->nsites++;
		sscanf(p, "final mallocs=%ld", &t->final_mallocs);
		if (strncmp(p, "check ok", 8) == 0)
			t->check_ok = true;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	cr_assert_gt(t->nsites, 5, "fixture printed its sites:\n%s", out);
}

/* Sites with no goroutine creation: every allocation's stack contains the site. */
static const char *const exact_sites[] = {
	"main.allocSmall", "main.allocTiny",   "main.allocLarge",  "main.allocSlice",
	"main.allocPtrSlice", "main.allocMap", "main.allocString", "main.allocMedium",
};

/*
 * A site's traced count against its MemStats window.  The window also counts what the
 * runtime allocated meanwhile to start a thread (runtime.newm -> allocm: the m, its g0
 * and gsignal, two profiling stacks), on that thread's g0 stack, not the site's: our
 * trace has those under runtime.newm.  Seen 2 times in 40 attached runs under load
 * (20005 in MemStats, 20000 traced, 5 under runtime.newm).  So a MemStats surplus is
 * accepted up to what the trace shows under runtime.newm; any other difference, and any
 * count of ours above MemStats, fails.
 */
static void site_count_matches(const char *what, const char *outdir, const char *site,
			       long theirs)
{
	char folded[4200];
	long ours;

	snprintf(folded, sizeof(folded), "%s/alloc_count.folded", outdir);
	ours = (long)tu_folded_sum(folded, site, true);
	if (ours < theirs && theirs - ours <= (long)tu_folded_sum(folded, "runtime.newm", false)) {
		cr_log_info("%s: %s: %ld traced, %ld in MemStats, the rest under runtime.newm",
			    what, site, ours, theirs);
		return;
	}
	if (ours != theirs) {
		/* What the run says of itself, for the log: lost or unknown stacks, skipped
		 * hits. */
		char *why = tu_run("grep -o -E '\"(dropped|unknown_stack_allocs|stack_err|"
				   "alloc_morestack|alloc_hits|allocs)\": *[0-9]+' %s/summary.json | "
				   "tr '\\n' ' '",
				   outdir);

		cr_log_error("%s: %s: %ld traced, %ld in MemStats; %s", what, site, ours, theirs,
			     why);
		free(why);
	}
	cr_assert_eq(ours, theirs, "%s: %s: traced count equals the MemStats window (%ld, %ld)",
		     what, site, ours, theirs);
}

static void check_run(const char *version, const char *flavour)
{
	const char *fx = tu_fixture("alloc", version, flavour);
	char dir[64] = "/tmp/gmt-rec-XXXXXX", counts[4200], bytes[4200]; /* + "/out" */
	struct truth t;
	char *out;

	cr_assert_not_null(mkdtemp(dir));
	out = tu_run("%s record --mode exact -q -o %s/out -- %s", tu_bin(), dir, fx);
	parse_fixture_output(out, &t);
	cr_assert(t.check_ok, "%s: the traced fixture verified its own results", fx);
	snprintf(counts, sizeof(counts), "%s/out/alloc_count.folded", dir);
	snprintf(bytes, sizeof(bytes), "%s/out/alloc_bytes.folded", dir);
	strcat(dir, "/out");

	/* The whole run: we saw the process from its first instruction to its exit. */
	cr_assert_eq((long)tu_summary_num(dir, "allocs"), t.final_mallocs,
		     "%s: traced allocations equal MemStats.Mallocs at exit", fx);
	cr_assert_eq((long)tu_summary_num(dir, "dropped"), 0, "%s: nothing dropped", fx);
	cr_assert_geq((long)tu_summary_num(dir, "zero_size_allocs"), 1000,
		      "%s: zero-size allocations seen", fx);

	for (int i = 0; i < t.nsites; i++) {
		const struct site *s = &t.sites[i];
		bool exact = false;

		for (size_t k = 0; k < sizeof(exact_sites) / sizeof(exact_sites[0]); k++)
			exact |= strcmp(s->name, exact_sites[k]) == 0;
		if (!exact)
			continue;
		site_count_matches(fx, dir, s->name, s->mallocs);
		if (s->size)
			cr_assert_eq((long)tu_folded_sum(bytes, s->name, true), s->n * s->size,
				     "%s: %s: traced bytes equal n x size", fx, s->name);
	}
	/* mallocgc(0) returns zerobase: our count for the site is 0, as MemStats says. */
	cr_assert_eq((long)tu_folded_sum(counts, "main.allocEmpty", true), 0,
		     "%s: zero-size not counted", fx);
	tu_run("rm -rf %s", dir);
	free(out);
}

ParameterizedTestParameters(record, exact_matches_memstats)
{
	static int idx[TU_ROTATION_MAX];

	return cr_make_param_array(int, idx, tu_rotation(idx, true, 0));
}

ParameterizedTest(int *i, record, exact_matches_memstats, .timeout = 300)
{
	const char *v, *f;

	tu_matrix_entry(*i, &v, &f);
	check_run(v, f);
}

/* Runs a bash script (with GMT and FX set) and returns its stdout. */
static char *script(const char *fx, const char *body)
{
	return tu_run("GMT=%s FX=%s bash -c '%s'", tu_bin(), fx, body);
}

/*
 * -p: attach to a fixture that waits for SIGUSR1, then let it run.  It must finish and
 * verify its own results, and every window must still match exactly.
 */
Test(record, attach_to_running_process, .timeout = 120)
{
	const char *fx = tu_fixture("alloc", "go124", "pie");
	char *out = script(fx,
			   "set -e; d=$(mktemp -d); $FX -wait > $d/fx.out & p=$!; "
			   "until grep -qs ready $d/fx.out; do sleep 0.05; done; "
			   "$GMT record --mode exact -o $d/out -p $p 2> $d/gmt.err & g=$!; "
			   "until grep -qs \"tracing PID\" $d/gmt.err; do sleep 0.05; done; "
			   "kill -USR1 $p; wait $p; wait $g; "
			   "echo gmt_rc=$?; cat $d/fx.out; echo dir=$d");
	char dir[256] = "", path[300];
	struct truth t;

	parse_fixture_output(out, &t);
	cr_assert(strstr(out, "gmt_rc=0"), "gomemtrace exits 0 when the target exits:\n%s", out);
	cr_assert(t.check_ok, "the fixture verified its own results while traced");
	cr_assert_eq(sscanf(strstr(out, "dir="), "dir=%255s", dir), 1);
	snprintf(path, sizeof(path), "%s/out", dir);
	for (int i = 0; i < t.nsites; i++)
		for (size_t k = 0; k < sizeof(exact_sites) / sizeof(exact_sites[0]); k++)
			if (!strcmp(t.sites[i].name, exact_sites[k]))
				site_count_matches("attached", path, t.sites[i].name,
						   t.sites[i].mallocs);
	tu_run("rm -rf %s", dir);
	free(out);
}

/* SIGTERM to gomemtrace: outputs written, exit 0, the target runs on untouched. */
Test(record, sigterm_detaches_cleanly, .timeout = 120)
{
	const char *fx = tu_fixture("alloc", "go127", "stripped");
	char *out = script(fx,
			   "d=$(mktemp -d); $FX -spin 12 > $d/fx.out & p=$!; "
			   /* attach only once the child has exec'd the fixture */
			   "until [ \"$(readlink /proc/$p/exe)\" = \"$(readlink -f $FX)\" ]; do "
			   "sleep 0.01; done; "
			   "$GMT record --mode exact -o $d/out -p $p 2> $d/gmt.err & g=$!; "
			   "until grep -qs \"tracing PID\" $d/gmt.err; do sleep 0.05; done; "
			   "sleep 1; kill -TERM $g; wait $g; echo gmt_rc=$?; "
			   "kill -0 $p && echo target_alive; wait $p; echo fx_rc=$?; "
			   "tail -2 $d/fx.out; ls $d/out; rm -rf $d");

	cr_assert(strstr(out, "gmt_rc=0"), "gomemtrace exits 0 on SIGTERM:\n%s", out);
	cr_assert(strstr(out, "target_alive"), "the target outlives the tracer:\n%s", out);
	cr_assert(strstr(out, "fx_rc=0") && strstr(out, "check ok"),
		  "the target finishes normally after the detach:\n%s", out);
	cr_assert(strstr(out, "summary.json") && strstr(out, "alloc_bytes.folded") &&
			  strstr(out, "report.txt"),
		  "outputs written on SIGTERM:\n%s", out);
	free(out);
}

/* -d in launch mode: tracing stops, outputs are written, the command's status is ours. */
Test(record, duration_and_exit_status, .timeout = 120)
{
	const char *fx = tu_fixture("alloc", "go122", "exe");
	char *out = script(fx,
			   "d=$(mktemp -d); $GMT record --mode exact -q -d 1 -o $d/out -- $FX -spin 3 "
			   "> /dev/null; echo rc=$?; python3 -c \"import json; "
			   "print(\\\"duration\\\", json.load(open(\\\"$d/out/summary.json\\\"))"
			   "[\\\"duration_s\\\"])\"; "
			   "$GMT record --mode exact -q -o $d/out2 -- $FX -no-such-flag 2>/dev/null; "
			   "echo badflag_rc=$?; rm -rf $d");
	double dur = 0;

	cr_assert(strstr(out, "rc=0\n"), "a successful command gives exit 0:\n%s", out);
	cr_assert_eq(sscanf(strstr(out, "duration "), "duration %lf", &dur), 1, "%s", out);
	cr_assert(dur >= 0.9 && dur < 2.9, "-d 1 stopped tracing after about a second (%.2f s)",
		  dur);
	cr_assert(strstr(out, "badflag_rc=2"), "the command's exit status 2 is passed on:\n%s",
		  out);
	free(out);
}

/* 8 goroutines on GOMAXPROCS=2, a million allocations: nothing dropped at default sizes. */
Test(record, concurrent_burst_drops_nothing, .timeout = 120)
{
	const char *fx = tu_fixture("alloc", "go126", "exe");
	char *out = script(fx,
			   "d=$(mktemp -d); GOMAXPROCS=2 $GMT record --mode exact -q -o $d/out -- "
			   "$FX -scale 3 -workers 8 > $d/fx.out; python3 -c \"import json; "
			   "s=json.load(open(\\\"$d/out/summary.json\\\")); "
			   "print(\\\"dropped\\\", s[\\\"dropped\\\"], s[\\\"counters\\\"][\\\"rb_drops_stack\\\"], "
			   "s[\\\"unknown_stack_allocs\\\"]); "
			   "print(\\\"peak\\\", int(max(r[\\\"allocs_per_s\\\"] for r in s[\\\"alloc_rate\\\"])))\"; "
			   "grep -E \"allocConcurrent|final\" $d/fx.out; rm -rf $d");
	long peak = 0;

	cr_assert(strstr(out, "dropped 0 0 0\n"), "no record lost, no stack missing:\n%s", out);
	cr_assert_eq(sscanf(strstr(out, "peak "), "peak %ld", &peak), 1);
	cr_log_info("peak traced allocation rate: %ld allocs/s", peak);
	free(out);
}

/*
 * runtime/pprof leaves the allocator's own leading frames (mallocgc's callers in package
 * runtime) out of heap profiles, so that `go tool pprof -top` puts the function whose
 * code allocated at the top of "flat".  Ours must agree with the heapprof fixture's own
 * heap profile (its window, -base before after), nothing hidden on either side.
 */
ParameterizedTestParameters(record, exact_top_flat_as_go_heap_profile)
{
	return cr_make_param_array(int, tu_version_params(), tu_nversions);
}

ParameterizedTest(int *i, record, exact_top_flat_as_go_heap_profile, .timeout = 300)
{
	const char *fx = tu_fixture("heapprof", tu_versions[*i], "exe");
	char *out = tu_script(
		"FX=%s\nd=$(mktemp -d)\n"
		"$GMT record --mode exact --no-gc -o $d/out -- $FX -prof $d > $d/fx.out "
		"2> $d/gmt.err; echo gmt_rc=$?\n"
		"top() { go tool pprof -top -sample_index=alloc_space \"$@\" 2>/dev/null | "
		"awk '/flat%%/ {on=1; next} on {print $6; exit}'; }\n"
		"echo ours=$(top $d/out/alloc.pb.gz)\n"
		"echo theirs=$(top -base $d/before.pb.gz $d/after.pb.gz)\n"
		"echo kept=$(go tool pprof -top -sample_index=alloc_space $d/out/alloc.pb.gz "
		"2>/dev/null | grep -c 'runtime\\.mallocgc\\|runtime\\.newobject\\|"
		"runtime\\.makeslice')\n"
		"grep '^site' $d/fx.out | head -1\ncat $d/gmt.err\nrm -rf $d",
		fx);

	cr_assert(strstr(out, "gmt_rc=0"), "%s: gomemtrace ran:\n%s", fx, out);
	cr_expect(strstr(out, "theirs=main.siteA\n"), "%s: Go's own top flat is main.siteA:\n%s",
		  fx, out);
	cr_expect(strstr(out, "ours=main.siteA\n"), "%s: ours is the same:\n%s", fx, out);
	cr_expect(strstr(out, "kept=0\n"), "%s: no allocator frame in the profile:\n%s", fx, out);
	free(out);
}

/*
 * memory_start.json and memory_end.json: record attached to the snapshot fixture, which
 * waits without allocating; after the recording the fixture reads ReadMemStats
 * (memstats2.json), which memory_end.json must match as snapshot's memory.json does
 * (tests/e2e/mem_compare.py).  Both files 0600, NumGC never goes back.
 */
Test(record, memory_start_and_end, .timeout = 300)
{
	const char *fx = tu_fixture("snapshot", "go124", "stripped");
	char *out = tu_script(
		TU_SNAPSHOT_FIXTURE_START
		"$GMT record --mode exact -q -d 2 -o $work/rec -p $P 2>$work/err.txt\n"
		"echo rc=$?\n"
		"sed 's/^/# /' $work/err.txt\n"
		"echo x >&3\n"
		"for i in $(seq 1 300); do [ -f $work/own/done2 ] && break; sleep 0.1; done\n"
		"echo start_mode=$(stat -c %%a $work/rec/memory_start.json)\n"
		"echo end_mode=$(stat -c %%a $work/rec/memory_end.json)\n"
		"python3 -c 'import json, sys\n"
		"s = json.load(open(sys.argv[1]))[\"runtime\"]\n"
		"e = json.load(open(sys.argv[2]))[\"runtime\"]\n"
		"print(\"numgc_start=%%d\" %% s[\"NumGC\"])\n"
		"print(\"numgc_end=%%d\" %% e[\"NumGC\"])\n"
		"print(\"start_heap=%%d\" %% s[\"HeapAlloc\"])' "
		"$work/rec/memory_start.json $work/rec/memory_end.json\n"
		"python3 %s/tests/e2e/mem_compare.py $work/rec/memory_end.json "
		"$work/own/memstats2.json $work/own/memstats.json\n"
		"echo compare_rc=$?\n",
		fx, fx, getenv("GMT_SOURCE_ROOT"));

	cr_assert_eq(tu_field(out, "fixture_ready"), 1, "the fixture got ready");
	cr_assert_eq(tu_field(out, "rc"), 0, "record succeeds:\n%s", out);
	cr_expect_eq(tu_field(out, "start_mode"), 600, "memory_start.json is 0600\n%s", out);
	cr_expect_eq(tu_field(out, "end_mode"), 600, "memory_end.json is 0600");
	cr_assert_eq(tu_field(out, "compare_rc"), 0, "both read:\n%s", out);
	cr_expect_geq(tu_field(out, "numgc_end"), tu_field(out, "numgc_start"),
		      "NumGC does not go back");
	cr_expect_gt(tu_field(out, "start_heap"), 12 << 20, "the fixture's heap at the start");
	cr_expect_eq(tu_field(out, "fields_differ"), 0,
		     "memory_end.json as ReadMemStats right after (1 %% or 1 MiB, counts exact)\n%s",
		     out);
	cr_expect_eq(tu_field(out, "gogc_ok"), 1, "GOGC");
	free(out);
}

/*
 * record writes snapshot's files at its end (issue 15): attached to the snapshot
 * fixture, which holds still after writing its own heap profile and goroutine profiles,
 * a 2 s recording in exact mode and one in sampled mode must end with heap.pb.gz equal
 * to the fixture's own heap profile per stack in all four sample types
 * (heap_compare.py: in exact mode it is read at the end from the buckets as snapshot
 * reads it, in sampled mode it is the live heap) and goroutines.txt with every parked
 * goroutine's wait reason and frames as debug=2, and the counts as debug=1
 * (gor_compare.py); goroutines.pb.gz and the files 0600.  record writes no memory.json
 * of its own (memory_end.json is it).
 */
static void check_end_snapshot(const char *out, const char *m)
{
	char k[64];

#define F(key) (snprintf(k, sizeof(k), "%s_%s", m, key), tu_field(out, k))
	cr_assert_eq(F("rc"), 0, "%s: record succeeds:\n%s", m, out);
	cr_expect_eq(F("files"), 3, "%s: heap.pb.gz, goroutines.txt, goroutines.pb.gz:\n%s", m,
		     out);
	cr_expect_eq(F("modes"), 3, "%s: all 0600:\n%s", m, out);
	cr_expect_eq(F("memory_json"), 0, "%s: no memory.json besides memory_end.json", m);
	cr_assert_eq(F("heap_rc"), 0, "%s: both heap profiles read:\n%s", m, out);
	for (int i = 0; i < 4; i++) {
		char ka[32], kb[32];

		snprintf(ka, sizeof(ka), "totals_a_%d", i);
		snprintf(kb, sizeof(kb), "totals_b_%d", i);
		cr_expect_eq(F(kb), F(ka), "%s: sample type %d totals, the fixture's own:\n%s", m,
			     i, out);
	}
	cr_expect_gt(F("totals_a_3"), 12 << 20, "%s: the oracle holds the heap", m);
	cr_expect_eq(F("stacks_b"), F("stacks_a"), "%s: as many stacks", m);
	cr_expect_eq(F("stacks_differ"), 0, "%s: the same values per stack:\n%s", m, out);
	cr_assert_eq(F("gor_rc"), 0, "%s: both goroutine lists read:\n%s", m, out);
	cr_expect_geq(F("parked_own"), 30, "%s: the oracle lists the parked goroutines", m);
	cr_expect_eq(F("parked_missing"), 0, "%s: every parked goroutine:\n%s", m, out);
	cr_expect_eq(F("state_differ"), 0, "%s: the same wait reasons:\n%s", m, out);
	cr_expect_eq(F("frames_differ"), 0, "%s: the same frames as debug=2:\n%s", m, out);
	cr_expect_geq(F("groups_own"), 10, "%s: debug=1 has the groups", m);
	cr_expect_eq(F("groups_differ"), 0, "%s: the same counts as debug=1:\n%s", m, out);
#undef F
}

Test(record, end_snapshot_files, .timeout = 300)
{
	const char *fx = tu_fixture("snapshot", "go124", "stripped");
	char *out = tu_script(
		TU_SNAPSHOT_FIXTURE_START
		"for m in exact sampled; do\n"
		"  $GMT record --mode $m -q -d 2 -o $work/$m -p $P 2>$work/err.txt\n"
		"  echo ${m}_rc=$?\n"
		"  sed 's/^/# /' $work/err.txt\n"
		"  cd $work/$m\n"
		"  echo ${m}_files=$(ls | grep -c -x -e heap.pb.gz -e goroutines.txt "
		"-e goroutines.pb.gz)\n"
		"  echo ${m}_modes=$(stat -c %%a heap.pb.gz goroutines.txt goroutines.pb.gz | "
		"grep -c -x 600)\n"
		"  echo ${m}_memory_json=$(ls | grep -c -x memory.json)\n"
		"  cd - >/dev/null\n"
		"  python3 %s/tests/e2e/heap_compare.py %s $work/own/heap.pb.gz "
		"$work/$m/heap.pb.gz | sed \"s/^\\([a-z]\\)/${m}_\\1/\"\n"
		"  echo ${m}_heap_rc=${PIPESTATUS[0]}\n"
		"  python3 %s/tests/e2e/gor_compare.py $work/own/goroutine1.txt "
		"$work/own/goroutine2.txt $work/$m/goroutines.txt | sed \"s/^\\([a-z]\\)/${m}_\\1/\"\n"
		"  echo ${m}_gor_rc=${PIPESTATUS[0]}\n"
		"done\n",
		fx, fx, getenv("GMT_SOURCE_ROOT"), tu_go(), getenv("GMT_SOURCE_ROOT"));

	cr_assert_eq(tu_field(out, "fixture_ready"), 1, "the fixture got ready");
	check_end_snapshot(out, "exact");
	check_end_snapshot(out, "sampled");
	free(out);
}
