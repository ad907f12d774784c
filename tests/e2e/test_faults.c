// SPDX-License-Identifier: MIT
/*
 * End to end: faults while tracing.  The target is killed, gomemtrace is terminated or
 * killed, the ring buffer overflows, the target execs another program, a second
 * gomemtrace comes along.  Each time: outputs for what was seen, a clear message, the
 * target's MemProfileRate as it was (the sampled fixture prints it at its very end,
 * after SIGUSR2), and nothing left behind.  These load BPF: without root they fail.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

/*
 * Shell fragments.  START_SAMPLED starts the sampled fixture ($FX, waiting for SIGUSR1)
 * in $d and gomemtrace attached to it ($GMT_ARGS), and waits until it traces.
 * FINISH_SAMPLED lets the fixture allocate, then finish and print its end rate.
 */
#define START_SAMPLED                                                                    \
	"d=$(mktemp -d); $FX -wait > $d/fx.out & p=$!\n"                                 \
	"until grep -qs ready $d/fx.out; do sleep 0.05; done\n"                          \
	"$GMT record $GMT_ARGS -o $d/out -p $p 2> $d/gmt.err & g=$!\n"                   \
	"until grep -qs 'tracing PID' $d/gmt.err; do sleep 0.05; "                       \
	"kill -0 $g 2>/dev/null || break; done\n"
#define FINISH_SAMPLED                                                                   \
	"kill -USR1 $p; until grep -qs '^done' $d/fx.out; do sleep 0.05; done\n"         \
	"kill -USR2 $p; wait $p; echo fx_rc=$?\n"

static bool has(const char *out, const char *needle)
{
	return strstr(out, needle) != NULL;
}

/* Target SIGKILLed mid-trace: gomemtrace writes what it saw and exits 0, saying so. */
Test(faults, target_killed_mid_trace, .timeout = 120)
{
	const char *fx = tu_fixture("alloc", "go126", "exe");
	char *out = tu_script("FX=%s\n"
			      "d=$(mktemp -d); $FX -spin 30 > $d/fx.out & p=$!\n"
			      "until [ \"$(readlink /proc/$p/exe)\" = \"$(readlink -f $FX)\" ]; do "
			      "sleep 0.01; done\n"
			      "$GMT record --mode exact -o $d/out -p $p 2> $d/gmt.err & g=$!\n"
			      "until grep -qs 'tracing PID' $d/gmt.err; do sleep 0.05; done\n"
			      "sleep 1; kill -KILL $p; wait $g; echo gmt_rc=$?\n"
			      "cat $d/gmt.err; ls $d/out\n"
			      "python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); "
			      "print(\"allocs=%%d\" %% s[\"allocs\"])' $d/out/summary.json\n"
			      "awk '{s += $NF} END {print \"folded=\" s}' $d/out/alloc_count.folded\n"
			      "rm -rf $d",
			      fx);

	cr_assert(has(out, "gmt_rc=0\n"), "gomemtrace exits 0 when its target is killed:\n%s",
		  out);
	cr_assert(has(out, "exited; writing the outputs"), "it says the target exited:\n%s", out);
	cr_assert(has(out, "alloc.pb.gz") && has(out, "report.txt") && has(out, "gc.json"),
		  "every output is written:\n%s", out);
	cr_assert_gt(tu_field(out, "allocs"), 10000, "the second of allocations seen is in");
	cr_assert_eq(tu_field(out, "folded"), tu_field(out, "allocs"),
		     "alloc_count.folded holds every allocation summary.json counts");
	free(out);
}

/*
 * gomemtrace SIGTERMed in sampled mode: it exits 0, the target's rate is back to 0, the
 * target finishes normally, its uprobes are gone and no state file remains.
 */
