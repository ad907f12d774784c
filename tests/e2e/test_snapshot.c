// SPDX-License-Identifier: MIT
/*
 * gomemtrace snapshot against the fixture's own view of itself (tests/fixtures/snapshot):
 * the fixture writes its heap profile with runtime/pprof, turns the GC off and waits;
 * heap.pb.gz read from outside must hold the same four totals and the same values per
 * stack (frames with file:line, runtime frames hidden in both), compared through
 * `go tool pprof -raw` (tests/e2e/heap_compare.py); inuse_space.folded must sum to the
 * same in-use bytes.  On every release and flavour of
 * the fixture matrix, the sizespecializedmalloc experiment, a cgo build and the builds
 * that do not name their release (nover).  Then the bad inputs: one line, exit 1,
 * nothing written.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/*
 * Starts fixture fx (under timeout, killed on every exit of the script; its stdin a fifo
 * whose writing end the script holds, so that nothing outlives it), waits for its files,
 * snapshots it and compares.
 */
static char *snapshot_of(const char *fx)
{
	return tu_script(
		TU_SNAPSHOT_FIXTURE_START
		"$GMT snapshot -p $P -o $work/snap >$work/out.txt 2>$work/err.txt\n"
		"echo rc=$?\n"
		"cat $work/out.txt $work/err.txt | sed 's/^/# /'\n"
		"echo mode=$(stat -c %%a $work/snap/heap.pb.gz)\n"
		"echo folded_mode=$(stat -c %%a $work/snap/inuse_space.folded)\n"
		"echo folded_sum=$(awk '{s += $NF} END {printf \"%%d\", s}' "
		"$work/snap/inuse_space.folded)\n"
		"echo folded_keep=$(grep -c '^runtime.main;main.main;main.keepSubslices ' "
		"$work/snap/inuse_space.folded)\n"
		"echo alive=$(kill -0 $P 2>/dev/null && echo 1 || echo 0)\n"
		"echo summary_inuse_line=$(grep -c '^  in use: ' $work/out.txt)\n"
		"python3 %s/tests/e2e/heap_compare.py %s $work/own/heap.pb.gz $work/snap/heap.pb.gz\n"
		"echo compare_rc=$?\n",
		fx, fx, getenv("GMT_SOURCE_ROOT"), tu_go());
}

static void check_same_heap(const char *name, const char *fx)
{
	char *out = snapshot_of(fx);

	cr_assert_eq(tu_field(out, "fixture_ready"), 1, "%s: the fixture got ready", name);
	cr_assert_eq(tu_field(out, "rc"), 0, "%s: snapshot succeeds:\n%s", name, out);
	cr_expect_eq(tu_field(out, "mode"), 600, "%s: heap.pb.gz is 0600", name);
	cr_expect_eq(tu_field(out, "alive"), 1, "%s: the target still runs", name);
	cr_expect_eq(tu_field(out, "summary_inuse_line"), 1, "%s: the summary says what is in use",
		     name);
	cr_assert_eq(tu_field(out, "compare_rc"), 0, "%s: both profiles read:\n%s", name, out);
	for (int k = 0; k < 4; k++) {
		char ka[32], kb[32];

		snprintf(ka, sizeof(ka), "totals_a_%d", k);
		snprintf(kb, sizeof(kb), "totals_b_%d", k);
		cr_expect_eq(tu_field(out, kb), tu_field(out, ka),
			     "%s: sample type %d totals %ld, the fixture's own profile %ld\n%s",
			     name, k, tu_field(out, kb), tu_field(out, ka), out);
	}
	/*
	 * The fixture's heap: 48 arrays of 256 KiB kept by sub-slices (each sampled with
	 * probability 1 - e^-64: exactly 12 MiB), the cache and the records on top.
	 */
	cr_expect_gt(tu_field(out, "totals_a_3"), 12 << 20, "%s: the oracle holds the heap", name);
	cr_expect_eq(tu_field(out, "stacks_b"), tu_field(out, "stacks_a"), "%s: as many stacks",
		     name);
	cr_expect_eq(tu_field(out, "stacks_differ"), 0, "%s: the same values per stack:\n%s", name,
		     out);
	/* inuse_space.folded: the same in-use bytes, root first. */
	cr_expect_eq(tu_field(out, "folded_mode"), 600, "%s: inuse_space.folded is 0600", name);
	cr_expect_eq(tu_field(out, "folded_sum"), tu_field(out, "totals_a_3"),
		     "%s: inuse_space.folded sums to the fixture's inuse_space", name);
	/* The 256 KiB arrays, and the growth of the slice that keeps them. */
	cr_expect_geq(tu_field(out, "folded_keep"), 1,
		      "%s: lines runtime.main;main.main;main.keepSubslices", name);
	free(out);
}

