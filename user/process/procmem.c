// SPDX-License-Identifier: MIT
#include "procmem.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "target.h"

int gmt_procmem_parse_maps(const char *text, struct gmt_procmem_map **out)
{
	struct gmt_procmem_map *m = NULL;
	size_t n = 0, cap = 0;
	const char *p = text;

	*out = NULL;
	while (*p) {
		const char *eol = strchr(p, '\n');
		unsigned long long s, e;
		char perms[8];

		if (sscanf(p, "%llx-%llx %7s", &s, &e, perms) != 3 || e < s) {
			free(m);
			return -EINVAL;
		}
		if (perms[0] == 'r' && e > s) {
			if (n == cap) {
				struct gmt_procmem_map *q;

				cap = cap ? cap * 2 : 64;
				q = realloc(m, cap * sizeof(*m));
				if (!q) {
					free(m);
					return -ENOMEM;
				}
				m = q;
			}
			m[n++] = (struct gmt_procmem_map){ s, e };
		}
		if (!eol)
			break;
		p = eol + 1;
	}
	*out = m;
	return (int)n;
}

static int load_maps(struct gmt_procmem *pm)
{
	char path[64], *text = NULL;
	size_t len = 0, cap = 0;
	struct gmt_procmem_map *m;
	ssize_t r;
	int fd, n;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pm->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			char *q = realloc(text, cap = cap ? cap * 2 : 65536);

			if (!q) {
				free(text);
				close(fd);
				return -ENOMEM;
			}
			text = q;
		}
		r = read(fd, text + len, cap - len - 1);
		if (r < 0) {
			r = -errno;
			free(text);
			close(fd);
			return (int)r;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (!len) {
		free(text);
		return -ESRCH; /* a zombie has no mappings */
	}
	text[len] = 0;
	n = gmt_procmem_parse_maps(text, &m);
	free(text);
	if (n < 0)
		return n;
	free(pm->maps);
	pm->maps = m;
	pm->nmaps = (size_t)n;
	return 0;
}

static bool exe_id(pid_t pid, uint64_t *dev, uint64_t *ino)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if (stat(path, &st) < 0)
		return false;
	*dev = st.st_dev;
	*ino = st.st_ino;
	return true;
}

int gmt_procmem_open(struct gmt_procmem *pm, pid_t pid, struct gmt_diag *d)
{
	int err;

	memset(pm, 0, sizeof(*pm));
	pm->pid = pid;
	pm->fd = gmt_proc_open_mem(pid, O_RDONLY, d);
	if (pm->fd < 0)
		return pm->fd;
	if (!exe_id(pid, &pm->exe_dev, &pm->exe_ino)) {
		gmt_procmem_close(pm);
		return gmt_diag_set(d, -ESRCH, "PID %d has no executable any more", (int)pid);
	}
	err = load_maps(pm);
	if (err) {
		gmt_procmem_close(pm);
		return gmt_diag_set(d, err, "cannot read /proc/%d/maps: %s", (int)pid,
				    err == -ESRCH ? "no such process" : strerror(-err));
	}
	return 0;
}

void gmt_procmem_close(struct gmt_procmem *pm)
{
	if (pm->fd >= 0)
		close(pm->fd);
	free(pm->maps);
	memset(pm, 0, sizeof(*pm));
	pm->fd = -1;
}

/* [addr, addr+len) inside one readable mapping (adjacent ones count as one). */
static bool mapped(const struct gmt_procmem *pm, uint64_t addr, size_t len)
{
	uint64_t end = addr + len;
	size_t lo = 0, hi = pm->nmaps;

	while (lo < hi) { /* the first mapping that ends after addr */
		size_t mid = lo + (hi - lo) / 2;

		if (pm->maps[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < pm->nmaps && pm->maps[i].start <= addr; i++) {
		if (end <= pm->maps[i].end)
			return true;
		if (i + 1 < pm->nmaps && pm->maps[i + 1].start == pm->maps[i].end)
			addr = pm->maps[i].end; /* continues in the next one */
		else
			return false;
	}
	return false;
}

static bool gone(const struct gmt_procmem *pm)
{
	uint64_t dev, ino;

	if (kill(pm->pid, 0) < 0 && errno == ESRCH)
		return true;
	return !exe_id(pm->pid, &dev, &ino) || dev != pm->exe_dev || ino != pm->exe_ino;
}

static int pm_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct gmt_procmem *pm = ctx;
	ssize_t n;

	if (!mapped(pm, addr, len)) {
		int err = load_maps(pm); /* the heap may have grown since */

		if (err)
			return err == -ESRCH || gone(pm) ? -ESRCH : err;
		if (!mapped(pm, addr, len))
			return -EFAULT;
	}
	n = pread(pm->fd, buf, len, (off_t)addr);
	pm->reads++;
	if (n == (ssize_t)len)
		return 0;
	if (gone(pm))
		return -ESRCH;
	/* Unmapped since the maps were read (EIO), or a short read: no bytes to trust. */
	return n < 0 && errno != EIO ? -errno : -EFAULT;
}

struct gmt_rmem gmt_procmem_rmem(struct gmt_procmem *pm)
{
	return (struct gmt_rmem){ pm_read, pm };
}
