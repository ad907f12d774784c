// SPDX-License-Identifier: MIT
#include "memrate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "elf_file.h"
#include "gobin.h"
#include "go_release.h"
#include "rtvars.h"
#include "target.h"
#include "x86dec.h"

/* ---- finding the variable ---- */

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/*
 * The inlined nextSample() starts `if MemProfileRate == 1`: an 8-byte RIP-relative load
 * into a register that a `cmp reg, 1` tests a few instructions later.  The scan is linear
 * (no control flow), so it forgets a register only when a call clobbers it or a load
 * from memory replaces it: go1.24+ puts `MOVQ $maxInt64, SI` on the path of rate == 0
 * between the load and the compare.
 */
#define CMP_WINDOW 12

struct read_scan {
	uint64_t src[16]; /* global last loaded into the register, 0 if none */
	int at[16];	  /* index of that load */
	int n;		  /* instructions seen */
	uint64_t found;
	bool conflict;
};

static bool is_cmp_reg_1(const struct gmt_insn *in)
{
	return in->opmap == 0 && (in->opcode == 0x83 || in->opcode == 0x81) && in->has_modrm &&
	       !in->mem && ((in->modrm >> 3) & 7) == 7 && in->opsize == 8 && in->imm == 1;
}

static int read_cb(const struct gmt_insn *in, void *ctx)
{
	struct read_scan *s = ctx;
	int n = s->n++;

	if (in->kind == GMT_INSN_CALL || in->kind == GMT_INSN_CALL_IND) {
		memset(s->src, 0, sizeof(s->src));
		return 0;
	}
	if (gmt_rtvars_is_rip_load64(in) && in->reg < 16) {
		s->src[in->reg] = in->mem_target;
		s->at[in->reg] = n;
		return 0;
	}
	if (is_cmp_reg_1(in) && in->rm < 16 && s->src[in->rm] && n - s->at[in->rm] <= CMP_WINDOW) {
		if (s->found && s->found != s->src[in->rm])
			s->conflict = true;
		s->found = s->src[in->rm];
		return 0;
	}
	if (in->opmap == 0 && in->opcode == 0x8b && in->has_modrm && in->reg < 16)
		s->src[in->reg] = 0;
	return 0;
}

int gmt_memrate_decode_rate(const struct gmt_gobin *gb, uint64_t *rate)
{
	/* Small in every release 1.19-1.27, and both call nextSample() inlined. */
	static const char *const funcs[] = {"runtime.allocmcache", "runtime.profilealloc"};
	uint64_t found = 0;

	for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++) {
		struct read_scan s = {.n = 0};

		if (gmt_rtvars_walk_func(gb, funcs[i], read_cb, &s) || !s.found)
			continue;
		if (s.conflict || (found && found != s.found))
			return -ENOENT; /* the functions disagree: trust neither */
		found = s.found;
	}
	if (!found)
		return -ENOENT;
	*rate = found;
	return 0;
}

/*
 * The start-up store: go1.20+ schedinit
 *	CMPB $0, runtime.disableMemoryProfiling(SB); JEQ ...; MOVQ $0, runtime.MemProfileRate(SB)
 * go1.19 runtime.init (defaultMemProfileRate inlined)
 *	MOVZX runtime.disableMemoryProfiling(SB), AX; TESTQ AX, AX; MOVL $0x80000, AX;
 *	MOVL $0, CX; CMOVNE CX, AX; MOVQ AX, runtime.MemProfileRate(SB)
 * The bool is the byte operand read at most BYTE_WINDOW instructions before the store.
 */
#define BYTE_WINDOW 6

struct start_scan {
	uint64_t rate;
	uint64_t byte_src; /* last RIP-relative byte operand */
	int byte_at;
	int n;
	int stores; /* 8-byte stores to rate */
	uint64_t found;
	bool conflict;
};

