// SPDX-License-Identifier: MIT
#include "target.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "preflight.h"

static void read_comm(struct gmt_target *t)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)t->pid);
	f = fopen(path, "r");
	t->comm[0] = 0;
	if (f) {
		if (fgets(t->comm, sizeof(t->comm), f))
			t->comm[strcspn(t->comm, "\n")] = 0;
		fclose(f);
	}
	if (!t->comm[0])
		snprintf(t->comm, sizeof(t->comm), "pid%d", (int)t->pid);
}

static void set_common(struct gmt_target *t, pid_t pid)
{
	struct stat st;
	ssize_t n;

	t->pid = pid;
	t->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	snprintf(t->exe, sizeof(t->exe), "/proc/%d/exe", (int)pid);
	n = readlink(t->exe, t->path, sizeof(t->path) - 1);
	t->path[n > 0 ? n : 0] = 0;
	if (n <= 0)
		snprintf(t->path, sizeof(t->path), "%s", t->exe);
	read_comm(t);
	if (stat(t->exe, &st) == 0) {
		t->exe_dev = st.st_dev;
		t->exe_ino = st.st_ino;
	}
}

bool gmt_target__execd(struct gmt_target *t)
{
	struct stat st;

	if (t->execd)
		return true;
	if (t->exited || !t->exe_ino || stat(t->exe, &st) < 0)
		return false; /* gone: that is poll_exit's to tell */
	t->execd = st.st_dev != t->exe_dev || st.st_ino != t->exe_ino;
	return t->execd;
}

static int status_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

int gmt_target__launch(char *const argv[], struct gmt_target *t, struct gmt_diag *d)
{
	int errpipe[2], child_errno = 0, status;
	pid_t pid;
	ssize_t n;

	memset(t, 0, sizeof(*t));
	t->pidfd = -1;
	if (pipe2(errpipe, O_CLOEXEC) < 0)
		return gmt_diag_set(d, -errno, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(errpipe[0]);
		close(errpipe[1]);
		return gmt_diag_set(d, err, "fork: %s", strerror(-err));
	}
	if (pid == 0) {
		/* Stop at the exec so that the probes go in before any Go code runs. */
		close(errpipe[0]);
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0)
			execvp(argv[0], argv);
		child_errno = errno;
		n = write(errpipe[1], &child_errno, sizeof(child_errno));
		(void)n;
		_exit(127);
	}
	close(errpipe[1]);
	n = read(errpipe[0], &child_errno, sizeof(child_errno));
	close(errpipe[0]);
	if (n == sizeof(child_errno)) {
		waitpid(pid, &status, 0);
		return gmt_diag_set(d, -child_errno, "cannot run %s: %s", argv[0],
				    strerror(child_errno));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) {
		return gmt_diag_set(d, -ECHILD, "%s did not stop at exec (status %#x)", argv[0],
				    status);
	}
	t->launched = true;
	set_common(t, pid);
	return 0;
}

