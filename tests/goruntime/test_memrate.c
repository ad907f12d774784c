// SPDX-License-Identifier: MIT
/*
 * runtime.MemProfileRate: found in every fixture against two independent oracles (the
 * linker's symbols through `go tool nm` and readelf, and the running program's own
 * &runtime.MemProfileRate), then written into live fixtures (tests/fixtures/memrate)
 * that report the value they see and what their heap profiler recorded.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "elf_file.h"
#include "gobin.h"
#include "memrate.h"
#include "pclntab.h"
#include "procmaps.h"
#include "procmem.h"
#include "target.h"
#include "wordguard.h"
#include "testutil.h"
#include "x86dec.h"

#define NEW_RATE 4096 /* small enough that 64 KiB/ms of allocation is sampled at once */

/* ---- (a) the linker's symbols, every fixture, version and flavour ---- */

static const char *const fixture_names[] = {"symbols", "demo", "alloc", "gcwork", "memrate"};
#define NNAMES (sizeof(fixture_names) / sizeof(fixture_names[0]))

ParameterizedTestParameters(memrate_find, matches_linker_symbols)
{
	static int idx[NNAMES * TU_MAX_VERSIONS * 4];
	size_t per = tu_matrix_size(false), n = 0;
	int *pairs = tu_matrix_params(false);

	for (size_t k = 0; k < NNAMES; k++)
		for (size_t p = 0; p < per; p++)
			idx[n++] = (int)(k * 1024 + (size_t)pairs[p]);
	return cr_make_param_array(int, idx, n);
}

ParameterizedTest(int *i, memrate_find, matches_linker_symbols, .timeout = 120)
{
	const char *name = fixture_names[*i / 1024];
	const char *v, *fl;

	tu_matrix_entry(*i % 1024, &v, &fl);
	bool go119 = !strcmp(v, "go119");
	uint64_t want_rate = tu_nm_addr_fixture(name, v, fl, "runtime.MemProfileRate");
	uint64_t want_disable = tu_nm_addr_fixture(name, v, fl, "runtime.disableMemoryProfiling");
	uint64_t want_inittask = go119 ? tu_nm_addr_fixture(name, v, fl, "runtime..inittask") : 0;
	struct gmt_gobin *gb = tu_open_gobin(tu_fixture(name, v, fl));
	unsigned int modes[] = {0, GMT_MEMRATE_NO_SYMTAB};

	for (int m = 0; m < 2; m++) {
		const char *how = modes[m] ? "decoded" : "as used";
		struct gmt_memrate_vars mv;
		struct gmt_diag d = {};

		cr_assert_eq(gmt_memrate_find(gb, tu_release(gb), modes[m], &mv, &d), 0, "%s-%s-%s: found (%s): %s",
			     name, v, fl, how, d.msg);
		cr_expect_eq(mv.rate, want_rate, "%s-%s-%s: MemProfileRate %s %#llx, nm %#llx",
			     name, v, fl, how, (unsigned long long)mv.rate,
			     (unsigned long long)want_rate);
		cr_expect_eq(mv.disable, want_disable, "%s-%s-%s: disableMemoryProfiling %s (%s)",
			     name, v, fl, how, mv.why_disable);
		/* None of the matrix fixtures references runtime.MemProfile. */
		cr_expect(mv.profiling_disabled, "%s-%s-%s: the linker disabled profiling (%s)",
			  name, v, fl, how);
		cr_expect_eq(
		    mv.init, go119 ? GMT_MEMRATE_INIT_DYNAMIC : GMT_MEMRATE_INIT_STATIC,
		    "%s-%s-%s: go1.19 initialises the rate in runtime.init, later releases "
		    "in the file (%s)",
		    name, v, fl, how);
		cr_expect_eq(mv.inittask, want_inittask, "%s-%s-%s: runtime..inittask %s (%s)",
			     name, v, fl, how, mv.why_inittask);
		if (modes[m] == GMT_MEMRATE_NO_SYMTAB || gb->stripped)
			cr_expect_eq(mv.rate_src, GMT_MEMRATE_SRC_DECODED, "%s-%s-%s: decoded",
				     name, v, fl);
		else
			cr_expect_eq(mv.rate_src, GMT_MEMRATE_SRC_SYMTAB, "%s-%s-%s: from .symtab",
				     name, v, fl);
	}
	gmt_gobin__free(gb);
}

