// SPDX-License-Identifier: MIT
/*
 * End to end: what gomemtrace needs to run outside a root shell (issue 13).
 *
 * Privileges: tests/privileges_scenario.sh runs gomemtrace as uid 65534 with exactly a
 * set of capabilities (setpriv: inheritable, ambient, bounding) against copies of the
 * sampled fixture running as root.  The three capabilities README used to promise
 * (CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE) must be refused in one line that names
 * CAP_SYS_ADMIN, at perf_event_paranoid 2 and -1 alike (the uprobe PMU asks for
 * CAP_SYS_ADMIN whatever the sysctl says); each capability of the sufficient set left
 * out must be named; and the sufficient set must trace for real: the estimates against
 * the fixture's own TotalAlloc and live bytes, its MemProfileRate written and back at 0.
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
	out = tu_run("chmod 755 %s; GMT=%s %s/tests/privileges_scenario.sh %s %s/run 2>&1; "
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