Test(faults, sigterm_restores_rate_and_detaches, .timeout = 180)
{
	const char *fx = tu_fixture("sampled", "go124", "pie");
	char *out = tu_script("FX=%s GMT_ARGS='--mode sampled'\n" START_SAMPLED
			      "echo probes_during=$(bpftool perf show 2>/dev/null | "
			      "grep -c \"pid $g \")\n"
			      "echo state_during=$(ls $GMT_STATE_DIR | wc -l)\n"
			      "kill -TERM $g; wait $g; echo gmt_rc=$?\n"
			      "echo probes_after=$(bpftool perf show 2>/dev/null | "
			      "grep -c \"pid $g \")\n"
			      "echo state_after=$(ls $GMT_STATE_DIR | wc -l)\n" FINISH_SAMPLED
			      "cat $d/fx.out $d/gmt.err; rm -rf $d",
			      fx);

	cr_assert(has(out, "gmt_rc=0\n"), "gomemtrace exits 0 on SIGTERM:\n%s", out);
	cr_assert_gt(tu_field(out, "probes_during"), 0, "bpftool shows its uprobes while it runs");
	cr_assert_eq(tu_field(out, "probes_after"), 0, "and none after it exits:\n%s", out);
	cr_assert_eq(tu_field(out, "state_during"), 1, "a state file while the rate is raised");
	cr_assert_eq(tu_field(out, "state_after"), 0, "removed once the rate is restored");
	cr_assert(has(out, "restored to 0"), "gomemtrace says it restored the rate:\n%s", out);
	cr_assert_eq(tu_field(out, "fx_rc"), 0, "the target finishes normally");
	cr_assert_eq(tu_field(out, "rate start"), 0, "the fixture's own rate is 0");
	cr_assert_eq(tu_field(out, "rate end"), 0, "and is 0 again after the detach:\n%s", out);
	free(out);
}

/*
 * gomemtrace SIGKILLed in sampled mode: the raised rate stays (the kernel only drops the
 * probes); 'gomemtrace restore -p PID' puts 0 back from the state file and removes it.
 */
Test(faults, restore_after_sigkill, .timeout = 180)
{
	const char *fx = tu_fixture("sampled", "go126", "stripped");
	char *out = tu_script("FX=%s GMT_ARGS='--mode sampled --rate 65536'\n" START_SAMPLED
			      "kill -KILL $g; wait $g\n"
			      "echo left=$(python3 -c 'import json,sys,glob; "
			      "print(json.load(open(glob.glob(sys.argv[1] + \"/*.json\")[0]))"
			      "[\"written\"])' $GMT_STATE_DIR)\n"
			      "$GMT restore -p $p 2>&1; echo restore_rc=$?\n"
			      "echo state_after=$(ls $GMT_STATE_DIR | wc -l)\n"
			      "$GMT restore -p $p 2>&1; echo again_rc=$?\n" FINISH_SAMPLED
			      "cat $d/fx.out; rm -rf $d",
			      fx);

	cr_assert_eq(tu_field(out, "left"), 65536, "the state file records the rate written:\n%s",
		     out);
	cr_assert_eq(tu_field(out, "restore_rc"), 0, "restore succeeds:\n%s", out);
	cr_assert(has(out, "restored to 0"), "and says what it did:\n%s", out);
	cr_assert_eq(tu_field(out, "state_after"), 0, "the state file is removed");
	cr_assert(has(out, "nothing to restore") && tu_field(out, "again_rc") == 0,
		  "a second restore has nothing to do:\n%s", out);
	cr_assert_eq(tu_field(out, "rate end"), 0, "the fixture's rate is 0 again:\n%s", out);
	cr_assert_eq(tu_field(out, "fx_rc"), 0, "the target finishes normally");
	free(out);
}

/* The next sampled recording of a process undoes what a killed gomemtrace left. */
Test(faults, next_run_restores_after_sigkill, .timeout = 180)
{
	const char *fx = tu_fixture("sampled", "go122", "exe");
	char *out = tu_script("FX=%s GMT_ARGS='--mode sampled --rate 65536'\n" START_SAMPLED
			      "kill -KILL $g; wait $g\n"
			      "$GMT record --mode sampled -d 1 -o $d/out2 -p $p 2> $d/gmt2.err; "
			      "echo second_rc=$?\n"
			      "echo state_after=$(ls $GMT_STATE_DIR | wc -l)\n" FINISH_SAMPLED
			      "cat $d/fx.out $d/gmt2.err; rm -rf $d",
			      fx);

	cr_assert_eq(tu_field(out, "second_rc"), 0, "the second recording works:\n%s", out);
	cr_assert(has(out, "a gomemtrace that was killed"),
		  "it says it undid a killed gomemtrace's change:\n%s", out);
	cr_assert(has(out, "sets it to 524288"),
		  "it then sees the original rate 0 and sets its own:\n%s", out);
	cr_assert_eq(tu_field(out, "state_after"), 0, "no state file remains");
	cr_assert_eq(tu_field(out, "rate end"), 0, "the fixture's rate is 0 at the end:\n%s", out);
	free(out);
}