static bool rip_byte_operand(const struct gmt_insn *in)
{
	if (!in->rip_rel || !in->has_modrm)
		return false;
	if (in->opmap == 1)
		return in->opcode == 0xb6 || in->opcode == 0xbe; /* movzx / movsx r, m8 */
	return in->opmap == 0 && in->opsize == 1 &&
	       (in->opcode == 0x80 || in->opcode == 0x8a || in->opcode == 0x38 ||
		in->opcode == 0x3a || in->opcode == 0x84 || in->opcode == 0xf6);
}

static bool is_store64_to(const struct gmt_insn *in, uint64_t addr)
{
	return in->rip_rel && in->mem_target == addr && in->opmap == 0 && in->opsize == 8 &&
	       (in->opcode == 0x89 || (in->opcode == 0xc7 && ((in->modrm >> 3) & 7) == 0));
}

static int start_cb(const struct gmt_insn *in, void *ctx)
{
	struct start_scan *s = ctx;
	int n = s->n++;

	if (rip_byte_operand(in)) {
		s->byte_src = in->mem_target;
		s->byte_at = n;
		return 0;
	}
	if (!is_store64_to(in, s->rate))
		return 0;
	s->stores++;
	if (s->byte_src && n - s->byte_at <= BYTE_WINDOW) {
		if (s->found && s->found != s->byte_src)
			s->conflict = true;
		s->found = s->byte_src;
	}
	return 0;
}

static int scan_start(const struct gmt_gobin *gb, const char *func, uint64_t rate,
		      struct start_scan *s)
{
	memset(s, 0, sizeof(*s));
	s->rate = rate;
	return gmt_rtvars_walk_func(gb, func, start_cb, s);
}

int gmt_memrate_decode_disable(const struct gmt_gobin *gb, uint64_t rate, uint64_t *disable)
{
	static const char *const funcs[] = {"runtime.schedinit", "runtime.init"};
	uint64_t found = 0;

	for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++) {
		struct start_scan s;

		if (scan_start(gb, funcs[i], rate, &s) || !s.found)
			continue;
		if (s.conflict || (found && found != s.found))
			return -ENOENT;
		found = s.found;
	}
	if (!found)
		return -ENOENT;
	*disable = found;
	return 0;
}

struct init_scan {
	const struct gmt_gobin *gb;
	uint64_t rax; /* target of the RIP-relative LEA last loaded into RAX, 0 if none */
	uint64_t found;
};

/* go1.19 runtime.main: `doInit(&runtime_inittask)` is its first doInit call. */
static int init_cb(const struct gmt_insn *in, void *ctx)
{
	struct init_scan *s = ctx;
	const char *callee;

	if (gmt_rtvars_is_rip_lea_to(in, 0)) {
		s->rax = in->mem_target;
		return 0;
	}
	callee = gmt_rtvars_call_target(s->gb, in);
	if (callee && strcmp(callee, "runtime.doInit") == 0) {
		s->found = s->rax;
		return 1;
	}
	if (gmt_rtvars_writes_reg(in, 0))
		s->rax = 0;
	return 0;
}

int gmt_memrate_decode_inittask(const struct gmt_gobin *gb, uint64_t *inittask)
{
	struct init_scan s = {.gb = gb};

	if (gmt_rtvars_walk_func(gb, "runtime.main", init_cb, &s) || !s.found)
		return -ENOENT;
	*inittask = s.found;
	return 0;
}

static const char *src_name(enum gmt_memrate_src src)
{
	return src == GMT_MEMRATE_SRC_SYMTAB ? "symbol" : "decoded";
}

/* An aligned word the program writes, holding 524288 in the file or set by runtime.init. */
static int validate_rate(const struct gmt_gobin *gb, const struct gmt_go_release *row,
			 struct gmt_memrate_vars *v, struct gmt_diag *d)
{
	const uint8_t *p;
	struct start_scan s;

