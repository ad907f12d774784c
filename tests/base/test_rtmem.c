// SPDX-License-Identifier: MIT
/*
 * base/rtmem.h's two readers over another: the window (one object's range copied in
 * one read) and the block cache (a walk over packed records), on byte buffers.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "rtmem.h"

#define BLK GMT_RMEM_CACHE_BLOCK
#define AT 0x100000ull /* block aligned */

static uint8_t mem[2 * BLK];

static uint64_t word(const struct gmt_rmem *m, uint64_t addr, int *err)
{
	uint64_t v = 0;

	*err = gmt_rmem_u64(m, addr, &v);
	return v;
}

static void fill(void)
{
	for (size_t i = 0; i < sizeof(mem); i += 8) {
		uint64_t v = AT + i;

		memcpy(mem + i, &v, 8);
	}
}

Test(rtmem, window_serves_its_range_from_the_copy)
{
	struct gmt_rmem_buf b = {};
	struct gmt_rmem under, wm;
	struct gmt_rmem_window w;
	uint64_t v = 7;
	int err;

	fill();
	gmt_rmem_buf_add(&b, AT, mem, sizeof(mem));
	under = gmt_rmem_buf_mem(&b);
	w = (struct gmt_rmem_window){ .under = &under };
	wm = gmt_rmem_window_mem(&w);
	cr_assert_eq(gmt_rmem_window_load(&w, AT + 64, 128), 0);
	cr_expect_eq(b.reads, 1, "one read for the whole range");
	memcpy(mem + 64, &v, 8); /* the process writes after the load */
	cr_expect_eq(word(&wm, AT + 64, &err), AT + 64, "as of the load");
	cr_expect_eq(err, 0);
	cr_expect_eq(word(&wm, AT + 184, &err), AT + 184, "the last word of the range");
	cr_expect_eq(b.reads, 1, "both from the copy");
	cr_expect_eq(word(&wm, AT + 192, &err), AT + 192, "outside: read through");
	cr_expect_eq(b.reads, 2);
	word(&wm, AT + 188, &err);
	cr_expect_eq(b.reads, 3, "straddling the end: read through");
	/* A load that fails leaves the window empty: everything reads through. */
	cr_expect_eq(gmt_rmem_window_load(&w, AT + sizeof(mem) - 8, 16), -EFAULT);
	cr_expect_eq(word(&wm, AT + 64, &err), 7, "no stale copy after a failed load");
	b.gone_after = b.reads;
	cr_expect_eq(gmt_rmem_window_load(&w, AT, 8), -ESRCH, "gone is passed up");
	gmt_rmem_window_free(&w);
}

Test(rtmem, cache_loads_each_block_once)
{
	struct gmt_rmem_buf b = {};
	struct gmt_rmem under, cm;
	static struct gmt_rmem_cache c;
	uint64_t v = 7;
	int err;

	fill();
	gmt_rmem_buf_add(&b, AT, mem, sizeof(mem));
	under = gmt_rmem_buf_mem(&b);
	gmt_rmem_cache_init(&c, &under);
	cm = gmt_rmem_cache_mem(&c);
	for (uint64_t a = AT; a < AT + 2 * BLK; a += 8) {
		cr_assert_eq(word(&cm, a, &err), a);
		cr_assert_eq(err, 0);
	}
	cr_expect_eq(c.loads, 2, "two blocks, two loads");
	cr_expect_eq(b.reads, 2);
	memcpy(mem, &v, 8);
	cr_expect_eq(word(&cm, AT, &err), AT, "as of the block's load");
	/* A read across two blocks goes through, and sees the memory as it is now. */
	uint8_t x[16];

	cr_expect_eq(gmt_rmem_read(&cm, AT + BLK - 8, x, sizeof(x)), 0);
	cr_expect_eq(b.reads, 3);
}

Test(rtmem, cache_falls_back_where_a_block_is_not_all_mapped)
{
	struct gmt_rmem_buf b = {};
	struct gmt_rmem under, cm;
	static struct gmt_rmem_cache c;
	int err;

	fill();
	/* Only 100 bytes mapped: the block cannot be read whole. */
	gmt_rmem_buf_add(&b, AT + 8, mem + 8, 100);
	under = gmt_rmem_buf_mem(&b);
	gmt_rmem_cache_init(&c, &under);
	cm = gmt_rmem_cache_mem(&c);
	cr_expect_eq(word(&cm, AT + 16, &err), AT + 16, "read on its own");
	cr_expect_eq(err, 0);
	cr_expect_eq(c.loads, 0);
	word(&cm, AT, &err);
	cr_expect_eq(err, -EFAULT, "unmapped stays unmapped");
	b.gone_after = b.reads;
	word(&cm, AT + 16, &err);
	cr_expect_eq(err, -ESRCH, "gone is passed up, not read as unmapped");
}