/*
 * Two gomemtrace on one target.  Sampled: the second refuses (it would sample at the
 * first one's rate until the first restores it) and the first is unaffected.  Exact:
 * both work, and both see every allocation of the fixture's windows.
 */
Test(faults, second_sampled_instance_refuses, .timeout = 180)
{
	const char *fx = tu_fixture("sampled", "go127", "exe");
	char *out = tu_script("FX=%s GMT_ARGS='--mode sampled'\n" START_SAMPLED
			      "$GMT record --mode sampled -d 1 -o $d/out2 -p $p 2> $d/gmt2.err; "
			      "echo second_rc=$?; cat $d/gmt2.err; echo lines2=$(wc -l < $d/gmt2.err)\n"
			      "kill -USR1 $p; until grep -qs '^done' $d/fx.out; do sleep 0.05; done\n"
			      "kill -INT $g; wait $g; echo gmt_rc=$?\n"
			      "kill -USR2 $p; wait $p; echo fx_rc=$?\n"
			      "echo samples=$(python3 -c 'import json,sys; "
			      "print(json.load(open(sys.argv[1]))[\"samples\"])' $d/out/summary.json)\n"
			      "cat $d/fx.out; rm -rf $d",
			      fx);

	cr_assert_eq(tu_field(out, "second_rc"), 1, "the second instance fails:\n%s", out);
	cr_assert(has(out, "already traced in sampled mode by gomemtrace PID"),
		  "saying why and who:\n%s", out);
	cr_assert_eq(tu_field(out, "lines2"), 1, "in one line");
	cr_assert_eq(tu_field(out, "gmt_rc"), 0, "the first one finishes normally:\n%s", out);
	cr_assert_gt(tu_field(out, "samples"), 1000, "with its samples (>500 MB at 512 KiB)");
	cr_assert_eq(tu_field(out, "rate end"), 0, "and restores the rate:\n%s", out);
	free(out);
}

Test(faults, two_exact_instances_both_work, .timeout = 180)
{
	const char *fx = tu_fixture("alloc", "go126", "exe");
	char *out = tu_script("FX=%s\n"
			      "d=$(mktemp -d); $FX -wait > $d/fx.out & p=$!\n"
			      "until grep -qs ready $d/fx.out; do sleep 0.05; done\n"
			      "for i in 1 2; do\n"
			      "  $GMT record --mode exact -o $d/out$i -p $p 2> $d/gmt$i.err & g[$i]=$!\n"
			      "  until grep -qs 'tracing PID' $d/gmt$i.err; do sleep 0.05; done\n"
			      "done\n"
			      "kill -USR1 $p; wait $p; echo fx_rc=$?\n"
			      "wait ${g[1]}; echo rc1=$?; wait ${g[2]}; echo rc2=$?\n"
			      "for i in 1 2; do awk -v i=$i '/main.allocSmall/ {s += $NF} "
			      "END {print \"small\" i \"=\" s}' $d/out$i/alloc_count.folded; done\n"
			      "grep allocSmall $d/fx.out; rm -rf $d",
			      fx);
	long want;

	cr_assert_eq(tu_field(out, "rc1"), 0, "the first instance exits 0:\n%s", out);
	cr_assert_eq(tu_field(out, "rc2"), 0, "the second too:\n%s", out);
	cr_assert_eq(tu_field(out, "fx_rc"), 0, "the target finishes normally:\n%s", out);
	want = tu_field(out, "mallocs");
	cr_assert_gt(want, 0);
	cr_assert_eq(tu_field(out, "small1"), want, "the first sees all of main.allocSmall:\n%s",
		     out);
	cr_assert_eq(tu_field(out, "small2"), want, "the second too:\n%s", out);
	free(out);
}

/*
 * A burst through a 1 MiB ring buffer at --rate 1 (every allocation sampled): records
 * are lost, and the loss is counted, reported and consistent: every sampler hit is a
 * morestack skip, a record received or a record lost, and the folded counts hold the
 * samples received, no more.
 */