ParameterizedTestParameters(snapshot, heap_equals_runtime_pprof)
{
	/* The e2e share of the matrix: every release, in two of its flavours (tu_rotation). */
	static int idx[TU_ROTATION_MAX];

	return cr_make_param_array(int, idx, tu_rotation(idx, true, 7));
}

ParameterizedTest(int *i, snapshot, heap_equals_runtime_pprof, .timeout = 300)
{
	const char *v, *f;
	char name[64];

	tu_matrix_entry(*i, &v, &f);
	snprintf(name, sizeof(name), "snapshot-%s-%s", v, f);
	check_same_heap(name, tu_fixture("snapshot", v, f));
}

Test(snapshot, heap_equals_runtime_pprof_cgo, .timeout = 300)
{
	check_same_heap("snapshot-go126-cgo", tu_fixture("snapshot-go126-cgo", NULL, NULL));
}

/* ---- bad input: one line, exit 1, nothing written ---- */

static char *snapshot_run(const char *target_cmd, const char *opts)
{
	return tu_script("work=$(mktemp -d)\n"
			 "trap 'kill $P 2>/dev/null; rm -rf \"$work\"' EXIT\n"
			 "mkfifo $work/in\n"
			 "%s <$work/in &\n"
			 "P=$!\n"
			 "exec 3>$work/in\n"
			 "sleep 1\n"
			 "$GMT snapshot -p $P -o $work/snap %s >$work/out.txt 2>$work/err.txt\n"
			 "echo rc=$?\n"
			 "sed 's/^/# /' $work/err.txt\n"
			 "echo err_lines=$(wc -l < $work/err.txt)\n"
			 "echo out_lines=$(wc -l < $work/out.txt)\n"
			 "echo written=$([ -e $work/snap ] && echo 1 || echo 0)\n"
			 "echo heap=$([ -e $work/snap/heap.pb.gz ] && echo 1 || echo 0)\n"
			 "echo goroutines=$(grep -c '^goroutine ' $work/snap/goroutines.txt "
			 "2>/dev/null || echo 0)\n",
			 target_cmd, opts);
}

static void check_fails(const char *what, const char *cmd, const char *msg)
{
	char *out = snapshot_run(cmd, "");

	cr_expect_eq(tu_field(out, "rc"), 1, "%s: exit 1\n%s", what, out);
	cr_expect_eq(tu_field(out, "err_lines"), 1, "%s: one line\n%s", what, out);
	cr_expect_eq(tu_field(out, "out_lines"), 0, "%s: nothing printed\n%s", what, out);
	cr_expect_eq(tu_field(out, "written"), 0, "%s: nothing written\n%s", what, out);
	cr_expect(strstr(out, msg), "%s: says '%s'\n%s", what, msg, out);
	free(out);
}

Test(snapshot_bad, not_go, .timeout = 60)
{
	check_fails("sleep", "timeout 30 sleep 20", "not a Go binary");
}

/*
 * memrate never links the heap profile reader: its rate is 0 since start-up, so up to
 * go1.22 it has no bucket at all (go1.24+ records one allocation per P when it sees the
 * rate change, tests/fixtures/memrate).  It exits when its stdin (the script's fifo)
 * ends.  Without a heap profile, snapshot says so in one line and still writes the
 * goroutines (main's, blocked on the fifo, at least); with --no-goroutines there is
 * nothing left to read: exit 1, nothing written.
 */