/* ---- (b) the running program's own &runtime.MemProfileRate ---- */

struct info {
	unsigned long long rate, marker;
	long long start;
};

static void parse_info(const char *out, struct info *in)
{
	const char *start = strstr(out, "start rate=");

	cr_assert_eq(sscanf(out, "addr rate=%llx marker=%llx", &in->rate, &in->marker), 2,
		     "fixture prints its addresses: %s", out);
	cr_assert(start && sscanf(start, "start rate=%lld", &in->start) == 1,
		  "fixture prints its start-up rate: %s", out);
}

/* Load bias from the program's own address of main.marker and the pclntab's. */
static uint64_t marker_bias(const struct gmt_gobin *gb, uint64_t marker)
{
	struct gmt_func_info fi;

	cr_assert_eq(gmt_pcln__func_by_name(gb->pcln, "main.marker", &fi), 0,
		     "pclntab has main.marker");
	return marker - fi.entry;
}

ParameterizedTestParameters(memrate_find, matches_running_program)
{
	return cr_make_param_array(int, tu_matrix_params(false), tu_matrix_size(false));
}

ParameterizedTest(int *i, memrate_find, matches_running_program, .timeout = 60)
{
	const char *v, *fl;

	tu_matrix_entry(*i, &v, &fl);
	const char *path = tu_fixture("memrate", v, fl);
	char *out = tu_run("%s -info", path);
	struct gmt_gobin *gb = tu_open_gobin(path);
	struct gmt_memrate_vars mv, dec;
	struct gmt_diag d = {};
	struct info in;
	uint64_t bias;

	parse_info(out, &in);
	bias = marker_bias(gb, in.marker);
	if (!gb->pie)
		cr_expect_eq(bias, 0, "%s-%s: no load bias without PIE", v, fl);
	cr_assert_eq(gmt_memrate_find(gb, tu_release(gb), 0, &mv, &d), 0, "%s-%s: found: %s", v, fl, d.msg);
	cr_assert_eq(gmt_memrate_find(gb, tu_release(gb), GMT_MEMRATE_NO_SYMTAB, &dec, &d), 0, "%s-%s: decoded: %s",
		     v, fl, d.msg);
	cr_expect_eq(mv.rate + bias, in.rate, "%s-%s: &MemProfileRate %#llx + bias %#llx = %#llx",
		     v, fl, (unsigned long long)mv.rate, (unsigned long long)bias, in.rate);
	cr_expect_eq(dec.rate + bias, in.rate, "%s-%s: decoded &MemProfileRate", v, fl);
	/* What profiling_disabled promises: the runtime zeroed the rate before main.main. */
	cr_expect(mv.profiling_disabled, "%s-%s: the linker disabled profiling", v, fl);
	cr_expect_eq(in.start, 0, "%s-%s: main.main saw the zeroed rate", v, fl);
	gmt_gobin__free(gb);
	free(out);
}

/* ---- (c) what is not there is not invented ---- */

/* A copy of path with patch() applied, at a temporary path the caller unlinks. */
static void patched_copy(const char *path, char *out, size_t outlen,
			 void (*patch)(struct gmt_gobin *gb, uint8_t *buf, void *ctx), void *ctx)
{
	size_t len;
	uint8_t *buf = tu_read_file(path, &len);
	struct gmt_gobin *gb = tu_open_gobin(path);
	int fd;

	patch(gb, buf, ctx);
	gmt_gobin__free(gb);
	snprintf(out, outlen, "/tmp/gmt-memrate-XXXXXX");
	fd = mkstemp(out);
	cr_assert(fd >= 0, "temporary file");
	cr_assert_eq(write(fd, buf, len), (ssize_t)len, "temporary copy written");
	close(fd);
	free(buf);
}

static void patch_initial_value(struct gmt_gobin *gb, uint8_t *buf, void *ctx)
{
	struct gmt_memrate_vars mv;
	uint64_t off;

	(void)ctx;
	cr_assert_eq(gmt_memrate_find(gb, tu_release(gb), 0, &mv, NULL), 0, "original: found");
	cr_assert_eq(gmt_elf__vaddr_to_off(gb->elf, mv.rate, &off), 0, "rate is in the file");
	memset(buf + off, 0, 8);
	buf[off] = 0xd2; /* 1234 */
	buf[off + 1] = 0x04;
}

