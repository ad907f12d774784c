// SPDX-License-Identifier: MIT
#include "procsym.h"

#include <errno.h>

#include "gobin.h"
#include "gofunc.h"

static int frames(void *ctx, uint64_t ret_addr, struct gmt_frame *fr, int max)
{
	const struct gmt_procsym *ps = ctx;

	/* A return address points after the call: the call itself is one byte back. */
	if (ret_addr <= ps->bias)
		return -ENOENT;
	return gmt_pcln__symbolize(ps->gb->pcln, ret_addr - ps->bias - 1, fr, max);
}

static int type_info(void *ctx, uint64_t typ, struct gmt_type_info *ti)
{
	const struct gmt_procsym *ps = ctx;

	if (typ <= ps->bias)
		return -ENOENT;
	return gmt_gobin__type_info(ps->gb, typ - ps->bias, ti);
}

static int go_func(void *ctx, uint64_t entry, char *buf, size_t len)
{
	const struct gmt_procsym *ps = ctx;
	struct gmt_gofunc r;
	int err;

	if (entry <= ps->bias)
		return -ENOENT;
	err = gmt_gofunc_resolve(ps->gb, entry - ps->bias, &r);
	if (err)
		return err;
	gmt_gofunc_name(&r, buf, len);
	return 0;
}

static bool is_wrapper(void *ctx, uint64_t ret_addr)
{
	const struct gmt_procsym *ps = ctx;
	struct gmt_func_info fi;

	if (ret_addr <= ps->bias + 1 ||
	    gmt_pcln__func_by_pc(ps->gb->pcln, ret_addr - ps->bias - 1, &fi))
		return false;
	return fi.funcid == gmt_pcln__wrapper_funcid(ps->gb->pcln);
}

void gmt_procsym_init(struct gmt_procsym *ps, const struct gmt_gobin *gb, uint64_t bias,
		      struct gmt_symbolizer *sym)
{
	ps->gb = gb;
	ps->bias = bias;
	sym->frames = frames;
	sym->type_info = type_info;
	sym->is_wrapper = is_wrapper;
	sym->ctx = ps;
	sym->go_func = go_func;
}
