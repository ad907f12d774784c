// SPDX-License-Identifier: MIT
#include "fakesym.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "aggregate.h"

const struct tu_fake_pc *tu_fake_lookup(const struct tu_fake_bin *b, uint64_t pc)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->pcs[i].pc == pc)
			return &b->pcs[i];
	return NULL;
}

int tu_fake_frames(void *ctx, uint64_t pc, struct gmt_frame *out, int max)
{
	const struct tu_fake_pc *p = tu_fake_lookup(ctx, pc);
	int n;

	if (!p)
		return -ENOENT;
	n = p->n < max ? p->n : max;
	memcpy(out, p->f, n * sizeof(*out));
	return n;
}

void tu_fake_agg_fill(struct gmt_agg *a)
{
	static const uint64_t pa[] = { 0x1010, 0x2020, 0x3030 };
	static const uint64_t pb[] = { 0x1011, 0x2020, 0x3030 };
	static const uint64_t pc[] = { 0x4040, 0x5050 };
	static const uint64_t pd[] = { 0x2020, 0x3030 };
	static const uint64_t pe[] = { 0x6060, 0x6060, 0x6060, 0x2020, 0x3030 };
	static const uint64_t pf[] = { 0x7070, 0x3030 };
	static const uint64_t pg[] = { 0x900000, 0x2020, 0x3030 };

	cr_assert_eq(gmt_agg__add_stack(a, 0x100, pa, 3, false), 0, "stack A is added");
	cr_assert_eq(gmt_agg__add_stack(a, 0x200, pb, 3, false), 0, "stack B is added");
	cr_assert_eq(gmt_agg__add_stack(a, 0x300, pc, 2, true), 0, "stack C is added");
	cr_assert_eq(gmt_agg__add_stack(a, 0x400, pd, 2, false), 0, "stack D is added");
	cr_assert_eq(gmt_agg__add_stack(a, 0x500, pe, 5, false), 0, "stack E is added");
	cr_assert_eq(gmt_agg__add_stack(a, 0x600, pf, 2, false), 0, "stack F is added");
	cr_assert_eq(gmt_agg__add_stack(a, 0x700, pg, 3, false), 0, "stack G is added");
	gmt_agg__add_allocs(a, 0x100, 0, 48, 10);
	gmt_agg__add_allocs(a, 0x100, 0, 100, 5);
	gmt_agg__add_allocs(a, 0x200, 0, 1000, 2);
	gmt_agg__add_allocs(a, 0x200, 0, 48, 1);
	gmt_agg__add_allocs(a, 0x300, 0, 1024, 4);
	gmt_agg__add_allocs(a, 0x500, 0, 5000, 1);
	gmt_agg__add_allocs(a, 0x700, 0, 16, 3);
	gmt_agg__add_allocs(a, 0x600, 0, 0, 5);
	gmt_agg__add_allocs(a, 0x999, 0, 8, 7);
	gmt_agg__add_allocs(a, 0, 0, 48, 2);
}