static void check_no_heap_profile(const char *flavour)
{
	char cmd[4096], what[64];
	char *out;

	snprintf(what, sizeof(what), "memrate-go122-%s", flavour);
	snprintf(cmd, sizeof(cmd), "%s >/dev/null", tu_fixture("memrate", "go122", flavour));
	out = snapshot_run(cmd, "");
	cr_expect_eq(tu_field(out, "rc"), 0, "%s: exit 0, the goroutines written\n%s", what, out);
	cr_expect_eq(tu_field(out, "err_lines"), 1, "%s: one line on stderr\n%s", what, out);
	cr_expect(strstr(out, "has no heap profile"), "%s: says it has no heap profile\n%s",
		  what, out);
	cr_expect_eq(tu_field(out, "heap"), 0, "%s: no heap.pb.gz\n%s", what, out);
	cr_expect_geq(tu_field(out, "goroutines"), 1, "%s: goroutines.txt has main's\n%s", what,
		      out);
	free(out);

	/* --no-heap does not look for it: nothing to say. */
	out = snapshot_run(cmd, "--no-heap");
	cr_expect_eq(tu_field(out, "rc"), 0, "%s --no-heap: exit 0\n%s", what, out);
	cr_expect_eq(tu_field(out, "err_lines"), 0, "%s --no-heap: nothing on stderr\n%s", what,
		     out);
	cr_expect_eq(tu_field(out, "heap"), 0, "%s --no-heap: no heap.pb.gz\n%s", what, out);
	cr_expect_geq(tu_field(out, "goroutines"), 1, "%s --no-heap: goroutines.txt\n%s", what,
		      out);
	free(out);

	out = snapshot_run(cmd, "--no-goroutines");
	cr_expect_eq(tu_field(out, "rc"), 1, "%s --no-goroutines: exit 1\n%s", what, out);
	cr_expect_eq(tu_field(out, "err_lines"), 1, "%s: one line\n%s", what, out);
	cr_expect(strstr(out, "has no heap profile"), "%s: says it\n%s", what, out);
	cr_expect_eq(tu_field(out, "written"), 0, "%s: nothing written\n%s", what, out);
	free(out);
}

Test(snapshot_bad, no_heap_profile_symtab, .timeout = 90)
{
	check_no_heap_profile("exe");
}

Test(snapshot_bad, no_heap_profile_stripped, .timeout = 90)
{
	check_no_heap_profile("stripped");
}

Test(snapshot_bad, no_such_pid, .timeout = 60)
{
	check_fails("a PID that exited", "true", "no process with PID");
}

/*
 * The mid-read tests' loop: a full snapshot of a fresh target (start(), which sets $p)
 * timed as $t_ms, then ten runs, each snapshot started in the background ($g) and
 * interrupted at tenths of that time; the loop's body goes on after the sleep.
 */
#define MID_READ_LOOP \
	"start\n" \
	"t0=$(date +%%s%%N); $GMT snapshot -p $p -o $d/full > /dev/null 2>&1; echo full_rc=$?\n" \
	"t_ms=$((($(date +%%s%%N) - t0) / 1000000)); echo full_ms=$t_ms\n" \
	"kill -9 $p; wait $p 2>/dev/null\n" \
	"for i in $(seq 1 10); do\n" \
	"  start; rm -rf $d/s\n" \
	"  $GMT snapshot -p $p -o $d/s > /dev/null 2> $d/err & g=$!\n" \
	"  sleep $(awk -v t=$t_ms -v i=$i 'BEGIN {printf \"%%.3f\", t * i / 10000}')\n"

/*
 * The process is SIGKILLed while snapshot reads it (issue 15's "PID gone mid-read"): the
 * goleak fixture parks 60,000 goroutines; a full snapshot of it is timed, then ten more
 * are each cut short by a kill at a tenth, two tenths ... of that time.  Every run either
 * completes (exit 0, every file) or fails in one line with exit 1 and nothing written:
 * everything is read before the first file.  Some runs must fail after the attach (not
 * with "no process with PID").
 */
Test(snapshot_bad, pid_gone_mid_read, .timeout = 240)
{
	char *out = tu_script(
		"FX=%s; d=$(mktemp -d)\n"
		"trap 'kill -9 $p 2>/dev/null; rm -rf \"$d\"' EXIT\n"
		"start() {\n"
		/* not the last run's file: its ready and done are not this one's */
		"  rm -f $d/fx.out; $FX -wait -leak 60000 -short 0 -dur 0 > $d/fx.out & p=$!\n"
		"  until grep -qs ready $d/fx.out; do sleep 0.02; done\n"
		"  kill -USR1 $p; until grep -qs ^done $d/fx.out; do sleep 0.02; done\n"
		"}\n"
		MID_READ_LOOP
		"  kill -9 $p; wait $p 2>/dev/null; wait $g; rc=$?\n"
		"  if [ $rc = 0 ] && [ -s $d/s/goroutines.txt ] && [ -s $d/s/memory.json ] && "
		"[ -s $d/s/heap.pb.gz ]; then echo ok_read\n"
		"  elif [ $rc = 1 ] && [ $(wc -l < $d/err) = 1 ] && grep -q '^gomemtrace: error: ' "
		"$d/err && [ ! -e $d/s ]; then\n"
		"    if grep -q 'no process with PID' $d/err; then echo ok_refused_attach; "
		"else echo ok_refused_mid; fi; sed 's/^/# /' $d/err\n"
		"  else echo BAD rc=$rc; cat $d/err; ls -la $d/s 2>&1; fi\n"
		"done\n",
		tu_fixture("goleak", "go126", "exe"));
	int mid = 0;

	for (const char *p = strstr(out, "ok_refused_mid"); p; p = strstr(p + 1, "ok_refused_mid"))
		mid++;
	cr_assert_eq(tu_field(out, "full_rc"), 0, "the uncut snapshot succeeds:\n%s", out);
	cr_assert_null(strstr(out, "BAD"), "each run either completes or fails in one line with "
					   "nothing written:\n%s", out);
	cr_expect_geq(mid, 1, "some run was cut after the attach:\n%s", out);
	cr_log_info("snapshot cut short: %s", out);
	free(out);
}

