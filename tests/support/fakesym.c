// SPDX-License-Identifier: MIT
#include "fakesym.h"

#include <errno.h>
#include <string.h>

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