Test(faults, ringbuf_overflow_is_counted, .timeout = 180)
{
	const char *fx = tu_fixture("alloc", "go126", "exe");
	char *out = tu_script(
		"FX=%s\nd=$(mktemp -d)\n"
		"GOMAXPROCS=2 $GMT record --mode sampled --rate 1 --ringbuf-mb 1 -o $d/out -- "
		"$FX -workers 8 > /dev/null 2> $d/gmt.err; echo gmt_rc=$?; cat $d/gmt.err\n"
		"python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); c=s[\"counters\"]; "
		"print(\"dropped=%%d lost=%%d hits=%%d morestack=%%d records=%%d samples=%%d\" %% "
		"(s[\"dropped\"], c[\"mprof_rb_drops\"], c[\"alloc_hits\"], c[\"alloc_morestack\"], "
		"s[\"sampler_records\"], s[\"samples\"]))' $d/out/summary.json\n"
		"awk '{s += $NF} END {print \"folded=\" s}' $d/out/alloc_count.folded\n"
		"grep 'sampler records lost' $d/out/report.txt\n"
		"rm -rf $d",
		fx);
	long lost = tu_field(out, "lost");

	cr_assert_eq(tu_field(out, "gmt_rc"), 0, "gomemtrace finishes:\n%s", out);
	cr_assert_gt(lost, 0, "the burst overflowed the ring buffer:\n%s", out);
	cr_assert_eq(tu_field(out, "dropped"), lost, "summary.json's dropped counts the loss");
	cr_assert(has(out, "heap-sampler records lost") && has(out, "--ringbuf-mb"),
		  "the user is told, with the option that helps:\n%s", out);
	cr_assert(has(out, "sampler records lost (ring buffer full):"),
		  "report.txt lists it:\n%s", out);
	cr_assert_eq(tu_field(out, "hits"),
		     tu_field(out, "morestack") + tu_field(out, "records") + lost,
		     "every sampler hit is skipped, received or lost:\n%s", out);
	cr_assert_eq(tu_field(out, "folded"), tu_field(out, "samples"),
		     "the folded counts are the samples received:\n%s", out);
	free(out);
}

/* A small Go program that allocates, then execs /bin/sleep: built for this test. */
static const char execer_go[] =
	"package main\n"
	"import (\"fmt\"; \"os\"; \"syscall\"; \"time\")\n"
	"var sink [][]byte\n"
	"func main() {\n"
	"	fmt.Println(\"ready\")\n"
	"	for i := 0; i < 3000; i++ { sink = append(sink, make([]byte, 64)); "
	"time.Sleep(time.Millisecond / 3) }\n"
	"	fmt.Println(\"exec\")\n"
	"	syscall.Exec(\"/bin/sleep\", []string{\"sleep\", \"3\"}, os.Environ())\n"
	"}\n";

/*
 * The target execs another program: its probes cannot fire any more, so tracing ends
 * there with the outputs written, in sampled mode without writing anything into the
 * new program (the state file names the old executable).
 */
Test(faults, target_execs, .timeout = 240)
{
	char *out = tu_script(
		"d=$(mktemp -d); mkdir $d/src; cat > $d/src/main.go <<'EOF'\n%sEOF\n"
		"(cd $d/src && GOTOOLCHAIN=local GOFLAGS= GO111MODULE=off CGO_ENABLED=0 %s build "
		"-o $d/execer main.go) || exit 1\n"
		"$d/execer > $d/fx.out & p=$!\n"
		"until grep -qs ready $d/fx.out; do sleep 0.01; done\n"
		"timeout 20 $GMT record --mode sampled --rate 64 -o $d/out -p $p 2> $d/gmt.err; "
		"echo gmt_rc=$?\n"
		"echo comm=$(cat /proc/$p/comm)\n"
		"echo state_after=$(ls $GMT_STATE_DIR | wc -l)\n"
		"wait $p; echo fx_rc=$?; cat $d/gmt.err; ls $d/out; rm -rf $d",
		execer_go, tu_go());

	cr_assert_eq(tu_field(out, "gmt_rc"), 0,
		     "gomemtrace ends by itself (not by timeout) and exits 0:\n%s", out);
	cr_assert(has(out, "exec'd another program"), "it says why it stopped:\n%s", out);
	cr_assert(has(out, "comm=sleep"), "the exec happened while traced:\n%s", out);
	cr_assert(has(out, "summary.json") && has(out, "alloc.pb.gz"), "outputs written:\n%s",
		  out);
	cr_assert_eq(tu_field(out, "state_after"), 0, "no state file is left");
	cr_assert_eq(tu_field(out, "fx_rc"), 0, "the new program runs to its end unharmed");
	free(out);
}

