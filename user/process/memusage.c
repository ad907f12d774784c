// SPDX-License-Identifier: MIT
#include "memusage.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A small file's text, NUL-terminated: its length or a negative errno. */
static ssize_t read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	ssize_t r;

	if (fd < 0)
		return -errno;
	while (n + 1 < len && (r = read(fd, buf + n, len - 1 - n)) > 0)
		n += (size_t)r;
	r = r < 0 ? -errno : 0;
	close(fd);
	buf[n] = '\0';
	return r < 0 ? r : (ssize_t)n;
}

int gmt_memusage_parse_status(const char *text, uint64_t *rss)
{
	const char *l = text;

	while (l && *l) {
		unsigned long long kb;

		if (!strncmp(l, "VmRSS:", 6) && sscanf(l + 6, " %llu kB", &kb) == 1) {
			*rss = (uint64_t)kb * 1024;
			return 0;
		}
		l = strchr(l, '\n');
		l = l ? l + 1 : NULL;
	}
	return -ENOENT;
}

int gmt_memusage_parse_cgroup(const char *text, char *path, size_t len)
{
	const char *l = text;

	while (l && *l) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);

		/* The unified hierarchy: ID 0, no controllers. */
		if (n >= 3 && !strncmp(l, "0::", 3)) {
			if (n - 3 >= len)
				return -ENAMETOOLONG;
			memcpy(path, l + 3, n - 3);
			path[n - 3] = '\0';
			return 0;
		}
		l = e ? e + 1 : NULL;
	}
	return -ENOENT;
}

/* A cgroup file holding one number or "max": 0, 1 for "max", or a negative errno. */
static int read_limit(const char *path, uint64_t *v)
{
	char buf[64], *end;
	ssize_t n = read_text(path, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	if (!strncmp(buf, "max", 3))
		return 1;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

int gmt_memusage_read(const char *proc_root, const char *cgroup_root, pid_t pid,
		      struct gmt_memusage *u)
{
	char path[512], buf[4096], file[768];
	ssize_t n;
	int r;

	memset(u, 0, sizeof(*u));
	snprintf(path, sizeof(path), "%s/%d/status", proc_root, (int)pid);
	n = read_text(path, buf, sizeof(buf));
	if (n < 0)
		return -ESRCH;
	/* A kernel thread or a zombie has no VmRSS: no resident set to give. */
	u->have_rss = !gmt_memusage_parse_status(buf, &u->rss);
	snprintf(path, sizeof(path), "%s/%d/cgroup", proc_root, (int)pid);
	if (read_text(path, buf, sizeof(buf)) < 0 ||
	    gmt_memusage_parse_cgroup(buf, u->cgroup, sizeof(u->cgroup)))
		return 0;
	/* "/" is the root cgroup: it has no memory.max (the machine is its limit). */
	snprintf(file, sizeof(file), "%s%s/memory.current", cgroup_root,
		 strcmp(u->cgroup, "/") ? u->cgroup : "");
	u->have_current = !read_limit(file, &u->cgroup_current);
	snprintf(file, sizeof(file), "%s%s/memory.max", cgroup_root,
		 strcmp(u->cgroup, "/") ? u->cgroup : "");
	r = read_limit(file, &u->cgroup_max);
	u->have_max = r >= 0;
	u->cgroup_unlimited = r == 1;
	return 0;
}
