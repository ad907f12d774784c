// SPDX-License-Identifier: MIT
/*
 * End to end: `gomemtrace daemon` (issue 7).  tests/e2e/daemon_scenario.sh runs one daemon
 * on two executables: A run to its end and restarted twice, B started later; the last A
 * and B outlive the daemon's SIGTERM.  Every run's truth is the fixture's own account
 * (MemStats TotalAlloc of its allocations, the bytes it keeps live, MemProfileRate
 * before and after).  These tests load BPF and attach uprobes: without root or BPF they
 * fail, they never skip.
 *
 * At --rate 65536 a run of ~1.1 GB gets ~17,000 samples and the 128 MiB live heap
 * ~2,000: the estimates hold to a few percent; the tolerances are those of
 * test_sampled.c.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

struct run {
	char tag[8];
	int pid;
	long total, live, rate_start, rate_end;
	bool have_rate_end;
};

static void parse_run(const char *dir, struct run *r)
{
	char path[1024];
	char *out;

	snprintf(path, sizeof(path), "%s/%s.out", dir, r->tag);
	out = tu_run("cat %s", path);
	r->total = r->live = r->rate_start = r->rate_end = -1;
	for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		sscanf(p, "total bytes=%ld", &r->total);
		sscanf(p, "live bytes=%ld", &r->live);
		sscanf(p, "rate start=%ld", &r->rate_start);
		if (sscanf(p, "rate end=%ld", &r->rate_end) == 1)
			r->have_rate_end = true;
	}
	cr_assert_gt(r->total, 500L << 20, "%s: the fixture allocated at least 500 MB:\n%s", r->tag,
		     out);
	free(out);
}

/* Interval directories of one process, sorted (their names are UTC timestamps). */
static int intervals(const char *pdir, char names[][256], int max)
{
	struct dirent **ents;
	int n = scandir(pdir, &ents, NULL, alphasort), k = 0;

	cr_assert_geq(n, 0, "%s exists", pdir);
	for (int i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.' && k < max)
			snprintf(names[k++], 256, "%s", ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	return k;
}

Test(daemon, restarts_and_late_start, .timeout = 600)
{
	const char *fa = tu_fixture("sampled", "go126", "exe");
	const char *fb = tu_fixture("sampled", "go124", "pie");
	char work[] = "/tmp/gmt-daemon-XXXXXX";
	struct run runs[4] = { { "A1" }, { "A2" }, { "A3" }, { "B1" } };
	char *out, *log;
	int files = -1, bad = -1, hidden = -1, rc = -1;
	const char *p;

	cr_assert_not_null(mkdtemp(work));
	out = tu_run("GMT=%s GO=%s %s/tests/e2e/daemon_scenario.sh %s %s %s/run", tu_bin(), tu_go(),
		     getenv("GMT_SOURCE_ROOT"), fa, fb, work);
	for (int i = 0; i < 4; i++) {
		char key[32];

		snprintf(key, sizeof(key), "pid %.7s=", runs[i].tag);
		p = strstr(out, key);
		cr_assert(p && sscanf(p + strlen(key), "%d", &runs[i].pid) == 1,
			  "the scenario started %s:\n%s", runs[i].tag, out);
	}
	p = strstr(out, "daemon_rc=");
	cr_assert(p && sscanf(p, "daemon_rc=%d", &rc) == 1, "the scenario finished:\n%s", out);
	p = strstr(out, "pprof_files=");
	cr_assert(p && sscanf(p, "pprof_files=%d pprof_bad=%d", &files, &bad) == 2, "%s", out);
	p = strstr(out, "hidden=");
	cr_assert(p && sscanf(p, "hidden=%d", &hidden) == 1, "%s", out);
	log = tu_run("cat %s/run/daemon.err", work);

	cr_assert_eq(rc, 0, "the daemon exits 0 on SIGTERM:\n%s", log);
	cr_expect_eq(hidden, 0, "no temporary file or partial interval is left (%d)", hidden);
	/* Two profiles (alloc, inuse) per interval, at least one interval per run. */
	cr_expect_geq(files, 2 * 4, "pprof files were written (%d)", files);
	cr_expect_eq(bad, 0, "go tool pprof -top reads all %d profiles (%d unreadable):\n%s", files,
		     bad, out);

	for (int i = 0; i < 4; i++) {
		struct run *r = &runs[i];
		char rdir[600], pdir[700], names[64][256], announce[64];
		double alloc = 0;
		int n;

		snprintf(rdir, sizeof(rdir), "%s/run", work);
		parse_run(rdir, r);
		snprintf(pdir, sizeof(pdir), "%s/out/app%c-%d", rdir, r->tag[0], r->pid);
		n = intervals(pdir, names, 64);
		cr_expect_geq(n, 1, "%s (PID %d) has its intervals in %s", r->tag, r->pid, pdir);
		/* The allocations of the run, summed over its intervals. */
		for (int k = 0; k < n; k++) {
			char idir[800];

			snprintf(idir, sizeof(idir), "%s/%s", pdir, names[k]);
			alloc += tu_summary_num(idir, "est_alloc_bytes");
		}
		cr_expect(fabs(alloc - r->total) <= 0.10 * r->total,
			  "%s: the intervals' estimated allocations %.0f are within 10%% of "
			  "TotalAlloc %ld (%.1f%% off)", r->tag, alloc, r->total,
			  100 * (alloc - r->total) / r->total);
		cr_expect_eq(r->rate_start, 0, "%s: the fixture's rate starts at 0", r->tag);
		snprintf(announce, sizeof(announce), "is 0 in PID %d: gomemtrace sets it to 65536",
			 r->pid);
		cr_expect(strstr(log, announce), "%s: the daemon announced its write:\n%s", r->tag,
			  log);
		if (r->tag[1] != '3' && r->tag[0] == 'A') {
			/* Ran to its end under tracing: the daemon's rate, then flushed and dropped. */
			cr_expect_eq(r->rate_end, 65536, "%s: traced to its end at the set rate", r->tag);
			continue;
		}
		/* Alive across SIGTERM: restored, and the last interval holds the live heap. */
		cr_expect(r->have_rate_end && r->rate_end == 0,
			  "%s: MemProfileRate restored to 0 after SIGTERM (is %ld)", r->tag,
			  r->rate_end);
		if (n >= 1) {
			char idir[800];
			double live;

			snprintf(idir, sizeof(idir), "%s/%s", pdir, names[n - 1]);
			live = tu_summary_num(idir, "est_inuse_bytes");
			cr_expect(fabs(live - r->live) <= 0.20 * r->live,
				  "%s: the last interval's live heap %.0f is within 20%% of the "
				  "%ld bytes the fixture keeps", r->tag, live, r->live);
		}
	}
	tu_run("rm -rf %s", work);
	free(log);
	free(out);
}

/* A sample's value from the metrics file in out (the first of that name); -1 if absent. */
static double metric(const char *out, const char *name)
{
	char key[128];
	const char *p;

	snprintf(key, sizeof(key), "\n%s{", name);
	p = strstr(out, key);
	if (!p || !(p = strchr(p, '}')))
		return -1;
	return strtod(p + 1, NULL);
}

/*
 * The real metrics file, as the daemon left it after SIGTERM (out: the fixture's
 * output, promtool's, the file's mode, the file): Debian's promtool finds nothing to
 * complain about, node_exporter (another user) can read it, and the allocations add up
 * to the fixture's own TotalAlloc.
 */
static void check_metrics_file(const char *out, double intervals)
{
	long total = -1;
	const char *p = strstr(out, "total bytes=");
	double alloc = metric(out, "gomemtrace_alloc_bytes_total");

	cr_expect(strstr(out, "\nprom_rc=0\n") && !strstr(out, "no help text"),
		  "promtool check metrics passes on the daemon's file:\n%s", out);
	cr_expect(strstr(out, "\nmode=644\n"), "the metrics file is readable by all:\n%s", out);
	cr_expect(strstr(out, "# TYPE gomemtrace_alloc_bytes_total counter\n"), "typed:\n%s", out);
	cr_expect_eq(metric(out, "gomemtrace_intervals_total"), intervals, "intervals:\n%s", out);
	cr_assert(p && sscanf(p, "total bytes=%ld", &total) == 1, "%s", out);
	cr_expect(fabs(alloc - total) <= 0.10 * total,
		  "gomemtrace_alloc_bytes_total %.0f within 10%% of TotalAlloc %ld", alloc, total);
	cr_expect_gt(metric(out, "gomemtrace_gc_cycles_total"), 0, "GC cycles counted");
}

/*
 * -p PID with an interval that never elapses: SIGHUP writes an interval now, --keep 2
 * keeps the newest two, SIGTERM writes the last one and leaves the rate restored.
 */
Test(daemon, sighup_and_keep, .timeout = 300)
{
	const char *fx = tu_fixture("sampled", "go126", "stripped");
	char work[] = "/tmp/gmt-daemon-XXXXXX", pdir[600], names[64][256];
	char *out, *seen, *last_two;
	int n;

	cr_assert_not_null(mkdtemp(work));
	out = tu_run(
		"GMT=%s FX=%s D=%s bash -c '"
		"set -e; $FX -wait > $D/fx.out & p=$!; echo pid=$p; "
		"trap \"kill -9 $p 2>/dev/null\" EXIT; "
		"until grep -qs ready $D/fx.out; do sleep 0.05; done; "
		"$GMT daemon -p $p -o $D/out -i 3600 --keep 2 --metrics $D/m.prom 2> $D/d.err & g=$!; "
		"until grep -qs \"tracing PID $p \" $D/d.err; do sleep 0.05; done; "
		"kill -USR1 $p; until grep -qs done $D/fx.out; do sleep 0.05; done; "
		"for i in 1 2 3 4; do kill -HUP $g; "
		"  until [ $(grep -c \"SIGHUP\" $D/d.err) -ge $i ] && [ -s $D/m.prom ] && "
		"        grep -qs \"gomemtrace_intervals_total.* $i\\$\" $D/m.prom; do sleep 0.05; done; "
		"  ls $D/out/*-$p/ | tail -n 1 >> $D/seen; done; "
		"kill -TERM $g; wait $g; echo rc=$?; kill -USR2 $p; wait $p; trap - EXIT; cat $D/fx.out; "
		"promtool check metrics < $D/m.prom 2>&1; echo prom_rc=$?; "
		"stat -c mode=%%a $D/m.prom; cat $D/m.prom'",
		tu_bin(), fx, work);
	cr_assert(strstr(out, "rc=0"), "the daemon exits 0:\n%s", out);
	cr_expect(strstr(out, "rate end=0"), "MemProfileRate restored to 0:\n%s", out);
	check_metrics_file(out, 5);
	seen = tu_run("cat %s/seen | tr '\\n' ' '", work);
	snprintf(pdir, sizeof(pdir), "%s/out", work);
	last_two = tu_run("ls -d %s/*-*/ | head -n 1", pdir);
	last_two[strcspn(last_two, "\n")] = 0;
	snprintf(pdir, sizeof(pdir), "%s", last_two);
	n = intervals(pdir, names, 64);
	/* 4 SIGHUP intervals and the last one: the newest two remain, the last among them. */
	cr_expect_eq(n, 2, "--keep 2 leaves two intervals (%d; SIGHUP wrote: %s)", n, seen);
	if (n == 2) {
		cr_expect(strstr(seen, names[0]) != NULL,
			  "the older one kept is the fourth SIGHUP's (%s), seen: %s", names[0], seen);
		cr_expect(strcmp(names[1], names[0]) > 0 && !strstr(seen, names[1]),
			  "the newer one is the final interval written on SIGTERM (%s)", names[1]);
	}
	free(seen);
	free(last_two);
	free(out);
	tu_run("rm -rf %s", work);
}

/* The daemon on the sampled fixture with opts; returns the log, the fixture's output after. */
static char *run_alerts(const char *fx, const char *work, const char *opts)
{
	return tu_run(
		"GMT=%s FX=%s D=%s bash -c '"
		"set -e; $FX -wait > $D/fx.out & p=$!; trap \"kill -9 $p 2>/dev/null\" EXIT; "
		"until grep -qs ready $D/fx.out; do sleep 0.05; done; "
		"$GMT daemon -p $p -o $D/out -i 3600 --metrics none %s 2> $D/d.err & g=$!; "
		"until grep -qs \"tracing PID $p \" $D/d.err; do sleep 0.05; done; "
		"kill -USR1 $p; until grep -qs done $D/fx.out; do sleep 0.05; done; "
		"sleep 3; kill -TERM $g; wait $g; echo rc=$?; kill -USR2 $p; wait $p; trap - EXIT; "
		"cat $D/fx.out $D/d.err; echo; ls $D/out/*/'",
		tu_bin(), fx, work, opts);
}

/*
 * Thresholds: 128 MiB stay live after the fixture's GC, and it runs ~100 GC cycles.
 * Over 64 MiB for a second must fire, a 1 us pause must fire; 1 GiB and 10 s must not.
 */
Test(daemon, alerts_fire_when_crossed_only, .timeout = 300)
{
	const char *fx = tu_fixture("sampled", "go126", "exe");
	char work[] = "/tmp/gmt-daemon-XXXXXX";
	char *out;

	cr_assert_not_null(mkdtemp(work));
	out = run_alerts(fx, work, "--alert-heap 64M --alert-for 1 --alert-pause 1us");
	cr_assert(strstr(out, "rc=0"), "the daemon exits 0:\n%s", out);
	cr_expect(strstr(out, "-alert-heap\n"), "a marked set for the heap:\n%s", out);
	cr_expect(strstr(out, "above 67108864 for"), "and its log line:\n%s", out);
	cr_expect(strstr(out, "-alert-pause\n"), "a marked set for a pause:\n%s", out);
	cr_expect(strstr(out, "ALERT") && strstr(out, "stop-the-world pause of"),
		  "and its log line:\n%s", out);
	cr_expect(strstr(out, "rate end=0"), "the rate restored:\n%s", out);
	free(out);
	tu_run("rm -rf %s/out", work);

	out = run_alerts(fx, work, "--alert-heap 1G --alert-for 1 --alert-pause 10s");
	cr_assert(strstr(out, "rc=0"), "the daemon exits 0:\n%s", out);
	cr_expect(!strstr(out, "alert") && !strstr(out, "ALERT"),
		  "nothing crossed, nothing marked:\n%s", out);
	free(out);
	tu_run("rm -rf %s", work);
}

/* The number after the first "key" in out (a line the scenario printed), asserted present. */
static long out_num(const char *out, const char *key)
{
	const char *p = strstr(out, key);
	char *end = NULL;
	long v = p ? strtol(p + strlen(key), &end, 10) : 0;

	cr_assert(p && end != p + strlen(key), "the output has %s<number>:\n%s", key, out);
	return v;
}

/*
 * --goroutines in the daemon: the goleak fixture leaks 150 goroutines at one site and
 * runs 15,000 short-lived ones; the interval written on SIGTERM must count what
 * runtime.NumGoroutine() says after the daemon let go, with one leak site flagged.
 */
Test(daemon, goroutines, .timeout = 300)
{
	const char *fx = tu_fixture("goleak", "go124", "stripped");
	char work[] = "/tmp/gmt-daemon-XXXXXX", dir[600];
	char *out;
	const char *p;
	long numg = -1;

	cr_assert_not_null(mkdtemp(work));
	out = tu_run(
		"GMT=%s FX=%s D=%s bash -c '"
		"set -e; $FX -wait -leak 150 -short 15000 > $D/fx.out & p=$!; "
		"trap \"kill -9 $p 2>/dev/null\" EXIT; "
		"until grep -qs ready $D/fx.out; do sleep 0.05; done; "
		"$GMT daemon -p $p -o $D/out -i 3600 --metrics $D/m.prom --goroutines "
		"2> $D/d.err & g=$!; "
		"until grep -qs \"tracing PID $p \" $D/d.err; do sleep 0.05; done; "
		"kill -USR1 $p; until grep -qs done $D/fx.out; do sleep 0.05; done; "
		"kill -TERM $g; wait $g; echo rc=$?; kill -USR2 $p; wait $p; trap - EXIT; cat $D/fx.out; "
		"echo dir=$(ls -d $D/out/*-$p/* | tail -n 1); echo; cat $D/m.prom'",
		tu_bin(), fx, work);
	cr_assert(strstr(out, "rc=0"), "the daemon exits 0:\n%s", out);
	numg = out_num(out, "goroutines=");
	cr_assert((p = strstr(out, "dir=")) && sscanf(p, "dir=%599s", dir) == 1, "%s", out);
	cr_expect_eq(tu_summary_num(dir, "goroutines_live"), numg,
		     "goroutines_live %.0f is NumGoroutine %ld", tu_summary_num(dir, "goroutines_live"),
		     numg);
	cr_expect_eq(tu_summary_num(dir, "goroutine_leak_sites"), 1, "one leak site flagged");
	cr_expect_eq(metric(out, "gomemtrace_goroutines"), numg,
		     "the metrics file's goroutine count is NumGoroutine %ld:\n%s", numg, out);
	strncat(dir, "/goroutines.folded", sizeof(dir) - strlen(dir) - 1);
	cr_expect_eq(tu_folded_sum(dir, "main.leakOne", true), 150,
		     "the 150 leaked goroutines in goroutines.folded");
	free(out);
	tu_run("rm -rf %s", work);
}

/*
 * Goroutine leaks with no goroutine probe (issue 15): the daemon without --goroutines
 * on the goleak fixture, which leaks 150 goroutines at main.leakOne over 10 s while
 * 15,000 short-lived ones come and go; SIGHUP writes a set about every 0.7 s.  Every set
 * carries the snapshot's files; the leaking group (created by main.leakOne, waiting in
 * main.leakOne.func1 on a channel receive) is flagged in some set, nothing else ever
 * is, the metrics file of a flagged set agrees, and the last set's goroutines.txt counts
 * the leaked goroutines the fixture says it leaked and NumGoroutine's total.
 */
#define LEAK_KEY                                                                            \
	"{\"creator\":\"main.leakOne\",\"wait_site\":\"main.leakOne.func1\",\"wait_reason\":" \
	"\"chan receive\",\"count\":"

Test(daemon, snapshot_leak_flags, .timeout = 300)
{
	const char *fx = tu_fixture("goleak", "go126", "stripped");
	char work[] = "/tmp/gmt-daemon-XXXXXX";
	char *out;
	const char *p;
	long leaked = -1, numg = -1, last_count = -1, last_total = -1;
	int sets = -1, nset = 0, flagged = 0;

	cr_assert_not_null(mkdtemp(work));
	out = tu_run(
		"GMT=%s FX=%s D=%s bash -c '"
		"set -e; $FX -wait -leak 150 -short 15000 -dur 10 > $D/fx.out & p=$!; "
		"trap \"kill -9 $p 2>/dev/null\" EXIT; "
		"until grep -qs ready $D/fx.out; do sleep 0.05; done; "
		"$GMT daemon -p $p -o $D/out -i 3600 --rate 512 --metrics $D/m.prom 2> $D/d.err & "
		"g=$!; trap \"kill -9 $p $g 2>/dev/null\" EXIT; "
		"until grep -qs \"tracing PID $p \" $D/d.err; do sleep 0.05; done; "
		"i=0; hup() { i=$((i+1)); kill -HUP $g; "
		"  until grep -qs \"^gomemtrace_intervals_total{.* $i\\$\" $D/m.prom; do sleep 0.05; "
		"  done; cp $D/m.prom $D/m.$i; }; "
		"hup; kill -USR1 $p; "
		"while ! grep -qs done $D/fx.out; do sleep 0.7; hup; done; "
		"kill -TERM $g; wait $g; echo rc=$?; kill -USR2 $p; wait $p; trap - EXIT; "
		"cat $D/fx.out; echo sets=$i; k=0; "
		"for s in $D/out/*-$p/*/; do k=$((k+1)); "
		"  f=$(ls $s | grep -c -x -e heap.pb.gz -e goroutines.txt -e goroutines.pb.gz "
		"-e memory.json || true); "
		"  probe=$(ls $s | grep -c -x goroutines.folded || true); "
		"  leaks=$(python3 -c \"import json, sys; a = sys.argv; print(json.dumps("
		"json.load(open(a[1]))[a[2]], separators=(a[3], a[4])))\" "
		"$s/summary.json goroutine_leaks , :); "
		"  mg=$(grep \"^gomemtrace_goroutine_leak_groups{\" $D/m.$k 2>/dev/null | cut -d\" \" -f2); "
		"  mn=$(grep \"^gomemtrace_goroutine_leak_goroutines{\" $D/m.$k 2>/dev/null | cut -d\" \" -f2); "
		"  echo \"set $k files=$f probe=$probe metrics=${mg:--1},${mn:--1} "
		"\\\"goroutine_leaks\\\":$leaks\"; "
		"  last=$s; done; "
		"gzip -t $last/heap.pb.gz $last/goroutines.pb.gz && echo gzip_ok; "
		"python3 -c \"import json, sys; j = json.load(open(sys.argv[1])); "
		"print(\\\"live=%%s,%%s\\\" %% (j[\\\"live_heap_source\\\"], j[\\\"live_heap_covers\\\"]))\" "
		"$last/summary.json; "
		"python3 -c \"import json, sys; print(\\\"heap_alloc=%%d\\\" %% "
		"json.load(open(sys.argv[1]))[\\\"runtime\\\"][\\\"HeapAlloc\\\"])\" "
		"$last/memory.json; "
		"awk \"/^[0-9]+ @/{n=\\$1; c=0} /^main\\.leakOne\\.func1\\(/ && !c {s+=n; c=1} "
		"END{print \\\"leak_count=\\\" s+0}\" $last/goroutines.txt; "
		"sed -n \"s/^goroutine profile: total /total=/p\" $last/goroutines.txt; "
		"grep -h -A3 \"^Goroutine leaks\" $last/report.txt'",
		tu_bin(), fx, work);
	cr_assert(strstr(out, "rc=0"), "the daemon exits 0:\n%s", out);
	leaked = out_num(out, "done leaked=");
	numg = out_num(out, "goroutines=");
	sets = (int)out_num(out, "sets=");
	for (p = strstr(out, "\nset "); p; p = strstr(p + 1, "\nset ")) {
		int k, files, probe;
		long mg, mn, count;
		const char *json = strstr(p, "\"goroutine_leaks\":"), *eol = strchr(p + 1, '\n');
		const char *key;

		cr_assert(sscanf(p, "\nset %d files=%d probe=%d metrics=%ld,%ld", &k, &files,
				 &probe, &mg, &mn) == 5, "%s", out);
		cr_assert(json && eol && json < eol, "set %d: summary.json has goroutine_leaks:\n%s",
			  k, out);
		nset++;
		/* heap.pb.gz needs buckets: the rate is raised at attach, so not in the first. */
		cr_expect(files == 4 || (k == 1 && files == 3),
			  "set %d carries heap.pb.gz, goroutines.txt, goroutines.pb.gz, memory.json "
			  "(%d)", k, files);
		cr_expect_eq(probe, 0, "set %d: no goroutine probe, no goroutines.folded", k);
		if (!strncmp(json, "\"goroutine_leaks\":[]", 20)) {
			cr_expect(mg <= 0 && mn <= 0, "set %d: nothing flagged, metrics %ld %ld", k,
				  mg, mn);
			continue;
		}
		key = strstr(json, LEAK_KEY);
		cr_expect(key == json + strlen("\"goroutine_leaks\":["),
			  "set %d flags the leaking group, first:\n%.*s", k, (int)(eol - p), p);
		cr_expect_null(strstr(json + 1, "},{"), "set %d flags one group only:\n%.*s", k,
			       (int)(eol - p), p);
		if (!key)
			continue;
		count = strtol(key + strlen(LEAK_KEY), NULL, 10);
		flagged++;
		cr_expect(count > 0 && count <= leaked, "set %d: %ld of the %ld leaked", k, count,
			  leaked);
		/* The metrics file written with set k (the last set's is the final file). */
		if (k <= sets) {
			cr_expect_eq(mg, 1, "set %d: gomemtrace_goroutine_leak_groups 1 (%ld)", k, mg);
			cr_expect_eq(mn, count, "set %d: gomemtrace_goroutine_leak_goroutines %ld = %ld",
				     k, mn, count);
		}
	}
	cr_expect_eq(nset, sets + 1, "%d SIGHUP sets and the last one, got %d:\n%s", sets, nset,
		     out);
	cr_expect_geq(flagged, 1, "some set flagged main.leakOne:\n%s", out);
	cr_expect(strstr(out, "\ngzip_ok\n"), "the last set's profiles are gzip:\n%s", out);
	/* The set's live heap is the runtime's buckets, since the daemon raised the rate. */
	cr_expect(strstr(out, "\nlive=runtime_buckets,since_rate_raised\n"),
		  "the last set's live heap is labelled:\n%s", out);
	cr_expect_gt(out_num(out, "heap_alloc="), 0, "the last set's memory.json has HeapAlloc:\n%s",
		     out);
	last_count = out_num(out, "leak_count=");
	last_total = out_num(out, "total=");
	cr_expect_eq(last_count, leaked,
		     "the last goroutines.txt counts %ld at main.leakOne.func1, the fixture leaked %ld",
		     last_count, leaked);
	cr_expect_eq(last_total, numg, "goroutines.txt total %ld is NumGoroutine %ld", last_total,
		     numg);
	free(out);
	tu_run("rm -rf %s", work);
}

/*
 * One target that cannot be traced never stops the daemon from serving the others
 * (issue 13: one such target crashed the daemon, and another target's raised rate
 * stayed raised).  -p targets: A (traced throughout), B (gcwork go1.25 without
 * runtime.gdestroy, which collects garbage while --goroutines fails on the missing hook:
 * after the GC probes were in), C (GMT_FAULT: fails once the daemon has raised its rate), D (GMT_FAULT: fails at
 * its first poll with records, mid-run), and a PID that does not exist.  Each failure
 * is one line; B and C have no probe left while the daemon runs, D none once dropped;
 * A's intervals are written, and on SIGTERM the daemon exits 0 with every rate it raised
 * back at 0 (A, C, D print theirs) and no state file left.
 */
Test(daemon, failing_targets_do_not_stop_the_others, .timeout = 600)
{
	const char *fa = tu_fixture("sampled", "go126", "exe");
	char *fb = tu_gcwork_without_gdestroy();
	const char *fc = tu_fixture("sampled", "go124", "exe");
	const char *fd = tu_fixture("sampled", "go122", "exe");
	char *out = tu_script(
		"FA=%s FB=%s FC=%s FD=%s\n" TU_TARGET_FUNCS
		"W=$(mktemp -d)\n"
		"$FA -wait > $W/a.out & A=$!; $FC -wait > $W/c.out & C=$!; "
		"$FD -wait > $W/d.out & D=$!\n"
		"$FB -mode churn -scale 1000000 > /dev/null & B=$!\n"
		"for f in a c d; do until grep -qs ready $W/$f.out; do sleep 0.05; done; done\n"
		"until [ \"$(readlink /proc/$B/exe)\" = \"$(readlink -f $FB)\" ]; do sleep 0.01; "
		"done\n"
		"echo pids A=$A B=$B C=$C D=$D\n"
		"GMT_FAULT=rate@$C,poll@$D $GMT daemon --goroutines --rate 65536 -i 3600 "
		"--metrics none -o $W/out -p $A -p $B -p $C -p $D -p 2147483000 2> $W/d.err & g=$!\n"
		"until grep -qs 'daemon: 5 targets by PID' $W/d.err; do sleep 0.05; "
		"kill -0 $g 2>/dev/null || break; done\n"
		"echo lines_B=$(grep -c \"PID $B .*cannot be traced\" $W/d.err) "
		"lines_C=$(grep -c \"PID $C .*cannot be traced\" $W/d.err) "
		"lines_none=$(grep -c 'no process with PID 2147483000; skipped' $W/d.err)\n"
		"echo probes_A=$(probes $A) probes_B=$(probes $B) probes_C=$(probes $C) "
		"probed_B=$(probed $B) probed_C=$(probed $C) probes_D=$(probes $D)\n"
		"echo state_running=$(ls $GMT_STATE_DIR | wc -l)\n"
		"kill -USR1 $A $C $D\n"
		"until grep -qs \"PID $D .*cannot be traced on\" $W/d.err && "
		"grep -qs \"of PID $D restored to 0\" $W/d.err; do sleep 0.05; "
		"kill -0 $g 2>/dev/null || break; done\n"
		"echo probes_D_after=$(probes $D) probed_D=$(probed $D) "
		"state_after_D=$(ls $GMT_STATE_DIR | wc -l)\n"
		"for f in a c d; do until grep -qs done $W/$f.out; do sleep 0.05; done; done\n"
		"kill -HUP $g; until ls -d $W/out/*-$A/2* > /dev/null 2>&1; do sleep 0.05; "
		"kill -0 $g 2>/dev/null || break; done\n"
		"kill -0 $g && echo daemon_alive=1\n"
		"kill -TERM $g; wait $g; echo daemon_rc=$?\n"
		"kill -USR2 $A $C $D; wait $A $C $D; kill $B; wait $B\n"
		"echo state_end=$(ls $GMT_STATE_DIR | wc -l)\n"
		"for f in a c d; do echo $f: $(grep 'rate end' $W/$f.out); done\n"
		"echo dirs_B=$(ls -d $W/out/*-$B 2>/dev/null | wc -l) "
		"dirs_C=$(ls -d $W/out/*-$C 2>/dev/null | wc -l) "
		"sets_A=$(ls -d $W/out/*-$A/2* | wc -l) sets_D=$(ls -d $W/out/*-$D/2* | wc -l)\n"
		"python3 -c 'import json, sys; print(\"samples_A=\" + "
		"str(json.load(open(sys.argv[1]))[\"samples\"]))' $(ls -d $W/out/*-$A/2* | head -n 1)"
		"/summary.json\n"
		"cat $W/d.err; rm -rf $W",
		fa, fb, fc, fd);

	cr_assert_eq(tu_field(out, "daemon_alive"), 1, "the daemon serves on:\n%s", out);
	cr_assert_eq(tu_field(out, "daemon_rc"), 0, "and exits 0 on SIGTERM:\n%s", out);
	cr_expect_eq(tu_field(out, "lines_B"), 1, "B is said in one line:\n%s", out);
	cr_expect(strstr(out, TU_NO_GDESTROY), "with its reason:\n%s", out);
	cr_expect_eq(tu_field(out, "lines_C"), 1, "C is said in one line:\n%s", out);
	cr_expect_eq(tu_field(out, "lines_none"), 1, "so is the PID that does not exist");
	cr_expect_gt(tu_field(out, "probes_A"), 0, "A is traced:\n%s", out);
	cr_expect_gt(tu_field(out, "probes_D"), 0, "D is traced at first");
	cr_expect_eq(tu_field(out, "probes_B") + tu_field(out, "probed_B"), 0,
		     "no probe is left on B:\n%s", out);
	cr_expect_eq(tu_field(out, "probes_C") + tu_field(out, "probed_C"), 0,
		     "nor on C:\n%s", out);
	cr_expect_eq(tu_field(out, "state_running"), 2,
		     "state files for the rates raised in A and D, not C's:\n%s", out);
	cr_expect_eq(tu_field(out, "probes_D_after") + tu_field(out, "probed_D"), 0,
		     "D's probes go when it fails mid-run:\n%s", out);
	cr_expect_eq(tu_field(out, "state_after_D"), 1, "and its rate is restored");
	cr_expect(strstr(out, "PID ") && strstr(out, "is 0 in PID") &&
			  strstr(out, "restored to 0"),
		  "the daemon says what it raised and restored:\n%s", out);
	cr_expect_geq(tu_field(out, "sets_A"), 2, "A's intervals (SIGHUP, SIGTERM) are written");
	cr_expect_gt(tu_field(out, "samples_A"), 1000, "with A's samples");
	cr_expect_geq(tu_field(out, "sets_D"), 1, "D got its last interval when dropped");
	cr_expect_eq(tu_field(out, "dirs_B") + tu_field(out, "dirs_C"), 0,
		     "nothing is written for B and C");
	cr_expect(strstr(out, "a: rate end=0") && strstr(out, "c: rate end=0") &&
			  strstr(out, "d: rate end=0"),
		  "every rate the daemon raised is 0 again:\n%s", out);
	cr_expect_eq(tu_field(out, "state_end"), 0, "no state file is left:\n%s", out);
	free(out);
	unlink(fb);
	free(fb);
}

/* With nothing at all to trace, the daemon exits 1, saying why in a line per target. */
Test(daemon, nothing_to_trace_exits_1, .timeout = 120)
{
	char *fb = tu_gcwork_without_gdestroy();
	char *out = tu_script(
		"FB=%s; W=$(mktemp -d)\n"
		"$FB -mode churn -scale 1000000 > /dev/null & B=$!\n"
		"until [ \"$(readlink /proc/$B/exe)\" = \"$(readlink -f $FB)\" ]; do sleep 0.01; "
		"done\n"
		"$GMT daemon --goroutines -o $W/out -p $B -p 2147483000 2> $W/d.err; echo rc=$?\n"
		"kill -0 $B && echo alive=1; kill $B; wait $B\n"
		"echo errors=$(grep -c ' error: ' $W/d.err); cat $W/d.err; rm -rf $W",
		fb);

	cr_assert_eq(tu_field(out, "rc"), 1, "exit 1, no crash:\n%s", out);
	cr_expect(strstr(out, "cannot be traced: " TU_NO_GDESTROY),
		  "the target without gdestroy, with its reason:\n%s", out);
	cr_expect(strstr(out, "no process with PID 2147483000"), "the missing PID:\n%s", out);
	cr_expect(strstr(out, "nothing to do"), "and that nothing is left:\n%s", out);
	cr_expect_eq(tu_field(out, "errors"), 3, "three lines:\n%s", out);
	cr_expect_eq(tu_field(out, "alive"), 1, "the target runs on");
	free(out);
	unlink(fb);
	free(fb);
}

/*
 * --alert-rss-pct and --alert-heap on the runtime's own figures (issue 15), in a memory
 * cgroup the scenario creates with a 256 MiB limit (tests/e2e/rss_alert_scenario.sh: v2
 * when the memory controller is on cgroup2, else v1's; removed on every exit).  A
 * program that holds 96 MiB, every page written, runs in it three times:
 *   hi  --alert-rss-pct 25 --alert-heap 64M --alert-for 2: both fire, each with a marked
 *       set whose memory.json has the RSS and the limit; the heap was allocated before
 *       the daemon attached, so only the runtime's HeapAlloc (not the sampled estimate
 *       since attach) is above 64M;
 *   lo  --alert-rss-pct 60 --alert-heap 1G: nothing fires over five reads (> 2 s);
 *   nl  no limit: --alert-rss-pct cannot fire, said once.
 * Oracles read by the scenario, not by gomemtrace: VmRSS, the cgroup's memory.current
 * (v1: memory.usage_in_bytes), the program's ReadMemStats HeapAlloc.
 */
static bool within(double v, double lo, double hi)
{
	return v >= lo && v <= hi;
}

static long key(const char *out, const char *c, const char *k)
{
	char name[64];

	snprintf(name, sizeof(name), "%s.%s", c, k);
	return tu_field(out, name);
}

Test(daemon, rss_alert_in_a_memory_cgroup, .timeout = 300)
{
	char work[] = "/tmp/gmt-daemon-XXXXXX";
	char *out;
	const char *p, *dir;
	double limit, rss_lo, rss_hi, pct = -1, for_s = -1, above_pct = -1;
	unsigned long long log_rss = 0, log_limit = 0, log_heap = 0, heap_thr = 0, thr = 0;
	long heap;

	cr_assert_not_null(mkdtemp(work));
	out = tu_script("GO=%s bash %s/tests/e2e/rss_alert_scenario.sh %s/run", tu_go(),
			getenv("GMT_SOURCE_ROOT"), work);
	dir = strstr(out, "cg_dir=");
	cr_assert_eq(tu_field(out, "cg_removed"), 1, "the test cgroup is removed:\n%s", out);
	if (dir) {
		char cg[512];
		struct stat st;

		cr_assert_eq(sscanf(dir, "cg_dir=%511s", cg), 1);
		cr_expect_neq(stat(cg, &st), 0, "%s is gone", cg);
	}
	cr_assert_eq(tu_field(out, "scenario_done"), 1, "the scenario ran to its end:\n%s", out);
	cr_assert(within(tu_field(out, "cg_version"), 1, 2), "a memory cgroup:\n%s", out);
	limit = tu_field(out, "cg_limit");
	for (int i = 0; i < 3; i++) {
		const char *c = (const char *[]){ "hi", "lo", "nl" }[i];

		cr_expect_eq(key(out, c, "in_cgroup"), 1, "%s: the program runs in it", c);
		cr_expect_eq(key(out, c, "daemon_rc"), 0, "%s: the daemon exits 0:\n%s", c, out);
	}

	/* hi: the oracle is above 25 % of the limit, and both alerts fired, once each. */
	rss_lo = 1024.0 * fmin(key(out, "hi", "rss_kb_before"), key(out, "hi", "rss_kb_after"));
	rss_hi = 1024.0 * fmax(key(out, "hi", "rss_kb_before"), key(out, "hi", "rss_kb_after"));
	cr_assert_gt(rss_lo, 0.25 * limit, "hi: VmRSS %.0f is above 25 %% of %.0f", rss_lo, limit);
	cr_assert_gt(key(out, "hi", "cg_current_before"), 0.25 * limit,
		     "hi: the cgroup's own usage is above 25 %% too");
	cr_assert_gt(key(out, "hi", "cg_current_after"), 0.25 * limit, "hi: and stays");
	cr_expect_eq(key(out, "hi", "alerts"), 2, "hi: RSS and heap alerts, once each:\n%s", out);
	cr_expect_eq(key(out, "hi", "rss_sets"), 1, "hi: one -alert-rss set:\n%s", out);
	cr_expect_eq(key(out, "hi", "heap_sets"), 1, "hi: one -alert-heap set:\n%s", out);
	p = strstr(out, "hi.log: ");
	p = p ? strstr(p, "): RSS ") : NULL;
	cr_assert(p && sscanf(p, "): RSS %llu bytes is %lf %% of its cgroup's memory limit %llu",
			      &log_rss, &pct, &log_limit) == 3,
		  "hi: the RSS alert's line gives the numbers:\n%s", out);
	p = strstr(p, "), above ");
	cr_assert(p && sscanf(p, "), above %lf %% (%llu bytes) for %lf s", &above_pct, &thr,
			      &for_s) == 3, "hi: with the threshold and the time:\n%s", out);
	cr_expect_eq(log_limit, (unsigned long long)limit, "hi: the limit the test set");
	cr_expect(within(log_rss, 0.95 * rss_lo, 1.05 * rss_hi),
		  "hi: the alert's RSS %llu is VmRSS (%.0f..%.0f) within 5 %%", log_rss, rss_lo,
		  rss_hi);
	cr_expect(within(pct, 100.0 * log_rss / limit - 0.1, 100.0 * log_rss / limit + 0.1),
		  "hi: %.1f %% is RSS / limit", pct);
	cr_expect(above_pct == 25 && thr == (unsigned long long)(limit / 4),
		  "hi: above 25 %% = %llu bytes", thr);
	cr_expect_geq(for_s, 2.0, "hi: after --alert-for 2 s (%.1f)", for_s);
	cr_expect_eq(key(out, "hi", "set_files"), 5,
		     "hi: the marked set has memory.json, heap.pb.gz, goroutines.txt, "
		     "goroutines.pb.gz and summary.json:\n%s", out);
	cr_expect(within(key(out, "hi", "json_rss"), 0.95 * rss_lo, 1.05 * rss_hi),
		  "hi: its memory.json's rss_bytes is VmRSS within 5 %%");
	cr_expect_eq(key(out, "hi", "json_max"), limit, "hi: memory.json has the limit");
	cr_expect_eq(key(out, "hi", "json_ver"), tu_field(out, "cg_version"),
		     "hi: labelled with the cgroup version");
	heap = key(out, "hi", "heapalloc");
	p = strstr(out, "HeapAlloc (the runtime's own figure) ");
	cr_assert(p && sscanf(p, "HeapAlloc (the runtime's own figure) %llu bytes, above %llu",
			      &log_heap, &heap_thr) == 2,
		  "hi: the heap alert compares HeapAlloc:\n%s", out);
	cr_expect(fabs((double)log_heap - heap) <= fmax(heap / 100.0, 1 << 20),
		  "hi: the alert's HeapAlloc %llu is the program's own %ld (1 %% or 1 MiB)",
		  log_heap, heap);
	cr_expect_eq(heap_thr, 64ull << 20, "hi: above 64M");

	/* lo: the oracle stays below 60 %, nothing fires over more than --alert-for. */
	for (int i = 0; i < 2; i++) {
		const char *k = i ? "rss_kb_after" : "rss_kb_before";
		const char *g = i ? "cg_current_after" : "cg_current_before";

		cr_assert_lt(1024.0 * key(out, "lo", k), 0.60 * limit, "lo: VmRSS below 60 %%");
		cr_assert_lt(key(out, "lo", g), 0.60 * limit, "lo: the cgroup's usage too");
	}
	cr_expect_geq(key(out, "lo", "reads"), 5, "lo: read for longer than --alert-for");
	cr_expect_eq(key(out, "lo", "alerts"), 0, "lo: nothing fires:\n%s", out);
	cr_expect_eq(key(out, "lo", "rss_sets") + key(out, "lo", "heap_sets"), 0,
		     "lo: no marked set");
	cr_expect_eq(key(out, "lo", "cannot"), 0, "lo: the limit is there");

	/* nl: no limit, said once, nothing fires. */
	cr_expect_geq(key(out, "nl", "reads"), 5, "nl: read for longer than --alert-for");
	cr_expect_eq(key(out, "nl", "cannot"), 1, "nl: 'cannot fire' said once:\n%s", out);
	cr_expect(strstr(out, "has no memory limit"), "nl: with why:\n%s", out);
	cr_expect_eq(key(out, "nl", "alerts"), 0, "nl: nothing fires");
	cr_expect_eq(key(out, "nl", "rss_sets"), 0, "nl: no marked set");
	free(out);
	tu_run("rm -rf %s", work);
}