/*
 * Every error path of a session's setup, with records in flight.  GMT_FAULT makes one
 * step fail while gcwork churns (hundreds of GC cycles a second, 512 KiB allocations
 * that sampled mode samples at once): before the fix, the GC probes were still in
 * while the ring buffer was drained, and a GC record reached the freed GC timeline
 * (SIGSEGV, or a use after free under ASan).  Each case must give one error line and
 * exit 1, leave the target running, its MemProfileRate 0 again (read out of its memory),
 * no state file, no uprobe in its text.  -v reports how many records the teardown
 * drained: where the failing step comes long after the first probes (a BPF object
 * loaded in between, or the rate raised), there must have been some.
 */
struct setup_fault {
	char mode[8], step[16]; /* arrays: the parameters are copied into each test's process */
	bool records;	   /* records were waiting when it failed, for sure */
	bool rate_written; /* the target's rate had been raised when it failed */
};

static struct setup_fault setup_faults[] = {
	{ "exact", "tracer", false, false },	  { "exact", "gc", false, false },
	{ "exact", "goroutines", true, false },	  { "exact", "release", true, false },
	{ "exact", "poll", false, false },	  { "sampled", "tracer", false, false },
	{ "sampled", "gc", false, false },	  { "sampled", "goroutines", true, false },
	{ "sampled", "release", true, false },	  { "sampled", "rate", true, true },
	{ "sampled", "sampler", true, true },	  { "sampled", "poll", false, true },
};

ParameterizedTestParameters(faults, setup_step_fails)
{
	return cr_make_param_array(struct setup_fault, setup_faults,
				   sizeof(setup_faults) / sizeof(setup_faults[0]));
}

ParameterizedTest(struct setup_fault *f, faults, setup_step_fails, .timeout = 180)
{
	const char *fx = tu_fixture("gcwork", "go126", "exe");
	char want[128];
	char *out = tu_script(
		"FX=%s MODE=%s STEP=%s\n" TU_TARGET_FUNCS
		"addr=$(%s tool nm $FX | awk '$3 == \"runtime.MemProfileRate\" {print $1}')\n"
		"d=$(mktemp -d); $FX -mode churn -scale 1000000 > /dev/null & p=$!\n"
		/* The runtime zeroes the rate as it starts (the binary has no pprof). */
		"until [ \"$(rate $p $addr 2>/dev/null)\" = 0 ]; do sleep 0.01; done\n"
		"GMT_FAULT=$STEP $GMT record -v --goroutines --mode $MODE -o $d/out -p $p "
		"> $d/gmt.err 2>&1; echo gmt_rc=$?\n"
		"echo errors=$(grep -c '^gomemtrace: error:' $d/gmt.err)\n"
		"grep '^gomemtrace: error:\\|MemProfileRate\\|teardown' $d/gmt.err\n"
		"echo drained=$(sed -n 's/.*teardown: \\([0-9]*\\) records.*/\\1/p' $d/gmt.err)\n"
		"echo rate_after=$(rate $p $addr) probed=$(probed $p) probes=$(probes $p)\n"
		"echo state_after=$(ls $GMT_STATE_DIR | wc -l)\n"
		"kill -0 $p && echo alive=1\n"
		"kill $p; wait $p; rm -rf $d",
		fx, f->mode, f->step, tu_go());

	if (!strcmp(f->step, "poll"))
		snprintf(want, sizeof(want), "gomemtrace: error: ring buffer: %s\n",
			 strerror(ENOMEM));
	else
		snprintf(want, sizeof(want),
			 "gomemtrace: error: GMT_FAULT: injected failure at step %s\n", f->step);
	cr_assert_eq(tu_field(out, "gmt_rc"), 1, "%s/%s: exit 1, no crash:\n%s", f->mode,
		     f->step, out);
	cr_assert(has(out, want), "%s/%s: says why:\n%s", f->mode, f->step, out);
	cr_assert_eq(tu_field(out, "errors"), 1, "in one error line:\n%s", out);
	cr_assert_eq(tu_field(out, "alive"), 1, "the target runs on");
	cr_assert_eq(tu_field(out, "rate_after"), 0, "its MemProfileRate is 0 again:\n%s", out);
	cr_assert_eq(tu_field(out, "state_after"), 0, "no state file is left:\n%s", out);
	cr_assert_eq(tu_field(out, "probed"), 0, "no uprobe is left in its text:\n%s", out);
	cr_assert_eq(tu_field(out, "probes"), 0, "bpftool lists none on it:\n%s", out);
	if (f->records)
		cr_assert_gt(tu_field(out, "drained"), 0,
			     "%s/%s: records were in flight when it failed:\n%s", f->mode, f->step,
			     out);
	if (f->rate_written)
		cr_assert(has(out, "gomemtrace sets it to") && has(out, "restored to 0"),
			  "%s/%s: the rate had been raised, and was restored:\n%s", f->mode,
			  f->step, out);
	free(out);
}

