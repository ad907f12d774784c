// SPDX-License-Identifier: MIT
/* The gomemtrace command as a user runs it: output, errors, exit codes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "testutil.h"

/* Runs gomemtrace with args; returns the exit status, stderr in err (malloc'd). */
static int run_cli(const char *args, char **out, char **err)
{
	char cmd[4096], errpath[] = "/tmp/gmt-cli-err-XXXXXX";
	int fd = mkstemp(errpath), status;
	FILE *f;
	size_t n = 0, cap = 1 << 16;

	close(fd);
	snprintf(cmd, sizeof(cmd), "%s %s 2>%s", tu_bin(), args, errpath);
	f = popen(cmd, "r");
	*out = malloc(cap);
	while (!feof(f) && n < cap - 1)
		n += fread(*out + n, 1, cap - 1 - n, f);
	(*out)[n] = 0;
	status = pclose(f);
	*err = (char *)tu_read_file(errpath, &n);
	*err = realloc(*err, n + 1);
	(*err)[n] = 0;
	unlink(errpath);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void expect_error(const char *args, int code, const char *needle)
{
	char *out, *err;
	int rc = run_cli(args, &out, &err);

	cr_assert_eq(rc, code, "'%s' exits %d (got %d, stderr: %s)", args, code, rc, err);
	cr_assert(strstr(err, needle), "'%s': stderr mentions '%s': %s", args, needle, err);
	cr_assert_eq(strchr(err, '\n') - err + 1, (long)strlen(err), "'%s': one line: %s", args,
		     err);
	free(out);
	free(err);
}

Test(cli, errors_are_one_line_and_nonzero)
{
	expect_error("info /bin/ls", 1, "not a Go binary");
	expect_error("info /nonexistent/binary", 1, "/nonexistent/binary");
	expect_error("info /etc/passwd", 1, "not an ELF file");
	expect_error("info -p 2147483000", 1, "no process with PID 2147483000");
	expect_error("info -p 2", 1, "kernel thread");
	expect_error("info -p abc", 2, "invalid PID");
	expect_error("info", 2, "exactly one BINARY");
	expect_error("frobnicate", 2, "unknown command");
}

Test(cli, help_explains_every_option)
{
	char *out, *err;

	cr_assert_eq(run_cli("info --help", &out, &err), 0);
	cr_assert(strstr(out, "--json") && strstr(out, "--pid") && strstr(out, "Exit status"),
		  "info --help lists its options: %s", out);
	free(out);
	free(err);
	cr_assert_eq(run_cli("help", &out, &err), 0);
	cr_assert(strstr(out, "info"), "help lists the commands");
	free(out);
	free(err);
}

/* --json output validated by python's json module against the reader's own facts. */
Test(cli, info_json_on_every_flavour)
{
	for (size_t v = 0; v < tu_nversions; v++) {
		for (size_t f = 0; f < tu_nflavours; f++) {
			const char *path = tu_fixture("demo", tu_versions[v], tu_flavours[f]);
			char *want = tu_run("%s version %s | sed 's/^[^:]*: //; s/[ -]X:.*//'",
					    tu_go(), path);
			char *mallocgc = tu_run("%s tool nm %s | awk '$3 == \"runtime.mallocgc\" "
						"{print $1}'",
						tu_go(), tu_fixture("demo", tu_versions[v],
								    strcmp(tu_flavours[f], "pie") ? "exe" : "pie"));
			char *res;

			want[strcspn(want, "\n")] = 0;
			mallocgc[strcspn(mallocgc, "\n")] = 0;
			res = tu_run("%s info --json %s | python3 -c '"
				     "import json,sys; d=json.load(sys.stdin); "
				     "h={x[\"function\"]: x for x in d[\"hooks\"]}; "
				     "m=h[\"runtime.mallocgc\"]; "
				     "assert d[\"go_version\"]==\"%s\", d[\"go_version\"]; "
				     "assert d[\"pie\"]==%s and d[\"stripped\"]==%s; "
				     "assert m[\"address\"]==0x%s and m[\"emulated\"] is True; "
				     "assert m[\"instruction\"].startswith(\"jbe\"), m; "
				     "assert d[\"pclntab_version\"] in (\"1.18\",\"1.20\"); "
				     "assert set(x[\"function\"] for x in d[\"missing\"])==set(); "
				     "print(\"ok\")'",
				     tu_bin(), path, want, strcmp(tu_flavours[f], "pie") ? "False" : "True",
				     strcmp(tu_flavours[f], "stripped") && strcmp(tu_flavours[f], "nosh")
					     ? "False" : "True",
				     mallocgc);
			cr_assert_str_eq(res, "ok\n", "%s", path);
			free(res);
			free(want);
			free(mallocgc);
		}
	}
}

/* -p reads /proc/PID/exe: a running fixture gives the same plan as its file. */
Test(cli, info_on_a_running_process)
{
	const char *path = tu_fixture("demo", "go124", "pie");
	char *res = tu_run("%s -seconds 5 >/dev/null 2>&1 & p=$!; sleep 0.3; "
			   "a=$(%s info --json -p $p | python3 -c 'import json,sys; "
			   "print(json.load(sys.stdin)[\"hooks\"][0][\"probe_offset\"])'); "
			   "b=$(%s info --json %s | python3 -c 'import json,sys; "
			   "print(json.load(sys.stdin)[\"hooks\"][0][\"probe_offset\"])'); "
			   "kill $p; [ -n \"$a\" ] && [ \"$a\" = \"$b\" ] && echo same",
			   path, tu_bin(), tu_bin(), path);

	cr_assert_str_eq(res, "same\n", "probe offsets through -p equal those of the file");
	free(res);
}
