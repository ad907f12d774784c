// SPDX-License-Identifier: MIT
/*
 * The heap-profile bucket reader (goruntime/mprof.c) on byte buffers laid out as the
 * release table says a runtime lays out its buckets: what runtime.MemProfile would
 * return (active + the future being flushed; every future before the first completed
 * cycle), and clear errors for what is not a bucket list (garbage pointers, loops,
 * foreign buckets, a process that goes away).  The live counterpart, checked against
 * the fixture's own heap profile, is tests/e2e/test_snapshot.c.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "gobin.h"
#include "go_release.h"
#include "heapvars.h"
#include "mprof.h"
#include "rtmem.h"
#include "testutil.h"

#define BASE 0x7f0000000000ull /* the fake heap */
#define VARS 0x500000ull       /* mbuckets, then mProfCycle */
#define SLOT 2048	       /* bytes per bucket in the fake heap */

static const struct gmt_go_release *rel_for(int minor)
{
	for (size_t i = 0; i < gmt_go_nreleases; i++)
		if (gmt_go_releases[i].minor == minor)
			return &gmt_go_releases[i];
	cr_assert_fail("no release row for go1.%d", minor);
	return NULL;
}

struct fake {
	const struct gmt_go_release *rel;
	uint8_t heap[16 * SLOT];
	uint8_t vars[64];
	struct gmt_rmem_buf mb;
	struct gmt_rmem mem;
	struct gmt_mprof_addrs addrs;
};

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void fake_init(struct fake *f, int minor, uint32_t cycle)
{
	memset(f, 0, sizeof(*f));
	f->rel = rel_for(minor);
	cr_assert_eq(gmt_rmem_buf_add(&f->mb, BASE, f->heap, sizeof(f->heap)), 0);
	cr_assert_eq(gmt_rmem_buf_add(&f->mb, VARS, f->vars, sizeof(f->vars)), 0);
	f->mem = gmt_rmem_buf_mem(&f->mb);
	f->addrs = (struct gmt_mprof_addrs){ .mbuckets = VARS, .mprof_cycle = VARS + 16 };
	/* mProfCycle: cycle<<1 | flushed */
	uint32_t v = cycle << 1 | 1;
	memcpy(f->vars + 16 + f->rel->mprof_cycle.value, &v, 4);
}

static uint64_t slot_addr(int i)
{
	return BASE + (uint64_t)i * SLOT;
}

/* memRecordCycle k (0 active, 1.. future) of the bucket in slot i. */
static void set_cycle(struct fake *f, int i, uint32_t nstk, int k, uint64_t allocs,
		      uint64_t frees, uint64_t size)
{
	const struct gmt_go_release *r = f->rel;
	uint8_t *rec = f->heap + i * SLOT + r->sizes.bucket + nstk * 8;
	uint8_t *c = rec + (k == 0 ? r->mem_record.active
				   : r->mem_record.future + (k - 1) * r->sizes.mem_record_cycle);

	put64(c + r->mem_record_cycle.allocs, allocs);
	put64(c + r->mem_record_cycle.frees, frees);
	if (r->mem_record_cycle.alloc_bytes != GMT_OFF_ABSENT) {
		put64(c + r->mem_record_cycle.alloc_bytes, allocs * size);
		put64(c + r->mem_record_cycle.free_bytes, frees * size);
	}
}

/* A bucket in slot i: size, a stack of nstk pcs 0x401000 + 0x10*(i*100+k), allnext. */
static void set_bucket(struct fake *f, int i, uint64_t size, uint32_t nstk, uint64_t allnext)
{
	const struct gmt_go_release *r = f->rel;
	uint8_t *b = f->heap + i * SLOT;

	put64(b + r->bucket.allnext, allnext);
	put64(b + r->bucket.typ, (uint64_t)r->consts.mem_profile);
	put64(b + r->bucket.hash, 0x1234 + i);
	put64(b + r->bucket.size, size);
	put64(b + r->bucket.nstk, nstk);
	for (uint32_t k = 0; k < nstk; k++)
		put64(b + r->sizes.bucket + k * 8, 0x401000 + 0x10 * (i * 100 + k));
}

static void set_head(struct fake *f, uint64_t head)
{
	put64(f->vars, head);
}