/* Launch mode: the command is gomemtrace's, so a failed setup ends it too. */
Test(faults, setup_fails_in_launch_mode, .timeout = 120)
{
	const char *fx = tu_fixture("gcwork", "go126", "exe");
	char *out = tu_script(
		"FX=%s\nd=$(mktemp -d)\n"
		"GMT_FAULT=sampler $GMT record --goroutines -o $d/out -- $FX -mode churn "
		"-scale 1000000 > /dev/null 2> $d/gmt.err; echo gmt_rc=$?\n"
		"cat $d/gmt.err; echo errors=$(grep -c '^gomemtrace: error:' $d/gmt.err)\n"
		"p=$(sed -n 's/.* in PID \\([0-9]*\\): gomemtrace sets it.*/\\1/p' $d/gmt.err)\n"
		"echo launched=$p; kill -0 $p 2>/dev/null || echo gone=1\n"
		"echo state_after=$(ls $GMT_STATE_DIR | wc -l); rm -rf $d",
		fx);

	cr_assert_eq(tu_field(out, "gmt_rc"), 1, "exit 1, no crash:\n%s", out);
	cr_assert(has(out, "error: GMT_FAULT: injected failure at step sampler"),
		  "says why:\n%s", out);
	cr_assert_eq(tu_field(out, "errors"), 1, "in one error line:\n%s", out);
	cr_assert(has(out, "restored to 0"), "the rate it had raised is restored:\n%s", out);
	cr_assert_gt(tu_field(out, "launched"), 0, "the command was started:\n%s", out);
	cr_assert_eq(tu_field(out, "gone"), 1, "and is ended with the recording");
	cr_assert_eq(tu_field(out, "state_after"), 0, "no state file is left");
	free(out);
}

/*
 * `info` says per binary whether each way of tracing works, and why not: what it says
 * must be what `record` does.  A mode it says works must trace (its own figure in
 * summary.json above 0); one it says does not must fail with the same reason in one
 * line (GC tracing: the same warning, then allocations only).  A go1.25 gcwork whose
 * runtime.gdestroy was renamed away cannot track goroutines (before the release table,
 * go1.25 itself could not): goroutine tracking must be refused there, also in the field
 * report's setting (default sampled mode, GC on, the target collecting garbage), which
 * crashed before.
 */