/* Parks 60,000 goroutines, then execs /bin/sleep on SIGUSR1: built for the next test. */
static const char execer_go[] =
	"package main\n"
	"import (\"fmt\"; \"os\"; \"os/signal\"; \"syscall\")\n"
	"func main() {\n"
	"	block := make(chan int)\n"
	"	for i := 0; i < 60000; i++ { go func() { <-block }() }\n"
	"	c := make(chan os.Signal, 1)\n"
	"	signal.Notify(c, syscall.SIGUSR1)\n"
	"	fmt.Println(\"ready\")\n"
	"	<-c\n"
	"	syscall.Exec(\"/bin/sleep\", []string{\"sleep\", \"30\"}, os.Environ())\n"
	"}\n";

/*
 * The process execs another program while snapshot reads it (issue 15's "a process that
 * exec'd"): as pid_gone_mid_read, with an exec at a tenth, two tenths ... of a full
 * snapshot's time.  Every run completes, or fails in one line with exit 1 and nothing
 * written; some must fail saying the process exec'd.
 */
Test(snapshot_bad, exec_mid_read, .timeout = 240)
{
	char *out = tu_script(
		"d=$(mktemp -d); mkdir $d/src; cat > $d/src/main.go <<'EOF'\n%sEOF\n"
		"trap 'kill -9 $p 2>/dev/null; rm -rf \"$d\"' EXIT\n"
		"(cd $d/src && GOTOOLCHAIN=local GOFLAGS= GO111MODULE=off CGO_ENABLED=0 %s build "
		"-o $d/execer main.go) || exit 1\n"
		"start() {\n"
		/* not the last run's file: a SIGUSR1 before signal.Notify is ignored */
		"  rm -f $d/fx.out; $d/execer > $d/fx.out & p=$!\n"
		"  until grep -qs ready $d/fx.out; do sleep 0.02; done\n"
		"}\n"
		MID_READ_LOOP
		"  kill -USR1 $p; wait $g; rc=$?\n"
		"  for k in $(seq 1 500); do [ \"$(cat /proc/$p/comm 2>/dev/null)\" = sleep ] && "
		"break; sleep 0.02; done; echo execd=$(cat /proc/$p/comm 2>/dev/null)\n"
		"  kill -9 $p; wait $p 2>/dev/null\n"
		"  if [ $rc = 0 ] && [ -s $d/s/goroutines.txt ] && [ -s $d/s/memory.json ]; then "
		"echo ok_read\n"
		"  elif [ $rc = 1 ] && [ $(wc -l < $d/err) = 1 ] && grep -q '^gomemtrace: error: ' "
		"$d/err && [ ! -e $d/s ]; then\n"
		"    if grep -q \"exec'd while it was read\" $d/err; then echo ok_refused_exec; "
		"else echo ok_refused; fi; sed 's/^/# /' $d/err\n"
		"  else echo BAD rc=$rc; cat $d/err; ls -la $d/s 2>&1; fi\n"
		"done\n",
		execer_go, tu_go());
	int n = 0;

	for (const char *p = strstr(out, "ok_refused_exec"); p; p = strstr(p + 1, "ok_refused_exec"))
		n++;
	cr_assert_eq(tu_field(out, "full_rc"), 0, "the uninterrupted snapshot succeeds:\n%s", out);
	cr_assert_null(strstr(out, "BAD"), "each run either completes or fails in one line with "
					   "nothing written:\n%s", out);
	cr_expect_geq(n, 1, "some run saw the exec while it read:\n%s", out);
	n = 0;
	for (const char *p = strstr(out, "execd=sleep\n"); p; p = strstr(p + 1, "execd=sleep\n"))
		n++;
	cr_expect_eq(n, 10, "every run's target exec'd:\n%s", out);
	cr_log_info("snapshot and exec: %s", out);
	free(out);
}

