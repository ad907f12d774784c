// SPDX-License-Identifier: MIT
#include "wordguard.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "procmaps.h"
#include "procmem.h"

struct gmt_word_guard {
	struct gmt_procmem *mem;
	uint64_t addr;
	int64_t original, written, seen;
	bool armed; /* we wrote, and have not restored or given up yet */
};

int gmt_word_guard__set(pid_t pid, uint64_t addr, int64_t val, struct gmt_word_guard **out,
			struct gmt_diag *d)
{
	struct gmt_word_guard *g;
	const struct gmt_map *e;
	uint64_t cur;
	int err;

	*out = NULL;
	if (addr & 7)
		return gmt_procmem_explain(d, -EINVAL, pid, addr, true, NULL);
	g = calloc(1, sizeof(*g));
	if (!g)
		return gmt_diag_set(d, -ENOMEM, "out of memory");
	g->addr = addr;
	g->written = val;
	err = gmt_procmem__open(pid, GMT_PROCMEM_WRITE, &g->mem, d);
	if (err) {
		free(g);
		return err;
	}
	/* Refused before anything is read: only a variable may be written (procmem.h). */
	e = gmt_procmem__mapping(g->mem, addr);
	if (e && e->perms[1] != 'w')
		err = -EFAULT;
	if (!err)
		err = gmt_procmem__read_word(g->mem, addr, &cur);
	if (err) {
		gmt_procmem_explain(d, err, pid, addr, false, e ? e->perms : NULL);
		goto fail;
	}
	g->original = (int64_t)cur;
	if (g->original == val) {
		*out = g;
		return GMT_GUARD_ALREADY;
	}
	err = gmt_procmem__write_word(g->mem, addr, (uint64_t)val);
	if (err) {
		gmt_procmem_explain(d, err, pid, addr, true, e ? e->perms : NULL);
		goto fail;
	}
	g->armed = true;
	*out = g;
	return GMT_GUARD_WROTE;
fail:
	gmt_procmem__close(g->mem);
	free(g);
	return err;
}

int gmt_word_guard__restore(struct gmt_word_guard *g)
{
	uint64_t cur, orig;
	int err;

	if (!g || !g->armed)
		return GMT_GUARD_NOOP;
	/* The word __set() checked and wrote: no look at the mappings, no allocation. */
	err = gmt_procmem__word_io(g->mem, g->addr, &cur, false);
	if (err == -ESRCH)
		g->armed = false;
	if (err)
		return err;
	if ((int64_t)cur != g->written) {
		g->seen = (int64_t)cur;
		g->armed = false;
		return GMT_GUARD_LEFT;
	}
	orig = (uint64_t)g->original;
	err = gmt_procmem__word_io(g->mem, g->addr, &orig, true);
	if (err && err != -ESRCH)
		return err;
	g->armed = false;
	return err ? err : GMT_GUARD_WROTE;
}

int64_t gmt_word_guard__original(const struct gmt_word_guard *g)
{
	return g->original;
}

int64_t gmt_word_guard__written(const struct gmt_word_guard *g)
{
	return g->written;
}

int64_t gmt_word_guard__seen(const struct gmt_word_guard *g)
{
	return g->seen;
}

void gmt_word_guard__free(struct gmt_word_guard *g)
{
	if (!g)
		return;
	gmt_word_guard__restore(g);
	gmt_procmem__close(g->mem);
	free(g);
}