	if ((v->rate & 7) || !gmt_rtvars_writable(gb->elf, v->rate, 8))
		return gmt_diag_set(d, -ENOENT,
				    "%s: the %s runtime.MemProfileRate (%#llx) is not an aligned "
				    "word in a writable segment",
				    gb->path, src_name(v->rate_src), (unsigned long long)v->rate);
	p = gmt_elf__vaddr_ptr(gb->elf, v->rate, 8);
	if (p) {
		uint64_t val = le64(p);

		if (val != GMT_MEMRATE_DEFAULT)
			return gmt_diag_set(d, -ENOENT,
					    "%s: the %s runtime.MemProfileRate (%#llx) holds %llu "
					    "in the file, not %d",
					    gb->path, src_name(v->rate_src),
					    (unsigned long long)v->rate, (unsigned long long)val,
					    GMT_MEMRATE_DEFAULT);
		v->init = GMT_MEMRATE_INIT_STATIC;
		return 0;
	}
	/* Zero-filled: only go1.19's dynamic initialisation puts it there. */
	if (row->flags & GMT_REL_MEMPROFRATE_STATIC)
		return gmt_diag_set(d, -ENOENT,
				    "%s: the %s runtime.MemProfileRate (%#llx) is zero-filled, but "
				    "%s initialises it in the file",
				    gb->path, src_name(v->rate_src), (unsigned long long)v->rate,
				    row->version);
	if (scan_start(gb, "runtime.init", v->rate, &s) || !s.stores)
		return gmt_diag_set(d, -ENOENT,
				    "%s: the %s runtime.MemProfileRate (%#llx) is zero-filled and "
				    "runtime.init does not store to it",
				    gb->path, src_name(v->rate_src), (unsigned long long)v->rate);
	v->init = GMT_MEMRATE_INIT_DYNAMIC;
	return 0;
}

static void find_disable(const struct gmt_gobin *gb, unsigned int flags, struct gmt_memrate_vars *v)
{
	const uint8_t *p;

	if (!(flags & GMT_MEMRATE_NO_SYMTAB) &&
	    gmt_rtvars_sym_addr(gb, "runtime.disableMemoryProfiling", &v->disable)) {
		v->disable_src = GMT_MEMRATE_SRC_SYMTAB;
	} else if (!gmt_memrate_decode_disable(gb, v->rate, &v->disable)) {
		v->disable_src = GMT_MEMRATE_SRC_DECODED;
	} else {
		snprintf(v->why_disable, sizeof(v->why_disable),
			 "runtime.disableMemoryProfiling: no symbol, and no byte tested before "
			 "the start-up store to MemProfileRate in schedinit / runtime.init");
		return;
	}
	/* The linker's `true` is initialised data; the runtime's own `false` is zero-filled. */
	p = gmt_elf__vaddr_ptr(gb->elf, v->disable, 1);
	if (!gmt_rtvars_writable(gb->elf, v->disable, 1) || (p && *p > 1)) {
		snprintf(v->why_disable, sizeof(v->why_disable),
			 "runtime.disableMemoryProfiling (%s, %#llx) is not a bool in writable "
			 "memory",
			 src_name(v->disable_src), (unsigned long long)v->disable);
		v->disable = 0;
		v->disable_src = GMT_MEMRATE_SRC_NONE;
		return;
	}
	v->profiling_disabled = p && *p;
}

static void find_inittask(const struct gmt_gobin *gb, unsigned int flags,
			  struct gmt_memrate_vars *v)
{
	const uint8_t *p;
	const char *how = "symbol";