/* Binaries that do not name their release: the row is inferred (goruntime/release.h). */
ParameterizedTestParameters(snapshot, heap_equals_runtime_pprof_nover)
{
	return cr_make_param_array(int, tu_version_params(), tu_nversions);
}

ParameterizedTest(int *i, snapshot, heap_equals_runtime_pprof_nover, .timeout = 300)
{
	const char *v = tu_versions[*i];
	char name[64];

	cr_assert(tu_has(v, "nover"), "every release of the matrix has a nover build");
	snprintf(name, sizeof(name), "snapshot-%s-nover", v);
	check_same_heap(name, tu_fixture("snapshot", v, "nover"));
}

/* ---- goroutines.txt against the fixture's own goroutine profiles (debug=1 and 2) ---- */

static char *goroutines_of(const char *fx)
{
	return tu_script(
		TU_SNAPSHOT_FIXTURE_START
		"$GMT snapshot -p $P -o $work/snap >$work/out.txt 2>$work/err.txt\n"
		"echo rc=$?\n"
		"cat $work/out.txt $work/err.txt | sed 's/^/# /'\n"
		"echo mode=$(stat -c %%a $work/snap/goroutines.txt)\n"
		"echo summary_line=$(grep -c '^goroutines: [0-9]* in [0-9]* groups' $work/out.txt)\n"
		"python3 %s/tests/e2e/gor_compare.py $work/own/goroutine1.txt "
		"$work/own/goroutine2.txt $work/snap/goroutines.txt\n"
		"echo compare_rc=$?\n"
		/* goroutines.pb.gz: the goroutines parked at main.* sites, in both profiles */
		"tr='/^-----/ { if (h) s += c; c = 0; h = 0; next }\n"
		"/^ +[0-9]+ +[^ ]/ && c == 0 { c = $1 }\n"
		"/main[.](wait|deep|spawner|[(][*]server[)][.]serve|recvInl)/ { h = 1 }\n"
		"END { if (h) s += c; print s + 0 }'\n"
		"echo pb_mode=$(stat -c %%a $work/snap/goroutines.pb.gz)\n"
		"echo pb_own=$(%s tool pprof -traces $work/own/goroutine.pb.gz 2>/dev/null | awk \"$tr\")\n"
		"echo pb_ours=$(%s tool pprof -traces $work/snap/goroutines.pb.gz 2>/dev/null | awk \"$tr\")\n"
		"$GMT snapshot --no-goroutines -p $P -o $work/snap2 >/dev/null 2>&1\n"
		"echo nogor_rc=$? nogor_file=$([ -e $work/snap2/goroutines.txt ] && echo 1 || echo 0)\n",
		fx, fx, getenv("GMT_SOURCE_ROOT"), tu_go(), tu_go());
}

static void check_same_goroutines(const char *name, const char *fx)
{
	char *out = goroutines_of(fx);

	cr_assert_eq(tu_field(out, "fixture_ready"), 1, "%s: the fixture got ready", name);
	cr_assert_eq(tu_field(out, "rc"), 0, "%s: snapshot succeeds:\n%s", name, out);
	cr_expect_eq(tu_field(out, "mode"), 600, "%s: goroutines.txt is 0600", name);
	cr_expect_eq(tu_field(out, "summary_line"), 1, "%s: the summary counts goroutines", name);
	cr_assert_eq(tu_field(out, "compare_rc"), 0, "%s: both read:\n%s", name, out);
	/* The fixture parks 33 goroutines of its own (main.go: park, awaitTrigger). */
	cr_expect_geq(tu_field(out, "parked_own"), 30, "%s: the oracle lists them\n%s", name, out);
	cr_expect_eq(tu_field(out, "parked_missing"), 0, "%s: every parked goroutine\n%s", name,
		     out);
	cr_expect_eq(tu_field(out, "state_differ"), 0, "%s: the same wait reasons\n%s", name, out);
	cr_expect_eq(tu_field(out, "frames_differ"), 0,
		     "%s: the same frames (function, file:line) and creator as debug=2\n%s", name,
		     out);
	cr_expect_geq(tu_field(out, "groups_own"), 10, "%s: debug=1 has the groups\n%s", name, out);
	cr_expect_eq(tu_field(out, "groups_differ"), 0,
		     "%s: the same count per function as debug=1\n%s", name, out);
	/* goroutines.pb.gz: the same goroutines at the fixture's sites as its own debug=0. */
	cr_expect_eq(tu_field(out, "pb_mode"), 600, "%s: goroutines.pb.gz is 0600", name);
	cr_expect_geq(tu_field(out, "pb_own"), 30, "%s: the oracle's profile reads\n%s", name, out);
	cr_expect_eq(tu_field(out, "pb_ours"), tu_field(out, "pb_own"),
		     "%s: goroutines.pb.gz counts the parked goroutines as debug=0 does\n%s", name,
		     out);
	cr_expect_eq(tu_field(out, "nogor_rc"), 0, "%s: --no-goroutines succeeds", name);
	cr_expect_eq(tu_field(out, "nogor_file"), 0, "%s: --no-goroutines writes none", name);
	free(out);
}

