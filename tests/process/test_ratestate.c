// SPDX-License-Identifier: MIT
/* The MemProfileRate state file (ratestate.h) and the privilege check (preflight.h). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "preflight.h"
#include "ratestate.h"

static const struct gmt_ratestate sample = {
	.target = { 4242, 123456789, 65024, 5309532 },
	.tracer = { 77, 987654321, 0, 0 },
	.addr = 0x597708,
	.original = 0,
	.written = 524288,
};

Test(ratestate, format_parse_round_trip)
{
	struct gmt_ratestate s = sample, back;
	char buf[1024];

	s.original = -1; /* negative rates are Go's own (disabled), keep them */
	cr_assert_gt(gmt_ratestate__format(&s, buf, sizeof(buf)), 0);
	cr_assert_eq(gmt_ratestate__parse(buf, &back), 0, "parses its own output:\n%s", buf);
	cr_assert_eq(back.target.pid, 4242);
	cr_assert_eq(back.target.start_time, 123456789);
	cr_assert_eq(back.target.exe_dev, 65024);
	cr_assert_eq(back.target.exe_ino, 5309532);
	cr_assert_eq(back.tracer.pid, 77);
	cr_assert_eq(back.tracer.start_time, 987654321);
	cr_assert_eq(back.addr, 0x597708);
	cr_assert_eq(back.original, -1);
	cr_assert_eq(back.written, 524288);
	cr_assert_eq(gmt_ratestate__format(&s, buf, 32), -ENOSPC, "a short buffer is an error");
}

Test(ratestate, parse_rejects_what_it_did_not_write)
{
	struct gmt_ratestate s;
	char buf[1024], *p;

	cr_assert_eq(gmt_ratestate__parse("", &s), -EINVAL);
	cr_assert_eq(gmt_ratestate__parse("{\"target_pid\": 1}", &s), -EINVAL, "fields missing");
	s = sample;
	s.addr += 4;
	gmt_ratestate__format(&s, buf, sizeof(buf));
	cr_assert_eq(gmt_ratestate__parse(buf, &s), -EINVAL, "an unaligned address:\n%s", buf);
	gmt_ratestate__format(&sample, buf, sizeof(buf));
	p = strstr(buf, "\"target_pid\": ") + 14;
	*p = 'x';
	cr_assert_eq(gmt_ratestate__parse(buf, &s), -EINVAL, "a pid that is not a number");
	gmt_ratestate__format(&sample, buf, sizeof(buf));
	p = strstr(buf, "\"target_pid\": ") + 14;
	memcpy(p, "0   ", 4);
	cr_assert_eq(gmt_ratestate__parse(buf, &s), -EINVAL, "pid 0");
}

Test(ratestate, proc_identity)
{
	struct gmt_proc_id me, again, other;

	cr_assert_eq(gmt_proc_identity(getpid(), &me), 0);
	cr_assert_gt(me.start_time, 0, "a start time from /proc/self/stat");
	cr_assert_neq(me.exe_ino, 0, "an executable inode");
	cr_assert_eq(gmt_proc_identity(getpid(), &again), 0);
	cr_assert(gmt_proc_same(&me, &again));
	cr_assert(gmt_proc_alive(&me));
	other = me;
	other.start_time++;
	cr_assert_not(gmt_proc_same(&me, &other), "another start time: a reused PID");
	cr_assert_not(gmt_proc_alive(&other));
	other = me;
	other.exe_ino++;
	cr_assert_not(gmt_proc_same(&me, &other), "another executable: an exec");
	cr_assert_eq(gmt_proc_identity(2147483000, &other), -ESRCH);
}

