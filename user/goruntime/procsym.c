// SPDX-License-Identifier: MIT
#include "procsym.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gobin.h"
#include "gofunc.h"

#define MEMO_SLOTS 1024
#define MEMO_FRAMES 8 /* a pc with more inlined frames is not memoized */

struct gmt_procsym_memo {
	struct slot {
		uint64_t pc; /* 0: empty */
		int n;	     /* what the pclntab answered: frames, or a negative errno */
		struct gmt_frame fr[MEMO_FRAMES];
	} s[MEMO_SLOTS];
};

static int frames(void *ctx, uint64_t ret_addr, struct gmt_frame *fr, int max)
{
	struct gmt_procsym *ps = ctx;
	struct slot *sl;
	int n;

	/* A return address points after the call: the call itself is one byte back. */
	if (ret_addr <= ps->bias)
		return -ENOENT;
	if (!ps->memo)
		ps->memo = calloc(1, sizeof(*ps->memo)); /* NULL: no memo, the same answers */
	sl = ps->memo ? &ps->memo->s[(ret_addr ^ ret_addr >> 10) % MEMO_SLOTS] : NULL;
	if (sl && sl->pc == ret_addr && sl->n <= max) {
		if (sl->n > 0)
			memcpy(fr, sl->fr, (size_t)sl->n * sizeof(fr[0]));
		return sl->n;
	}
	n = gmt_pcln__symbolize(ps->gb->pcln, ret_addr - ps->bias - 1, fr, max);
	/* n < max: the answer was not cut at this caller's max. */
	if (sl && n <= MEMO_FRAMES && n < max) {
		sl->pc = ret_addr;
		sl->n = n;
		if (n > 0)
			memcpy(sl->fr, fr, (size_t)n * sizeof(fr[0]));
	}
	return n;
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
	ps->memo = NULL; /* what it held was of another binary or bias (gmt_procsym_free first) */
	sym->frames = frames;
	sym->type_info = type_info;
	sym->is_wrapper = is_wrapper;
	sym->ctx = ps;
	sym->go_func = go_func;
}

void gmt_procsym_free(struct gmt_procsym *ps)
{
	free(ps->memo);
	ps->memo = NULL;
}