static void info_matches_record(const char *fx, bool go125)
{
	static const char *const modes[] = { "exact", "sampled", "gc", "goroutines" };
	char *out = tu_script(
		"FX=%s\nd=$(mktemp -d)\n"
		"$GMT info --json $FX | python3 -c '\n"
		"import json, sys\n"
		"for k, m in json.load(sys.stdin)[\"modes\"].items():\n"
		"    print(\"info_\" + k + \"=\" + str(int(m[\"works\"])))\n"
		"    if not m[\"works\"]: print(\"reason_\" + k + \": \" + m[\"reason\"])'\n"
		"$FX -mode churn -scale 1000000 > /dev/null & p=$!\n"
		"until [ \"$(readlink /proc/$p/exe)\" = \"$(readlink -f $FX)\" ]; do sleep 0.01; "
		"done\n"
		"run() { m=$1; f=$2; shift 2; $GMT record -d 1 -o $d/$m -p $p \"$@\" > /dev/null "
		"2> $d/$m.err; echo rc_$m=$?\n"
		"  grep '^gomemtrace: error:\\|tracing allocations only' $d/$m.err | "
		"sed \"s/^/line_$m: /\"\n"
		"  echo errors_$m=$(grep -c '^gomemtrace: error:' $d/$m.err)\n"
		"  [ -f $d/$m/summary.json ] && python3 -c 'import json, sys; s = "
		"json.load(open(sys.argv[1])); print(\"fig_\" + sys.argv[2] + \"=\" + "
		"str(s.get(sys.argv[3], 0)))' $d/$m/summary.json $m $f; }\n"
		"run exact allocs --mode exact --no-gc\n"
		"run sampled samples --mode sampled --no-gc\n"
		"run gc gc_cycles --mode exact\n"
		"run goroutines goroutines_live --mode exact --no-gc --goroutines\n"
		"run field x --goroutines\n"
		"kill -0 $p && echo alive=1; kill $p; wait $p; rm -rf $d",
		fx);

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		char key[64], line[400];
		const char *r;

		snprintf(key, sizeof(key), "info_%s", modes[i]);
		if (tu_field(out, key)) {
			snprintf(key, sizeof(key), "rc_%s", modes[i]);
			cr_expect_eq(tu_field(out, key), 0, "%s: info says %s works: it traces:\n%s",
				     fx, modes[i], out);
			snprintf(key, sizeof(key), "fig_%s", modes[i]);
			cr_expect_gt(tu_field(out, key), 0, "%s: %s: traced something:\n%s", fx,
				     modes[i], out);
			continue;
		}
		snprintf(key, sizeof(key), "reason_%s: ", modes[i]);
		r = strstr(out, key);
		cr_assert(r, "%s: info gives the reason %s does not work:\n%s", fx, modes[i], out);
		r += strlen(key);
		if (!strcmp(modes[i], "gc")) {
			snprintf(line, sizeof(line), "line_gc: gomemtrace: warning: %.*s; tracing "
				 "allocations only\n", (int)strcspn(r, "\n"), r);
			cr_expect_eq(tu_field(out, "rc_gc"), 0, "without GC, allocations are traced");
		} else {
			snprintf(line, sizeof(line), "line_%s: gomemtrace: error: %.*s\n", modes[i],
				 (int)strcspn(r, "\n"), r);
			snprintf(key, sizeof(key), "rc_%s", modes[i]);
			cr_expect_eq(tu_field(out, key), 1, "%s: %s refused, exit 1:\n%s", fx,
				     modes[i], out);
			snprintf(key, sizeof(key), "errors_%s", modes[i]);
			cr_expect_eq(tu_field(out, key), 1, "in one line");
		}
		cr_expect(has(out, line), "%s: record says what info said: %s\n%s", fx, line,
			  out);
	}
	if (go125) {
		const char *r = strstr(out, "reason_goroutines: ");

		cr_assert_eq(tu_field(out, "info_goroutines"), 0,
			     "without gdestroy, goroutines cannot be tracked: info says so:\n%s",
			     out);
		cr_expect_eq(tu_field(out, "rc_field"), 1, "record --goroutines: exit 1, no crash");
		cr_expect(r && !strncmp(r + strlen("reason_goroutines: "), TU_NO_GDESTROY,
					strlen(TU_NO_GDESTROY)),
			  "the reason:\n%s", out);
		cr_expect(has(out, "line_field: gomemtrace: error: " TU_NO_GDESTROY),
			  "with GC on, on a target collecting garbage, the same error:\n%s", out);
	}
	cr_expect_eq(tu_field(out, "alive"), 1, "the target runs on");
	free(out);
}

Test(faults, info_modes_match_record_go125, .timeout = 240)
{
	char *fx = tu_gcwork_without_gdestroy();

	info_matches_record(fx, true);
	unlink(fx);
	free(fx);
}

Test(faults, info_modes_match_record, .timeout = 360)
{
	info_matches_record(tu_fixture("gcwork", "go126", "exe"), false);
	info_matches_record(tu_fixture("gcwork", "go119", "nosh"), false);
	/* A release that had no fixtures before, and one whose release is inferred. */
	info_matches_record(tu_fixture("gcwork", "go125", "exe"), false);
	info_matches_record(tu_fixture("gcwork", "go127", "nover"), false);
}

/*
 * `info` lists every probe record attaches: while record traces a process, the uprobes
 * the kernel has on it (bpftool, file offsets) are exactly the hook plan's probes of the
 * groups that mode uses (RET probes included: startTheWorldWithSema's; newproc1's only
 * where no runqput hand-off replaces them),
 * and info says every runtime variable was found.  On a release that had no fixture
 * before and on one whose release is inferred.
 */