static void patch_nextsample(struct gmt_gobin *gb, uint8_t *buf, void *ctx)
{
	static const char *const funcs[] = {"runtime.allocmcache", "runtime.profilealloc"};
	int *patched = ctx;

	/* Make `cmp reg, 1` compare with 2: the nextSample() idiom is gone. */
	for (int f = 0; f < 2; f++) {
		struct gmt_func_info fi;
		const uint8_t *code;

		cr_assert_eq(gmt_pcln__func_by_name(gb->pcln, funcs[f], &fi), 0, "%s", funcs[f]);
		code = gmt_gobin__func_code(gb, &fi);
		cr_assert(code, "%s code", funcs[f]);
		for (uint64_t pc = fi.entry; pc < fi.end;) {
			struct gmt_insn in;
			int n = gmt_x86_decode(code + (pc - fi.entry), fi.end - pc, pc, &in);
			uint64_t off;

			cr_assert(n > 0, "%s decodes", funcs[f]);
			if (in.opcode == 0x83 && in.opmap == 0 && !in.mem &&
			    ((in.modrm >> 3) & 7) == 7 && in.imm == 1 && in.opsize == 8) {
				cr_assert_eq(gmt_elf__vaddr_to_off(gb->elf, pc + n - 1, &off), 0);
				buf[off] = 2;
				(*patched)++;
			}
			pc += n;
		}
	}
}

Test(memrate_find, wrong_initial_value_is_rejected)
{
	char path[64];
	struct gmt_gobin *gb;
	struct gmt_memrate_vars mv;
	struct gmt_diag d = {};

	patched_copy(tu_fixture("memrate", "go126", "stripped"), path, sizeof(path),
		     patch_initial_value, NULL);
	gb = tu_open_gobin(path);
	cr_expect_eq(gmt_memrate_find(gb, tu_release(gb), 0, &mv, &d), -ENOENT,
		     "an address not holding 524288 is not MemProfileRate");
	cr_expect(strstr(d.msg, "holds 1234"), "the message says what the file holds: %s", d.msg);
	cr_expect_eq(mv.rate, 0, "no address is returned");
	gmt_gobin__free(gb);
	unlink(path);
}

Test(memrate_find, no_nextsample_idiom_is_enoent)
{
	char path[64];
	struct gmt_gobin *gb;
	struct gmt_memrate_vars mv;
	struct gmt_diag d = {};
	int patched = 0;

	patched_copy(tu_fixture("memrate", "go124", "nosh"), path, sizeof(path), patch_nextsample,
		     &patched);
	cr_assert_geq(patched, 2, "a `cmp reg, 1` patched in each function");
	gb = tu_open_gobin(path);
	cr_expect_eq(gmt_memrate_find(gb, tu_release(gb), 0, &mv, &d), -ENOENT, "stripped and not decodable");
	cr_expect(strstr(d.msg, "cannot find runtime.MemProfileRate"), "a clear message: %s",
		  d.msg);
	gmt_gobin__free(gb);
	unlink(path);
}

/* ---- live fixtures ---- */

struct fx {
	pid_t pid;
	int in, out; /* our ends of its stdin and stdout */
	char buf[16384];
	size_t len;
	bool reaped;
};

static void fx_pipes(int in[2], int out[2])
{
	cr_assert_eq(pipe2(in, O_CLOEXEC), 0, "stdin pipe");
	cr_assert_eq(pipe2(out, O_CLOEXEC), 0, "stdout pipe");
}

