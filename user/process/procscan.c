// SPDX-License-Identifier: MIT
#include "procscan.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STAT_START_FIELD 22 /* starttime, counting pid as field 1 */

int gmt_parse_proc_stat(const char *buf, char comm[16], uint64_t *start_time)
{
	const char *open = strchr(buf, '('), *close = strrchr(buf, ')'), *p;
	size_t n;
	int field;

	if (!open || !close || close < open)
		return -EINVAL;
	n = (size_t)(close - open - 1);
	if (n > 15)
		n = 15;
	memcpy(comm, open + 1, n);
	comm[n] = 0;
	/* After ") " comes field 3 (state). */
	p = close + 1;
	for (field = 3; field <= STAT_START_FIELD; field++) {
		char *end;

		while (*p == ' ')
			p++;
		if (!*p)
			return -EINVAL;
		if (field == STAT_START_FIELD) {
			errno = 0;
			*start_time = strtoull(p, &end, 10);
			if (errno || end == p || (*end && *end != ' ' && *end != '\n'))
				return -EINVAL;
			return 0;
		}
		while (*p && *p != ' ')
			p++;
	}
	return -EINVAL;
}

int gmt_proc_identity(pid_t pid, struct gmt_proc_id *id)
{
	char path[64], buf[1024];
	struct stat st;
	ssize_t n;
	int fd, err;

	memset(id, 0, sizeof(*id));
	id->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = 0;
	err = gmt_parse_proc_stat(buf, id->comm, &id->start_time);
	if (err)
		return err;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if (stat(path, &st) < 0)
		return errno == EACCES || errno == EPERM ? -errno : -ENOEXEC;
	id->exe_dev = st.st_dev;
	id->exe_ino = st.st_ino;
	return 0;
}

bool gmt_proc_same(const struct gmt_proc_id *a, const struct gmt_proc_id *b)
{
	return a->pid == b->pid && a->start_time == b->start_time && a->exe_dev == b->exe_dev &&
	       a->exe_ino == b->exe_ino;
}

bool gmt_proc_matches(const struct gmt_proc_match *m, const uint64_t (*exe_ids)[2],
		      const struct gmt_proc_id *id)
{
	for (size_t i = 0; i < m->npids; i++)
		if (m->pids[i] == id->pid)
			return true;
	for (size_t i = 0; i < m->nexes; i++)
		if ((exe_ids[i][0] || exe_ids[i][1]) && exe_ids[i][0] == id->exe_dev &&
		    exe_ids[i][1] == id->exe_ino)
			return true;
	for (size_t i = 0; i < m->ncomms; i++)
		if (strncmp(m->comms[i], id->comm, 15) == 0)
			return true;
	return false;
}

int gmt_proc_scan(const struct gmt_proc_match *m, pid_t self_pid,
		  int (*cb)(void *ctx, const struct gmt_proc_id *id), void *ctx)
{
	uint64_t (*exe_ids)[2] = calloc(m->nexes + 1, sizeof(*exe_ids));
	struct dirent *de;
	DIR *dir;
	int ret = 0;

	if (!exe_ids)
		return -ENOMEM;
	for (size_t i = 0; i < m->nexes; i++) {
		struct stat st;

		if (stat(m->exes[i], &st) == 0) {
			exe_ids[i][0] = st.st_dev;
			exe_ids[i][1] = st.st_ino;
		}
	}
	dir = opendir("/proc");
	if (!dir) {
		free(exe_ids);
		return -errno;
	}
	while (!ret && (de = readdir(dir))) {
		struct gmt_proc_id id;
		char *end;
		long pid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0 || pid == self_pid)
			continue;
		if (gmt_proc_identity((pid_t)pid, &id))
			continue;
		if (gmt_proc_matches(m, (const uint64_t(*)[2])exe_ids, &id))
			ret = cb(ctx, &id);
	}
	closedir(dir);
	free(exe_ids);
	return ret;
}