/* create is exclusive (the lock), check undoes a dead owner's file and refuses a live one. */
Test(ratestate, create_is_a_lock_and_check_clears_stale)
{
	char dir[] = "/tmp/gmt-state-XXXXXX", path[4096];
	struct gmt_ratestate s = sample, found;
	struct gmt_diag d = {};
	int undone = -1;

	cr_assert(mkdtemp(dir));
	setenv("GMT_STATE_DIR", dir, 1);
	cr_assert_eq(gmt_proc_identity(getpid(), &s.target), 0);
	/* A live owner: the parent (Criterion's runner). */
	cr_assert_eq(gmt_proc_identity(getppid(), &s.tracer), 0);
	cr_assert_eq(gmt_ratestate__create(&s, &d), 0, "%s", d.msg);
	gmt_ratestate__path(&s.target, path, sizeof(path));
	cr_assert_eq(access(path, R_OK), 0);
	cr_assert_eq(gmt_ratestate__create(&s, &d), -EEXIST, "a second create fails");
	cr_assert_eq(gmt_ratestate__check(&s.target, &found, &undone, &d), -EBUSY,
		     "a live owner: busy");
	cr_assert(strstr(d.msg, "already traced"), "%s", d.msg);
	gmt_ratestate__remove(&s);
	/* A dead owner; the target's word at addr is not ours to write: the target id is
	 * made stale as well, so check must remove the file without writing anything. */
	s.tracer.start_time++;
	s.target.exe_ino++;
	cr_assert_eq(gmt_ratestate__create(&s, &d), 0);
	cr_assert_eq(gmt_ratestate__check(&s.target, &found, &undone, &d), 0, "%s", d.msg);
	cr_assert_eq(undone, -ESRCH, "not the same process: nothing written");
	cr_assert_neq(access(path, F_OK), 0, "the stale file is gone");
	unsetenv("GMT_STATE_DIR");
	rmdir(dir);
}

/*
 * What the kernel answers is in p.uprobe (the uprobe PMU refuses: -EACCES, accepts: 0);
 * the check must name what is missing.  Linux 6.16+ refuses uprobes without
 * CAP_SYS_ADMIN, so CAP_BPF and CAP_PERFMON are no longer enough (issue 13).
 */
Test(preflight, capabilities)
{
	const uint64_t bpf = GMT_CAP(GMT_CAP_BPF), perfmon = GMT_CAP(GMT_CAP_PERFMON);
	const uint64_t admin = GMT_CAP(GMT_CAP_SYS_ADMIN), ptrace = GMT_CAP(GMT_CAP_SYS_PTRACE);
	struct gmt_privs p = { .euid = 65534, .uprobe = -EACCES };
	struct gmt_diag d = {};

	p.capeff = 0;
	cr_assert_eq(gmt_preflight_caps(&p, &d), -EPERM, "no capabilities");
	p.capeff = bpf | perfmon | ptrace;
	cr_assert_eq(gmt_preflight_caps(&p, &d), -EPERM, "the three the README promised");
	cr_expect(strstr(d.msg, "uid 65534") &&
		  strstr(d.msg, "only CAP_SYS_ADMIN attach uprobes") &&
		  strstr(d.msg, "add CAP_SYS_ADMIN") && !strchr(d.msg, '\n'), "%s", d.msg);
	p = (struct gmt_privs){ .euid = 65534, .uprobe = 0, .capeff = admin };
	cr_assert_eq(gmt_preflight_caps(&p, &d), 0, "CAP_SYS_ADMIN alone: BPF and uprobes");
	p.uprobe = -EACCES;
	cr_assert_eq(gmt_preflight_caps(&p, &d), -EPERM, "refused even so");
	cr_expect(strstr(d.msg, "although gomemtrace has CAP_SYS_ADMIN"), "%s", d.msg);
	/* A kernel that lets CAP_PERFMON create uprobes (5.8 to 6.15 without the fix). */
	p = (struct gmt_privs){ .euid = 1000, .uprobe = 0, .capeff = bpf | perfmon };
	cr_assert_eq(gmt_preflight_caps(&p, &d), 0, "CAP_BPF and CAP_PERFMON there");
	p.capeff = perfmon;
	cr_assert_eq(gmt_preflight_caps(&p, &d), -EPERM, "CAP_PERFMON alone");
	cr_expect(strstr(d.msg, "missing CAP_BPF") && !strstr(d.msg, "CAP_PERFMON and"),
		  "%s", d.msg);
	p.capeff = bpf;
	cr_assert_eq(gmt_preflight_caps(&p, &d), -EPERM, "CAP_BPF alone");
	cr_expect(strstr(d.msg, "missing CAP_PERFMON"), "%s", d.msg);
	/* The PMU could not be asked: the capabilities decide. */
	p = (struct gmt_privs){ .euid = 1000, .uprobe = 1, .capeff = 0 };
	cr_assert_eq(gmt_preflight_caps(&p, &d), -EPERM);
	cr_expect(strstr(d.msg, "missing CAP_BPF and CAP_PERFMON"), "%s", d.msg);
}

