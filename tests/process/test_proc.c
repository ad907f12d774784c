// SPDX-License-Identifier: MIT
/*
 * One process (user/process/): its identity and the zombie rule (proc.h), finding
 * processes (procscan.h), its mappings (procmaps.h), its memory (procmem.h) and the
 * guarded word (wordguard.h).  On strings, and on live processes: children of the test
 * (same addresses as the test itself, since they are forks), which the kernel kills
 * when the test process goes (PR_SET_PDEATHSIG) and which end on their own after 60 s.
 */
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "procmaps.h"
#include "procmem.h"
#include "procscan.h"
#include "target.h"
#include "testutil.h"
#include "wordguard.h"

Test(procscan, parses_stat_with_awkward_comm)
{
	/* comm "a) (b c" : spaces and parentheses; field 22 (starttime) is 98765. */
	const char *stat = "42 (a) (b c) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 "
			   "98765 1000 10 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 0\n";
	struct gmt_proc_stat st;

	cr_assert_eq(gmt_proc_parse_stat(stat, &st), 0, "parses");
	cr_expect_str_eq(st.comm, "a) (b c", "comm between the first '(' and the last ')'");
	cr_expect_eq(st.start_time, 98765, "start time is field 22");
	cr_expect_eq(st.state, 'S', "the state follows the comm");
	cr_expect_eq(gmt_proc_parse_stat("42 (x) S 1 2", &st), -EINVAL, "truncated");
	cr_expect_eq(gmt_proc_parse_stat("42 x S", &st), -EINVAL, "no parentheses");
}

static pid_t spawn_sleep(const char *path)
{
	pid_t p = fork();

	cr_assert_geq(p, 0, "fork");
	if (p == 0) {
		execl(path, "sleep", "30", (char *)NULL);
		_exit(127);
	}
	usleep(200000); /* exec'd by then */
	return p;
}

struct seen {
	pid_t want;
	int hits;
};

static int on_proc(void *ctx, const struct gmt_proc_id *id)
{
	struct seen *s = ctx;

	s->hits += id->pid == s->want;
	return 0;
}

Test(procscan, identity_and_matching_of_a_live_process)
{
	char dir[] = "/tmp/gmt-procscan-XXXXXX", exe[64], other[64];
	struct gmt_proc_id id, again;
	struct stat st;
	pid_t p;
	char *out;
	unsigned long long start;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(exe, sizeof(exe), "%s/mysleeper", dir);
	snprintf(other, sizeof(other), "%s/othersleep", dir);
	free(tu_run("cp \"$(command -v sleep)\" %s && cp %s %s", exe, exe, other));
	p = spawn_sleep(exe);
	cr_assert_eq(gmt_proc_identity(p, &id), 0, "identity of a live process");
	out = tu_run("sed 's/.*) //' /proc/%d/stat | cut -d' ' -f20", (int)p);
	start = strtoull(out, NULL, 10);
	free(out);
	cr_expect_eq(id.start_time, start, "start time as /proc/PID/stat's 22nd field (%llu)", start);
	cr_assert_eq(stat(exe, &st), 0, "stat the executable");
	cr_expect(id.exe_dev == st.st_dev && id.exe_ino == st.st_ino, "executable's dev/ino");
	cr_expect_str_eq(id.comm, "mysleeper", "comm");

	{
		const char *exes[] = { exe }, *others[] = { other }, *comms[] = { "mysleeper" };
		struct gmt_proc_match by_exe = { .exes = exes, .nexes = 1 };
		struct gmt_proc_match by_other = { .exes = others, .nexes = 1 };
		struct gmt_proc_match by_comm = { .comms = comms, .ncomms = 1 };
		struct gmt_proc_match by_pid = { .pids = &p, .npids = 1 };
		struct seen s = { .want = p };

		cr_expect_eq(gmt_proc_scan(&by_exe, getpid(), on_proc, &s), 0, "scan by exe");
		cr_expect_eq(s.hits, 1, "found by executable path");
		s.hits = 0;
		gmt_proc_scan(&by_other, getpid(), on_proc, &s);
		cr_expect_eq(s.hits, 0, "a copy of the binary (another inode) does not match");
		gmt_proc_scan(&by_comm, getpid(), on_proc, &s);
		cr_expect_eq(s.hits, 1, "found by name");
		s.hits = 0;
		gmt_proc_scan(&by_pid, getpid(), on_proc, &s);
		cr_expect_eq(s.hits, 1, "found by PID");
	}
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);
	cr_expect_eq(gmt_proc_identity(p, &again), -ESRCH, "gone after it was reaped");
	/* The same PID with another start time is another process. */
	again = id;
	again.start_time++;
	cr_expect(!gmt_proc_same(&id, &again), "a reused PID is not the same process");
	again = id;
	again.exe_ino++;
	cr_expect(!gmt_proc_same(&id, &again), "an exec'd binary is not the same process");
	cr_expect(gmt_proc_same(&id, &id), "itself");
	free(tu_run("rm -rf %s", dir));
}