	if (!(flags & GMT_MEMRATE_NO_SYMTAB) &&
	    gmt_rtvars_sym_addr(gb, "runtime..inittask", &v->inittask)) {
		;
	} else if (!gmt_memrate_decode_inittask(gb, &v->inittask)) {
		how = "decoded";
	} else {
		snprintf(v->why_inittask, sizeof(v->why_inittask),
			 "runtime..inittask: no symbol, and runtime.main has no `LEAQ x(SB), AX; "
			 "CALL runtime.doInit`");
		return;
	}
	/* initTask{state, ndeps, nfns uintptr}: not yet started in the file. */
	p = gmt_elf__vaddr_ptr(gb->elf, v->inittask, 24);
	if (!gmt_rtvars_writable(gb->elf, v->inittask, 24) || (v->inittask & 7) ||
	    (p && (le64(p) != 0 || le64(p + 16) > 4096))) {
		snprintf(v->why_inittask, sizeof(v->why_inittask),
			 "runtime..inittask (%s, %#llx) does not look like an initTask", how,
			 (unsigned long long)v->inittask);
		v->inittask = 0;
	}
}

int gmt_memrate_find(const struct gmt_gobin *gb, const struct gmt_go_release *row,
		     unsigned int flags, struct gmt_memrate_vars *v, struct gmt_diag *d)
{
	int err;

	memset(v, 0, sizeof(*v));
	if (!gb || !gb->elf || !gb->pcln || !row)
		return gmt_diag_set(d, -EINVAL, "not a readable Go binary");
	if (!(flags & GMT_MEMRATE_NO_SYMTAB) &&
	    gmt_rtvars_sym_addr(gb, "runtime.MemProfileRate", &v->rate)) {
		v->rate_src = GMT_MEMRATE_SRC_SYMTAB;
	} else if (!gmt_memrate_decode_rate(gb, &v->rate)) {
		v->rate_src = GMT_MEMRATE_SRC_DECODED;
	} else {
		return gmt_diag_set(d, -ENOENT,
				    "%s: cannot find runtime.MemProfileRate: no symbol, and "
				    "runtime.allocmcache / runtime.profilealloc do not show the "
				    "`MemProfileRate == 1` test of nextSample()",
				    gb->path);
	}
	err = validate_rate(gb, row, v, d);
	if (err) {
		v->rate = 0;
		v->rate_src = GMT_MEMRATE_SRC_NONE;
		return err;
	}
	find_disable(gb, flags, v);
	if (v->init == GMT_MEMRATE_INIT_DYNAMIC)
		find_inittask(gb, flags, v);
	return 0;
}

/* ---- the live process ---- */

/*
 * /proc/PID/mem transfers nothing (0 bytes) once the process has no address space any
 * more: it exited (zombie or reaped), or exec'd another program, so the word we wrote
 * is gone with it.
 */
static int word_io(int fd, uint64_t addr, int64_t *val, bool write)
{
	uint8_t buf[8];
	ssize_t n;

	if (addr & 7)
		return -EINVAL;
	if (write) {
		uint64_t u = (uint64_t)*val;

		for (int i = 0; i < 8; i++)
			buf[i] = (uint8_t)(u >> (8 * i));
	}
	do {
		n = write ? pwrite(fd, buf, 8, (off_t)addr) : pread(fd, buf, 8, (off_t)addr);
	} while (n < 0 && errno == EINTR);
	if (n == 0)
		return -ESRCH;
	if (n < 0)
		return -errno;
	if (n != 8)
		return -EIO;
	if (!write)
		*val = (int64_t)le64(buf);
	return 0;
}

static int word_diag(struct gmt_diag *d, int err, pid_t pid, uint64_t addr, bool write)
{
	if (err == -ESRCH)
		return gmt_diag_set(d, err, "PID %d is gone", (int)pid);
	return gmt_diag_set(d, err, "cannot %s PID %d's memory at %#llx: %s",
			    write ? "write" : "read", (int)pid, (unsigned long long)addr,
			    strerror(-err));
}

/*
 * /proc/PID/mem writes with FOLL_FORCE: it would as happily patch the program's code.  A
 * wrong load bias must not turn into that, so writes go only to writable mappings.
 */