static void fx_spawn(struct fx *f, const char *path)
{
	int in[2], out[2];

	memset(f, 0, sizeof(*f));
	fx_pipes(in, out);
	f->pid = fork();
	cr_assert(f->pid >= 0, "fork");
	if (f->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	f->in = in[1];
	f->out = out[0];
}

/* Launch mode: gmt_target__launch() holds it at its first instruction. */
static void fx_launch(struct fx *f, const char *path, struct gmt_target *t)
{
	char *argv[] = {(char *)path, NULL};
	int in[2], out[2], save0 = dup(0), save1 = dup(1);
	struct gmt_diag d = {};
	int err;

	memset(f, 0, sizeof(*f));
	fx_pipes(in, out);
	dup2(in[0], 0);
	dup2(out[1], 1);
	err = gmt_target__launch(argv, t, &d);
	dup2(save0, 0);
	dup2(save1, 1);
	close(save0);
	close(save1);
	close(in[0]);
	close(out[1]);
	cr_assert_eq(err, 0, "%s launches: %s", path, d.msg);
	f->pid = t->pid;
	f->in = in[1];
	f->out = out[0];
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* The next line starting with prefix (earlier lines are dropped); false on timeout/EOF. */
static bool fx_line(struct fx *f, const char *prefix, char *line, size_t len)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		char *nl;

		while ((nl = memchr(f->buf, '\n', f->len))) {
			size_t n = nl - f->buf + 1;
			bool match = !strncmp(f->buf, prefix, strlen(prefix));

			if (match)
				snprintf(line, len, "%.*s", (int)(n - 1), f->buf);
			memmove(f->buf, f->buf + n, f->len - n);
			f->len -= n;
			if (match)
				return true;
		}
		long left = 10000 - ms_since(&t0);
		struct pollfd p = {.fd = f->out, .events = POLLIN};
		ssize_t r;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0 || f->len == sizeof(f->buf))
			return false;
		r = read(f->out, f->buf + f->len, sizeof(f->buf) - f->len);
		if (r <= 0)
			return false;
		f->len += r;
	}
}

struct report {
	long long rate, buckhash, profile;
};

static void fx_ask(struct fx *f, struct report *r)
{
	char line[256];

	cr_assert_eq(kill(f->pid, SIGUSR1), 0, "fixture is there to ask");
	cr_assert(fx_line(f, "rate=", line, sizeof(line)), "fixture reports");
	cr_assert_eq(sscanf(line, "rate=%lld buckhash=%lld profile=%lld", &r->rate, &r->buckhash,
			    &r->profile),
		     3, "report parses: %s", line);
}

static void fx_reap(struct fx *f)
{
	int status;

	if (!f->reaped && waitpid(f->pid, &status, 0) == f->pid)
		f->reaped = true;
}

/* Closing its stdin ends it; it prints the rate it exits with. */
static long long fx_finish(struct fx *f)
{
	char line[256];
	long long rate = -1;

	close(f->in);
	if (fx_line(f, "exit rate=", line, sizeof(line)))
		sscanf(line, "exit rate=%lld", &rate);
	else
		kill(f->pid, SIGKILL);
	fx_reap(f);
	close(f->out);
	return rate;
}

/* The started fixture: its info lines, its variables, and the runtime address of the rate. */
struct live {
	struct fx fx;
	struct info info;
	struct gmt_memrate_vars mv;
	uint64_t bias, addr;
};

static void live_vars(struct live *l, const char *path)
{
	struct gmt_gobin *gb = tu_open_gobin(path);
	const struct gmt_elf_seg *s = NULL;
	struct gmt_diag d = {};

	cr_assert_eq(gmt_memrate_find(gb, tu_release(gb), 0, &l->mv, &d), 0, "%s: found: %s", path, d.msg);
	/* The bias as the tracer gets it: the first PT_LOAD in /proc/PID/maps. */
	for (size_t i = 0; i < gmt_elf__nsegs(gb->elf); i++) {
		s = gmt_elf__seg(gb->elf, i);
		if (s->type == 1 /* PT_LOAD */)
			break;
	}
	cr_assert_eq(gmt_proc_load_bias(l->fx.pid, s->vaddr, s->off, &l->bias, &d), 0,
		     "load bias: %s", d.msg);
	l->addr = l->mv.rate + l->bias;
	gmt_gobin__free(gb);
}

static void live_start(struct live *l, const char *path)
{
	char line[256], all[512];

	memset(l, 0, sizeof(*l));
	fx_spawn(&l->fx, path);
	cr_assert(fx_line(&l->fx, "addr ", line, sizeof(line)), "%s prints its addresses", path);
	snprintf(all, sizeof(all), "%s\n", line);
	cr_assert(fx_line(&l->fx, "start ", line, sizeof(line)), "%s prints its start", path);
	strncat(all, line, sizeof(all) - strlen(all) - 1);
	parse_info(all, &l->info);
	live_vars(l, path);
	cr_assert_eq(l->addr, l->info.rate, "%s: static address + load bias = &MemProfileRate",
		     path);
}

static int64_t word(pid_t pid, uint64_t addr)
{
	struct gmt_diag d = {};
	int64_t v = -1;

	cr_assert_eq(gmt_proc_read_word(pid, addr, &v, &d), 0, "read PID %d: %s", (int)pid, d.msg);
	return v;
}