ParameterizedTestParameters(snapshot, goroutines_equal_runtime_traceback)
{
	/* The e2e share of the matrix: every release, in two of its flavours (tu_rotation). */
	static int idx[TU_ROTATION_MAX];

	return cr_make_param_array(int, idx, tu_rotation(idx, true, 8));
}

ParameterizedTest(int *i, snapshot, goroutines_equal_runtime_traceback, .timeout = 300)
{
	const char *v, *f;
	char name[64];

	tu_matrix_entry(*i, &v, &f);
	snprintf(name, sizeof(name), "snapshot-%s-%s", v, f);
	check_same_goroutines(name, tu_fixture("snapshot", v, f));
}

Test(snapshot, goroutines_equal_runtime_traceback_cgo, .timeout = 300)
{
	check_same_goroutines("snapshot-go126-cgo", tu_fixture("snapshot-go126-cgo", NULL, NULL));
}

/*
 * ---- memory.json against runtime.ReadMemStats ----
 * After the snapshot the script sends the fixture a byte: it reads ReadMemStats with no
 * allocation since gomemtrace read it (memstats2.json), the exact oracle; its
 * memstats.json gives GOGC and GOMEMLIMIT.  VmRSS is read by the script as well, right
 * after the snapshot and before the trigger.
 */
static char *memory_of(const char *fx)
{
	return tu_script(
		TU_SNAPSHOT_FIXTURE_START
		"$GMT snapshot --no-heap --no-goroutines -p $P -o $work/snap >$work/out.txt "
		"2>$work/err.txt\n"
		"echo rc_none=$?\n"
		"$GMT snapshot -p $P -o $work/snap >$work/out.txt 2>$work/err.txt\n"
		"echo rc=$?\n"
		/* before the trigger: answering it raised VmRSS by 2 MiB in one run */
		"echo vmrss_kb=$(awk '/^VmRSS:/ {print $2}' /proc/$P/status)\n"
		"echo x >&3\n"
		"for i in $(seq 1 300); do [ -f $work/own/done2 ] && break; sleep 0.1; done\n"
		"echo own_cgroup=$(sed -n 's/^0:://p' /proc/$P/cgroup)\n"
		"cat $work/out.txt $work/err.txt | sed 's/^/# /'\n"
		"echo mode=$(stat -c %%a $work/snap/memory.json)\n"
		"echo summary_line=$(grep -c '^memory of PID ' $work/out.txt)\n"
		"python3 %s/tests/e2e/mem_compare.py $work/snap/memory.json "
		"$work/own/memstats2.json $work/own/memstats.json\n"
		"echo compare_rc=$?\n",
		fx, fx, getenv("GMT_SOURCE_ROOT"));
}