static int check_writable(pid_t pid, uint64_t addr, struct gmt_diag *d)
{
	char path[64], line[512];
	int lines = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f && errno == ENOENT)
		return gmt_diag_set(d, -ESRCH, "PID %d is gone", (int)pid);
	if (!f)
		return gmt_diag_set(d, -errno, "cannot read %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end;
		char perms[8];

		lines++;
		if (sscanf(line, "%llx-%llx %7s", &start, &end, perms) != 3 || addr < start ||
		    addr + 8 > end)
			continue;
		fclose(f);
		if (perms[1] != 'w')
			return gmt_diag_set(d, -EFAULT,
					    "PID %d: %#llx is in a read-only mapping (%s): not a "
					    "variable",
					    (int)pid, (unsigned long long)addr, perms);
		return 0;
	}
	fclose(f);
	/* An empty maps file: a zombie, its address space is gone. */
	if (!lines)
		return gmt_diag_set(d, -ESRCH, "PID %d is gone", (int)pid);
	return gmt_diag_set(d, -EIO, "PID %d: nothing is mapped at %#llx", (int)pid,
			    (unsigned long long)addr);
}

static int word_once(pid_t pid, uint64_t addr, int64_t *val, bool write, struct gmt_diag *d)
{
	int fd, err;

	if (addr & 7)
		return gmt_diag_set(d, -EINVAL, "%#llx is not an aligned word",
				    (unsigned long long)addr);
	if (write) {
		err = check_writable(pid, addr, d);
		if (err)
			return err;
	}
	fd = gmt_proc_open_mem(pid, write ? O_RDWR : O_RDONLY, d);
	if (fd < 0)
		return fd;
	err = word_io(fd, addr, val, write);
	close(fd);
	return err ? word_diag(d, err, pid, addr, write) : 0;
}

int gmt_memrate_read(pid_t pid, uint64_t addr, int64_t *val, struct gmt_diag *d)
{
	return word_once(pid, addr, val, false, d);
}

int gmt_memrate_write(pid_t pid, uint64_t addr, int64_t val, struct gmt_diag *d)
{
	return word_once(pid, addr, &val, true, d);
}

struct gmt_memrate_guard {
	int fd;
	pid_t pid;
	uint64_t addr;
	int64_t original, written, seen;
	bool armed; /* we wrote, and have not restored or given up yet */
};

int gmt_memrate_guard__set(pid_t pid, uint64_t addr, int64_t rate, struct gmt_memrate_guard **out,
			   struct gmt_diag *d)
{
	struct gmt_memrate_guard *g;
	bool wrote = false;
	int err;

	*out = NULL;
	if (addr & 7)
		return gmt_diag_set(d, -EINVAL, "%#llx is not an aligned word",
				    (unsigned long long)addr);
	err = check_writable(pid, addr, d);
	if (err)
		return err;
	g = calloc(1, sizeof(*g));
	if (!g)
		return gmt_diag_set(d, -ENOMEM, "out of memory");
	g->pid = pid;
	g->addr = addr;
	g->written = rate;
	g->fd = gmt_proc_open_mem(pid, O_RDWR, d);
	if (g->fd < 0) {
		err = g->fd;
		free(g);
		return err;
	}
	err = word_io(g->fd, addr, &g->original, false);
	if (err)
		goto fail;
	if (g->original == rate) {
		*out = g;
		return GMT_MEMRATE_ALREADY;
	}
	wrote = true;
	err = word_io(g->fd, addr, &rate, true);
	if (err)
		goto fail;
	g->armed = true;
	*out = g;
	return GMT_MEMRATE_WROTE;
fail:
	word_diag(d, err, pid, addr, wrote);
	close(g->fd);
	free(g);
	return err;
}

int gmt_memrate_guard__restore(struct gmt_memrate_guard *g)
{
	int64_t cur;
	int err;

	if (!g || !g->armed)
		return GMT_MEMRATE_NOOP;
	err = word_io(g->fd, g->addr, &cur, false);
	if (err == -ESRCH)
		g->armed = false;
	if (err)
		return err;
	if (cur != g->written) {
		g->seen = cur;
		g->armed = false;
		return GMT_MEMRATE_LEFT;
	}
	err = word_io(g->fd, g->addr, &g->original, true);
	if (err && err != -ESRCH)
		return err;
	g->armed = false;
	return err ? err : GMT_MEMRATE_WROTE;
}