/* Asks until the heap profiler has added buckets, or 3 s. */
static bool wait_buckets(struct fx *f, long long before, struct report *r)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		usleep(50 * 1000);
		fx_ask(f, r);
		if (r->buckhash > before)
			return true;
	} while (ms_since(&t0) < 3000);
	return false;
}

static const char *const live_flavours[] = {"exe", "pie"};

/* PIE where the matrix builds it, else the stripped build. */
static const char *live_flavour(const char *v, int k)
{
	return tu_has(v, live_flavours[k]) ? live_flavours[k] : "stripped";
}

ParameterizedTestParameters(memrate_live, set_seen_restored)
{
	static int idx[TU_MAX_VERSIONS * 2];
	size_t n = tu_nversions * 2;

	for (size_t i = 0; i < n; i++)
		idx[i] = (int)i;
	return cr_make_param_array(int, idx, n);
}

ParameterizedTest(int *i, memrate_live, set_seen_restored, .timeout = 60)
{
	const char *v = tu_versions[*i / 2], *fl = live_flavour(v, *i % 2);
	struct gmt_word_guard *g = NULL;
	struct gmt_diag d = {};
	struct report r0, r1, r2;
	struct live l;

	live_start(&l, tu_fixture("memrate", v, fl));
	cr_expect_eq(word(l.fx.pid, l.addr), 0, "%s-%s: the runtime zeroed the rate", v, fl);
	usleep(100 * 1000);
	fx_ask(&l.fx, &r0);
	cr_expect_eq(r0.rate, 0, "%s-%s: the program sees rate 0", v, fl);

	cr_assert_eq(gmt_word_guard__set(l.fx.pid, l.addr, NEW_RATE, &g, &d), GMT_GUARD_WROTE,
		     "%s-%s: the guard writes: %s", v, fl, d.msg);
	cr_expect_eq(gmt_word_guard__original(g), 0, "%s-%s: original recorded", v, fl);
	cr_expect_eq(gmt_word_guard__written(g), NEW_RATE, "%s-%s: written recorded", v, fl);
	cr_expect(wait_buckets(&l.fx, r0.buckhash, &r1),
		  "%s-%s: the heap profiler records new stacks at the new rate (%lld -> %lld)", v,
		  fl, r0.buckhash, r1.buckhash);
	cr_expect_eq(r1.rate, NEW_RATE, "%s-%s: the program sees the new rate", v, fl);

	cr_expect_eq(gmt_word_guard__restore(g), GMT_GUARD_WROTE, "%s-%s: restored", v, fl);
	fx_ask(&l.fx, &r2);
	cr_expect_eq(r2.rate, 0, "%s-%s: the program sees the original again", v, fl);
	cr_expect_eq(gmt_word_guard__restore(g), GMT_GUARD_NOOP,
		     "%s-%s: restore is idempotent", v, fl);
	gmt_word_guard__free(g);
	cr_expect_eq(fx_finish(&l.fx), 0, "%s-%s: it exits with the original rate", v, fl);
}

ParameterizedTestParameters(memrate_live, program_changed_it_meanwhile)
{
	static int idx[TU_MAX_VERSIONS];

	for (size_t i = 0; i < tu_nversions; i++)
		idx[i] = (int)i;
	return cr_make_param_array(int, idx, tu_nversions);
}

ParameterizedTest(int *i, memrate_live, program_changed_it_meanwhile, .timeout = 60)
{
	const char *v = tu_versions[*i];
	struct gmt_word_guard *g = NULL;
	struct gmt_diag d = {};
	char line[256];
	struct report r;
	struct live l;

	live_start(&l, tu_fixture("memrate", v, "stripped"));
	cr_assert_eq(gmt_word_guard__set(l.fx.pid, l.addr, NEW_RATE, &g, &d), GMT_GUARD_WROTE,
		     "%s: the guard writes: %s", v, d.msg);
	cr_assert_eq(kill(l.fx.pid, SIGUSR2), 0, "ask the program to store its own rate");
	cr_assert(fx_line(&l.fx, "own rate=8192", line, sizeof(line)),
		  "%s: the program stored 8192", v);
	cr_expect_eq(gmt_word_guard__restore(g), GMT_GUARD_LEFT,
		     "%s: the program's own value is left", v);
	cr_expect_eq(gmt_word_guard__seen(g), 8192, "%s: restore says what it found", v);
	fx_ask(&l.fx, &r);
	cr_expect_eq(r.rate, 8192, "%s: the program keeps its rate", v);
	cr_expect_eq(gmt_word_guard__restore(g), GMT_GUARD_NOOP, "%s: nothing more to do", v);
	gmt_word_guard__free(g);
	cr_expect_eq(word(l.fx.pid, l.addr), 8192, "%s: free did not write either", v);
	cr_expect_eq(fx_finish(&l.fx), 8192, "%s: it exits with its own rate", v);
}