int gmt_target__release(struct gmt_target *t, struct gmt_diag *d)
{
	if (!t->launched || t->running)
		return 0;
	if (ptrace(PTRACE_DETACH, t->pid, NULL, NULL) < 0)
		return gmt_diag_set(d, -errno, "cannot release PID %d: %s", (int)t->pid,
				    strerror(errno));
	t->running = true;
	return 0;
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

int gmt_proc_open_mem(pid_t pid, int flags, struct gmt_diag *d)
{
	bool rd = (flags & O_ACCMODE) == O_RDONLY;
	char path[64];
	int fd, err;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, flags | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	err = errno == ENOENT ? ESRCH : errno;
	gmt_diag_set(d, -err, "cannot open %s%s: %s", path, rd ? "" : " for writing",
		     err == ESRCH ? "no such process" : strerror(err));
	if (err == EACCES || err == EPERM)
		gmt_explain_access(pid, rd ? GMT_ACCESS_MEM_READ : GMT_ACCESS_MEM_WRITE, d);
	return -err;
}

int gmt_target__attach(pid_t pid, struct gmt_target *t, struct gmt_diag *d)
{
	int err;

	memset(t, 0, sizeof(*t));
	t->pidfd = -1;
	err = gmt_proc_check(pid, d);
	if (err)
		return err;
	t->running = true;
	set_common(t, pid);
	return 0;
}

/*
 * A zombie has no executable link any more, but neither has a process in the middle of
 * an exec (between its new address space and its new executable): the state in
 * /proc/PID/stat tells them apart.  Unreadable counts as gone.
 */
static bool is_zombie(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = 0;
	p = strrchr(buf, ')'); /* the command name may hold anything */
	return !p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X';
}

bool gmt_target__poll_exit(struct gmt_target *t)
{
	char path[64];
	int status;

	if (t->exited)
		return true;
	if (t->launched) {
		pid_t r = waitpid(t->pid, &status, WNOHANG);

		if (r == t->pid && (WIFEXITED(status) || WIFSIGNALED(status))) {
			t->exited = true;
			t->exit_status = status_code(status);
		}
		return t->exited;
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)t->pid);
	if (kill(t->pid, 0) < 0 && errno == ESRCH)
		t->exited = true;
	else if (access(path, F_OK) < 0 && errno == ENOENT && is_zombie(t->pid)) {
		/*
		 * An exec by a thread other than the leader (Go's syscall.Exec may run on
		 * any) shows the leader as a zombie while the other threads go: give it
		 * 200 ms to come back as the new program, which gmt_target__execd() sees.
		 */
		for (int i = 0; i < 20 && is_zombie(t->pid); i++)
			usleep(10000);
		t->exited = is_zombie(t->pid); /* its memory is gone */
	}
	return t->exited;
}

void gmt_target__abort(struct gmt_target *t)
{
	int status;

	if (!t->launched || t->exited)
		return;
	kill(t->pid, SIGKILL);
	if (!t->running)
		ptrace(PTRACE_DETACH, t->pid, NULL, NULL);
	waitpid(t->pid, &status, 0);
	t->exited = true;
	t->exit_status = status_code(status);
}

void gmt_target__name_exe(const struct gmt_target *t, struct gmt_diag *d)
{
	size_t n = strlen(t->exe);
	char msg[sizeof(d->msg)];

	if (!n || strncmp(d->msg, t->exe, n) != 0 || !strcmp(t->path, t->exe))
		return;
	snprintf(msg, sizeof(msg), "%.128s (PID %d)%s", t->path, (int)t->pid, d->msg + n);
	memcpy(d->msg, msg, sizeof(msg));
}

void gmt_target__close(struct gmt_target *t)
{
	if (t->pidfd >= 0)
		close(t->pidfd);
	t->pidfd = -1;
}

int gmt_target__load_bias(pid_t pid, uint64_t seg_vaddr, uint64_t seg_off, uint64_t *bias,
			  struct gmt_diag *d)
{
	char path[64], exe[4096], line[4096 + 128];
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if (stat(path, &st) < 0)
		return gmt_diag_set(d, -errno, "cannot stat %s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return gmt_diag_set(d, -errno, "cannot read %s: %s", path, strerror(errno));
	/* The mapping of the executable's inode at the segment's page-aligned offset. */
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, off, ino;
		unsigned int maj, min;
		char perms[8];

		exe[0] = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %4095s", &start, &end, perms, &off,
			   &maj, &min, &ino, exe) < 7)
			continue;
		if (ino != st.st_ino || off != (seg_off & ~0xfffULL))
			continue;
		*bias = start - (seg_vaddr & ~0xfffULL);
		fclose(f);
		return 0;
	}
	fclose(f);
	return gmt_diag_set(d, -ENOENT, "PID %d: the executable is not mapped", (int)pid);
}
