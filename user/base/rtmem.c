// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include "rtmem.h"

int gmt_rmem_u64(const struct gmt_rmem *m, uint64_t addr, uint64_t *v)
{
	return gmt_rmem_read(m, addr, v, sizeof(*v));
}

int gmt_rmem_u32(const struct gmt_rmem *m, uint64_t addr, uint32_t *v)
{
	return gmt_rmem_read(m, addr, v, sizeof(*v));
}

int gmt_rmem_u16(const struct gmt_rmem *m, uint64_t addr, uint16_t *v)
{
	return gmt_rmem_read(m, addr, v, sizeof(*v));
}

int gmt_rmem_u8(const struct gmt_rmem *m, uint64_t addr, uint8_t *v)
{
	return gmt_rmem_read(m, addr, v, sizeof(*v));
}

int gmt_rmem_buf_add(struct gmt_rmem_buf *b, uint64_t addr, const void *data, size_t len)
{
	if (b->n >= GMT_RMEM_BUF_MAX)
		return -E2BIG;
	b->reg[b->n++] = (struct gmt_rmem_region){ addr, data, len };
	return 0;
}

static int buf_read(void *ctx, uint64_t addr, void *out, size_t len)
{
	struct gmt_rmem_buf *b = ctx;

	if (b->gone_after && b->reads >= b->gone_after)
		return -ESRCH;
	for (int i = 0; i < b->n; i++) {
		const struct gmt_rmem_region *r = &b->reg[i];

		if (addr >= r->addr && addr - r->addr <= r->len && len <= r->len - (addr - r->addr)) {
			memcpy(out, r->data + (addr - r->addr), len);
			b->reads++;
			return 0;
		}
	}
	return -EFAULT;
}

struct gmt_rmem gmt_rmem_buf_mem(struct gmt_rmem_buf *b)
{
	return (struct gmt_rmem){ buf_read, b };
}