ParameterizedTestParameters(memrate_live, process_gone)
{
	static int idx[TU_MAX_VERSIONS];

	for (size_t i = 0; i < tu_nversions; i++)
		idx[i] = (int)i;
	return cr_make_param_array(int, idx, tu_nversions);
}

ParameterizedTest(int *i, memrate_live, process_gone, .timeout = 60)
{
	const char *v = tu_versions[*i];
	struct gmt_word_guard *g = NULL, *g2 = NULL;
	struct gmt_diag d = {};
	int64_t val;
	struct live l, l2;

	/* A zombie: exited, not reaped, its PID still there. */
	live_start(&l, tu_fixture("memrate", v, "exe"));
	cr_assert_eq(gmt_word_guard__set(l.fx.pid, l.addr, NEW_RATE, &g, &d), GMT_GUARD_WROTE,
		     "%s: the guard writes: %s", v, d.msg);
	kill(l.fx.pid, SIGKILL);
	usleep(100 * 1000);
	cr_expect_eq(gmt_word_guard__restore(g), -ESRCH, "%s: a zombie is gone", v);
	cr_expect_eq(gmt_word_guard__restore(g), GMT_GUARD_NOOP, "%s: then nothing to do", v);
	cr_expect_eq(gmt_proc_read_word(l.fx.pid, l.addr, &val, &d), -ESRCH, "%s: zombie read", v);
	gmt_word_guard__free(g);

	/* Reaped: the PID no longer exists. */
	live_start(&l2, tu_fixture("memrate", v, live_flavour(v, 1)));
	cr_assert_eq(gmt_word_guard__set(l2.fx.pid, l2.addr, NEW_RATE, &g2, &d),
		     GMT_GUARD_WROTE, "%s: the guard writes: %s", v, d.msg);
	kill(l2.fx.pid, SIGKILL);
	fx_reap(&l2.fx);
	cr_expect_eq(gmt_word_guard__restore(g2), -ESRCH, "%s: a reaped process is gone", v);
	cr_expect_eq(gmt_word_guard__restore(g2), GMT_GUARD_NOOP, "%s: then nothing to do", v);
	gmt_word_guard__free(g2);
	cr_expect_eq(gmt_proc_read_word(l2.fx.pid, l2.addr, &val, &d), -ESRCH, "%s: reaped read", v);
	cr_expect_eq(gmt_word_guard__set(l2.fx.pid, l2.addr, NEW_RATE, &g2, &d), -ESRCH,
		     "%s: no guard for a process that is gone", v);
	cr_expect_null(g2, "%s: and no object", v);

	fx_reap(&l.fx);
	close(l.fx.in);
	close(l.fx.out);
	close(l2.fx.in);
	close(l2.fx.out);
}

Test(memrate_live, already_at_that_rate_and_bad_addresses, .timeout = 60)
{
	struct gmt_word_guard *g = NULL;
	struct gmt_diag d = {};
	int64_t val;
	struct live l;

	live_start(&l, tu_fixture("memrate", "go126", "exe"));
	cr_expect_eq(gmt_word_guard__set(l.fx.pid, l.addr, 0, &g, &d), GMT_GUARD_ALREADY,
		     "the rate is 0 already: nothing written");
	cr_expect_eq(gmt_word_guard__restore(g), GMT_GUARD_NOOP, "so nothing to restore");
	gmt_word_guard__free(g);
	cr_expect_eq(gmt_word_guard__restore(NULL), GMT_GUARD_NOOP, "NULL guard");
	cr_expect_eq(gmt_proc_read_word(l.fx.pid, l.addr + 4, &val, &d), -EINVAL, "unaligned");
	cr_expect_eq(gmt_proc_write_word(l.fx.pid, 8, 1, &d), -EIO, "nothing mapped at 8");
	cr_expect(strstr(d.msg, "nothing is mapped"), "the message says so: %s", d.msg);
	cr_expect_eq(gmt_proc_write_word(l.fx.pid, l.info.marker & ~7ULL, 1, &d), -EFAULT,
		     "no write into the program's code");
	cr_expect_eq(gmt_word_guard__set(l.fx.pid, l.info.marker & ~7ULL, 1, &g, &d), -EFAULT,
		     "no guard on the program's code");
	cr_expect(strstr(d.msg, "read-only"), "the message says why: %s", d.msg);
	cr_expect_eq(fx_finish(&l.fx), 0, "the program was not changed");
}

