// SPDX-License-Identifier: MIT
/*
 * End to end: what gomemtrace needs to run outside a root shell (issue 13).
 *
 * Privileges: tests/e2e/privileges_scenario.sh runs gomemtrace as uid 65534 with exactly a
 * set of capabilities (setpriv: inheritable, ambient, bounding) against copies of the
 * sampled fixture running as root.  The three capabilities README used to promise
 * (CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE) must be refused in one line that names
 * CAP_SYS_ADMIN, at perf_event_paranoid 2 and -1 alike (the uprobe PMU asks for
 * CAP_SYS_ADMIN whatever the sysctl says); each capability of the sufficient set left
 * out must be named; and the sufficient set must trace for real: the estimates against
 * the fixture's own TotalAlloc and live bytes, its MemProfileRate written and back at 0.
 *
 * The systemd unit: tests/e2e/unit_scenario.sh starts scripts/gomemtrace.service's ExecStart
 * (its targets replaced by a fixture whose MemProfileRate is 0) under the unit's
 * restrictions.  No systemd runs on the test machines: tests/e2e/unit_sandbox.sh emulates
 * them explicitly (a mount namespace where everything is read-only but the unit's
 * StateDirectory, RuntimeDirectory and ReadWritePaths, bind-mounted; PrivateTmp; the
 * unit's capabilities, NoNewPrivileges and UMask through setpriv).  The same unit
 * without RuntimeDirectory= must fail to start; as shipped it must trace: the rate
 * raised with its state file written, intervals on SIGHUP and SIGTERM whose estimates
 * add up to the fixture's TotalAlloc, the rate restored and the file gone; and after a
 * SIGKILL the state file must stay for `gomemtrace restore`, which must work there too.
 *
 * These tests load BPF and attach uprobes: without root they fail, they never skip.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* The line "NAME rc=N lines=N" of the scenario, and NAME's stderr lines after it. */
static void expect_refused(const char *out, const char *name, const char *needle)
{
	char key[64];
	const char *p;
	int rc = -1, lines = -1;

	snprintf(key, sizeof(key), "\n%s rc=", name);
	p = strstr(out, key);
	cr_assert(p && sscanf(p + strlen(key), "%d lines=%d", &rc, &lines) == 2,
		  "case %s ran:\n%s", name, out);
	snprintf(key, sizeof(key), "\n%s err: gomemtrace: error: ", name);
	cr_expect_eq(rc, 1, "%s: exit status 1 (%d)", name, rc);
	cr_expect_eq(lines, 1, "%s: one line on stderr (%d)", name, lines);
	p = strstr(out, key);
	cr_expect(p && strstr(p, needle) && strstr(p, needle) < strchr(p + 1, '\n'),
		  "%s: the error says '%s':\n%s", name, needle, out);
}

static long field_after(const char *out, const char *key)
{
	const char *p = strstr(out, key);
	long v = -1;

	cr_assert(p && sscanf(p + strlen(key), "%ld", &v) == 1, "'%s' in:\n%s", key, out);
	return v;
}

