// SPDX-License-Identifier: MIT
#include "ratestate.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "procmem.h"
#include "wordguard.h"

const char *gmt_ratestate_dir(void)
{
	const char *env = getenv("GMT_STATE_DIR");

	return env && *env ? env : GMT_STATE_DIR_DEFAULT;
}

void gmt_ratestate__path(const struct gmt_proc_id *target, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%d-%" PRIu64 ".json", gmt_ratestate_dir(), target->pid,
		 target->start_time);
}

int gmt_ratestate__format(const struct gmt_ratestate *s, char *buf, size_t len)
{
	int n = snprintf(buf, len,
			 "{\n"
			 "  \"target_pid\": %d,\n"
			 "  \"target_starttime\": %" PRIu64 ",\n"
			 "  \"target_dev\": %" PRIu64 ",\n"
			 "  \"target_ino\": %" PRIu64 ",\n"
			 "  \"tracer_pid\": %d,\n"
			 "  \"tracer_starttime\": %" PRIu64 ",\n"
			 "  \"addr\": %" PRIu64 ",\n"
			 "  \"original\": %" PRId64 ",\n"
			 "  \"written\": %" PRId64 "\n"
			 "}\n",
			 s->target.pid, s->target.start_time, s->target.exe_dev,
			 s->target.exe_ino, s->tracer.pid, s->tracer.start_time, s->addr,
			 s->original, s->written);

	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

/* "key": INTEGER, anywhere in text; -ENOENT if absent or not a number. */
static int get_num(const char *text, const char *key, bool is_signed, uint64_t *out)
{
	char pat[64], *end;
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(text, pat);
	if (!p)
		return -ENOENT;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	errno = 0;
	*out = is_signed ? (uint64_t)strtoll(p, &end, 10) : strtoull(p, &end, 10);
	if (errno || end == p || (*end != ',' && *end != '\n' && *end != '}'))
		return -ENOENT;
	if (!is_signed && *p == '-')
		return -ENOENT;
	return 0;
}

int gmt_ratestate__parse(const char *text, struct gmt_ratestate *s)
{
	uint64_t v[9];
	static const char *const keys[9] = {
		"target_pid", "target_starttime", "target_dev", "target_ino", "tracer_pid",
		"tracer_starttime", "addr", "original", "written",
	};

	for (int i = 0; i < 9; i++)
		if (get_num(text, keys[i], i >= 7, &v[i]))
			return -EINVAL;
	if (v[0] == 0 || v[0] > INT32_MAX || v[4] == 0 || v[4] > INT32_MAX || (v[6] & 7))
		return -EINVAL;
	*s = (struct gmt_ratestate){
		.target = { .pid = (pid_t)v[0], .start_time = v[1], .exe_dev = v[2],
			    .exe_ino = v[3] },
		.tracer = { .pid = (pid_t)v[4], .start_time = v[5] },
		.addr = v[6],
		.original = (int64_t)v[7],
		.written = (int64_t)v[8],
	};
	return 0;
}

int gmt_ratestate__create(const struct gmt_ratestate *s, struct gmt_diag *d)
{
	const char *dir = gmt_ratestate_dir();
	char path[4096], text[1024];
	int fd, n, err;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return gmt_diag_set(d, -errno,
				    "cannot create %s: %s (GMT_STATE_DIR names another place for "
				    "the MemProfileRate state files)",
				    dir, strerror(errno));
	gmt_ratestate__path(&s->target, path, sizeof(path));
	n = gmt_ratestate__format(s, text, sizeof(text));
	if (n < 0)
		return gmt_diag_set(d, n, "state file too long");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return gmt_diag_set(d, -errno, "cannot create %s: %s", path, strerror(errno));
	if (write(fd, text, n) != n || fsync(fd) < 0) {
		err = errno ? -errno : -EIO;
		close(fd);
		unlink(path);
		return gmt_diag_set(d, err, "cannot write %s: %s", path, strerror(-err));
	}
	close(fd);
	return 0;
}

int gmt_ratestate__load(const char *path, struct gmt_ratestate *s, struct gmt_diag *d)
{
	char text[1024];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return gmt_diag_set(d, -errno, "cannot read %s: %s", path, strerror(errno));
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0)
		return gmt_diag_set(d, -errno, "cannot read %s: %s", path, strerror(errno));
	text[n] = 0;
	if (gmt_ratestate__parse(text, s))
		return gmt_diag_set(d, -EINVAL, "%s: not a gomemtrace state file", path);
	return 0;
}

void gmt_ratestate__remove(const struct gmt_ratestate *s)
{
	char path[4096];

	gmt_ratestate__path(&s->target, path, sizeof(path));
	unlink(path);
}

int gmt_ratestate__undo(const struct gmt_ratestate *s, int64_t *seen, struct gmt_diag *d)
{
	int64_t cur;
	int err;

	if (!gmt_proc_alive(&s->target))
		return gmt_diag_set(d, -ESRCH,
				    "PID %d is gone (or is another program now): nothing to restore",
				    s->target.pid);
	err = gmt_proc_read_word(s->target.pid, s->addr, &cur, d);
	if (err)
		return err;
	*seen = cur;
	if (cur != s->written)
		return GMT_GUARD_LEFT;
	err = gmt_proc_write_word(s->target.pid, s->addr, s->original, d);
	return err ? err : GMT_GUARD_WROTE;
}

int gmt_ratestate__check(const struct gmt_proc_id *target, struct gmt_ratestate *found,
			 int *undone, struct gmt_diag *d)
{
	char path[4096];
	int64_t seen = 0;
	int err;

	*undone = GMT_GUARD_NOOP;
	gmt_ratestate__path(target, path, sizeof(path));
	if (access(path, F_OK) < 0)
		return 0;
	err = gmt_ratestate__load(path, found, d);
	if (err)
		return err;
	if (gmt_proc_alive(&found->tracer) && found->tracer.pid != getpid())
		return gmt_diag_set(d, -EBUSY,
				    "PID %d is already traced in sampled mode by gomemtrace PID %d, "
				    "which set its MemProfileRate: stop that one first, or use "
				    "--mode exact",
				    target->pid, found->tracer.pid);
	err = gmt_ratestate__undo(found, &seen, d);
	if (err < 0 && err != -ESRCH)
		return err;
	*undone = err;
	unlink(path);
	if (d)
		d->msg[0] = 0;
	return 0;
}
