// SPDX-License-Identifier: MIT
#include "procscan.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