/* Three buckets, head slot 2 -> 0 -> 1, at cycle 4 (4 % 3 == 1: future[1] is flushed). */
static void three(struct fake *f, int minor)
{
	fake_init(f, minor, 4);
	set_head(f, slot_addr(2));
	set_bucket(f, 2, 1024, 3, slot_addr(0));
	set_bucket(f, 0, 48, 5, slot_addr(1));
	set_bucket(f, 1, 262144, 1, 0);
	/* active */
	set_cycle(f, 2, 3, 0, 10, 4, 1024);
	set_cycle(f, 0, 5, 0, 100, 0, 48);
	set_cycle(f, 1, 1, 0, 2, 1, 262144);
	/* future[1]: flushed by MemProfile, so counted */
	set_cycle(f, 2, 3, 2, 1, 1, 1024);
	/* future[0] and future[2]: cycles not complete, left out */
	set_cycle(f, 0, 5, 1, 1000, 0, 48);
	set_cycle(f, 0, 5, 3, 0, 1000, 48);
}

static void check_three(int minor)
{
	struct gmt_mprof p;
	struct gmt_mprof_totals t;
	struct gmt_diag d = {};
	struct fake f;

	three(&f, minor);
	cr_assert_eq(gmt_mprof_read(&f.mem, f.rel, &f.addrs, &p, &d), 0, "%s", d.msg);
	cr_assert_eq(p.n, 3);
	cr_assert_eq(p.cycle, 4);
	cr_assert_not(p.all_cycles);
	/* list order */
	cr_assert_eq(p.recs[0].addr, slot_addr(2));
	cr_assert_eq(p.recs[1].addr, slot_addr(0));
	cr_assert_eq(p.recs[2].addr, slot_addr(1));
	cr_assert_eq(p.recs[0].allocs, 11);
	cr_assert_eq(p.recs[0].frees, 5);
	cr_assert_eq(p.recs[0].alloc_bytes, 11 * 1024);
	cr_assert_eq(p.recs[0].free_bytes, 5 * 1024);
	cr_assert_eq(p.recs[1].allocs, 100);
	cr_assert_eq(p.recs[1].frees, 0);
	cr_assert_eq(p.recs[1].alloc_bytes, 4800);
	cr_assert_eq(p.recs[2].allocs, 2);
	cr_assert_eq(p.recs[2].free_bytes, 262144);
	cr_assert_eq(p.recs[1].nstk, 5);
	cr_assert_eq(p.recs[1].size, 48);
	for (uint32_t k = 0; k < 5; k++)
		cr_assert_eq(p.pcs[p.recs[1].stk + k], 0x401000 + 0x10 * k);
	cr_assert_eq(p.pcs[p.recs[0].stk + 2], 0x401000 + 0x10 * 202);
	cr_assert_eq(p.npcs, 9);
	gmt_mprof_totals(&p, &t);
	cr_assert_eq(t.allocs, 113);
	cr_assert_eq(t.alloc_bytes, 11 * 1024 + 4800 + 2 * 262144);
	cr_assert_eq(t.inuse, 6 + 100 + 1);
	cr_assert_eq(t.inuse_bytes, 6 * 1024 + 4800 + 262144);
	gmt_mprof_free(&p);
}

Test(mprof, three_buckets_go126)
{
	check_three(26);
}

Test(mprof, three_buckets_go119)
{
	check_three(19);
}

/* go1.27's memRecordCycle has no byte counts: bytes are count x bucket size. */
Test(mprof, three_buckets_go127_no_byte_counts)
{
	cr_assert_eq(rel_for(27)->mem_record_cycle.alloc_bytes, GMT_OFF_ABSENT);
	check_three(27);
}

/* Before the first completed cycle every future counts (MemProfile's "clear" case). */
Test(mprof, no_completed_cycle_adds_every_future)
{
	struct gmt_mprof p;
	struct gmt_diag d = {};
	struct fake f;

	fake_init(&f, 26, 0);
	set_head(&f, slot_addr(0));
	set_bucket(&f, 0, 64, 2, slot_addr(1));
	set_bucket(&f, 1, 16, 2, 0);
	set_cycle(&f, 0, 2, 3, 5, 0, 64); /* future[2] */
	set_cycle(&f, 0, 2, 2, 1, 1, 64); /* future[1] */
	set_cycle(&f, 1, 2, 3, 7, 2, 16);
	cr_assert_eq(gmt_mprof_read(&f.mem, f.rel, &f.addrs, &p, &d), 0, "%s", d.msg);
	cr_assert(p.all_cycles);
	cr_assert_eq(p.n, 2);
	cr_assert_eq(p.recs[0].allocs, 6);
	cr_assert_eq(p.recs[0].frees, 1);
	cr_assert_eq(p.recs[0].alloc_bytes, 6 * 64);
	cr_assert_eq(p.recs[1].allocs, 7);
	cr_assert_eq(p.recs[1].free_bytes, 32);
	gmt_mprof_free(&p);
}

