// SPDX-License-Identifier: MIT
#include "mprof.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "go_release.h"
#include "hmap.h"

struct cyc {
	uint64_t allocs, frees, alloc_bytes, free_bytes;
};

static uint64_t le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* memRecordCycle i of a memRecord at rec (0: active, 1..3: future[0..2]). */
static void get_cycle(const struct gmt_go_release *rel, const uint8_t *rec, int i, uint64_t size,
		      struct cyc *c)
{
	const uint8_t *p = rec + (i == 0 ? rel->mem_record.active
					 : rel->mem_record.future +
						   (uint64_t)(i - 1) * rel->sizes.mem_record_cycle);

	c->allocs = le64(p + rel->mem_record_cycle.allocs);
	c->frees = le64(p + rel->mem_record_cycle.frees);
	if (rel->mem_record_cycle.alloc_bytes != GMT_OFF_ABSENT) {
		c->alloc_bytes = le64(p + rel->mem_record_cycle.alloc_bytes);
		c->free_bytes = le64(p + rel->mem_record_cycle.free_bytes);
	} else {
		/* go1.27: every object of a bucket has the bucket's size. */
		c->alloc_bytes = c->allocs * size;
		c->free_bytes = c->frees * size;
	}
}

static void add_cycle(struct cyc *a, const struct cyc *b)
{
	a->allocs += b->allocs;
	a->frees += b->frees;
	a->alloc_bytes += b->alloc_bytes;
	a->free_bytes += b->free_bytes;
}

static uint32_t max_depth(const struct gmt_go_release *rel)
{
	int64_t v = rel->consts.max_prof_stack_depth; /* go1.23+: debug.profstackdepth's cap */

	if (v == GMT_CONST_ABSENT)
		v = rel->consts.max_stack; /* up to go1.22: a fixed 32 */
	return v > 0 && v <= 1 << 16 ? (uint32_t)v : 1024;
}