Test(deploy, capabilities, .timeout = 900)
{
	const char *fx = tu_fixture("sampled", "go126", "exe");
	char work[] = "/tmp/gmt-deploy-XXXXXX", dir[128];
	double est, inuse, bytes;
	long total_a, total_b, live_a;
	char *out;

	cr_assert_not_null(mkdtemp(work));
	/* uid 65534 writes there: the directory must be open to it (mkdtemp makes 0700). */
	out = tu_run("chmod 755 %s; GMT=%s %s/tests/e2e/privileges_scenario.sh %s %s/run 2>&1; "
		     "echo scenario_rc=$?", work, tu_bin(), getenv("GMT_SOURCE_ROOT"), fx, work);
	cr_log_info("%s", out);
	cr_assert(strstr(out, "\nscenario_rc=0\n"), "the scenario ran to its end:\n%s", out);
	/* CAP_BPF (39), CAP_PERFMON (38), CAP_SYS_PTRACE (19): those and no other. */
	cr_expect(strstr(out, "capeff_three=000000c000080000\n"), "CapEff of the three:\n%s", out);
	/* CAP_SYS_ADMIN (21), CAP_SYS_PTRACE (19), CAP_DAC_OVERRIDE (1). */
	cr_expect(strstr(out, "capeff_sufficient=0000000000280002\n"), "%s", out);

	expect_refused(out, "three_paranoid2", "lets only CAP_SYS_ADMIN attach uprobes");
	expect_refused(out, "three_paranoid-1", "lets only CAP_SYS_ADMIN attach uprobes");
	expect_refused(out, "no_admin", "run as root, or add CAP_SYS_ADMIN");
	expect_refused(out, "no_ptrace",
		       "runs as uid 0, gomemtrace as uid 65534: reading another user's process "
		       "needs CAP_SYS_PTRACE; missing CAP_SYS_PTRACE");
	expect_refused(out, "no_dac", "missing CAP_DAC_READ_SEARCH");
	expect_refused(out, "dac_read_only", "writing into another user's process needs "
					     "CAP_SYS_PTRACE and CAP_DAC_OVERRIDE; missing "
					     "CAP_DAC_OVERRIDE");
	expect_refused(out, "hidden", "exists, but /proc/");
	cr_expect(!strstr(out, "no process with PID"), "an existing process is never 'no process'");
	cr_expect_eq(field_after(out, "paranoid_after="), field_after(out, "paranoid_before="),
		     "perf_event_paranoid put back");

	/* The sufficient set in sampled mode: a real trace, the rate written and restored. */
	cr_expect_eq(field_after(out, "\nsampled rc="), 0, "sampled: exit 0:\n%s", out);
	cr_expect_eq(field_after(out, "state_files_while_tracing="), 1,
		     "the state file was written while the rate was raised");
	cr_expect(strstr(out, "\nA: rate start=0\n") && strstr(out, "\nA: rate end=0\n"),
		  "A's MemProfileRate: 0, raised while traced, 0 again:\n%s", out);
	total_a = field_after(out, "\nA: total bytes=");
	live_a = field_after(out, "\nA: live bytes=");
	snprintf(dir, sizeof(dir), "%s/run/sampled", work);
	est = tu_summary_num(dir, "est_alloc_bytes");
	inuse = tu_summary_num(dir, "est_inuse_bytes");
	cr_expect(fabs(est - total_a) <= 0.10 * total_a,
		  "estimated allocations %.0f within 10%% of TotalAlloc %ld", est, total_a);
	cr_expect(fabs(inuse - live_a) <= 0.20 * live_a,
		  "estimated live heap %.0f within 20%% of the %ld bytes kept", inuse, live_a);

	/* Exact mode writes nothing: CAP_SYS_ADMIN and CAP_SYS_PTRACE are enough. */
	cr_expect_eq(field_after(out, "\nexact rc="), 0, "exact: exit 0:\n%s", out);
	total_b = field_after(out, "\nB: total bytes=");
	snprintf(dir, sizeof(dir), "%s/run/exact", work);
	bytes = tu_summary_num(dir, "bytes");
	cr_expect(fabs(bytes - total_b) <= 0.001 * total_b,
		  "exact bytes %.0f within 0.1%% of TotalAlloc %ld", bytes, total_b);
	free(out);
	free(tu_run("rm -rf %s", work));
}

/* The value after "key" on the line that has it; -1 if absent. */
static long line_value(const char *out, const char *key)
{
	const char *p = strstr(out, key);
	long v = -1;

	if (p)
		sscanf(p + strlen(key), "%ld", &v);
	return v;
}

