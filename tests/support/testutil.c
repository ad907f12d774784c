// SPDX-License-Identifier: MIT
#include "testutil.h"

#include "gobin.h"
#include "release.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

const char *tu_versions[TU_MAX_VERSIONS];
size_t tu_nversions;
const char *const tu_flavours[] = { "exe", "stripped", "pie", "nosh" };
const size_t tu_nflavours = sizeof(tu_flavours) / sizeof(tu_flavours[0]);

static char tu_names[TU_MAX_VERSIONS][16];	/* go1.22 */
static char tu_vflavours[TU_MAX_VERSIONS][128]; /* " exe stripped nover " */

/*
 * tests/fixtures/matrix.txt, read before main(): the parameter functions of Criterion
 * run before any test and need it.  Without GMT_SOURCE_ROOT (a test run by hand) the
 * matrix is empty and tu_fixture() says what is missing.
 */
__attribute__((constructor)) static void read_matrix(void)
{
	const char *root = getenv("GMT_SOURCE_ROOT");
	char path[4096], line[512];
	FILE *f;

	if (!root)
		return;
	snprintf(path, sizeof(path), "%s/tests/fixtures/matrix.txt", root);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && tu_nversions < TU_MAX_VERSIONS) {
		char rel[16], *p = line + strspn(line, " \t"), *fl;
		int n, used;
		static char tags[TU_MAX_VERSIONS][16];

		if (*p == '#' || *p == '\n' || !*p)
			continue;
		if (sscanf(p, "%15s%n", rel, &used) != 1 || sscanf(rel, "go1.%d", &n) != 1)
			continue;
		fl = p + used;
		fl[strcspn(fl, "\n")] = 0;
		snprintf(tags[tu_nversions], sizeof(tags[0]), "go1%d", n);
		snprintf(tu_names[tu_nversions], sizeof(tu_names[0]), "%s", rel);
		snprintf(tu_vflavours[tu_nversions], sizeof(tu_vflavours[0]), "%s ", fl);
		for (char *c = tu_vflavours[tu_nversions]; *c; c++)
			if (*c == '\t')
				*c = ' ';
		tu_versions[tu_nversions] = tags[tu_nversions];
		tu_nversions++;
	}
	fclose(f);
}

static int version_index(const char *version)
{
	for (size_t i = 0; i < tu_nversions; i++)
		if (!strcmp(tu_versions[i], version))
			return (int)i;
	return -1;
}

bool tu_has(const char *version, const char *flavour)
{
	int i = version_index(version);
	char want[40];

	if (i < 0)
		return false;
	snprintf(want, sizeof(want), " %s ", flavour);
	return strstr(tu_vflavours[i], want) != NULL;
}

size_t tu_flavour_index(const char *version, size_t k)
{
	size_t have[8], n = 0;

	for (size_t f = 0; f < tu_nflavours; f++)
		if (tu_has(version, tu_flavours[f]))
			have[n++] = f;
	cr_assert_gt(n, 0, "%s has fixtures in the matrix", version);
	return have[k % n];
}

const char *tu_release_name(const char *version)
{
	int i = version_index(version);

	return i < 0 ? "?" : tu_names[i];
}

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

/* The (version, flavour) pairs the matrix builds, in version order: version * 8 + flavour. */
static size_t matrix_pairs(int *out)
{
	size_t n = 0;

	for (size_t v = 0; v < tu_nversions; v++)
		for (size_t f = 0; f < tu_nflavours; f++)
			if (tu_has(tu_versions[v], tu_flavours[f]))
				out[n++] = (int)(v * 8 + f);
	return n;
}

size_t tu_matrix_size(bool with_exp)
{
	int pairs[TU_MAX_VERSIONS * 8];

	return matrix_pairs(pairs) + (with_exp ? 1 : 0);
}

int *tu_matrix_params(bool with_exp)
{
	static int idx[TU_MAX_VERSIONS * 8 + 1];
	size_t n = matrix_pairs(idx);

	if (with_exp)
		idx[n] = -1;
	return idx;
}

size_t tu_rotation(int *out, bool with_exp, unsigned seed)
{
	size_t n = 0, full = 0;

	for (size_t v = 0; v < tu_nversions; v++) {
		size_t have[8], nh = 0;

		for (size_t f = 0; f < tu_nflavours; f++)
			if (tu_has(tu_versions[v], tu_flavours[f]))
				have[nh++] = f;
		if (nh <= TU_ROTATION_PER_RELEASE) {
			for (size_t k = 0; k < nh; k++)
				out[n++] = (int)(v * 8 + have[k]);
			continue;
		}
		/* consecutive releases with every flavour take the next ones in turn */
		for (size_t k = 0; k < TU_ROTATION_PER_RELEASE; k++)
			out[n++] = (int)(v * 8 +
					 have[(full * TU_ROTATION_PER_RELEASE + seed + k) % nh]);
		full++;
	}
	if (with_exp)
		out[n++] = -1;
	return n;
}

