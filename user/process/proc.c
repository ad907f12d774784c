// SPDX-License-Identifier: MIT
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preflight.h"

#define STAT_START_FIELD 22 /* starttime, counting pid as field 1 */

int gmt_proc_parse_stat(const char *buf, struct gmt_proc_stat *st)
{
	const char *open = strchr(buf, '('), *close = strrchr(buf, ')'), *p;
	size_t n;
	int field;

	if (!open || !close || close < open)
		return -EINVAL;
	n = (size_t)(close - open - 1);
	if (n > sizeof(st->comm) - 1)
		n = sizeof(st->comm) - 1;
	memcpy(st->comm, open + 1, n);
	st->comm[n] = 0;
	/* After ") " comes field 3 (state). */
	p = close + 1;
	for (field = 3; field <= STAT_START_FIELD; field++) {
		char *end;

		while (*p == ' ')
			p++;
		if (!*p || *p == '\n')
			return -EINVAL;
		if (field == 3) {
			if (p[1] != ' ')
				return -EINVAL;
			st->state = *p;
		}
		if (field == STAT_START_FIELD) {
			errno = 0;
			st->start_time = strtoull(p, &end, 10);
			if (errno || end == p || (*end && *end != ' ' && *end != '\n'))
				return -EINVAL;
			return 0;
		}
		while (*p && *p != ' ')
			p++;
	}
	return -EINVAL;
}

int gmt_proc_read_stat(pid_t pid, struct gmt_proc_stat *st)
{
	char path[64], buf[1024];
	ssize_t n;
	int fd;

	if (pid <= 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ESRCH;
	do {
		n = read(fd, buf, sizeof(buf) - 1);
	} while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0)
		return -ESRCH; /* reaped between the open and the read */
	buf[n] = 0;
	return gmt_proc_parse_stat(buf, st);
}

bool gmt_proc_state_gone(char state)
{
	return state == 'Z' || state == 'X';
}

bool gmt_proc_gone(pid_t pid)
{
	struct gmt_proc_stat st;

	return gmt_proc_read_stat(pid, &st) || gmt_proc_state_gone(st.state);
}

int gmt_proc_exe_id(pid_t pid, uint64_t *dev, uint64_t *ino)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if (stat(path, &st) < 0)
		return -errno;
	*dev = st.st_dev;
	*ino = st.st_ino;
	return 0;
}

int gmt_proc_identity(pid_t pid, struct gmt_proc_id *id)
{
	struct gmt_proc_stat st;
	int err;

	memset(id, 0, sizeof(*id));
	id->pid = pid;
	err = gmt_proc_read_stat(pid, &st);
	if (err)
		return err;
	if (gmt_proc_state_gone(st.state))
		return -ESRCH;
	id->start_time = st.start_time;
	memcpy(id->comm, st.comm, sizeof(id->comm));
	err = gmt_proc_exe_id(pid, &id->exe_dev, &id->exe_ino);
	if (!err)
		return 0;
	id->exe_dev = id->exe_ino = 0;
	if (err == -EACCES || err == -EPERM)
		return err;
	/* Reaped between the two reads, or no executable: which, the stat file tells. */
	return gmt_proc_gone(pid) ? -ESRCH : -ENOEXEC;
}

bool gmt_proc_same(const struct gmt_proc_id *a, const struct gmt_proc_id *b)
{
	if (a->pid != b->pid || a->start_time != b->start_time)
		return false;
	return !a->exe_ino || !b->exe_ino || (a->exe_dev == b->exe_dev && a->exe_ino == b->exe_ino);
}

bool gmt_proc_alive(const struct gmt_proc_id *id)
{
	struct gmt_proc_id now;
	int err = gmt_proc_identity(id->pid, &now);

	/* An executable we may not look at, or one being exec'd, is not held against it. */
	if (err && err != -EACCES && err != -EPERM && err != -ENOEXEC)
		return false;
	return gmt_proc_same(id, &now);
}

int gmt_proc_check(pid_t pid, struct gmt_diag *d)
{
	char path[64];
	struct stat st;
	int err;

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (pid > 0 && stat(path, &st) < 0 && errno == ENOENT &&
	    (kill(pid, 0) == 0 || errno == EPERM))
		/* procfs mounted with hidepid= hides other users' processes; kill() does not. */
		return gmt_diag_set(d, -EACCES,
				    "PID %d exists, but /proc/%d is hidden from gomemtrace (uid "
				    "%d; procfs mounted with hidepid=): another user's process "
				    "needs CAP_SYS_PTRACE",
				    (int)pid, (int)pid, (int)geteuid());
	if (pid <= 0 || stat(path, &st) < 0)
		return gmt_diag_set(d, -ESRCH, "no process with PID %d", (int)pid);
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if (stat(path, &st) < 0) {
		if (errno == EACCES || errno == EPERM) {
			err = gmt_diag_set(d, -EACCES, "cannot read %s: %s", path, strerror(errno));
			gmt_explain_access(pid, GMT_ACCESS_PTRACE, d);
			return err;
		}
		return gmt_diag_set(d, -ENOEXEC,
				    "PID %d has no executable (a kernel thread, or it exited)",
				    (int)pid);
	}
	return 0;
}
