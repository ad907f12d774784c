// SPDX-License-Identifier: MIT
/* Probable goroutine leaks from successive goroutine reads (leakflag.h). */
#include "leakflag.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "hmap.h"
#include "json_writer.h"

struct group {
	char *creator, *wait_site, *reason;
	/* History, a ring indexed by read number % GMT_LEAK_READS (0 before it existed). */
	uint64_t cnt[GMT_LEAK_READS];
	int64_t oldest[GMT_LEAK_READS];
	uint64_t min_goid;	/* the group's smallest goid at the last read it had one */
	int64_t min_goid_since; /* when that goid was first seen in the group */
	bool leak;
	/* The read being made. */
	uint64_t p_count, p_min_goid;
	int64_t p_waited;
};

struct gmt_leakflag {
	struct group *g;
	size_t n, cap;
	struct gmt_hmap idx; /* hash of the key -> index in g */
	size_t reads;	     /* complete reads */
	uint64_t last_total; /* goroutines in the last complete read */
	int64_t now;
	bool in_read, failed;
};

struct gmt_leakflag *gmt_leakflag__new(void)
{
	return calloc(1, sizeof(struct gmt_leakflag));
}

static void group_free(struct group *g)
{
	free(g->creator);
	free(g->wait_site);
	free(g->reason);
}

void gmt_leakflag__free(struct gmt_leakflag *lf)
{
	if (!lf)
		return;
	for (size_t i = 0; i < lf->n; i++)
		group_free(&lf->g[i]);
	free(lf->g);
	gmt_hmap_free(&lf->idx);
	free(lf);
}

void gmt_leakflag__begin(struct gmt_leakflag *lf, int64_t now_ns)
{
	lf->now = now_ns;
	lf->in_read = true;
	lf->failed = false;
	for (size_t i = 0; i < lf->n; i++) {
		lf->g[i].p_count = 0;
		lf->g[i].p_min_goid = UINT64_MAX;
		lf->g[i].p_waited = 0;
	}
}

struct key {
	const struct gmt_leakflag *lf;
	const char *c, *w, *r;
};

static bool same(const void *ctx, uint64_t i)
{
	const struct key *k = ctx;
	const struct group *g = &k->lf->g[i];

	return !strcmp(g->creator, k->c) && !strcmp(g->wait_site, k->w) && !strcmp(g->reason, k->r);
}

static uint64_t key_hash(const char *c, const char *w, const char *r)
{
	/* The terminating NULs keep ("ab", "c") apart from ("a", "bc"). */
	uint64_t h = gmt_hash_bytes(0, c, strlen(c) + 1);

	h = gmt_hash_bytes(h, w, strlen(w) + 1);
	return gmt_hash_bytes(h, r, strlen(r) + 1);
}

static struct group *find_or_add(struct gmt_leakflag *lf, const char *c, const char *w,
				 const char *r)
{
	uint64_t h = key_hash(c, w, r);
	uint64_t *i = gmt_hmap_find(&lf->idx, h, same, &(struct key){ lf, c, w, r });
	struct group *g;

	if (i)
		return &lf->g[*i];
	if (GMT_GROW(&lf->g, &lf->cap, lf->n + 1))
		return NULL;
	g = &lf->g[lf->n];
	memset(g, 0, sizeof(*g));
	g->creator = strdup(c);
	g->wait_site = strdup(w);
	g->reason = strdup(r);
	if (!g->creator || !g->wait_site || !g->reason || !gmt_hmap_add(&lf->idx, h, lf->n)) {
		group_free(g);
		return NULL;
	}
	g->p_min_goid = UINT64_MAX;
	lf->n++;
	return g;
}

int gmt_leakflag__add(struct gmt_leakflag *lf, const char *creator, const char *wait_site,
		      const char *reason, uint64_t goid, int64_t waited_ns)
{
	struct group *g = lf->in_read ? find_or_add(lf, creator, wait_site, reason) : NULL;

	if (!g) {
		lf->failed = true;
		return lf->in_read ? -ENOMEM : -EINVAL;
	}
	g->p_count++;
	if (goid < g->p_min_goid)
		g->p_min_goid = goid;
	if (waited_ns > g->p_waited)
		g->p_waited = waited_ns;
	return 0;
}