/* ---- identity and the zombie rule ---- */

/* Variables the children share with the test at the same addresses (they are forks). */
static uint64_t g_word = 0x1122334455667788ULL;
static unsigned char g_bytes[256];
static void *g_later; /* free when the child starts; it maps a page there on command 'm' */

struct child {
	pid_t pid;
	int cmd, ack;
};

/* The child's side: reports ready, then obeys one-byte commands. */
static void child_loop(int cmd, int ack)
{
	long page = sysconf(_SC_PAGESIZE);
	char c;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	alarm(60);
	if (write(ack, "r", 1) != 1)
		_exit(1);
	while (read(cmd, &c, 1) == 1) {
		if (c == 'm') {
			void *p = mmap(g_later, page, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

			if (p != g_later)
				_exit(2);
			memset(p, 0xab, page);
		} else if (c == 'e') {
			execl("/bin/sleep", "sleep", "60", (char *)NULL);
			_exit(3);
		}
		if (write(ack, &c, 1) != 1)
			_exit(1);
	}
	_exit(0);
}

static void child_start(struct child *ch)
{
	long page = sysconf(_SC_PAGESIZE);
	int cmd[2], ack[2];
	char c;

	g_later = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(g_later, MAP_FAILED);
	munmap(g_later, page);
	cr_assert_eq(pipe(cmd), 0);
	cr_assert_eq(pipe(ack), 0);
	ch->pid = fork();
	cr_assert_geq(ch->pid, 0, "fork");
	if (ch->pid == 0) {
		close(cmd[1]);
		close(ack[0]);
		child_loop(cmd[0], ack[1]);
	}
	close(cmd[0]);
	close(ack[1]);
	ch->cmd = cmd[1];
	ch->ack = ack[0];
	cr_assert_eq(read(ch->ack, &c, 1), 1, "the child is ready");
}

static void child_do(struct child *ch, char c)
{
	char got = 0;

	cr_assert_eq(write(ch->cmd, &c, 1), 1);
	if (c != 'e')
		cr_assert(read(ch->ack, &got, 1) == 1 && got == c, "the child did '%c'", c);
}

/* Killed, and left a zombie (not reaped) once the kernel says so. */
static void child_zombie(struct child *ch)
{
	kill(ch->pid, SIGKILL);
	for (int i = 0; i < 500 && !gmt_proc_gone(ch->pid); i++)
		usleep(10000);
	cr_assert(gmt_proc_gone(ch->pid), "PID %d is a zombie", (int)ch->pid);
}

static void child_reap(struct child *ch)
{
	kill(ch->pid, SIGKILL);
	waitpid(ch->pid, NULL, 0);
	close(ch->cmd);
	close(ch->ack);
}

Test(proc, identity_zombie_and_reaped)
{
	struct gmt_proc_id id, now, lenient;
	struct gmt_proc_stat st;
	struct child ch;
	uint64_t dev, ino;

	child_start(&ch);
	cr_assert_eq(gmt_proc_identity(ch.pid, &id), 0);
	cr_assert_eq(gmt_proc_exe_id(getpid(), &dev, &ino), 0);
	cr_expect(id.exe_dev == dev && id.exe_ino == ino, "a fork runs our executable");
	cr_expect_gt(id.start_time, 0);
	cr_expect(!gmt_proc_gone(ch.pid), "alive");
	cr_expect(gmt_proc_alive(&id), "alive and the same");
	cr_assert_eq(gmt_proc_read_stat(ch.pid, &st), 0);
	cr_expect(st.state == 'S' || st.state == 'R', "running or sleeping: %c", st.state);

	/* The rule: a zombie is gone, though its PID is still there. */
	child_zombie(&ch);
	cr_assert_eq(gmt_proc_read_stat(ch.pid, &st), 0, "its stat is still there");
	cr_expect_eq(st.state, 'Z');
	cr_expect(gmt_proc_state_gone(st.state));
	cr_expect_eq(gmt_proc_identity(ch.pid, &now), -ESRCH, "a zombie has no identity");
	cr_expect(!gmt_proc_alive(&id), "nor is it alive");
	child_reap(&ch);
	cr_expect(gmt_proc_gone(ch.pid), "reaped");
	cr_expect_eq(gmt_proc_identity(ch.pid, &now), -ESRCH);
	cr_expect_eq(gmt_proc_identity(0, &now), -ESRCH, "PID 0");

	/* The state file does not know its owner's executable: not held against it. */
	cr_assert_eq(gmt_proc_identity(getpid(), &id), 0);
	lenient = id;
	lenient.exe_dev = lenient.exe_ino = 0;
	cr_expect(gmt_proc_same(&id, &lenient) && gmt_proc_same(&lenient, &id));
	cr_expect(gmt_proc_alive(&lenient));
	lenient.start_time++;
	cr_expect(!gmt_proc_same(&id, &lenient), "but the start time is");
}

Test(proc, kernel_thread_has_no_executable)
{
	struct gmt_proc_id id;
	struct gmt_diag d = {};

	cr_assert_eq(gmt_proc_identity(2, &id), -ENOEXEC, "kthreadd");
	cr_expect_str_eq(id.comm, "kthreadd");
	cr_expect_gt(id.start_time, 0, "what is known is filled");
	cr_expect_eq(id.exe_ino, 0);
	cr_expect_eq(gmt_proc_check(2, &d), -ENOEXEC);
	cr_expect(strstr(d.msg, "has no executable"), "%s", d.msg);
	cr_expect_eq(gmt_proc_check(0x7ffffff0, &d), -ESRCH);
	cr_expect(strstr(d.msg, "no process with PID"), "%s", d.msg);
}

/* ---- /proc/PID/maps ---- */

static const char maps_text[] =
	"00400000-00452000 r-xp 00000000 08:02 173521      /usr/bin/dbus-daemon\n"
	"00651000-00652000 r--p 00051000 08:02 173521      /usr/bin/dbus-daemon\n"
	"00652000-00655000 rw-p 00052000 08:02 173521      /usr/bin/dbus-daemon\n"
	"00e03000-00e24000 rw-p 00000000 00:00 0           [heap]\n"
	"00e24000-011f7000 rw-p 00000000 00:00 0           [heap]\n"
	"7f2c00000000-7f2c00021000 rw-p 00000000 00:00 0 \n"
	"7f2c00021000-7f2c04000000 ---p 00000000 00:00 0\n"
	"7f2c08000000-7f2c08001000 r--s 00003000 00:1d 42 /tmp/a dir/with spaces (deleted)\n"
	"7ffd1e5d1000-7ffd1e5f2000 rw-p 00000000 00:00 0                          [stack]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";

Test(maps, parse_and_find)
{
	struct gmt_maps m = {0};
	const struct gmt_map *e;

	cr_assert_eq(gmt_maps_parse(maps_text, strlen(maps_text), &m), 0);
	cr_assert_eq(m.n, 10);
	cr_expect_eq(m.v[0].start, 0x400000);
	cr_expect_eq(m.v[0].end, 0x452000);
	cr_expect_str_eq(m.v[0].perms, "r-xp");
	cr_expect_eq(m.v[1].off, 0x51000);
	cr_expect(m.v[1].dev_major == 8 && m.v[1].dev_minor == 2 && m.v[1].ino == 173521);
	cr_expect_str_eq(m.v[0].path, "/usr/bin/dbus-daemon");
	cr_expect_str_eq(m.v[3].path, "[heap]");
	cr_expect_str_eq(m.v[5].path, "", "anonymous, with a trailing space");
	cr_expect_str_eq(m.v[6].path, "", "anonymous");
	cr_expect_str_eq(m.v[7].path, "/tmp/a dir/with spaces (deleted)", "a path with spaces");
	cr_expect_eq(m.v[9].start, 0xffffffffff600000ULL);

	cr_expect_null(gmt_maps_find(&m, 0x3fffff), "before the first");
	cr_expect_eq(gmt_maps_find(&m, 0x400000), &m.v[0], "the first byte");
	cr_expect_eq(gmt_maps_find(&m, 0x451fff), &m.v[0], "the last byte");
	cr_expect_null(gmt_maps_find(&m, 0x452000), "the end is outside");
	cr_expect_null(gmt_maps_find(&m, 0x600000), "a gap");
	e = gmt_maps_find(&m, 0x7ffd1e5e0000);
	cr_assert_not_null(e);
	cr_expect_str_eq(e->path, "[stack]");
	cr_expect_null(gmt_maps_find(&m, 0xfffffffffffff000ULL), "past the last");

	/* Spans: adjacent mappings continue each other, a gap ends them. */
	cr_expect_eq(gmt_maps_span(&m, 0x651ff0, 0x20), 0x20, "r--p then rw-p, adjacent");
	cr_expect_eq(gmt_maps_span(&m, 0x654ff0, 0x100), 0x10, "up to the gap");
	cr_expect_eq(gmt_maps_span(&m, 0xe23ff8, 0x3d3008), 0x3d3008, "both heap mappings");
	cr_expect_eq(gmt_maps_span(&m, 0x452000, 8), 0, "not mapped");

	/* The load bias: the mapping of the inode at the segment's page-aligned offset. */
	{
		uint64_t bias = 1;

		cr_expect_eq(gmt_maps_load_bias(&m, 173521, 0x451000, 0x51000, &bias), 0);
		cr_expect_eq(bias, 0x651000 - 0x451000);
		cr_expect_eq(gmt_maps_load_bias(&m, 173521, 0x400000, 0, &bias), 0);
		cr_expect_eq(bias, 0, "a non-PIE text");
		cr_expect_eq(gmt_maps_load_bias(&m, 999, 0, 0, &bias), -ENOENT, "another inode");
	}
	gmt_maps_free(&m);
}

Test(maps, refuses_what_the_kernel_does_not_write)
{
	static const char *const bad[] = {
		"00400000-00452000 r-xp 00000000 08:02\n",	    /* no inode */
		"00400000 r-xp 00000000 08:02 1 /x\n",		    /* no end */
		"00452000-00400000 r-xp 00000000 08:02 1 /x\n",	    /* end before start */
		"00400000-00452000 r-xp 00000000 08:02 1x /x\n",    /* not a number */
		"00500000-00600000 r-xp 0 08:02 1 /x\n"
		"00400000-00452000 r-xp 0 08:02 1 /x\n",	    /* out of order */
		"00400000-00500000 r-xp 0 08:02 1 /x\n"
		"004ff000-00600000 r-xp 0 08:02 1 /x\n",	    /* overlapping */
	};
	struct gmt_maps m = {0};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(gmt_maps_parse(bad[i], strlen(bad[i]), &m), -EINVAL, "%s", bad[i]);
		cr_expect_eq(m.n, 0, "nothing kept");
	}
	cr_expect_eq(gmt_maps_parse("", 0, &m), 0, "empty");
	cr_expect_eq(m.n, 0);
	gmt_maps_free(&m);
}

