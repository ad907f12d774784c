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


static void set_common(struct gmt_target *t, pid_t pid)
{
	ssize_t n;

	t->pid = pid;
	t->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	snprintf(t->exe, sizeof(t->exe), "/proc/%d/exe", (int)pid);
	n = readlink(t->exe, t->path, sizeof(t->path) - 1);
	t->path[n > 0 ? n : 0] = 0;
	if (n <= 0)
		snprintf(t->path, sizeof(t->path), "%s", t->exe);
	/* Without its executable's identity (gone meanwhile), an exec cannot be told. */
	gmt_proc_identity(pid, &t->id);
	t->id.pid = pid;
	memcpy(t->comm, t->id.comm, sizeof(t->comm));
	if (!t->comm[0])
		snprintf(t->comm, sizeof(t->comm), "pid%d", (int)pid);
}

bool gmt_target__execd(struct gmt_target *t)
{
	uint64_t dev, ino;

	if (t->execd)
		return true;
	if (t->exited || !t->id.exe_ino || gmt_proc_exe_id(t->pid, &dev, &ino))
		return false; /* gone: that is poll_exit's to tell */
	t->execd = dev != t->id.exe_dev || ino != t->id.exe_ino;
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
	else if (access(path, F_OK) < 0 && errno == ENOENT && gmt_proc_gone(t->pid)) {
		/*
		 * A zombie has no executable link any more, but neither has a process in
		 * the middle of an exec; and an exec by a thread other than the leader (Go's
		 * syscall.Exec may run on any) shows the leader as a zombie while the other
		 * threads go: give it 200 ms to come back as the new program, which
		 * gmt_target__execd() sees.
		 */
		for (int i = 0; i < 20 && gmt_proc_gone(t->pid); i++)
			usleep(10000);
		t->exited = gmt_proc_gone(t->pid); /* its memory is gone */
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
