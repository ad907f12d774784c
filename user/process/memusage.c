// SPDX-License-Identifier: MIT
#include "memusage.h"

#include <ctype.h>
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

/*
 * The path of a /proc/PID/cgroup line ("ID:controllers:path"): the unified hierarchy's
 * ("0::path") when !v1_memory, else the v1 hierarchy whose controllers include memory.
 */
static int cgroup_path(const char *text, bool v1_memory, char *path, size_t len)
{
	const char *l = text;

	while (l && *l) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		const char *c = memchr(l, ':', n);
		const char *p = c ? memchr(c + 1, ':', n - (size_t)(c + 1 - l)) : NULL;
		bool match = false;

		if (p && !v1_memory) {
			match = c == l + 1 && *l == '0' && p == c + 1;
		} else if (p) {
			/* "cpu,memory": memory as one whole name of the list */
			for (const char *w = c + 1; w < p;) {
				const char *we = memchr(w, ',', (size_t)(p - w));

				we = we ? we : p;
				if (we - w == 6 && !strncmp(w, "memory", 6))
					match = true;
				w = we + 1;
			}
		}
		if (match) {
			size_t plen = n - (size_t)(p + 1 - l);

			if (plen >= len)
				return -ENAMETOOLONG;
			memcpy(path, p + 1, plen);
			path[plen] = '\0';
			return 0;
		}
		l = e ? e + 1 : NULL;
	}
	return -ENOENT;
}

int gmt_memusage_parse_cgroup(const char *text, char *path, size_t len)
{
	return cgroup_path(text, false, path, len);
}

int gmt_memusage_parse_cgroup_v1(const char *text, char *path, size_t len)
{
	return cgroup_path(text, true, path, len);
}

/* seg[0..len) as a container ID: the 64 hex digits inside the runtimes' wrapping. */
static bool container_segment(const char *seg, size_t len, char out[65])
{
	static const char *const prefixes[] = { "docker-", "cri-containerd-", "crio-",
						"libpod-", "containerd-" };
	static const char scope[] = ".scope";

	if (len > sizeof(scope) - 1 && !memcmp(seg + len - (sizeof(scope) - 1), scope,
					       sizeof(scope) - 1))
		len -= sizeof(scope) - 1;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t pl = strlen(prefixes[i]);

		if (len > pl && !memcmp(seg, prefixes[i], pl)) {
			seg += pl;
			len -= pl;
			break;
		}
	}
	if (len != 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)seg[i]))
			return false;
	memcpy(out, seg, 64);
	out[64] = '\0';
	return true;
}

int gmt_memusage_parse_container_id(const char *text, char out[65])
{
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *path = strchr(l, ':');
		size_t end;

		path = path ? strchr(path + 1, ':') : NULL;
		if (!path)
			continue;
		path++;
		end = strcspn(path, "\n");
		/* the innermost segment first: a pod's cgroup holds its containers' */
		while (end > 0) {
			size_t start = end;

			while (start > 0 && path[start - 1] != '/')
				start--;
			if (container_segment(path + start, end - start, out))
				return 0;
			end = start ? start - 1 : 0;
		}
	}
	return -ENOENT;
}

int gmt_memusage_container_id(const char *proc_root, pid_t pid, char out[65])
{
	char path[512], buf[4096];

	snprintf(path, sizeof(path), "%s/%d/cgroup", proc_root, (int)pid);
	if (read_text(path, buf, sizeof(buf)) < 0)
		return -ESRCH;
	return gmt_memusage_parse_container_id(buf, out);
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
	/* v1 says "no limit" with the page counter's maximum, 2^63 - 1 rounded to a page. */
	return *v >= (1ull << 62) ? 1 : 0;
}

/* The limit and usage of one memory cgroup's files: true when either reads. */
static bool read_memcg(const char *dir, const char *cur_name, const char *max_name,
		       struct gmt_memusage *u)
{
	char file[768];
	int r;

	snprintf(file, sizeof(file), "%s/%s", dir, cur_name);
	u->have_current = !read_limit(file, &u->cgroup_current);
	snprintf(file, sizeof(file), "%s/%s", dir, max_name);
	r = read_limit(file, &u->cgroup_max);
	u->have_max = r >= 0;
	u->cgroup_unlimited = r == 1;
	if (u->cgroup_unlimited)
		u->cgroup_max = 0;
	return u->have_current || u->have_max;
}

int gmt_memusage_read(const char *proc_root, const char *cgroup_root, pid_t pid,
		      struct gmt_memusage *u)
{
	char path[512], buf[4096], dir[600], v1[256];
	ssize_t n;

	memset(u, 0, sizeof(*u));
	snprintf(path, sizeof(path), "%s/%d/status", proc_root, (int)pid);
	n = read_text(path, buf, sizeof(buf));
	if (n < 0)
		return -ESRCH;
	/* A kernel thread or a zombie has no VmRSS: no resident set to give. */
	u->have_rss = !gmt_memusage_parse_status(buf, &u->rss);
	snprintf(path, sizeof(path), "%s/%d/cgroup", proc_root, (int)pid);
	if (read_text(path, buf, sizeof(buf)) < 0)
		return 0;
	if (gmt_memusage_parse_container_id(buf, u->container_id))
		u->container_id[0] = '\0';
	/* "/" is the root cgroup: it has no memory.max (the machine is its limit). */
	if (!gmt_memusage_parse_cgroup(buf, u->cgroup, sizeof(u->cgroup))) {
		snprintf(dir, sizeof(dir), "%s%s", cgroup_root,
			 strcmp(u->cgroup, "/") ? u->cgroup : "");
		if (read_memcg(dir, "memory.current", "memory.max", u)) {
			u->memcg_version = 2;
			snprintf(u->memcg, sizeof(u->memcg), "%s", u->cgroup);
			return 0;
		}
	}
	/* No memory files in v2: the memory controller is on a v1 hierarchy (hybrid). */
	if (gmt_memusage_parse_cgroup_v1(buf, v1, sizeof(v1)))
		return 0;
	snprintf(dir, sizeof(dir), "%s/memory%s", cgroup_root, strcmp(v1, "/") ? v1 : "");
	if (read_memcg(dir, "memory.usage_in_bytes", "memory.limit_in_bytes", u)) {
		u->memcg_version = 1;
		snprintf(u->memcg, sizeof(u->memcg), "%s", v1);
	}
	return 0;
}