static int first_object(struct dl_phdr_info *info, size_t size, void *ctx)
{
	*(struct dl_phdr_info *)ctx = *info;
	return 1;
}

/* Our own executable: the loader's own load bias (dl_iterate_phdr) is the oracle. */
Test(maps, load_bias_of_a_live_process)
{
	struct dl_phdr_info self;
	const ElfW(Phdr) *load = NULL;
	struct gmt_maps m = {0};
	struct gmt_diag d = {};
	const struct gmt_map *e;
	uint64_t bias = 1;

	dl_iterate_phdr(first_object, &self);
	for (int i = 0; i < self.dlpi_phnum && !load; i++)
		if (self.dlpi_phdr[i].p_type == PT_LOAD)
			load = &self.dlpi_phdr[i];
	cr_assert_not_null(load);
	cr_assert_eq(gmt_proc_load_bias(getpid(), load->p_vaddr, load->p_offset, &bias, &d), 0,
		     "%s", d.msg);
	cr_expect_eq(bias, self.dlpi_addr, "the loader's bias: %#llx, ours %#llx",
		     (unsigned long long)self.dlpi_addr, (unsigned long long)bias);

	cr_assert_eq(gmt_maps_read(getpid(), &m, &d), 0, "%s", d.msg);
	e = gmt_maps_find(&m, (uint64_t)(uintptr_t)&g_word);
	cr_assert_not_null(e, "a variable is mapped");
	cr_expect_eq(e->perms[1], 'w', "writable: %s", e->perms);
	e = gmt_maps_find(&m, (uint64_t)(uintptr_t)&child_loop);
	cr_assert_not_null(e, "code is mapped");
	cr_expect(e->perms[0] == 'r' && e->perms[1] == '-' && e->perms[2] == 'x', "%s", e->perms);
	gmt_maps_free(&m);
	cr_expect_eq(gmt_maps_read(0x7ffffff0, &m, &d), -ESRCH);
}