/* ---- launch mode ---- */

ParameterizedTestParameters(memrate_launch, wait_then_write)
{
	static int idx[TU_MAX_VERSIONS * 2];
	size_t n = tu_nversions * 2;

	for (size_t i = 0; i < n; i++)
		idx[i] = (int)i;
	return cr_make_param_array(int, idx, n);
}

/*
 * The tracer's launch sequence: held at exec, released, wait for the runtime's start-up
 * store, then write.  The rate written must stick: the program reports it, and its heap
 * profiler records at it.
 */
ParameterizedTest(int *i, memrate_launch, wait_then_write, .timeout = 60)
{
	const char *v = tu_versions[*i / 2], *fl = live_flavour(v, *i % 2);
	bool go119 = !strcmp(v, "go119");
	struct gmt_word_guard *g = NULL;
	struct gmt_target t;
	struct gmt_diag d = {};
	struct report r0, r1;
	char line[256];
	int64_t rate = -1;
	struct live l;

	memset(&l, 0, sizeof(l));
	fx_launch(&l.fx, tu_fixture("memrate", v, fl), &t);
	live_vars(&l, tu_fixture("memrate", v, fl));
	cr_expect_eq(word(t.pid, l.addr), go119 ? 0 : GMT_MEMRATE_DEFAULT,
		     "%s-%s: at exec the word holds its file value", v, fl);
	if (go119)
		cr_expect_eq(word(t.pid, l.mv.inittask + l.bias), 0,
			     "%s-%s: runtime..inittask not started at exec", v, fl);
	cr_assert_eq(gmt_target__release(&t, &d), 0, "release: %s", d.msg);
	cr_assert_eq(gmt_memrate_wait_startup(t.pid, &l.mv, l.bias, 5000, &rate, &d), 0,
		     "%s-%s: start-up seen: %s", v, fl, d.msg);
	cr_expect_eq(rate, 0, "%s-%s: the runtime zeroed the rate", v, fl);
	cr_assert_eq(gmt_word_guard__set(t.pid, l.addr, NEW_RATE, &g, &d), GMT_GUARD_WROTE,
		     "%s-%s: written: %s", v, fl, d.msg);

	cr_assert(fx_line(&l.fx, "start ", line, sizeof(line)), "%s-%s: main.main ran", v, fl);
	usleep(50 * 1000);
	fx_ask(&l.fx, &r0);
	cr_expect_eq(r0.rate, NEW_RATE, "%s-%s: the written rate stuck", v, fl);
	cr_expect(wait_buckets(&l.fx, r0.buckhash, &r1) || r0.buckhash > 0,
		  "%s-%s: the heap profiler records", v, fl);
	cr_expect_eq(gmt_word_guard__restore(g), GMT_GUARD_WROTE, "%s-%s: restored", v, fl);
	gmt_word_guard__free(g);
	cr_expect_eq(fx_finish(&l.fx), 0, "%s-%s: exits with the original rate", v, fl);
	gmt_target__close(&t);
}

ParameterizedTestParameters(memrate_launch, write_at_exec_is_undone)
{
	static int idx[TU_MAX_VERSIONS];

	for (size_t i = 0; i < tu_nversions; i++)
		idx[i] = (int)i;
	return cr_make_param_array(int, idx, tu_nversions);
}

