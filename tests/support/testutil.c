// SPDX-License-Identifier: MIT
#include "testutil.h"

#include "gobin.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

const char *const tu_versions[] = { "go119", "go122", "go124", "go126", "go127" };
const size_t tu_nversions = sizeof(tu_versions) / sizeof(tu_versions[0]);
const char *const tu_flavours[] = { "exe", "stripped", "pie", "nosh" };
const size_t tu_nflavours = sizeof(tu_flavours) / sizeof(tu_flavours[0]);

const char *tu_fixture(const char *name, const char *version, const char *flavour)
{
	/* A ring of buffers: callers may hold a few paths at once. */
	static __thread char paths[8][4096];
	static __thread unsigned int next;
	char *path = paths[next++ % 8];
	const char *dir = getenv("GMT_FIXTURES");
	struct stat st;

	cr_assert(dir, "GMT_FIXTURES is not set: run the tests through meson test");
	if (version)
		snprintf(path, sizeof(paths[0]), "%s/%s-%s-%s", dir, name, version, flavour);
	else
		snprintf(path, sizeof(paths[0]), "%s/%s", dir, name);
	cr_assert(stat(path, &st) == 0, "fixture %s is missing: scripts/build-fixtures.sh builds it",
		  path);
	return path;
}

const char *tu_go(void)
{
	const char *go = getenv("GMT_GO");

	return go ? go : "go";
}

static char *run(const char *input, const char *fmt, va_list ap)
{
	char cmd[8192], inpath[] = "/tmp/gmt-test-in-XXXXXX";
	size_t cap = 1 << 16, len = 0;
	char *out = malloc(cap);
	FILE *f;
	int status;

	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	if (input) {
		int fd = mkstemp(inpath);
		size_t n = strlen(input);

		cr_assert(fd >= 0);
		cr_assert(write(fd, input, n) == (ssize_t)n);
		close(fd);
		strncat(cmd, " < ", sizeof(cmd) - strlen(cmd) - 1);
		strncat(cmd, inpath, sizeof(cmd) - strlen(cmd) - 1);
	}
	f = popen(cmd, "r");
	cr_assert(f, "cannot run %s", cmd);
	for (;;) {
		size_t n;

		if (cap - len < 4096) {
			cap *= 2;
			out = realloc(out, cap);
		}
		n = fread(out + len, 1, cap - len - 1, f);
		if (n == 0)
			break;
		len += n;
	}
	out[len] = 0;
	status = pclose(f);
	if (input)
		unlink(inpath);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "command failed (%d): %s",
		  status, cmd);
	return out;
}

char *tu_run(const char *fmt, ...)
{
	va_list ap;
	char *r;

	va_start(ap, fmt);
	r = run(NULL, fmt, ap);
	va_end(ap);
	return r;
}

char *tu_run_input(const char *input, const char *fmt, ...)
{
	va_list ap;
	char *r;

	va_start(ap, fmt);
	r = run(input, fmt, ap);
	va_end(ap);
	return r;
}

uint8_t *tu_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	cr_assert(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n ? n : 1);
	cr_assert(fread(buf, 1, n, f) == (size_t)n);
	fclose(f);
	*len = n;
	return buf;
}

const char *tu_bin(void)
{
	const char *b = getenv("GMT_BIN");

	cr_assert(b, "GMT_BIN is not set: run through meson test");
	return b;
}

static bool frame_matches(const char *f, size_t n, const char *fn, size_t fl, bool closures)
{
	if (n < fl || strncmp(f, fn, fl) != 0)
		return false;
	return n == fl || (closures && f[fl] == '.');
}

double tu_folded_sum(const char *path, const char *fn, bool closures)
{
	size_t len, fl = strlen(fn);
	char *buf = (char *)tu_read_file(path, &len), *save = NULL;
	double sum = 0;

	buf = realloc(buf, len + 1);
	buf[len] = 0;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strrchr(line, ' ');

		if (!sp)
			continue;
		*sp = 0;
		for (char *f = line; f && *f;) {
			char *semi = strchr(f, ';');
			size_t n = semi ? (size_t)(semi - f) : strlen(f);

			if (frame_matches(f, n, fn, fl, closures)) {
				sum += atof(sp + 1);
				break;
			}
			f = semi ? semi + 1 : NULL;
		}
	}
	free(buf);
	return sum;
}

double tu_summary_num(const char *dir, const char *key)
{
	char *out = tu_run(
		"python3 -c 'import json,sys; print(float(json.load(open(sys.argv[1]))[sys.argv[2]]))' "
		"%s/summary.json %s",
		dir, key);
	double v = atof(out);

	free(out);
	return v;
}

size_t tu_matrix_size(bool with_exp)
{
	return tu_nversions * tu_nflavours + (with_exp ? 1 : 0);
}

int *tu_matrix_params(bool with_exp)
{
	static int idx[64];

	for (size_t i = 0; i < tu_matrix_size(with_exp); i++)
		idx[i] = (int)i;
	return idx;
}

void tu_matrix_entry(int i, const char **version, const char **flavour)
{
	if ((size_t)i == tu_nversions * tu_nflavours) {
		/* size-specialized allocators, the go1.26 experiment */
		*version = "go126";
		*flavour = "exp";
		return;
	}
	*version = tu_versions[i / tu_nflavours];
	*flavour = tu_flavours[i % tu_nflavours];
}

int *tu_version_params(void)
{
	static int idx[16];

	for (size_t i = 0; i < tu_nversions && i < 16; i++)
		idx[i] = (int)i;
	return idx;
}

struct gmt_gobin *tu_open_gobin(const char *path)
{
	struct gmt_gobin *gb = NULL;
	struct gmt_diag d = {};

	cr_assert_eq(gmt_gobin__open(path, &gb, &d), 0, "%s opens: %s", path, d.msg);
	return gb;
}

char *tu_script(const char *fmt, ...)
{
	char path[] = "/tmp/gmt-test-sh-XXXXXX", *body, *out;
	va_list ap;
	FILE *f;
	int fd;

	va_start(ap, fmt);
	cr_assert(vasprintf(&body, fmt, ap) >= 0);
	va_end(ap);
	fd = mkstemp(path);
	cr_assert(fd >= 0);
	f = fdopen(fd, "w");
	cr_assert(f);
	fprintf(f, "export GMT=%s\nexport GMT_STATE_DIR=$(mktemp -d)\n%s\nrm -rf \"$GMT_STATE_DIR\"\n",
		tu_bin(), body);
	fclose(f);
	out = tu_run("bash %s", path);
	unlink(path);
	free(body);
	return out;
}

long tu_field(const char *out, const char *key)
{
	char pat[128];
	const char *p;

	snprintf(pat, sizeof(pat), "%s=", key);
	for (p = strstr(out, pat); p; p = strstr(p + 1, pat))
		if (p == out || p[-1] == '\n' || p[-1] == ' ')
			return strtol(p + strlen(pat), NULL, 10);
	cr_assert_fail("no %s= in:\n%s", key, out);
	return 0;
}