void gmt_leakflag__abort(struct gmt_leakflag *lf)
{
	lf->in_read = false;
}

/* The rule of leakflag.h over the ring, oldest read first. */
static bool judge(const struct group *g, size_t reads)
{
	int growths = 0;

	if (reads < GMT_LEAK_READS)
		return false;
	for (size_t k = 1; k < GMT_LEAK_READS; k++) {
		size_t cur = (reads - GMT_LEAK_READS + k) % GMT_LEAK_READS;
		size_t prev = (reads - GMT_LEAK_READS + k - 1) % GMT_LEAK_READS;

		if (g->cnt[cur] < g->cnt[prev] || g->oldest[cur] <= g->oldest[prev])
			return false;
		growths += g->cnt[cur] > g->cnt[prev];
	}
	return growths >= GMT_LEAK_MIN_GROWTHS;
}

int gmt_leakflag__end(struct gmt_leakflag *lf)
{
	size_t slot = lf->reads % GMT_LEAK_READS, kept = 0;

	if (!lf->in_read || lf->failed) {
		lf->in_read = false;
		return lf->failed ? -ENOMEM : -EINVAL;
	}
	lf->in_read = false;
	lf->last_total = 0;
	for (size_t i = 0; i < lf->n; i++) {
		struct group *g = &lf->g[i];
		int64_t seen = 0;

		g->cnt[slot] = g->p_count;
		lf->last_total += g->p_count;
		if (g->p_count) {
			/* The oldest goroutine seen before is still there: its wait goes on. */
			if (g->p_min_goid != g->min_goid) {
				g->min_goid = g->p_min_goid;
				g->min_goid_since = lf->now;
			}
			seen = lf->now - g->min_goid_since;
		} else {
			g->min_goid = 0;
		}
		g->oldest[slot] = g->p_count ? (g->p_waited > seen ? g->p_waited : seen) : 0;
	}
	lf->reads++;
	/* Groups that had no goroutine in the whole window are forgotten: memory stays bounded. */
	for (size_t i = 0; i < lf->n; i++) {
		struct group *g = &lf->g[i];
		bool any = false;

		for (size_t k = 0; k < GMT_LEAK_READS; k++)
			any |= g->cnt[k] != 0;
		if (!any) {
			group_free(g);
			continue;
		}
		g->leak = judge(g, lf->reads);
		lf->g[kept++] = *g;
	}
	lf->n = kept;
	/* The kept groups moved: index them again. */
	gmt_hmap_clear(&lf->idx);
	for (size_t i = 0; i < lf->n; i++) {
		const struct group *g = &lf->g[i];

		if (!gmt_hmap_add(&lf->idx, key_hash(g->creator, g->wait_site, g->reason), i))
			return -ENOMEM;
	}
	return 0;
}

size_t gmt_leakflag__reads(const struct gmt_leakflag *lf)
{
	return lf->reads;
}

uint64_t gmt_leakflag__goroutines(const struct gmt_leakflag *lf)
{
	return lf->last_total;
}

static size_t last_slot(const struct gmt_leakflag *lf)
{
	return (lf->reads + GMT_LEAK_READS - 1) % GMT_LEAK_READS;
}

static int by_flag_count(const void *a, const void *b)
{
	const struct gmt_leak_group *x = a, *y = b;
	int c;

	if (x->leak != y->leak)
		return x->leak ? -1 : 1;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	c = strcmp(x->creator, y->creator);
	if (!c)
		c = strcmp(x->wait_site, y->wait_site);
	return c ? c : strcmp(x->reason, y->reason);
}

