// SPDX-License-Identifier: MIT
/* The gomemtrace command as a user runs it: output, errors, exit codes. */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "options.h"
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
			if (!tu_has(tu_versions[v], tu_flavours[f]))
				continue;
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

/*
 * Durations: every string with a unit must mean what Go's own time.ParseDuration says
 * (the oracle, run on the same strings), or be refused where Go refuses it.  Negative
 * durations, which Go accepts, are out of range for options; a bare number (Go wants a
 * unit) is seconds.
 */
Test(cli, durations_as_go_parses_them, .timeout = 120)
{
	static const char *const in[] = {
		"300ms", "1.5h", "1m30s", "2h45m", "1h1h", "0.5s", ".5s", "5.s", "1us",
		"1\xc2\xb5s", "1\xce\xbcs", "1ns", "+5s", "1.000000001s", "0.1s", "2.5m",
		"1h2m3s4ms5us6ns", "100000h", "0.333333333333333333333h", "0s", "0h0m",
		"-5s", "-0s", "1e3s", "5sec", "1m30", "", ".", "s", "1 s", "5S", "1.2.3s",
		"3000000h", "99999999999999999999ns", "1d", "++1s", "ms",
	};
	char dir[] = "/tmp/gmt-dur-XXXXXX", input[4096] = "";
	char *go_out, *line, *save = NULL;
	size_t n = sizeof(in) / sizeof(in[0]), i = 0;

	cr_assert_not_null(mkdtemp(dir));
	for (size_t k = 0; k < n; k++) {
		strcat(input, in[k]);
		strcat(input, "\n");
	}
	free(tu_run("cat > %s/main.go <<'EOF'\n"
		    "package main\n"
		    "import (\"bufio\"; \"fmt\"; \"os\"; \"time\")\n"
		    "func main() {\n"
		    "\ts := bufio.NewScanner(os.Stdin)\n"
		    "\tfor s.Scan() {\n"
		    "\t\tif d, err := time.ParseDuration(s.Text()); err != nil {\n"
		    "\t\t\tfmt.Println(\"error\")\n"
		    "\t\t} else {\n"
		    "\t\t\tfmt.Println(int64(d))\n"
		    "\t\t}\n"
		    "\t}\n"
		    "}\n"
		    "EOF",
		    dir));
	go_out = tu_run_input(input, "cd %s && GOTOOLCHAIN=local %s run main.go", dir, tu_go());
	for (line = strtok_r(go_out, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
		uint64_t ns = 0;
		int err;

		cr_assert_lt(i, n);
		err = gmt_parse_duration(in[i], 0, UINT64_MAX, &ns);
		if (strcmp(line, "error") == 0) {
			cr_expect(err == -EINVAL || err == -ERANGE,
				  "'%s': Go refuses it, and so do we (%d, %" PRIu64 ")", in[i], err,
				  ns);
		} else if (line[0] == '-') {
			cr_expect_eq(err, -ERANGE, "'%s' is negative: out of range (%d)", in[i],
				     err);
		} else {
			cr_expect_eq(err, 0, "'%s': Go reads %s ns, we refuse it (%d)", in[i], line,
				     err);
			cr_expect_eq(ns, strtoull(line, NULL, 10), "'%s': %" PRIu64 " ns, Go: %s",
				     in[i], ns, line);
		}
	}
	cr_assert_eq(i, n, "Go answered for every string (%zu of %zu)", i, n);
	free(go_out);
	free(tu_run("rm -rf %s", dir));
}

Test(cli, durations_bare_numbers_and_limits)
{
	uint64_t ns = 7;

	cr_assert_eq(gmt_parse_duration("30", 0, UINT64_MAX, &ns), 0);
	cr_expect_eq(ns, 30 * GMT_NS_PER_S, "a bare number is seconds");
	cr_assert_eq(gmt_parse_duration("0.25", 0, UINT64_MAX, &ns), 0);
	cr_expect_eq(ns, GMT_NS_PER_S / 4, "with a fraction");
	cr_assert_eq(gmt_parse_duration("0", 0, UINT64_MAX, &ns), 0);
	cr_expect_eq(ns, 0);
	cr_expect_eq(gmt_parse_duration("0", 1, UINT64_MAX, &ns), -ERANGE, "below min");
	cr_expect_eq(gmt_parse_duration("999ms", GMT_NS_PER_S, UINT64_MAX, &ns), -ERANGE);
	cr_expect_eq(gmt_parse_duration("1s", GMT_NS_PER_S, GMT_NS_PER_S, &ns), 0, "min = max");
	cr_expect_eq(gmt_parse_duration("169h", 0, 168 * 3600 * GMT_NS_PER_S, &ns), -ERANGE);
	cr_expect_eq(gmt_parse_duration("30 ", 0, UINT64_MAX, &ns), -EINVAL, "no spaces");
	cr_expect_eq(gmt_parse_duration("1.5.", 0, UINT64_MAX, &ns), -EINVAL);
	cr_expect_eq(gmt_parse_duration(NULL, 0, UINT64_MAX, &ns), -EINVAL);
	cr_expect_eq(gmt_parse_duration("9223372036854775808ns", 0, UINT64_MAX, &ns), -ERANGE,
		     "past int64 nanoseconds, as in Go");
	cr_assert_eq(gmt_parse_duration("9223372036854775807ns", 0, UINT64_MAX, &ns), 0);
	cr_expect_eq(ns, (uint64_t)INT64_MAX);
}

/* Every time option takes them, with its limits kept. */
Test(cli, time_options_take_durations)
{
	expect_error("record -d 30s", 2, "record needs -p PID");
	expect_error("record -d 1m30s --mode exact", 2, "record needs -p PID");
	expect_error("record -d 0.5", 2, "record needs -p PID");
	expect_error("record -d 30x -p 1", 2, "invalid duration '30x'");
	expect_error("record -d 0s -p 1", 2, "invalid duration '0s'");
	expect_error("daemon -i 1m", 2, "daemon needs targets");
	expect_error("daemon -i 1h30m --alert-pause 5ms", 2, "daemon needs targets");
	expect_error("daemon -i 500ms -p 1", 2, "invalid interval '500ms' (1s to 168h");
	expect_error("daemon -i 169h -p 1", 2, "invalid interval '169h'");
	expect_error("daemon --alert-for 5m -p 1", 2, "--alert-for needs --alert-heap");
	expect_error("daemon --alert-for 5x -p 1", 2, "invalid --alert-for '5x'");
	expect_error("daemon --alert-pause 0 -p 1", 2, "invalid --alert-pause '0'");
	expect_error("daemon --alert-rss-pct 0 -p 1", 2, "invalid --alert-rss-pct '0'");
	expect_error("daemon --alert-rss-pct 100.5 -p 1", 2, "invalid --alert-rss-pct '100.5'");
	expect_error("daemon --alert-rss-pct 9x -p 1", 2, "invalid --alert-rss-pct '9x'");
	expect_error("daemon --alert-for 5m -p 1", 2, "or --alert-rss-pct");
}

/* No help prints a printf escape literally; the daemon says what its folder names mean. */
Test(cli, help_texts_read_right)
{
	static const char *const cmds[] = { "record", "daemon", "info", "restore" };
	char *out, *err, args[64];

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		snprintf(args, sizeof(args), "%s --help", cmds[i]);
		cr_assert_eq(run_cli(args, &out, &err), 0, "%s", args);
		cr_expect(!strstr(out, "%%"), "%s prints no '%%%%':\n%s", args, out);
		if (i == 1)
			cr_expect(strstr(out, "<timestamp>/   named after the interval's END"),
				  "daemon --help: the folder is the interval's end:\n%s", out);
		if (i == 3)
			cr_expect(strstr(out, "about 1% slower"), "%s", out);
		free(out);
		free(err);
	}
}

