// SPDX-License-Identifier: MIT
#include "bincache.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analysis.h"

struct file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct entry {
	struct file_id id;
	struct gmt_analysis *an; /* the cache's reference */
	uint64_t last_use;
};

struct gmt_bincache {
	struct entry *e;
	size_t n, cap;
	size_t keep_unused;
	uint64_t clock;
	struct gmt_bincache_stats st;
};

static int file_id(const char *path, struct file_id *id)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	*id = (struct file_id){ st.st_dev, st.st_ino, st.st_size, st.st_mtim };
	return 0;
}

static bool same(const struct file_id *a, const struct file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

struct gmt_bincache *gmt_bincache__new(size_t keep_unused)
{
	struct gmt_bincache *c = calloc(1, sizeof(*c));

	if (c)
		c->keep_unused = keep_unused;
	return c;
}

/* Unused entries (only the cache's reference left) beyond keep_unused, oldest first. */
static void trim(struct gmt_bincache *c)
{
	for (;;) {
		size_t unused = 0, oldest = c->n;

		for (size_t i = 0; i < c->n; i++) {
			if (c->e[i].an->refs != 1)
				continue;
			unused++;
			if (oldest == c->n || c->e[i].last_use < c->e[oldest].last_use)
				oldest = i;
		}
		if (unused <= c->keep_unused)
			return;
		gmt_analysis__put(c->e[oldest].an);
		c->e[oldest] = c->e[--c->n];
	}
}

int gmt_bincache__get(struct gmt_bincache *c, const char *path, struct gmt_analysis **out,
		      struct gmt_diag *d)
{
	struct gmt_analysis *an;
	struct file_id id, after = { 0 };
	int err;

	*out = NULL;
	err = file_id(path, &id);
	if (err)
		return gmt_diag_set(d, err, "cannot stat %s: %s", path, strerror(-err));
	for (size_t i = 0; i < c->n; i++)
		if (same(&c->e[i].id, &id)) {
			c->e[i].last_use = ++c->clock;
			c->st.hits++;
			*out = gmt_analysis__get(c->e[i].an);
			return 0;
		}
	err = gmt_analysis__open(path, &an, d);
	if (err)
		return err;
	c->st.builds++;
	/* Replaced while it was read: the analysis is of one of the two, not cached. */
	if (file_id(path, &after) || !same(&id, &after)) {
		*out = an;
		return 0;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 8;
		struct entry *e = realloc(c->e, cap * sizeof(*e));

		if (!e) {
			*out = an; /* usable, just not shared */
			return 0;
		}
		c->e = e;
		c->cap = cap;
	}
	c->e[c->n++] = (struct entry){ id, an, ++c->clock };
	*out = gmt_analysis__get(an);
	trim(c);
	return 0;
}

struct gmt_bincache_stats gmt_bincache__stats(const struct gmt_bincache *c)
{
	struct gmt_bincache_stats st = c->st;

	st.entries = c->n;
	return st;
}

void gmt_bincache__free(struct gmt_bincache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		gmt_analysis__put(c->e[i].an);
	free(c->e);
	free(c);
}
