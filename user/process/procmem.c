// SPDX-License-Identifier: MIT
#include "procmem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preflight.h"
#include "procmaps.h"

struct gmt_procmem {
	pid_t pid;
	int mem_fd;
	int maps_fd; /* the same address space's mappings, read again when needed */
	struct gmt_maps maps;
};

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

int gmt_procmem__open(pid_t pid, unsigned int flags, struct gmt_procmem **out,
		      struct gmt_diag *d)
{
	struct gmt_procmem *m;
	char path[64];
	int err;

	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return gmt_diag_set(d, -ENOMEM, "out of memory");
	m->pid = pid;
	m->maps_fd = -1;
	m->mem_fd = gmt_proc_open_mem(pid, flags & GMT_PROCMEM_WRITE ? O_RDWR : O_RDONLY, d);
	if (m->mem_fd < 0) {
		err = m->mem_fd;
		free(m);
		return err;
	}
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	m->maps_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (m->maps_fd < 0) {
		err = errno == ENOENT ? -ESRCH : -errno;
		gmt_diag_set(d, err, "cannot read %s: %s", path,
			     err == -ESRCH ? "no such process" : strerror(-err));
		if (err == -EACCES || err == -EPERM)
			gmt_explain_access(pid, GMT_ACCESS_PTRACE, d);
		goto fail;
	}
	err = gmt_maps_read_fd(m->maps_fd, &m->maps);
	if (err) {
		gmt_procmem_explain(d, err, pid, 0, false, NULL);
		goto fail;
	}
	*out = m;
	return 0;
fail:
	gmt_procmem__close(m);
	return err;
}

pid_t gmt_procmem__pid(const struct gmt_procmem *m)
{
	return m->pid;
}

void gmt_procmem__close(struct gmt_procmem *m)
{
	if (!m)
		return;
	if (m->mem_fd >= 0)
		close(m->mem_fd);
	if (m->maps_fd >= 0)
		close(m->maps_fd);
	gmt_maps_free(&m->maps);
	free(m);
}

/* The mappings again: the program mapped more (its heap grew) since they were read. */
static int reload(struct gmt_procmem *m)
{
	struct gmt_maps fresh = {0};
	int err = gmt_maps_read_fd(m->maps_fd, &fresh);

	if (err)
		return err;
	gmt_maps_free(&m->maps);
	m->maps = fresh;
	return 0;
}

const struct gmt_map *gmt_procmem__mapping(struct gmt_procmem *m, uint64_t addr)
{
	const struct gmt_map *e = gmt_maps_find(&m->maps, addr);

	if (!e && !reload(m))
		e = gmt_maps_find(&m->maps, addr);
	return e;
}

