// SPDX-License-Identifier: MIT
#include "retention.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "grow.h"

struct entry {
	char *path;
	const char *name; /* in path */
	size_t proc;	  /* index of its process directory */
	uint64_t bytes;
};

int gmt_remove_dir(const char *path, uint64_t *bytes)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char f[4096];
	int err = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(f, sizeof(f), "%s/%s", path, de->d_name);
		if (bytes && lstat(f, &st) == 0)
			*bytes += st.st_size;
		if (unlink(f) < 0 && !err)
			err = -errno;
	}
	closedir(d);
	if (rmdir(path) < 0 && !err)
		err = -errno;
	return err;
}

static uint64_t dir_bytes(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	uint64_t sum = 0;
	char f[4096];

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		struct stat st;

		snprintf(f, sizeof(f), "%s/%s", path, de->d_name);
		if (de->d_name[0] != '.' && lstat(f, &st) == 0 && S_ISREG(st.st_mode))
			sum += st.st_size;
	}
	closedir(d);
	return sum;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Calls cb(path, name) for every subdirectory of root not starting with '.'. */
static int list_dirs(const char *root, bool hidden,
		     int (*cb)(void *ctx, const char *path, const char *name), void *ctx)
{
	DIR *d = opendir(root);
	struct dirent *de;
	char p[4096];
	int err = 0;

	if (!d)
		return -errno;
	while (!err && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((de->d_name[0] == '.') != hidden)
			continue;
		snprintf(p, sizeof(p), "%s/%s", root, de->d_name);
		if (is_dir(p))
			err = cb(ctx, p, de->d_name);
	}
	closedir(d);
	return err;
}

struct collect {
	struct entry *e;
	size_t n, cap;
	size_t proc;
};

static int add_interval(void *ctx, const char *path, const char *name)
{
	struct collect *c = ctx;
	struct entry *e;

	if (GMT_GROW(&c->e, &c->cap, c->n + 1))
		return -ENOMEM;
	e = &c->e[c->n];
	e->path = strdup(path);
	if (!e->path)
		return -ENOMEM;
	e->name = e->path + strlen(path) - strlen(name);
	e->proc = c->proc;
	e->bytes = dir_bytes(path);
	c->n++;
	return 0;
}

static int add_process(void *ctx, const char *path, const char *name)
{
	struct collect *c = ctx;

	(void)name;
	c->proc++;
	return list_dirs(path, false, add_interval, c);
}

static int by_age(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	return r ? r : strcmp(x->path, y->path);
}

int gmt_retention_apply(const char *root, uint64_t keep, uint64_t max_disk,
			struct gmt_retention_stats *st)
{
	struct collect c = {0};
	size_t *count = NULL;
	bool *gone = NULL;
	int err;

	memset(st, 0, sizeof(*st));
	err = list_dirs(root, false, add_process, &c);
	if (err)
		goto out;
	qsort(c.e, c.n, sizeof(*c.e), by_age);
	count = calloc(c.proc + 1, sizeof(*count));
	gone = calloc(c.n + 1, sizeof(*gone));
	if (!count || !gone) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < c.n; i++) {
		count[c.e[i].proc]++;
		st->bytes += c.e[i].bytes;
	}
	/* The newest (the last) is never removed: i + 1 < c.n. */
	for (size_t i = 0; keep && i + 1 < c.n; i++) {
		if (count[c.e[i].proc] > keep) {
			gone[i] = true;
			count[c.e[i].proc]--;
			st->bytes -= c.e[i].bytes;
		}
	}
	for (size_t i = 0; max_disk && i + 1 < c.n && st->bytes > max_disk; i++) {
		if (!gone[i]) {
			gone[i] = true;
			st->bytes -= c.e[i].bytes;
		}
	}
	for (size_t i = 0; i < c.n; i++) {
		if (!gone[i]) {
			st->intervals++;
			continue;
		}
		if (gmt_remove_dir(c.e[i].path, &st->removed_bytes) == 0)
			st->removed++;
	}
out:
	for (size_t i = 0; i < c.n; i++)
		free(c.e[i].path);
	free(c.e);
	free(count);
	free(gone);
	return err;
}

static int clean_partial(void *ctx, const char *path, const char *name)
{
	int *n = ctx;
	size_t len = strlen(name);

	if (len > 8 && !strcmp(name + len - 8, ".partial") && gmt_remove_dir(path, NULL) == 0)
		(*n)++;
	return 0;
}

static int clean_process(void *ctx, const char *path, const char *name)
{
	(void)name;
	return list_dirs(path, true, clean_partial, ctx);
}

int gmt_retention_clean(const char *root)
{
	int n = 0, err = list_dirs(root, false, clean_process, &n);

	return err ? err : n;
}