Test(deploy, systemd_unit, .timeout = 600)
{
	const char *fx = tu_fixture("sampled", "go126", "exe");
	char work[] = "/tmp/gmt-unit-XXXXXX", unit[512];
	double alloc = 0;
	long total;
	int sets = 0;
	char *out;

	cr_assert_not_null(mkdtemp(work));
	snprintf(unit, sizeof(unit), "%s/scripts/gomemtrace.service", getenv("GMT_SOURCE_ROOT"));
	out = tu_run("GMT=%s %s/tests/e2e/unit_scenario.sh %s %s %s/run 2>&1; echo scenario_rc=$?",
		     tu_bin(), getenv("GMT_SOURCE_ROOT"), unit, fx, work);
	cr_log_info("%s", out);
	cr_assert(strstr(out, "\nscenario_rc=0\n"), "the scenario ran to its end:\n%s", out);

	/* The sandbox is what the unit says: its capabilities only, / read-only but its
	 * directories. */
	cr_expect(strstr(out, "check: CapEff:\t0000000000280002\n") &&
		  strstr(out, "check: NoNewPrivs:\t1\n") && strstr(out, "check: 0077\n"),
		  "CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_DAC_OVERRIDE; no new privileges; the "
		  "umask:\n%s", out);
	cr_expect(strstr(out, "check: read-only /var/lib/gmt-probe\n") &&
		  strstr(out, "check: read-only /run/gmt-probe\n") &&
		  strstr(out, "check: read-only /usr/gmt-probe\n"), "read-only:\n%s", out);
	cr_expect(strstr(out, "check: writable /var/lib/gomemtrace/gmt-probe\n") &&
		  strstr(out, "check: writable /run/gomemtrace/gmt-probe\n") &&
		  strstr(out, "check: writable /var/lib/prometheus/node-exporter/gmt-probe\n"),
		  "the unit's directories writable:\n%s", out);

	/* Without RuntimeDirectory= (ProtectSystem=strict leaves /run read-only): no start. */
	cr_expect_eq(line_value(out, "old rc="), 1, "the daemon refuses to start:\n%s", out);
	cr_expect(strstr(out, "old err: ") && strstr(strstr(out, "old err: "), "/run/gomemtrace") &&
		  strstr(strstr(out, "old err: "), "Read-only file system"),
		  "and says why:\n%s", out);

	/* As shipped. */
	cr_expect(strstr(out, "new capeff=0000000000280002\n"), "the daemon's CapEff:\n%s", out);
	cr_expect(strstr(out, "gomemtrace sets it to 524288"), "the rate raised:\n%s", out);
	cr_expect_eq(line_value(out, "new state_files_while_tracing="), 1,
		     "its state file written in /run/gomemtrace");
	cr_expect_eq(line_value(out, "new state_file_mode="), 600, "mode 0600");
	cr_expect_eq(line_value(out, "new rc="), 0, "the daemon stops with 0 on SIGTERM:\n%s", out);
	cr_expect_eq(line_value(out, "new state_files_after="), 0, "and removes the file");
	cr_expect(strstr(out, "\nnew: rate start=0\n") && strstr(out, "\nnew: rate end=0\n"),
		  "the fixture's rate back at 0:\n%s", out);
	total = line_value(out, "\nnew: total bytes=");
	for (const char *p = strstr(out, "new set="); p; p = strstr(p + 1, "new set=")) {
		char dir[512];

		cr_assert_eq(sscanf(p, "new set=%511s", dir), 1);
		alloc += tu_summary_num(dir, "est_alloc_bytes");
		/* The unit's --alert-pause 50ms may fire on a loaded machine: a marked set
		 * ends the interval early, so it counts in the total, not as an interval. */
		sets += !strstr(dir, "-alert-");
	}
	cr_expect_eq(sets, 2, "one interval on SIGHUP, the last on SIGTERM (%d):\n%s", sets, out);
	cr_expect(fabs(alloc - total) <= 0.10 * total,
		  "the intervals' estimates %.0f within 10%% of TotalAlloc %ld", alloc, total);
	cr_expect_eq(line_value(out, "new metrics_mode="), 644, "the metrics file, readable");
	cr_expect_eq(line_value(out, "new promtool_rc="), 0, "and clean for promtool:\n%s", out);

	/* SIGKILLed: the state file stays for restore, which works under the unit too. */
	cr_expect_eq(line_value(out, "crash state_files_after_kill="), 1,
		     "a killed daemon leaves its state file:\n%s", out);
	cr_expect_eq(line_value(out, "crash restore_rc="), 0, "restore succeeds:\n%s", out);
	cr_expect(strstr(out, "crash restore: gomemtrace: runtime.MemProfileRate of PID ") &&
		  strstr(out, " restored to 0\n"), "and restores the raised rate:\n%s", out);
	cr_expect_eq(line_value(out, "crash state_files_after_restore="), 0, "then removes it");
	cr_expect(strstr(out, "\ncrash: rate end=0\n"), "the fixture's rate back at 0:\n%s", out);
	free(out);
	free(tu_run("rm -rf %s", work));
}