ssize_t gmt_procmem__read(struct gmt_procmem *m, uint64_t addr, void *buf, size_t len)
{
	size_t span, got = 0;
	int err;

	if (!len)
		return 0;
	span = gmt_maps_span(&m->maps, addr, len);
	if (span < len) {
		err = reload(m);
		if (err)
			return err;
		span = gmt_maps_span(&m->maps, addr, len);
	}
	if (!span)
		return -EIO;
	while (got < span) {
		ssize_t n = pread(m->mem_fd, (char *)buf + got, span - got, (off_t)(addr + got));

		if (n < 0 && errno == EINTR)
			continue;
		/* Nothing at all: the address space is gone (exit, exec). */
		if (n == 0 && !got)
			return -ESRCH;
		/* Unmapped since the maps were read: what came before it is the answer. */
		if (n < 0 && errno == EIO && got)
			break;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int gmt_procmem__read_full(struct gmt_procmem *m, uint64_t addr, void *buf, size_t len)
{
	ssize_t n = gmt_procmem__read(m, addr, buf, len);

	if (n < 0)
		return (int)n;
	return (size_t)n == len ? 0 : -EIO;
}

static int rmem_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	int err = gmt_procmem__read_full(ctx, addr, buf, len);

	/* -EIO: nothing mapped, or the mapping ends first: no bytes to trust either way. */
	return err == -EIO ? -EFAULT : err;
}

struct gmt_rmem gmt_procmem__rmem(struct gmt_procmem *m)
{
	return (struct gmt_rmem){ rmem_read, m };
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

int gmt_procmem__word_io(const struct gmt_procmem *m, uint64_t addr, uint64_t *val, bool write)
{
	uint8_t buf[8];
	ssize_t n;

	if (addr & 7)
		return -EINVAL;
	if (write)
		for (int i = 0; i < 8; i++)
			buf[i] = (uint8_t)(*val >> (8 * i));
	do {
		n = write ? pwrite(m->mem_fd, buf, 8, (off_t)addr)
			  : pread(m->mem_fd, buf, 8, (off_t)addr);
	} while (n < 0 && errno == EINTR);
	if (n == 0)
		return -ESRCH;
	if (n < 0)
		return -errno;
	if (n != 8)
		return -EIO;
	if (!write)
		*val = le64(buf);
	return 0;
}

int gmt_procmem__read_word(struct gmt_procmem *m, uint64_t addr, uint64_t *val)
{
	uint8_t buf[8];
	int err;

	if (addr & 7)
		return -EINVAL;
	err = gmt_procmem__read_full(m, addr, buf, sizeof(buf));
	if (!err)
		*val = le64(buf);
	return err;
}

int gmt_procmem__write_word(struct gmt_procmem *m, uint64_t addr, uint64_t val)
{
	const struct gmt_map *e;

	if (addr & 7)
		return -EINVAL;
	e = gmt_maps_find(&m->maps, addr);
	if (!e) {
		int err = reload(m);

		if (err)
			return err;
		e = gmt_maps_find(&m->maps, addr);
	}
	if (!e || addr + 8 > e->end)
		return -EIO;
	if (e->perms[1] != 'w')
		return -EFAULT;
	return gmt_procmem__word_io(m, addr, &val, true);
}

int gmt_procmem_explain(struct gmt_diag *d, int err, pid_t pid, uint64_t addr, bool write,
			const char *perms)
{
	switch (err) {
	case -ESRCH:
		return gmt_diag_set(d, err, "PID %d is gone", (int)pid);
	case -EIO:
		return gmt_diag_set(d, err, "PID %d: nothing is mapped at %#llx", (int)pid,
				    (unsigned long long)addr);
	case -EFAULT:
		return gmt_diag_set(d, err,
				    "PID %d: %#llx is in a read-only mapping (%s): not a variable",
				    (int)pid, (unsigned long long)addr, perms ? perms : "?");
	case -EINVAL:
		return gmt_diag_set(d, err, "%#llx is not an aligned word",
				    (unsigned long long)addr);
	default:
		return gmt_diag_set(d, err, "cannot %s PID %d's memory at %#llx: %s",
				    write ? "write" : "read", (int)pid, (unsigned long long)addr,
				    strerror(-err));
	}
}

static int word_once(pid_t pid, uint64_t addr, int64_t *val, bool write, struct gmt_diag *d)
{
	struct gmt_procmem *m;
	uint64_t v = (uint64_t)*val;
	int err;

	if (addr & 7)
		return gmt_procmem_explain(d, -EINVAL, pid, addr, write, NULL);
	err = gmt_procmem__open(pid, write ? GMT_PROCMEM_WRITE : 0, &m, d);
	if (err)
		return err;
	err = write ? gmt_procmem__write_word(m, addr, v) : gmt_procmem__read_word(m, addr, &v);
	if (err) {
		const struct gmt_map *e = gmt_maps_find(&m->maps, addr);

		gmt_procmem_explain(d, err, pid, addr, write, e ? e->perms : NULL);
	} else if (!write) {
		*val = (int64_t)v;
	}
	gmt_procmem__close(m);
	return err;
}

int gmt_proc_read_word(pid_t pid, uint64_t addr, int64_t *val, struct gmt_diag *d)
{
	return word_once(pid, addr, val, false, d);
}

int gmt_proc_write_word(pid_t pid, uint64_t addr, int64_t val, struct gmt_diag *d)
{
	return word_once(pid, addr, &val, true, d);
}