/*
 * The kernel writes /proc/PID/maps a page at a time and lets the mappings change between
 * pages: a mapping that grew by merging with its neighbour is written again, from its old
 * start, on the next page.  Go's heap grows so.  A child merges and splits mappings
 * across its whole address space while it is read again and again: every read succeeds
 * and lists its mappings in order, without overlaps.
 */
Test(maps, read_while_the_mappings_change, .timeout = 60)
{
	enum { PAIRS = 400, READS = 1500 };
	long page = sysconf(_SC_PAGESIZE);
	struct gmt_maps m = {0};
	struct gmt_diag d = {};
	pid_t pid;
	int ready[2];
	char c;

	cr_assert_eq(pipe(ready), 0);
	pid = fork();
	cr_assert_geq(pid, 0, "fork");
	if (pid == 0) {
		/* Pairs of pages, r-- then rw-, with a hole after each: many lines of maps. */
		char *base = mmap(NULL, (size_t)(PAIRS * 3 * page), PROT_NONE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (base == MAP_FAILED)
			_exit(1);
		for (int i = 0; i < PAIRS; i++) {
			mprotect(base + i * 3 * page, (size_t)page, PROT_READ);
			mprotect(base + (i * 3 + 1) * page, (size_t)page, PROT_READ | PROT_WRITE);
		}
		close(ready[0]);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (int round = 0; round < 2000000; round++)
			for (int i = 0; i < PAIRS; i++) {
				char *second = base + (i * 3 + 1) * page;

				/* Merge with the first page of the pair, then split again. */
				mprotect(second, (size_t)page, PROT_READ);
				mprotect(second, (size_t)page, PROT_READ | PROT_WRITE);
			}
		_exit(0);
	}
	close(ready[1]);
	cr_assert_eq(read(ready[0], &c, 1), 1, "the child is ready");
	close(ready[0]);
	for (int i = 0; i < READS; i++) {
		cr_assert_eq(gmt_maps_read(pid, &m, &d), 0, "read %d: %s", i, d.msg);
		cr_assert_geq(m.n, PAIRS, "read %d: %zu mappings", i, m.n);
		for (size_t k = 1; k < m.n; k++)
			cr_assert_geq(m.v[k].start, m.v[k - 1].end, "read %d: in order", i);
	}
	gmt_maps_free(&m);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* ---- /proc/PID/mem ---- */

Test(procmem, reads_only_what_is_mapped)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char buf[256], *two;
	const struct gmt_map *e;
	struct gmt_procmem *m;
	struct gmt_diag d = {};
	struct child ch;
	uint64_t v = 0;

	for (size_t i = 0; i < sizeof(g_bytes); i++)
		g_bytes[i] = (unsigned char)(i * 7 + 1);
	/* A page with nothing after it: the second page of two, unmapped. */
	two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(two, MAP_FAILED);
	memset(two, 0x5a, page);
	munmap(two + page, page);
	child_start(&ch);
	cr_assert_eq(gmt_procmem__open(ch.pid, GMT_PROCMEM_WRITE, &m, &d), 0, "%s", d.msg);
	cr_expect_eq(gmt_procmem__pid(m), ch.pid);

	cr_assert_eq(gmt_procmem__read(m, (uintptr_t)g_bytes, buf, sizeof(buf)), sizeof(buf));
	cr_expect_arr_eq(buf, g_bytes, sizeof(buf), "the child's bytes");
	/* Short: the mapping ends 16 bytes in; never a read past it. */
	memset(buf, 0, sizeof(buf));
	cr_expect_eq(gmt_procmem__read(m, (uintptr_t)(two + page - 16), buf, 64), 16, "short");
	cr_expect(buf[0] == 0x5a && buf[15] == 0x5a && buf[16] == 0, "16 bytes, no more");
	cr_expect_eq(gmt_procmem__read_full(m, (uintptr_t)(two + page - 16), buf, 64), -EIO,
		     "all or nothing: short is an error");
	cr_expect_eq(gmt_procmem__read(m, (uintptr_t)(two + page), buf, 8), -EIO, "unmapped");
	cr_expect_eq(gmt_procmem__read(m, 8, buf, 8), -EIO, "page 0");
	cr_expect_eq(gmt_procmem__read(m, 0xffff800000000000ULL, buf, 8), -EIO,
		     "the kernel's half is never asked for");
	cr_expect_eq(gmt_procmem__read(m, (uintptr_t)g_bytes, buf, 0), 0, "nothing");

	/* Words: aligned only; written into variables only. */
	cr_assert_eq(gmt_procmem__read_word(m, (uintptr_t)&g_word, &v), 0);
	cr_expect_eq(v, 0x1122334455667788ULL, "little-endian word");
	cr_expect_eq(gmt_procmem__read_word(m, (uintptr_t)&g_word + 4, &v), -EINVAL);
	cr_assert_eq(gmt_procmem__write_word(m, (uintptr_t)&g_word, 42), 0);
	cr_assert_eq(gmt_procmem__read_word(m, (uintptr_t)&g_word, &v), 0);
	cr_expect_eq(v, 42, "written in the child");
	cr_expect_eq(g_word, 0x1122334455667788ULL, "not in the test (its fork)");
	cr_expect_eq(gmt_procmem__write_word(m, (uintptr_t)&child_loop & ~7ULL, 1), -EFAULT,
		     "not into code");
	cr_expect_eq(gmt_procmem__write_word(m, 8, 1), -EIO, "not where nothing is mapped");
	gmt_procmem_explain(&d, -EFAULT, ch.pid, 0x1000, true, "r-xp");
	cr_expect(strstr(d.msg, "read-only mapping (r-xp)"), "%s", d.msg);

	/* Mapped after the open: the maps are read again. */
	child_do(&ch, 'm');
	cr_assert_eq(gmt_procmem__read(m, (uintptr_t)g_later, buf, 16), 16, "found on a reload");
	cr_expect(buf[0] == 0xab && buf[15] == 0xab);
	e = gmt_procmem__mapping(m, (uintptr_t)g_later);
	cr_assert_not_null(e);
	cr_expect_str_eq(e->perms, "rw-p");

	/* Gone: a zombie has no memory, and a reaped PID cannot be opened. */
	child_zombie(&ch);
	cr_expect_eq(gmt_procmem__read(m, (uintptr_t)g_bytes, buf, 8), -ESRCH, "zombie");
	cr_expect_eq(gmt_procmem__word_io(m, (uintptr_t)&g_word, &v, false), -ESRCH);
	cr_expect_null(gmt_procmem__mapping(m, 8), "no maps to reload");
	gmt_procmem__close(m);
	cr_expect_eq(gmt_procmem__open(ch.pid, 0, &m, &d), -ESRCH, "a zombie cannot be opened");
	child_reap(&ch);
	cr_expect_eq(gmt_procmem__open(ch.pid, 0, &m, &d), -ESRCH, "nor a reaped process");
	cr_expect_null(m);
	munmap(two, page);
}

/* An exec replaces the address space: the old one reads as gone, never the new one. */
Test(procmem, exec_reads_as_gone)
{
	unsigned char buf[8];
	struct gmt_procmem *m;
	struct gmt_diag d = {};
	struct gmt_proc_id before, after;
	struct child ch;

	child_start(&ch);
	cr_assert_eq(gmt_proc_identity(ch.pid, &before), 0);
	cr_assert_eq(gmt_procmem__open(ch.pid, 0, &m, &d), 0, "%s", d.msg);
	cr_assert_eq(gmt_procmem__read(m, (uintptr_t)g_bytes, buf, 8), 8);
	child_do(&ch, 'e');
	for (int i = 0; i < 500; i++) {
		if (!gmt_proc_identity(ch.pid, &after) && !gmt_proc_same(&before, &after))
			break;
		usleep(10000);
	}
	cr_assert_eq(gmt_proc_identity(ch.pid, &after), 0);
	cr_assert(!gmt_proc_same(&before, &after), "exec'd: another executable");
	cr_expect_eq(after.start_time, before.start_time, "the same process");
	cr_expect_str_eq(after.comm, "sleep");
	cr_expect_eq(gmt_procmem__read(m, (uintptr_t)g_bytes, buf, 8), -ESRCH, "the old memory");
	gmt_procmem__close(m);
	child_reap(&ch);
}

/*
 * The runtime-structure readers' view (gmt_procmem__rmem, rtmem.h): all bytes or
 * -EFAULT, never a short read, and -ESRCH once the address space is gone (exit, exec).
 */
Test(procmem, rmem_all_or_efault_or_esrch)
{
	static const char known[] = "the bytes the reader must find";
	long page = sysconf(_SC_PAGESIZE);
	char buf[sizeof(known)];
	struct gmt_procmem *m;
	struct gmt_diag d = {};
	struct gmt_rmem mem;
	struct child ch;
	unsigned char *two;
	uint64_t v = 0;

	/* This process itself. */
	two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(two, MAP_FAILED);
	cr_assert_eq(gmt_procmem__open(getpid(), 0, &m, &d), 0, "%s", d.msg);
	mem = gmt_procmem__rmem(m);
	cr_assert_eq(gmt_rmem_read(&mem, (uintptr_t)known, buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, known);
	cr_assert_eq(gmt_rmem_u64(&mem, (uintptr_t)&g_word, &v), 0);
	cr_expect_eq(v, 0x1122334455667788ULL);
	cr_expect_eq(gmt_rmem_read(&mem, 0x10, buf, 8), -EFAULT, "page 0");
	cr_expect_eq(gmt_rmem_read(&mem, UINT64_MAX - 4, buf, 8), -EFAULT, "wraps around");
	cr_expect_eq(gmt_rmem_read(&mem, 0xffff800000000000ULL, buf, 8), -EFAULT, "the kernel's");
	/* Mapped after the open (a reload finds it); a read into an unmapped page is refused. */
	memcpy(two + page - 4, "abcdefgh", 8);
	cr_assert_eq(gmt_rmem_read(&mem, (uintptr_t)(two + page - 4), buf, 8), 0);
	cr_expect_eq(memcmp(buf, "abcdefgh", 8), 0);
	cr_assert_eq(munmap(two + page, page), 0);
	cr_expect_eq(gmt_rmem_read(&mem, (uintptr_t)(two + page - 4), buf, 8), -EFAULT,
		     "short is -EFAULT, never part of the bytes");
	cr_expect_eq(gmt_rmem_read(&mem, (uintptr_t)(two + page - 4), buf, 4), 0);
	gmt_procmem__close(m);
	munmap(two, page);

	/* A child: found after it maps more, gone once it exec'd, and once it died. */
	child_start(&ch);
	cr_assert_eq(gmt_procmem__open(ch.pid, 0, &m, &d), 0, "%s", d.msg);
	mem = gmt_procmem__rmem(m);
	child_do(&ch, 'm');
	cr_assert_eq(gmt_rmem_u64(&mem, (uintptr_t)g_later, &v), 0, "found on a reload");
	cr_expect_eq(v, 0xababababababababULL);
	child_do(&ch, 'e');
	for (int i = 0; i < 500 && gmt_rmem_u64(&mem, (uintptr_t)&g_word, &v) != -ESRCH; i++)
		usleep(10000);
	cr_expect_eq(gmt_rmem_u64(&mem, (uintptr_t)&g_word, &v), -ESRCH, "exec'd: gone");
	gmt_procmem__close(m);
	child_reap(&ch);
	child_start(&ch);
	cr_assert_eq(gmt_procmem__open(ch.pid, 0, &m, &d), 0, "%s", d.msg);
	mem = gmt_procmem__rmem(m);
	cr_assert_eq(gmt_rmem_u64(&mem, (uintptr_t)&g_word, &v), 0);
	child_zombie(&ch);
	cr_expect_eq(gmt_rmem_u64(&mem, (uintptr_t)&g_word, &v), -ESRCH, "died: gone");
	gmt_procmem__close(m);
	child_reap(&ch);
}

Test(procmem, one_shot_words_say_why)
{
	struct gmt_diag d = {};
	struct child ch;
	int64_t v = 0;

	child_start(&ch);
	cr_assert_eq(gmt_proc_read_word(ch.pid, (uintptr_t)&g_word, &v, &d), 0, "%s", d.msg);
	cr_expect_eq(v, 0x1122334455667788LL);
	cr_assert_eq(gmt_proc_write_word(ch.pid, (uintptr_t)&g_word, -5, &d), 0, "%s", d.msg);
	cr_assert_eq(gmt_proc_read_word(ch.pid, (uintptr_t)&g_word, &v, &d), 0, "%s", d.msg);
	cr_expect_eq(v, -5);
	cr_expect_eq(gmt_proc_read_word(ch.pid, (uintptr_t)&g_word + 4, &v, &d), -EINVAL);
	cr_expect(strstr(d.msg, "not an aligned word"), "%s", d.msg);
	cr_expect_eq(gmt_proc_write_word(ch.pid, 8, 1, &d), -EIO);
	cr_expect(strstr(d.msg, "nothing is mapped at 0x8"), "%s", d.msg);
	cr_expect_eq(gmt_proc_write_word(ch.pid, (uintptr_t)&child_loop & ~7ULL, 1, &d), -EFAULT);
	cr_expect(strstr(d.msg, "read-only mapping (r-xp)"), "%s", d.msg);
	child_reap(&ch);
	cr_expect_eq(gmt_proc_read_word(ch.pid, (uintptr_t)&g_word, &v, &d), -ESRCH);
	cr_expect(strstr(d.msg, "no such process"), "%s", d.msg);
}

/* ---- the guarded word ---- */

Test(wordguard, set_restore_left_gone)
{
	struct gmt_word_guard *g = NULL;
	struct gmt_diag d = {};
	struct child ch;
	int64_t v = 0;

	child_start(&ch);
	cr_assert_eq(gmt_word_guard__set(ch.pid, (uintptr_t)&g_word, 7, &g, &d), GMT_GUARD_WROTE,
		     "%s", d.msg);
	cr_expect_eq(gmt_word_guard__original(g), 0x1122334455667788LL);
	cr_expect_eq(gmt_word_guard__written(g), 7);
	gmt_proc_read_word(ch.pid, (uintptr_t)&g_word, &v, &d);
	cr_expect_eq(v, 7, "written");
	cr_expect_eq(gmt_word_guard__restore(g), GMT_GUARD_WROTE);
	gmt_proc_read_word(ch.pid, (uintptr_t)&g_word, &v, &d);
	cr_expect_eq(v, 0x1122334455667788LL, "restored");
	cr_expect_eq(gmt_word_guard__restore(g), GMT_GUARD_NOOP, "once");
	gmt_word_guard__free(g);

	/* The program's own store meanwhile is its own. */
	cr_assert_eq(gmt_word_guard__set(ch.pid, (uintptr_t)&g_word, 7, &g, &d), GMT_GUARD_WROTE);
	gmt_proc_write_word(ch.pid, (uintptr_t)&g_word, 99, &d);
	cr_expect_eq(gmt_word_guard__restore(g), GMT_GUARD_LEFT);
	cr_expect_eq(gmt_word_guard__seen(g), 99);
	gmt_word_guard__free(g);
	gmt_proc_read_word(ch.pid, (uintptr_t)&g_word, &v, &d);
	cr_expect_eq(v, 99, "left, free did not write either");

	cr_expect_eq(gmt_word_guard__set(ch.pid, (uintptr_t)&g_word, 99, &g, &d),
		     GMT_GUARD_ALREADY, "nothing to write");
	cr_expect_eq(gmt_word_guard__restore(g), GMT_GUARD_NOOP);
	gmt_word_guard__free(g);
	cr_expect_eq(gmt_word_guard__set(ch.pid, (uintptr_t)&child_loop & ~7ULL, 1, &g, &d),
		     -EFAULT, "no guard on code");
	cr_expect_null(g);
	cr_expect(strstr(d.msg, "read-only"), "%s", d.msg);

	cr_assert_eq(gmt_word_guard__set(ch.pid, (uintptr_t)&g_word, 7, &g, &d), GMT_GUARD_WROTE);
	child_zombie(&ch);
	cr_expect_eq(gmt_word_guard__restore(g), -ESRCH, "gone with its memory");
	cr_expect_eq(gmt_word_guard__restore(g), GMT_GUARD_NOOP, "then spent");
	gmt_word_guard__free(g);
	child_reap(&ch);
	cr_expect_eq(gmt_word_guard__set(ch.pid, (uintptr_t)&g_word, 7, &g, &d), -ESRCH);
	cr_expect_null(g);
}