Test(mprof, nil_head_is_an_empty_profile)
{
	struct gmt_mprof p;
	struct gmt_diag d = {};
	struct fake f;

	fake_init(&f, 26, 3);
	cr_assert_eq(gmt_mprof_read(&f.mem, f.rel, &f.addrs, &p, &d), 0, "%s", d.msg);
	cr_assert_eq(p.n, 0);
	cr_assert_eq(p.recs, NULL);
}

static int read_fails(struct fake *f, struct gmt_diag *d)
{
	struct gmt_mprof p;
	int err = gmt_mprof_read(&f->mem, f->rel, &f->addrs, &p, d);

	cr_assert_eq(p.n, 0, "nothing is returned on error");
	cr_assert_eq(p.recs, NULL);
	cr_assert_eq(p.pcs, NULL);
	cr_assert_neq(d->msg[0], 0, "an error says what");
	cr_assert_null(strchr(d->msg, '\n'), "one line");
	return err;
}

Test(mprof, loop_is_an_error)
{
	struct gmt_diag d = {};
	struct fake f;

	three(&f, 26);
	set_bucket(&f, 1, 262144, 1, slot_addr(0)); /* the last points back to the second */
	cr_assert_eq(read_fails(&f, &d), -ELOOP);
	cr_assert(strstr(d.msg, "loops"), "%s", d.msg);
}

Test(mprof, self_loop_is_an_error)
{
	struct gmt_diag d = {};
	struct fake f;

	three(&f, 26);
	set_bucket(&f, 2, 1024, 3, slot_addr(2));
	cr_assert_eq(read_fails(&f, &d), -ELOOP);
}

Test(mprof, garbage_pointer_is_an_error)
{
	struct gmt_diag d = {};
	struct fake f;

	three(&f, 26);
	set_bucket(&f, 0, 48, 5, 0xdeadbeef000ull);
	cr_assert_eq(read_fails(&f, &d), -EFAULT);
	cr_assert(strstr(d.msg, "0xdeadbeef000") && strstr(d.msg, "not mapped"), "%s", d.msg);
	cr_assert(strstr(d.msg, "bucket 2"), "%s", d.msg);
}

Test(mprof, garbage_head_is_an_error)
{
	struct gmt_diag d = {};
	struct fake f;

	three(&f, 26);
	set_head(&f, 0x10);
	cr_assert_eq(read_fails(&f, &d), -EFAULT);
	cr_assert(strstr(d.msg, "runtime.mbuckets"), "%s", d.msg);
}

/* A bucket that ends past the mapping: its stack runs off the end of the fake heap. */
Test(mprof, bucket_running_off_the_mapping_is_an_error)
{
	struct gmt_diag d = {};
	struct fake f;

	three(&f, 26);
	uint8_t *last = f.heap + 15 * SLOT + SLOT - 64;

	set_bucket(&f, 0, 48, 5, slot_addr(15) + SLOT - 64);
	put64(last + f.rel->bucket.typ, (uint64_t)f.rel->consts.mem_profile);
	put64(last + f.rel->bucket.nstk, 5);
	cr_assert_eq(read_fails(&f, &d), -EFAULT);
	cr_assert(strstr(d.msg, "bucket 2"), "%s", d.msg);
}

Test(mprof, misaligned_pointer_is_an_error)
{
	struct gmt_diag d = {};
	struct fake f;

	three(&f, 26);
	set_bucket(&f, 0, 48, 5, slot_addr(1) + 4);
	cr_assert_eq(read_fails(&f, &d), -EFAULT);
	cr_assert(strstr(d.msg, "aligned"), "%s", d.msg);
}

Test(mprof, foreign_bucket_type_is_an_error)
{
	struct gmt_diag d = {};
	struct fake f;

	three(&f, 26);
	put64(f.heap + 1 * SLOT + f.rel->bucket.typ, 2); /* a block-profile bucket */
	cr_assert_eq(read_fails(&f, &d), -EINVAL);
	cr_assert(strstr(d.msg, "not a memory-profile bucket"), "%s", d.msg);
}