static bool layout_ok(const struct gmt_go_release *rel)
{
	const struct gmt_rel_bucket *b = &rel->bucket;

	return b->allnext != GMT_OFF_ABSENT && b->typ != GMT_OFF_ABSENT &&
	       b->size != GMT_OFF_ABSENT && b->nstk != GMT_OFF_ABSENT &&
	       rel->sizes.bucket != GMT_OFF_ABSENT && rel->sizes.mem_record != GMT_OFF_ABSENT &&
	       rel->mem_record.future != GMT_OFF_ABSENT &&
	       rel->lens.mem_record_future != GMT_OFF_ABSENT &&
	       rel->lens.mem_record_future >= 1 && rel->lens.mem_record_future <= 8 &&
	       rel->mprof_cycle.value != GMT_OFF_ABSENT &&
	       rel->consts.mem_profile != GMT_CONST_ABSENT;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

static int read_err(struct gmt_diag *d, int err, const char *what, size_t i, uint64_t addr)
{
	if (err == -ESRCH)
		return gmt_diag_set(d, err, "the process went away while its heap profile was read");
	if (err == -EFAULT)
		return gmt_diag_set(d, err,
				    "heap profile: %s of bucket %zu points to 0x%llx, which is not "
				    "mapped: not a bucket list",
				    what, i, (unsigned long long)addr);
	return gmt_diag_set(d, err, "heap profile: cannot read %s of bucket %zu at 0x%llx: %s",
			    what, i, (unsigned long long)addr, strerror(-err));
}

static int walk(const struct gmt_rmem *m, const struct gmt_go_release *rel,
		const struct gmt_mprof_addrs *a, struct gmt_mprof *out, struct gmt_diag *d);

int gmt_mprof_read(const struct gmt_rmem *m, const struct gmt_go_release *rel,
		   const struct gmt_mprof_addrs *a, struct gmt_mprof *out, struct gmt_diag *d)
{
	/* The buckets lie packed in the runtime's persistent chunks: read them by block. */
	struct gmt_rmem_cache c;
	struct gmt_rmem cm = gmt_rmem_cache_mem(&c);

	gmt_rmem_cache_init(&c, m);
	return walk(&cm, rel, a, out, d);
}

static int walk(const struct gmt_rmem *m, const struct gmt_go_release *rel,
		const struct gmt_mprof_addrs *a, struct gmt_mprof *out, struct gmt_diag *d)
{
	uint32_t maxd = max_depth(rel), nfut, cycval = 0;
	size_t cap_recs = 0, cap_pcs = 0, buflen = 0;
	struct gmt_hmap seen = {};
	uint8_t *buf = NULL;
	uint64_t head = 0, b;
	bool clear = true;
	int err;

	memset(out, 0, sizeof(*out));
	if (!layout_ok(rel))
		return gmt_diag_set(d, -ENOTSUP, "heap profile: the release table has no bucket "
						 "layout for %s", rel->version);
	nfut = rel->lens.mem_record_future;
	err = gmt_rmem_u32(m, a->mprof_cycle + rel->mprof_cycle.value, &cycval);
	if (err)
		return read_err(d, err, "runtime.mProfCycle", 0, a->mprof_cycle);
	out->cycle = cycval >> 1;
	err = gmt_rmem_u64(m, a->mbuckets, &head);
	if (err)
		return read_err(d, err, "runtime.mbuckets", 0, a->mbuckets);

	/* One read per bucket: header, stk[nstk], memRecord, at most this many bytes. */
	buflen = rel->sizes.bucket + (size_t)maxd * 8 + rel->sizes.mem_record;
	buf = malloc(buflen);
	if (!buf)
		return -ENOMEM;
	for (b = head; b; b = le64(buf + rel->bucket.allnext)) {
		size_t i = out->n, len;
		struct gmt_mprof_rec *r;
		uint64_t typ, nstk, size;
		struct cyc act, fut;
		const uint8_t *rec;

		if (b % 8) {
			err = gmt_diag_set(d, -EFAULT, "heap profile: bucket %zu is at 0x%llx, not "
						       "aligned: not a bucket list",
					   i, (unsigned long long)b);
			goto fail;
		}
		if (gmt_hmap_get(&seen, b)) {
			err = gmt_diag_set(d, -ELOOP, "heap profile: bucket %zu at 0x%llx was "
						      "already seen: the bucket list loops",
					   i, (unsigned long long)b);
			goto fail;
		}
		if (i >= GMT_MPROF_MAX_BUCKETS) {
			err = gmt_diag_set(d, -E2BIG, "heap profile: more than %u buckets: not a "
						      "bucket list",
					   GMT_MPROF_MAX_BUCKETS);
			goto fail;
		}
		err = gmt_hmap_put(&seen, b, 1);
		if (err)
			goto fail;
		err = gmt_rmem_read(m, b, buf, rel->sizes.bucket);
		if (err) {
			read_err(d, err, i ? "allnext" : "runtime.mbuckets", i, b);
			goto fail;
		}
		typ = le64(buf + rel->bucket.typ);
		nstk = le64(buf + rel->bucket.nstk);
		size = le64(buf + rel->bucket.size);
		if (typ != (uint64_t)rel->consts.mem_profile || nstk > maxd) {
			err = gmt_diag_set(d, -EINVAL, "heap profile: bucket %zu at 0x%llx has type "
						       "%llu and %llu frames: not a memory-profile "
						       "bucket",
					   i, (unsigned long long)b, (unsigned long long)typ,
					   (unsigned long long)nstk);
			goto fail;
		}
		len = rel->sizes.bucket + nstk * 8 + rel->sizes.mem_record;
		err = gmt_rmem_read(m, b, buf, len);
		if (err) {
			read_err(d, err, "stack and record", i, b);
			goto fail;
		}
		err = grow((void **)&out->recs, &cap_recs, i + 1, sizeof(*out->recs));
		if (!err)
			err = grow((void **)&out->pcs, &cap_pcs, out->npcs + nstk + 1, 8);
		if (err)
			goto fail;
		r = &out->recs[i];
		*r = (struct gmt_mprof_rec){ .addr = b, .size = size, .nstk = (uint32_t)nstk,
					     .stk = out->npcs };
		for (uint64_t k = 0; k < nstk; k++)
			out->pcs[out->npcs++] = le64(buf + rel->sizes.bucket + k * 8);
		/* What MemProfile's mProf_FlushLocked(cycle % 3) adds to active first. */
		rec = buf + rel->sizes.bucket + nstk * 8;
		get_cycle(rel, rec, 0, size, &act);
		get_cycle(rel, rec, 1 + (int)(out->cycle % nfut), size, &fut);
		add_cycle(&act, &fut);
		if (act.allocs || act.frees)
			clear = false;
		r->allocs = (int64_t)act.allocs;
		r->frees = (int64_t)act.frees;
		r->alloc_bytes = (int64_t)act.alloc_bytes;
		r->free_bytes = (int64_t)act.free_bytes;
		out->n++;
	}
	if (clear && out->n) {
		/*
		 * No cycle completed: MemProfile then adds every future to active (so that
		 * a program that never ran a GC still has a profile).  Read them again.
		 */
		out->all_cycles = true;
		for (size_t i = 0; i < out->n; i++) {
			struct gmt_mprof_rec *r = &out->recs[i];
			struct cyc sum = {}, c;

			err = gmt_rmem_read(m, r->addr, buf,
					    rel->sizes.bucket + (size_t)r->nstk * 8 +
						    rel->sizes.mem_record);
			if (err) {
				read_err(d, err, "record", i, r->addr);
				goto fail;
			}
			for (uint32_t k = 0; k <= nfut; k++) {
				get_cycle(rel, buf + rel->sizes.bucket + (size_t)r->nstk * 8, (int)k,
					  r->size, &c);
				add_cycle(&sum, &c);
			}
			r->allocs = (int64_t)sum.allocs;
			r->frees = (int64_t)sum.frees;
			r->alloc_bytes = (int64_t)sum.alloc_bytes;
			r->free_bytes = (int64_t)sum.free_bytes;
		}
	}
	free(buf);
	gmt_hmap_free(&seen);
	return 0;
fail:
	free(buf);
	gmt_hmap_free(&seen);
	gmt_mprof_free(out);
	return err;
}

void gmt_mprof_free(struct gmt_mprof *p)
{
	free(p->recs);
	free(p->pcs);
	memset(p, 0, sizeof(*p));
}

void gmt_mprof_totals(const struct gmt_mprof *p, struct gmt_mprof_totals *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < p->n; i++) {
		const struct gmt_mprof_rec *r = &p->recs[i];

		t->allocs += r->allocs;
		t->alloc_bytes += r->alloc_bytes;
		t->inuse += r->allocs - r->frees;
		t->inuse_bytes += r->alloc_bytes - r->free_bytes;
	}
}

void gmt_mprof_scale(int64_t count, int64_t size, int64_t rate, int64_t *scount, int64_t *ssize)
{
	double avg, scale;

	if (count == 0 || size == 0) {
		*scount = *ssize = 0;
		return;
	}
	if (rate <= 1) {
		*scount = count;
		*ssize = size;
		return;
	}
	avg = (double)size / (double)count;
	scale = 1 / (1 - exp(-avg / (double)rate));
	*scount = (int64_t)((double)count * scale);
	*ssize = (int64_t)((double)size * scale);
}