void tu_matrix_entry(int i, const char **version, const char **flavour)
{
	if (i < 0) {
		/* size-specialized allocators, the go1.26 experiment */
		*version = "go126";
		*flavour = "exp";
		return;
	}
	*version = tu_versions[i / 8];
	*flavour = tu_flavours[i % 8];
}

int *tu_version_params(void)
{
	static int idx[TU_MAX_VERSIONS];

	for (size_t i = 0; i < tu_nversions; i++)
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

const struct gmt_go_release *tu_release(const struct gmt_gobin *gb)
{
	struct gmt_release r;
	struct gmt_diag d = {};

	cr_assert_eq(gmt_release_resolve(gb, &r, &d), 0, "%s: release: %s", gb->path, d.msg);
	return r.row;
}

const struct gmt_go_release *tu_row(int n)
{
	const struct gmt_go_release *row = gmt_go_release_find(n);

	cr_assert_not_null(row, "the release table has go1.%d", n);
	return row;
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

char *tu_patched_copy(const char *path, const char *from, const char *to)
{
	size_t len, n = strlen(from);
	uint8_t *buf = tu_read_file(path, &len);
	uint8_t *hit = memmem(buf, len, from, n);
	char *out = strdup("/tmp/gmt-patched-XXXXXX");
	int fd;

	cr_assert_eq(strlen(to), n, "same length");
	cr_assert_not_null(hit, "%s contains %s", path, from);
	for (; hit; hit = memmem(hit + n, len - (size_t)(hit + n - buf), from, n))
		memcpy(hit, to, n);
	fd = mkstemp(out);
	cr_assert(fd >= 0);
	cr_assert(write(fd, buf, len) == (ssize_t)len);
	cr_assert_eq(fchmod(fd, 0755), 0);
	close(fd);
	free(buf);
	return out;
}

char *tu_gcwork_without_gdestroy(void)
{
	return tu_patched_copy(tu_fixture("gcwork", "go125", "exe"), "runtime.gdestroy",
			       "runtime.gdestroX");
}

unsigned long long tu_nm_addr(const char *path, const char *sym)
{
	char *out = tu_run("%s tool nm %s | awk '$3 == \"%s\" {print $1}'", tu_go(), path, sym);
	unsigned long long a = 0;

	cr_assert_eq(sscanf(out, "%llx", &a), 1, "%s: go tool nm lists %s", path, sym);
	free(out);
	return a;
}

/* readelf's section table: the section holding addr (name out), or the address of name. */
static uint64_t readelf_sec(const char *path, uint64_t addr, char *name, size_t len)
{
	char *out = tu_run("readelf -SW %s", path), *save = NULL;
	uint64_t found = 0;

	for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char sec[64];
		unsigned long long a, off, size;
		char *p = strchr(l, ']');

		if (!p || sscanf(p + 1, " %63s %*s %llx %llx %llx", sec, &a, &off, &size) != 4)
			continue;
		if (addr ? (a <= addr && addr < a + size) : !strcmp(sec, name)) {
			if (addr)
				snprintf(name, len, "%s", sec);
			found = a;
			break;
		}
	}
	free(out);
	cr_assert(found, "%s: readelf finds the section of %#llx / %s", path,
		  (unsigned long long)addr, addr ? "" : name);
	return found;
}

/*
 * `-s -w` moves the data sections by a few bytes but keeps their contents, so a symbol
 * keeps its offset into its section; nosh has the stripped file's addresses.
 */
unsigned long long tu_nm_addr_fixture(const char *name, const char *v, const char *fl,
				      const char *sym)
{
	char exe[4096], sec[64];
	uint64_t a, exe_base, strip_base;

	snprintf(exe, sizeof(exe), "%s", tu_fixture(name, v, "exe"));
	if (!strcmp(fl, "exe") || !strcmp(fl, "pie"))
		return tu_nm_addr(tu_fixture(name, v, fl), sym);
	a = tu_nm_addr(exe, sym);
	exe_base = readelf_sec(exe, a, sec, sizeof(sec));
	strip_base = readelf_sec(tu_fixture(name, v, "stripped"), 0, sec, sizeof(sec));
	return a - exe_base + strip_base;
}