static void info_lists_attached_probes(const char *fx)
{
	static const char *const modes[][2] = {
		{ "exact", "alloc gc goroutines" },
		{ "sampled", "sampler gc goroutines" },
	};
	char *out = tu_script(
		"FX=%s\nd=$(mktemp -d)\n"
		"$GMT info --json $FX > $d/info.json\n"
		"info() { python3 -c '\n"
		"import json, sys\n"
		"j = json.load(open(sys.argv[1]))\n"
		"print(\" \".join(str(o) for o in sorted(h[\"probe_offset\"] for h in j[\"hooks\"]\n"
		"                 if h[\"group\"] in sys.argv[2].split() and h[\"attached\"])))' "
		"$d/info.json \"$1\"; }\n"
		"python3 -c 'import json, sys; j = json.load(open(sys.argv[1]))\n"
		"print(\"rets=%%d\" %% sum(h[\"ret\"] and h[\"attached\"] for h in j[\"hooks\"]))\n"
		"print(\"vars=%%d\" %% len(j[\"runtime_vars\"]))\n"
		"print(\"vars_missing=%%d\" %% sum(not v[\"found\"] for v in j[\"runtime_vars\"]))' "
		"$d/info.json\n"
		"$FX -mode churn -scale 1000000 > /dev/null & p=$!\n"
		"until [ \"$(readlink /proc/$p/exe)\" = \"$(readlink -f $FX)\" ]; do sleep 0.01; "
		"done\n"
		"att() { m=$1; groups=$2; shift 2\n"
		"  $GMT record -o $d/$m -p $p --goroutines \"$@\" 2> $d/$m.err & g=$!\n"
		"  until grep -qs 'tracing PID' $d/$m.err; do kill -0 $g 2>/dev/null || break; "
		"sleep 0.05; done\n"
		"  echo \"attached_$m: $(bpftool perf show 2>/dev/null | "
		"grep \"filename /proc/$p/exe \" | sed 's/.*offset //' | sort -n | tr '\\n' ' ')\"\n"
		"  echo \"info_$m: $(info \"$groups\") \"\n"
		"  kill -INT $g; wait $g; echo rc_$m=$?; }\n"
		"att exact 'alloc gc goroutines' --mode exact\n"
		"att sampled 'sampler gc goroutines' --mode sampled\n"
		"kill $p; wait $p; rm -rf $d",
		fx);

	cr_expect_geq(tu_field(out, "rets"), 1, "%s: info lists the RET probes:\n%s", fx, out);
	cr_expect_geq(tu_field(out, "vars"), 9, "%s: info lists the runtime variables:\n%s", fx,
		      out);
	cr_expect_eq(tu_field(out, "vars_missing"), 0, "%s: all found:\n%s", fx, out);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		char key[64], att[2048], inf[2048];
		const char *a, *n;

		snprintf(key, sizeof(key), "rc_%s", modes[i][0]);
		cr_expect_eq(tu_field(out, key), 0, "%s: record --mode %s traced:\n%s", fx,
			     modes[i][0], out);
		snprintf(key, sizeof(key), "attached_%s: ", modes[i][0]);
		a = strstr(out, key);
		cr_assert(a, "%s: the probes were read:\n%s", fx, out);
		snprintf(att, sizeof(att), "%.*s", (int)strcspn(a + strlen(key), "\n"),
			 a + strlen(key));
		snprintf(key, sizeof(key), "info_%s: ", modes[i][0]);
		n = strstr(out, key);
		cr_assert(n, "%s: info's plan was read:\n%s", fx, out);
		snprintf(inf, sizeof(inf), "%.*s", (int)strcspn(n + strlen(key), "\n"),
			 n + strlen(key));
		cr_expect(strlen(att) > 10, "%s: %s attached probes", fx, modes[i][0]);
		cr_expect_str_eq(att, inf,
				 "%s --mode %s: the kernel's uprobes (file offsets) are info's "
				 "probes of the groups %s:\n%s",
				 fx, modes[i][0], modes[i][1], out);
	}
	free(out);
}

Test(faults, info_lists_attached_probes, .timeout = 240)
{
	info_lists_attached_probes(tu_fixture("gcwork", "go125", "exe"));
	info_lists_attached_probes(tu_fixture("gcwork", "go123", "nover"));
}