static void check_same_memory(const char *name, const char *fx)
{
	char *out = memory_of(fx), *cg, *own;

	cr_assert_eq(tu_field(out, "fixture_ready"), 1, "%s: the fixture got ready", name);
	cr_expect_neq(tu_field(out, "rc_none"), 0, "%s: nothing to read is refused", name);
	cr_assert_eq(tu_field(out, "rc"), 0, "%s: snapshot succeeds:\n%s", name, out);
	cr_expect_eq(tu_field(out, "mode"), 600, "%s: memory.json is 0600", name);
	cr_expect_eq(tu_field(out, "summary_line"), 1, "%s: the summary has the memory", name);
	cr_assert_eq(tu_field(out, "compare_rc"), 0, "%s: both read:\n%s", name, out);
	cr_expect_eq(tu_field(out, "consistent"), 1, "%s: a still heap reads consistently", name);
	cr_expect_eq(tu_field(out, "per_p"), 1, "%s: the per-P spans are counted", name);
	cr_expect_eq(tu_field(out, "fields_differ"), 0,
		     "%s: every figure as ReadMemStats gives it (1 %% or 1 MiB, counts exact)\n%s",
		     name, out);
	/* Nothing allocated between the two reads: the flush from outside is exact. */
	cr_expect_eq(tu_field(out, "heapalloc_exact"), 1, "%s: HeapAlloc exact\n%s", name, out);
	cr_expect_eq(tu_field(out, "gogc_ok"), 1, "%s: GOGC as the fixture set it", name);
	cr_expect_eq(tu_field(out, "gomemlimit_ok"), 1, "%s: GOMEMLIMIT as the runtime says",
		     name);
	/* The fixture runs with GOGC off: no exact heap goal, and the file says why. */
	cr_expect_eq(tu_field(out, "nextgc_null"), 1, "%s: NextGC unavailable, with why", name);
	cr_expect_gt(tu_field(out, "rss_kb"), 0, "%s: RSS read", name);
	cr_expect_leq(labs(tu_field(out, "rss_kb") - tu_field(out, "vmrss_kb")), 1024,
		      "%s: RSS %ld kB, /proc says %ld kB", name, tu_field(out, "rss_kb"),
		      tu_field(out, "vmrss_kb"));
	cg = strstr(out, "\ncgroup=");
	own = strstr(out, "\nown_cgroup=");
	cr_assert(cg && own, "%s: both name the cgroup", name);
	cr_expect_eq(strcspn(cg + 8, "\n"), strcspn(own + 12, "\n"), "%s: the same cgroup", name);
	cr_expect_eq(strncmp(cg + 8, own + 12, strcspn(own + 12, "\n")), 0,
		     "%s: the same cgroup", name);
	free(out);
}

ParameterizedTestParameters(snapshot, memory_equals_readmemstats)
{
	/* The e2e share of the matrix: every release, in two of its flavours (tu_rotation). */
	static int idx[TU_ROTATION_MAX];

	return cr_make_param_array(int, idx, tu_rotation(idx, true, 9));
}

ParameterizedTest(int *i, snapshot, memory_equals_readmemstats, .timeout = 300)
{
	const char *v, *f;
	char name[64];

	tu_matrix_entry(*i, &v, &f);
	snprintf(name, sizeof(name), "snapshot-%s-%s", v, f);
	check_same_memory(name, tu_fixture("snapshot", v, f));
}

Test(snapshot, memory_equals_readmemstats_cgo, .timeout = 300)
{
	check_same_memory("snapshot-go126-cgo", tu_fixture("snapshot-go126-cgo", NULL, NULL));
}

/* Whatever the rotation picks: the flavours the figures' addresses depend on most. */
Test(snapshot, memory_equals_readmemstats_stripped_pie, .timeout = 300)
{
	check_same_memory("snapshot-go126-stripped", tu_fixture("snapshot", "go126", "stripped"));
	check_same_memory("snapshot-go122-pie", tu_fixture("snapshot", "go122", "pie"));
	check_same_memory("snapshot-go119-stripped", tu_fixture("snapshot", "go119", "stripped"));
}

/*
 * A heap that moves while it is read: the fixture allocating as fast as it can on two Ps
 * (-busy: two size classes, spans going back every microsecond or so, a large object now
 * and then, GC on), read 8 times between its own ReadMemStats before (memstats.json) and
 * after (memstats2.json).  Every read must give the heap figures, known to within 1 %,
 * and what only grows (TotalAlloc, NumGC) must lie between the two and grow from read to
 * read (tests/e2e/busy_compare.py): no object counted twice, none lost beyond what the
 * read says it may miss.  Before, two reads of all of heapStats around the per-P walk
 * rarely agreed on such a heap, and the figures were left out.
 */