/* Another user's process: ptrace for /proc/PID/exe, DAC for its 0600 /proc/PID/mem. */
Test(preflight, access_to_another_users_process)
{
	const uint64_t ptrace = GMT_CAP(GMT_CAP_SYS_PTRACE), dac = GMT_CAP(GMT_CAP_DAC_OVERRIDE);
	const uint64_t dacr = GMT_CAP(GMT_CAP_DAC_READ_SEARCH), admin = GMT_CAP(GMT_CAP_SYS_ADMIN);
	char buf[128];

	cr_expect_eq(gmt_access_missing(GMT_ACCESS_MEM_WRITE, 0, 1000, 1000), 0, "own process");
	cr_expect_eq(gmt_access_missing(GMT_ACCESS_PTRACE, admin, 65534, 0), ptrace,
		     "CAP_SYS_ADMIN does not stand for CAP_SYS_PTRACE");
	cr_expect_eq(gmt_access_missing(GMT_ACCESS_PTRACE, ptrace, 65534, 0), 0);
	cr_expect_eq(gmt_access_missing(GMT_ACCESS_MEM_READ, ptrace, 65534, 0), dacr);
	cr_expect_eq(gmt_access_missing(GMT_ACCESS_MEM_READ, ptrace | dacr, 65534, 0), 0);
	cr_expect_eq(gmt_access_missing(GMT_ACCESS_MEM_READ, ptrace | dac, 65534, 0), 0);
	cr_expect_eq(gmt_access_missing(GMT_ACCESS_MEM_WRITE, ptrace | dacr, 65534, 0), dac,
		     "reading is not writing");
	cr_expect_eq(gmt_access_missing(GMT_ACCESS_MEM_WRITE, 0, 0, 1000), ptrace | dac,
		     "root without its capabilities, on a user's process");
	gmt_cap_list(ptrace | dac, buf, sizeof(buf));
	cr_expect_str_eq(buf, "CAP_SYS_PTRACE and CAP_DAC_OVERRIDE");
	gmt_cap_list(admin | ptrace | dac, buf, sizeof(buf));
	cr_expect_str_eq(buf, "CAP_SYS_ADMIN, CAP_SYS_PTRACE and CAP_DAC_OVERRIDE");
	gmt_cap_list(0, buf, sizeof(buf));
	cr_expect_str_eq(buf, "");
}

Test(preflight, btf_path)
{
	struct gmt_diag d = {};

	unsetenv("GMT_BTF_PATH");
	cr_assert_null(gmt_btf_path(NULL), "default: libbpf's own");
	cr_assert_str_eq(gmt_btf_path("/x"), "/x");
	setenv("GMT_BTF_PATH", "/y", 1);
	cr_assert_str_eq(gmt_btf_path(NULL), "/y");
	cr_assert_str_eq(gmt_btf_path("/x"), "/x", "the option wins");
	unsetenv("GMT_BTF_PATH");
	cr_assert_eq(gmt_preflight_kernel("/nonexistent/btf", &d), -ENOENT);
	cr_assert(strstr(d.msg, "/nonexistent/btf") && strstr(d.msg, "CONFIG_DEBUG_INFO_BTF"),
		  "%s", d.msg);
}

/*
 * A refusal met while loading or attaching (bpfobj.c) is said the way the preflight says
 * it: as uid 65534 without capabilities, the preflight's own line; with every privilege
 * (root), a line that says the preflight found nothing missing.
 */
Test(preflight, refusal_says_what_the_preflight_says)
{
	struct gmt_diag d = {};
	char msg[sizeof(d.msg)] = "";
	int fds[2];
	pid_t p;

	cr_assert_eq(geteuid(), 0, "the tests run as root");
	cr_assert_eq(gmt_explain_refusal(-EPERM, "cannot attach a uprobe to f", &d), -EPERM);
	cr_expect(strstr(d.msg, "cannot attach a uprobe to f: Operation not permitted (") &&
		  strstr(d.msg, "security module"), "%s", d.msg);
	cr_assert_eq(pipe(fds), 0);
	p = fork();
	cr_assert_geq(p, 0);
	if (p == 0) {
		/* Leaving uid 0 clears the effective capabilities. */
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(1);
		gmt_explain_refusal(-EACCES, "cannot load the GC BPF programs", &d);
		_exit(write(fds[1], d.msg, strlen(d.msg)) > 0 ? 0 : 1);
	}
	close(fds[1]);
	cr_assert_gt(read(fds[0], msg, sizeof(msg) - 1), 0);
	close(fds[0]);
	waitpid(p, NULL, 0);
	cr_expect(strstr(msg, "cannot load the GC BPF programs: not enough privileges (uid 65534): "
			      "this kernel lets only CAP_SYS_ADMIN attach uprobes"),
		  "%s", msg);
}