/* Why the wait exists: a rate written before the runtime starts does not survive it. */
ParameterizedTest(int *i, memrate_launch, write_at_exec_is_undone, .timeout = 60)
{
	const char *v = tu_versions[*i];
	struct gmt_target t;
	struct gmt_diag d = {};
	struct report r;
	char line[256];
	int64_t rate = -1;
	struct live l;

	memset(&l, 0, sizeof(l));
	fx_launch(&l.fx, tu_fixture("memrate", v, "exe"), &t);
	live_vars(&l, tu_fixture("memrate", v, "exe"));
	cr_assert_eq(gmt_proc_write_word(t.pid, l.addr, NEW_RATE, &d), 0, "write at exec: %s", d.msg);
	cr_assert_eq(gmt_target__release(&t, &d), 0, "release: %s", d.msg);
	cr_assert_eq(gmt_memrate_wait_startup(t.pid, &l.mv, l.bias, 5000, &rate, &d), 0,
		     "%s: start-up seen: %s", v, d.msg);
	cr_expect_eq(rate, 0, "%s: the runtime's start-up store replaced ours", v);
	cr_assert(fx_line(&l.fx, "start ", line, sizeof(line)), "%s: main.main ran", v);
	cr_expect_str_eq(line, "start rate=0", "%s: main.main saw 0", v);
	fx_ask(&l.fx, &r);
	cr_expect_eq(r.rate, 0, "%s: and it stays 0", v);
	fx_finish(&l.fx);
	gmt_target__close(&t);
}

/* ---- a binary that links the heap profile reader ---- */

/* Builds tests/fixtures/memrate with -tags memprofile using a toolchain on this machine. */
static bool build_memprofile(const char *go, char *out, size_t len)
{
	const char *root = getenv("GMT_SOURCE_ROOT");
	struct stat st;
	char *r;

	if (stat(go, &st) < 0)
		return false;
	cr_assert(root, "GMT_SOURCE_ROOT is not set: run through meson test");
	snprintf(out, len, "/tmp/gmt-memprofile-%d-%ld", (int)getpid(), (long)time(NULL));
	r = tu_run(
	    "cd %s/tests/fixtures && GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0 %s build "
	    "-tags memprofile -o %s ./memrate 2>&1",
	    root, go, out);
	free(r);
	return true;
}

ParameterizedTestParameters(memrate_launch, profile_reader_linked)
{
	static int idx[2] = {0, 1};

	return cr_make_param_array(int, idx, 2);
}

/* The rate is the runtime's 524288 and nothing is zeroed: no wait, no write needed. */
ParameterizedTest(int *i, memrate_launch, profile_reader_linked, .timeout = 120)
{
	static const char *const gos[] = {"/usr/lib/go-1.19/bin/go", "/usr/local/go/bin/go"};
	struct gmt_memrate_vars mv;
	struct gmt_gobin *gb;
	struct gmt_target t;
	struct gmt_diag d = {};
	struct report r;
	char path[128], line[256];
	int64_t rate = -1;
	struct live l;

	if (!build_memprofile(gos[*i], path, sizeof(path)))
		cr_assert_fail("%s is not installed (scripts/setup.sh installs it)", gos[*i]);
	gb = tu_open_gobin(path);
	cr_assert_eq(gmt_memrate_find(gb, tu_release(gb), GMT_MEMRATE_NO_SYMTAB, &mv, &d), 0, "%s: found: %s",
		     gos[*i], d.msg);
	cr_expect_eq(mv.disable, tu_nm_addr(path, "runtime.disableMemoryProfiling"),
		     "%s: disableMemoryProfiling decoded", gos[*i]);
	cr_expect_not(mv.profiling_disabled, "%s: the linker left profiling on", gos[*i]);
	gmt_gobin__free(gb);

	memset(&l, 0, sizeof(l));
	fx_launch(&l.fx, path, &t);
	live_vars(&l, path);
	cr_assert_eq(gmt_target__release(&t, &d), 0, "release: %s", d.msg);
	cr_assert_eq(gmt_memrate_wait_startup(t.pid, &l.mv, l.bias, 5000, &rate, &d), 0,
		     "%s: start-up seen: %s", gos[*i], d.msg);
	cr_expect_eq(rate, GMT_MEMRATE_DEFAULT, "%s: the runtime kept 524288", gos[*i]);
	cr_assert(fx_line(&l.fx, "start ", line, sizeof(line)), "main.main ran");
	cr_expect_str_eq(line, "start rate=524288", "%s: main.main saw 524288", gos[*i]);
	usleep(100 * 1000);
	fx_ask(&l.fx, &r);
	cr_expect_gt(r.profile, 0, "%s: its heap profile has records", gos[*i]);
	fx_finish(&l.fx);
	gmt_target__close(&t);
	unlink(path);
}