static void check_busy_memory(const char *name, const char *fx)
{
	char *out = tu_script(TU_SNAPSHOT_FIXTURE_START_WITH("-busy")
			      "for i in 1 2 3 4 5 6 7 8; do\n"
			      "  $GMT snapshot --no-goroutines -p $P -o $work/snap$i "
			      ">$work/out$i.txt 2>$work/err$i.txt || echo failed=$i\n"
			      "done\n"
			      "echo x >&3\n"
			      "for i in $(seq 1 300); do [ -f $work/own/done2 ] && break; sleep 0.1; done\n"
			      "cat $work/out8.txt $work/err8.txt | sed 's/^/# /'\n"
			      "python3 %s/tests/e2e/busy_compare.py $work/own/memstats.json "
			      "$work/own/memstats2.json $work/snap?/memory.json\n"
			      "echo compare_rc=$?\n",
			      fx, fx, getenv("GMT_SOURCE_ROOT"));

	cr_assert_eq(tu_field(out, "fixture_ready"), 1, "%s: the fixture got ready", name);
	cr_assert_null(strstr(out, "failed="), "%s: every snapshot succeeds:\n%s", name, out);
	cr_assert_eq(tu_field(out, "compare_rc"), 0, "%s: compared:\n%s", name, out);
	cr_assert_eq(tu_field(out, "reads"), 8, "%s: 8 reads", name);
	cr_expect_gt(tu_field(out, "allocated_mib"), 8, "%s: the heap moved:\n%s", name, out);
	cr_expect_eq(tu_field(out, "given"), 8, "%s: the heap figures in every read:\n%s", name,
		     out);
	cr_expect_eq(tu_field(out, "within"), 8, "%s: known to within 1 %%:\n%s", name, out);
	cr_expect_eq(tu_field(out, "bracketed"), 8,
		     "%s: TotalAlloc between ReadMemStats before and after:\n%s", name, out);
	cr_expect_eq(tu_field(out, "ordered"), 8, "%s: TotalAlloc and NumGC grow:\n%s", name, out);
	free(out);
}

Test(snapshot, memory_of_a_busy_heap, .timeout = 300)
{
	check_busy_memory("snapshot-go126-exe", tu_fixture("snapshot", "go126", "exe"));
	check_busy_memory("snapshot-go122-pie", tu_fixture("snapshot", "go122", "pie"));
}

/*
 * ---- goroutine waits against the runtime's clock ----
 * Go prints "N minutes" from g.waitsince, which the runtime stamps with the start of
 * the GC that first finds a goroutine waiting; the fixture parks its goroutines, then
 * runs a GC (LastGC in its memstats.json) and turns the GC off.  3 s later each group's
 * longest wait in the summary must be the time since that GC (tests/e2e/wait_compare.py):
 * a check to the second of what Go shows to the minute, with no minute-long test.
 */
static void check_waits(const char *name, const char *fx)
{
	char *out = tu_script(TU_SNAPSHOT_FIXTURE_START
			      "sleep 3\n"
			      "t0=$(date +%%s.%%N)\n"
			      "$GMT snapshot -p $P -o $work/snap >$work/out.txt 2>$work/err.txt\n"
			      "echo rc=$?\n"
			      "t1=$(date +%%s.%%N)\n"
			      "cat $work/out.txt $work/err.txt | sed 's/^/# /'\n"
			      "python3 %s/tests/e2e/wait_compare.py $work/out.txt "
			      "$work/own/memstats.json $t0 $t1\n"
			      "echo compare_rc=$?\n",
			      fx, fx, getenv("GMT_SOURCE_ROOT"));

	cr_assert_eq(tu_field(out, "fixture_ready"), 1, "%s: the fixture got ready", name);
	cr_assert_eq(tu_field(out, "rc"), 0, "%s: snapshot succeeds:\n%s", name, out);
	cr_assert_eq(tu_field(out, "compare_rc"), 0, "%s: compared:\n%s", name, out);
	cr_expect_geq(tu_field(out, "lo_ms"), 2900, "%s: 3 s since the GC", name);
	/* The summary's 10 largest groups: all parked by the fixture before its GC but main. */
	cr_expect_geq(tu_field(out, "waits"), 8, "%s: the groups have waits:\n%s", name, out);
	cr_expect_eq(tu_field(out, "waits_outside"), 0,
		     "%s: every wait is the time since the GC that stamped it:\n%s", name, out);
	free(out);
}

Test(snapshot, waits_since_gc, .timeout = 300)
{
	check_waits("snapshot-go126-stripped", tu_fixture("snapshot", "go126", "stripped"));
	check_waits("snapshot-go119-exe", tu_fixture("snapshot", "go119", "exe"));
	check_waits("snapshot-go122-pie", tu_fixture("snapshot", "go122", "pie"));
}
