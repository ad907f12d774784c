// SPDX-License-Identifier: MIT
/* The MemProfileRate state file (ratestate.h) and the privilege check (preflight.h). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memrate.h"
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
	cr_assert_eq(back.target.starttime, 123456789);
	cr_assert_eq(back.target.dev, 65024);
	cr_assert_eq(back.target.ino, 5309532);
	cr_assert_eq(back.tracer.pid, 77);
	cr_assert_eq(back.tracer.starttime, 987654321);
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

	cr_assert_eq(gmt_proc_id(getpid(), &me), 0);
	cr_assert_gt(me.starttime, 0, "a start time from /proc/self/stat");
	cr_assert_neq(me.ino, 0, "an executable inode");
	cr_assert_eq(gmt_proc_id(getpid(), &again), 0);
	cr_assert(gmt_proc_id_eq(&me, &again));
	cr_assert(gmt_proc_id_alive(&me));
	other = me;
	other.starttime++;
	cr_assert_not(gmt_proc_id_eq(&me, &other), "another start time: a reused PID");
	cr_assert_not(gmt_proc_id_alive(&other));
	other = me;
	other.ino++;
	cr_assert_not(gmt_proc_id_eq(&me, &other), "another executable: an exec");
	cr_assert_eq(gmt_proc_id(2147483000, &other), -ESRCH);
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
	cr_assert_eq(gmt_proc_id(getpid(), &s.target), 0);
	/* A live owner: the parent (Criterion's runner). */
	cr_assert_eq(gmt_proc_id(getppid(), &s.tracer), 0);
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
	s.tracer.starttime++;
	s.target.ino++;
	cr_assert_eq(gmt_ratestate__create(&s, &d), 0);
	cr_assert_eq(gmt_ratestate__check(&s.target, &found, &undone, &d), 0, "%s", d.msg);
	cr_assert_eq(undone, -ESRCH, "not the same process: nothing written");
	cr_assert_neq(access(path, F_OK), 0, "the stale file is gone");
	unsetenv("GMT_STATE_DIR");
	rmdir(dir);
}

Test(preflight, capabilities)
{
	cr_assert_eq(gmt_preflight_caps(0, NULL), -EPERM, "no capabilities");
	cr_assert_eq(gmt_preflight_caps(1ULL << 21, NULL), 0, "CAP_SYS_ADMIN");
	cr_assert_eq(gmt_preflight_caps((1ULL << 38) | (1ULL << 39), NULL), 0,
		     "CAP_BPF and CAP_PERFMON");
	cr_assert_eq(gmt_preflight_caps(1ULL << 39, NULL), -EPERM, "CAP_BPF alone");
	cr_assert_eq(gmt_preflight_caps(1ULL << 38, NULL), -EPERM, "CAP_PERFMON alone");
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
