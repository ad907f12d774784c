// SPDX-License-Identifier: MIT
#include "gorvars.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf_file.h"
#include "gobin.h"
#include "go_release.h"
#include "gsnap.h"
#include "rtvars.h"
#include "procmem.h"
#include "x86dec.h"


struct decode_ctx {
	uint64_t lea[16]; /* rip-relative lea target last loaded into each register */
	uint64_t xchg[2]; /* targets of the first two `xchg r, 0(reg)` */
	int nxchg;
};

static int on_insn(const struct gmt_insn *in, void *arg)
{
	struct decode_ctx *c = arg;

	if (in->opmap == 0 && in->opcode == 0x8d && in->rip_rel && in->opsize == 8 &&
	    in->reg < 16) {
		c->lea[in->reg] = in->mem_target;
		return 0;
	}
	if (in->opmap == 0 && in->opcode == 0x87 && in->mem && in->opsize == 8 &&
	    in->base >= 0 && in->base < 16 && in->index == GMT_REG_NONE && in->disp == 0) {
		if (c->nxchg < 2)
			c->xchg[c->nxchg] = c->lea[in->base];
		if (++c->nxchg == 2)
			return 1;
		return 0;
	}
	for (int r = 0; r < 16; r++)
		if (c->lea[r] && gmt_rtvars_writes_reg(in, r))
			c->lea[r] = 0;
	return 0;
}

static int decode(const struct gmt_gobin *gb, struct gmt_gorvars *v)
{
	struct decode_ctx c = {};
	int err = gmt_rtvars_walk_func(gb, "runtime.allgadd", on_insn, &c);

	if (err) {
		snprintf(v->why, sizeof(v->why), "runtime.allgadd %s",
			 err == -ENOENT ? "is not in the binary" : "does not decode");
		return 0;
	}
	if (c.nxchg < 2 || !c.xchg[0] || !c.xchg[1] || c.xchg[0] == c.xchg[1] ||
	    !gmt_rtvars_writable(gb->elf, c.xchg[0], 8) ||
	    !gmt_rtvars_writable(gb->elf, c.xchg[1], 8)) {
		snprintf(v->why, sizeof(v->why),
			 "runtime.allgadd does not store allgptr and allglen as expected");
		return 0;
	}
	v->allgptr = c.xchg[0];
	v->allglen = c.xchg[1];
	v->decoded = true;
	return 0;
}

int gmt_gorvars_find(const struct gmt_gobin *gb, unsigned int flags, struct gmt_gorvars *v)
{
	memset(v, 0, sizeof(*v));
	if (!(flags & GMT_GORVARS_NO_SYMTAB) &&
	    gmt_rtvars_sym_addr(gb, "runtime.allglen", &v->allglen) &&
	    gmt_rtvars_sym_addr(gb, "runtime.allgptr", &v->allgptr))
		return 0;
	v->allglen = v->allgptr = 0;
	return decode(gb, v);
}

int gmt_gorvars_enumerate(pid_t pid, const struct gmt_gorvars *v, uint64_t bias,
			  const struct gmt_go_release *row, struct gmt_pre_g **out, size_t *n,
			  struct gmt_diag *d)
{
	struct gmt_gsnap snap = {};
	struct gmt_procmem *mem;
	struct gmt_rmem m;
	int err;

	*out = NULL;
	*n = 0;
	if (!v->allglen || !v->allgptr)
		return gmt_diag_set(d, -ENOENT, "runtime.allgs: %s", v->why);
	err = gmt_procmem__open(pid, 0, &mem, d);
	if (err)
		return err;
	/* The snapshot's walker over allgs, without the stacks (gsnap.h). */
	m = gmt_procmem__rmem(mem);
	err = gmt_gsnap_read(&m, row, NULL,
			     &(struct gmt_gsnap_addrs){ v->allgptr + bias, v->allglen + bias, bias },
			     &snap, d);
	gmt_procmem__close(mem);
	if (err)
		return err;
	*out = calloc(snap.n ? snap.n : 1, sizeof(**out));
	if (!*out) {
		gmt_gsnap_free(&snap);
		return gmt_diag_set(d, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < snap.n; i++)
		(*out)[i] = (struct gmt_pre_g){ snap.gs[i].goid, snap.gs[i].gopc,
						snap.gs[i].startpc, snap.gs[i].status };
	*n = snap.n;
	gmt_gsnap_free(&snap);
	return 0;
}