Test(mprof, absurd_depth_is_an_error)
{
	struct gmt_diag d = {};
	struct fake f;

	three(&f, 22); /* go1.22: at most 32 frames */
	put64(f.heap + 0 * SLOT + f.rel->bucket.nstk, 33);
	cr_assert_eq(read_fails(&f, &d), -EINVAL);
	three(&f, 26);
	put64(f.heap + 0 * SLOT + f.rel->bucket.nstk, 1ull << 40);
	cr_assert_eq(read_fails(&f, &d), -EINVAL);
}

Test(mprof, process_gone_is_not_garbage)
{
	struct gmt_diag d = {};
	struct fake f;

	three(&f, 26);
	/* mProfCycle and mbuckets read, then gone when the buckets' block is read (the walk
	 * reads the buckets by 16 KiB block: base/rtmem.h). */
	f.mb.gone_after = 2;
	cr_assert_eq(read_fails(&f, &d), -ESRCH);
	cr_assert(strstr(d.msg, "went away"), "%s", d.msg);
}

/* Oracle: runtime/pprof's scaleHeapSample, run with Go's math.Exp (go1.26). */
Test(mprof, scale_as_runtime_pprof)
{
	static const int64_t cases[][5] = {
		{ 3, 3072, 4096, 13, 13887 },
		{ 1, 8, 524288, 65536, 524292 },
		{ 48, 12582912, 4096, 48, 12582912 },
		{ 7, 700, 1, 7, 700 },
		{ 20000, 960000, 4096, 1716686, 82400937 },
		{ 5, 80, 524288, 163842, 2621480 },
	};
	int64_t c, s;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		gmt_mprof_scale(cases[i][0], cases[i][1], cases[i][2], &c, &s);
		cr_assert_eq(c, cases[i][3], "case %zu: count %lld", i, (long long)c);
		cr_assert_eq(s, cases[i][4], "case %zu: bytes %lld", i, (long long)s);
	}
	gmt_mprof_scale(0, 100, 4096, &c, &s);
	cr_assert(c == 0 && s == 0);
	gmt_mprof_scale(5, 0, 4096, &c, &s);
	cr_assert(c == 0 && s == 0);
}

/* ---- finding mbuckets and mProfCycle, against the linker's symbols ---- */

/*
 * snapshot links the heap profile reader (runtime/pprof), alloc does not: both are read
 * from the code the GC runs, the first also checked against the reader's.
 */
static void check_find(const char *name, const char *v, const char *fl)
{
	struct gmt_analysis *a;
	struct gmt_diag d = {};
	uint64_t want_b, want_c;

	want_b = tu_nm_addr_fixture(name, v, fl, "runtime.mbuckets");
	want_c = tu_nm_addr_fixture(name, v, fl, "runtime.mProfCycle");
	cr_assert_eq(gmt_analysis__open(tu_fixture(name, v, fl), &a, &d), 0, "%s", d.msg);
	/* As the analysis found them (what snapshot uses), then decoded without .symtab. */
	for (unsigned int flags = 0; flags <= GMT_HEAPVARS_NO_SYMTAB; flags++) {
		struct gmt_heapvars hv = a->heap;

		if (flags)
			cr_assert_eq(gmt_heapvars_find(a->gb, gmt_analysis__row(a), flags, &hv), 0);
		cr_expect_eq(hv.mbuckets, want_b, "%s-%s-%s (%s): mbuckets %#llx, nm %#llx: %s",
			     name, v, fl, flags ? "decoded" : "as used",
			     (unsigned long long)hv.mbuckets, (unsigned long long)want_b,
			     hv.why_mbuckets);
		cr_expect_eq(hv.mprof_cycle, want_c, "%s-%s-%s (%s): mProfCycle %#llx, nm %#llx", name,
			     v, fl, flags ? "decoded" : "as used",
			     (unsigned long long)hv.mprof_cycle, (unsigned long long)want_c);
		cr_expect_eq(hv.mbuckets_src == GMT_HEAPVAR_DECODED, flags || a->gb->stripped,
			     "%s-%s-%s: decoded", name, v, fl);
	}
	gmt_analysis__put(a);
}

ParameterizedTestParameters(mprof_find, matches_linker_symbols)
{
	return cr_make_param_array(int, tu_matrix_params(false), tu_matrix_size(false));
}

ParameterizedTest(int *i, mprof_find, matches_linker_symbols, .timeout = 120)
{
	const char *v, *fl;

	tu_matrix_entry(*i, &v, &fl);
	check_find("snapshot", v, fl);
	check_find("alloc", v, fl);
}