/* info -p and record -p name a non-Go process by its program, not /proc/N/exe. */
Test(cli, info_names_the_program_as_record_does)
{
	/* the child is bash until it has exec'd sleep: wait for that, under load too */
	char *out = tu_run("sleep 30 & p=$!; echo pid=$p; s=$(readlink -f $(command -v sleep)); "
			   "for i in $(seq 500); do [ \"$(readlink /proc/$p/exe)\" != \"$s\" ] || break; "
			   "sleep 0.01; done; "
			   "%s info -p $p 2>&1; %s record -o /tmp/gmt-cli-none -p $p 2>&1; "
			   "kill $p; true",
			   tu_bin(), tu_bin());
	long pid = tu_field(out, "pid");
	char want[128];
	const char *first, *second;

	snprintf(want, sizeof(want), "gomemtrace: error: %s (PID %ld) is not a Go binary (no "
		 "pclntab)\n", tu_run("readlink -f $(command -v sleep) | tr -d '\\n'"), pid);
	first = strstr(out, want);
	cr_assert(first, "info names the program: want '%s' in:\n%s", want, out);
	second = strstr(first + 1, want);
	cr_expect(second, "and record says the same:\n%s", out);
	cr_expect(!strstr(out, "/exe"), "no /proc/N/exe:\n%s", out);
	free(out);
}
