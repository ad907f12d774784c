// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
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

int gmt_rmem_window_load(struct gmt_rmem_window *w, uint64_t addr, size_t len)
{
	int err;

	w->len = 0;
	if (GMT_GROW(&w->data, &w->cap, len ? len : 1))
		return -ENOMEM;
	err = gmt_rmem_read(w->under, addr, w->data, len);
	if (err)
		return err;
	w->addr = addr;
	w->len = len;
	return 0;
}

static int window_read(void *ctx, uint64_t addr, void *out, size_t len)
{
	struct gmt_rmem_window *w = ctx;

	if (w->len && addr >= w->addr && addr - w->addr <= w->len &&
	    len <= w->len - (addr - w->addr)) {
		memcpy(out, w->data + (addr - w->addr), len);
		return 0;
	}
	return gmt_rmem_read(w->under, addr, out, len);
}

struct gmt_rmem gmt_rmem_window_mem(struct gmt_rmem_window *w)
{
	return (struct gmt_rmem){ window_read, w };
}

void gmt_rmem_window_free(struct gmt_rmem_window *w)
{
	free(w->data);
	w->data = NULL;
	w->len = w->cap = 0;
}

static int cache_read(void *ctx, uint64_t addr, void *out, size_t len)
{
	struct gmt_rmem_cache *c = ctx;
	const uint64_t base = addr & ~(uint64_t)(GMT_RMEM_CACHE_BLOCK - 1);
	unsigned i;
	int err;

	if (addr - base + len > GMT_RMEM_CACHE_BLOCK)
		return gmt_rmem_read(c->under, addr, out, len);
	for (i = 0; i < GMT_RMEM_CACHE_BLOCKS; i++)
		if (c->valid[i] && c->addr[i] == base)
			goto hit;
	i = c->next;
	c->next = (c->next + 1) % GMT_RMEM_CACHE_BLOCKS;
	c->valid[i] = false;
	err = gmt_rmem_read(c->under, base, c->data[i], GMT_RMEM_CACHE_BLOCK);
	if (err == -ESRCH)
		return err;
	if (err)
		return gmt_rmem_read(c->under, addr, out, len);
	c->addr[i] = base;
	c->valid[i] = true;
	c->loads++;
hit:
	memcpy(out, c->data[i] + (addr - base), len);
	return 0;
}

void gmt_rmem_cache_init(struct gmt_rmem_cache *c, const struct gmt_rmem *under)
{
	c->under = under;
	memset(c->valid, 0, sizeof(c->valid));
	c->next = 0;
	c->loads = 0;
}

struct gmt_rmem gmt_rmem_cache_mem(struct gmt_rmem_cache *c)
{
	return (struct gmt_rmem){ cache_read, c };
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