int gmt_leakflag__groups(const struct gmt_leakflag *lf, struct gmt_leak_group **out)
{
	size_t last = last_slot(lf), first = lf->reads % GMT_LEAK_READS, n = 0;
	struct gmt_leak_group *v = calloc(lf->n ? lf->n : 1, sizeof(*v));

	*out = NULL;
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; lf->reads && i < lf->n; i++) {
		const struct group *g = &lf->g[i];

		if (!g->cnt[last])
			continue;
		v[n++] = (struct gmt_leak_group){
			.creator = g->creator, .wait_site = g->wait_site, .reason = g->reason,
			.count = g->cnt[last],
			/* Fewer reads than the window: the slot not written yet holds 0. */
			.count_first = g->cnt[first], .oldest_wait_ns = g->oldest[last],
			.leak = g->leak,
		};
	}
	qsort(v, n, sizeof(*v), by_flag_count);
	*out = v;
	return (int)n;
}

size_t gmt_leakflag__nflagged(const struct gmt_leakflag *lf, uint64_t *goroutines)
{
	size_t n = 0, last = last_slot(lf);
	uint64_t gs = 0;

	for (size_t i = 0; lf->reads && i < lf->n; i++)
		if (lf->g[i].leak) {
			n++;
			gs += lf->g[i].cnt[last];
		}
	if (goroutines)
		*goroutines = gs;
	return n;
}

#define RULE                                                                                  \
	"a group (creation site, wait site, wait reason) is flagged when, over its last %d "  \
	"reads, its count never fell and grew in at least %d steps, and its oldest wait grew " \
	"at every step"

int gmt_leakflag__report(const struct gmt_leakflag *lf, FILE *f)
{
	struct gmt_leak_group *v;
	int n = gmt_leakflag__groups(lf, &v), shown = 0;

	if (n < 0)
		return n;
	fprintf(f, "\nGoroutine leaks (no probe: %zu reads of every goroutine; " RULE "):\n",
		lf->reads, GMT_LEAK_READS, GMT_LEAK_MIN_GROWTHS);
	for (int i = 0; i < n && v[i].leak; i++, shown++)
		fprintf(f, "  PROBABLE LEAK %8llu goroutines (%+lld over the last %d reads), oldest "
			   "wait %.1f s: [%s] %s, created by %s\n",
			(unsigned long long)v[i].count,
			(long long)v[i].count - (long long)v[i].count_first, GMT_LEAK_READS,
			v[i].oldest_wait_ns / 1e9, v[i].reason, v[i].wait_site, v[i].creator);
	if (!shown)
		fprintf(f, "  none flagged (%d groups watched%s)\n", n,
			lf->reads < GMT_LEAK_READS ? ", too few reads yet" : "");
	free(v);
	return ferror(f) ? -EIO : 0;
}

int gmt_leakflag__summary_fields(const struct gmt_leakflag *lf, struct gmt_json *j)
{
	gmt_json__kuint(j, "goroutine_leak_reads", lf->reads);
	gmt_json__kuint(j, "goroutine_leak_window", GMT_LEAK_READS);
	gmt_json__key(j, "goroutine_leaks");
	return gmt_leakflag__leaks_json(lf, j);
}

int gmt_leakflag__leaks_json(const struct gmt_leakflag *lf, struct gmt_json *j)
{
	struct gmt_leak_group *v;
	int n = gmt_leakflag__groups(lf, &v);

	if (n < 0)
		return n;
	gmt_json__arr_begin(j);
	for (int i = 0; i < n && v[i].leak; i++) {
		gmt_json__obj_begin(j);
		gmt_json__kstr(j, "creator", v[i].creator);
		gmt_json__kstr(j, "wait_site", v[i].wait_site);
		gmt_json__kstr(j, "wait_reason", v[i].reason);
		gmt_json__kuint(j, "count", v[i].count);
		gmt_json__kuint(j, "count_window_start", v[i].count_first);
		gmt_json__kdouble(j, "oldest_wait_s", v[i].oldest_wait_ns / 1e9);
		gmt_json__obj_end(j);
	}
	gmt_json__arr_end(j);
	free(v);
	return 0;
}