int64_t gmt_memrate_guard__original(const struct gmt_memrate_guard *g)
{
	return g->original;
}

int64_t gmt_memrate_guard__written(const struct gmt_memrate_guard *g)
{
	return g->written;
}

int64_t gmt_memrate_guard__seen(const struct gmt_memrate_guard *g)
{
	return g->seen;
}

void gmt_memrate_guard__free(struct gmt_memrate_guard *g)
{
	if (!g)
		return;
	gmt_memrate_guard__restore(g);
	close(g->fd);
	free(g);
}

/* ---- launch mode: the end of the runtime's start-up ---- */

enum wait_for {
	WAIT_NOTHING,	/* the runtime keeps the value it starts with */
	WAIT_RATE_ZERO, /* schedinit zeroes it */
	WAIT_RATE_SET,	/* go1.19 runtime.init stores 524288 */
	WAIT_INITTASK,	/* go1.19: runtime..inittask.state == 2 */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool reached(enum wait_for what, int64_t rate, int64_t state)
{
	switch (what) {
	case WAIT_NOTHING:
		return true;
	case WAIT_RATE_ZERO:
		return rate == 0;
	case WAIT_RATE_SET:
		return rate != 0;
	case WAIT_INITTASK:
		return state == 2;
	}
	return true;
}

int gmt_memrate_wait_startup(pid_t pid, const struct gmt_memrate_vars *v, uint64_t bias,
			     unsigned int timeout_ms, int64_t *rate, struct gmt_diag *d)
{
	static const char *const what_text[] = {
	    [WAIT_NOTHING] = "nothing",
	    [WAIT_RATE_ZERO] = "schedinit to zero MemProfileRate",
	    [WAIT_RATE_SET] = "runtime.init to set MemProfileRate",
	    [WAIT_INITTASK] = "runtime.init to finish",
	};
	const struct timespec poll = {.tv_nsec = GMT_MEMRATE_POLL_US * 1000L};
	bool enabled = v->disable && !v->profiling_disabled;
	enum wait_for what;
	uint64_t deadline = now_ms() + timeout_ms;
	int fd, err = 0;

	if (v->init == GMT_MEMRATE_INIT_STATIC)
		/* Without the bool, wait as if disabled: a timeout then tells the caller. */
		what = enabled ? WAIT_NOTHING : WAIT_RATE_ZERO;
	else if (v->inittask)
		what = WAIT_INITTASK;
	else if (enabled)
		what = WAIT_RATE_SET;
	else
		return gmt_diag_set(d, -ENOENT,
				    "go1.19 start-up: without runtime..inittask there is no way to "
				    "tell when runtime.init has stored MemProfileRate");
	fd = gmt_proc_open_mem(pid, O_RDONLY, d);
	if (fd < 0)
		return fd;
	for (;;) {
		int64_t state = 0;

		/* The state first: once it reads 2, the rate read after it is final. */
		if (what == WAIT_INITTASK)
			err = word_io(fd, v->inittask + bias, &state, false);
		if (!err)
			err = word_io(fd, v->rate + bias, rate, false);
		if (err) {
			word_diag(d, err, pid, v->rate + bias, false);
			break;
		}
		if (reached(what, *rate, state))
			break;
		if (now_ms() >= deadline) {
			err = gmt_diag_set(d, -ETIMEDOUT,
					   "PID %d: waited %u ms for %s; MemProfileRate is %lld",
					   (int)pid, timeout_ms, what_text[what], (long long)*rate);
			break;
		}
		nanosleep(&poll, NULL);
	}
	close(fd);
	return err;
}
