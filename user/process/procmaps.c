// SPDX-License-Identifier: MIT
#include "procmaps.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf_file.h"
#include "gobin.h"
#include "preflight.h"
#include "proc.h"

void gmt_maps_free(struct gmt_maps *m)
{
	free(m->v);
	free(m->text);
	memset(m, 0, sizeof(*m));
}

/* One line, NUL-terminated, into *e (its path points into the line). */
static int parse_line(char *line, struct gmt_map *e)
{
	unsigned int maj, min;
	int used = 0;
	char *p;

	memset(e, 0, sizeof(*e));
	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %" SCNu64 "%n", &e->start,
		   &e->end, e->perms, &e->off, &maj, &min, &e->ino, &used) != 7 ||
	    !used || e->end <= e->start || strlen(e->perms) != 4)
		return -EINVAL;
	p = line + used;
	if (*p && *p != ' ' && *p != '\t')
		return -EINVAL;
	while (*p == ' ' || *p == '\t')
		p++;
	e->dev_major = maj;
	e->dev_minor = min;
	e->path = p;
	return 0;
}

int gmt_maps_parse(const char *text, size_t len, struct gmt_maps *m)
{
	size_t lines = 0, cap;
	char *p, *end;

	gmt_maps_free(m);
	m->text = malloc(len + 1);
	if (!m->text)
		return -ENOMEM;
	memcpy(m->text, text, len);
	m->text[len] = 0;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	cap = lines + 1;
	m->v = calloc(cap, sizeof(*m->v));
	if (!m->v) {
		gmt_maps_free(m);
		return -ENOMEM;
	}
	for (p = m->text, end = m->text + len; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		struct gmt_map *e = &m->v[m->n];

		if (nl)
			*nl = 0;
		if (*p) {
			/* The kernel lists them in order, without overlaps: lookups rely on it. */
			if (m->n == cap || parse_line(p, e) ||
			    (m->n && e->start < m->v[m->n - 1].end)) {
				gmt_maps_free(m);
				return -EINVAL;
			}
			m->n++;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
}

/* One read of the whole file, from its start. */
static int maps_read_once(int fd, struct gmt_maps *m)
{
	size_t len = 0, cap = 16384;
	char *buf = malloc(cap);
	int err;

	if (!buf)
		return -ENOMEM;
	if (lseek(fd, 0, SEEK_SET) < 0) {
		err = -errno;
		free(buf);
		return err;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			free(buf);
			return err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	/* An empty maps file: the address space is gone (a zombie, or an exited process). */
	err = len ? gmt_maps_parse(buf, len, m) : -ESRCH;
	free(buf);
	return err;
}

/*
 * The kernel writes the file a page at a time and the process may map, unmap or change
 * protections between two pages: a mapping that grew by merging with its neighbour is
 * then written again, from its old start, and overlaps the line before it.  Such a read
 * is taken again; a file still out of order after GMT_MAPS_TRIES reads is an error.
 */
#define GMT_MAPS_TRIES 32

int gmt_maps_read_fd(int fd, struct gmt_maps *m)
{
	int err = -EINVAL;

	for (int i = 0; i < GMT_MAPS_TRIES && err == -EINVAL; i++)
		err = maps_read_once(fd, m);
	return err;
}

int gmt_maps_read(pid_t pid, struct gmt_maps *m, struct gmt_diag *d)
{
	char path[64];
	int fd, err;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return gmt_diag_set(d, -ESRCH, "PID %d is gone", (int)pid);
	if (fd < 0) {
		err = gmt_diag_set(d, -errno, "cannot read %s: %s", path, strerror(errno));
		if (err == -EACCES || err == -EPERM)
			gmt_explain_access(pid, GMT_ACCESS_PTRACE, d);
		return err;
	}
	err = gmt_maps_read_fd(fd, m);
	close(fd);
	if (err == -ESRCH)
		return gmt_diag_set(d, err, "PID %d is gone", (int)pid);
	if (err)
		return gmt_diag_set(d, err, "cannot read %s: %s", path, strerror(-err));
	return 0;
}

const struct gmt_map *gmt_maps_find(const struct gmt_maps *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < m->v[mid].start)
			hi = mid;
		else if (addr >= m->v[mid].end)
			lo = mid + 1;
		else
			return &m->v[mid];
	}
	return NULL;
}

size_t gmt_maps_span(const struct gmt_maps *m, uint64_t addr, size_t len)
{
	const struct gmt_map *e = gmt_maps_find(m, addr);
	size_t got = 0;

	while (e && got < len) {
		uint64_t at = addr + got;

		got += e->end - at < len - got ? (size_t)(e->end - at) : len - got;
		if (got == len || e + 1 == m->v + m->n || e[1].start != e->end)
			break;
		e++;
	}
	return got;
}

int gmt_maps_load_bias(const struct gmt_maps *m, uint64_t ino, uint64_t seg_vaddr,
		       uint64_t seg_off, uint64_t *bias)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct gmt_map *e = &m->v[i];

		/* By inode only: overlay and other stacked filesystems show another device. */
		if (e->ino == ino && e->off == (seg_off & ~0xfffULL)) {
			*bias = e->start - (seg_vaddr & ~0xfffULL);
			return 0;
		}
	}
	return -ENOENT;
}

int gmt_proc_load_bias(pid_t pid, uint64_t seg_vaddr, uint64_t seg_off, uint64_t *bias,
		       struct gmt_diag *d)
{
	struct gmt_maps m = {0};
	uint64_t dev, ino;
	int err = gmt_proc_exe_id(pid, &dev, &ino);

	if (err)
		return gmt_diag_set(d, err, "cannot stat /proc/%d/exe: %s", (int)pid,
				    strerror(-err));
	err = gmt_maps_read(pid, &m, d);
	if (err)
		return err;
	err = gmt_maps_load_bias(&m, ino, seg_vaddr, seg_off, bias);
	gmt_maps_free(&m);
	if (err)
		return gmt_diag_set(d, err, "PID %d: the executable is not mapped", (int)pid);
	return 0;
}

int gmt_proc_exe_bias(const struct gmt_gobin *gb, pid_t pid, uint64_t *bias,
		      struct gmt_diag *d)
{
	const struct gmt_elf_seg *first = NULL;

	for (size_t i = 0; i < gmt_elf__nsegs(gb->elf); i++) {
		const struct gmt_elf_seg *s = gmt_elf__seg(gb->elf, i);

		if (s->type == PT_LOAD && (!first || s->off < first->off))
			first = s;
	}
	if (!first)
		return gmt_diag_set(d, -ENOEXEC, "no loadable segment");
	if (!gb->pie) {
		*bias = 0;
		return 0;
	}
	return gmt_proc_load_bias(pid, first->vaddr, first->off, bias, d);
}
